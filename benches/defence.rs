//! What issue 12's defences cost per call, as ratios to the same run without them, on
//! PostgreSQL with the real `tenant-oms serve` process loaded over loopback HTTP:
//!
//! - row-level security, twice: (1) the server's `order(id)` and `createOrder` with the policies
//!   as shipped, then with them switched off on the bench schema (`ALTER TABLE … DISABLE ROW
//!   LEVEL SECURITY`; the scope statement is still sent), which prices the policies; (2) pgbench
//!   on one indexed read, autocommit as before versus in a scoped transaction as the app role
//!   (`benches/pgbench/read_*.sql`), which prices the extra statements and round trips;
//! - the Redis limiter: the same calls on a server started with `--redis-url` (every call then
//!   counts in Redis) versus the in-process counter, on a plan whose rate is never reached.
//!
//!     cargo bench --bench defence    # BENCH_SECONDS=5 BENCH_WARMUP=1 BENCH_CONCURRENCY=8
//!
//! `TEST_DATABASE_URL` (`postgres://postgres@127.0.0.1:5432/test`) and `TEST_REDIS_URL`
//! (`redis://127.0.0.1:6379`) name the services; the run works in a fresh schema. Client,
//! server and databases share the machine's cores: ratios are what to read, not the rates.

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

use common::{PgSchema, REQUEST_TIMEOUT, Server, loadavg, mint_tokens, on_path, saas_config};

const TENANT: &str = "bench";
const ORDERS: usize = 200;
const STARTUP_LIMIT: Duration = Duration::from_secs(60);
/// Each configuration is measured this many times, in turns; the rates are averaged.
const ROUNDS: u32 = 2;
const CREATE: &str = "mutation($input: CreateOrderInput!) { createOrder(input: $input) { order { id } } }";
const READ: &str = "query($id: ID!) { order(id: $id) { id status lines { sku } } }";

struct Settings {
    seconds: u64,
    warmup: u64,
    concurrency: usize,
    postgres_url: String,
    redis_url: String,
}

fn env_number(name: &str, default: u64) -> anyhow::Result<u64> {
    match std::env::var(name) {
        Ok(text) => text.parse().with_context(|| format!("{name}={text} is not a number")),
        Err(_) => Ok(default),
    }
}

impl Settings {
    fn from_env() -> anyhow::Result<Settings> {
        let url = |name: &str, default: &str| {
            std::env::var(name).ok().filter(|u| !u.is_empty()).unwrap_or(default.to_owned())
        };
        Ok(Settings {
            seconds: env_number("BENCH_SECONDS", 5)?,
            warmup: env_number("BENCH_WARMUP", 1)?,
            concurrency: usize::try_from(env_number("BENCH_CONCURRENCY", 8)?)?,
            postgres_url: url("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test"),
            redis_url: url("TEST_REDIS_URL", "redis://127.0.0.1:6379"),
        })
    }
}

#[derive(Clone, Copy)]
enum Call {
    Read,
    Create,
}

/// Requests per second of `call` with `concurrency` keep-alive clients, after a warm-up.
async fn rate(
    port: u16,
    tokens: &[String],
    call: Call,
    ids: &Arc<Vec<String>>,
    settings: &Settings,
    run: &str,
) -> anyhow::Result<f64> {
    let start = Instant::now();
    let measure_from = start + Duration::from_secs(settings.warmup);
    let end = measure_from + Duration::from_secs(settings.seconds);
    let mut tasks = Vec::new();
    for (worker, token) in tokens.iter().enumerate() {
        let client =
            reqwest::Client::builder().no_proxy().pool_max_idle_per_host(1).timeout(REQUEST_TIMEOUT).build()?;
        let (token, ids, run) = (format!("Bearer {token}"), ids.clone(), run.to_owned());
        let url = format!("http://127.0.0.1:{port}/graphql");
        tasks.push(tokio::spawn(async move {
            let mut counted = 0u64;
            for n in 0usize.. {
                let sent = Instant::now();
                if sent >= end {
                    break;
                }
                let body = match call {
                    Call::Read => json!({"query": READ, "variables": {"id": ids[(worker + n * 7919) % ids.len()]}}),
                    Call::Create => {
                        json!({"query": CREATE, "variables": {"input": order_input(&format!("{run}-{worker}-{n}"))}})
                    }
                };
                let answer: Value =
                    client.post(&url).header("authorization", &token).json(&body).send().await?.json().await?;
                if answer.get("errors").is_some() {
                    bail!("the server refused a bench call: {answer}");
                }
                if sent >= measure_from {
                    counted += 1;
                }
            }
            Ok(counted)
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await??;
    }
    Ok(total as f64 / settings.seconds as f64)
}

fn order_input(external_ref: &str) -> Value {
    json!({"externalRef": external_ref, "customer": {"name": "Bench Buyer", "email": "bench@example.com"},
           "lines": [{"sku": "SKU-1", "name": "Item", "vendorId": "v1", "quantity": 2,
                      "unitPrice": {"amount": "9.99", "currency": "USD"}}]})
}

/// `ORDERS` orders (numbered ORD-000001…, which the pgbench scripts look up), their ids.
async fn seed(port: u16, token: &str) -> anyhow::Result<Vec<String>> {
    let client = reqwest::Client::new();
    let mut ids = Vec::with_capacity(ORDERS);
    for n in 0..ORDERS {
        let body = json!({"query": CREATE, "variables": {"input": order_input(&format!("seed-{n}"))}});
        let answer: Value = client
            .post(format!("http://127.0.0.1:{port}/graphql"))
            .header("authorization", format!("Bearer {token}"))
            .json(&body)
            .send()
            .await?
            .json()
            .await?;
        let id =
            answer["data"]["createOrder"]["order"]["id"].as_str().ok_or_else(|| anyhow!("seed refused: {answer}"))?;
        ids.push(id.to_owned());
    }
    Ok(ids)
}

async fn psql(schema: &PgSchema, sql: &str) -> anyhow::Result<()> {
    let psql = on_path("psql").ok_or_else(|| anyhow!("psql is not on PATH (Debian: postgresql-client)"))?;
    let status = Command::new(psql)
        .args([schema.url.as_str(), "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .env("PGOPTIONS", format!("-c search_path={} -c client_min_messages=warning", schema.name))
        .stdout(Stdio::null())
        .status()
        .await?;
    if !status.success() {
        bail!("psql failed: {sql}");
    }
    Ok(())
}

/// Switches the policies off (`false`) or back on (`true`) on every table of the schema that has
/// them: RLS is a table property, so the server's sessions see the change at their next statement.
async fn policies(schema: &PgSchema, on: bool) -> anyhow::Result<()> {
    let action = if on {
        "EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t); EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);"
    } else {
        "EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', t); EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', t);"
    };
    psql(
        schema,
        &format!(
            "DO $$ DECLARE t text; BEGIN FOR t IN SELECT tablename FROM pg_policies WHERE schemaname = current_schema() \
             LOOP {action} END LOOP; END $$"
        ),
    )
    .await
}

/// pgbench's tps for `script` on the bench schema, as `role` (None: the URL's own user).
async fn pgbench(schema: &PgSchema, script: &str, role: Option<&str>, settings: &Settings) -> anyhow::Result<f64> {
    let pgbench = on_path("pgbench").ok_or_else(|| anyhow!("pgbench is not on PATH (Debian: postgresql-client)"))?;
    let mut options = format!("-c search_path={}", schema.name);
    if let Some(role) = role {
        options.push_str(&format!(" -c role={role}"));
    }
    let clients = settings.concurrency.to_string();
    let output = Command::new(pgbench)
        .args(["-n", "-M", "prepared", "-c", &clients, "-j", "2", "-T", &settings.seconds.to_string(), "-f", script])
        .arg(&schema.url)
        .env("PGOPTIONS", options)
        .stdin(Stdio::null())
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!("pgbench {script} failed:\n{stdout}{}", String::from_utf8_lossy(&output.stderr));
    }
    let line = stdout.lines().find_map(|l| l.strip_prefix("tps = ")).ok_or_else(|| anyhow!("no tps in:\n{stdout}"))?;
    Ok(line.split_whitespace().next().unwrap_or_default().parse()?)
}

fn config_with_rate(dir: &Path) -> anyhow::Result<std::path::PathBuf> {
    let mut config: Value = serde_json::from_str(&saas_config(TENANT)?)?;
    // A rate no run reaches: every call is counted, none refused.
    config["plans"]["bench"]["limits"] = json!({"requests_per_minute": 1_000_000_000u64});
    let path = dir.join("saas-config.json");
    std::fs::write(&path, config.to_string())?;
    Ok(path)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    install_crypto_provider();
    let settings = Settings::from_env()?;
    eprintln!("load average at start: {}", loadavg());
    let dir = tempfile::tempdir()?;
    let config = config_with_rate(dir.path())?;
    let tokens = mint_tokens(settings.concurrency, TENANT, "bench", Duration::from_secs(3 * 3600))?;
    let schema = PgSchema::create(&settings.postgres_url, "defence").await?;
    let url = schema.server_url();

    // Both servers at once on the schema, measured in turns (ABAB), so that a warmer cache or
    // a neighbour's burst on the shared cores does not land on one side only.
    let server = Server::start(&url, &config, dir.path(), "memory", STARTUP_LIMIT).await?;
    let redis_flags = ["--redis-url", settings.redis_url.as_str(), "--redis-stream", "oms-bench:defence:events"];
    let redis_server = Server::start_with(&url, &config, dir.path(), "redis", STARTUP_LIMIT, &redis_flags).await?;
    let ids = Arc::new(seed(server.port, &tokens[0]).await?);
    let mut rows: Vec<(&str, f64, f64, f64)> = Vec::new();
    for (label, call) in [("`order(id)`", Call::Read), ("`createOrder`", Call::Create)] {
        let (mut on, mut off, mut redis) = (0.0, 0.0, 0.0);
        for turn in 0..ROUNDS {
            on += rate(server.port, &tokens, call, &ids, &settings, &format!("on-{turn}")).await?;
            redis += rate(redis_server.port, &tokens, call, &ids, &settings, &format!("redis-{turn}")).await?;
            policies(&schema, false).await?;
            off += rate(server.port, &tokens, call, &ids, &settings, &format!("off-{turn}")).await?;
            policies(&schema, true).await?;
        }
        let rounds = f64::from(ROUNDS);
        rows.push((label, on / rounds, off / rounds, redis / rounds));
    }
    server.stop().await?;
    redis_server.stop().await?;

    let unscoped = pgbench(&schema, "benches/pgbench/read_unscoped.sql", None, &settings).await?;
    let scoped = pgbench(&schema, "benches/pgbench/read_scoped.sql", Some("tenant_oms_app"), &settings).await?;

    println!(
        "\nPostgreSQL, {} clients, {} s per run (load average now {})\n",
        settings.concurrency,
        settings.seconds,
        loadavg()
    );
    println!("| call | RLS on req/s | policies off req/s | cost of the policies (off / on) |");
    println!("|---|---:|---:|---:|");
    for (label, on, off, _) in &rows {
        println!("| {label} | {on:.0} | {off:.0} | {:.2} |", off / on);
    }
    println!("\n| pgbench, one indexed read | tps | ratio |");
    println!("|---|---:|---:|");
    println!("| autocommit, no RLS (before) | {unscoped:.0} | 1.00 |");
    println!("| scoped transaction as the app role (now) | {scoped:.0} | {:.2} |", scoped / unscoped);
    println!("\n| call | in-process counter req/s | Redis counter req/s | cost of Redis (in-process / Redis) |");
    println!("|---|---:|---:|---:|");
    for (label, on, _, redis) in &rows {
        println!("| {label} | {on:.0} | {redis:.0} | {:.2} |", on / redis);
    }
    Ok(())
}
