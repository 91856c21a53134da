//! Use cases of tenant-oms and the ports they drive. One module per capability; each use case
//! authenticates nothing itself (the caller's `Principal` is handed in), loads aggregates through
//! ports, calls the domain, and saves the change with its outbox events in one transaction.

pub mod access;
pub mod audit_log;
mod audit_trail;
pub mod error;
pub mod events;
pub mod orders;
pub mod paging;
pub mod platform;
pub mod ports;
pub mod principal;
pub mod session;
pub mod tenant_config;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod webhooks_in;

pub use access::Permission;
pub use error::{AppError, ErrorCode};
pub use principal::{Caller, Principal, ProviderAdmin};
