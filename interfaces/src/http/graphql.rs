use async_graphql::{ErrorExtensionValues, Value, http::GraphiQLSource};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse, rejection::GraphQLRejection};
use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{Html, IntoResponse, Response},
};

use application::Caller;

use crate::{
    graphql::{mutation::IdempotencyHeader, visibility::PlanView},
    http::{AppState, REQUEST_ID, auth::authenticate, problem::graphql_error},
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
    let mut request = attach_caller(&state, request, caller).await;
    if let Some(key) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()) {
        request = request.data(IdempotencyHeader(key.to_owned()));
    }
    let mut response = state.schema.execute(request).await;
    for error in &mut response.errors {
        let ext = error.extensions.get_or_insert_with(ErrorExtensionValues::default);
        if ext.get("code").is_none() {
            ext.set("code", Value::from(classify(&error.message)));
        }
    }
    GraphQLResponse::from(response).into_response()
}

/// Puts the caller (and, for a tenant user, the plan that shapes introspection) into the request,
/// and names it on the request's log span.
async fn attach_caller(state: &AppState, request: async_graphql::Request, caller: Caller) -> async_graphql::Request {
    let span = tracing::Span::current();
    match caller {
        Caller::Tenant(principal) => {
            span.record("tenant", principal.tenant_id.as_str());
            span.record("subject", principal.subject.as_str());
            // A suspended or unknown tenant gets no plan view; its calls are refused by the use cases.
            let plan = state.services.session.tenant(&principal).await.ok().map(|t| PlanView(t.access.plan()));
            let request = request.data(principal);
            match plan {
                Some(plan) => request.data(plan),
                None => request,
            }
        }
        Caller::Provider(admin) => {
            span.record("tenant", "(provider)");
            span.record("subject", admin.subject.as_str());
            request.data(admin)
        }
    }
}

/// Errors raised by the GraphQL engine itself (parse, validation, limits) carry no code yet.
fn classify(message: &str) -> &'static str {
    if message.starts_with("Query is too complex") || message.starts_with("Query is nested too deep") {
        "QUERY_TOO_COMPLEX"
    } else {
        "VALIDATION_FAILED"
    }
}
