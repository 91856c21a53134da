//! The unique keys of the schema, named once: the migration creates them from this table and
//! `errors` recognises their violations by it. PostgreSQL reports a violated key by its name,
//! SQLite by its columns (`UNIQUE constraint failed: orders.tenant_id, orders.number`), so each
//! entry carries both.

use application::ports::Taken;

pub(super) struct UniqueKey {
    pub name: &'static str,
    pub table: &'static str,
    pub columns: &'static [&'static str],
    /// What a violation means to the caller.
    pub violation: Violation,
    pub primary: bool,
}

/// The port error a violated key becomes.
pub(super) enum Violation {
    /// Only a bug could violate the key (generated ids): `StoreError::Internal`.
    Bug,
    /// The caller reused a value: `StoreError::Duplicate` naming which.
    Duplicate(Taken),
    /// A concurrent writer took the key first: `StoreError::Conflict`, a retry may succeed.
    LostRace,
}

impl UniqueKey {
    /// The column list as SQLite prints it in a constraint failure.
    pub fn sqlite_signature(&self) -> String {
        self.columns.iter().map(|c| format!("{}.{c}", self.table)).collect::<Vec<_>>().join(", ")
    }
}

pub(super) const ORDERS_PK: UniqueKey =
    UniqueKey { name: "pk_orders", table: "orders", columns: &["id"], violation: Violation::Bug, primary: true };
/// Also the target of the children's (tenant_id, order_id) foreign keys, so a child row can never
/// point at another tenant's order.
pub(super) const ORDERS_TENANT_ID: UniqueKey = UniqueKey {
    name: "ux_orders_tenant_id",
    table: "orders",
    columns: &["tenant_id", "id"],
    violation: Violation::Bug,
    primary: false,
};
pub(super) const ORDERS_TENANT_NUMBER: UniqueKey = UniqueKey {
    name: "ux_orders_tenant_number",
    table: "orders",
    columns: &["tenant_id", "number"],
    violation: Violation::Duplicate(Taken::OrderNumber),
    primary: false,
};
pub(super) const ORDERS_TENANT_EXTERNAL_REF: UniqueKey = UniqueKey {
    name: "ux_orders_tenant_external_ref",
    table: "orders",
    columns: &["tenant_id", "external_ref"],
    violation: Violation::Duplicate(Taken::ExternalRef),
    primary: false,
};
pub(super) const ORDER_LINES_PK: UniqueKey = UniqueKey {
    name: "pk_order_lines",
    table: "order_lines",
    columns: &["tenant_id", "order_id", "position"],
    violation: Violation::Bug,
    primary: true,
};
pub(super) const SHIPMENTS_PK: UniqueKey =
    UniqueKey { name: "pk_shipments", table: "shipments", columns: &["id"], violation: Violation::Bug, primary: true };
/// Superseded by `SHIPMENTS_TENANT_CARRIER_TRACKING` (it made a reference unique across
/// tenants, so one tenant could learn of and squat another's). Kept, outside `ALL`, because the
/// first migration creates it from here and a shipped migration must keep doing what it did.
pub(super) const SHIPMENTS_CARRIER_TRACKING: UniqueKey = UniqueKey {
    name: "ux_shipments_carrier_tracking",
    table: "shipments",
    columns: &["carrier", "tracking_reference"],
    violation: Violation::Duplicate(Taken::TrackingReference),
    primary: false,
};
/// A tracking reference is unique per tenant and carrier; `carrier` holds `carrier_key`.
pub(super) const SHIPMENTS_TENANT_CARRIER_TRACKING: UniqueKey = UniqueKey {
    name: "ux_shipments_tenant_carrier_tracking",
    table: "shipments",
    columns: &["tenant_id", "carrier", "tracking_reference"],
    violation: Violation::Duplicate(Taken::TrackingReference),
    primary: false,
};

/// The carrier as the tracking key compares it: "DHL" and " dhl" are one carrier. Done here
/// rather than by `lower()` in the index, because SQLite's `lower()` folds ASCII only and
/// PostgreSQL's follows the database locale: the key must mean the same on both.
pub(super) fn carrier_key(carrier: &str) -> String {
    carrier.trim().to_lowercase()
}

pub(super) const TENANT_COUNTERS_PK: UniqueKey = UniqueKey {
    name: "pk_tenant_counters",
    table: "tenant_counters",
    columns: &["tenant_id", "name"],
    violation: Violation::Bug,
    primary: true,
};
pub(super) const IDEMPOTENCY_KEYS_PK: UniqueKey = UniqueKey {
    name: "pk_idempotency_keys",
    table: "idempotency_keys",
    columns: &["tenant_id", "key"],
    violation: Violation::Duplicate(Taken::IdempotencyKey),
    primary: true,
};
pub(super) const OUTBOX_EVENTS_PK: UniqueKey = UniqueKey {
    name: "pk_outbox_events",
    table: "outbox_events",
    columns: &["id"],
    violation: Violation::Bug,
    primary: true,
};

pub(super) const AUDIT_LOG_PK: UniqueKey =
    UniqueKey { name: "pk_audit_log", table: "audit_log", columns: &["id"], violation: Violation::Bug, primary: true };

/// Versions are allocated under the store-wide revision counter's lock, so only a writer that
/// bypassed it could collide; if one ever does, it lost a race rather than hit a bug.
pub(super) const CONFIG_VERSIONS_PK: UniqueKey = UniqueKey {
    name: "pk_config_versions",
    table: "config_versions",
    columns: &["kind", "key", "version"],
    violation: Violation::LostRace,
    primary: true,
};
/// Revisions come from the counter, one per version: a repeat is a bug.
pub(super) const CONFIG_VERSIONS_REVISION: UniqueKey = UniqueKey {
    name: "ux_config_versions_revision",
    table: "config_versions",
    columns: &["revision"],
    violation: Violation::Bug,
    primary: false,
};

pub(super) const RETURNS_PK: UniqueKey =
    UniqueKey { name: "pk_returns", table: "returns", columns: &["id"], violation: Violation::Bug, primary: true };
pub(super) const JOURNAL_ENTRIES_PK: UniqueKey = UniqueKey {
    name: "pk_journal_entries",
    table: "journal_entries",
    columns: &["id"],
    violation: Violation::Bug,
    primary: true,
};
/// Every entry's idempotency key, unique per tenant.
pub(super) const JOURNAL_ENTRIES_TENANT_KEY: UniqueKey = UniqueKey {
    name: "ux_journal_entries_tenant_key",
    table: "journal_entries",
    columns: &["tenant_id", "idempotency_key"],
    violation: Violation::Duplicate(Taken::JournalEntryKey),
    primary: false,
};
pub(super) const JOURNAL_POSTINGS_PK: UniqueKey = UniqueKey {
    name: "pk_journal_postings",
    table: "journal_postings",
    columns: &["entry_id", "position"],
    violation: Violation::Bug,
    primary: true,
};

pub(super) const ALL: [&UniqueKey; 17] = [
    &ORDERS_PK,
    &ORDERS_TENANT_ID,
    &ORDERS_TENANT_NUMBER,
    &ORDERS_TENANT_EXTERNAL_REF,
    &ORDER_LINES_PK,
    &SHIPMENTS_PK,
    &SHIPMENTS_TENANT_CARRIER_TRACKING,
    &TENANT_COUNTERS_PK,
    &IDEMPOTENCY_KEYS_PK,
    &OUTBOX_EVENTS_PK,
    &AUDIT_LOG_PK,
    &CONFIG_VERSIONS_PK,
    &CONFIG_VERSIONS_REVISION,
    &RETURNS_PK,
    &JOURNAL_ENTRIES_PK,
    &JOURNAL_ENTRIES_TENANT_KEY,
    &JOURNAL_POSTINGS_PK,
];
