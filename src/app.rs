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
    ports::{EventBus, EventConsumer, LiveListener, SystemClock, UuidV7Ids, WebhookEndpoints},
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
}

/// What `serve` runs beside the router, stopped with it.
pub struct Workers {
    relay: Arc<OutboxRelay>,
    dispatcher: Arc<WebhookDispatcher>,
    signals: Arc<Signals>,
    /// With `--redis-url`: the stream's consumers (the webhook fan-out, in a consumer group
    /// shared by every instance) and this instance's live feed for the subscriptions.
    redis: Option<RedisConsumers>,
}

struct RedisConsumers {
    bus: Arc<RedisEventBus>,
    fanout: Arc<dyn EventConsumer>,
    live: Arc<dyn LiveListener>,
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
            for handle in [consumer, live] {
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
    let config = Arc::new(load_config(database, source).await?);
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
    let deliveries = database.webhook_deliveries();
    let webhooks = Arc::new(WebhookDeliveryService::new(
        catalog.clone(),
        deliveries.clone(),
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
                    .republishing_from(database.outbox_relay()),
            );
            let consumers = RedisConsumers { bus: bus.clone(), fanout, live: live_events.clone() };
            (bus, Some(consumers))
        }
        None => (Arc::new(InProcessBus::new(vec![fanout], vec![live_events.clone()])), None),
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
    let relay = Arc::new(OutboxRelay::new(database.outbox_relay(), bus.clone()));
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
