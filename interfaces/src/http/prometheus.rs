//! `GET /metrics` (Prometheus text format) and what the HTTP edge records for it: GraphQL
//! requests and their latency by operation and outcome, and requests per tenant.
//!
//! Labels are bounded: `operation` is a root field of the schema (the engine validated it), or
//! one of a few fixed words; `outcome` is `ok`, `user_error`, an error code or `http_<status>`;
//! `tenant` is one of the first [`MAX_TENANT_LABELS`] tenants seen by this process, the rest
//! counted together as `(other)`.

use std::{
    collections::HashSet,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};

use async_graphql::parser::types::{ExecutableDocument, Selection};
use axum::{
    Router,
    extract::{Request, State},
    http::{HeaderValue, header},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
};

/// Tenants that get a label of their own; the rest share `(other)`, so a provider with
/// thousands of tenants cannot blow up the series count of every scrape.
pub const MAX_TENANT_LABELS: usize = 100;
/// The label of the tenants beyond [`MAX_TENANT_LABELS`].
pub const OTHER_TENANTS: &str = "(other)";
/// Recorder housekeeping (draining histogram samples nobody scraped) every this many requests.
const UPKEEP_EVERY: u64 = 4096;

/// Where the text comes from: the composition root owns the recorder and refreshes the gauges
/// that are read at scrape time (database pools, outbox backlog).
#[async_trait::async_trait]
pub trait MetricsExport: Send + Sync {
    /// Every metric in the Prometheus text exposition format.
    async fn render(&self) -> String;
    /// Bounded memory between scrapes.
    fn upkeep(&self);
}

/// What the GraphQL handler learnt about a request, left in the response for [`record`].
#[derive(Debug, Clone)]
pub(crate) struct Observed {
    pub(crate) operation: String,
    pub(crate) outcome: String,
    pub(crate) tenant: Option<String>,
}

/// The per-process state of the recording middleware.
#[derive(Default)]
pub(crate) struct Recording {
    tenants: Mutex<HashSet<String>>,
    requests: AtomicU64,
    export: Option<Arc<dyn MetricsExport>>,
}

impl Recording {
    pub(crate) fn new(export: Option<Arc<dyn MetricsExport>>) -> Self {
        Self { export, ..Self::default() }
    }

    fn tenant_label(&self, tenant: &str) -> String {
        let mut seen = self.tenants.lock().unwrap_or_else(|p| p.into_inner());
        if seen.contains(tenant) {
            return tenant.to_owned();
        }
        if seen.len() < MAX_TENANT_LABELS {
            seen.insert(tenant.to_owned());
            return tenant.to_owned();
        }
        OTHER_TENANTS.to_owned()
    }
}

/// Middleware of the GraphQL routes: counts and times every request, with what the handler
/// observed or, for a request refused before its document was read, its HTTP status.
pub(crate) async fn record(State(recording): State<Arc<Recording>>, request: Request, next: Next) -> Response {
    // A subscription socket is not a request: its operations are not counted here.
    let upgrade = request.headers().contains_key(header::UPGRADE) || request.method() == axum::http::Method::CONNECT;
    if upgrade {
        return next.run(request).await;
    }
    let started = Instant::now();
    let response = next.run(request).await;
    let elapsed = started.elapsed().as_secs_f64();
    let observed = response.extensions().get::<Observed>().cloned().unwrap_or_else(|| Observed {
        operation: "(unread)".to_owned(),
        outcome: format!("http_{}", response.status().as_u16()),
        tenant: None,
    });
    let labels = [("operation", observed.operation), ("outcome", observed.outcome)];
    metrics::counter!("oms_graphql_requests_total", &labels).increment(1);
    metrics::histogram!("oms_graphql_request_duration_seconds", &labels).record(elapsed);
    if let Some(tenant) = observed.tenant {
        metrics::counter!("oms_tenant_requests_total", "tenant" => recording.tenant_label(&tenant)).increment(1);
    }
    if recording.requests.fetch_add(1, Ordering::Relaxed) % UPKEEP_EVERY == UPKEEP_EVERY - 1
        && let Some(export) = &recording.export
    {
        export.upkeep();
    }
    response
}

/// The operation label of a document: its one root field (`createOrder`, `order`, `__schema`),
/// or `(multiple)` when it selects several. Only called on documents the engine accepted, so
/// the name is one of the schema's.
pub(crate) fn operation_label(document: &ExecutableDocument, operation_name: Option<&str>) -> String {
    let mut operations = document.operations.iter();
    let selected = match operation_name {
        Some(name) => operations.find(|(n, _)| n.is_some_and(|n| n.as_str() == name)),
        None => operations.next(),
    };
    let Some((_, operation)) = selected else { return "(invalid)".to_owned() };
    let mut names = operation.node.selection_set.node.items.iter().filter_map(|item| match &item.node {
        Selection::Field(field) => Some(field.node.name.node.as_str()),
        // A fragment at the root: which fields it holds is not worth expanding for a label.
        _ => None,
    });
    match (names.next(), names.next(), operation.node.selection_set.node.items.len()) {
        (Some(one), None, 1) => one.to_owned(),
        _ => "(multiple)".to_owned(),
    }
}

/// The outcome label of an executed request: the first error's code, else `user_error` when a
/// mutation payload carries `userErrors`, else `ok`.
pub(crate) fn outcome_label(response: &async_graphql::Response) -> String {
    if let Some(error) = response.errors.first() {
        let code = error.extensions.as_ref().and_then(|e| e.get("code")).and_then(|c| match c {
            async_graphql::Value::String(s) => Some(s.clone()),
            _ => None,
        });
        return code.unwrap_or_else(|| "error".to_owned());
    }
    let async_graphql::Value::Object(root) = &response.data else { return "ok".to_owned() };
    let has_user_errors = root.values().any(|payload| match payload {
        async_graphql::Value::Object(fields) => {
            matches!(fields.get("userErrors"), Some(async_graphql::Value::List(errors)) if !errors.is_empty())
        }
        _ => false,
    });
    if has_user_errors { "user_error".to_owned() } else { "ok".to_owned() }
}

/// `GET /metrics`: open to whoever reaches it (no tenant data is in it); serve it on a separate
/// listener (`--metrics-listen`) to keep it off the public address.
pub(crate) async fn scrape(State(export): State<Arc<dyn MetricsExport>>) -> Response {
    let body = export.render().await;
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    response
}

/// A router with `/metrics` only, for a listener of its own.
pub fn metrics_router(export: Arc<dyn MetricsExport>) -> Router {
    Router::new().route("/metrics", get(scrape)).with_state(export)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(query: &str, name: Option<&str>) -> String {
        operation_label(&async_graphql::parser::parse_query(query).expect("parses"), name)
    }

    #[test]
    fn the_operation_is_the_root_field() {
        assert_eq!(label("{ me { subject } }", None), "me");
        assert_eq!(label("mutation M { x: createOrder(input: {}) { replayed } }", None), "createOrder");
        assert_eq!(label("{ me { subject } __typename }", None), "(multiple)");
        assert_eq!(label("query A { me { subject } } query B { orders { nodes { id } } }", Some("B")), "orders");
        assert_eq!(label("query A { me { subject } }", Some("C")), "(invalid)");
    }

    #[test]
    fn tenants_beyond_the_cap_share_one_label() {
        let recording = Recording::default();
        for i in 0..MAX_TENANT_LABELS {
            assert_eq!(recording.tenant_label(&format!("t{i}")), format!("t{i}"));
        }
        assert_eq!(recording.tenant_label("late"), OTHER_TENANTS);
        assert_eq!(recording.tenant_label("t0"), "t0");
    }
}
