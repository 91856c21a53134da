//! `tenant-oms validate-flows` against real servers: every flow passes against `tenant-oms
//! demo`; on a plan without `shipment:create` the fulfilment flow fails at `createShipment`,
//! saying why, and the command exits 1.

use std::time::Duration;

use infrastructure::identity::DevTokenIssuer;
use serde_json::{Value, json};

use crate::support::{ProcessFixture, process::DemoProcess, process::ServeProcess};

const FLOWS: [&str; 6] = [
    "fulfilment",
    "review_hold",
    "cancel_with_open_shipment",
    "return_refund",
    "idempotent_replays",
    "over_shipment_refused",
];

/// Runs `validate-flows`, the token in the environment as an operator should pass it.
async fn validate_flows(url: &str, tenant: &str, token: &str, json: bool) -> (bool, String) {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_tenant-oms"));
    command.args(["validate-flows", "--url", url, "--tenant", tenant]).env("OMS_TOKEN", token);
    if json {
        command.arg("--json");
    }
    let out = tokio::time::timeout(Duration::from_secs(300), command.output())
        .await
        .expect("validate-flows finishes")
        .expect("run validate-flows");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        !stdout.contains(token),
        "the token must never be printed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), stdout)
}

#[tokio::test]
async fn every_flow_passes_against_the_demo() {
    let demo = DemoProcess::start().await;
    let url = format!("http://{}/graphql", demo.addr);
    let (succeeded, stdout) = validate_flows(&url, "demo", &demo.token, false).await;
    let lines: Vec<&str> = stdout.lines().collect();
    let wanted: Vec<String> = FLOWS.iter().map(|f| format!("pass {f}")).collect();
    assert_eq!(lines, wanted, "{stdout}");
    assert!(succeeded, "exit status must be 0 when every flow passes:\n{stdout}");

    // Run again on the same tenant: the flows make orders of their own each run.
    let base_url = format!("http://{}", demo.addr);
    let (succeeded, stdout) = validate_flows(&base_url, "demo", &demo.token, true).await;
    assert!(succeeded, "{stdout}");
    let reports: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    assert_eq!(reports.len(), FLOWS.len(), "{stdout}");
    assert!(reports.iter().all(|r| r["result"] == "pass"), "{stdout}");
}

const NO_SHIPMENTS: &str = "tenant_no_shipments";
const HS256_SECRET: &str = "validate-flows-hs256-secret-0123456789abcdef";

/// The test config plus a tenant on a plan with everything but `shipment:create`.
fn config_without_shipment_create(fixture: &ProcessFixture) -> std::path::PathBuf {
    let mut config: Value =
        serde_json::from_str(&std::fs::read_to_string(&fixture.config_file).expect("config")).expect("config json");
    let permissions: Vec<&str> =
        infrastructure::config::tenant_permissions().filter(|p| *p != "shipment:create").collect();
    config["plans"]["no_shipments"] = json!({"permissions": permissions});
    config["tenants"][NO_SHIPMENTS] = json!({"plan": "no_shipments", "idp": {
        "issuer": "validate-flows-idp", "audience": "oms-vf", "algorithms": ["HS256"], "hs256_secret": HS256_SECRET,
        "tenant_claim": "tenant", "roles_claim": "roles"}});
    let file = fixture.config_file.with_file_name("no-shipments.json");
    std::fs::write(&file, config.to_string()).expect("write config");
    file
}

#[tokio::test]
async fn a_plan_without_shipment_create_fails_at_that_step() {
    let fixture = ProcessFixture::new().await;
    let config = config_without_shipment_create(&fixture);
    let server = ServeProcess::start(&fixture.location, &config).await;
    let token = DevTokenIssuer::new(HS256_SECRET, "validate-flows-idp", "oms-vf").mint(
        NO_SHIPMENTS,
        "validator",
        &["tenant_admin"],
        Duration::from_secs(3600),
    );
    let url = format!("http://{}", server.addr);

    let (succeeded, stdout) = validate_flows(&url, NO_SHIPMENTS, &token, false).await;
    assert!(!succeeded, "a failing flow must make the exit status 1:\n{stdout}");
    let fulfilment = stdout.lines().find(|l| l.contains(" fulfilment ")).unwrap_or_default();
    assert!(
        fulfilment.starts_with("fail fulfilment at step 'createShipment': PLAN_FORBIDDEN"),
        "the failing step and why: {stdout}"
    );
    // Flows that need no new shipment still pass: one line per flow, each judged on its own.
    assert!(stdout.lines().any(|l| l == "pass idempotent_replays"), "{stdout}");
    assert_eq!(stdout.lines().count(), FLOWS.len(), "{stdout}");

    let (succeeded, stdout) = validate_flows(&url, NO_SHIPMENTS, &token, true).await;
    assert!(!succeeded);
    let fulfilment: Value =
        stdout.lines().map(|l| serde_json::from_str::<Value>(l).expect("a JSON line")).next().expect("a line");
    assert_eq!(fulfilment["flow"], "fulfilment");
    assert_eq!(fulfilment["result"], "fail");
    assert_eq!(fulfilment["step"], "createShipment");
    assert!(fulfilment["error"].as_str().is_some_and(|e| e.starts_with("PLAN_FORBIDDEN")), "{fulfilment}");
    server.kill_9().await;
}
