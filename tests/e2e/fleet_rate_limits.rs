//! Issue 12: limits across the fleet. Two `tenant-oms serve` processes on one database and one
//! Redis (the test's own `redis-server`), a plan of 20 requests a minute: of 30 calls alternating
//! between them at most 20 are admitted, the rest refused as rate limited (none fails for any other
//! reason); with Redis stopped, calls are still admitted. The webhook routes' rates are shared
//! the same way.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Claims, ProcessFixture, TIGHT, error_code, events::OwnRedis, process::ServeProcess};

const PER_MINUTE: u64 = 20;
const CALLS: usize = 30;
/// The webhook routes' rate per tenant (`--webhook-requests-per-minute`).
const WEBHOOK_PER_MINUTE: u64 = 4;

/// The calls must all fall in one UTC minute (Redis counts by its clock, which is this one):
/// wait out a minute's last seconds rather than straddle two windows.
async fn early_in_a_minute() {
    let second = chrono::Utc::now().timestamp() % 60;
    if second > 45 {
        tokio::time::sleep(Duration::from_secs(u64::try_from(61 - second).unwrap_or(1))).await;
    }
}

async fn call(client: &reqwest::Client, server: &ServeProcess, token: &str) -> (u16, Value) {
    let answer = client
        .post(format!("http://{}/graphql", server.addr))
        .bearer_auth(token)
        .json(&json!({"query": "{ me { tenantId } }"}))
        .send()
        .await
        .expect("the server answers");
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn two_instances_share_one_plan_rate_through_redis_and_admit_calls_while_it_is_down() {
    let fixture = ProcessFixture::new().await;
    // The tenant's plan: 20 requests a minute.
    let mut config: Value = serde_json::from_str(&std::fs::read_to_string(&fixture.config_file).unwrap()).unwrap();
    let permissions = config["plans"]["standard"]["permissions"].clone();
    config["plans"]["fleet20"] = json!({"permissions": permissions, "limits": {"requests_per_minute": PER_MINUTE}});
    config["tenants"][TIGHT]["plan"] = json!("fleet20");
    std::fs::write(&fixture.config_file, config.to_string()).unwrap();

    let redis = OwnRedis::start().await;
    let stream = format!("oms-e2e:{}:events", uuid::Uuid::new_v4().simple());
    let webhook_rate = WEBHOOK_PER_MINUTE.to_string();
    let flags = [
        "--redis-url",
        &redis.url(),
        "--redis-stream",
        &stream,
        "--rate-limit-fail-open-secs",
        "600",
        "--webhook-requests-per-minute",
        &webhook_rate,
    ];
    let first = ServeProcess::start_with(&fixture.location, &fixture.config_file, &flags).await;
    let second = ServeProcess::start_with(&fixture.location, &fixture.config_file, &flags).await;
    let mut claims = Claims::for_tenants(&fixture.jwks.issuer(), "oms", "tia", &[TIGHT]);
    claims.extra.insert("roles".to_owned(), json!(["tenant_admin"]));
    let token = fixture.jwks.sign(&claims);
    let client = reqwest::Client::new();

    early_in_a_minute().await;
    let (mut admitted, mut limited) = (0, 0);
    for i in 0..CALLS {
        let server = if i % 2 == 0 { &first } else { &second };
        let (status, body) = call(&client, server, &token).await;
        match status {
            200 => {
                assert_eq!(body["data"]["me"]["tenantId"], TIGHT, "{body}");
                admitted += 1;
            }
            429 => {
                assert_eq!(error_code(&body), Some("RATE_LIMITED"), "{body}");
                limited += 1;
            }
            other => panic!("call {i}: HTTP {other}, neither admitted nor rate limited: {body}"),
        }
    }
    assert_eq!(admitted, PER_MINUTE, "the fleet admits the plan's rate, not twice it ({limited} refused)");
    assert_eq!(limited, CALLS as u64 - PER_MINUTE);

    // The tenant's add-order route: unsigned calls, refused (401) once counted, or rate limited
    // (429) before anything is read; the two instances share the route's rate.
    let (mut counted, mut webhook_limited) = (0, 0);
    for i in 0..8 {
        let server = if i % 2 == 0 { &first } else { &second };
        let answer = client
            .post(format!("http://{}/webhooks/{TIGHT}/add-order", server.addr))
            .body("{}")
            .send()
            .await
            .expect("the server answers");
        match answer.status().as_u16() {
            429 => {
                assert!(answer.headers().contains_key("retry-after"), "a 429 says when to retry");
                webhook_limited += 1;
            }
            401 | 404 => counted += 1,
            other => panic!("webhook call {i}: HTTP {other}"),
        }
    }
    assert_eq!(counted, WEBHOOK_PER_MINUTE, "the fleet admits the route's rate, not twice it");
    assert_eq!(webhook_limited, 8 - WEBHOOK_PER_MINUTE);

    // Redis gone: the minute is used up, yet calls are admitted (fail open), on both instances.
    redis.kill().await;
    for i in 0..6 {
        let server = if i % 2 == 0 { &first } else { &second };
        let (status, body) = call(&client, server, &token).await;
        assert_eq!(status, 200, "call {i} with Redis down: {body}");
    }
    first.kill_9().await;
    second.kill_9().await;
}
