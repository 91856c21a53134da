//! What the benches share: the test-only signing key and its tokens, the one-tenant config, the
//! real `tenant-oms` process they load, fresh PostgreSQL schemas, and small readings of the
//! machine. Each bench includes this module; not every bench uses every part of it.
#![allow(dead_code)]

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{Context, anyhow, bail};
use infrastructure::{
    config::{SaasConfig, tenant_permissions},
    persistence::Database,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use tokio::process::{Child, Command};

/// The key that seals the benches' stored secrets: bench-only, like the signing key below.
pub const BENCH_SECRET_KEY: &str = "H4f0l3vQ2m8xN5cK9pR1sT6uW3yZ7aB0dE4gJ8kM2nQ=";

/// Test-only 2048-bit RSA key pair, generated for the benches and used nowhere else: the bench
/// signs with the private half, the server's tenant IdP verifies with the public half.
pub const PRIVATE_KEY_PEM: &[u8] = include_bytes!("../fixtures/bench_rsa.key.pem");
pub const PUBLIC_KEY_PEM: &str = include_str!("../fixtures/bench_rsa.pub.pem");
pub const ISSUER: &str = "tenant-oms-bench";
pub const AUDIENCE: &str = "tenant-oms";
/// A request stuck this long counts as failed rather than stalling the phase.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// SIGTERM lets the server drain; after this it is killed.
pub const STOP_LIMIT: Duration = Duration::from_secs(30);

/// The URL with any password in its user info replaced, for printing.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let user_info = &url[scheme_end + 3..at];
            match user_info.split_once(':') {
                Some((user, _)) => format!("{}://{user}:***{}", &url[..scheme_end], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The program's path when it is on PATH.
pub fn on_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(program)).find(|path| path.is_file())
}

/// One token of `tenant` per connection (subjects `{subject}-0`, `{subject}-1`, ...), as that many
/// clients would each hold their own, valid for `valid`. Signing is done before the run: RSA
/// signing on the shared cores would otherwise be measured as server time.
pub fn mint_tokens(count: usize, tenant: &str, subject: &str, valid: Duration) -> anyhow::Result<Vec<String>> {
    let key = EncodingKey::from_rsa_pem(PRIVATE_KEY_PEM).context("bench RSA key")?;
    let now = chrono::Utc::now().timestamp();
    (0..count)
        .map(|i| {
            let claims = json!({"iss": ISSUER, "aud": AUDIENCE, "sub": format!("{subject}-{i}"), "tenant": tenant,
                                "roles": ["tenant_admin"], "iat": now, "exp": now + valid.as_secs() as i64});
            jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key).context("sign a bench token")
        })
        .collect()
}

#[derive(Clone, Copy)]
pub struct Memory {
    pub rss_kib: u64,
    pub hwm_kib: u64,
}

pub fn memory_of(pid: u32) -> anyhow::Result<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).context("read the server's /proc status")?;
    let field = |name: &str| -> anyhow::Result<u64> {
        let line = status.lines().find(|l| l.starts_with(name)).ok_or_else(|| anyhow!("no {name} in /proc status"))?;
        let kib = line[name.len()..].trim().trim_end_matches("kB").trim();
        kib.parse().with_context(|| format!("{name} {kib:?}"))
    };
    Ok(Memory { rss_kib: field("VmRSS:")?, hwm_kib: field("VmHWM:")? })
}

/// The `tenant-oms` binary of this build, serving on a free loopback port.
pub struct Server {
    child: Child,
    pub pid: u32,
    pub port: u16,
    log: PathBuf,
    startup_limit: Duration,
}

impl Server {
    /// `startup_limit`: how long it may take to answer `/healthz` (migrations, config import).
    pub async fn start(
        database_url: &str,
        config: &Path,
        dir: &Path,
        name: &str,
        startup_limit: Duration,
    ) -> anyhow::Result<Server> {
        Self::start_with(database_url, config, dir, name, startup_limit, &[]).await
    }

    /// Like `start`, with more `serve` flags.
    pub async fn start_with(
        database_url: &str,
        config: &Path,
        dir: &Path,
        name: &str,
        startup_limit: Duration,
        flags: &[&str],
    ) -> anyhow::Result<Server> {
        // Port 0 cannot be passed on: the server would pick one the bench does not know. The
        // port is free when asked; a process taking it in between fails the start, loudly.
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let log = dir.join(format!("server-{name}.log"));
        let log_file = std::fs::File::create(&log)?;
        let child = Command::new(env!("CARGO_BIN_EXE_tenant-oms"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database-url", database_url, "--saas-config"])
            .arg(config)
            .args(flags)
            // The default log filter and format, as served: a developer's RUST_LOG=debug would
            // make the bench measure logging.
            .env_remove("RUST_LOG")
            .env_remove("OMS_LOG_FORMAT")
            // PostgreSQL needs the deployment's key for stored secrets; a bench-only one.
            .env("OMS_SECRET_KEY", BENCH_SECRET_KEY)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .kill_on_drop(true)
            .spawn()
            .context("start tenant-oms serve")?;
        let pid = child.id().ok_or_else(|| anyhow!("tenant-oms exited at once"))?;
        let mut server = Server { child, pid, port, log, startup_limit };
        server.wait_until_healthy().await?;
        Ok(server)
    }

    async fn wait_until_healthy(&mut self) -> anyhow::Result<()> {
        // No idle connection kept: a probe's connection must not count among the bench's.
        let client =
            reqwest::Client::builder().no_proxy().pool_max_idle_per_host(0).timeout(Duration::from_secs(1)).build()?;
        let url = format!("http://127.0.0.1:{}/healthz", self.port);
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("tenant-oms exited ({status}) before answering /healthz; its log:\n{}", self.log_tail());
            }
            if client.get(&url).send().await.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            if started.elapsed() > self.startup_limit {
                let limit = self.startup_limit;
                bail!("tenant-oms did not answer /healthz within {limit:?}; its log:\n{}", self.log_tail());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    pub fn memory(&self) -> anyhow::Result<Memory> {
        memory_of(self.pid)
    }

    /// SIGTERM (the server drains and exits), as an operator would stop it.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let sent = std::process::Command::new("kill").args(["-TERM", &self.pid.to_string()]).status()?;
        if !sent.success() {
            bail!("kill -TERM {} failed", self.pid);
        }
        match tokio::time::timeout(STOP_LIMIT, self.child.wait()).await {
            Ok(status) => {
                status?;
                Ok(())
            }
            Err(_) => {
                self.child.kill().await?;
                bail!("tenant-oms was still running {STOP_LIMIT:?} after SIGTERM; killed");
            }
        }
    }
}

/// The 1, 5 and 15 minute load averages of the machine.
pub fn loadavg() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

/// The SaaS config the server starts with: one tenant whose IdP accepts RS256 tokens signed with
/// the bench key, on a plan with every tenant permission and no `limits` (a missing limit is no
/// limit), so neither a rate limit nor the monthly quota can shape the figures.
pub fn saas_config(tenant: &str) -> anyhow::Result<String> {
    let permissions: Vec<&str> = tenant_permissions().collect();
    let text = json!({
        "plans": {"bench": {"permissions": permissions}},
        "tenants": {tenant: {"plan": "bench", "status": "active", "idp": {
            "issuer": ISSUER, "audience": AUDIENCE, "algorithms": ["RS256"], "public_key_pem": PUBLIC_KEY_PEM,
            "tenant_claim": "tenant", "roles_claim": "roles"}}}
    })
    .to_string();
    // Checked here so a config mistake reads as one, not as a server that never came up.
    let config = SaasConfig::from_json_str(&text).map_err(|e| anyhow!("bench SaaS config: {e}"))?;
    let problems = config.check();
    if !problems.is_empty() {
        bail!("bench SaaS config: {}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "));
    }
    Ok(text)
}

/// A fresh schema in the PostgreSQL database, migrated by the server's own migrations. Dropped
/// when this is dropped (even after an error), with `psql` since the bench has no SQL client of
/// its own; without `psql` it is left and named.
pub struct PgSchema {
    pub url: String,
    pub name: String,
}

impl PgSchema {
    pub async fn create(url: &str, prefix: &str) -> anyhow::Result<PgSchema> {
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let unusable = |e| {
            anyhow!("PostgreSQL at {} is unusable (set TEST_DATABASE_URL, or BENCH_BACKENDS=sqlite): {e}", redact(url))
        };
        let database = Database::connect_in_schema(url, &name).await.map_err(unusable)?;
        database.migrate().await.map_err(unusable)?;
        database.close().await.map_err(unusable)?;
        Ok(PgSchema { url: url.to_owned(), name })
    }

    /// The URL with the schema as the session's search_path, a startup parameter of every
    /// connection the server's pool opens (sqlx's `options[...]` URL parameter).
    pub fn server_url(&self) -> String {
        let separator = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{separator}options[search_path]={}", self.url, self.name)
    }
}

/// Gathers the planner's statistics of the schema's tables, as autovacuum would within a
/// minute of a load starting (`autovacuum_naptime`): a load of a few seconds on fresh tables
/// would otherwise be planned without any. On tables never analyzed, PostgreSQL prices every
/// index with the tenant's id first alike, and on a tie takes the newest: a lookup by
/// (tenant, id) then walked `ix_orders_tenant_created_id` through all of the tenant's orders,
/// in the foreign-key check of every order line too, for as long as the plan was cached.
/// Analyzing invalidates the cached plans, so connections already open plan again.
pub fn analyze_schema(url: &str, schema: &str) -> anyhow::Result<()> {
    let psql = on_path("psql").ok_or_else(|| anyhow!("psql is not on PATH (Debian: postgresql-client)"))?;
    let sql = "DO $$ DECLARE t text; BEGIN \
               FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() LOOP \
               EXECUTE format('ANALYZE %I', t); END LOOP; END $$";
    let status = std::process::Command::new(psql)
        .args([url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .env("PGOPTIONS", format!("-c search_path={} -c client_min_messages=warning", schema))
        .stdout(Stdio::null())
        .status()
        .context("run psql")?;
    if !status.success() {
        bail!("ANALYZE of schema {} failed", schema);
    }
    Ok(())
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let dropped = on_path("psql").is_some_and(|psql| {
            std::process::Command::new(psql)
                .args([self.url.as_str(), "-q", "-c", &format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name)])
                .env("PGOPTIONS", "-c client_min_messages=warning")
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        });
        if !dropped {
            eprintln!("note: schema {} left in {}; drop it with DROP SCHEMA ... CASCADE", self.name, redact(&self.url));
        }
    }
}

/// The databases a bench runs against.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn label(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }

    /// As `BENCH_BACKENDS` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// `BENCH_BACKENDS` (`sqlite,postgres` when unset).
    pub fn from_env() -> anyhow::Result<Vec<Backend>> {
        std::env::var("BENCH_BACKENDS")
            .unwrap_or_else(|_| "sqlite,postgres".to_owned())
            .split(',')
            .map(|name| match name.trim().to_ascii_lowercase().as_str() {
                "sqlite" => Ok(Backend::Sqlite),
                "postgres" | "postgresql" => Ok(Backend::Postgres),
                other => Err(anyhow!("BENCH_BACKENDS: unknown backend {other:?} (sqlite, postgres)")),
            })
            .collect()
    }
}
