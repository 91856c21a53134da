//! Load generator against the real server: the real router, the real database (a fresh SQLite
//! file, or a fresh PostgreSQL schema when TEST_DATABASE_URL is set), real HTTP on 127.0.0.1,
//! bearer tokens verified on every request. Bounded in time; stops by itself.
//!
//!     cargo bench --bench load                      # SQLite
//!     TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench load
//!
//! BENCH_SECONDS (default 5) per phase, BENCH_CONCURRENCY (default 32) requests in flight.
//! The client runs on the same 2 cores as the server, so figures are a floor for the server.
//! Each phase is reported with its ratio to the `/healthz` round trip measured in the same run.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use infrastructure::{
    config::SaasConfig,
    identity::{DevTokenIssuer, install_crypto_provider},
    persistence::Database,
};
use interfaces::http::HttpConfig;
use serde_json::{Value, json};
use tenant_oms::app;

const SECRET: &str = "bench-only-hs256-secret-0123456789abcdef";

struct Phase {
    name: &'static str,
    requests: usize,
    seconds: f64,
    latencies_us: Vec<u64>,
}

impl Phase {
    fn per_second(&self) -> f64 {
        self.requests as f64 / self.seconds
    }

    fn percentile(&self, p: f64) -> f64 {
        let mut sorted = self.latencies_us.clone();
        sorted.sort_unstable();
        let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted.get(i).copied().unwrap_or(0) as f64 / 1000.0
    }
}

async fn database() -> anyhow::Result<(Database, Option<tempfile::TempDir>, &'static str)> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) => {
            let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
            let db = Database::connect_in_schema(&url, &schema).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            db.migrate().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok((db, None, "postgres"))
        }
        Err(_) => {
            let dir = tempfile::tempdir()?;
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
            let db = Database::connect(&url).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            db.migrate().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok((db, Some(dir), "sqlite"))
        }
    }
}

/// Runs `call(i)` from `concurrency` workers until `duration` has passed.
async fn run<F, Fut>(name: &'static str, concurrency: usize, duration: Duration, call: F) -> Phase
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let call = Arc::new(call);
    let counter = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (call, counter) = (call.clone(), counter.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while start.elapsed() < duration {
                    let i = counter.fetch_add(1, Ordering::Relaxed);
                    let t = Instant::now();
                    assert!(call(i).await, "{name} request {i} failed");
                    latencies.push(t.elapsed().as_micros() as u64);
                }
                latencies
            })
        })
        .collect();
    let mut latencies_us = Vec::new();
    for w in workers {
        latencies_us.extend(w.await.expect("worker"));
    }
    Phase { name, requests: latencies_us.len(), seconds: start.elapsed().as_secs_f64(), latencies_us }
}

const CREATE: &str =
    "mutation($input: CreateOrderInput!) { createOrder(input: $input) { order { id } userErrors { code } } }";
const READ: &str = "query($id: ID!) { order(id: $id) { id number status lines { sku quantity } shipments { id } } }";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    install_crypto_provider();
    let seconds: u64 = std::env::var("BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let concurrency: usize = std::env::var("BENCH_CONCURRENCY").ok().and_then(|s| s.parse().ok()).unwrap_or(32);
    let duration = Duration::from_secs(seconds);

    let (db, _dir, backend) = database().await?;
    let built = app::build(&db, app::ConfigSource::Seed(SaasConfig::demo(SECRET)), HttpConfig::default()).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(app::serve(listener, built, std::future::pending()));

    let token = DevTokenIssuer::new(SECRET, SaasConfig::DEMO_ISSUER, SaasConfig::DEMO_AUDIENCE).mint(
        SaasConfig::DEMO_TENANT,
        "bench",
        &["tenant_admin"],
        Duration::from_secs(3600),
    );
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency * 2).build()?;
    let gql = {
        let (client, url, auth) = (client.clone(), format!("{base}/graphql"), format!("Bearer {token}"));
        Arc::new(move |query: &'static str, variables: Value| {
            let req =
                client.post(&url).header("authorization", &auth).json(&json!({"query": query, "variables": variables}));
            async move { req.send().await.ok()?.json::<Value>().await.ok() }
        })
    };
    let run_id = uuid::Uuid::new_v4().simple().to_string();
    let created = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));

    let health = {
        let (client, url) = (client.clone(), format!("{base}/healthz"));
        run("GET /healthz (baseline)", concurrency, duration, move |_| {
            let req = client.get(&url);
            async move { req.send().await.is_ok_and(|r| r.status().is_success()) }
        })
        .await
    };
    let create = {
        let (gql, created, run_id) = (gql.clone(), created.clone(), run_id.clone());
        run("createOrder", concurrency, duration, move |i| {
            let input = json!({"input": {"externalRef": format!("{run_id}-{i}"),
                "customer": {"name": "Bench Buyer", "email": "bench@example.com"},
                "lines": [{"sku": "SKU-1", "name": "Item", "vendorId": "v1", "quantity": 2, "unitPrice": {"amount": "9.99", "currency": "USD"}},
                          {"sku": "SKU-2", "name": "Item 2", "vendorId": "v1", "quantity": 1, "unitPrice": {"amount": "4.50", "currency": "USD"}}]}});
            let (gql, created) = (gql.clone(), created.clone());
            async move {
                let Some(body) = gql(CREATE, input).await else { return false };
                match body["data"]["createOrder"]["order"]["id"].as_str() {
                    Some(id) => {
                        created.lock().expect("ids").push(id.to_owned());
                        true
                    }
                    None => false,
                }
            }
        })
        .await
    };
    let ids = Arc::new(created.lock().expect("ids").clone());
    let read = {
        let gql = gql.clone();
        run("order(id)", concurrency, duration, move |i| {
            let id = ids[i % ids.len()].clone();
            let gql = gql.clone();
            async move { gql(READ, json!({"id": id})).await.is_some_and(|b| b["data"]["order"]["id"] == id.as_str()) }
        })
        .await
    };

    println!(
        "\nbackend: {backend}; {concurrency} in flight; {seconds} s per phase; client and server share this machine\n"
    );
    println!(
        "{:<26} {:>10} {:>12} {:>10} {:>10} {:>14}",
        "phase", "requests", "per second", "p50 ms", "p99 ms", "vs baseline"
    );
    for p in [&health, &create, &read] {
        println!(
            "{:<26} {:>10} {:>12.0} {:>10.2} {:>10.2} {:>13.2}x",
            p.name,
            p.requests,
            p.per_second(),
            p.percentile(0.50),
            p.percentile(0.99),
            health.per_second() / p.per_second()
        );
    }
    Ok(())
}
