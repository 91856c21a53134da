//! GraphQL output types. They wrap domain values; nothing here decides anything.

mod audit;
mod common;
mod config;
mod event;
mod ledger;
mod order;
mod platform;
mod returns;
mod shipment;
mod webhooks;

pub use audit::AuditEntry;
pub use common::{Address, Customer, Me, Money, Package, Pickup};
pub use config::{ConfigChange, OutboundWebhook, RoleGrant, TenantConfig};
pub use event::{EVENT_PAGE_COST, OrderEvent};
pub use ledger::{CurrencyBalance, EntryKind, LedgerEntry, OrderBalance, PaymentStatus, Posting, Side, TrialBalance};
pub use order::{Order, OrderLine, OrderStatus, Review, ReviewDecision};
pub use platform::{Plan, Tenant, TenantStatus};
pub use returns::{CapApplied, Refund, Return, ReturnLine, ReturnStatus};
pub use shipment::{Shipment, ShipmentItem, ShipmentMode, ShipmentStatus};
pub use webhooks::{WebhookAttempt, WebhookDelivery, WebhookDeliveryStatus, WebhookEndpointStatus};
