//! Events out (SPEC.md section 6): the relay from the outbox to the bus, the in-process bus,
//! the outbound webhooks (fan-out into deliveries, attempts on a schedule, the tenant's view of
//! them), and the events read back (an order's timeline, the tenant's pull feed). The loops
//! that drive these live in the composition root; everything here is one step at a time, so it
//! can be tested without a runtime's timers.

mod event_feed;
mod event_patterns;
mod in_process_bus;
mod relay;
mod webhook_dispatch;
mod webhook_fanout;
mod webhook_views;

pub use event_feed::{EventFeedService, FeedListQuery, MAX_FILTER_TYPES, MAX_TYPE_LEN, TimelineListQuery};
pub use event_patterns::matches_any;
pub use in_process_bus::InProcessBus;
pub use relay::{OutboxRelay, RELAY_BATCH};
pub use webhook_dispatch::{Attempted, DispatchSettings, WebhookDispatcher};
pub use webhook_fanout::WebhookFanout;
pub use webhook_views::{DeliveryListQuery, WebhookDeliveryService};

#[cfg(test)]
mod event_feed_tests;
#[cfg(test)]
mod tests;
