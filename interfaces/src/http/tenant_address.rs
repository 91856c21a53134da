//! The tenant a request addresses, besides its token: a verified custom domain of the tenant,
//! `{tenantId}.{platform_domain}`, or the path prefix `/t/{tenantId}/…`, in that order (SPEC.md
//! section 3). The addressed tenant is handed to token verification as the tenant the caller
//! must belong to, exactly as `X-Tenant-Id` is: a token that does not name it is refused
//! (UNAUTHENTICATED) before anything is read.
//!
//! The host is the `Host` header (the `:authority` of an HTTP/2 request). `X-Forwarded-Host` is
//! read instead only when the server runs with `--trust-proxy`: without a proxy that sets it,
//! any client could name any host there.

use axum::{
    http::{HeaderMap, HeaderName, Uri, header},
    response::{IntoResponse, Response},
};
use domain::TenantId;

use crate::http::{AppState, problem::refusal};

const FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// The path prefix of the path form: `/t/{tenantId}/graphql`.
pub(crate) const PATH_PREFIX: &str = "/t/";

/// The tenant the request's host or path names, if any. Two forms naming different tenants
/// refuse the request: no order of precedence could make that request mean one thing.
pub(crate) fn addressed_tenant(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<Option<String>, Misaddressed> {
    let by_host = request_host(headers, uri, state.trust_proxy)
        .and_then(|host| state.services.addresses.tenant_of_host(host))
        .map(|tenant| tenant.as_str().to_owned());
    let by_path = match path_tenant(uri.path()) {
        None => None,
        Some(segment) => match TenantId::new(segment) {
            Ok(tenant) => Some(tenant.as_str().to_owned()),
            Err(_) => return Err(Misaddressed("the path names no valid tenant id")),
        },
    };
    match (by_host, by_path) {
        (Some(host), Some(path)) if host != path => {
            Err(Misaddressed("the request's host and its /t/{tenantId}/ path name different tenants"))
        }
        (host, path) => Ok(host.or(path)),
    }
}

/// The tenant segment of `/t/{tenantId}/…`.
pub(crate) fn path_tenant(path: &str) -> Option<&str> {
    let rest = path.strip_prefix(PATH_PREFIX)?;
    Some(rest.split_once('/').map_or(rest, |(tenant, _)| tenant))
}

/// The host the client asked for. A proxy's `X-Forwarded-Host` may list several hops; the first
/// is the client's.
fn request_host<'a>(headers: &'a HeaderMap, uri: &'a Uri, trust_proxy: bool) -> Option<&'a str> {
    let header = |name: &HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if trust_proxy && let Some(forwarded) = header(&FORWARDED_HOST) {
        return forwarded.split(',').next().map(str::trim).filter(|h| !h.is_empty());
    }
    header(&header::HOST).or_else(|| uri.authority().map(|a| a.as_str()))
}

/// The request's address names no one tenant: UNAUTHENTICATED, like a token of another tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Misaddressed(&'static str);

impl IntoResponse for Misaddressed {
    fn into_response(self) -> Response {
        tracing::info!(reason = self.0, "request refused: its address names no one tenant");
        refusal(application::ErrorCode::Unauthenticated, self.0)
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn the_path_form_names_its_segment() {
        assert_eq!(path_tenant("/t/t1/graphql"), Some("t1"));
        assert_eq!(path_tenant("/t/t1/graphql/ws"), Some("t1"));
        assert_eq!(path_tenant("/graphql"), None);
        assert_eq!(path_tenant("/tenants/t1/graphql"), None);
    }

    #[test]
    fn a_forwarded_host_counts_only_behind_a_trusted_proxy() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        headers.insert(FORWARDED_HOST, HeaderValue::from_static("acme.oms.test, proxy.internal"));
        let uri = Uri::from_static("/graphql");
        assert_eq!(request_host(&headers, &uri, false), Some("127.0.0.1:8080"));
        assert_eq!(request_host(&headers, &uri, true), Some("acme.oms.test"));
        headers.remove(FORWARDED_HOST);
        assert_eq!(request_host(&headers, &uri, true), Some("127.0.0.1:8080"));
    }

    #[test]
    fn an_http2_request_names_its_host_in_the_authority() {
        let uri = Uri::from_static("https://t1.oms.test/graphql");
        assert_eq!(request_host(&HeaderMap::new(), &uri, false), Some("t1.oms.test"));
    }
}
