//! Webhooks in (SPEC.md section 5): a partner's signed add-order and a carrier's signed tracking
//! reports, on a tenant's routes or the provider's. Each delivery is verified against the
//! settings of its route (the `InboundWebhooks` port), read, then acted on by an order command
//! that also remembers it, so that a replay changes nothing. Every delivery leaves one audit
//! record: the command's, or, for a delivery refused before one ran, this module's. The inbound
//! `add_order` stream (`stream`) runs the add-order path for messages read from Redis.

mod body;
mod intake;
mod stream;

pub use intake::{Delivery, FailureKind, WebhookAnswer, WebhookFailure, WebhookIntake};
pub use stream::MAX_MESSAGE_ID_CHARS;
