//! The seed: orders written straight into a migrated database by one SQL script per backend
//! (`generate_series` on PostgreSQL, a recursive CTE on SQLite), run by the database's own
//! command-line client. Rows have the columns and value formats `mapping.rs` writes:
//!
//! - ids are UUIDv7-shaped text whose 48-bit prefix is the order's creation time in ms (so newest
//!   first by id is newest first by `created_at`, as for orders the server creates); the last
//!   group carries a global sequence number, which keeps every id unique;
//! - `created_at` spread evenly over the year before the run, with jitter, per tenant;
//! - statuses in fixed proportions (see `STATUS_SQL`), customers from a pool of `EMAILS`, each
//!   order two lines of two different SKUs from a pool of `SKUS` (one price per SKU);
//! - every order past PENDING and not CANCELLED has its receivable booked as the server books it:
//!   an `ORDER_CONFIRMED` journal entry with two postings (debit `receivable:<id>`, credit
//!   `revenue`, the order's total);
//! - no shipments, returns, outbox events, idempotency keys or audit rows (their tables stay
//!   empty; the reads still query them);
//! - the tenants' `order_number` counters are set, so `createOrder` numbers on from there.
//!
//! Values are derived from the sequence number by a small integer hash, so both backends get the
//! same data and a run can be repeated.

/// Customer e-mail addresses, `customer-NNNNN@example.com`.
pub const EMAILS: u64 = 50_000;
/// SKUs, `SKU-NNNNN`.
pub const SKUS: u64 = 5_000;
/// The seeded orders end this long before the run starts, so the ones it creates are newest.
const END_BEFORE_NOW_MS: i64 = 3_600_000;
/// The span `created_at` covers.
pub const SPAN_MS: i64 = 365 * 24 * 3_600_000;

/// The status of an order as a function of `st` (0..100): the proportions of a shop whose
/// orders mostly completed; the first match wins.
const STATUSES: [(u64, &str, i64); 8] = [
    (5, "PENDING", 1),
    (13, "CONFIRMED", 1),
    (16, "PARTIALLY_SHIPPED", 3),
    (26, "SHIPPED", 3),
    (28, "PARTIALLY_DELIVERED", 4),
    (48, "DELIVERED", 4),
    (93, "COMPLETED", 5),
    (100, "CANCELLED", 2),
];

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// One tenant's share of the seed.
pub struct TenantSeed {
    pub tenant: String,
    pub orders: u64,
}

/// The first ms of the seeded year, for a run starting at `now_ms`.
pub fn start_ms(now_ms: i64) -> i64 {
    now_ms - END_BEFORE_NOW_MS - SPAN_MS
}

pub fn email(n: u64) -> String {
    format!("customer-{n:05}@example.com")
}

pub fn sku(n: u64) -> String {
    format!("SKU-{n:05}")
}

pub fn statuses() -> impl Iterator<Item = &'static str> {
    STATUSES.iter().map(|(_, status, _)| *status)
}

/// A 15-bit hash of the sequence number `g` and a salt: two rounds of a linear congruential
/// step, upper bits kept. Integer arithmetic only, identical in both dialects (bigint on both).
fn hash(salt: u32) -> String {
    let step = |x: String| format!("((({x}) * 1103515245 + 12345) % 2147483648)");
    format!("({} / 65536)", step(step(format!("g * 16 + {salt}"))))
}

/// `x` as lower-case hex, zero-padded to `width` digits.
fn hex(d: Dialect, x: &str, width: usize) -> String {
    match d {
        Dialect::Sqlite => format!("printf('%0{width}x', {x})"),
        Dialect::Postgres => format!("lpad(to_hex({x}), {width}, '0')"),
    }
}

/// `x` in decimal, zero-padded to at least `width` digits (never truncated).
fn dec(d: Dialect, x: &str, width: usize) -> String {
    match d {
        Dialect::Sqlite => format!("printf('%0{width}d', {x})"),
        Dialect::Postgres => format!("lpad(({x})::text, greatest({width}, length(({x})::text)), '0')"),
    }
}

/// The SQL script that fills a freshly migrated database. `now_ms` is the run's start.
pub fn script(d: Dialect, tenants: &[TenantSeed], now_ms: i64) -> String {
    let start = start_ms(now_ms);
    let mut sql = String::new();
    match d {
        Dialect::Sqlite => sql.push_str(
            // The CLI's connection only: no rollback journal (a failed seed is thrown away), a
            // large page cache so the indexes are built in memory, temp tables in memory.
            "PRAGMA journal_mode = OFF;\nPRAGMA synchronous = OFF;\nPRAGMA cache_size = -4000000;\n\
             PRAGMA temp_store = MEMORY;\nPRAGMA foreign_keys = OFF;\n",
        ),
        Dialect::Postgres => sql.push_str(
            // Session settings of the psql connection: the data is consistent by construction, so
            // the foreign-key triggers are skipped (replica role), and nothing waits for a flush.
            "SET synchronous_commit = off;\nSET session_replication_role = replica;\n\
             SET temp_buffers = '1GB';\nSET work_mem = '256MB';\nSET maintenance_work_mem = '512MB';\n",
        ),
    }
    // The per-order numbers: tenant, k (1..n within the tenant), g (global), ms and the hashes.
    sql.push_str(
        "CREATE TEMP TABLE seed_base (g BIGINT, tenant_id TEXT, k BIGINT, ms BIGINT, st BIGINT, em BIGINT, \
         s1 BIGINT, s2 BIGINT, q1 BIGINT, q2 BIGINT, r1 BIGINT, r2 BIGINT, r3 BIGINT);\n",
    );
    let mut base = 0u64;
    for t in tenants {
        let n = t.orders;
        if n == 0 {
            continue;
        }
        let columns = format!(
            "g, '{tenant}', k, {start} + ((k - 1) * {SPAN_MS}) / {n} + ({jitter} * ({SPAN_MS} / {n})) / 32768, \
             {st} % 100, ({em_hi} * 32768 + {em_lo}) % {EMAILS}, ({s_hi} * 32768 + {s_lo}) % {SKUS}, {s2}, \
             1 + {q1} % 3, 1 + {q2} % 2, {r1} % 4096, {r2} % 4096, {r3}",
            tenant = t.tenant,
            jitter = hash(9),
            st = hash(1),
            em_hi = hash(2),
            em_lo = hash(3),
            s_hi = hash(4),
            s_lo = hash(5),
            s2 = hash(6),
            q1 = hash(7),
            q2 = hash(8),
            r1 = hash(10),
            r2 = hash(11),
            r3 = hash(12),
        );
        let insert = match d {
            Dialect::Sqlite => format!(
                "INSERT INTO seed_base WITH RECURSIVE seq(k) AS \
                 (SELECT 1 UNION ALL SELECT k + 1 FROM seq WHERE k < {n}) \
                 SELECT {columns} FROM (SELECT k, k + {base} AS g FROM seq);\n"
            ),
            Dialect::Postgres => format!(
                "INSERT INTO seed_base SELECT {columns} FROM \
                 (SELECT k, k + {base} AS g FROM generate_series(1::bigint, {n}::bigint) AS k) AS seq;\n"
            ),
        };
        sql.push_str(&insert);
        base += n;
    }

    // The second SKU differs from the first; the text columns, ordered by id so the inserts
    // below append to the id-keyed indexes.
    let ts = hex(d, "ms", 12);
    let id = |variant: char| {
        format!(
            "substr(ts, 1, 8) || '-' || substr(ts, 9, 4) || '-7' || {r1} || '-{variant}' || {r2} || '-' || {r3} || {g}",
            r1 = hex(d, "r1", 3),
            r2 = hex(d, "r2", 3),
            r3 = hex(d, "r3", 4),
            g = hex(d, "g", 8),
        )
    };
    let created = match d {
        // As sqlx writes a DateTime<Utc> (RFC 3339, as few fraction digits as hold the value): the
        // column is compared as text, and a cursor's time must equal its row's to the character.
        Dialect::Sqlite => "strftime('%Y-%m-%dT%H:%M:%S', ms / 1000, 'unixepoch') || \
                            CASE WHEN ms % 1000 = 0 THEN '' ELSE printf('.%03d', ms % 1000) END || '+00:00'"
            .to_owned(),
        Dialect::Postgres => "timestamptz 'epoch' + ms * interval '1 millisecond'".to_owned(),
    };
    let status = {
        let mut case = "CASE".to_owned();
        for (below, status, _) in STATUSES {
            case.push_str(&format!(" WHEN st < {below} THEN '{status}'"));
        }
        case.push_str(" END");
        case
    };
    let version = {
        let mut case = "CASE".to_owned();
        for (below, _, version) in STATUSES {
            case.push_str(&format!(" WHEN st < {below} THEN {version}"));
        }
        case.push_str(" END");
        case
    };
    let price = |s: &str| format!("(199 + ({s} * 7919) % 19800)");
    let s2 = format!("((s1 + 1 + s2 % {}) % {SKUS})", SKUS - 1);
    let created_type = match d {
        Dialect::Sqlite => "TEXT",
        Dialect::Postgres => "TIMESTAMPTZ",
    };
    sql.push_str(&format!(
        "CREATE TEMP TABLE seed (id TEXT, entry_id TEXT, tenant_id TEXT, k BIGINT, created {created_type}, \
         status TEXT, version BIGINT, em BIGINT, s1 BIGINT, s2 BIGINT, q1 BIGINT, q2 BIGINT, total BIGINT);\n\
         INSERT INTO seed SELECT {order_id}, {entry_id}, tenant_id, k, created, status, version, em, s1, s2, q1, q2, \
         q1 * {p1} + q2 * {p2} FROM (SELECT {ts} AS ts, {created} AS created, {status} AS status, \
         {version} AS version, tenant_id, k, g, r1, r2, r3, em, s1, {s2} AS s2, q1, q2 FROM seed_base) AS b \
         ORDER BY 1;\n\
         DROP TABLE seed_base;\n",
        order_id = id('a'),
        entry_id = id('b'),
        p1 = price("s1"),
        p2 = price("s2"),
    ));

    let address = format!(
        "'{{\"line1\":\"' || (1 + em % 997) || ' Main Street\",\"line2\":null,\"city\":\"Springfield\",\
         \"state\":\"IL\",\"postal_code\":\"6' || {zip} || '\",\"country\":\"US\"}}'",
        zip = dec(d, "em % 10000", 4)
    );
    sql.push_str(&format!(
        "INSERT INTO orders (id, tenant_id, number, external_ref, customer_id, customer_name, customer_email, \
         shipping_address, currency, status, version, created_at, updated_at, review, cancellation_reason) \
         SELECT id, tenant_id, 'ORD-' || {number}, 'SHOP-' || {external}, 'cust-' || {cust}, 'Customer ' || {cust}, \
         'customer-' || {cust} || '@example.com', {address}, 'USD', status, version, created, created, NULL, \
         CASE WHEN status = 'CANCELLED' THEN 'customer request' END FROM seed;\n",
        number = dec(d, "k", 6),
        external = dec(d, "k", 8),
        cust = dec(d, "em", 5),
    ));
    // Both lines of an order in one pass over the seed, in (order, position) order.
    let line = |position: u32, s: &str, q: &str| {
        format!(
            "SELECT tenant_id, id, {position}, 'SKU-' || {sku}, 'vendor-' || {vendor}, 'Product ' || {sku}, {q}, \
             {price}, CAST(NULL AS DOUBLE PRECISION) FROM seed",
            sku = dec(d, s, 5),
            vendor = dec(d, &format!("{s} % 40"), 2),
            price = price(s),
        )
    };
    sql.push_str(&format!(
        "INSERT INTO order_lines (tenant_id, order_id, position, sku, vendor_id, name, quantity, unit_price_minor, \
         weight_kg) {} UNION ALL {} ORDER BY 2, 3;\n",
        line(0, "s1", "q1"),
        line(1, "s2", "q2"),
    ));
    let booked = "status NOT IN ('PENDING', 'CANCELLED')";
    sql.push_str(&format!(
        "INSERT INTO journal_entries (id, tenant_id, order_id, kind, idempotency_key, reference, method, occurred_at) \
         SELECT entry_id, tenant_id, id, 'ORDER_CONFIRMED', 'order:' || id || ':confirmed', NULL, NULL, created \
         FROM seed WHERE {booked} ORDER BY entry_id;\n\
         INSERT INTO journal_postings (entry_id, position, tenant_id, order_id, account, side, amount_minor, currency) \
         SELECT entry_id, 0, tenant_id, id, 'receivable:' || id, 'DEBIT', total, 'USD' FROM seed WHERE {booked} \
         UNION ALL \
         SELECT entry_id, 1, tenant_id, id, 'revenue', 'CREDIT', total, 'USD' FROM seed WHERE {booked} \
         ORDER BY 1, 2;\n"
    ));
    for t in tenants {
        sql.push_str(&format!(
            "INSERT INTO tenant_counters (tenant_id, name, value) VALUES ('{}', 'order_number', {});\n",
            t.tenant, t.orders
        ));
    }
    sql.push_str("DROP TABLE seed;\n");
    sql
}

/// Statistics for the planner once the data is in: PostgreSQL's autovacuum would gather them
/// within a minute of a load like this, so the bench does it at once (VACUUM also sets the
/// visibility map, as autovacuum would). SQLite gets none: the server never runs ANALYZE, so
/// its planner works without statistics in production too.
pub fn after_seed(d: Dialect) -> Option<&'static str> {
    match d {
        Dialect::Sqlite => None,
        Dialect::Postgres => Some("VACUUM ANALYZE;\n"),
    }
}
