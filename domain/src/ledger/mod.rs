//! The Ledger (SPEC §2 "Ledger", "Returns and refunds"): a tenant's double-entry books.
//!
//! - [`Account`]: the closed set of accounts and their normal sides;
//! - [`JournalEntry`] / [`Posting`]: balanced per currency and immutable, or never built;
//! - [`entries`]: one constructor per entry the system writes;
//! - [`OrderBalance`], [`PaymentStatus`], [`trial_balance`]: derived from entries, never stored;
//! - [`quote_refund`] with [`FeeRate`]: the pure refund calculation and its rounding rule;
//! - [`payment_allowed`]: the overpayment rule;
//! - [`Ledger`]: the aggregate that applies those rules and the idempotency-key contract.

mod account;
mod aggregate;
mod balance;
pub mod entries;
mod entry;
mod error;
mod fee;
mod payment;
mod refund;
#[cfg(test)]
mod tests;

pub use account::{Account, NormalSide};
pub use aggregate::{Ledger, Posted};
pub use balance::{OrderBalance, PaymentStatus, account_balances, trial_balance};
pub use entry::{EntryKind, EntryMeta, JournalEntry, MAX_IDEMPOTENCY_KEY, Posting, Side};
pub use error::LedgerError;
pub use fee::FeeRate;
pub use payment::payment_allowed;
pub use refund::{CapApplied, RefundPolicy, RefundQuote, ReturnedLine, amount_in_currency, quote_refund};
