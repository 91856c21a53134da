//! The HTTP edge: malformed bodies, oversized bodies, abusive queries, health, request ids.

use serde_json::{Value, json};

use crate::support::{TestApp, error_code};

#[tokio::test]
async fn malformed_json_is_a_clear_400() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .post(app.url("/graphql"))
        .header("authorization", format!("Bearer {}", app.token_a("alice")))
        .header("content-type", "application/json")
        .body("{\"query\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(error_code(&body), Some("VALIDATION_FAILED"), "{body}");
}

#[tokio::test]
async fn huge_bodies_are_refused_before_being_read() {
    let app = TestApp::spawn().await;
    let huge = json!({"query": format!("{{ me {{ subject }} }} #{}", "x".repeat(2 * 1024 * 1024))});
    let (status, _) = app.post(&[("authorization", &format!("Bearer {}", app.token_a("alice")))], &huge).await;
    assert_eq!(status, 413);
}

#[tokio::test]
async fn deep_or_costly_queries_are_refused() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let mut deep = String::from("id");
    for _ in 0..8 {
        deep = format!("shipments {{ order {{ {deep} }} }}");
    }
    let body = app.gql(&t, &format!("{{ orders {{ nodes {{ {deep} }} }} }}"), json!({})).await;
    assert_eq!(error_code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");
    let syntax = app.gql(&t, "{ orders { ", json!({})).await;
    assert_eq!(error_code(&syntax), Some("VALIDATION_FAILED"), "{syntax}");
}

#[tokio::test]
async fn health_ready_graphiql_and_request_ids() {
    let app = TestApp::spawn().await;
    let h = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(h.status(), 200);
    let r = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let g = app.client.get(app.url("/graphql")).send().await.unwrap();
    assert_eq!(g.status(), 200);
    assert!(g.text().await.unwrap().contains("graphiql"));

    let given = app.client.get(app.url("/healthz")).header("x-request-id", "req-123").send().await.unwrap();
    assert_eq!(given.headers()["x-request-id"], "req-123");
    let generated = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert!(!generated.headers()["x-request-id"].is_empty());
}

/// `/graphql` with the given query-string parameters.
fn graphql_get_url(app: &TestApp, params: &[(&str, &str)]) -> reqwest::Url {
    let mut url = reqwest::Url::parse(&app.url("/graphql")).unwrap();
    url.query_pairs_mut().extend_pairs(params);
    url
}

#[tokio::test]
async fn get_runs_queries_but_never_mutations() {
    let app = TestApp::spawn().await;
    let auth = format!("Bearer {}", app.token_a("alice"));
    let url = graphql_get_url(
        &app,
        &[
            ("query", "query($n: Int) { orders(first: $n) { nodes { id } } me { subject } }"),
            ("variables", r#"{"n": 5}"#),
        ],
    );
    let query = app.client.get(url).header("authorization", &auth).send().await.unwrap();
    assert_eq!(query.status(), 200);
    let body: Value = query.json().await.unwrap();
    assert_eq!(body["data"]["me"]["subject"], "alice", "{body}");

    let url = graphql_get_url(&app, &[("query", "mutation { confirmOrder(input: {id: \"x\"}) { order { id } } }")]);
    let mutation = app.client.get(url).header("authorization", &auth).send().await.unwrap();
    assert_eq!(mutation.status(), 405);
    assert!(mutation.headers()["allow"].to_str().unwrap().contains("POST"));
    // Nothing ran: no audit record of a confirmOrder.
    let log = app.gql(&app.token_a("alice"), "{ auditLog(first: 5) { nodes { action } } }", json!({})).await;
    assert_eq!(log["data"]["auditLog"]["nodes"], json!([]), "{log}");

    let anonymous = app.client.get(graphql_get_url(&app, &[("query", "{ me { subject } }")])).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}
