//! `orderEvents(orderId)` over graphql-transport-ws at `/graphql/ws` (SPEC section 6): who may
//! connect, who sees which events, and the protocol's edges.
//!
//! Events are handed to the app's live hub directly (`TestApp::observe_event`), as the outbox
//! relay will; `a_mutation_reaches_its_subscriber` covers the whole path once the relay is wired.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{SUSPENDED, TENANT_A, TENANT_B, TestApp, line, ws::ARRIVES_WITHIN};

const ORDER_EVENTS: &str = "subscription($id: ID!) { orderEvents(orderId: $id) \
                            { id type occurredAt aggregateId aggregateVersion data } }";

/// How long "receives nothing" is watched for.
const QUIET: Duration = Duration::from_millis(500);

async fn order_of_a(app: &TestApp) -> String {
    let order = app.create_order(&app.token_a("alice"), "live", vec![line("A", 1, "5.00")]).await;
    // The order's own events (order.created, order.confirmed) are relayed to the live hub by
    // now: a subscription opened after this sees only what the test sends.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while app.database.outbox_backlog().await.expect("outbox backlog") > 0 {
        assert!(tokio::time::Instant::now() < deadline, "the relay did not drain the outbox");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    order["id"].as_str().expect("order id").to_owned()
}

/// The `next` message of operation `id`; returns its `payload`.
fn next_of(message: &Value, id: &str) -> Value {
    assert_eq!((message["type"].as_str(), message["id"].as_str()), (Some("next"), Some(id)), "{message}");
    message["payload"].clone()
}

#[tokio::test]
async fn a_subscriber_receives_the_events_of_its_order_and_no_others() {
    let app = TestApp::spawn().await;
    let order_id = order_of_a(&app).await;
    let mut client = app.ws_connect(&app.token_a("alice")).await;
    client.subscribe("1", ORDER_EVENTS, json!({ "id": order_id })).await;
    app.wait_for_listeners(1).await;

    let other_order = uuid::Uuid::now_v7().to_string();
    app.observe_event(TENANT_A, &other_order, "order.confirmed", 2, json!({}));
    app.observe_event(TENANT_B, &order_id, "order.confirmed", 2, json!({}));
    let event_id = app.observe_event(TENANT_A, &order_id, "shipment.created", 3, json!({ "shipmentId": "s1" }));

    let payload = next_of(&client.message().await, "1");
    assert!(payload["errors"].is_null(), "{payload}");
    let event = &payload["data"]["orderEvents"];
    assert_eq!(event["id"], json!(event_id));
    assert_eq!(event["type"], "shipment.created");
    assert_eq!(event["aggregateId"], json!(order_id));
    assert_eq!(event["aggregateVersion"], 3);
    assert_eq!(event["data"], json!({ "shipmentId": "s1" }));
    assert!(event["occurredAt"].as_str().is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok()), "{event}");
    // Neither the other order's event nor the other tenant's came through.
    client.silent_for(QUIET).await;
}

#[tokio::test]
async fn another_tenant_subscribed_to_the_order_id_receives_nothing() {
    let app = TestApp::spawn().await;
    let order_id = order_of_a(&app).await;
    let mut owner = app.ws_connect(&app.token_a("alice")).await;
    let mut intruder = app.ws_connect(&app.token_b("mallory")).await;
    owner.subscribe("1", ORDER_EVENTS, json!({ "id": order_id })).await;
    // Accepted like any id: no error tells the intruder whether the order exists.
    intruder.subscribe("1", ORDER_EVENTS, json!({ "id": order_id })).await;
    app.wait_for_listeners(2).await;

    app.observe_event(TENANT_A, &order_id, "order.confirmed", 2, json!({}));

    let payload = next_of(&owner.message().await, "1");
    assert_eq!(payload["data"]["orderEvents"]["type"], "order.confirmed");
    intruder.silent_for(QUIET).await;
}

#[tokio::test]
async fn a_bad_token_closes_the_socket_with_4401_and_a_suspended_tenant_with_4403() {
    let app = TestApp::spawn().await;
    for payload in [json!({ "Authorization": "Bearer not-a-jwt" }), json!({}), json!({ "Authorization": 42 })] {
        let mut client = app.ws_open().await;
        client.init(payload.clone()).await;
        let (code, _) = client.closed().await;
        assert_eq!(code, 4401, "connection_init payload {payload}");
    }
    // A token of another tenant's issuer naming tenant A is no token of tenant A.
    let mut client = app.ws_open().await;
    client.init(json!({ "Authorization": format!("Bearer {}", app.token_b("bob")), "X-Tenant-Id": TENANT_A })).await;
    assert_eq!(client.closed().await.0, 4401);

    let mut client = app.ws_open().await;
    let suspended = app.token_for(SUSPENDED, "sam", &["tenant_admin"]);
    client.init(json!({ "authorization": format!("Bearer {suspended}") })).await;
    let (code, reason) = client.closed().await;
    assert_eq!(code, 4403);
    assert!(reason.contains("suspended"), "{reason}");
}

#[tokio::test]
async fn without_order_read_the_subscription_is_forbidden() {
    let app = TestApp::spawn().await;
    let order_id = order_of_a(&app).await;
    let nobody = app.token_for(TENANT_A, "nobody", &["no-such-role"]);
    let mut client = app.ws_connect(&nobody).await;
    client.subscribe("1", ORDER_EVENTS, json!({ "id": order_id })).await;

    let payload = next_of(&client.message().await, "1");
    assert_eq!(payload["errors"][0]["extensions"]["code"], "FORBIDDEN", "{payload}");
    assert!(payload["data"].is_null() || payload["data"]["orderEvents"].is_null(), "{payload}");
    assert_eq!(client.message().await, json!({ "id": "1", "type": "complete" }));
    assert_eq!(app.live_events.subscriber_count(), 0);
}

#[tokio::test]
async fn complete_stops_the_stream_and_frees_the_id() {
    let app = TestApp::spawn().await;
    let order_id = order_of_a(&app).await;
    let mut client = app.ws_connect(&app.token_a("alice")).await;
    client.subscribe("1", ORDER_EVENTS, json!({ "id": order_id })).await;
    app.wait_for_listeners(1).await;
    app.observe_event(TENANT_A, &order_id, "order.confirmed", 2, json!({}));
    next_of(&client.message().await, "1");

    client.complete("1").await;
    let stopped = tokio::time::timeout(ARRIVES_WITHIN, async {
        while app.live_events.subscriber_count() > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(stopped.is_ok(), "the subscription still listens after complete");
    app.observe_event(TENANT_A, &order_id, "order.completed", 3, json!({}));
    // The client asked to stop: neither events nor a `complete` come back.
    client.silent_for(QUIET).await;

    client.subscribe("1", ORDER_EVENTS, json!({ "id": order_id })).await;
    app.wait_for_listeners(1).await;
    app.observe_event(TENANT_A, &order_id, "order.reviewed", 4, json!({}));
    assert_eq!(next_of(&client.message().await, "1")["data"]["orderEvents"]["aggregateVersion"], 4);
}

#[tokio::test]
async fn protocol_violations_close_the_socket_with_their_codes() {
    let app = TestApp::spawn().await;
    let token = app.token_a("alice");

    // Subscribing before the connection is acknowledged.
    let mut client = app.ws_open().await;
    client.subscribe("1", ORDER_EVENTS, json!({ "id": uuid::Uuid::nil() })).await;
    assert_eq!(client.closed().await.0, 4401);

    // Not a protocol message.
    let mut client = app.ws_connect(&token).await;
    client.send(json!({ "type": "start", "id": "1" })).await;
    assert_eq!(client.closed().await.0, 4400);

    // A second connection_init.
    let mut client = app.ws_connect(&token).await;
    client.init(json!({ "Authorization": format!("Bearer {token}") })).await;
    assert_eq!(client.closed().await.0, 4429);

    // Two operations under one id.
    let mut client = app.ws_connect(&token).await;
    let id = uuid::Uuid::nil().to_string();
    client.subscribe("1", ORDER_EVENTS, json!({ "id": id })).await;
    client.subscribe("1", ORDER_EVENTS, json!({ "id": id })).await;
    let (code, reason) = client.closed().await;
    assert_eq!(code, 4409);
    assert!(reason.contains("Subscriber for 1 already exists"), "{reason}");

    // Pings are answered before and after the acknowledgement.
    let mut client = app.ws_open().await;
    client.send(json!({ "type": "ping" })).await;
    assert_eq!(client.message().await, json!({ "type": "pong" }));
}

#[tokio::test]
async fn a_socket_that_never_initialises_is_closed_with_4408() {
    let app = TestApp::spawn_with(|http| http.websocket.init_timeout = Duration::from_millis(200)).await;
    let mut client = app.ws_open().await;
    assert_eq!(client.closed().await.0, 4408);
}

#[tokio::test]
async fn only_subscriptions_run_and_each_document_passes_the_post_checks() {
    let app = TestApp::spawn_with(|http| http.documents.max_expanded_selections = 5).await;
    let mut client = app.ws_connect(&app.token_a("alice")).await;

    client.subscribe("q", "{ me { subject } }", json!({})).await;
    let refused = client.message().await;
    assert_eq!((refused["type"].as_str(), refused["id"].as_str()), (Some("error"), Some("q")), "{refused}");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "VALIDATION_FAILED");

    client.subscribe("big", ORDER_EVENTS, json!({ "id": uuid::Uuid::nil() })).await;
    let refused = client.message().await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX");

    client.subscribe("bad", "subscription { orderEvents(orderId: 1) { nope } }", json!({})).await;
    let refused = client.message().await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "VALIDATION_FAILED");

    client.subscribe("id", "subscription { orderEvents(orderId: \"ORD-1\") { id } }", json!({})).await;
    let payload = next_of(&client.message().await, "id");
    assert_eq!(payload["errors"][0]["extensions"]["code"], "VALIDATION_FAILED", "{payload}");
    assert_eq!(client.message().await["type"], "complete");
    // None of these refusals closed the socket.
    assert_eq!(client.receive_within(QUIET).await, None);
}

#[tokio::test]
async fn a_connection_holds_a_bounded_number_of_subscriptions() {
    let app = TestApp::spawn_with(|http| http.websocket.max_subscriptions = 2).await;
    let mut client = app.ws_connect(&app.token_a("alice")).await;
    let id = uuid::Uuid::nil().to_string();
    for n in ["1", "2", "3"] {
        client.subscribe(n, ORDER_EVENTS, json!({ "id": id })).await;
    }
    let refused = client.message().await;
    assert_eq!((refused["type"].as_str(), refused["id"].as_str()), (Some("error"), Some("3")), "{refused}");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "LIMIT_EXCEEDED");
    app.wait_for_listeners(2).await;

    // Completing one makes room.
    client.complete("1").await;
    client.subscribe("3", ORDER_EVENTS, json!({ "id": id })).await;
    client.silent_for(QUIET).await;
    assert_eq!(app.live_events.subscriber_count(), 2);
}

#[tokio::test]
async fn an_oversized_message_closes_the_socket_with_1009() {
    let app = TestApp::spawn_with(|http| http.websocket.max_message_bytes = 1024).await;
    let mut client = app.ws_connect(&app.token_a("alice")).await;
    client.subscribe("1", &format!("subscription {{ __typename }} # {}", "x".repeat(2048)), json!({})).await;
    assert_eq!(client.closed().await.0, 1009);
}

#[tokio::test]
async fn the_handshake_needs_the_graphql_transport_ws_subprotocol() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/graphql/ws"))
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn an_open_socket_counts_toward_the_connection_cap() {
    let app = TestApp::spawn_with(|http| http.server.max_connections = 1).await;
    let mut client = app.ws_connect(&app.token_a("alice")).await;

    let health = || reqwest::Client::new().get(app.url("/healthz")).timeout(Duration::from_millis(300)).send();
    assert!(health().await.is_err(), "a second connection was served while the socket held the only place");

    client.send(json!({ "type": "ping" })).await;
    assert_eq!(client.message().await, json!({ "type": "pong" }));
    drop(client);
    let served = tokio::time::timeout(ARRIVES_WITHIN, async {
        loop {
            if health().await.is_ok_and(|r| r.status() == 200) {
                return;
            }
        }
    })
    .await;
    assert!(served.is_ok(), "the socket's place was not given back once it closed");
}

/// The whole path: a mutation commits its events to the outbox, the relay publishes them, the
/// bus hands them to the hub, the subscriber receives them.
#[tokio::test]
async fn a_mutation_reaches_its_subscriber() {
    let app = TestApp::spawn().await;
    let token = app.token_a("alice");
    let order_id = order_of_a(&app).await;
    let mut client = app.ws_connect(&token).await;
    client.subscribe("1", ORDER_EVENTS, json!({ "id": order_id })).await;
    app.wait_for_listeners(1).await;

    let shipped = app.ship(&token, &order_id, &[("A", 1)]).await;
    assert_eq!(shipped["userErrors"], json!([]), "{shipped}");

    let payload = next_of(&client.message().await, "1");
    assert_eq!(payload["data"]["orderEvents"]["type"], "shipment.created", "{payload}");
    assert_eq!(payload["data"]["orderEvents"]["aggregateId"], json!(order_id));
}
