use async_graphql::{ErrorExtensionValues, Value, http::GraphiQLSource};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse, rejection::GraphQLRejection};
use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{Html, IntoResponse, Response},
};

use application::Caller;

use crate::{
    graphql::{
        mutation::IdempotencyHeader, query_budget::ComplexityBudget, refusal_audit::strip_mark, visibility::PlanView,
    },
    http::{AppState, REQUEST_ID, auth::authenticate, problem::graphql_error, rate_limit::RetryAfter},
};

pub(crate) async fn graphiql(State(state): State<AppState>) -> Response {
    if !state.graphiql {
        return StatusCode::NOT_FOUND.into_response();
    }
    Html(GraphiQLSource::build().endpoint("/graphql").title("tenant-oms").finish()).into_response()
}

pub(crate) async fn execute(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Result<GraphQLRequest, GraphQLRejection>,
) -> Response {
    let mut caller = match authenticate(&state.services, &headers).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    caller.set_request_id(headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()).map(str::to_owned));
    let request = match request {
        Ok(r) => r.into_inner(),
        Err(rejection) => {
            tracing::info!(error = %rejection.0, "unreadable GraphQL request");
            return graphql_error(
                StatusCode::BAD_REQUEST,
                "VALIDATION_FAILED",
                "the request body is not a GraphQL request (expected JSON {\"query\": ..., \"variables\": ...})",
            );
        }
    };
    let mut request = match attach_caller(&state, request, caller).await {
        Ok(request) => request,
        Err(response) => return response,
    };
    if let Some(key) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()) {
        request = request.data(IdempotencyHeader(key.to_owned()));
    }
    let mut response = state.schema.execute(request).await;
    for error in &mut response.errors {
        let ext = error.extensions.get_or_insert_with(ErrorExtensionValues::default);
        strip_mark(ext);
        if ext.get("code").is_none() {
            ext.set("code", Value::from(classify(&error.message)));
        }
    }
    GraphQLResponse::from(response).into_response()
}

/// Puts the caller (and, for a tenant user, the plan that shapes introspection and caps the
/// query's cost) into the request, and names it on the request's log span. A tenant over its
/// plan's request rate is answered 429 RATE_LIMITED here, before any work.
async fn attach_caller(
    state: &AppState,
    request: async_graphql::Request,
    caller: Caller,
) -> Result<async_graphql::Request, Response> {
    let span = tracing::Span::current();
    match caller {
        Caller::Tenant(principal) => {
            span.record("tenant", principal.tenant_id.as_str());
            span.record("subject", principal.subject.as_str());
            // A suspended or unknown tenant gets no plan view; its calls are refused by the use cases.
            let Ok(tenant) = state.services.session.tenant(&principal).await else {
                return Ok(request.data(principal));
            };
            if let Some(limit) = tenant.limits.requests_per_minute
                && let Err(RetryAfter(seconds)) = state.rate_limiter.admit(principal.tenant_id.as_str(), limit)
            {
                return Err(rate_limited(limit, seconds));
            }
            let mut request = request.data(principal).data(PlanView(tenant.access.plan()));
            if let Some(limit) = tenant.limits.max_query_complexity {
                request = request.data(ComplexityBudget(usize::try_from(limit).unwrap_or(usize::MAX)));
            }
            Ok(request)
        }
        Caller::Provider(admin) => {
            span.record("tenant", "(provider)");
            span.record("subject", admin.subject.as_str());
            Ok(request.data(admin))
        }
    }
}

fn rate_limited(limit: u64, retry_after: u64) -> Response {
    let body = serde_json::json!({ "errors": [{
        "message": format!("your plan allows {limit} requests per minute; retry in {retry_after} s"),
        "extensions": { "code": "RATE_LIMITED", "limit": limit, "retryAfter": retry_after }
    }] });
    let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(retry_after));
    response
}

/// Errors raised by the GraphQL engine itself (parse, validation, limits) carry no code yet.
fn classify(message: &str) -> &'static str {
    if message.starts_with("Query is too complex") || message.starts_with("Query is nested too deep") {
        "QUERY_TOO_COMPLEX"
    } else {
        "VALIDATION_FAILED"
    }
}
