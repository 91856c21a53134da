//! `POST /graphql`. Everything that can be decided from the headers is decided before the body
//! is read (media type, token, tenant standing, request rate); the document is then parsed once
//! and measured with its fragments expanded before the engine validates or runs it.

use std::net::SocketAddr;

use async_graphql::{
    ErrorExtensionValues, ServerError, Value, Variables,
    parser::types::{ExecutableDocument, OperationType},
};
use axum::{
    Extension,
    body::Body,
    extract::{ConnectInfo, Query, State},
    http::{HeaderMap, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use application::{Caller, ErrorCode};

use crate::{
    graphql::{document_cost, mutation::IdempotencyHeader},
    http::{
        AppState, REQUEST_ID,
        client_guard::{authenticate_client, client_address},
        media::{ResponseMedia, is_json_body},
        parsed_documents::ParsedDocuments,
        problem::{graphql_error, refusal},
        prometheus::{self, Observed},
        tenant_address::addressed_tenant,
        tenant_gate,
    },
};

/// GraphiQL posts back to the path it was served from, so the path form keeps its tenant.
fn graphiql(state: &AppState) -> Response {
    if !state.graphiql {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut page = super::graphiql::page(state.graphiql_token.as_ref());
    page.extensions_mut().insert(Observed {
        operation: "(graphiql)".to_owned(),
        outcome: "ok".to_owned(),
        tenant: None,
    });
    page
}

/// `GET /graphql?query=…[&operationName=…][&variables=<JSON>]`.
#[derive(Deserialize)]
pub(crate) struct GetParams {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
}

/// Whether a request may change anything: a GET may only read (GraphQL over HTTP).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Method {
    Post,
    Get,
}

/// A GraphQL-over-HTTP request body (and a graphql-ws `subscribe` payload). `null` is accepted
/// wherever a member is optional.
#[derive(Deserialize)]
pub(crate) struct WireRequest {
    query: String,
    #[serde(default, rename = "operationName")]
    pub(crate) operation_name: Option<String>,
    #[serde(default)]
    variables: Option<serde_json::Map<String, serde_json::Value>>,
    /// Accepted and ignored: no request extension is supported.
    #[serde(default, rename = "extensions")]
    _extensions: Option<serde_json::Map<String, serde_json::Value>>,
}

impl WireRequest {
    pub(crate) fn into_request(self) -> async_graphql::Request {
        let mut request = async_graphql::Request::new(self.query);
        if let Some(name) = self.operation_name {
            request = request.operation_name(name);
        }
        if let Some(variables) = self.variables {
            request = request.variables(Variables::from_json(serde_json::Value::Object(variables)));
        }
        request
    }
}

/// `GET /graphql`: GraphiQL without a `query` parameter, else the query (never a mutation).
pub(crate) async fn get(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    uri: Uri,
    Query(params): Query<GetParams>,
) -> Response {
    let Some(query) = params.query else { return graphiql(&state) };
    let media = ResponseMedia::negotiate(&headers);
    let admitted = match admit(&state, connect, &headers, &uri).await {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let variables = match params.variables.as_deref().map(serde_json::from_str).transpose() {
        Ok(variables) => variables,
        Err(_) => return refusal(ErrorCode::ValidationFailed, "the variables parameter must be a JSON object"),
    };
    let wire = WireRequest { query, operation_name: params.operation_name, variables, _extensions: None };
    run(&state, admitted, &headers, media, wire, Method::Get).await
}

/// `POST /graphql` with a JSON body.
pub(crate) async fn execute(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Response {
    let media = ResponseMedia::negotiate(&headers);
    if !is_json_body(&headers) {
        return graphql_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::ValidationFailed,
            "POST /graphql takes a JSON body: send Content-Type: application/json",
        );
    }
    let admitted = match admit(&state, connect, &headers, &uri).await {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let bytes = match read_body(body, &headers, state.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(response) => return response,
    };
    let wire: WireRequest = match serde_json::from_slice(&bytes) {
        Ok(wire) => wire,
        Err(e) => {
            tracing::info!(error = %e, "unreadable GraphQL request");
            return refusal(
                ErrorCode::ValidationFailed,
                "the request body is not a GraphQL request (expected JSON {\"query\": \"...\", \"variables\": {...}})",
            );
        }
    };
    run(&state, admitted, &headers, media, wire, Method::Post).await
}

/// The caller, from the headers and the address alone: the tenant the address names, token,
/// tenant standing, plan rate.
async fn admit(
    state: &AppState,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<tenant_gate::Admitted, Response> {
    let client = client_address(connect.as_ref().map(|Extension(c)| c));
    let addressed = addressed_tenant(state, headers, uri).map_err(IntoResponse::into_response)?;
    let mut caller = authenticate_client(state, client, headers, addressed.as_deref()).await?;
    set_request_id(&mut caller, headers);
    tenant_gate::admit(state, caller).await
}

/// Parses the document once, measures it, charges its mutations, and runs it.
async fn run(
    state: &AppState,
    admitted: tenant_gate::Admitted,
    headers: &HeaderMap,
    media: ResponseMedia,
    wire: WireRequest,
    method: Method,
) -> Response {
    let operation_name = wire.operation_name.clone();
    let tenant = admitted.tenant_label();
    let observed = |operation: &str, outcome: &str| Observed {
        operation: operation.to_owned(),
        outcome: outcome.to_owned(),
        tenant: tenant.clone(),
    };
    let mut request = wire.into_request();
    // A document parsed before is not parsed again; a new one is kept once it parses.
    let new_text = match state.parsed.get(&request.query) {
        Some(document) => {
            request.set_parsed_query(document);
            None
        }
        // Copied only if it would be kept.
        None => ParsedDocuments::keeps(&request.query).then(|| request.query.clone()),
    };
    // The label is only trusted once the engine has validated the document.
    let (cost, mut operation) = match request.parsed_query() {
        Ok(document) => {
            if let Some(text) = &new_text {
                state.parsed.keep(text, document);
            }
            let operation = prometheus::operation_label(document, operation_name.as_deref());
            if method == Method::Get && !reads_only(document, operation_name.as_deref()) {
                let mut response = graphql_error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    ErrorCode::ValidationFailed,
                    "a GET request may only run a query; send mutations with POST",
                );
                response.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static("GET, POST"));
                response.extensions_mut().insert(observed("(invalid)", "http_405"));
                return response;
            }
            (document_cost::measure(document, &state.documents), operation)
        }
        Err(error) => {
            let mut response = request_error(media, error, ErrorCode::ValidationFailed);
            response.extensions_mut().insert(observed("(invalid)", ErrorCode::ValidationFailed.as_str()));
            return response;
        }
    };
    let cost = match cost {
        Ok(cost) => cost,
        Err(refusal) => {
            tracing::info!(reason = %refusal.message(), "query document refused before validation");
            let mut response =
                request_error(media, ServerError::new(refusal.message(), None), ErrorCode::QueryTooComplex);
            // Not validated yet: the root field may be no field of the schema.
            response.extensions_mut().insert(observed("(refused)", ErrorCode::QueryTooComplex.as_str()));
            return response;
        }
    };
    // The gate counted the request once; each further mutation it runs counts once more.
    if cost.root_mutation_fields > 1
        && let Err(refusal) = admitted.charge(state, cost.root_mutation_fields - 1).await
    {
        let mut response = refusal.into_response();
        response.extensions_mut().insert(observed("(refused)", ErrorCode::RateLimited.as_str()));
        return response;
    }
    let mut request = admitted.into_request(request);
    if let Some(key) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()) {
        request = request.data(IdempotencyHeader(key.to_owned()));
    }
    let mut response = state.schema.execute(request).await;
    label_engine_errors(&mut response);
    if never_ran(&response) {
        operation = "(invalid)".to_owned();
    }
    let outcome = prometheus::outcome_label(&response);
    let mut answered = answer(media, &response);
    answered.extensions_mut().insert(observed(&operation, &outcome));
    answered
}

/// Errors without a path and no data: the request never ran (validation, variables, the plan's
/// complexity cap).
fn never_ran(response: &async_graphql::Response) -> bool {
    response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| error.path.is_empty())
}

/// Whether the operation a request runs is a query (a document the engine will refuse for a
/// missing or ambiguous operation name is left to it).
fn reads_only(document: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    let mut operations = document.operations.iter();
    let selected = match operation_name {
        Some(name) => operations.find(|(n, _)| n.is_some_and(|n| n.as_str() == name)),
        None => operations.next(),
    };
    selected.is_none_or(|(_, operation)| operation.node.ty == OperationType::Query)
}

fn set_request_id(caller: &mut Caller, headers: &HeaderMap) {
    caller.set_request_id(headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()).map(str::to_owned));
}

/// The body, at most `limit` bytes: a declared length over it is refused before a byte is read.
async fn read_body(body: Body, headers: &HeaderMap, limit: usize) -> Result<axum::body::Bytes, Response> {
    let too_large = || {
        graphql_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::ValidationFailed,
            &format!("the request body is larger than {limit} bytes"),
        )
    };
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large());
    }
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) if bytes.is_empty() => {
            Err(refusal(ErrorCode::ValidationFailed, "POST /graphql needs a body: {\"query\": \"...\"}"))
        }
        Ok(bytes) => Ok(bytes),
        Err(e) if is_length_limit(&e) => Err(too_large()),
        Err(e) => {
            tracing::info!(error = %e, "request body could not be read");
            Err(refusal(ErrorCode::ValidationFailed, "the request body could not be read"))
        }
    }
}

pub(crate) fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = e.source();
    }
    false
}

/// A request that failed before execution: no `data` entry, and 400 where the media type says so.
fn request_error(media: ResponseMedia, mut error: ServerError, code: ErrorCode) -> Response {
    error.extensions.get_or_insert_with(ErrorExtensionValues::default).set("code", Value::from(code.as_str()));
    let body = serde_json::to_vec(&serde_json::json!({ "errors": [error] })).unwrap_or_default();
    media.respond(media.request_error_status(), body)
}

/// An engine answer. Errors without a path and no data mean the request never ran (validation,
/// variables, the plan's complexity cap): such an answer carries no `data` entry.
fn answer(media: ResponseMedia, response: &async_graphql::Response) -> Response {
    if never_ran(response) {
        let body = serde_json::to_vec(&serde_json::json!({ "errors": response.errors })).unwrap_or_default();
        return media.respond(media.request_error_status(), body);
    }
    match serde_json::to_vec(response) {
        Ok(body) => media.respond(StatusCode::OK, body),
        Err(e) => {
            tracing::error!(error = %e, "GraphQL response could not be serialized");
            refusal(ErrorCode::Internal, "internal error")
        }
    }
}

/// Gives the errors the engine raised itself (parse, validation, limits) their code.
pub(crate) fn label_engine_errors(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        let ext = error.extensions.get_or_insert_with(ErrorExtensionValues::default);
        if ext.get("code").is_none() {
            ext.set("code", Value::from(classify(&error.message).as_str()));
        }
    }
}

/// Errors raised by the GraphQL engine itself (parse, validation, limits) carry no code yet.
fn classify(message: &str) -> ErrorCode {
    if message.starts_with("Query is too complex") || message.starts_with("Query is nested too deep") {
        ErrorCode::QueryTooComplex
    } else {
        ErrorCode::ValidationFailed
    }
}
