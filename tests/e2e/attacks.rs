//! Denial-of-service and information-leak attacks, each test named after the attack it stops.
//! The deadlines here are liveness bounds (the attack used to take minutes or forever), not
//! speed measurements.

use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::support::{TENANT_A, TestApp, error_code, line, ops_doc, order_input};

/// 783 bytes: ten levels of fragments, each spreading the level below eight times (8^10 fields).
fn fragment_bomb() -> String {
    let mut doc = String::from("query { ...F9 }\nfragment F0 on Query { __typename }\n");
    for level in 1..10 {
        let spreads = vec![format!("...F{}", level - 1); 8].join(" ");
        doc.push_str(&format!("fragment F{level} on Query {{ {spreads} }}\n"));
    }
    doc
}

#[tokio::test]
async fn fragment_bombs_from_a_no_role_token_are_refused_while_healthz_answers() {
    let app = TestApp::spawn().await;
    let nobody = app.token_for(TENANT_A, "mallory", &[]);
    let bomb = fragment_bomb();
    let bombs = join_all((0..4).map(|_| {
        let (app, nobody, bomb) = (&app, &nobody, &bomb);
        async move {
            let started = Instant::now();
            let (status, body) = tokio::time::timeout(Duration::from_secs(3), app.gql_status(nobody, bomb, json!({})))
                .await
                .expect("a fragment bomb is refused within 3 s");
            (status, body, started.elapsed())
        }
    }));
    let health = async {
        let started = Instant::now();
        let response = tokio::time::timeout(Duration::from_secs(1), app.client.get(app.url("/healthz")).send())
            .await
            .expect("/healthz answers within 1 s while the bombs are in flight")
            .expect("healthz");
        (response.status().as_u16(), started.elapsed())
    };
    let (answers, (health_status, _)) = tokio::join!(bombs, health);
    assert_eq!(health_status, 200);
    for (status, body, _) in answers {
        assert_eq!((status, error_code(&body)), (200, Some("QUERY_TOO_COMPLEX")), "{body}");
        assert!(body.get("data").is_none(), "a refused document carries no data entry: {body}");
    }
}

#[tokio::test]
async fn five_hundred_aliased_mutations_with_a_large_variable_write_almost_nothing() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    // A 40 kB input, reused by every alias.
    let mut input = order_input("amp-1", vec![line("A", 1, "1.00")]);
    input["customer"]["name"] = json!("x".repeat(40_000));
    let aliases: String = (0..500).map(|i| format!("m{i}: createOrder(input: $i) {{ replayed }} ")).collect();
    let doc = format!("mutation($i: CreateOrderInput!) {{ {aliases} }}");
    let before = app.database_bytes().await;
    let started = Instant::now();
    let (status, body) = tokio::time::timeout(Duration::from_secs(10), app.gql_status(&t, &doc, json!({"i": input})))
        .await
        .expect("answered within 10 s");
    assert_eq!((status, error_code(&body)), (200, Some("QUERY_TOO_COMPLEX")), "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("at most 10 mutations"), "{body}");

    // Ten aliases are allowed: each is refused (the name is too long) and audited, with its
    // input cut to a few kB.
    let ten: String = (0..10).map(|i| format!("m{i}: createOrder(input: $i) {{ userErrors {{ code }} }} ")).collect();
    let body = app.gql(&t, &format!("mutation($i: CreateOrderInput!) {{ {ten} }}"), json!({"i": input})).await;
    assert_eq!(body["data"]["m9"]["userErrors"][0]["code"], "VALIDATION_FAILED", "{body}");
    let grown = app.database_bytes().await.saturating_sub(before);
    assert!(grown < 5 * 1024 * 1024, "the database grew by {grown} bytes");
    assert!(started.elapsed() < Duration::from_secs(10));

    let log = app
        .gql(&t, "{ auditLog(first: 20, filter: {action: \"createOrder\"}) { nodes { input outcome } } }", json!({}))
        .await;
    let nodes = log["data"]["auditLog"]["nodes"].as_array().cloned().unwrap_or_default();
    assert_eq!(nodes.len(), 10, "one record per mutation that ran: {log}");
    for node in nodes {
        let recorded = node["input"].to_string();
        assert!(recorded.len() < 10 * 1024, "audit input is bounded, got {} bytes", recorded.len());
        assert_eq!(node["input"]["truncated"], true);
        assert!(node["input"]["size"].as_u64().unwrap() > 40_000);
        assert_eq!(node["input"]["sha256"].as_str().map(str::len), Some(64));
    }
}

/// Opens a connection and sends half a request head.
async fn half_open(addr: std::net::SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\n").await.expect("send half a head");
    stream
}

#[tokio::test]
async fn a_half_sent_request_head_is_closed_by_the_server() {
    let app = TestApp::spawn().await;
    let mut stream = half_open(app.addr).await;
    let mut buf = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(40), stream.read_to_end(&mut buf)).await;
    assert!(closed.is_ok(), "the server still holds a half-sent request head after 40 s");
}

#[tokio::test]
async fn sigterm_with_five_half_open_connections_exits_promptly() {
    let server = crate::support::process::DemoProcess::start().await;
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(half_open(server.addr).await);
    }
    // The server is otherwise healthy.
    let health = reqwest::get(format!("http://{}/healthz", server.addr)).await.expect("healthz");
    assert_eq!(health.status(), 200);
    let status = server.terminate_within(Duration::from_secs(40)).await;
    assert!(status.success(), "exit status after SIGTERM: {status}");
    drop(held);
}

#[tokio::test]
async fn a_text_plain_body_is_refused_with_415() {
    let app = TestApp::spawn().await;
    for content_type in [Some("text/plain"), Some("application/x-www-form-urlencoded"), None] {
        let mut request = app
            .client
            .post(app.url("/graphql"))
            .header("authorization", format!("Bearer {}", app.token_a("alice")))
            .body(r#"{"query": "mutation { __typename }"}"#);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 415, "{content_type:?}");
    }
}

#[tokio::test]
async fn an_overlong_request_id_is_replaced_not_echoed_or_stored() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let long = "r".repeat(5_000);
    let doc = ops_doc("createOrder");
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("authorization", format!("Bearer {t}"))
        .header("x-request-id", &long)
        .json(&json!({"query": doc, "variables": {"input": order_input("rid-1", vec![line("A", 1, "1.00")])}}))
        .send()
        .await
        .unwrap();
    let echoed = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(echoed, long);
    assert!(echoed.len() <= 128 && !echoed.is_empty(), "{echoed}");
    let body: Value = response.json().await.unwrap();
    assert!(body["errors"].is_null(), "{body}");

    let log = app.gql(&t, "{ auditLog(first: 5) { nodes { action requestId } } }", json!({})).await;
    assert_eq!(log["data"]["auditLog"]["nodes"][0]["requestId"], echoed.as_str(), "{log}");
    assert!(!crate::support::captured_log().contains(&long), "the long id reached the log");

    // A plain id is kept.
    let kept = app.client.get(app.url("/healthz")).header("x-request-id", "partner-42.a_b").send().await.unwrap();
    assert_eq!(kept.headers()["x-request-id"], "partner-42.a_b");
}

#[tokio::test]
async fn the_same_tracking_reference_dispatches_in_two_tenants() {
    let app = TestApp::spawn().await;
    for token in [app.token_a("alice"), app.token_b("bob")] {
        let order = app.create_order(&token, "trk-1", vec![line("A", 1, "1.00")]).await;
        let order_id = order["id"].as_str().unwrap();
        if order["status"] == "PENDING" {
            app.mutate(&token, "confirmOrder", json!({"id": order_id})).await;
        }
        let shipment = app.ship(&token, order_id, &[("A", 1)]).await;
        let shipment_id = shipment["shipment"]["id"].as_str().expect("shipment created");
        // Both tenants book the same carrier and reference: neither learns of the other.
        app.confirm_and_dispatch(&token, shipment_id, "SHARED-REF-1").await;
    }
}

#[tokio::test]
async fn a_client_sending_bad_tokens_is_slowed_down_by_address() {
    let app = TestApp::spawn_with(|http| http.unauthenticated_per_minute = 5).await;
    let garbage = json!({"query": "{ me { subject } }"});
    for _ in 0..5 {
        let (status, _) = app.post(&[("authorization", "Bearer not-a-token")], &garbage).await;
        assert_eq!(status, 401);
    }
    let (status, body) = app.post(&[("authorization", "Bearer not-a-token")], &garbage).await;
    assert_eq!((status, error_code(&body)), (429, Some("RATE_LIMITED")), "{body}");
    // Until the minute ends the address is refused before any token is verified, a valid one
    // included: verifying is the work the flood was making us do.
    let auth = format!("Bearer {}", app.token_a("alice"));
    let (status, response) = app.post(&[("authorization", &auth)], &garbage).await;
    assert_eq!(status, 429, "{response}");
    // Another instance (its own count) serves the same token.
    let other = app.second_instance().await;
    let ok = other.gql(&app.token_a("alice"), "{ me { subject } }", json!({})).await;
    assert_eq!(ok["data"]["me"]["subject"], "alice");
}

#[tokio::test]
async fn requests_beyond_the_in_flight_cap_are_shed_with_503() {
    let app = TestApp::spawn_with(|http| http.max_in_flight = 1).await;
    // A request whose body never finishes holds the only slot.
    let mut slow = TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"query\"",
        app.token_a("alice")
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    let mut shed = None;
    for _ in 0..50 {
        let response = app
            .client
            .post(app.url("/graphql"))
            .header("authorization", format!("Bearer {}", app.token_a("alice")))
            .json(&json!({"query": "{ me { subject } }"}))
            .send()
            .await
            .unwrap();
        if response.status() == 503 {
            shed = Some(response);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let shed = shed.expect("a second request is shed while the first holds the only slot");
    assert_eq!(shed.headers()["retry-after"], "1");
    // Health checks are not GraphQL traffic and are never shed.
    assert_eq!(app.client.get(app.url("/healthz")).send().await.unwrap().status(), 200);
    drop(slow);
}
