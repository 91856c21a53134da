//! Bearer-token authentication of every GraphQL request.

use application::{Caller, ErrorCode, ports::AuthError};
use axum::{
    http::{HeaderMap, StatusCode, header},
    response::Response,
};

use crate::{
    Services,
    http::problem::{graphql_error, refusal},
};

const TENANT_HEADER: &str = "x-tenant-id";

/// `addressed` is the tenant the request's host or path names (see `tenant_address`): like
/// `X-Tenant-Id`, it must be a tenant the token names, and the two must agree.
pub(crate) async fn authenticate(
    services: &Services,
    headers: &HeaderMap,
    addressed: Option<&str>,
) -> Result<Caller, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|t| !t.is_empty());
    let header = headers.get(TENANT_HEADER).and_then(|v| v.to_str().ok()).map(str::trim).filter(|h| !h.is_empty());
    if let (Some(addressed), Some(header)) = (addressed, header)
        && addressed != header
    {
        tracing::info!("authentication refused: X-Tenant-Id and the request's address name different tenants");
        return Err(unauthenticated("X-Tenant-Id names another tenant than the one this address serves"));
    }
    let hint = addressed.or(header);
    let result = match token {
        None => Err(AuthError::Missing),
        Some(token) => services.verifier.verify(token, hint).await,
    };
    result.map_err(|e| {
        // The reason helps operators; the client learns only what it can act on.
        tracing::info!(reason = %e, "authentication refused");
        match e {
            AuthError::Missing => unauthenticated("a bearer token is required (Authorization: Bearer <JWT>)"),
            AuthError::Invalid(_) => unauthenticated("the bearer token is invalid, expired, or not for this service"),
            AuthError::AmbiguousTenant => {
                unauthenticated("the token belongs to several tenants; choose one with the X-Tenant-Id header")
            }
            AuthError::Unavailable(_) => graphql_error(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Internal,
                "the identity provider could not be reached to verify the token; retry shortly",
            ),
        }
    })
}

fn unauthenticated(message: &str) -> Response {
    refusal(ErrorCode::Unauthenticated, message)
}
