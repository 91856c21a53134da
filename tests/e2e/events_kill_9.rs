//! A server killed with SIGKILL while orders are being created, then started again on the same
//! database (issue 10's acceptance): every order it acknowledged gets its `order.created`
//! delivered, whether the kill caught its event in the outbox, in the fan-out or in flight.

use std::{collections::HashSet, time::Duration};

use serde_json::json;

use crate::support::{
    ProcessFixture,
    create_load::{CreateLoad, graphql},
    events::{SECRET, aggregate_id, order_created},
    process::ServeProcess,
    receiver::Receiver,
};

const UPDATE_CONFIG: &str = "mutation($input: UpdateTenantConfigInput!) { updateTenantConfig(input: $input) { \
  userErrors { code field message } } }";
const FLAGS: &[&str] = &["--allow-private-webhook-urls"];
/// Orders acknowledged before the kill, at least.
const LOAD: usize = 40;
/// A delivery the killed process had claimed is leased to it (`DispatchSettings::lease`, 30 s);
/// the restarted one attempts it once the lease runs out. Everything else arrives within seconds.
const PATIENCE: Duration = Duration::from_secs(45);

#[tokio::test]
async fn every_acknowledged_order_is_delivered_after_kill_9_and_a_restart() {
    let fixture = ProcessFixture::new().await;
    let receiver = Receiver::start().await;
    let token = fixture.token_a("loader");
    let server = ServeProcess::start_with(&fixture.location, &fixture.config_file, FLAGS).await;
    let addr = server.addr;
    let client = reqwest::Client::new();
    let webhook =
        json!({"input": {"outboundWebhook": {"url": receiver.url(), "secret": SECRET, "events": ["order.created"]}}});
    let configured = graphql(&client, addr, &token, UPDATE_CONFIG, webhook).await.expect("answer");
    assert_eq!(configured["data"]["updateTenantConfig"]["userErrors"], json!([]), "{configured}");

    let load = CreateLoad::start(addr, &token);
    // Kill once the load is well under way, deliveries going out meanwhile.
    load.until_acknowledged(LOAD, 400).await;
    server.kill_9().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let acknowledged: HashSet<String> = load.stop().await.into_iter().collect();
    assert!(acknowledged.len() >= LOAD, "the load produced only {} orders before the kill", acknowledged.len());
    let before_restart = receiver.received().into_iter().filter(order_created).count();

    let restarted = ServeProcess::start_with(&fixture.location, &fixture.config_file, FLAGS).await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let missing = loop {
        let delivered: HashSet<String> =
            receiver.received().into_iter().filter(order_created).map(|r| aggregate_id(&r)).collect();
        let missing: Vec<String> = acknowledged.difference(&delivered).cloned().collect();
        if missing.is_empty() || tokio::time::Instant::now() >= deadline {
            break missing;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged orders never delivered ({before_restart} arrived before the restart): {missing:?}",
        missing.len(),
        acknowledged.len()
    );
    restarted.kill_9().await;
}
