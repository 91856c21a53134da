//! Unit and property tests of the Ledger (SPEC §2: Money, Ledger, Returns and refunds).
//!
//! Helpers live here; the tests are grouped by topic in the submodules.

mod account;
mod aggregate;
mod balance;
mod entries;
mod entry;
mod props;
mod refund;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{EntryMeta, JournalEntry};
use crate::{Currency, DomainError, Money, OrderId, TenantId};

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_735_786_800, 0).expect("valid timestamp") // 2025-01-02T03:00:00Z
}

fn cur(code: &str) -> Currency {
    Currency::new(code).expect("known currency")
}

fn usd(minor: i64) -> Money {
    Money::from_minor(minor, cur("USD"))
}

fn kwd(minor: i64) -> Money {
    Money::from_minor(minor, cur("KWD"))
}

fn jpy(minor: i64) -> Money {
    Money::from_minor(minor, cur("JPY"))
}

fn money(amount: &str, code: &str) -> Money {
    Money::parse(amount, cur(code)).expect("valid amount")
}

fn oid(n: u128) -> OrderId {
    OrderId::from_uuid(Uuid::from_u128(0x0_1000 + n))
}

fn tenant() -> TenantId {
    TenantId::new("tenant_1").expect("tenant id")
}

/// Entry metadata whose id is derived from the key (FNV-1a), so tests need not track ids.
fn meta(key: &str) -> EntryMeta {
    let hash = key.bytes().fold(0x6c62_272e_07bb_0142_62b8_2175_6295_c58du128, |h, b| {
        (h ^ u128::from(b)).wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b)
    });
    EntryMeta::new(Uuid::from_u128(hash), key, now())
}

fn is_validation(e: &DomainError) -> bool {
    matches!(e, DomainError::Validation { .. })
}

fn field(e: &DomainError) -> Vec<String> {
    match e {
        DomainError::Validation { field, .. } => field.clone(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn some_entry(e: Result<Option<JournalEntry>, DomainError>) -> JournalEntry {
    e.expect("entry accepted").expect("something to book")
}
