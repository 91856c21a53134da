//! The pure model of tenant-oms: no I/O, no async, no framework types.
//!
//! Every rule that decides whether a change is allowed lives here, so that the
//! application layer only orchestrates (load, call, save) and the adapters only translate.

pub mod error;
pub mod events;
pub mod identifier;
pub mod ids;
pub mod ledger;
pub mod money;
pub mod order;

pub use error::DomainError;
pub use ids::{OrderId, ReturnId, ShipmentId, Sku, TenantId, VendorId};
pub use money::{Currency, Money};
