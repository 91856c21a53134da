//! Cost as the data grows (issue 9): the real server (`tenant-oms serve`, a separate process) on
//! a database holding one big tenant and nine smaller ones, on SQLite and on PostgreSQL, driven
//! over keep-alive HTTP on 127.0.0.1 with RS256 bearer tokens of the big tenant. It reports; it
//! asserts no timing.
//!
//!     cargo bench --bench scale
//!
//! Settings (environment), those of `cargo bench --bench load` plus the size of the seed:
//! - `SCALE_ORDERS` (1000000): orders of the big tenant; `SCALE_OTHER` (100000): orders of
//!   each of the nine others;
//! - `SCALE_WINDOW_DAYS` (7): the length of the `createdAfter`/`createdBefore` window, placed at
//!   random in the seeded year for each request;
//! - `SCALE_EXPLAIN` (1): after the phases, print each read's query plan (0: do not);
//! - `SCALE_KEEP` (unset): a directory; the SQLite databases are written there and, like the
//!   PostgreSQL schemas, kept after the run (their names are printed), to look at by hand;
//! - `BENCH_SECONDS` (10), `BENCH_WARMUP` (2), `BENCH_CONCURRENCY` (16), `BENCH_BACKENDS`
//!   (`sqlite,postgres`), `TEST_DATABASE_URL` (`postgres://postgres@127.0.0.1:5432/test`; the
//!   run works in fresh schemas there, dropped at the end).
//!
//! The seed is written by SQL scripts run with the databases' own clients (`sqlite3`, `psql`;
//! both must be on PATH), after the server's migrations; see `seed.rs` for what it holds.
//!
//! Per backend: `createOrder` on an empty database first, for comparison; then the seeded
//! database, one server process, one phase per request: `orders(first: 50)` unfiltered and with
//! each filter, `orderByExternalRef`, `order(id)` (both over a random sample of the big tenant's
//! orders) and `createOrder`. Each row gives successful requests per second, p50, p99 and the
//! slowest latency, failed requests and the mean number of orders a request returned. With
//! `SCALE_EXPLAIN`, the plan of each read's order query (and of the children query of an order
//! and of a page, and of a window's second page) is printed: PostgreSQL's `EXPLAIN (ANALYZE, BUFFERS)` after the statement was executed six
//! times as a prepared statement (as the server's pool would, so it shows the plan the server
//! gets); SQLite's `EXPLAIN QUERY PLAN` and run time from the `sqlite3` shell (whose SQLite may
//! be older than the one built into the server).
//!
//! The client runs on the same cores as the server and the database, so figures are a floor.

mod seed;

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, anyhow, bail};
use infrastructure::{
    config::{SaasConfig, tenant_permissions},
    identity::install_crypto_provider,
    persistence::Database,
};
use seed::{Dialect, TenantSeed};
use serde_json::{Value, json};
use tokio::{io::AsyncWriteExt, process::Command};

#[path = "../common/mod.rs"]
mod common;

use common::{
    AUDIENCE, Backend, ISSUER, PUBLIC_KEY_PEM, REQUEST_TIMEOUT, Server, loadavg, mint_tokens, on_path, redact,
};

/// The big tenant, whose tokens the bench holds; the others are `scale-1` .. `scale-9`.
const BIG: &str = "scale-big";
const OTHERS: usize = 9;

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
/// Orders a page asks for.
const PAGE: usize = 50;
/// Orders of the big tenant sampled for `order(id)` and `orderByExternalRef`.
const SAMPLE: usize = 4000;

/// What every read asks of an order: the row, its lines, shipments and journal (balance).
const FIELDS: &str = "id number status createdAt customer { email } total { amount currency } \
                      balance { due { amount } } lines { sku quantity unitPrice { amount } } shipments { id status }";
const CREATE: &str =
    "mutation($input: CreateOrderInput!) { createOrder(input: $input) { order { id } userErrors { code message } } }";

const STARTUP_LIMIT: Duration = Duration::from_secs(120);

/// The seed's SQL dialect of a backend.
trait SeedDialect {
    fn dialect(self) -> Dialect;
}

impl SeedDialect for Backend {
    fn dialect(self) -> Dialect {
        match self {
            Backend::Sqlite => Dialect::Sqlite,
            Backend::Postgres => Dialect::Postgres,
        }
    }
}

struct Settings {
    seconds: u64,
    warmup: u64,
    concurrency: usize,
    backends: Vec<Backend>,
    postgres_url: String,
    orders: u64,
    other: u64,
    window_days: u64,
    explain: bool,
    keep: Option<PathBuf>,
}

impl Settings {
    /// A malformed value is an error, not a silent default: a run must measure what it says.
    fn from_env() -> anyhow::Result<Settings> {
        let number = |name: &str, default: u64| -> anyhow::Result<u64> {
            match std::env::var(name) {
                Ok(text) => text.trim().parse().with_context(|| format!("{name}={text:?} is not a whole number")),
                Err(_) => Ok(default),
            }
        };
        let seconds = number("BENCH_SECONDS", 10)?;
        let warmup = number("BENCH_WARMUP", 2)?;
        let concurrency = usize::try_from(number("BENCH_CONCURRENCY", 16)?)?;
        let orders = number("SCALE_ORDERS", 1_000_000)?;
        let other = number("SCALE_OTHER", 100_000)?;
        let window_days = number("SCALE_WINDOW_DAYS", 7)?;
        let explain = number("SCALE_EXPLAIN", 1)? != 0;
        if seconds == 0 || concurrency == 0 {
            bail!("BENCH_SECONDS and BENCH_CONCURRENCY must be at least 1");
        }
        // The id's last group holds the global sequence number in 8 hex digits.
        if orders == 0 || orders + other * OTHERS as u64 > u64::from(u32::MAX) {
            bail!("SCALE_ORDERS must be at least 1, and all orders together fewer than 2^32");
        }
        if window_days == 0 || window_days >= 365 {
            bail!("SCALE_WINDOW_DAYS must be between 1 and 364");
        }
        let backends = Backend::from_env()?;
        let postgres_url = std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let keep = std::env::var_os("SCALE_KEEP").filter(|dir| !dir.is_empty()).map(PathBuf::from);
        Ok(Settings { seconds, warmup, concurrency, backends, postgres_url, orders, other, window_days, explain, keep })
    }

    /// The command that repeats this run, every setting spelled out.
    fn command(&self) -> String {
        let backends: Vec<&str> = self.backends.iter().map(|b| b.name()).collect();
        let mut command = format!(
            "SCALE_ORDERS={} SCALE_OTHER={} SCALE_WINDOW_DAYS={} BENCH_SECONDS={} BENCH_WARMUP={} \
             BENCH_CONCURRENCY={} BENCH_BACKENDS={}",
            self.orders,
            self.other,
            self.window_days,
            self.seconds,
            self.warmup,
            self.concurrency,
            backends.join(",")
        );
        if self.backends.contains(&Backend::Postgres) {
            command.push_str(&format!(" TEST_DATABASE_URL={}", redact(&self.postgres_url)));
        }
        command.push_str(" cargo bench --bench scale");
        command
    }

    fn tenants(&self) -> Vec<TenantSeed> {
        let mut tenants = vec![TenantSeed { tenant: BIG.to_owned(), orders: self.orders }];
        tenants.extend((1..=OTHERS).map(|i| TenantSeed { tenant: format!("scale-{i}"), orders: self.other }));
        tenants
    }
}

/// Every seeded tenant, on one plan with every tenant permission and no limits, each with an
/// IdP that accepts RS256 tokens signed with the bench key.
fn saas_config(tenants: &[TenantSeed]) -> anyhow::Result<String> {
    let permissions: Vec<&str> = tenant_permissions().collect();
    let idp = json!({"issuer": ISSUER, "audience": AUDIENCE, "algorithms": ["RS256"], "public_key_pem": PUBLIC_KEY_PEM,
                     "tenant_claim": "tenant", "roles_claim": "roles"});
    let tenants: serde_json::Map<String, Value> =
        tenants.iter().map(|t| (t.tenant.clone(), json!({"plan": "bench", "status": "active", "idp": idp}))).collect();
    let text = json!({"plans": {"bench": {"permissions": permissions}}, "tenants": tenants}).to_string();
    let config = SaasConfig::from_json_str(&text).map_err(|e| anyhow!("bench SaaS config: {e}"))?;
    let problems = config.check();
    if !problems.is_empty() {
        bail!("bench SaaS config: {}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "));
    }
    Ok(text)
}

/// A fresh database, migrated by the server's own migrations: an SQLite file in the run's
/// temporary directory, or a schema in the PostgreSQL database (dropped with `psql` on drop).
enum Store {
    Sqlite { path: PathBuf, keep: bool },
    Postgres { url: String, schema: String, keep: bool },
}

impl Store {
    async fn create(backend: Backend, settings: &Settings, dir: &Path, name: &str) -> anyhow::Result<Store> {
        let keep = settings.keep.is_some();
        let store = match backend {
            Backend::Sqlite => {
                let path = settings.keep.as_deref().unwrap_or(dir).join(format!("{name}.db"));
                remove_sqlite(&path);
                let database = Database::connect(&format!("sqlite://{}?mode=rwc", path.display()))
                    .await
                    .map_err(|e| anyhow!("SQLite {}: {e}", path.display()))?;
                database.migrate().await.map_err(|e| anyhow!("migrate {}: {e}", path.display()))?;
                database.close().await.map_err(|e| anyhow!("close {}: {e}", path.display()))?;
                Store::Sqlite { path, keep }
            }
            Backend::Postgres => {
                let url = &settings.postgres_url;
                let schema = format!("scale_{name}_{}", uuid::Uuid::new_v4().simple());
                let unusable = |e| {
                    anyhow!(
                        "PostgreSQL at {} is unusable (set TEST_DATABASE_URL, or BENCH_BACKENDS=sqlite): {e}",
                        redact(url)
                    )
                };
                let database = Database::connect_in_schema(url, &schema).await.map_err(unusable)?;
                // From here on the schema exists: dropped with the store, whatever happens next.
                let store = Store::Postgres { url: url.clone(), schema, keep };
                database.migrate().await.map_err(unusable)?;
                database.close().await.map_err(unusable)?;
                store
            }
        };
        Ok(store)
    }

    fn dialect(&self) -> Dialect {
        match self {
            Store::Sqlite { .. } => Dialect::Sqlite,
            Store::Postgres { .. } => Dialect::Postgres,
        }
    }

    fn server_url(&self) -> String {
        match self {
            Store::Sqlite { path, .. } => format!("sqlite://{}?mode=rwc", path.display()),
            Store::Postgres { url, schema, .. } => {
                let separator = if url.contains('?') { '&' } else { '?' };
                format!("{url}{separator}options[search_path]={schema}")
            }
        }
    }

    /// Runs an SQL script with the database's command-line client; its standard output.
    async fn sql(&self, script: &str) -> anyhow::Result<String> {
        let mut command = match self {
            Store::Sqlite { path, .. } => {
                let mut command = Command::new("sqlite3");
                command.args(["-batch", "-bail", "-noheader", "-separator", "|"]).arg(path);
                command
            }
            Store::Postgres { url, schema, .. } => {
                let mut command = Command::new("psql");
                command
                    .args([url.as_str(), "-X", "-q", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1", "-f", "-"])
                    .env("PGOPTIONS", format!("-c search_path={schema} -c client_min_messages=warning"));
                command
            }
        };
        let client = match self {
            Store::Sqlite { .. } => "sqlite3",
            Store::Postgres { .. } => "psql",
        };
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("start {client} (is it on PATH?)"))?;
        let mut stdin = child.stdin.take().ok_or_else(|| anyhow!("{client}: no stdin"))?;
        stdin.write_all(script.as_bytes()).await?;
        drop(stdin);
        let output = child.wait_with_output().await?;
        if !output.status.success() {
            bail!("{client} failed ({}): {}", output.status, String::from_utf8_lossy(&output.stderr));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    async fn bytes(&self) -> anyhow::Result<u64> {
        match self {
            Store::Sqlite { path, .. } => Ok(std::fs::metadata(path)?.len()),
            Store::Postgres { .. } => {
                let out = self
                    .sql(
                        "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c \
                         JOIN pg_namespace n ON n.oid = c.relnamespace \
                         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'm');",
                    )
                    .await?;
                out.trim().parse().with_context(|| format!("database size {out:?}"))
            }
        }
    }

    /// `count` random orders of the big tenant: (id, external_ref).
    async fn sample(&self, count: usize) -> anyhow::Result<Vec<(String, String)>> {
        let out = self
            .sql(&format!(
                "SELECT id, external_ref FROM orders WHERE tenant_id = '{BIG}' ORDER BY random() LIMIT {count};"
            ))
            .await?;
        let sample: Vec<(String, String)> = out
            .lines()
            .filter_map(|line| line.split_once('|'))
            .map(|(id, external_ref)| (id.to_owned(), external_ref.to_owned()))
            .collect();
        if sample.is_empty() {
            bail!("the seeded database has no order of {BIG}");
        }
        Ok(sample)
    }
}

fn remove_sqlite(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.to_path_buf().into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        match self {
            Store::Sqlite { path, keep: true } => eprintln!("note: kept {}", path.display()),
            Store::Postgres { url, schema, keep: true } => eprintln!("note: kept schema {schema} in {}", redact(url)),
            Store::Sqlite { path, keep: false } => remove_sqlite(path),
            Store::Postgres { url, schema, keep: false } => {
                let dropped = on_path("psql").is_some_and(|psql| {
                    std::process::Command::new(psql)
                        .args([url.as_str(), "-q", "-c", &format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE")])
                        .env("PGOPTIONS", "-c client_min_messages=warning")
                        .stdout(Stdio::null())
                        .status()
                        .is_ok_and(|s| s.success())
                });
                if !dropped {
                    eprintln!("note: schema {schema} left in {}; drop it with DROP SCHEMA ... CASCADE", redact(url));
                }
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Operation {
    Page,
    PageStatus,
    PageCreated,
    PageEmail,
    PageSku,
    ByExternalRef,
    ById,
    CreateOrder,
}

impl Operation {
    const SEEDED: [Operation; 8] = [
        Operation::Page,
        Operation::PageStatus,
        Operation::PageCreated,
        Operation::PageEmail,
        Operation::PageSku,
        Operation::ByExternalRef,
        Operation::ById,
        Operation::CreateOrder,
    ];

    fn label(self) -> &'static str {
        match self {
            Operation::Page => "`orders(first: 50)`, no filter",
            Operation::PageStatus => "`orders(first: 50)`, status",
            Operation::PageCreated => "`orders(first: 50)`, createdAfter + createdBefore",
            Operation::PageEmail => "`orders(first: 50)`, customerEmail",
            Operation::PageSku => "`orders(first: 50)`, sku",
            Operation::ByExternalRef => "`orderByExternalRef`",
            Operation::ById => "`order(id)`",
            Operation::CreateOrder => "`createOrder`",
        }
    }

    fn is_read(self) -> bool {
        self != Operation::CreateOrder
    }
}

/// What the requests of a phase draw on.
struct Params {
    run: String,
    /// The seeded year: its first ms and the window's length in ms.
    start_ms: i64,
    window_ms: i64,
    /// (id, external_ref) of random orders of the big tenant.
    sample: Vec<(String, String)>,
}

/// splitmix64: a request's random numbers, a function of the worker, the request and a salt.
fn random(worker: usize, n: usize, salt: u64) -> u64 {
    let mut z =
        (worker as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (n as u64).wrapping_mul(0xD1B5_4A32_D192_ED03) ^ salt;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// One connection's worth of client: its own pool holding at most one idle connection, and one
/// request at a time, so N workers keep exactly N keep-alive connections.
struct Worker {
    index: usize,
    client: reqwest::Client,
    url: String,
    authorization: String,
}

fn workers(port: u16, tokens: &[String]) -> anyhow::Result<Vec<Arc<Worker>>> {
    tokens
        .iter()
        .enumerate()
        .map(|(index, token)| {
            let client =
                reqwest::Client::builder().no_proxy().pool_max_idle_per_host(1).timeout(REQUEST_TIMEOUT).build()?;
            let url = format!("http://127.0.0.1:{port}/graphql");
            Ok(Arc::new(Worker { index, client, url, authorization: format!("Bearer {token}") }))
        })
        .collect()
}

/// The orders a request returned, or why it failed.
type Outcome = Result<usize, String>;

impl Worker {
    fn body(&self, operation: Operation, n: usize, p: &Params) -> (String, Option<String>) {
        let r = |salt| random(self.index, n, salt);
        let page = |filter: Value| {
            let query = format!(
                "query($filter: OrderFilter) {{ orders(first: {PAGE}, filter: $filter) {{ \
                                 pageInfo {{ hasNextPage endCursor }} nodes {{ {FIELDS} }} }} }}"
            );
            (json!({"query": query, "variables": {"filter": filter}}).to_string(), None)
        };
        let statuses: Vec<&str> = seed::statuses().collect();
        match operation {
            Operation::Page => page(Value::Null),
            Operation::PageStatus => page(json!({"status": statuses[n % statuses.len()]})),
            Operation::PageCreated => {
                let room = (seed::SPAN_MS - p.window_ms).max(1) as u64;
                let after = p.start_ms + (r(1) % room) as i64;
                page(json!({"createdAfter": rfc3339(after), "createdBefore": rfc3339(after + p.window_ms)}))
            }
            Operation::PageEmail => page(json!({"customerEmail": seed::email(r(2) % seed::EMAILS)})),
            Operation::PageSku => page(json!({"sku": seed::sku(r(3) % seed::SKUS)})),
            Operation::ByExternalRef => {
                let (id, external_ref) = &p.sample[(r(4) % p.sample.len() as u64) as usize];
                let query = format!("query($ref: String!) {{ orderByExternalRef(externalRef: $ref) {{ {FIELDS} }} }}");
                (json!({"query": query, "variables": {"ref": external_ref}}).to_string(), Some(id.clone()))
            }
            Operation::ById => {
                let (id, _) = &p.sample[(r(5) % p.sample.len() as u64) as usize];
                let query = format!("query($id: ID!) {{ order(id: $id) {{ {FIELDS} }} }}");
                (json!({"query": query, "variables": {"id": id}}).to_string(), Some(id.clone()))
            }
            Operation::CreateOrder => {
                let customer = r(6) % seed::EMAILS;
                let first = r(7) % seed::SKUS;
                let second = (first + 1 + r(8) % (seed::SKUS - 1)) % seed::SKUS;
                let input = json!({"externalRef": format!("{}-{}-{n}", p.run, self.index),
                    "customer": {"name": format!("Customer {customer:05}"), "email": seed::email(customer)},
                    "shippingAddress": {"line1": "1 Main Street", "city": "Springfield", "state": "IL",
                                        "postalCode": "62701", "country": "US"},
                    "lines": [{"sku": seed::sku(first), "name": "Item", "vendorId": "vendor-01", "quantity": 2,
                               "unitPrice": {"amount": "9.99", "currency": "USD"}},
                              {"sku": seed::sku(second), "name": "Item 2", "vendorId": "vendor-02", "quantity": 1,
                               "unitPrice": {"amount": "4.50", "currency": "USD"}}]});
                (json!({"query": CREATE, "variables": {"input": input}}).to_string(), None)
            }
        }
    }

    async fn call(&self, operation: Operation, n: usize, params: &Params) -> Outcome {
        let (body, expected_id) = self.body(operation, n, params);
        let response = self
            .client
            .post(&self.url)
            .header("authorization", &self.authorization)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("request: {e}"))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| format!("response body: {e}"))?;
        let excerpt = || String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
        if !status.is_success() {
            return Err(format!("HTTP {status}: {}", excerpt()));
        }
        let answer: Value = serde_json::from_slice(&bytes).map_err(|_| format!("not JSON: {}", excerpt()))?;
        if answer.get("errors").is_some() {
            return Err(format!("GraphQL errors: {}", excerpt()));
        }
        let data = &answer["data"];
        let one = |order: &Value| match (order["id"].as_str(), expected_id.as_deref()) {
            (Some(id), Some(expected)) if id == expected => Ok(1),
            _ => Err(format!("not the order asked for: {}", excerpt())),
        };
        match operation {
            Operation::ByExternalRef => one(&data["orderByExternalRef"]),
            Operation::ById => one(&data["order"]),
            Operation::CreateOrder => match data["createOrder"]["order"]["id"].as_str() {
                Some(_) => Ok(1),
                None => Err(format!("createOrder answered without an order id: {}", excerpt())),
            },
            _ => match data["orders"]["nodes"].as_array() {
                Some(nodes) => Ok(nodes.len()),
                None => Err(format!("no orders.nodes: {}", excerpt())),
            },
        }
    }
}

struct Row {
    backend: Backend,
    database: String,
    operation: Operation,
    seconds: f64,
    latencies_us: Vec<u64>,
    returned: usize,
    errors: usize,
    first_error: Option<String>,
}

impl Row {
    fn per_second(&self) -> f64 {
        self.latencies_us.len() as f64 / self.seconds
    }

    /// Nearest-rank percentile, in milliseconds.
    fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let rank = ((p * self.latencies_us.len() as f64).ceil() as usize).clamp(1, self.latencies_us.len());
        self.latencies_us[rank - 1] as f64 / 1000.0
    }

    fn max_ms(&self) -> f64 {
        self.latencies_us.last().map_or(f64::NAN, |us| *us as f64 / 1000.0)
    }

    fn mean_returned(&self) -> f64 {
        self.returned as f64 / self.latencies_us.len().max(1) as f64
    }
}

struct WorkerReport {
    latencies_us: Vec<u64>,
    returned: usize,
    errors: usize,
    first_error: Option<String>,
}

/// Every worker sends `operation` back to back for warm-up + measured seconds. A request counts
/// when it started in the measured window; errors count throughout, warm-up included.
async fn phase(
    backend: Backend,
    database: &str,
    operation: Operation,
    workers: &[Arc<Worker>],
    settings: &Settings,
    params: &Arc<Params>,
) -> anyhow::Result<Row> {
    eprintln!(
        "{} ({database}): {} for {} s + {} s warm-up",
        backend.label(),
        operation.label(),
        settings.seconds,
        settings.warmup
    );
    let started = Instant::now();
    let measure_from = started + Duration::from_secs(settings.warmup);
    let end = measure_from + Duration::from_secs(settings.seconds);
    let tasks: Vec<_> = workers
        .iter()
        .map(|worker| {
            let (worker, params) = (worker.clone(), params.clone());
            tokio::spawn(async move {
                let mut report = WorkerReport { latencies_us: Vec::new(), returned: 0, errors: 0, first_error: None };
                for n in 0.. {
                    let sent = Instant::now();
                    if sent >= end {
                        break;
                    }
                    let outcome = worker.call(operation, n, &params).await;
                    let took = sent.elapsed();
                    match outcome {
                        Ok(returned) => {
                            if sent >= measure_from {
                                report.latencies_us.push(took.as_micros() as u64);
                                report.returned += returned;
                            }
                        }
                        Err(e) => {
                            report.errors += 1;
                            report.first_error.get_or_insert(e);
                        }
                    }
                }
                report
            })
        })
        .collect();
    let mut row = Row {
        backend,
        database: database.to_owned(),
        operation,
        seconds: settings.seconds as f64,
        latencies_us: Vec::new(),
        returned: 0,
        errors: 0,
        first_error: None,
    };
    for task in tasks {
        let report = task.await.context("bench worker")?;
        row.latencies_us.extend(report.latencies_us);
        row.returned += report.returned;
        row.errors += report.errors;
        row.first_error = row.first_error.or(report.first_error);
    }
    row.latencies_us.sort_unstable();
    Ok(row)
}

struct Seeded {
    backend: Backend,
    orders: u64,
    seed_seconds: f64,
    analyze_seconds: Option<f64>,
    bytes: u64,
    counts: String,
}

struct Plans {
    backend: Backend,
    text: String,
}

struct BackendReport {
    rows: Vec<Row>,
    seeded: Seeded,
    plans: Option<Plans>,
}

async fn bench_backend(
    backend: Backend,
    settings: &Settings,
    dir: &Path,
    config: &Path,
    tokens: &[String],
) -> anyhow::Result<BackendReport> {
    let now_ms = chrono::Utc::now().timestamp_millis();
    let window_ms = i64::try_from(settings.window_days)? * 24 * 3_600_000;
    let mut rows = Vec::new();

    // createOrder on an empty database, for comparison with the seeded one.
    {
        let store = Store::create(backend, settings, dir, "empty").await?;
        eprintln!("{}: starting tenant-oms serve on an empty database", backend.label());
        let server =
            Server::start(&store.server_url(), config, dir, &format!("{}-empty", backend.label()), STARTUP_LIMIT)
                .await?;
        let workers = workers(server.port, tokens)?;
        let params = Arc::new(Params {
            run: uuid::Uuid::new_v4().simple().to_string(),
            start_ms: seed::start_ms(now_ms),
            window_ms,
            sample: Vec::new(),
        });
        rows.push(phase(backend, "empty", Operation::CreateOrder, &workers, settings, &params).await?);
        drop(workers);
        server.stop().await?;
    }

    let store = Store::create(backend, settings, dir, "seeded").await?;
    let tenants = settings.tenants();
    let total: u64 = tenants.iter().map(|t| t.orders).sum();
    eprintln!("{}: seeding {total} orders ({} of {BIG})", backend.label(), settings.orders);
    let started = Instant::now();
    store.sql(&seed::script(backend.dialect(), &tenants, now_ms)).await.context("seed")?;
    let seed_seconds = started.elapsed().as_secs_f64();
    let analyze_seconds = match seed::after_seed(backend.dialect()) {
        Some(script) => {
            let started = Instant::now();
            store.sql(script).await.context("after the seed")?;
            Some(started.elapsed().as_secs_f64())
        }
        None => None,
    };
    eprintln!("{}: seeded in {seed_seconds:.0} s", backend.label());
    let counts = store
        .sql(
            "SELECT (SELECT COUNT(*) FROM orders) || ' orders, ' || (SELECT COUNT(*) FROM order_lines) || ' lines, ' \
             || (SELECT COUNT(*) FROM journal_entries) || ' journal entries, ' \
             || (SELECT COUNT(*) FROM journal_postings) || ' postings';",
        )
        .await?
        .trim()
        .to_owned();
    let seeded = Seeded { backend, orders: total, seed_seconds, analyze_seconds, bytes: store.bytes().await?, counts };
    let sample = store.sample(SAMPLE).await?;

    eprintln!("{}: starting tenant-oms serve on the seeded database", backend.label());
    let server =
        Server::start(&store.server_url(), config, dir, &format!("{}-seeded", backend.label()), STARTUP_LIMIT).await?;
    let workers = workers(server.port, tokens)?;
    let params = Arc::new(Params {
        run: uuid::Uuid::new_v4().simple().to_string(),
        start_ms: seed::start_ms(now_ms),
        window_ms,
        sample,
    });
    let database = format!("seeded, {total} orders");
    for operation in Operation::SEEDED {
        rows.push(phase(backend, &database, operation, &workers, settings, &params).await?);
    }
    drop(workers);
    server.stop().await?;

    let plans = if settings.explain {
        eprintln!("{}: query plans", backend.label());
        let text = store.sql(&explain_script(store.dialect(), &params)).await.context("query plans")?;
        Some(Plans { backend, text })
    } else {
        None
    };
    Ok(BackendReport { rows, seeded, plans })
}

/// One read's query as the server sends it (`listing.rs`, `loading.rs`, `children.rs`), with
/// `$n` parameters.
struct Shape {
    name: &'static str,
    sql: String,
    /// PostgreSQL parameter types and their values as SQL literals.
    params: Vec<(&'static str, String)>,
}

const ORDER_COLUMNS: &str = "orders.id, orders.tenant_id, orders.number, \
    orders.external_ref, orders.customer_id, orders.customer_name, orders.customer_email, \
    orders.shipping_address, orders.currency, orders.status, orders.version, \
    orders.created_at, orders.updated_at, orders.review, orders.cancellation_reason";

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The children of some orders as `children.rs` reads them: lines, shipments, returns and
/// postings with their entries in one UNION ALL of one row shape (kind, order, position, 12 text
/// slots, 2 integers, 1 real, 2 times). `orders` selects the order ids (`= $2`, `IN (...)`);
/// `$1` is the tenant.
fn children_sql(orders: &str) -> String {
    let texts = |n: usize| ", CAST(NULL AS TEXT)".repeat(n);
    let ints = |n: usize| ", CAST(NULL AS BIGINT)".repeat(n);
    let real = ", CAST(NULL AS DOUBLE PRECISION)";
    let times = |n: usize| ", CAST(NULL AS TIMESTAMPTZ)".repeat(n);
    format!(
        "SELECT 0 AS kind, order_id, position, sku, vendor_id, name{t9}, quantity, unit_price_minor, weight_kg{tt2} \
         FROM order_lines WHERE tenant_id = $1 AND order_id {orders} \
         UNION ALL SELECT 1, order_id, position, id, status, mode, provider, carrier, items, address, package, \
         pickup, tracking_reference, label_url, cost_currency, cost_minor{i1}{real}, created_at, updated_at \
         FROM shipments WHERE tenant_id = $1 AND order_id {orders} \
         UNION ALL SELECT 2, order_id, position, id, status, lines, reason, decline_reason, refund{t6}{i2}{real}, \
         created_at, updated_at FROM returns WHERE tenant_id = $1 AND order_id {orders} \
         UNION ALL SELECT 3, e.order_id, p.position, p.entry_id, p.account, p.side, p.currency, e.kind, \
         e.idempotency_key, e.reference, e.method{t4}, p.amount_minor{i1}{real}, e.occurred_at{tt1} \
         FROM journal_postings p JOIN journal_entries e ON p.entry_id = e.id \
         WHERE p.tenant_id = $1 AND e.tenant_id = $1 AND p.order_id {orders}",
        t9 = texts(9),
        t6 = texts(6),
        t4 = texts(4),
        i1 = ints(1),
        i2 = ints(2),
        tt1 = times(1),
        tt2 = times(2),
    )
}

fn shapes(d: Dialect, p: &Params) -> Vec<Shape> {
    let limit = (PAGE + 1).to_string();
    let sorted = |filter: &str, order: &str| {
        format!("SELECT {ORDER_COLUMNS} FROM orders WHERE orders.tenant_id = $1{filter} ORDER BY {order} LIMIT $L")
    };
    let page = |filter: &str| sorted(filter, "orders.id DESC");
    let by_created = |filter: &str| sorted(filter, "orders.created_at DESC, orders.id DESC");
    let time = |ms: i64| {
        let text = rfc3339(ms);
        match d {
            // As sqlx binds a DateTime<Utc> for SQLite: RFC 3339 text, `+00:00`.
            Dialect::Sqlite => quote(&text.replace('Z', "+00:00")),
            Dialect::Postgres => quote(&text),
        }
    };
    // A window in the middle of the seeded year: the rows newer than it are half the tenant's.
    let after = p.start_ms + seed::SPAN_MS / 2;
    let (id, external_ref) = p.sample.first().cloned().unwrap_or_default();
    let page_ids: Vec<String> = p.sample.iter().take(PAGE + 1).map(|(id, _)| quote(id)).collect();
    let big = quote(BIG);
    let shapes = vec![
        Shape { name: "orders(first: 50), no filter", sql: page(""), params: vec![("text", big.clone())] },
        Shape {
            name: "orders(first: 50), status",
            sql: page(" AND orders.status = $2"),
            params: vec![("text", big.clone()), ("text", quote("SHIPPED"))],
        },
        Shape {
            name: "orders(first: 50), createdAfter + createdBefore (a window in the middle of the year)",
            sql: by_created(" AND orders.created_at >= $2 AND orders.created_at < $3"),
            params: vec![
                ("text", big.clone()),
                ("timestamptz", time(after)),
                ("timestamptz", time(after + p.window_ms)),
            ],
        },
        Shape {
            // The cursor is the tighter upper bound, so createdBefore is left out (`listing.rs`).
            name: "orders(first: 50, after: ...), createdAfter + createdBefore (a next page half way into the window)",
            sql: by_created(" AND orders.created_at >= $2 AND (orders.created_at, orders.id) < ($3, $4)"),
            params: vec![
                ("text", big.clone()),
                ("timestamptz", time(after)),
                ("timestamptz", time(after + p.window_ms / 2)),
                ("text", quote("ffffffff-ffff-7fff-bfff-ffffffffffff")),
            ],
        },
        Shape {
            name: "orders(first: 50), customerEmail",
            sql: page(" AND orders.customer_email = $2"),
            params: vec![("text", big.clone()), ("text", quote(&seed::email(4242)))],
        },
        Shape {
            name: "orders(first: 50), sku",
            // PostgreSQL: joined to the SKU's order ids newest first; SQLite: `IN`.
            sql: match d {
                Dialect::Sqlite => page(
                    " AND orders.id IN (SELECT order_id FROM order_lines WHERE order_lines.tenant_id = $2 \
                     AND order_lines.sku = $3)",
                ),
                Dialect::Postgres => page("").replace(
                    " WHERE orders.tenant_id = $1",
                    " INNER JOIN (SELECT DISTINCT order_id FROM order_lines WHERE order_lines.tenant_id = $2 \
                     AND order_lines.sku = $3 ORDER BY order_id DESC) AS with_sku ON orders.id = with_sku.order_id \
                     WHERE orders.tenant_id = $1",
                ),
            },
            params: vec![("text", big.clone()), ("text", big.clone()), ("text", quote(&seed::sku(1234)))],
        },
        Shape {
            name: "orderByExternalRef",
            sql: format!(
                "SELECT {ORDER_COLUMNS} FROM orders WHERE orders.tenant_id = $1 AND orders.external_ref = $2 LIMIT $L"
            ),
            params: vec![("text", big.clone()), ("text", quote(&external_ref))],
        },
        Shape {
            name: "order(id)",
            sql: format!("SELECT {ORDER_COLUMNS} FROM orders WHERE orders.tenant_id = $1 AND orders.id = $2 LIMIT $L"),
            params: vec![("text", big.clone()), ("text", quote(&id))],
        },
        Shape {
            name: "the children of order(id): lines, shipments, returns, journal (one UNION ALL)",
            sql: children_sql("= $2"),
            params: vec![("text", big.clone()), ("text", quote(&id))],
        },
        Shape {
            name: "the children of a page of 51 orders (one UNION ALL)",
            sql: children_sql(&format!("IN ({})", page_ids.join(", "))),
            params: vec![("text", big)],
        },
    ];
    // `LIMIT $L`: the last parameter of the shapes that have one.
    shapes
        .into_iter()
        .map(|mut shape| {
            if shape.sql.contains("$L") {
                let n = shape.params.len() + 1;
                let value = if shape.name.starts_with("orders(") { limit.clone() } else { "1".to_owned() };
                shape.sql = shape.sql.replace("$L", &format!("${n}"));
                shape.params.push(("bigint", value));
            }
            shape
        })
        .collect()
}

/// PostgreSQL: each shape prepared, executed six times (from the sixth on, PostgreSQL may use a
/// generic plan, as on the server's pooled connections), then explained with ANALYZE. SQLite:
/// the plan and the run time of one execution after a warming one, in the `sqlite3` shell.
fn explain_script(d: Dialect, p: &Params) -> String {
    let mut script = String::new();
    if d == Dialect::Postgres {
        // The planner setting the server's sessions start with (`postgres.rs`), or the plans shown
        // would not be the server's.
        script.push_str("SET random_page_cost = 1.1;\n");
    }
    for (i, shape) in shapes(d, p).into_iter().enumerate() {
        match d {
            Dialect::Postgres => {
                let types: Vec<&str> = shape.params.iter().map(|(t, _)| *t).collect();
                let values: Vec<&str> = shape.params.iter().map(|(_, v)| v.as_str()).collect();
                let execute = format!("EXECUTE q{i}({});\n", values.join(", "));
                script.push_str(&format!("\\echo '#### {}'\n", shape.name));
                script.push_str(&format!("PREPARE q{i}({}) AS {};\n\\o /dev/null\n", types.join(", "), shape.sql));
                script.push_str(&execute.repeat(6));
                script.push_str(&format!("\\o\nEXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {execute}DEALLOCATE q{i};\n"));
            }
            Dialect::Sqlite => {
                let mut sql = shape.sql.clone();
                for (n, (_, value)) in shape.params.iter().enumerate().rev() {
                    sql = sql.replace(&format!("${}", n + 1), value);
                }
                script.push_str(&format!(".print '#### {}'\n", shape.name));
                script.push_str(&format!("EXPLAIN QUERY PLAN {sql};\n"));
                script.push_str(&format!(
                    "SELECT COUNT(*) FROM ({sql});\n.timer on\nSELECT COUNT(*) AS rows FROM ({sql});\n.timer off\n"
                ));
            }
        }
    }
    script
}

fn print_report(settings: &Settings, reports: &[BackendReport], started: Instant) {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name").map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned()))
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    println!();
    println!("    {}", settings.command());
    println!();
    println!(
        "Seed: {} orders of `{BIG}` and {} of each of {OTHERS} other tenants; 2 lines per order; the receivable \
         entry (2 postings) of every order past PENDING and not CANCELLED; {} customers, {} SKUs; created over the \
         year before the run. {} s measured per phase after {} s warm-up; {} keep-alive connections, one request in \
         flight on each; RS256 bearer tokens of `{BIG}`; client, server and database on the same {cpus} CPU(s) \
         ({model}). The createdAfter + createdBefore window is {} day(s) long, placed at random in the year.",
        settings.orders,
        settings.other,
        seed::EMAILS,
        seed::SKUS,
        settings.seconds,
        settings.warmup,
        settings.concurrency,
        settings.window_days
    );
    println!();
    println!("| backend | orders | seed s | ANALYZE s | size MiB | rows |");
    println!("|---|---:|---:|---:|---:|---|");
    for report in reports {
        let s = &report.seeded;
        println!(
            "| {} | {} | {:.0} | {} | {:.0} | {} |",
            s.backend.label(),
            s.orders,
            s.seed_seconds,
            s.analyze_seconds.map_or("-".to_owned(), |a| format!("{a:.0}")),
            s.bytes as f64 / (1024.0 * 1024.0),
            s.counts
        );
    }
    println!();
    println!("| backend | database | request | req/s | p50 ms | p99 ms | max ms | errors | orders/response |");
    println!("|---|---|---|---:|---:|---:|---:|---:|---:|");
    for row in reports.iter().flat_map(|r| &r.rows) {
        println!(
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.1} | {} | {:.1} |",
            row.backend.label(),
            row.database,
            row.operation.label(),
            row.per_second(),
            row.percentile_ms(0.50),
            row.percentile_ms(0.99),
            row.max_ms(),
            row.errors,
            row.mean_returned()
        );
    }
    println!();
    let over: Vec<String> = reports
        .iter()
        .flat_map(|r| &r.rows)
        .filter(|row| {
            let p99 = row.percentile_ms(0.99);
            row.operation.is_read() && (p99.is_nan() || p99 > 20.0)
        })
        .map(|row| format!("{} {} ({:.1} ms)", row.backend.label(), row.operation.label(), row.percentile_ms(0.99)))
        .collect();
    if over.is_empty() {
        println!("Every read's p99 is within the 20 ms target.");
    } else {
        println!("Reads whose p99 is above the 20 ms target: {}.", over.join("; "));
    }
    for row in reports.iter().flat_map(|r| &r.rows).filter(|r| r.errors > 0) {
        println!(
            "{} {}: {} failed request(s); the first: {}",
            row.backend.label(),
            row.operation.label(),
            row.errors,
            row.first_error.as_deref().unwrap_or("?")
        );
    }
    for plans in reports.iter().filter_map(|r| r.plans.as_ref()) {
        println!();
        println!("{} query plans:", plans.backend.label());
        println!();
        println!("```");
        print!("{}", plans.text);
        println!("```");
    }
    println!();
    println!("Whole run: {:.0} s; load average at the end: {}.", started.elapsed().as_secs_f64(), loadavg());
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    install_crypto_provider();
    let started = Instant::now();
    let settings = Settings::from_env()?;
    eprintln!("{}", settings.command());
    eprintln!("load average at start: {}", loadavg());
    for (backend, client) in [(Backend::Sqlite, "sqlite3"), (Backend::Postgres, "psql")] {
        if settings.backends.contains(&backend) && on_path(client).is_none() {
            bail!("{client} is not on PATH: the {} seed is written with it", backend.label());
        }
    }
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("saas-config.json");
    std::fs::write(&config, saas_config(&settings.tenants())?)?;
    let tokens = mint_tokens(settings.concurrency, BIG, "scale", Duration::from_secs(6 * 3600))?;

    let mut reports = Vec::new();
    for backend in settings.backends.clone() {
        reports.push(bench_backend(backend, &settings, dir.path(), &config, &tokens).await?);
    }
    print_report(&settings, &reports, started);
    let errors: usize = reports.iter().flat_map(|r| &r.rows).map(|r| r.errors).sum();
    if errors > 0 {
        bail!("{errors} request(s) failed; see above");
    }
    Ok(())
}
