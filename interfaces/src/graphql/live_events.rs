//! The in-process hub between the event bus and the GraphQL subscriptions.
//!
//! The bus hands every relayed event to [`LiveEvents::observe`] on its publishing path, so that
//! call never waits: it pushes into a bounded broadcast channel and returns. Each subscription
//! holds its own receiver and keeps only what its scope admits, judged on the envelope's routing
//! fields before the payload is parsed. A subscriber that falls more than the channel's capacity
//! behind skips what it missed and carries on (live events are best effort; the order's history
//! is the place to catch up).

use std::sync::Arc;

use application::ports::{EventEnvelope, LiveListener};
use futures::Stream;
use tokio::sync::broadcast::{self, error::RecvError};

/// Events kept for the slowest subscriber before it starts skipping.
pub const DEFAULT_CAPACITY: usize = 4096;

pub struct LiveEvents {
    sender: broadcast::Sender<Arc<EventEnvelope>>,
}

impl LiveEvents {
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }

    pub fn with_capacity(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        Self { sender }
    }

    /// Starts receiving: every event observed from now on, until the returned value is dropped.
    pub fn subscribe(&self) -> LiveSubscription {
        LiveSubscription { receiver: self.sender.subscribe() }
    }

    /// Subscriptions open now (a test waits on it to know a subscription has started).
    pub fn subscriber_count(&self) -> usize {
        self.sender.receiver_count()
    }
}

impl Default for LiveEvents {
    fn default() -> Self {
        Self::new()
    }
}

impl LiveListener for LiveEvents {
    fn observe(&self, event: &EventEnvelope) {
        // Nobody listening: not even the clone is paid for.
        if self.sender.receiver_count() == 0 {
            return;
        }
        // An error only means the last receiver went away meanwhile.
        let _ = self.sender.send(Arc::new(event.clone()));
    }
}

/// One subscriber's view of the hub.
pub struct LiveSubscription {
    receiver: broadcast::Receiver<Arc<EventEnvelope>>,
}

impl LiveSubscription {
    /// The next event `keep` admits; `None` once the hub is gone.
    pub async fn next_where(&mut self, keep: impl Fn(&EventEnvelope) -> bool) -> Option<Arc<EventEnvelope>> {
        loop {
            match self.receiver.recv().await {
                Ok(event) if keep(&event) => return Some(event),
                Ok(_) => {}
                Err(RecvError::Lagged(skipped)) => {
                    tracing::debug!(skipped, "live subscriber fell behind; skipping the events it missed");
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// The events `keep` admits, as a stream that ends when the hub is gone.
    pub fn filter(
        self,
        keep: impl Fn(&EventEnvelope) -> bool + Send + 'static,
    ) -> impl Stream<Item = Arc<EventEnvelope>> {
        futures::stream::unfold((self, keep), |(mut subscription, keep)| async move {
            let event = subscription.next_where(&keep).await?;
            Some((event, (subscription, keep)))
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use domain::TenantId;
    use futures::StreamExt;
    use uuid::Uuid;

    use super::*;

    fn event(tenant: &str, aggregate: &str, version: i64) -> EventEnvelope {
        EventEnvelope {
            id: Uuid::new_v4(),
            tenant_id: TenantId::new(tenant).expect("tenant id"),
            event_type: "order.confirmed".to_owned(),
            aggregate_id: aggregate.to_owned(),
            aggregate_version: version,
            occurred_at: Utc::now(),
            payload: "{}".to_owned(),
        }
    }

    #[tokio::test]
    async fn a_subscriber_gets_what_its_filter_admits_in_order() {
        let hub = LiveEvents::new();
        let stream = hub.subscribe().filter(|e| e.tenant_id.as_str() == "a" && e.aggregate_id == "o1");
        futures::pin_mut!(stream);
        hub.observe(&event("b", "o1", 1));
        hub.observe(&event("a", "o2", 1));
        hub.observe(&event("a", "o1", 1));
        hub.observe(&event("a", "o1", 2));
        assert_eq!(stream.next().await.map(|e| e.aggregate_version), Some(1));
        assert_eq!(stream.next().await.map(|e| e.aggregate_version), Some(2));
    }

    #[tokio::test]
    async fn nothing_is_kept_when_nobody_listens_and_a_dropped_subscription_is_forgotten() {
        let hub = LiveEvents::with_capacity(4);
        hub.observe(&event("a", "o1", 1));
        let subscription = hub.subscribe();
        assert_eq!(hub.subscriber_count(), 1);
        drop(subscription);
        assert_eq!(hub.subscriber_count(), 0);
        hub.observe(&event("a", "o1", 2));
        // The event observed before anyone subscribed is not replayed.
        let mut late = hub.subscribe();
        hub.observe(&event("a", "o1", 3));
        assert_eq!(late.next_where(|_| true).await.map(|e| e.aggregate_version), Some(3));
    }

    #[tokio::test]
    async fn a_lagging_subscriber_skips_what_it_missed_and_keeps_going() {
        let hub = LiveEvents::with_capacity(2);
        let mut subscription = hub.subscribe();
        for version in 1..=5 {
            hub.observe(&event("a", "o1", version));
        }
        // Capacity 2: versions 4 and 5 remain.
        assert_eq!(subscription.next_where(|_| true).await.map(|e| e.aggregate_version), Some(4));
        assert_eq!(subscription.next_where(|_| true).await.map(|e| e.aggregate_version), Some(5));
        hub.observe(&event("a", "o1", 6));
        assert_eq!(subscription.next_where(|_| true).await.map(|e| e.aggregate_version), Some(6));
    }

    #[tokio::test]
    async fn the_stream_ends_when_the_hub_is_gone() {
        let hub = LiveEvents::new();
        let stream = hub.subscribe().filter(|_| true);
        futures::pin_mut!(stream);
        drop(hub);
        assert!(stream.next().await.is_none());
    }
}
