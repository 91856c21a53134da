//! The process's Prometheus recorder and the `/metrics` text: what the layers counted as it
//! happened (requests, JWKS fetches, webhook outcomes, relayed events), plus gauges read at
//! scrape time (database pools, outbox backlog and lag).

use std::sync::OnceLock;

use chrono::Utc;
use infrastructure::persistence::Database;
use interfaces::http::MetricsExport;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Request latency buckets, seconds: from a cached read to the request timeout.
const LATENCY_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

static RECORDER: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide recorder, installed on first use. The `metrics` macros of every layer
/// record into it; a process holds one, however many apps it builds (the tests build several).
pub fn recorder() -> PrometheusHandle {
    RECORDER
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), LATENCY_BUCKETS)
                .map(|builder| builder.build_recorder())
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics will show only scrape-time gauges");
            }
            describe();
            handle
        })
        .clone()
}

fn describe() {
    metrics::describe_counter!("oms_graphql_requests_total", "GraphQL requests by root field (operation) and outcome");
    metrics::describe_histogram!(
        "oms_graphql_request_duration_seconds",
        metrics::Unit::Seconds,
        "GraphQL request latency by operation and outcome"
    );
    metrics::describe_counter!(
        "oms_tenant_requests_total",
        "GraphQL requests per tenant (first 100 tenants seen; the rest as \"(other)\")"
    );
    metrics::describe_counter!("oms_jwks_fetches_total", "JWKS documents fetched from identity providers, by outcome");
    metrics::describe_counter!("oms_webhook_deliveries_total", "Outbound webhook attempts by outcome");
    metrics::describe_counter!("oms_outbox_published_total", "Outbox events published to the event bus");
    metrics::describe_gauge!("oms_outbox_backlog", "Outbox events waiting for the relay");
    metrics::describe_gauge!(
        "oms_outbox_lag_seconds",
        "Age of the oldest outbox event waiting for the relay (0 when none)"
    );
    metrics::describe_gauge!("oms_db_pool_connections", "Database pool connections by pool and state (in_use, idle)");
    metrics::describe_gauge!("oms_db_pool_max_connections", "Database pool size limit");
}

/// `/metrics` of one serving process.
pub struct Exporter {
    handle: PrometheusHandle,
    database: Database,
}

impl Exporter {
    pub fn new(database: Database) -> Self {
        Self { handle: recorder(), database }
    }
}

#[async_trait::async_trait]
impl MetricsExport for Exporter {
    async fn render(&self) -> String {
        for usage in self.database.pool_usage() {
            metrics::gauge!("oms_db_pool_connections", "pool" => usage.pool, "state" => "in_use")
                .set(f64::from(usage.in_use()));
            metrics::gauge!("oms_db_pool_connections", "pool" => usage.pool, "state" => "idle")
                .set(f64::from(usage.idle));
            metrics::gauge!("oms_db_pool_max_connections", "pool" => usage.pool).set(f64::from(usage.max));
        }
        // A database that does not answer leaves the last values: the scrape itself still works,
        // and the pool gauges and /readyz tell the story.
        match self.database.outbox_backlog().await {
            Ok(backlog) => metrics::gauge!("oms_outbox_backlog").set(backlog as f64),
            Err(e) => tracing::warn!(error = %e, "metrics: cannot read the outbox backlog"),
        }
        match self.database.outbox_oldest_pending().await {
            Ok(oldest) => {
                let lag = oldest.map_or(0.0, |at| (Utc::now() - at).num_milliseconds().max(0) as f64 / 1000.0);
                metrics::gauge!("oms_outbox_lag_seconds").set(lag);
            }
            Err(e) => tracing::warn!(error = %e, "metrics: cannot read the outbox lag"),
        }
        self.handle.run_upkeep();
        self.handle.render()
    }

    fn upkeep(&self) {
        self.handle.run_upkeep();
    }
}
