//! A cap on GraphQL requests in flight. A request over the cap is answered 503 with
//! `Retry-After` at once: queueing it would only grow every caller's latency until timeouts
//! fire, while a prompt 503 lets clients and load balancers go elsewhere or back off.

use std::sync::Arc;

use application::ErrorCode;
use axum::{
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::Response,
};
use tokio::sync::Semaphore;

use super::problem::graphql_error;

#[derive(Clone)]
pub(crate) struct InFlight(Arc<Semaphore>);

impl InFlight {
    pub(crate) fn new(max: usize) -> Self {
        Self(Arc::new(Semaphore::new(max.max(1))))
    }
}

pub(crate) async fn shed_when_full(State(in_flight): State<InFlight>, request: Request, next: Next) -> Response {
    let Ok(_permit) = in_flight.0.try_acquire() else {
        tracing::warn!("request shed: too many requests in flight");
        let mut response = graphql_error(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::RateLimited,
            "the server is at capacity; retry in a second",
        );
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    };
    next.run(request).await
}
