//! The `graphql-transport-ws` messages (github.com/enisdenjo/graphql-ws, PROTOCOL.md) and the
//! close codes this server ends a socket with.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::http::graphql::WireRequest;

/// The subprotocol a client must offer in `Sec-WebSocket-Protocol`.
pub(crate) const SUBPROTOCOL: &str = "graphql-transport-ws";

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<serde_json::Map<String, Value>>,
    },
    Ping {},
    Pong {},
    Subscribe {
        id: String,
        payload: WireRequest,
    },
    Complete {
        id: String,
    },
}

impl ClientMessage {
    pub(crate) fn parse(text: &str) -> Result<Self, Close> {
        serde_json::from_str(text).map_err(|e| {
            tracing::debug!(error = %e, "unreadable graphql-transport-ws message");
            Close::new(close::BAD_REQUEST, "Invalid message received")
        })
    }
}

/// Server messages, as the text frames that carry them.
pub(crate) mod server {
    use super::*;

    pub(crate) fn connection_ack() -> String {
        json!({ "type": "connection_ack" }).to_string()
    }

    pub(crate) fn pong() -> String {
        json!({ "type": "pong" }).to_string()
    }

    /// One result of an operation (an event, or the error that ended it).
    pub(crate) fn next(id: &str, payload: &async_graphql::Response) -> String {
        json!({ "id": id, "type": "next", "payload": payload }).to_string()
    }

    /// The operation was refused before it ran; no `complete` follows.
    pub(crate) fn error(id: &str, errors: &Value) -> String {
        json!({ "id": id, "type": "error", "payload": errors }).to_string()
    }

    pub(crate) fn complete(id: &str) -> String {
        json!({ "id": id, "type": "complete" }).to_string()
    }
}

/// Close codes. The 44xx ones are graphql-ws's, each 4000 plus the HTTP status of the refusal a
/// `POST /graphql` would have met.
pub(crate) mod close {
    pub(crate) const NORMAL: u16 = 1000;
    /// The server is shutting down.
    pub(crate) const GOING_AWAY: u16 = 1001;
    pub(crate) const PROTOCOL_ERROR: u16 = 1002;
    pub(crate) const MESSAGE_TOO_BIG: u16 = 1009;
    /// The identity provider or the tenant directory could not be reached: reconnect later.
    pub(crate) const TRY_AGAIN_LATER: u16 = 1013;
    pub(crate) const BAD_REQUEST: u16 = 4400;
    pub(crate) const UNAUTHORIZED: u16 = 4401;
    pub(crate) const FORBIDDEN: u16 = 4403;
    pub(crate) const INIT_TIMEOUT: u16 = 4408;
    pub(crate) const SUBSCRIBER_EXISTS: u16 = 4409;
    /// A second `connection_init`, or too many requests (the tenant's plan rate, or attempts
    /// without a valid token from one address).
    pub(crate) const TOO_MANY_REQUESTS: u16 = 4429;
}

/// Why the server ends a socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Close {
    pub(crate) code: u16,
    pub(crate) reason: Cow<'static, str>,
}

/// A close frame's reason holds at most 123 bytes.
const MAX_REASON_BYTES: usize = 123;

impl Close {
    pub(crate) fn new(code: u16, reason: impl Into<Cow<'static, str>>) -> Self {
        let mut reason = reason.into();
        if reason.len() > MAX_REASON_BYTES {
            let mut end = MAX_REASON_BYTES;
            while !reason.is_char_boundary(end) {
                end -= 1;
            }
            reason.to_mut().truncate(end);
        }
        Self { code, reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_of_the_protocol_parse_and_anything_else_is_4400() {
        assert!(matches!(
            ClientMessage::parse(r#"{"type":"connection_init","payload":{"Authorization":"Bearer x"}}"#),
            Ok(ClientMessage::ConnectionInit { payload: Some(_) })
        ));
        assert!(matches!(
            ClientMessage::parse(r#"{"type":"connection_init","payload":null}"#),
            Ok(ClientMessage::ConnectionInit { payload: None })
        ));
        assert!(matches!(
            ClientMessage::parse(r#"{"type":"subscribe","id":"1","payload":{"query":"subscription { x }"}}"#),
            Ok(ClientMessage::Subscribe { .. })
        ));
        assert!(matches!(ClientMessage::parse(r#"{"type":"ping","payload":{"a":1}}"#), Ok(ClientMessage::Ping {})));
        for bad in [r#"{"type":"start","id":"1"}"#, r#"{"type":"subscribe","id":"1"}"#, "[]", "not json"] {
            assert_eq!(ClientMessage::parse(bad).err().map(|c| c.code), Some(close::BAD_REQUEST), "{bad}");
        }
    }

    #[test]
    fn a_long_reason_is_cut_at_a_character_boundary() {
        let close = Close::new(close::UNAUTHORIZED, "é".repeat(100));
        assert!(close.reason.len() <= MAX_REASON_BYTES);
        assert!(close.reason.chars().all(|c| c == 'é'));
    }
}
