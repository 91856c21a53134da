use std::{path::PathBuf, process::ExitCode, time::Duration};

use anyhow::Context;
use clap::{Parser, Subcommand};
use infrastructure::{config::SaasConfig, persistence::Durability};
use interfaces::http::{HttpConfig, WebhookLimits};
use tenant_oms::{app, demo, telemetry};
use tokio::net::TcpListener;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const DEFAULT_DATABASE: &str = "sqlite://tenant-oms.db?mode=rwc";

#[derive(Parser)]
#[command(name = "tenant-oms", version, about = "Multi-tenant Order Management System served as one GraphQL API")]
struct Cli {
    /// Log format.
    #[arg(long, global = true, env = "OMS_LOG_FORMAT", value_enum, default_value = "text")]
    log_format: telemetry::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API server.
    Serve {
        #[arg(long, env = "OMS_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// `sqlite://FILE?mode=rwc` (default `./tenant-oms.db`) or `postgres://…`.
        #[arg(long, env = "OMS_DATABASE_URL", default_value = DEFAULT_DATABASE)]
        database_url: String,
        /// PostgreSQL only: keep every table in this schema (created if missing), so several
        /// deployments can share one database.
        #[arg(long, env = "OMS_DATABASE_SCHEMA")]
        database_schema: Option<String>,
        /// The SaaSConfig JSON file: provider, plans, tenants. Imported into the database when the
        /// database holds no config or the file is newer than its latest change; without it the
        /// database's config is served.
        #[arg(long, env = "OMS_SAAS_CONFIG")]
        saas_config: Option<PathBuf>,
        /// Redis for the event bus: Redis Streams carry events between instances (consumer
        /// groups, dead-letter stream). Without it events stay in-process.
        #[arg(long, env = "OMS_REDIS_URL")]
        redis_url: Option<String>,
        /// The Redis stream the events go to (default `oms:events`); deployments that share
        /// one Redis each need their own.
        #[arg(long, env = "OMS_REDIS_STREAM")]
        redis_stream: Option<String>,
        /// Let tenants point outbound webhooks at loopback, private and link-local addresses.
        /// For development and tests only.
        #[arg(long, env = "OMS_ALLOW_PRIVATE_WEBHOOK_URLS")]
        allow_private_webhook_urls: bool,
        /// Do not serve GraphiQL on GET /graphql.
        #[arg(long)]
        no_graphiql: bool,
        /// Serve `GET /metrics` on this address instead of the API's listener (keeps it off the
        /// public address).
        #[arg(long, env = "OMS_METRICS_LISTEN")]
        metrics_listen: Option<String>,
        /// The server runs behind a reverse proxy that sets `X-Forwarded-Host`: read the host
        /// a request addresses (custom domain, tenant subdomain) from it instead of `Host`.
        /// Without such a proxy, clients could name any host there.
        #[arg(long, env = "OMS_TRUST_PROXY")]
        trust_proxy: bool,
        #[command(flatten)]
        secret_key: SecretKeyArgs,
        /// With --redis-url: how long requests are admitted without being counted once Redis
        /// stops answering; after that each instance counts its own until Redis is back.
        #[arg(long, env = "OMS_RATE_LIMIT_FAIL_OPEN_SECS", default_value_t = 60)]
        rate_limit_fail_open_secs: u64,
        /// Requests per minute to one tenant's webhook routes (and to the provider's route);
        /// beyond it, 429 with Retry-After. Counted for the fleet with --redis-url.
        #[arg(long, env = "OMS_WEBHOOK_REQUESTS_PER_MINUTE", default_value_t = WebhookLimits::default().per_tenant_per_minute)]
        webhook_requests_per_minute: u64,
        /// Requests per minute to any webhook route from one client address.
        #[arg(long, env = "OMS_WEBHOOK_REQUESTS_PER_MINUTE_PER_ADDRESS", default_value_t = WebhookLimits::default().per_client_per_minute)]
        webhook_requests_per_minute_per_address: u64,
    },
    /// Start on the embedded SQLite database with a demo tenant and print a bearer token.
    Demo {
        #[arg(long, env = "OMS_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        #[arg(long, env = "OMS_DATABASE_URL", default_value = DEFAULT_DATABASE)]
        database_url: String,
        #[command(flatten)]
        secret_key: SecretKeyArgs,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[arg(long, env = "OMS_DATABASE_URL", default_value = DEFAULT_DATABASE)]
        database_url: String,
        /// PostgreSQL only: keep every table in this schema (created if missing), so several
        /// deployments can share one database.
        #[arg(long, env = "OMS_DATABASE_SCHEMA")]
        database_schema: Option<String>,
    },
    /// Configuration tools.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Print the GraphQL schema (SDL); `schema.graphql` is this output.
    Schema,
    /// Run the business flows end to end against a live server (order → shipments → delivery →
    /// payment → completion, review hold, cancel, return and refund, idempotent replays, a
    /// refused over-shipment); one line per flow, exit status 1 when any fails. Creates orders
    /// in the tenant: point it at a test or staging tenant.
    ValidateFlows {
        /// The server, e.g. `http://127.0.0.1:8080` (or its `/graphql` endpoint).
        #[arg(long)]
        url: String,
        /// The tenant the flows run in (sent as `X-Tenant-Id`).
        #[arg(long)]
        tenant: String,
        /// A bearer token of that tenant with the permissions the flows use (a `tenant_admin`).
        /// Prefer the environment variable: a command line is visible to other local users.
        #[arg(long, env = "OMS_TOKEN", hide_env_values = true)]
        token: String,
        /// One JSON object per flow instead of text lines.
        #[arg(long)]
        json: bool,
    },
    /// Re-seal every stored secret under a new key, in one transaction. Stop every instance
    /// first and start them again with the new key: an instance still holding the old key can
    /// no longer read the config.
    RotateSecretKey {
        #[arg(long, env = "OMS_DATABASE_URL", default_value = DEFAULT_DATABASE)]
        database_url: String,
        /// PostgreSQL only: the deployment's schema.
        #[arg(long, env = "OMS_DATABASE_SCHEMA")]
        database_schema: Option<String>,
        /// The current key (or `OMS_SECRET_KEY`; on SQLite, the key file beside the database).
        #[command(flatten)]
        secret_key: SecretKeyArgs,
        /// The new key: a file holding the base64 of 32 bytes, created (mode 0600) if missing.
        #[arg(long)]
        new_key_file: PathBuf,
    },
}

/// The key that seals stored secrets: `OMS_SECRET_KEY` (base64 of 32 bytes; an environment
/// variable only, so it never shows in a process list) or this file holding it.
#[derive(clap::Args, Clone, Default)]
struct SecretKeyArgs {
    /// A file holding the base64 of the 32-byte key that seals stored secrets (every instance
    /// needs the same). Without it or `OMS_SECRET_KEY`, SQLite gets a key file beside the
    /// database and PostgreSQL refuses to start.
    #[arg(long, env = "OMS_SECRET_KEY_FILE")]
    secret_key_file: Option<PathBuf>,
}

impl SecretKeyArgs {
    fn option(&self) -> app::SecretKeyOption {
        app::SecretKeyOption { base64: std::env::var("OMS_SECRET_KEY").ok(), file: self.secret_key_file.clone() }
    }
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Validate a SaaSConfig file and list every problem found.
    Check { file: PathBuf },
    /// Import a SaaSConfig file into the database now (the file wins): every document that
    /// differs becomes a new version. Tenants' own settings are only seeded, never overwritten.
    Import {
        file: PathBuf,
        #[arg(long, env = "OMS_DATABASE_URL", default_value = DEFAULT_DATABASE)]
        database_url: String,
        /// PostgreSQL only: keep every table in this schema (created if missing), so several
        /// deployments can share one database.
        #[arg(long, env = "OMS_DATABASE_SCHEMA")]
        database_schema: Option<String>,
        #[command(flatten)]
        secret_key: SecretKeyArgs,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    infrastructure::identity::install_crypto_provider();
    match run(cli.command).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve {
            listen,
            database_url,
            database_schema,
            saas_config,
            redis_url,
            redis_stream,
            allow_private_webhook_urls,
            no_graphiql,
            metrics_listen,
            trust_proxy,
            secret_key,
            rate_limit_fail_open_secs,
            webhook_requests_per_minute,
            webhook_requests_per_minute_per_address,
        } => {
            let source = match saas_config {
                Some(path) => {
                    let config = load_valid(&path)?;
                    let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok().map(chrono::DateTime::from);
                    app::ConfigSource::File { config, path: path.display().to_string(), modified }
                }
                None => app::ConfigSource::Stored,
            };
            let events = app::EventsSettings {
                redis_url,
                redis_stream,
                allow_private_webhook_urls,
                rate_limit_fail_open: Some(Duration::from_secs(rate_limit_fail_open_secs)),
                ..Default::default()
            };
            let http = HttpConfig {
                graphiql: !no_graphiql,
                metrics_route: metrics_listen.is_none(),
                trust_proxy,
                webhooks: WebhookLimits {
                    per_tenant_per_minute: webhook_requests_per_minute,
                    per_client_per_minute: webhook_requests_per_minute_per_address,
                    ..WebhookLimits::default()
                },
                ..HttpConfig::default()
            };
            let database = Target {
                url: &database_url,
                schema: database_schema.as_deref(),
                durability: Durability::Full,
                secret_key: secret_key.option(),
            };
            let listeners = Listeners { api: &listen, metrics: metrics_listen.as_deref() };
            start(listeners, database, source, http, events, None).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { listen, database_url, secret_key } => {
            let demo = demo::prepare(Duration::from_secs(24 * 3600));
            let source = app::ConfigSource::Seed(demo.config);
            let database = Target {
                url: &database_url,
                schema: None,
                durability: Durability::Normal,
                secret_key: secret_key.option(),
            };
            let listeners = Listeners { api: &listen, metrics: None };
            let events = app::EventsSettings::default();
            // The demo's GraphiQL starts with the demo's token in its headers editor.
            let http = HttpConfig {
                graphiql_token: Some(interfaces::http::GraphiqlToken(demo.token.clone())),
                ..HttpConfig::default()
            };
            start(listeners, database, source, http, events, Some(demo.token)).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate { database_url, database_schema } => {
            app::open_database(&database_url, database_schema.as_deref(), Durability::Full).await?;
            println!("migrations applied to {}", redact_url(&database_url));
            Ok(ExitCode::SUCCESS)
        }
        Command::Config { command: ConfigCommand::Check { file } } => {
            let config = match SaasConfig::load(&file) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("{e}");
                    return Ok(ExitCode::FAILURE);
                }
            };
            let problems = config.check();
            if problems.is_empty() {
                println!("{}: OK", file.display());
                Ok(ExitCode::SUCCESS)
            } else {
                for p in &problems {
                    println!("{}: {p}", file.display());
                }
                println!("{} problem(s) found", problems.len());
                Ok(ExitCode::FAILURE)
            }
        }
        Command::Config { command: ConfigCommand::Import { file, database_url, database_schema, secret_key } } => {
            let config = load_valid(&file)?;
            // Before anything is opened: without a key, nothing is touched. The file's secrets are
            // plain text; the store seals them.
            let (key, source) = app::resolve_secret_key(&database_url, &secret_key.option())?;
            let database = app::open_database(&database_url, database_schema.as_deref(), Durability::Full).await?;
            let database = app::use_secret_key(database, &key, &source).await?;
            let report =
                infrastructure::config::import(database.config_store().as_ref(), &config, &file.display().to_string())
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot import {}: {e}", file.display()))?;
            println!("{}: {report}", file.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::ValidateFlows { url, tenant, token, json } => {
            let reports = tenant_oms::validate_flows::run(&url, &tenant, &token).await.map_err(anyhow::Error::msg)?;
            for report in &reports {
                println!("{}", if json { report.json() } else { report.line() });
            }
            let all_passed = reports.iter().all(|r| r.failure.is_none());
            Ok(if all_passed { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Schema => {
            print!("{}", interfaces::graphql::sdl());
            Ok(ExitCode::SUCCESS)
        }
        Command::RotateSecretKey { database_url, database_schema, secret_key, new_key_file } => {
            let database = app::open_database(&database_url, database_schema.as_deref(), Durability::Full).await?;
            let (old, source) = app::resolve_secret_key(&database_url, &secret_key.option())?;
            let (new, created) = infrastructure::secrets::SecretKey::load_or_create(&new_key_file)?;
            if created {
                println!("generated a new key in {} (mode 0600)", new_key_file.display());
            }
            let report = app::rotate_secret_key(&database, &database_url, &old, &new, &source).await?;
            println!(
                "re-sealed {} stored config version(s) under key {} (was {}); start every instance with --secret-key-file {}",
                report.rewritten,
                new.id(),
                old.id(),
                new_key_file.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Where the data lives and how durably it is written.
struct Target<'a> {
    url: &'a str,
    schema: Option<&'a str>,
    durability: Durability,
    secret_key: app::SecretKeyOption,
}

/// Where the API is served, and `/metrics` when it has an address of its own.
struct Listeners<'a> {
    api: &'a str,
    metrics: Option<&'a str>,
}

async fn start(
    listeners: Listeners<'_>,
    target: Target<'_>,
    source: app::ConfigSource,
    http: HttpConfig,
    events: app::EventsSettings,
    demo_token: Option<String>,
) -> anyhow::Result<()> {
    let (key, key_source) = app::resolve_secret_key(target.url, &target.secret_key)?;
    let database = app::open_database(target.url, target.schema, target.durability).await?;
    let database = app::use_secret_key(database, &key, &key_source).await?;
    let database_url = target.url;
    let app = app::build_with(&database, source, http, events).await?;
    let listen = listeners.api;
    let listener = TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let metrics_server = match listeners.metrics {
        Some(metrics_listen) => {
            let metrics_listener = TcpListener::bind(metrics_listen)
                .await
                .with_context(|| format!("cannot listen on {metrics_listen} for metrics"))?;
            let metrics_addr = metrics_listener.local_addr()?;
            tracing::info!(addr = %metrics_addr, "metrics listening");
            let router = interfaces::http::metrics_router(app.metrics.clone());
            Some(tokio::spawn(async move { axum::serve(metrics_listener, router).await }))
        }
        None => None,
    };
    tracing::info!(%addr, database = %redact_url(database_url), backend = database.backend_name(), "tenant-oms listening");
    if let Some(token) = demo_token {
        println!("{}", demo::banner(&addr.to_string(), &token));
    }
    app::serve(listener, app, app::shutdown_signal()).await?;
    // Scrapes hold no state worth draining: the metrics listener simply stops with the API.
    if let Some(metrics_server) = metrics_server {
        metrics_server.abort();
    }
    tracing::info!("stopped");
    Ok(())
}

/// A SaaS config file with no `check` problem, or every problem listed in the error.
fn load_valid(path: &std::path::Path) -> anyhow::Result<SaasConfig> {
    let config = SaasConfig::load(path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let problems = config.check();
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("{}: {p}", path.display());
        }
        anyhow::bail!("the SaaS config has {} problem(s); see `tenant-oms config check`", problems.len());
    }
    Ok(config)
}

/// Database URLs may carry a password, in the user info or as a `password=` query parameter;
/// logs never do.
fn redact_url(url: &str) -> String {
    let mut redacted = match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => format!("{}://***{}", &url[..scheme_end], &url[at..]),
        _ => url.to_owned(),
    };
    if let Some(query_start) = redacted.find('?') {
        let (base, query) = redacted.split_at(query_start + 1);
        let query: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _))
                    if name.eq_ignore_ascii_case("password") || name.eq_ignore_ascii_case("sslpassword") =>
                {
                    format!("{name}=***")
                }
                _ => pair.to_owned(),
            })
            .collect();
        redacted = format!("{base}{}", query.join("&"));
    }
    redacted
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_reach_the_log() {
        assert_eq!(redact_url("postgres://oms:s3cret@db:5432/oms"), "postgres://***@db:5432/oms");
        assert_eq!(
            redact_url("postgres://db:5432/oms?user=oms&password=s3cret&sslmode=require"),
            "postgres://db:5432/oms?user=oms&password=***&sslmode=require"
        );
        assert_eq!(redact_url("sqlite://tenant-oms.db?mode=rwc"), "sqlite://tenant-oms.db?mode=rwc");
    }
}
