//! `POST /webhooks/{tenantId}/add-order`, `POST /webhooks/{tenantId}/shipment-tracker` and the
//! provider's `POST /webhooks/shipment-tracker` (also under the path form `/t/{tenantId}/…`).
//! This file only reads the raw body within its limit and the headers, counts the request
//! against the route's rates, and maps the intake's outcome to an HTTP answer: RFC 7807 problems
//! for refusals, never naming a tenant other than the caller's own path or any secret.

use std::net::{IpAddr, SocketAddr};

use application::{
    ErrorCode,
    ports::{DeliveryHeaders, InboundRoute},
    webhooks_in::{Delivery, FailureKind, WebhookAnswer, WebhookFailure},
};
use axum::{
    Extension, Json,
    body::Body,
    extract::{ConnectInfo, Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use domain::TenantId;
use serde_json::json;

use crate::http::{AppState, REQUEST_ID, client_guard::client_address, rate_limit::RetryAfter};

/// A refusal as `application/problem+json`. `kind` becomes the type URI's last segment.
fn problem(status: StatusCode, kind: &str, detail: &str) -> Response {
    let body = json!({
        "type": format!("urn:tenant-oms:problem:{kind}"),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
    });
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    response
}

fn failure_response(failure: &WebhookFailure) -> Response {
    let (status, kind) = match failure.kind {
        FailureKind::Unverified => (StatusCode::UNAUTHORIZED, "unverified"),
        FailureKind::NotFound => (StatusCode::NOT_FOUND, "not-found"),
        FailureKind::Malformed => (StatusCode::BAD_REQUEST, "malformed-body"),
        FailureKind::Unusable => (StatusCode::UNPROCESSABLE_ENTITY, "unusable-body"),
        FailureKind::Ambiguous => (StatusCode::CONFLICT, "ambiguous-reference"),
        FailureKind::Refused => match failure.error.code {
            // The database or config could not be read: the service, not the sender, is at fault.
            ErrorCode::Internal => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            code => (StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), "refused"),
        },
    };
    problem(status, kind, &failure.error.message)
}

fn answer(result: Result<WebhookAnswer, WebhookFailure>) -> Response {
    match result {
        Ok(done) => {
            let mut body = json!({
                "status": done.result,
                "orderId": done.order_id,
                "number": done.order_number,
            });
            if let Some(shipment) = done.shipment_id {
                body["shipmentId"] = json!(shipment);
                body["shipmentStatus"] = json!(done.shipment_status);
            }
            (StatusCode::OK, Json(body)).into_response()
        }
        Err(failure) => {
            tracing::info!(kind = ?failure.kind, code = failure.error.code.as_str(), "webhook refused");
            failure_response(&failure)
        }
    }
}

fn rate_limited(RetryAfter(seconds): RetryAfter, whose: &str) -> Response {
    let mut response = problem(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        &format!("too many webhook requests for {whose}; retry in {seconds} s"),
    );
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// Counts the request against the route's tenant and the client's address, before the body is
/// read; the refusal when either is over its rate. The provider's route counts as one tenant of
/// its own. Counted where the plans' rates are (in Redis for the whole fleet when configured).
async fn over_rate(state: &AppState, tenant: Option<&str>, client: Option<IpAddr>) -> Option<Response> {
    let limits = &state.webhook_limits;
    if let Some(ip) = client
        && let Err(retry) =
            state.rate_limiter.admit(&format!("webhooks:client:{ip}"), limits.per_client_per_minute, 1).await
    {
        return Some(rate_limited(retry, "your address"));
    }
    let key = match tenant {
        // A path that names no possible tenant shares one count: it cannot mint keys.
        Some(tenant) if TenantId::new(tenant).is_ok() => format!("webhooks:tenant:{tenant}"),
        Some(_) => "webhooks:no-tenant".to_owned(),
        None => "webhooks:provider".to_owned(),
    };
    let refused = state.rate_limiter.admit(&key, limits.per_tenant_per_minute, 1).await.err();
    refused.map(|retry| rate_limited(retry, "this webhook"))
}

/// The raw body within the limit, else 413 (from the declared length, before reading, when
/// there is one).
async fn read_body(limit: usize, headers: &HeaderMap, body: Body) -> Result<Vec<u8>, Response> {
    let too_large =
        || problem(StatusCode::PAYLOAD_TOO_LARGE, "body-too-large", &format!("the body is over {limit} bytes"));
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large());
    }
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => Ok(bytes.to_vec()),
        Err(e) if super::graphql::is_length_limit(&e) => Err(too_large()),
        Err(e) => {
            tracing::info!(error = %e, "webhook body could not be read");
            Err(problem(StatusCode::BAD_REQUEST, "malformed-body", "the request body could not be read"))
        }
    }
}

fn delivery(headers: &HeaderMap, body: Vec<u8>) -> Delivery {
    let pairs =
        headers.iter().filter_map(|(name, value)| Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned())));
    let request_id = headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()).map(str::to_owned);
    Delivery { headers: DeliveryHeaders::new(pairs), body, request_id }
}

/// What every route does before its use case: rates, then the body.
async fn prepare(
    state: &AppState,
    tenant: Option<&str>,
    route: InboundRoute,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Delivery, Response> {
    if let Some(tenant) = tenant {
        tracing::Span::current().record("tenant", tenant);
    }
    if let Some(refused) = over_rate(state, tenant, client_address(connect.as_ref().map(|Extension(c)| c))).await {
        return Err(refused);
    }
    match read_body(state.webhook_limits.max_body_bytes, headers, body).await {
        Ok(body) => Ok(delivery(headers, body)),
        Err(response) => {
            if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
                let request_id = headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()).map(str::to_owned);
                state.services.webhooks_in.refused_unread(tenant, route, request_id).await;
            }
            Err(response)
        }
    }
}

pub(crate) async fn add_order(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match prepare(&state, Some(&tenant), InboundRoute::AddOrder, connect, &headers, body).await {
        Ok(delivery) => answer(state.services.webhooks_in.add_order(&tenant, delivery).await),
        Err(response) => response,
    }
}

pub(crate) async fn shipment_tracker(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match prepare(&state, Some(&tenant), InboundRoute::ShipmentTracker, connect, &headers, body).await {
        Ok(delivery) => answer(state.services.webhooks_in.shipment_tracker(&tenant, delivery).await),
        Err(response) => response,
    }
}

pub(crate) async fn provider_shipment_tracker(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match prepare(&state, None, InboundRoute::ShipmentTracker, connect, &headers, body).await {
        Ok(delivery) => answer(state.services.webhooks_in.provider_shipment_tracker(delivery).await),
        Err(response) => response,
    }
}
