//! The axum router: `/graphql` (POST queries, GET GraphiQL), `/healthz`, `/readyz`.

mod auth;
mod graphql;
mod health;
mod problem;
mod rate_limit;

use std::time::Duration;

use axum::{
    Router,
    http::{HeaderName, Request, StatusCode},
    routing::get,
};
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::{DefaultOnResponse, TraceLayer},
};

use crate::{
    Services,
    graphql::{AppSchema, build_schema},
};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Serve GraphiQL on `GET /graphql`.
    pub graphiql: bool,
    /// Larger request bodies are refused before they are read.
    pub max_body_bytes: usize,
    pub request_timeout: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self { graphiql: true, max_body_bytes: 1024 * 1024, request_timeout: Duration::from_secs(30) }
    }
}

#[derive(Clone)]
pub(crate) struct AppState {
    schema: AppSchema,
    services: Services,
    graphiql: bool,
    rate_limiter: std::sync::Arc<rate_limit::RateLimiter>,
}

pub fn router(services: Services, config: HttpConfig) -> Router {
    let state = AppState {
        schema: build_schema(services.clone()),
        services,
        graphiql: config.graphiql,
        rate_limiter: Default::default(),
    };
    Router::new()
        .route("/graphql", get(graphql::graphiql).post(graphql::execute))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .with_state(state)
        .layer(
            ServiceBuilder::new()
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
                .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, config.request_timeout))
                .layer(RequestBodyLimitLayer::new(config.max_body_bytes)),
        )
}
