//! One tenant's slow endpoint does not hold up another's (issue 10's acceptance): tenant A's
//! receiver takes 5 s per call and A has more events queued than its 16 slots, yet tenant P's
//! deliveries arrive within 2 s of their orders' creation.

use std::time::{Duration, Instant};

use tenant_oms::app::EventsSettings;

use crate::support::{
    TestApp,
    events::{aggregate_id, order_created, point_webhook},
    line,
    receiver::Receiver,
};

/// The slow endpoint's answer time.
const SLOW: Duration = Duration::from_secs(5);
/// The dispatcher's cap of one tenant's attempts in flight (`DispatchSettings::per_tenant`).
const PER_TENANT: usize = 16;
/// The acceptance bound for the other tenant's deliveries.
const BOUND: Duration = Duration::from_secs(2);

#[tokio::test]
async fn a_slow_tenant_endpoint_does_not_delay_another_tenants_deliveries() {
    let app = TestApp::spawn_events(EventsSettings { allow_private_webhook_urls: true, ..Default::default() }).await;
    let slow = Receiver::start().await;
    slow.pause(SLOW);
    let fast = Receiver::start().await;
    let token_a = app.token_a("alice");
    let token_p = app.token_p("paula");
    point_webhook(&app, &token_a, &slow.url(), &["order.created"]).await;
    point_webhook(&app, &token_p, &fast.url(), &["order.created"]).await;

    let started = Instant::now();
    for i in 0..PER_TENANT * 2 {
        app.create_order(&token_a, &format!("SLOW-{i}"), vec![line("SKU-1", 1, "5.00")]).await;
    }
    // A's slots are all taken, and as many of its events wait behind them.
    let taken = slow.wait_for(PER_TENANT, SLOW, order_created).await;
    assert!(taken.len() >= PER_TENANT, "A's first deliveries are under way: {}", taken.len());
    // Before any answer came back, exactly the cap is in flight (on a machine so loaded that
    // creating the orders took longer than an answer, later attempts may have started).
    if started.elapsed() < SLOW {
        assert_eq!(taken.len(), PER_TENANT, "A never has more than {PER_TENANT} calls in flight");
    }

    for i in 0..3 {
        let order = app.create_order(&token_p, &format!("FAST-{i}"), vec![line("SKU-1", 1, "5.00")]).await;
        let created = Instant::now();
        let id = order["id"].as_str().expect("order id").to_owned();
        let arrived = fast.wait_for(1, BOUND, |r| order_created(r) && aggregate_id(r) == id).await;
        let lag = created.elapsed();
        assert_eq!(arrived.len(), 1, "P's order {i} was not delivered within {BOUND:?}");
        assert!(lag <= BOUND, "P's order {i} took {lag:?}");
    }
    // None of A's calls has been answered yet (on a machine slow enough for that to be
    // otherwise, the count says nothing about the cap).
    if started.elapsed() < SLOW {
        assert_eq!(slow.received().len(), PER_TENANT, "A never has more than {PER_TENANT} calls in flight");
    }
}
