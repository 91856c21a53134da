//! `/graphql/ws`: GraphQL subscriptions over WebSocket, `graphql-transport-ws` protocol.
//!
//! The handshake carries no credentials (a browser cannot set headers on a WebSocket): the
//! caller is established from `connection_init` (see [`init`]), and a refusal closes the socket
//! with 4401 (unauthenticated), 4403 (forbidden, e.g. a suspended tenant), 4429 (too many
//! requests) or 1013 (identity provider unreachable). Each `subscribe` then passes the document
//! checks of `POST /graphql` and runs through the schema like any request, resolvers and their
//! access checks included. The socket counts toward the server's connection cap and is closed
//! with 1001 when the server shuts down.

mod connection;
mod init;
mod protocol;
mod subscribe;

use std::{net::SocketAddr, time::Duration};

use application::ErrorCode;
use axum::{
    Extension,
    extract::{ConnectInfo, State, WebSocketUpgrade},
    http::{HeaderMap, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};

use crate::http::{
    AppState, REQUEST_ID, client_guard::client_address, problem::graphql_error, server::ConnectionLease,
    tenant_address::addressed_tenant,
};

use self::{connection::Connection, protocol::SUBPROTOCOL};

/// What one socket may hold and how long it may take.
#[derive(Debug, Clone)]
pub struct WebSocketConfig {
    /// Operations running at once on one socket; a `subscribe` beyond it is refused with
    /// LIMIT_EXCEEDED (the socket stays open).
    pub max_subscriptions: usize,
    /// Larger messages (and frames) close the socket with 1009 before they are buffered whole.
    pub max_message_bytes: usize,
    /// `connection_init` must arrive, and its caller be admitted, within this long of the
    /// upgrade; else the socket is closed with 4408.
    pub init_timeout: Duration,
    /// The server pings this often; a peer that sent nothing since the previous ping is dropped.
    pub keepalive_interval: Duration,
    /// A write the client does not take within this long drops the connection.
    pub write_timeout: Duration,
}

impl Default for WebSocketConfig {
    fn default() -> Self {
        Self {
            max_subscriptions: 32,
            max_message_bytes: 64 * 1024,
            init_timeout: Duration::from_secs(10),
            keepalive_interval: Duration::from_secs(30),
            write_timeout: Duration::from_secs(10),
        }
    }
}

/// `GET /graphql/ws` with an upgrade (or an HTTP/2 extended CONNECT).
pub(crate) async fn upgrade(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    lease: Option<Extension<ConnectionLease>>,
    headers: HeaderMap,
    uri: Uri,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !offers_subprotocol(&headers) {
        return graphql_error(
            StatusCode::BAD_REQUEST,
            ErrorCode::ValidationFailed,
            "/graphql/ws speaks graphql-transport-ws: offer it in Sec-WebSocket-Protocol",
        );
    }
    // Refused before the upgrade: the address is known from the handshake alone.
    let addressed = match addressed_tenant(&state, &headers, &uri) {
        Ok(addressed) => addressed,
        Err(refusal) => return refusal.into_response(),
    };
    let config = state.websocket.clone();
    let connection = Connection {
        addressed,
        client: client_address(connect.as_ref().map(|Extension(c)| c)),
        request_id: headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()).map(str::to_owned),
        lease: lease.map(|Extension(lease)| lease),
        config: config.clone(),
        state,
    };
    // The request's span ends with the handshake; the socket gets its own.
    let span = tracing::info_span!(
        "websocket",
        request_id = connection.request_id.as_deref().unwrap_or("-"),
        tenant = tracing::field::Empty,
        subject = tracing::field::Empty,
    );
    upgrade
        .protocols([SUBPROTOCOL])
        .max_message_size(config.max_message_bytes)
        .max_frame_size(config.max_message_bytes)
        .on_failed_upgrade(|e| tracing::debug!(error = %e, "websocket upgrade failed"))
        .on_upgrade(move |socket| tracing::Instrument::instrument(connection.serve(socket), span))
}

fn offers_subprotocol(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim().eq_ignore_ascii_case(SUBPROTOCOL))
}
