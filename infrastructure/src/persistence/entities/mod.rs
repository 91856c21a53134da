//! SeaORM entities: the row shapes of the tables created by `migrations`. They stay private to
//! the persistence module; `mapping` translates them to and from the domain.

pub(super) mod audit_log;
pub(super) mod config_versions;
pub(super) mod idempotency_keys;
pub(super) mod journal_entries;
pub(super) mod journal_postings;
pub(super) mod order_lines;
pub(super) mod orders;
pub(super) mod outbox_events;
pub(super) mod returns;
pub(super) mod shipments;
pub(super) mod tenant_counters;
pub(super) mod tracking_events;
pub(super) mod webhook_receipts;
