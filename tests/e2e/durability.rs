//! Nothing acknowledged is lost: a server killed with SIGKILL in the middle of a create load
//! and started again serves every order it answered with, with its outbox event and audit record.

use std::time::Duration;

use serde_json::json;

use crate::support::{
    TENANT_A, TestApp,
    create_load::{CreateLoad, graphql},
    process::ServeProcess,
    saas_config_json,
};

#[tokio::test]
async fn every_acknowledged_order_survives_kill_9_and_a_restart() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let config_file = dir.path().join("saas-config.json");
    std::fs::write(&config_file, saas_config_json(&app.jwks.base_url()).to_string()).unwrap();
    let token = app.token_a("loader");

    let server = ServeProcess::start(&app.location, &config_file).await;
    let addr = server.addr;
    let load = CreateLoad::start(addr, &token);
    // Kill once the load is well under way.
    load.until_acknowledged(40, 200).await;
    server.kill_9().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let acknowledged = load.stop().await;
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
