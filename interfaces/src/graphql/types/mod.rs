//! GraphQL output types. They wrap domain values; nothing here decides anything.

mod audit;
mod common;
mod order;
mod platform;
mod shipment;

pub use audit::AuditEntry;
pub use common::{Address, Customer, Me, Money, Package, Pickup};
pub use order::{Order, OrderLine, OrderStatus, Review, ReviewDecision};
pub use platform::{Plan, Tenant};
pub use shipment::{Shipment, ShipmentItem, ShipmentMode, ShipmentStatus};
