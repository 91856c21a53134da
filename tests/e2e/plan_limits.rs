//! The plan's request rate and query cost limits, per tenant.

use serde_json::json;

use crate::support::{TENANT_A, TIGHT, TestApp, error_code};

#[tokio::test]
async fn a_query_costlier_than_the_plan_allows_is_refused_before_it_runs() {
    let app = TestApp::spawn().await;
    let token = app.token_for(TIGHT, "tia", &["tenant_admin"]);
    let cheap = app.gql(&token, "{ me { subject } }", json!({})).await;
    assert!(cheap["errors"].is_null(), "{cheap}");
    let costly = "{ orders(first: 100) { nodes { id number status lines { sku quantity } } } }";
    let body = app.gql(&token, costly, json!({})).await;
    assert_eq!(error_code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["limit"], 40);
    assert!(body["data"].is_null(), "{body}");
    // Another plan's tenant may ask for the same.
    let other = app.gql(&app.token_a("alice"), costly, json!({})).await;
    assert!(other["errors"].is_null(), "{other}");
}

#[tokio::test]
async fn requests_beyond_the_plan_rate_are_refused_with_retry_after() {
    let app = TestApp::spawn().await;
    let token = app.token_for(TIGHT, "tia", &["tenant_admin"]);
    let auth = format!("Bearer {token}");
    let query = json!({"query": "{ me { subject } }"});
    let mut statuses = Vec::new();
    let mut refused = None;
    // 5 a minute; a minute boundary inside the loop can admit 5 more, so ask well past 10.
    for _ in 0..12 {
        let response =
            app.client.post(app.url("/graphql")).header("authorization", &auth).json(&query).send().await.unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            let retry = response.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap();
            assert!((1..=60).contains(&retry));
            refused = Some(response.json::<serde_json::Value>().await.unwrap());
        }
    }
    assert!(statuses.iter().filter(|s| **s == 200).count() <= 10, "{statuses:?}");
    let body = refused.expect("a request past the limit is refused");
    assert_eq!(error_code(&body), Some("RATE_LIMITED"), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["limit"], 5);
    // Other tenants are counted apart.
    let other = app.gql(&app.token_for(TENANT_A, "alice", &["tenant_admin"]), "{ me { subject } }", json!({})).await;
    assert!(other["errors"].is_null(), "{other}");
}

#[tokio::test]
async fn each_mutation_of_a_request_counts_against_the_plan_rate() {
    let app = TestApp::spawn().await;
    let token = app.token_for(TIGHT, "tia", &["tenant_admin"]);
    // All of it inside one UTC minute (the plan allows 5 a minute).
    let second = chrono::Utc::now().timestamp() % 60;
    if second >= 50 {
        tokio::time::sleep(std::time::Duration::from_secs((61 - second) as u64)).await;
    }
    let mutations = |n: usize| -> String {
        let fields: String = (0..n)
            .map(|i| format!("m{i}: confirmOrder(input: {{id: \"missing\"}}) {{ userErrors {{ code }} }} "))
            .collect();
        format!("mutation {{ {fields} }}")
    };
    // Six mutations are more than the minute holds: refused, and only the request itself counted.
    let (status, body) = app.gql_status(&token, &mutations(6), json!({})).await;
    assert_eq!((status, error_code(&body)), (429, Some("RATE_LIMITED")), "{body}");
    // Four mutations are four requests: with the refused one, the minute is used up.
    let (status, body) = app.gql_status(&token, &mutations(4), json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["m3"]["userErrors"][0]["code"], "NOT_FOUND", "{body}");
    let (status, body) = app.gql_status(&token, "{ me { subject } }", json!({})).await;
    assert_eq!((status, error_code(&body)), (429, Some("RATE_LIMITED")), "{body}");
}
