//! Load benchmark of the real server: the `tenant-oms` binary started as a separate process (so
//! its memory can be read from /proc), on SQLite and on PostgreSQL, driven over keep-alive HTTP
//! on 127.0.0.1 with RS256 bearer tokens the server verifies. It reports; it asserts no timing.
//!
//!     cargo bench --bench load
//!
//! Settings (environment):
//! - `BENCH_SECONDS` (10): measured seconds per phase, after
//! - `BENCH_WARMUP` (2): seconds per phase whose requests are sent but not measured;
//! - `BENCH_CONCURRENCY` (16): connections, one worker each, a request in flight per connection;
//!   also pgbench's client count;
//! - `BENCH_BACKENDS` (`sqlite,postgres`);
//! - `TEST_DATABASE_URL` (`postgres://postgres@127.0.0.1:5432/test`): each run works in fresh
//!   schemas there, dropped at the end when `psql` is on PATH. Unreachable: the bench fails.
//!   When each warm-up ends, the schema's tables are analyzed (with `psql`, which must then be
//!   on PATH), as autovacuum would within its minute: see `common::analyze_schema`.
//!
//! Per backend, one server process runs three phases in turn: `{ __typename }`, `createOrder`
//! (2 lines, a fresh externalRef each) and `order(id)` over the orders just created. Each row of
//! the table gives successful requests per second, p50 and p99 latency, failed requests, the
//! connections open to the server mid-phase, and the server's VmRSS and VmHWM after the phase.
//! With PostgreSQL and `pgbench` on PATH it then runs `benches/pgbench/*.sql`, the createOrder
//! transaction in SQL (counters first and counters last, as the server did it before, and counters
//! apart, in a transaction of their own, as it does now), and compares.
//!
//! The client runs on the same cores as the server and PostgreSQL, so figures are a floor.

use std::{
    path::Path,
    process::Stdio,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, anyhow, bail};
use infrastructure::identity::install_crypto_provider;
use serde_json::{Value, json};
use tokio::process::Command;

#[path = "common/mod.rs"]
mod common;

use common::{
    Backend, Memory, PgSchema, REQUEST_TIMEOUT, Server, analyze_schema, loadavg, mint_tokens, on_path, redact,
    saas_config,
};

const TENANT: &str = "bench";

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const PGBENCH_SCRIPTS: [(&str, &str); 3] = [
    (
        "counters first (the server before issue 9)",
        concat!(env!("CARGO_MANIFEST_DIR"), "/benches/pgbench/create_order_counters_first.sql"),
    ),
    (
        "counters last (the server until the counters moved out)",
        concat!(env!("CARGO_MANIFEST_DIR"), "/benches/pgbench/create_order_counters_last.sql"),
    ),
    (
        "counters apart (as the server does)",
        concat!(env!("CARGO_MANIFEST_DIR"), "/benches/pgbench/create_order_counters_apart.sql"),
    ),
];

const TYPENAME_BODY: &str = r#"{"query":"{ __typename }"}"#;
const CREATE: &str =
    "mutation($input: CreateOrderInput!) { createOrder(input: $input) { order { id } userErrors { code message } } }";
const READ: &str = "query($id: ID!) { order(id: $id) { id number status lines { sku quantity } shipments { id } } }";

/// Start-up includes migrations (nothing to do: the bench migrated the schema already) and the
/// config import; a minute means something is wrong.
const STARTUP_LIMIT: Duration = Duration::from_secs(60);
struct Settings {
    seconds: u64,
    warmup: u64,
    concurrency: usize,
    backends: Vec<Backend>,
    postgres_url: String,
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
        if seconds == 0 || concurrency == 0 {
            bail!("BENCH_SECONDS and BENCH_CONCURRENCY must be at least 1");
        }
        let backends = Backend::from_env()?;
        let postgres_url = std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        Ok(Settings { seconds, warmup, concurrency, backends, postgres_url })
    }

    fn has(&self, backend: Backend) -> bool {
        self.backends.contains(&backend)
    }

    /// The command that repeats this run, every setting spelled out.
    fn command(&self) -> String {
        let backends: Vec<&str> = self.backends.iter().map(|b| b.name()).collect();
        let mut command = format!(
            "BENCH_SECONDS={} BENCH_WARMUP={} BENCH_CONCURRENCY={} BENCH_BACKENDS={}",
            self.seconds,
            self.warmup,
            self.concurrency,
            backends.join(",")
        );
        if self.has(Backend::Postgres) {
            command.push_str(&format!(" TEST_DATABASE_URL={}", redact(&self.postgres_url)));
        }
        command.push_str(" cargo bench --bench load");
        command
    }
}

/// Server-side TCP connections in ESTABLISHED state on `port` (IPv4 only: the bench uses
/// 127.0.0.1). Shows that the client held exactly its connections, neither more nor fewer.
fn established_on(port: u16) -> usize {
    let local = format!("0100007F:{port:04X}");
    std::fs::read_to_string("/proc/net/tcp")
        .unwrap_or_default()
        .lines()
        .skip(1)
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.get(1) == Some(&local.as_str()) && fields.get(3) == Some(&"01")
        })
        .count()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Operation {
    Typename,
    CreateOrder,
    ReadOrder,
}

impl Operation {
    fn label(self) -> &'static str {
        match self {
            Operation::Typename => "`{ __typename }`",
            Operation::CreateOrder => "`createOrder`",
            Operation::ReadOrder => "`order(id)`",
        }
    }
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

/// What one request proved, or why it failed.
type Outcome = Result<Option<String>, String>;

impl Worker {
    async fn call(&self, operation: Operation, n: usize, run: &str, ids: &[String]) -> Outcome {
        let (body, expected_id) = match operation {
            Operation::Typename => (TYPENAME_BODY.to_owned(), None),
            Operation::CreateOrder => {
                let input = json!({"externalRef": format!("{run}-{}-{n}", self.index),
                    "customer": {"name": "Bench Buyer", "email": "bench@example.com"},
                    "lines": [{"sku": "SKU-1", "name": "Item", "vendorId": "v1", "quantity": 2, "unitPrice": {"amount": "9.99", "currency": "USD"}},
                              {"sku": "SKU-2", "name": "Item 2", "vendorId": "v1", "quantity": 1, "unitPrice": {"amount": "4.50", "currency": "USD"}}]});
                (json!({"query": CREATE, "variables": {"input": input}}).to_string(), None)
            }
            Operation::ReadOrder => {
                // Each worker walks the created orders from its own offset.
                let id = &ids[(self.index + n * 7919) % ids.len()];
                (json!({"query": READ, "variables": {"id": id}}).to_string(), Some(id.as_str()))
            }
        };
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
        match operation {
            Operation::Typename if answer["data"]["__typename"] == "Query" => Ok(None),
            Operation::CreateOrder => match answer["data"]["createOrder"]["order"]["id"].as_str() {
                Some(id) => Ok(Some(id.to_owned())),
                None => Err(format!("createOrder answered without an order id: {}", excerpt())),
            },
            Operation::ReadOrder if answer["data"]["order"]["id"].as_str() == expected_id => Ok(None),
            _ => Err(format!("unexpected answer: {}", excerpt())),
        }
    }
}

struct Row {
    backend: Backend,
    operation: Operation,
    measured: usize,
    seconds: f64,
    latencies_us: Vec<u64>,
    errors: usize,
    first_error: Option<String>,
    connections: usize,
    memory: Memory,
}

impl Row {
    fn per_second(&self) -> f64 {
        self.measured as f64 / self.seconds
    }

    /// Nearest-rank percentile, in milliseconds.
    fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let rank = ((p * self.latencies_us.len() as f64).ceil() as usize).clamp(1, self.latencies_us.len());
        self.latencies_us[rank - 1] as f64 / 1000.0
    }
}

struct WorkerReport {
    latencies_us: Vec<u64>,
    errors: usize,
    first_error: Option<String>,
    created: Vec<String>,
}

/// Every worker sends `operation` back to back for warm-up + measured seconds. A request counts
/// when it started in the measured window; errors count throughout, warm-up included.
#[allow(clippy::too_many_arguments)]
async fn phase(
    backend: Backend,
    operation: Operation,
    server: &Server,
    workers: &[Arc<Worker>],
    settings: &Settings,
    run: &Arc<str>,
    ids: &Arc<Vec<String>>,
    schema: Option<&PgSchema>,
) -> anyhow::Result<(Row, Vec<String>)> {
    let started = Instant::now();
    let measure_from = started + Duration::from_secs(settings.warmup);
    let end = measure_from + Duration::from_secs(settings.seconds);
    // PostgreSQL: statistics of what the warm-up wrote, as autovacuum would gather them
    // (`common::analyze_schema`), taken while the load goes on, as autovacuum does.
    let analyzed = schema.map(|schema| {
        let (url, name) = (schema.url.clone(), schema.name.clone());
        tokio::spawn(async move {
            tokio::time::sleep_until(measure_from.into()).await;
            tokio::task::spawn_blocking(move || analyze_schema(&url, &name)).await?
        })
    });
    let tasks: Vec<_> = workers
        .iter()
        .map(|worker| {
            let (worker, run, ids) = (worker.clone(), run.clone(), ids.clone());
            tokio::spawn(async move {
                let mut report =
                    WorkerReport { latencies_us: Vec::new(), errors: 0, first_error: None, created: Vec::new() };
                for n in 0.. {
                    let sent = Instant::now();
                    if sent >= end {
                        break;
                    }
                    let outcome = worker.call(operation, n, &run, &ids).await;
                    let took = sent.elapsed();
                    match outcome {
                        Ok(created) => {
                            report.created.extend(created);
                            if sent >= measure_from {
                                report.latencies_us.push(took.as_micros() as u64);
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
    if let Some(analyzed) = analyzed {
        analyzed.await.context("ANALYZE task")??;
    }
    // Counted mid-window, when every worker is busy.
    tokio::time::sleep_until((measure_from + Duration::from_secs(settings.seconds) / 2).into()).await;
    let connections = established_on(server.port);
    let mut latencies_us = Vec::new();
    let (mut errors, mut first_error, mut created) = (0, None, Vec::new());
    for task in tasks {
        let report = task.await.context("bench worker")?;
        latencies_us.extend(report.latencies_us);
        errors += report.errors;
        first_error = first_error.or(report.first_error);
        created.extend(report.created);
    }
    latencies_us.sort_unstable();
    let row = Row {
        backend,
        operation,
        measured: latencies_us.len(),
        seconds: settings.seconds as f64,
        latencies_us,
        errors,
        first_error,
        connections,
        memory: server.memory()?,
    };
    Ok((row, created))
}

/// The three phases against one server process.
async fn bench_backend(
    backend: Backend,
    database_url: &str,
    settings: &Settings,
    dir: &Path,
    config: &Path,
    tokens: &[String],
    schema: Option<&PgSchema>,
) -> anyhow::Result<Vec<Row>> {
    eprintln!("{}: starting tenant-oms serve", backend.label());
    let server = Server::start(database_url, config, dir, backend.label(), STARTUP_LIMIT).await?;
    let workers = workers(server.port, tokens)?;
    let run: Arc<str> = uuid::Uuid::new_v4().simple().to_string().into();
    let mut ids = Arc::new(Vec::new());
    let mut rows = Vec::new();
    for operation in [Operation::Typename, Operation::CreateOrder, Operation::ReadOrder] {
        if operation == Operation::ReadOrder && ids.is_empty() {
            bail!("{}: no order was created, so there is nothing to read", backend.label());
        }
        eprintln!(
            "{}: {} for {} s + {} s warm-up",
            backend.label(),
            operation.label(),
            settings.seconds,
            settings.warmup
        );
        let (row, created) = phase(backend, operation, &server, &workers, settings, &run, &ids, schema).await?;
        if operation == Operation::CreateOrder {
            ids = Arc::new(created);
        }
        rows.push(row);
    }
    drop(workers);
    server.stop().await?;
    Ok(rows)
}

struct PgbenchResult {
    label: &'static str,
    tps: f64,
    latency_ms: f64,
    failed: u64,
}

/// `pgbench` on the script, in a fresh migrated schema: a discarded warm-up run, ANALYZE, then
/// the measured one, with as many clients as the bench has connections.
async fn pgbench(
    pgbench: &Path,
    label: &'static str,
    script: &str,
    settings: &Settings,
) -> anyhow::Result<PgbenchResult> {
    let schema = PgSchema::create(&settings.postgres_url, "pgbench").await?;
    let run = |seconds: u64| {
        let clients = settings.concurrency.to_string();
        let threads = settings.concurrency.min(2).to_string();
        let mut command = Command::new(pgbench);
        command
            .args(["-n", "-M", "prepared", "-c", &clients, "-j", &threads, "-T", &seconds.to_string(), "-f", script])
            .arg(&settings.postgres_url)
            // libpq's startup options: every pgbench connection works in the fresh schema.
            .env("PGOPTIONS", format!("-c search_path={}", schema.name))
            .stdin(Stdio::null());
        async move { command.output().await }
    };
    if settings.warmup > 0 {
        eprintln!("pgbench: {label}: {} s warm-up", settings.warmup);
        let warmup = run(settings.warmup).await.context("run pgbench")?;
        if !warmup.status.success() {
            bail!("pgbench {script} failed:\n{}", String::from_utf8_lossy(&warmup.stderr));
        }
    }
    // As for the server: the statistics autovacuum would have gathered by now.
    let (url, name) = (schema.url.clone(), schema.name.clone());
    tokio::task::spawn_blocking(move || analyze_schema(&url, &name)).await??;
    eprintln!("pgbench: {label}: {} s", settings.seconds);
    let output = run(settings.seconds).await.context("run pgbench")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!("pgbench {script} failed:\n{stdout}{}", String::from_utf8_lossy(&output.stderr));
    }
    let value = |prefix: &str| -> anyhow::Result<f64> {
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .ok_or_else(|| anyhow!("no `{prefix}` in pgbench's output:\n{stdout}"))?;
        let number = line.split_whitespace().next().unwrap_or_default();
        number.parse().with_context(|| format!("pgbench `{prefix}{line}`"))
    };
    Ok(PgbenchResult {
        label,
        tps: value("tps = ")?,
        latency_ms: value("latency average = ")?,
        failed: value("number of failed transactions: ")? as u64,
    })
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn print_report(settings: &Settings, rows: &[Row], pgbench: &[PgbenchResult], pgbench_note: Option<&str>) {
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
        "{} s measured per phase after {} s warm-up; {} keep-alive connections, one request in flight on each; \
         RS256 bearer tokens (one per connection) verified by the server; client, server and database on the same \
         {cpus} CPU(s) ({model}). RSS and HWM: the server process's VmRSS and VmHWM after the phase.",
        settings.seconds, settings.warmup, settings.concurrency
    );
    println!();
    println!(
        "| backend | request | req/s | p50 ms | p99 ms | errors | connections | server RSS MiB | server HWM MiB |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        println!(
            "| {} | {} | {:.0} | {:.2} | {:.2} | {} | {} | {:.1} | {:.1} |",
            row.backend.label(),
            row.operation.label(),
            row.per_second(),
            row.percentile_ms(0.50),
            row.percentile_ms(0.99),
            row.errors,
            row.connections,
            mib(row.memory.rss_kib),
            mib(row.memory.hwm_kib)
        );
    }
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if let Some(last) = rows.iter().rfind(|r| r.backend == backend) {
            println!();
            println!(
                "{}: server VmRSS {:.1} MiB, VmHWM {:.1} MiB after the run.",
                backend.label(),
                mib(last.memory.rss_kib),
                mib(last.memory.hwm_kib)
            );
        }
    }
    let failed: Vec<&Row> = rows.iter().filter(|r| r.errors > 0).collect();
    for row in &failed {
        println!(
            "{} {}: {} failed request(s); the first: {}",
            row.backend.label(),
            row.operation.label(),
            row.errors,
            row.first_error.as_deref().unwrap_or("?")
        );
    }
    if let Some(note) = pgbench_note {
        println!();
        println!("{note}");
    }
    if !pgbench.is_empty() {
        let create = rows
            .iter()
            .find(|r| r.backend == Backend::Postgres && r.operation == Operation::CreateOrder)
            .map(Row::per_second);
        println!();
        println!(
            "pgbench, the createOrder transaction in SQL (benches/pgbench/), {} clients, -j {}, -M prepared, {} s after a \
             {} s warm-up, each in a fresh schema:",
            settings.concurrency,
            settings.concurrency.min(2),
            settings.seconds,
            settings.warmup
        );
        println!();
        println!("| pgbench script | tps | latency avg ms | failed | server `createOrder` req/s | server / pgbench |");
        println!("|---|---:|---:|---:|---:|---:|");
        for result in pgbench {
            let (ours, ratio) = match create {
                Some(ours) => (format!("{ours:.0}"), format!("{:.2}", ours / result.tps)),
                None => ("-".to_owned(), "-".to_owned()),
            };
            println!(
                "| {} | {:.0} | {:.2} | {} | {ours} | {ratio} |",
                result.label, result.tps, result.latency_ms, result.failed
            );
        }
    }
    println!();
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    install_crypto_provider();
    let settings = Settings::from_env()?;
    eprintln!("{}", settings.command());
    // Other work on these cores skews every figure; the load average says whether there was any.
    eprintln!("load average at start: {}", loadavg());
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("saas-config.json");
    std::fs::write(&config, saas_config(TENANT)?)?;
    let tokens = mint_tokens(settings.concurrency, TENANT, "bench", Duration::from_secs(3 * 3600))?;

    // Before anything is measured, so an unreachable PostgreSQL fails the run at once.
    let schema = if settings.has(Backend::Postgres) {
        Some(PgSchema::create(&settings.postgres_url, "bench").await?)
    } else {
        None
    };

    let mut rows = Vec::new();
    for backend in settings.backends.clone() {
        let (url, analyzed) = match (backend, &schema) {
            (Backend::Postgres, Some(schema)) => (schema.server_url(), Some(schema)),
            _ => (format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display()), None),
        };
        rows.extend(bench_backend(backend, &url, &settings, dir.path(), &config, &tokens, analyzed).await?);
    }
    drop(schema);

    let mut pgbench_results = Vec::new();
    let mut pgbench_note = None;
    if settings.has(Backend::Postgres) {
        match on_path("pgbench") {
            Some(program) => {
                for (label, script) in PGBENCH_SCRIPTS {
                    pgbench_results.push(pgbench(&program, label, script, &settings).await?);
                }
            }
            None => {
                pgbench_note = Some("pgbench is not on PATH (Debian: postgresql-client): its comparison was skipped.")
            }
        }
    }

    eprintln!("load average at the end: {}", loadavg());
    print_report(&settings, &rows, &pgbench_results, pgbench_note);
    let errors: usize = rows.iter().map(|r| r.errors).sum();
    if errors > 0 {
        // Figures with failed requests in them are not figures: the run says so by failing.
        bail!("{errors} request(s) failed; see above");
    }
    Ok(())
}
