//! GraphQL output types. They wrap domain values; nothing here decides anything.

mod audit;
mod common;
mod config;
mod order;
mod platform;
mod shipment;

pub use audit::AuditEntry;
pub use common::{Address, Customer, Me, Money, Package, Pickup};
pub use config::{ConfigChange, OutboundWebhook, RoleGrant, TenantConfig};
pub use order::{Order, OrderLine, OrderStatus, Review, ReviewDecision};
pub use platform::{Plan, Tenant, TenantStatus};
pub use shipment::{Shipment, ShipmentItem, ShipmentMode, ShipmentStatus};
