//! In-memory doubles of the ports, so that use cases and the order-command runner can be
//! unit-tested without a database. Compiled for this crate's tests and, for other crates' tests,
//! behind the `testing` feature: no production build carries them.
//!
//! The doubles keep the ports' contracts (the trait doc comments), not just their signatures: a
//! transaction is the only writer while it lives, sees its own writes, and applies them all at
//! commit or none when dropped; unique keys answer `Duplicate`, a stale version `Conflict`.

mod audit_log;
mod clock;
mod faults;
mod order_store;
mod order_tx;
mod queries;
mod tables;
mod tenants;
#[cfg(test)]
mod tests;

pub use audit_log::InMemoryAuditLog;
pub use clock::{FixedClock, SequentialIds};
pub use order_store::InMemoryOrderStore;
pub use tenants::StaticTenants;

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks a std mutex even when a panic elsewhere poisoned it: one failed assertion in a test
/// must not turn every later inspection into a second, misleading panic.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
