//! Relay lag of the real server: how long after `createOrder` answers (the order and its events
//! are committed) the tenant's webhook receiver gets the `order.created`, with orders arriving
//! at a steady rate. The `tenant-oms` binary runs as a separate process on SQLite and then on
//! PostgreSQL (in-process event bus); the receiver is in this process on 127.0.0.1 and answers
//! 200 at once. It reports; it asserts no timing.
//!
//!     cargo bench --bench relay_lag
//!
//! Settings (environment):
//! - `BENCH_SECONDS` (10): seconds of load per backend;
//! - `BENCH_RATE` (500): `createOrder` requests started per second, on schedule whatever the
//!   earlier ones are doing (at most 256 in flight: beyond that the schedule slips, and the
//!   achieved rate shows it);
//! - `BENCH_BACKENDS` (`sqlite,postgres`), `TEST_DATABASE_URL`
//!   (`postgres://postgres@127.0.0.1:5432/test`), as `cargo bench --bench load`: the run works
//!   in a fresh schema there, dropped at the end when `psql` is on PATH.
//!
//! Lag is matched by order id (the delivery's `aggregateId`): receiver arrival time less the
//! time this process read the `createOrder` answer, both on this process's monotonic clock. A
//! delivery that arrives before its answer was read counts as 0. After the load the bench waits
//! until every order arrived or none arrived for 10 s; orders still missing then are reported.
//! Each order emits `order.created` and `order.confirmed` (auto-confirm); the webhook asks for
//! `order.created` only.
//!
//! The client, the receiver, the server and the database share the same cores: figures are a
//! floor.

use std::{
    collections::HashMap,
    path::Path,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::{Context, anyhow, bail};
use axum::{Router, body::Bytes, extract::State, http::StatusCode, routing::post};
use infrastructure::identity::install_crypto_provider;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

#[path = "common/mod.rs"]
mod common;

use common::{Backend, PgSchema, REQUEST_TIMEOUT, Server, loadavg, mint_tokens, redact, saas_config};

const TENANT: &str = "bench";
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const STARTUP_LIMIT: Duration = Duration::from_secs(60);
/// Requests in flight at most; a server slower than the rate makes the schedule slip.
const MAX_IN_FLIGHT: usize = 256;
/// After the load: no delivery for this long and the rest are counted missing.
const DRAIN_QUIET: Duration = Duration::from_secs(10);
/// A whsec_ secret of 32 bytes.
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo=";

const CREATE: &str =
    "mutation($input: CreateOrderInput!) { createOrder(input: $input) { order { id } userErrors { code message } } }";
const UPDATE_CONFIG: &str = "mutation($input: UpdateTenantConfigInput!) { updateTenantConfig(input: $input) { \
  userErrors { code field message } } }";

struct Settings {
    seconds: u64,
    rate: u64,
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
        let rate = number("BENCH_RATE", 500)?;
        if seconds == 0 || rate == 0 {
            bail!("BENCH_SECONDS and BENCH_RATE must be at least 1");
        }
        let backends = Backend::from_env()?;
        let postgres_url = std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        Ok(Settings { seconds, rate, backends, postgres_url })
    }

    /// The command that repeats this run, every setting spelled out.
    fn command(&self) -> String {
        let backends: Vec<&str> = self.backends.iter().map(|b| b.name()).collect();
        let mut command =
            format!("BENCH_SECONDS={} BENCH_RATE={} BENCH_BACKENDS={}", self.seconds, self.rate, backends.join(","));
        if self.backends.contains(&Backend::Postgres) {
            command.push_str(&format!(" TEST_DATABASE_URL={}", redact(&self.postgres_url)));
        }
        command.push_str(" cargo bench --bench relay_lag");
        command
    }
}

/// The tenant's webhook receiver: when each order's `order.created` first arrived, and how many
/// arrived again (a retry or a duplicate).
#[derive(Default)]
struct Arrivals {
    first: HashMap<String, Instant>,
    again: usize,
}

async fn receive(State(arrivals): State<Arc<Mutex<Arrivals>>>, body: Bytes) -> StatusCode {
    let now = Instant::now();
    let Ok(event) = serde_json::from_slice::<Value>(&body) else { return StatusCode::BAD_REQUEST };
    if event["type"] == "order.created"
        && let Some(order) = event["aggregateId"].as_str()
    {
        let mut arrivals = arrivals.lock().unwrap_or_else(|p| p.into_inner());
        if arrivals.first.contains_key(order) {
            arrivals.again += 1;
        } else {
            arrivals.first.insert(order.to_owned(), now);
        }
    }
    StatusCode::OK
}

async fn start_receiver() -> anyhow::Result<(String, Arc<Mutex<Arrivals>>)> {
    let arrivals = Arc::new(Mutex::new(Arrivals::default()));
    let router = Router::new().route("/hooks", post(receive)).with_state(arrivals.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hooks", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok((url, arrivals))
}

async fn graphql(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    query: &str,
    variables: Value,
) -> Result<Value, String> {
    let response = client
        .post(url)
        .bearer_auth(token)
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .map_err(|e| format!("request: {e}"))?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|e| format!("response body: {e}"))?;
    if !status.is_success() || body.get("errors").is_some() {
        return Err(format!("HTTP {status}: {body}"));
    }
    Ok(body)
}

struct Row {
    backend: Backend,
    seconds: f64,
    acknowledged: Vec<(String, Instant)>,
    errors: usize,
    first_error: Option<String>,
    lags_us: Vec<u64>,
    before_answer: usize,
    again: usize,
}

impl Row {
    fn delivered(&self) -> usize {
        self.lags_us.len()
    }

    /// Nearest-rank percentile, in milliseconds.
    fn percentile_ms(&self, p: f64) -> f64 {
        if self.lags_us.is_empty() {
            return f64::NAN;
        }
        let rank = ((p * self.lags_us.len() as f64).ceil() as usize).clamp(1, self.lags_us.len());
        self.lags_us[rank - 1] as f64 / 1000.0
    }
}

/// One server process: the webhook configured, the load at the rate, then the wait for the rest.
async fn bench_backend(
    backend: Backend,
    database_url: &str,
    settings: &Settings,
    dir: &Path,
    config: &Path,
    token: &str,
) -> anyhow::Result<Row> {
    eprintln!("{}: starting tenant-oms serve", backend.label());
    let flags = ["--allow-private-webhook-urls"];
    let server = Server::start_with(database_url, config, dir, backend.label(), STARTUP_LIMIT, &flags).await?;
    let url = format!("http://127.0.0.1:{}/graphql", server.port);
    let client = reqwest::Client::builder().no_proxy().timeout(REQUEST_TIMEOUT).build()?;
    let (hook_url, arrivals) = start_receiver().await?;
    let webhook =
        json!({"input": {"outboundWebhook": {"url": hook_url, "secret": SECRET, "events": ["order.created"]}}});
    let configured = graphql(&client, &url, token, UPDATE_CONFIG, webhook).await.map_err(|e| anyhow!(e))?;
    if configured["data"]["updateTenantConfig"]["userErrors"] != json!([]) {
        bail!("the webhook was refused: {configured}");
    }

    eprintln!("{}: {} createOrder/s for {} s", backend.label(), settings.rate, settings.seconds);
    let run = uuid::Uuid::new_v4().simple().to_string();
    let total = settings.rate * settings.seconds;
    let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / u32::try_from(settings.rate)?);
    // Missed ticks are made up at once: the average rate holds, as long as the slots do.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut requests = Vec::with_capacity(usize::try_from(total)?);
    for n in 0..total {
        ticks.tick().await;
        let slot = slots.clone().acquire_owned().await?;
        let (client, url, token) = (client.clone(), url.clone(), token.to_owned());
        let input = json!({"externalRef": format!("{run}-{n}"),
            "customer": {"name": "Bench Buyer", "email": "bench@example.com"},
            "lines": [{"sku": "SKU-1", "name": "Item", "vendorId": "v1", "quantity": 2, "unitPrice": {"amount": "9.99", "currency": "USD"}}]});
        requests.push(tokio::spawn(async move {
            let answer = graphql(&client, &url, &token, CREATE, json!({"input": input})).await;
            let answered = Instant::now();
            drop(slot);
            let answer = answer?;
            match answer["data"]["createOrder"]["order"]["id"].as_str() {
                Some(id) => Ok((id.to_owned(), answered)),
                None => Err(format!("createOrder answered without an order id: {answer}")),
            }
        }));
    }
    let mut acknowledged = Vec::with_capacity(requests.len());
    let (mut errors, mut first_error) = (0, None);
    for request in requests {
        match request.await.context("bench request")? {
            Ok(ack) => acknowledged.push(ack),
            Err(e) => {
                errors += 1;
                first_error.get_or_insert(e);
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();

    eprintln!("{}: waiting for the deliveries", backend.label());
    let (mut seen, mut last_change) = (0, Instant::now());
    loop {
        let arrived = arrivals.lock().unwrap_or_else(|p| p.into_inner()).first.len();
        if arrived >= acknowledged.len() || last_change.elapsed() >= DRAIN_QUIET {
            break;
        }
        if arrived != seen {
            (seen, last_change) = (arrived, Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.stop().await?;

    let arrivals = arrivals.lock().unwrap_or_else(|p| p.into_inner());
    let (mut lags_us, mut before_answer) = (Vec::new(), 0);
    for (order, answered) in &acknowledged {
        if let Some(arrived) = arrivals.first.get(order) {
            match arrived.checked_duration_since(*answered) {
                Some(lag) => lags_us.push(u64::try_from(lag.as_micros())?),
                None => {
                    before_answer += 1;
                    lags_us.push(0);
                }
            }
        }
    }
    lags_us.sort_unstable();
    Ok(Row { backend, seconds, acknowledged, errors, first_error, lags_us, before_answer, again: arrivals.again })
}

fn print_report(settings: &Settings, rows: &[Row]) {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!();
    println!("    {}", settings.command());
    println!();
    println!(
        "{} createOrder/s offered for {} s per backend; lag: createOrder answered -> order.created at the \
         receiver (loopback, answers 200 at once); in-process event bus; client, receiver, server and database on \
         the same {cpus} CPU(s).",
        settings.rate, settings.seconds
    );
    println!();
    println!(
        "| backend | orders/s achieved | acknowledged | delivered | missing | again | lag p50 ms | lag p99 ms | lag max ms | errors |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        println!(
            "| {} | {:.0} | {} | {} | {} | {} | {:.1} | {:.1} | {:.1} | {} |",
            row.backend.label(),
            row.acknowledged.len() as f64 / row.seconds,
            row.acknowledged.len(),
            row.delivered(),
            row.acknowledged.len() - row.delivered(),
            row.again,
            row.percentile_ms(0.50),
            row.percentile_ms(0.99),
            row.percentile_ms(1.0),
            row.errors
        );
    }
    for row in rows {
        if row.before_answer > 0 {
            println!(
                "{}: {} deliveries arrived before their createOrder answer was read (counted as 0 ms).",
                row.backend.label(),
                row.before_answer
            );
        }
        if let Some(error) = &row.first_error {
            println!("{}: {} failed request(s); the first: {error}", row.backend.label(), row.errors);
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
    let token = mint_tokens(1, TENANT, "bench", Duration::from_secs(3 * 3600))?.remove(0);
    // Before anything is measured, so an unreachable PostgreSQL fails the run at once.
    let schema = if settings.backends.contains(&Backend::Postgres) {
        Some(PgSchema::create(&settings.postgres_url, "relay_lag").await?)
    } else {
        None
    };

    let mut rows = Vec::new();
    for backend in settings.backends.clone() {
        let url = match (backend, &schema) {
            (Backend::Postgres, Some(schema)) => schema.server_url(),
            _ => format!("sqlite://{}?mode=rwc", dir.path().join("relay-lag.db").display()),
        };
        rows.push(bench_backend(backend, &url, &settings, dir.path(), &config, &token).await?);
    }
    drop(schema);
    eprintln!("load average at the end: {}", loadavg());
    print_report(&settings, &rows);
    // Figures with failed requests or lost deliveries in them are not figures: the run says so
    // by failing.
    let errors: usize = rows.iter().map(|r| r.errors).sum();
    let missing: usize = rows.iter().map(|r| r.acknowledged.len() - r.delivered()).sum();
    if errors > 0 || missing > 0 {
        bail!("{errors} request(s) failed, {missing} acknowledged order(s) never delivered; see above");
    }
    Ok(())
}
