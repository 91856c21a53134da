//! `subscribe`: the checks a document passes before the engine runs it, as on `POST /graphql`
//! (parsed once, measured with its fragments expanded, counted against the plan's rate), plus
//! one of the socket's own: only subscriptions run here.

use application::ErrorCode;
use async_graphql::{
    ErrorExtensionValues, ServerError, Value,
    parser::types::{ExecutableDocument, OperationType},
};
use futures::{StreamExt, stream::BoxStream};
use serde_json::json;

use crate::{
    graphql::document_cost,
    http::{AppState, graphql::WireRequest, graphql::label_engine_errors, tenant_gate::Admitted},
};

/// Why a subscription was refused before it ran: the `error` message's payload.
pub(crate) struct Refused(pub(crate) serde_json::Value);

fn refused(code: ErrorCode, message: &str) -> Refused {
    Refused(json!([{ "message": message, "extensions": { "code": code.as_str() } }]))
}

/// The operation's results, each already labelled with its error codes.
pub(crate) async fn start(
    state: &AppState,
    admitted: &Admitted,
    wire: WireRequest,
) -> Result<BoxStream<'static, async_graphql::Response>, Refused> {
    let operation_name = wire.operation_name.clone();
    let mut request = wire.into_request();
    let document = match request.parsed_query() {
        Ok(document) => document,
        Err(error) => return Err(engine_refusal(error, ErrorCode::ValidationFailed)),
    };
    if !subscribes(document, operation_name.as_deref()) {
        return Err(refused(
            ErrorCode::ValidationFailed,
            "only subscriptions run over /graphql/ws; send queries and mutations to POST /graphql",
        ));
    }
    if let Err(refusal) = document_cost::measure(document, &state.documents) {
        tracing::info!(reason = %refusal.message(), "subscription document refused before validation");
        return Err(refused(ErrorCode::QueryTooComplex, &refusal.message()));
    }
    // The socket's `connection_init` counted once; each operation counts once more.
    if let Err(limited) = admitted.charge(state, 1).await {
        return Err(Refused(json!([limited.error()])));
    }
    let request = admitted.clone().into_request(request);
    Ok(state
        .schema
        .execute_stream(request)
        .map(|mut response| {
            label_engine_errors(&mut response);
            response
        })
        .boxed())
}

/// Whether the operation the request runs is a subscription (a missing or ambiguous operation
/// name is left to the engine, which refuses it).
fn subscribes(document: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    let mut operations = document.operations.iter();
    let selected = match operation_name {
        Some(name) => operations.find(|(n, _)| n.is_some_and(|n| n.as_str() == name)),
        None => operations.next(),
    };
    selected.is_none_or(|(_, operation)| operation.node.ty == OperationType::Subscription)
}

fn engine_refusal(mut error: ServerError, code: ErrorCode) -> Refused {
    error.extensions.get_or_insert_with(ErrorExtensionValues::default).set("code", Value::from(code.as_str()));
    Refused(serde_json::to_value([error]).unwrap_or_else(|_| json!([{ "message": "the document could not be read" }])))
}

/// Whether a result says the operation never ran (validation, variables, the plan's complexity
/// cap): errors without a path and no data. graphql-ws answers those with `error`, not `next`.
pub(crate) fn never_ran(response: &async_graphql::Response) -> bool {
    response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| error.path.is_empty())
}

/// The errors of a result that never ran, as an `error` message's payload.
pub(crate) fn errors_of(response: &async_graphql::Response) -> serde_json::Value {
    serde_json::to_value(&response.errors).unwrap_or_else(|_| json!([{ "message": "the operation was refused" }]))
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    #[test]
    fn only_the_selected_operation_must_be_a_subscription() {
        let document = parse_query("subscription S { a } query Q { b }").expect("parses");
        assert!(subscribes(&document, Some("S")));
        assert!(!subscribes(&document, Some("Q")));
        assert!(!subscribes(&parse_query("{ me { subject } }").expect("parses"), None));
        assert!(!subscribes(&parse_query("mutation { x }").expect("parses"), None));
    }
}
