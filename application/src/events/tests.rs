//! The decisions of events out, one step at a time, against small recording doubles: which
//! events become deliveries, what an attempt's outcome makes of a delivery and its endpoint,
//! and that a consumer's failure leaves events for the relay to publish again.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::TenantId;
use uuid::Uuid;

use super::*;
use crate::{
    ports::{
        AttemptFailure, AttemptOutcome, BusError, Clock, ConsumerError, DeliveryAttempt, DeliveryNext, DeliveryPage,
        DeliveryQuery, DeliveryRecord, DueDelivery, EndpointHealth, EventBus, EventConsumer, EventEnvelope,
        NewDelivery, RetrySchedule, StoreError, WebhookDeliveries, WebhookEndpoint, WebhookEndpoints, WebhookMessage,
        WebhookTransport,
    },
    testing::{FixedClock, InMemoryAuditLog, SequentialIds, StaticTenants},
};

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    futures::executor::block_on(future)
}

fn tenant(id: &str) -> TenantId {
    TenantId::new(id).unwrap()
}

fn event(tenant_id: &str, event_type: &str) -> EventEnvelope {
    EventEnvelope {
        id: Uuid::now_v7(),
        tenant_id: tenant(tenant_id),
        event_type: event_type.to_owned(),
        aggregate_id: "ord-1".to_owned(),
        aggregate_version: 1,
        occurred_at: Utc::now(),
        payload: "{}".to_owned(),
    }
}

struct Endpoints(Vec<(&'static str, Vec<String>)>);

#[async_trait]
impl WebhookEndpoints for Endpoints {
    fn endpoint(&self, t: &TenantId) -> Option<WebhookEndpoint> {
        self.0.iter().find(|(id, _)| *id == t.as_str()).map(|(_, events)| WebhookEndpoint {
            url: "https://hooks.example/oms".to_owned(),
            secret: "whsec_c2VjcmV0".to_owned(),
            events: events.clone(),
        })
    }

    async fn catch_up(&self, _: DateTime<Utc>) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Serves the endpoints only once caught up, as an instance a config poll behind the one that
/// made the change does; counts the catch-ups.
struct BehindByAPoll {
    stored: Endpoints,
    catch_ups: AtomicUsize,
}

impl BehindByAPoll {
    fn new(stored: Endpoints) -> Arc<BehindByAPoll> {
        Arc::new(BehindByAPoll { stored, catch_ups: AtomicUsize::new(0) })
    }

    fn catch_ups(&self) -> usize {
        self.catch_ups.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl WebhookEndpoints for BehindByAPoll {
    fn endpoint(&self, t: &TenantId) -> Option<WebhookEndpoint> {
        (self.catch_ups() > 0).then(|| self.stored.endpoint(t)).flatten()
    }

    async fn catch_up(&self, _: DateTime<Utc>) -> Result<(), StoreError> {
        self.catch_ups.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// `(tenant, since, now)` of one `redeliver_since`.
type RedeliveredSince = (TenantId, DateTime<Utc>, DateTime<Utc>);

/// Records what the use cases asked of the store; health as the test sets it.
#[derive(Default)]
struct Recorded {
    scheduled: Mutex<Vec<NewDelivery>>,
    attempts: Mutex<Vec<(DeliveryAttempt, DeliveryNext)>>,
    disabled: Mutex<Vec<String>>,
    health: Mutex<EndpointHealth>,
    redelivered_since: Mutex<Vec<RedeliveredSince>>,
}

#[async_trait]
impl WebhookDeliveries for Recorded {
    async fn schedule(&self, deliveries: &[NewDelivery]) -> Result<(), StoreError> {
        self.scheduled.lock().unwrap().extend_from_slice(deliveries);
        Ok(())
    }
    async fn claim_due(
        &self,
        _: DateTime<Utc>,
        _: Duration,
        _: usize,
        _: usize,
        _: &[(TenantId, usize)],
    ) -> Result<Vec<DueDelivery>, StoreError> {
        Ok(Vec::new())
    }
    async fn record_attempts(
        &self,
        attempts: &[(DeliveryAttempt, DeliveryNext)],
    ) -> Result<Vec<(TenantId, EndpointHealth)>, StoreError> {
        self.attempts.lock().unwrap().extend_from_slice(attempts);
        let health = self.health.lock().unwrap().clone();
        let mut failing: Vec<(TenantId, EndpointHealth)> = Vec::new();
        for (attempt, _) in attempts {
            if !attempt.outcome.succeeded() && !failing.iter().any(|(t, _)| *t == attempt.tenant_id) {
                failing.push((attempt.tenant_id.clone(), health.clone()));
            }
        }
        Ok(failing)
    }
    async fn health(&self, _: &TenantId) -> Result<EndpointHealth, StoreError> {
        Ok(self.health.lock().unwrap().clone())
    }
    async fn disable_endpoint(&self, _: &TenantId, _: DateTime<Utc>, reason: &str) -> Result<(), StoreError> {
        self.disabled.lock().unwrap().push(reason.to_owned());
        Ok(())
    }
    async fn enable_endpoint(&self, _: &TenantId) -> Result<(), StoreError> {
        Ok(())
    }
    async fn redeliver(&self, _: &TenantId, _: Uuid, _: DateTime<Utc>) -> Result<bool, StoreError> {
        Ok(false)
    }
    async fn redeliver_since(
        &self,
        tenant: &TenantId,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.redelivered_since.lock().unwrap().push((tenant.clone(), since, now));
        Ok(3)
    }
    async fn find(&self, _: &TenantId, _: Uuid) -> Result<Option<DeliveryRecord>, StoreError> {
        Ok(None)
    }
    async fn list(&self, _: &TenantId, _: &DeliveryQuery) -> Result<DeliveryPage, StoreError> {
        Ok(DeliveryPage { deliveries: Vec::new(), has_next_page: false })
    }
}

/// Answers every attempt with `status` (or times out when `None`) and keeps the messages.
struct Answering {
    status: Option<u16>,
    retry_after: Option<Duration>,
    sent: Mutex<Vec<WebhookMessage>>,
}

fn answering(status: Option<u16>) -> Arc<Answering> {
    Arc::new(Answering { status, retry_after: None, sent: Mutex::default() })
}

#[async_trait]
impl WebhookTransport for Answering {
    async fn send(&self, message: &WebhookMessage) -> AttemptOutcome {
        self.sent.lock().unwrap().push(message.clone());
        AttemptOutcome {
            status: self.status,
            latency: Duration::from_millis(3),
            response_excerpt: String::new(),
            retry_after: self.retry_after,
            failure: match self.status {
                None => Some(AttemptFailure::Timeout),
                Some(s) if (200..300).contains(&s) => None,
                Some(s) => Some(AttemptFailure::Status(s)),
            },
        }
    }
}

/// 10 s, 20 s, … up to 3 attempts; endpoints are disabled after 5 days of failures.
struct ShortSchedule;

impl RetrySchedule for ShortSchedule {
    fn next_retry_delay(&self, attempts_made: u32, retry_after: Option<Duration>) -> Option<Duration> {
        (attempts_made < 3)
            .then(|| Duration::from_secs(10 * u64::from(attempts_made)).max(retry_after.unwrap_or_default()))
    }
    fn disable_after(&self) -> Duration {
        Duration::from_secs(5 * 86_400)
    }
}

/// One attempt stored on its own, as the dispatch loop stores a batch of one.
async fn attempt_and_record(d: &WebhookDispatcher, delivery: DueDelivery) -> Result<DeliveryNext, StoreError> {
    let attempted = d.attempt(delivery).await?;
    let next = attempted.next.clone();
    d.record(&[attempted]).await?;
    Ok(next)
}

fn dispatcher(store: Arc<Recorded>, transport: Arc<Answering>, clock: Arc<FixedClock>) -> WebhookDispatcher {
    dispatcher_with(Arc::new(Endpoints(vec![("acme", vec![])])), store, transport, clock)
}

fn dispatcher_with(
    endpoints: Arc<dyn WebhookEndpoints>,
    store: Arc<Recorded>,
    transport: Arc<Answering>,
    clock: Arc<FixedClock>,
) -> WebhookDispatcher {
    WebhookDispatcher::new(
        store,
        endpoints,
        transport,
        Arc::new(ShortSchedule),
        clock,
        Arc::new(SequentialIds::default()),
        DispatchSettings::default(),
    )
}

fn due(attempts: u32) -> DueDelivery {
    DueDelivery {
        id: Uuid::now_v7(),
        tenant_id: tenant("acme"),
        event_id: Uuid::now_v7(),
        event_type: "order.created".to_owned(),
        attempts,
        payload: r#"{"type":"order.created"}"#.to_owned(),
    }
}

#[test]
fn patterns_match_exact_types_families_and_everything() {
    let patterns = |p: &[&str]| p.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert!(matches_any(&patterns(&["order.*"]), "order.created"));
    assert!(!matches_any(&patterns(&["order.*"]), "shipment.created"));
    assert!(matches_any(&patterns(&["shipment.delivered"]), "shipment.delivered"));
    assert!(!matches_any(&patterns(&["shipment.delivered"]), "shipment.dispatched"));
    assert!(matches_any(&patterns(&["*"]), "refund.processed"));
    assert!(matches_any(&[], "refund.processed"), "no patterns: every event");
}

#[test]
fn fanout_schedules_only_what_each_tenants_endpoint_asks_for() {
    let store = Arc::new(Recorded::default());
    let endpoints = Endpoints(vec![("acme", vec!["order.*".to_owned()])]);
    let fanout = WebhookFanout::new(
        Arc::new(endpoints),
        store.clone(),
        Arc::new(FixedClock::default()),
        Arc::new(SequentialIds::default()),
    );
    let events = [event("acme", "order.created"), event("acme", "shipment.created"), event("globex", "order.created")];
    block_on(fanout.consume(&events)).unwrap();
    let scheduled = store.scheduled.lock().unwrap();
    assert_eq!(scheduled.len(), 1, "{scheduled:?}");
    assert_eq!(scheduled[0].event_id, events[0].id);
    assert_eq!(scheduled[0].tenant_id, tenant("acme"));
}

#[test]
fn fanout_catches_up_with_the_config_before_skipping_an_event() {
    let store = Arc::new(Recorded::default());
    let endpoints = BehindByAPoll::new(Endpoints(vec![("acme", vec!["order.*".to_owned()])]));
    let fanout = WebhookFanout::new(
        endpoints.clone(),
        store.clone(),
        Arc::new(FixedClock::default()),
        Arc::new(SequentialIds::default()),
    );
    let created = event("acme", "order.created");
    block_on(fanout.consume(std::slice::from_ref(&created))).unwrap();
    assert_eq!(endpoints.catch_ups(), 1);
    let scheduled = store.scheduled.lock().unwrap();
    assert_eq!(scheduled.len(), 1, "the endpoint configured elsewhere gets the event: {scheduled:?}");
    assert_eq!(scheduled[0].event_id, created.id);
}

#[test]
fn fanout_does_not_catch_up_when_every_event_is_wanted() {
    let endpoints = BehindByAPoll::new(Endpoints(vec![("acme", vec!["order.*".to_owned()])]));
    block_on(endpoints.catch_up(Utc::now())).unwrap();
    let fanout = WebhookFanout::new(
        endpoints.clone(),
        Arc::new(Recorded::default()),
        Arc::new(FixedClock::default()),
        Arc::new(SequentialIds::default()),
    );
    block_on(fanout.consume(&[event("acme", "order.created")])).unwrap();
    assert_eq!(endpoints.catch_ups(), 1, "only the test's own");
}

#[test]
fn a_delivery_whose_endpoint_is_not_served_yet_is_sent_once_caught_up() {
    let (store, transport) = (Arc::new(Recorded::default()), answering(Some(200)));
    let endpoints = BehindByAPoll::new(Endpoints(vec![("acme", vec![])]));
    let d = dispatcher_with(endpoints.clone(), store, transport.clone(), Arc::default());
    assert_eq!(block_on(attempt_and_record(&d, due(0))).unwrap(), DeliveryNext::Succeeded);
    assert_eq!(endpoints.catch_ups(), 1);
    assert_eq!(transport.sent.lock().unwrap().len(), 1);
}

#[test]
fn a_successful_attempt_sends_the_event_id_and_payload_and_succeeds() {
    let (store, transport, clock) =
        (Arc::new(Recorded::default()), answering(Some(204)), Arc::new(FixedClock::default()));
    let delivery = due(0);
    let next =
        block_on(attempt_and_record(&dispatcher(store.clone(), transport.clone(), clock), delivery.clone())).unwrap();
    assert_eq!(next, DeliveryNext::Succeeded);
    let sent = transport.sent.lock().unwrap();
    assert_eq!(sent[0].id, delivery.event_id.to_string(), "webhook-id is the event id");
    assert_eq!(sent[0].body, delivery.payload);
    assert!(store.disabled.lock().unwrap().is_empty());
}

#[test]
fn a_failed_attempt_is_retried_on_the_schedule_until_it_runs_out() {
    let clock = Arc::new(FixedClock::default());
    let store = Arc::new(Recorded::default());
    let d = dispatcher(store.clone(), answering(Some(500)), clock.clone());
    let now = clock.now();
    assert_eq!(block_on(attempt_and_record(&d, due(0))).unwrap(), DeliveryNext::RetryAt(now + Duration::from_secs(10)));
    assert_eq!(block_on(attempt_and_record(&d, due(1))).unwrap(), DeliveryNext::RetryAt(now + Duration::from_secs(20)));
    assert_eq!(block_on(attempt_and_record(&d, due(2))).unwrap(), DeliveryNext::Failed, "the schedule ran out");
    let attempts = store.attempts.lock().unwrap();
    assert_eq!(attempts.len(), 3, "every attempt is stored");
    assert_eq!(attempts[0].0.outcome.failure, Some(AttemptFailure::Status(500)));
}

#[test]
fn retry_after_longer_than_the_schedule_is_honoured() {
    let clock = Arc::new(FixedClock::default());
    let transport =
        Arc::new(Answering { status: Some(429), retry_after: Some(Duration::from_secs(120)), sent: Mutex::default() });
    let next =
        block_on(attempt_and_record(&dispatcher(Arc::new(Recorded::default()), transport, clock.clone()), due(0)))
            .unwrap();
    assert_eq!(next, DeliveryNext::RetryAt(clock.now() + Duration::from_secs(120)));
}

#[test]
fn gone_disables_the_endpoint_at_once_and_fails_the_delivery() {
    let store = Arc::new(Recorded::default());
    let next =
        block_on(attempt_and_record(&dispatcher(store.clone(), answering(Some(410)), Arc::default()), due(0))).unwrap();
    assert_eq!(next, DeliveryNext::Failed);
    assert_eq!(store.disabled.lock().unwrap().as_slice(), ["the endpoint answered 410 Gone"]);
}

#[test]
fn five_days_of_failures_disable_the_endpoint_and_less_does_not() {
    let clock = Arc::new(FixedClock::default());
    let store = Arc::new(Recorded::default());
    let d = dispatcher(store.clone(), answering(None), clock.clone());
    store.health.lock().unwrap().failing_since = Some(clock.now() - chrono::Duration::days(4));
    block_on(attempt_and_record(&d, due(0))).unwrap();
    assert!(store.disabled.lock().unwrap().is_empty(), "4 days is not yet 5");
    store.health.lock().unwrap().failing_since = Some(clock.now() - chrono::Duration::days(5));
    block_on(attempt_and_record(&d, due(0))).unwrap();
    assert_eq!(store.disabled.lock().unwrap().as_slice(), ["every attempt failed for 5 days"]);
}

#[test]
fn a_delivery_of_a_tenant_without_an_endpoint_fails_without_sending() {
    let transport = answering(Some(200));
    let store = Arc::new(Recorded::default());
    let mut delivery = due(0);
    delivery.tenant_id = tenant("globex");
    let next =
        block_on(attempt_and_record(&dispatcher(store.clone(), transport.clone(), Arc::default()), delivery)).unwrap();
    assert_eq!(next, DeliveryNext::Failed);
    assert!(transport.sent.lock().unwrap().is_empty());
}

struct Failing;

#[async_trait]
impl EventConsumer for Failing {
    fn name(&self) -> &'static str {
        "failing"
    }
    async fn consume(&self, _: &[EventEnvelope]) -> Result<(), ConsumerError> {
        Err(ConsumerError("storage down".to_owned()))
    }
}

#[test]
fn the_in_process_bus_fails_the_publish_when_a_consumer_fails() {
    let bus = InProcessBus::new(vec![Arc::new(Failing)], Vec::new());
    let err = block_on(bus.publish(&[event("acme", "order.created")])).unwrap_err();
    assert!(matches!(err, BusError::ConsumerFailed { consumer: "failing", .. }), "{err}");
}

fn views(store: Arc<Recorded>, log: InMemoryAuditLog, plan: crate::access::PermissionSet) -> WebhookDeliveryService {
    let tenants = StaticTenants::single(
        tenant("acme"),
        plan,
        crate::ports::PlanLimits::default(),
        crate::ports::TenantSettings::default(),
    );
    WebhookDeliveryService::new(
        Arc::new(tenants),
        store,
        Arc::new(log),
        Arc::new(FixedClock::default()),
        Arc::new(SequentialIds::default()),
    )
}

fn acme(roles: &[&str]) -> crate::Principal {
    crate::Principal {
        tenant_id: tenant("acme"),
        subject: "alice".to_owned(),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        vendor_id: None,
        request_id: Some("req-1".to_owned()),
    }
}

#[test]
fn redelivering_since_a_time_makes_the_tenants_deliveries_due_now_and_is_audited() {
    let (store, log) = (Arc::new(Recorded::default()), InMemoryAuditLog::new());
    let service = views(store.clone(), log.clone(), crate::Permission::ALL.into_iter().collect());
    let now = FixedClock::default().now();
    let since = now - chrono::Duration::hours(2);

    assert_eq!(block_on(service.redeliver_since(&acme(&["tenant_admin"]), since)).unwrap(), 3);

    assert_eq!(store.redelivered_since.lock().unwrap().clone(), [(tenant("acme"), since, now)]);
    let records = log.records();
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!((record.action.as_str(), record.outcome.as_str()), ("redeliverWebhooks", crate::ports::OUTCOME_OK));
    assert_eq!(record.input, serde_json::json!({"since": "2025-12-31T22:00:00Z"}));
    assert_eq!(record.request_id.as_deref(), Some("req-1"));
}

#[test]
fn redelivering_since_needs_webhook_manage_and_a_time_not_in_the_future_and_refusals_are_audited() {
    let (store, log) = (Arc::new(Recorded::default()), InMemoryAuditLog::new());
    let service = views(store.clone(), log.clone(), crate::Permission::ALL.into_iter().collect());
    let now = FixedClock::default().now();

    let refused = block_on(service.redeliver_since(&acme(&["vendor"]), now)).unwrap_err();
    assert_eq!(refused.code, crate::ErrorCode::Forbidden);
    let later = block_on(service.redeliver_since(&acme(&["tenant_admin"]), now + chrono::Duration::seconds(1)));
    let invalid = later.unwrap_err();
    assert_eq!(invalid.code, crate::ErrorCode::ValidationFailed);
    assert_eq!(invalid.field, Some(vec!["input".to_owned(), "since".to_owned()]));

    assert!(store.redelivered_since.lock().unwrap().is_empty(), "nothing was made due");
    let outcomes: Vec<String> = log.records().into_iter().map(|r| r.outcome).collect();
    assert_eq!(outcomes, ["FORBIDDEN", "VALIDATION_FAILED"], "one record per refused call");
}
