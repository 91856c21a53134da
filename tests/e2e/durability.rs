//! Nothing acknowledged is lost: a server killed with SIGKILL in the middle of a create load
//! and started again serves every order it answered with, with its outbox event and audit record.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use serde_json::{Value, json};

use crate::support::{TENANT_A, TestApp, line, order_input, process::ServeProcess, saas_config_json};

const CREATE: &str =
    "mutation($input: CreateOrderInput!) { createOrder(input: $input) { order { id } userErrors { code } } }";

async fn graphql(
    client: &reqwest::Client,
    addr: std::net::SocketAddr,
    token: &str,
    query: &str,
    vars: Value,
) -> Option<Value> {
    let response = client
        .post(format!("http://{addr}/graphql"))
        .bearer_auth(token)
        .json(&json!({"query": query, "variables": vars}))
        .send()
        .await
        .ok()?;
    response.json().await.ok()
}

#[tokio::test]
async fn every_acknowledged_order_survives_kill_9_and_a_restart() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let config_file = dir.path().join("saas-config.json");
    std::fs::write(&config_file, saas_config_json(&app.jwks.base_url()).to_string()).unwrap();
    let token = app.token_a("loader");

    let server = ServeProcess::start(&app.location, &config_file).await;
    let addr = server.addr;
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let (acknowledged, stop, token) = (acknowledged.clone(), stop.clone(), token.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                for i in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let input = order_input(&format!("kill9-{w}-{i}"), vec![line("A", 1, "1.00")]);
                    // Connection errors after the kill are expected: only answers count.
                    let Some(body) = graphql(&client, addr, &token, CREATE, json!({"input": input})).await else {
                        continue;
                    };
                    if let Some(id) = body["data"]["createOrder"]["order"]["id"].as_str() {
                        acknowledged.lock().unwrap().push(id.to_owned());
                    }
                }
            })
        })
        .collect();
    // Kill once the load is well under way.
    for _ in 0..200 {
        if acknowledged.lock().unwrap().len() >= 40 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    server.kill_9().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 40, "the load produced only {} orders before the kill", acknowledged.len());

    let restarted = ServeProcess::start(&app.location, &config_file).await;
    let client = reqwest::Client::new();
    for id in &acknowledged {
        let order = graphql(
            &client,
            restarted.addr,
            &token,
            "query($id: ID!) { order(id: $id) { id status } }",
            json!({"id": id}),
        )
        .await
        .expect("answer");
        assert_eq!(order["data"]["order"]["id"], id.as_str(), "acknowledged order {id} is gone: {order}");
        let audit = graphql(
            &client,
            restarted.addr,
            &token,
            "query($id: ID) { auditLog(first: 5, filter: {orderId: $id}) { nodes { action outcome } } }",
            json!({"id": id}),
        )
        .await
        .expect("answer");
        let records = audit["data"]["auditLog"]["nodes"].as_array().cloned().unwrap_or_default();
        assert!(
            records.iter().any(|r| r["action"] == "createOrder" && r["outcome"] == "ok"),
            "order {id} has no createOrder audit record: {audit}"
        );
        let events = app.database.outbox_event_types(TENANT_A, id).await.expect("outbox");
        assert!(events.iter().any(|t| t == "order.created"), "order {id} has no order.created event: {events:?}");
    }
    restarted.kill_9().await;
}
