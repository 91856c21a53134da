use std::collections::HashSet;
use std::sync::Mutex;

use application::ports::{ConsumerError, EventConsumer, EventEnvelope, LiveListener};
use async_trait::async_trait;
use chrono::Utc;
use domain::TenantId;
use uuid::Uuid;

pub(super) const GROUP: &str = "test-consumer";

pub(super) fn event(aggregate: &str, version: i64) -> EventEnvelope {
    EventEnvelope {
        id: Uuid::now_v7(),
        tenant_id: TenantId::new("acme").expect("tenant"),
        event_type: "OrderPlaced".to_owned(),
        aggregate_id: aggregate.to_owned(),
        aggregate_version: version,
        occurred_at: Utc::now(),
        payload: format!(r#"{{"aggregateId":"{aggregate}","aggregateVersion":{version},"data":{{}}}}"#),
    }
}

pub(super) fn events(aggregate: &str, versions: std::ops::RangeInclusive<i64>) -> Vec<EventEnvelope> {
    versions.map(|version| event(aggregate, version)).collect()
}

/// When a [`RecordingConsumer`] refuses a batch.
pub(super) enum Refusal {
    Never,
    /// The first batch that holds any of these events.
    FirstTime(HashSet<Uuid>),
    /// Every batch that holds an event of this aggregate.
    Always {
        aggregate: &'static str,
    },
}

/// Records every batch it is offered and whether it took it.
pub(super) struct RecordingConsumer {
    refusal: Refusal,
    offers: Mutex<Vec<(Vec<EventEnvelope>, bool)>>,
}

impl RecordingConsumer {
    pub fn new(refusal: Refusal) -> RecordingConsumer {
        RecordingConsumer { refusal, offers: Mutex::new(Vec::new()) }
    }

    /// The events of the batches taken, in the order taken.
    pub fn taken(&self) -> Vec<EventEnvelope> {
        let offers = self.offers.lock().expect("lock");
        offers.iter().filter(|(_, taken)| *taken).flat_map(|(batch, _)| batch.clone()).collect()
    }

    /// How often the event was offered, taken or not.
    pub fn times_offered(&self, id: Uuid) -> usize {
        let offers = self.offers.lock().expect("lock");
        offers.iter().flat_map(|(batch, _)| batch).filter(|event| event.id == id).count()
    }

    fn takes(&self, batch: &[EventEnvelope], earlier: &[(Vec<EventEnvelope>, bool)]) -> bool {
        match &self.refusal {
            Refusal::Never => true,
            Refusal::Always { aggregate } => !batch.iter().any(|event| event.aggregate_id == *aggregate),
            Refusal::FirstTime(ids) => {
                let seen_before = |id: &Uuid| earlier.iter().flat_map(|(batch, _)| batch).any(|event| event.id == *id);
                !batch.iter().any(|event| ids.contains(&event.id) && !seen_before(&event.id))
            }
        }
    }
}

#[async_trait]
impl EventConsumer for RecordingConsumer {
    fn name(&self) -> &'static str {
        GROUP
    }

    async fn consume(&self, events: &[EventEnvelope]) -> Result<(), ConsumerError> {
        let mut offers = self.offers.lock().expect("lock");
        let takes = self.takes(events, &offers);
        offers.push((events.to_vec(), takes));
        if takes { Ok(()) } else { Err(ConsumerError("refused by the test".to_owned())) }
    }
}

/// Records what a live feed observes.
#[derive(Default)]
pub(super) struct RecordingListener {
    observed: Mutex<Vec<EventEnvelope>>,
}

impl RecordingListener {
    pub fn observed(&self) -> Vec<EventEnvelope> {
        self.observed.lock().expect("lock").clone()
    }
}

impl LiveListener for RecordingListener {
    fn observe(&self, event: &EventEnvelope) {
        self.observed.lock().expect("lock").push(event.clone());
    }
}

pub(super) fn ids(events: &[EventEnvelope]) -> Vec<Uuid> {
    events.iter().map(|event| event.id).collect()
}
