//! The tenant's standing, checked from the token alone, before the body is read: an unknown
//! tenant is 401, a suspended one 403 TENANT_SUSPENDED (it sees no schema either), and one over
//! its plan's request rate 429 RATE_LIMITED with `Retry-After`.

use application::{AppError, Caller, ErrorCode};
use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::{
    graphql::{query_budget::ComplexityBudget, visibility::PlanView},
    http::{
        AppState,
        problem::{graphql_error, refusal},
        rate_limit::RetryAfter,
    },
};

/// A caller let through the gate, with what its plan puts into the request (a WebSocket keeps
/// it for every operation it runs).
#[derive(Clone)]
pub(crate) struct Admitted {
    caller: Caller,
    plan: Option<PlanView>,
    budget: Option<ComplexityBudget>,
    requests_per_minute: Option<u64>,
}

impl Admitted {
    /// Who the request is counted for in the metrics: the tenant, or `(provider)`.
    pub(crate) fn tenant_label(&self) -> Option<String> {
        Some(match &self.caller {
            Caller::Tenant(principal) => principal.tenant_id.as_str().to_owned(),
            Caller::Provider(_) => "(provider)".to_owned(),
        })
    }
}

pub(crate) async fn admit(state: &AppState, caller: Caller) -> Result<Admitted, Response> {
    let span = tracing::Span::current();
    let principal = match &caller {
        Caller::Tenant(principal) => principal,
        Caller::Provider(admin) => {
            span.record("tenant", "(provider)");
            span.record("subject", admin.subject.as_str());
            return Ok(Admitted { caller, plan: None, budget: None, requests_per_minute: None });
        }
    };
    span.record("tenant", principal.tenant_id.as_str());
    span.record("subject", principal.subject.as_str());
    let tenant = state.services.session.tenant(principal).await.map_err(refused)?;
    let admitted = Admitted {
        plan: Some(PlanView(tenant.access.plan())),
        budget: tenant
            .limits
            .max_query_complexity
            .map(|limit| ComplexityBudget(usize::try_from(limit).unwrap_or(usize::MAX))),
        requests_per_minute: tenant.limits.requests_per_minute,
        caller,
    };
    admitted.charge(state, 1).await.map_err(IntoResponse::into_response)?;
    Ok(admitted)
}

fn refused(e: AppError) -> Response {
    match e.code {
        // The tenant directory could not be read: the service, not the caller, is at fault.
        ErrorCode::Internal => graphql_error(StatusCode::SERVICE_UNAVAILABLE, e.code, &e.message),
        code => refusal(code, &e.message),
    }
}

impl Admitted {
    /// Counts `n` more requests against the tenant's plan rate (a request running several
    /// mutations costs one per mutation).
    pub(crate) async fn charge(&self, state: &AppState, n: u64) -> Result<(), RateLimited> {
        let (Caller::Tenant(principal), Some(limit)) = (&self.caller, self.requests_per_minute) else {
            return Ok(());
        };
        state
            .rate_limiter
            .admit(principal.tenant_id.as_str(), limit, n)
            .await
            .map_err(|RetryAfter(retry_after)| RateLimited { limit, retry_after })
    }

    /// Puts the caller, and what its plan decides (introspection, the query's cost cap), into
    /// the GraphQL request.
    pub(crate) fn into_request(self, request: async_graphql::Request) -> async_graphql::Request {
        let mut request = match self.caller {
            Caller::Tenant(principal) => request.data(principal),
            Caller::Provider(admin) => request.data(admin),
        };
        if let Some(plan) = self.plan {
            request = request.data(plan);
        }
        if let Some(budget) = self.budget {
            request = request.data(budget);
        }
        request
    }
}

/// The tenant has used its minute: 429 with `Retry-After`.
#[derive(Clone, Copy)]
pub(crate) struct RateLimited {
    limit: u64,
    retry_after: u64,
}

impl RateLimited {
    /// The refusal as one GraphQL error.
    pub(crate) fn error(&self) -> serde_json::Value {
        let Self { limit, retry_after } = *self;
        serde_json::json!({
            "message": format!("your plan allows {limit} requests per minute; retry in {retry_after} s"),
            "extensions": { "code": ErrorCode::RateLimited.as_str(), "limit": limit, "retryAfter": retry_after }
        })
    }
}

impl IntoResponse for RateLimited {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "errors": [self.error()] });
        let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(self.retry_after));
        response
    }
}
