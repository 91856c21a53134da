//! The axum router: `/graphql` (POST; GET for queries and GraphiQL), `/graphql/ws` (subscriptions),
//! `/webhooks/…` (signed inbound webhooks), all three also under `/t/{tenantId}/`, `/healthz`, `/readyz`,
//! `/metrics`, and the hyper server that runs it with the timers and caps of the HTTP edge.

mod auth;
mod client_guard;
mod graphiql;
mod graphql;
mod health;
mod load_shed;
mod media;
mod parsed_documents;
mod problem;
pub mod prometheus;
mod rate_limit;
mod request_id;
pub mod server;
mod tenant_address;
mod tenant_gate;
mod webhooks;
mod ws;

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    http::{HeaderName, Request, StatusCode},
    middleware,
    routing::{any, get, post},
};
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::{DefaultOnResponse, TraceLayer},
};

use crate::{
    Services,
    graphql::{AppSchema, build_schema, document_cost::DocumentLimits},
};

pub use graphiql::GraphiqlToken;
pub use prometheus::{MAX_TENANT_LABELS, MetricsExport, metrics_router};
pub use server::ServerConfig;
pub use ws::WebSocketConfig;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Serve GraphiQL on `GET /graphql`.
    pub graphiql: bool,
    /// A token GraphiQL's headers editor starts with (`tenant-oms demo` gives its own).
    pub graphiql_token: Option<GraphiqlToken>,
    /// Larger request bodies are refused (413) without being read past the limit.
    pub max_body_bytes: usize,
    /// A request (body read, execution, answer) that takes longer is answered 408.
    pub request_timeout: Duration,
    /// GraphQL requests being served at once; beyond it a request is answered 503 with
    /// `Retry-After` at once instead of queueing behind the others (health checks are exempt).
    pub max_in_flight: usize,
    /// Requests without a valid token that one client address may make per minute; beyond it
    /// they are answered 429 before any token is verified.
    pub unauthenticated_per_minute: u64,
    /// Bounds on a query document, checked before the GraphQL engine sees it.
    pub documents: DocumentLimits,
    /// Connection-level timers and caps.
    pub server: ServerConfig,
    /// Caps and timers of a `/graphql/ws` socket.
    pub websocket: WebSocketConfig,
    /// Serve `GET /metrics` on this router (when the services export metrics); off when it has
    /// a listener of its own (`--metrics-listen`).
    pub metrics_route: bool,
    /// Body limit and request rates of the inbound webhook routes.
    pub webhooks: WebhookLimits,
    /// Read the request's host from `X-Forwarded-Host` (set by a reverse proxy in front of the
    /// server) when resolving the tenant it addresses; off, only `Host` counts.
    pub trust_proxy: bool,
}

/// The inbound webhook routes' limits. Rates are counted like the plans' (in Redis for the
/// whole fleet when it is configured, else per instance).
#[derive(Debug, Clone)]
pub struct WebhookLimits {
    /// Larger bodies are refused (413).
    pub max_body_bytes: usize,
    /// Requests to one tenant's webhook routes (or to the provider's route) per minute.
    pub per_tenant_per_minute: u64,
    /// Requests to any webhook route from one client address per minute.
    pub per_client_per_minute: u64,
}

impl Default for WebhookLimits {
    fn default() -> Self {
        Self { max_body_bytes: 256 * 1024, per_tenant_per_minute: 1200, per_client_per_minute: 600 }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            graphiql: true,
            graphiql_token: None,
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_in_flight: 512,
            unauthenticated_per_minute: 300,
            documents: DocumentLimits::default(),
            server: ServerConfig::default(),
            websocket: WebSocketConfig::default(),
            metrics_route: true,
            webhooks: WebhookLimits::default(),
            trust_proxy: false,
        }
    }
}

/// What every handler is given: one reference-counted pointer, cloned once per request (its
/// fields are shared, not copied).
pub(crate) type AppState = Arc<SharedState>;

pub(crate) struct SharedState {
    schema: AppSchema,
    services: Services,
    graphiql: bool,
    graphiql_token: Option<GraphiqlToken>,
    max_body_bytes: usize,
    documents: DocumentLimits,
    websocket: WebSocketConfig,
    unauthenticated_per_minute: u64,
    trust_proxy: bool,
    rate_limiter: Arc<dyn application::ports::RateLimitStore>,
    client_guard: Arc<rate_limit::RateLimiter>,
    webhook_limits: WebhookLimits,
    /// Documents parsed before, by their text.
    parsed: parsed_documents::ParsedDocuments,
}

pub fn router(services: Services, config: HttpConfig) -> Router {
    let export = services.metrics.clone();
    let recording = Arc::new(prometheus::Recording::new(export.clone()));
    let rate_limiter = services.rate_limits.clone().unwrap_or_else(|| Arc::new(rate_limit::RateLimiter::default()));
    let state = Arc::new(SharedState {
        schema: build_schema(services.clone()),
        services,
        graphiql: config.graphiql,
        graphiql_token: config.graphiql_token.clone(),
        max_body_bytes: config.max_body_bytes,
        documents: config.documents,
        websocket: config.websocket,
        unauthenticated_per_minute: config.unauthenticated_per_minute,
        trust_proxy: config.trust_proxy,
        rate_limiter,
        client_guard: Default::default(),
        webhook_limits: config.webhooks,
        parsed: Default::default(),
    });
    let in_flight = load_shed::InFlight::new(config.max_in_flight);
    let graphql_routes = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::execute))
        // `any`: HTTP/1.1 upgrades with GET, HTTP/2 with an extended CONNECT.
        .route("/graphql/ws", any(ws::upgrade))
        // The path form of addressing a tenant (see `tenant_address`): the same handlers.
        .route("/t/{tenant}/graphql", get(graphql::get).post(graphql::execute))
        .route("/t/{tenant}/graphql/ws", any(ws::upgrade))
        .route_layer(middleware::from_fn_with_state(in_flight, load_shed::shed_when_full))
        // Outside the shedding, so that shed requests are counted too.
        .route_layer(middleware::from_fn_with_state(recording, prometheus::record));
    let mut routes = Router::new()
        .merge(graphql_routes)
        .route("/webhooks/shipment-tracker", post(webhooks::provider_shipment_tracker))
        .route("/webhooks/{tenant}/add-order", post(webhooks::add_order))
        .route("/webhooks/{tenant}/shipment-tracker", post(webhooks::shipment_tracker))
        .route("/t/{tenant}/webhooks/add-order", post(webhooks::add_order))
        .route("/t/{tenant}/webhooks/shipment-tracker", post(webhooks::shipment_tracker))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .with_state(state);
    if config.graphiql {
        routes = routes.route(graphiql::ASSET_ROUTE, get(graphiql::asset));
    }
    if let Some(export) = export.filter(|_| config.metrics_route) {
        routes = routes.merge(metrics_router(export));
    }
    routes.layer(
        ServiceBuilder::new()
            .layer(middleware::map_request(request_id::drop_unacceptable_request_id))
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(|req: &Request<_>| {
                        let request_id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                        tracing::info_span!(
                            "request",
                            request_id = %request_id,
                            method = %req.method(),
                            path = %req.uri().path(),
                            tenant = tracing::field::Empty,
                            subject = tracing::field::Empty,
                        )
                    })
                    .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
            )
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(CatchPanicLayer::custom(problem::panic_response))
            .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, config.request_timeout)),
    )
}
