//! Builds the running application from a database and a SaaS configuration.

use std::{future::Future, sync::Arc, time::Duration};

use application::{
    audit_log::AuditTrail,
    events::{
        DispatchSettings, EventFeedService, InProcessBus, OutboxRelay, WebhookDeliveryService, WebhookDispatcher,
        WebhookFanout,
    },
    orders::Orders,
    platform::Platform,
    ports::{
        EventBus, EventConsumer, LiveListener, RateLimitStore, StreamCommands, SystemClock, UuidV7Ids, WebhookEndpoints,
    },
    session::Session,
    tenant_config::TenantConfigs,
    webhooks_in::WebhookIntake,
};
use axum::Router;
use chrono::{DateTime, Utc};
use infrastructure::{
    carriers::{CarrierSettings, ConfiguredCarriers},
    config::{ConfigService, SaasConfig, import_onto},
    event_bus::{RedisBusOptions, RedisEventBus},
    identity::JwtVerifier,
    persistence::{Database, Durability, Signals},
    rate_limits::{RateLimitSettings, RedisRateLimits},
    secrets::{KeyError, KeySource, RotationReport, SecretBox, SecretKey, reseal_stored},
    webhooks_out::{HttpWebhookTransport, StandardRetrySchedule, TransportSettings, UrlPolicy},
};
use interfaces::{
    Services,
    graphql::live_events::LiveEvents,
    http::{HttpConfig, MetricsExport, ServerConfig, router, server},
};
use tokio::{net::TcpListener, sync::watch, task::JoinSet};

use crate::{metrics_export::Exporter, workers};

/// How often an instance looks for config changes made by other instances.
pub const CONFIG_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Everything a server needs, already connected and migrated. The config service lives on in
/// the use cases that edit it (its poller stops when the last of them is dropped).
pub struct App {
    pub router: Router,
    /// Connection timers and caps the router is served with.
    pub server: ServerConfig,
    /// The hub the `orderEvents` subscriptions listen on: the event bus's `LiveListener`.
    pub live_events: Arc<LiveEvents>,
    /// The background work that runs while the app is served.
    pub workers: Workers,
    /// `GET /metrics`, also for a listener of its own (`--metrics-listen`).
    pub metrics: Arc<dyn MetricsExport>,
}

/// How events leave the process (SPEC.md section 6).
#[derive(Debug, Clone, Default)]
pub struct EventsSettings {
    /// `--redis-url`: Redis Streams carry the events between instances; without it the bus is
    /// in-process.
    pub redis_url: Option<String>,
    /// `--redis-stream`: the stream the events go to (default `oms:events`; its dead letters go
    /// to the same name + `:dead`). Deployments sharing one Redis each need their own.
    pub redis_stream: Option<String>,
    /// `--allow-private-webhook-urls`: tenants may point outbound webhooks at loopback and
    /// private addresses (development and tests only).
    pub allow_private_webhook_urls: bool,
    /// How long the event feed holds new events back so that none commits behind a page a
    /// reader already has; unset, the database's own (none on SQLite, 10 s on PostgreSQL).
    /// Tests that write one thing at a time set zero.
    pub event_feed_settle: Option<Duration>,
    /// How the tenants' carrier APIs are called (timeouts, retries of a 5xx answer).
    pub carriers: CarrierSettings,
    /// With Redis: how long requests are admitted uncounted once Redis stops answering, before
    /// each instance counts its own (`--rate-limit-fail-open-secs`; 60 s when unset).
    pub rate_limit_fail_open: Option<Duration>,
}

/// What `serve` runs beside the router, stopped with it.
pub struct Workers {
    relay: Arc<OutboxRelay>,
    dispatcher: Arc<WebhookDispatcher>,
    signals: Arc<Signals>,
    /// With `--redis-url`: the stream's consumers (the webhook fan-out, in a consumer group
    /// shared by every instance), this instance's live feed for the subscriptions, and the
    /// reader of the tenants' inbound `add_order` streams.
    redis: Option<RedisConsumers>,
}

struct RedisConsumers {
    bus: Arc<RedisEventBus>,
    fanout: Arc<dyn EventConsumer>,
    live: Arc<dyn LiveListener>,
    inbound: Arc<dyn StreamCommands>,
}

impl Workers {
    async fn spawn(&self, stop: &watch::Receiver<bool>) -> JoinSet<()> {
        let mut tasks = JoinSet::new();
        // The Redis loops first: starting one creates its consumer group (at the stream's end)
        // before the relay can publish anything the group would then never see.
        if let Some(redis) = &self.redis {
            let until_stopped = |mut stop: watch::Receiver<bool>| async move {
                let _ = stop.wait_for(|stop| *stop).await;
            };
            let consumer = redis.bus.spawn_consumer(redis.fanout.clone(), until_stopped(stop.clone())).await;
            let live = redis.bus.spawn_live_feed(redis.live.clone(), until_stopped(stop.clone())).await;
            let inbound = redis.bus.spawn_inbound(redis.inbound.clone(), until_stopped(stop.clone()));
            for handle in [consumer, live, inbound] {
                tasks.spawn(async move {
                    if let Err(e) = handle.await {
                        tracing::error!(error = %e, "a Redis event loop ended abnormally");
                    }
                });
            }
        }
        tasks.spawn(workers::relay_loop(self.relay.clone(), self.signals.clone(), stop.clone()));
        tasks.spawn(workers::dispatch_loop(self.dispatcher.clone(), self.signals.clone(), stop.clone()));
        tasks
    }
}

/// Where the served config comes from. The database holds it (versioned); a file only seeds or
/// updates it.
pub enum ConfigSource {
    /// `--saas-config FILE`: imported when the database holds no config yet, or when the file
    /// was modified after the database's latest config change (the file wins only when newer).
    File { config: SaasConfig, path: String, modified: Option<DateTime<Utc>> },
    /// Imported on every start (the demo and the tests generate theirs).
    Seed(SaasConfig),
    /// No file: serve what the database holds.
    Stored,
}

/// Brings the stored config up to date with `source`, then serves it.
async fn load_config(database: &Database, source: ConfigSource) -> anyhow::Result<ConfigService> {
    let store = database.config_store();
    let stored = store.current().await.map_err(|e| anyhow::anyhow!("cannot read the stored config: {e}"))?;
    let latest_change = stored.documents.iter().map(|d| d.changed_at).max();
    let to_import = match source {
        ConfigSource::Seed(config) => Some((config, "generated config".to_owned())),
        ConfigSource::File { config, path, modified } => match (latest_change, modified) {
            (None, _) => Some((config, path)),
            (Some(latest), Some(modified)) if modified > latest => Some((config, path)),
            (Some(_), _) => {
                tracing::info!(file = %path, "the database holds a config changed after the file; serving the database's (`tenant-oms config import` makes the file win)");
                None
            }
        },
        ConfigSource::Stored if stored.documents.is_empty() => {
            anyhow::bail!(
                "the database holds no SaaS config yet: start with --saas-config FILE or run `tenant-oms config import FILE`"
            )
        }
        ConfigSource::Stored => None,
    };
    // The config read above is served as it is unless an import changed it.
    let service = match to_import {
        Some((config, origin)) => {
            let report = import_onto(store.as_ref(), &stored, &config, &origin)
                .await
                .map_err(|e| anyhow::anyhow!("cannot import the SaaS config: {e}"))?;
            tracing::info!(file = %origin, written = report.written.len(), unchanged = report.unchanged, "SaaS config imported");
            if report.written.is_empty() {
                ConfigService::serving(store, &stored).with_audit_log(database.audit_log())
            } else {
                ConfigService::load(store)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot read the stored config: {e}"))?
                    .with_audit_log(database.audit_log())
            }
        }
        None => ConfigService::serving(store, &stored).with_audit_log(database.audit_log()),
    };
    for problem in service.catalog().current().check() {
        tracing::warn!(%problem, "stored SaaS config problem");
    }
    Ok(service)
}

pub async fn build(database: &Database, source: ConfigSource, http: HttpConfig) -> anyhow::Result<App> {
    build_with(database, source, http, EventsSettings::default()).await
}

pub async fn build_with(
    database: &Database,
    source: ConfigSource,
    http: HttpConfig,
    events: EventsSettings,
) -> anyhow::Result<App> {
    if !database.seals_secrets() {
        anyhow::bail!(
            "the database handle has no secret key (see `use_secret_key`): secrets would be stored in plain text"
        );
    }
    // The relay, the webhook fan-out and dispatcher and the config poll: on PostgreSQL a pool
    // of their own, so a burst of requests cannot hold the events back.
    let background = database.for_background_work();
    let config = Arc::new(load_config(&background, source).await?);
    config.spawn_poller(CONFIG_POLL_INTERVAL);
    let catalog = config.catalog();
    // Follows no redirect: a JWKS answer comes from the configured URI or not at all.
    let client =
        infrastructure::identity::http_client().map_err(|e| anyhow::anyhow!("cannot build the HTTP client: {e}"))?;
    let verifier = Arc::new(JwtVerifier::new(catalog.clone(), client));
    let audit_log = database.audit_log();
    let carriers = ConfiguredCarriers::new(catalog.clone(), events.carriers)
        .map_err(|e| anyhow::anyhow!("cannot build the carrier HTTP client: {e}"))?;
    let orders = Arc::new(
        Orders::new(
            database.order_store(),
            catalog.clone(),
            audit_log.clone(),
            Arc::new(SystemClock),
            Arc::new(UuidV7Ids),
        )
        .with_carriers(Arc::new(carriers)),
    );
    let webhooks_in = Arc::new(WebhookIntake::new(
        orders.clone(),
        database.order_store(),
        catalog.clone(),
        audit_log.clone(),
        Arc::new(SystemClock),
        Arc::new(UuidV7Ids),
    ));
    let session = Arc::new(Session::new(catalog.clone()));
    let audit =
        Arc::new(AuditTrail::new(catalog.clone(), audit_log.clone(), Arc::new(SystemClock), Arc::new(UuidV7Ids)));
    let platform = Arc::new(Platform::new(
        catalog.clone(),
        config.clone(),
        audit_log.clone(),
        Arc::new(SystemClock),
        Arc::new(UuidV7Ids),
    ));
    let url_policy = UrlPolicy { allow_private: events.allow_private_webhook_urls };
    let tenant_configs = Arc::new(
        TenantConfigs::new(
            catalog.clone(),
            config.clone(),
            audit_log.clone(),
            Arc::new(SystemClock),
            Arc::new(UuidV7Ids),
        )
        .with_webhook_url_policy(Arc::new(url_policy)),
    );
    let deliveries = background.webhook_deliveries();
    let webhooks = Arc::new(WebhookDeliveryService::new(
        catalog.clone(),
        database.webhook_deliveries(),
        audit_log,
        Arc::new(SystemClock),
        Arc::new(UuidV7Ids),
    ));
    let mut event_feed = EventFeedService::new(catalog.clone(), database.outbox_reader(), Arc::new(SystemClock));
    if let Some(settle) = events.event_feed_settle {
        event_feed = event_feed.with_settle(settle);
    }
    // The outbound webhooks as served, able to catch up with a change made through another
    // instance before an event (the config service's poll may not have come round yet).
    let endpoints: Arc<dyn WebhookEndpoints> = config.clone();
    let fanout =
        Arc::new(WebhookFanout::new(endpoints.clone(), deliveries.clone(), Arc::new(SystemClock), Arc::new(UuidV7Ids)));
    let live_events = Arc::new(LiveEvents::new());
    let (bus, redis): (Arc<dyn EventBus>, _) = match &events.redis_url {
        Some(url) => {
            let bus = Arc::new(
                RedisEventBus::connect(url, redis_options(&events))
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot use Redis for events: {e}"))?
                    .republishing_from(background.outbox_relay()),
            );
            let consumers =
                RedisConsumers { bus: bus.clone(), fanout, live: live_events.clone(), inbound: webhooks_in.clone() };
            (bus, Some(consumers))
        }
        None => (Arc::new(InProcessBus::new(vec![fanout], vec![live_events.clone()])), None),
    };
    // With Redis, the plans' request rates are counted there, for the whole fleet.
    let rate_limits: Option<Arc<dyn RateLimitStore>> = match &redis {
        Some(consumers) => {
            let mut settings = RateLimitSettings::default();
            if let Some(fail_open) = events.rate_limit_fail_open {
                settings.fail_open_for = fail_open;
            }
            let connection = consumers
                .bus
                .extra_connection(settings.call_timeout.max(Duration::from_secs(1)))
                .await
                .map_err(|e| anyhow::anyhow!("cannot use Redis for rate limits: {e}"))?;
            let prefix = consumers.bus.options().stream_key.clone();
            Some(Arc::new(RedisRateLimits::new(connection, &prefix, settings)))
        }
        None => None,
    };
    let transport = HttpWebhookTransport::new(TransportSettings {
        allow_private: events.allow_private_webhook_urls,
        ..TransportSettings::default()
    })
    .map_err(|e| anyhow::anyhow!("cannot build the webhook HTTP client: {e}"))?;
    let dispatcher = Arc::new(WebhookDispatcher::new(
        deliveries,
        endpoints,
        Arc::new(transport),
        Arc::new(StandardRetrySchedule),
        Arc::new(SystemClock),
        Arc::new(UuidV7Ids),
        DispatchSettings::default(),
    ));
    let relay = Arc::new(OutboxRelay::new(background.outbox_relay(), bus.clone()));
    let metrics: Arc<dyn MetricsExport> = Arc::new(Exporter::new(database.clone()));
    let workers = Workers { relay, dispatcher, signals: database.signals(), redis };
    let services = Services {
        orders,
        session,
        audit,
        platform,
        tenant_configs,
        webhooks,
        event_feed: Arc::new(event_feed),
        verifier,
        addresses: catalog.clone(),
        live_events: live_events.clone(),
        event_bus: bus,
        metrics: Some(metrics.clone()),
        webhooks_in,
        rate_limits,
    };
    let server = http.server.clone();
    Ok(App { router: router(services, http), server, live_events, workers, metrics })
}

fn redis_options(events: &EventsSettings) -> RedisBusOptions {
    let mut options = RedisBusOptions::default();
    if let Some(stream) = &events.redis_stream {
        options.stream_key = stream.clone();
        options.dead_letter_key = format!("{stream}:dead");
    }
    options
}

/// `OMS_SECRET_KEY` (base64 of 32 bytes) or `--secret-key-file FILE`: the key that seals the
/// secrets stored in config documents. Neither: a SQLite file database gets a key file beside it,
/// PostgreSQL refuses to start (its instances must share one key, which nobody generated).
#[derive(Clone, Default)]
pub struct SecretKeyOption {
    pub base64: Option<String>,
    pub file: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for SecretKeyOption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKeyOption").field("file", &self.file).finish_non_exhaustive()
    }
}

/// The deployment's secret key and where it came from.
pub fn resolve_secret_key(database_url: &str, option: &SecretKeyOption) -> anyhow::Result<(SecretKey, KeySource)> {
    if let Some(text) = option.base64.as_deref().filter(|t| !t.trim().is_empty()) {
        return Ok((SecretKey::from_base64(text, "OMS_SECRET_KEY")?, KeySource::Environment));
    }
    if let Some(file) = &option.file {
        return Ok((SecretKey::load_file(file)?, KeySource::File(file.clone())));
    }
    if !database_url.starts_with("sqlite:") {
        return Err(KeyError::Missing.into());
    }
    match SecretKey::path_beside_sqlite(database_url) {
        Some(path) => {
            let (key, created) = SecretKey::load_or_create(&path)?;
            Ok((key, if created { KeySource::Generated(path) } else { KeySource::File(path) }))
        }
        None => Ok((SecretKey::generate(), KeySource::Ephemeral)),
    }
}

/// Seals the secrets stored before there was sealing, strips the ones superseded versions still
/// hold, and gives the database's config store the key. Says where the key came from.
pub async fn use_secret_key(database: Database, key: &SecretKey, source: &KeySource) -> anyhow::Result<Database> {
    match source {
        KeySource::Generated(path) => tracing::warn!(
            path = %path.display(),
            key_id = %key.id(),
            "no secret key given: generated one beside the SQLite database (mode 0600); keep it with the database's backups, without it the stored secrets are lost"
        ),
        KeySource::File(path) => {
            tracing::info!(path = %path.display(), key_id = %key.id(), "stored secrets sealed with the key file")
        }
        KeySource::Environment => tracing::info!(key_id = %key.id(), "stored secrets sealed with OMS_SECRET_KEY"),
        KeySource::Ephemeral => tracing::warn!("in-memory database without a secret key: a key for this process only"),
    }
    let secrets = Arc::new(SecretBox::new(key));
    let report = reseal_stored(&database, None, &secrets)
        .await
        .map_err(|e| anyhow::anyhow!("cannot seal the stored secrets: {e}"))?;
    if report.rewritten > 0 {
        tracing::info!(
            versions = report.rewritten,
            "sealed secrets stored in plain text, and cleared superseded versions"
        );
    }
    Ok(database.with_secrets(secrets))
}

/// `tenant-oms rotate-secret-key`: every stored secret opened with `old` and sealed with `new`,
/// in one transaction. When the old key was the file beside a SQLite database, that file then
/// gets the new key (after the commit: a crash in between leaves the new key in `new`'s file).
pub async fn rotate_secret_key(
    database: &Database,
    database_url: &str,
    old: &SecretKey,
    new: &SecretKey,
    old_source: &KeySource,
) -> anyhow::Result<RotationReport> {
    if old.id() == new.id() {
        anyhow::bail!("the new key is the current key");
    }
    let report = reseal_stored(database, Some(&SecretBox::new(old)), &SecretBox::new(new))
        .await
        .map_err(|e| anyhow::anyhow!("cannot re-seal the stored secrets: {e}"))?;
    if let KeySource::File(path) | KeySource::Generated(path) = old_source
        && Some(path) == SecretKey::path_beside_sqlite(database_url).as_ref()
    {
        std::fs::write(path, format!("{}\n", new.to_base64()))
            .map_err(|e| anyhow::anyhow!("re-sealed, but cannot write the new key to {}: {e}", path.display()))?;
    }
    Ok(report)
}

/// Connects, migrates, and returns the database.
pub async fn open_database(url: &str, schema: Option<&str>, durability: Durability) -> anyhow::Result<Database> {
    let database = match schema {
        Some(schema) => Database::connect_in_schema(url, schema).await,
        None => Database::connect_with(url, durability).await,
    }
    .map_err(|e| anyhow::anyhow!("cannot open database: {e}"))?;
    database.migrate().await.map_err(|e| anyhow::anyhow!("cannot migrate database: {e}"))?;
    Ok(database)
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish (up to the drain
/// deadline of the app's server config).
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop, stopped) = watch::channel(false);
    let mut workers = app.workers.spawn(&stopped).await;
    let shutdown = async move {
        shutdown.await;
        let _ = stop.send(true);
    };
    let served = server::serve(listener, app.router, app.server, shutdown).await;
    // The workers saw the same signal; each finishes its step and ends.
    if tokio::time::timeout(WORKER_STOP, async { while workers.join_next().await.is_some() {} }).await.is_err() {
        tracing::warn!("background workers did not stop in time; abandoning them");
    }
    served
}

/// How long `serve` waits for its workers after the server stopped.
const WORKER_STOP: Duration = Duration::from_secs(10);

/// Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}
