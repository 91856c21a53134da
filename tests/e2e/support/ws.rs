//! A minimal graphql-transport-ws client over a real socket, and the hub-side helpers the
//! subscription tests use to produce events and to know a subscription has started.

use std::time::Duration;

use application::ports::{EventEnvelope, LiveListener};
use domain::TenantId;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue, protocol::frame::coding::CloseCode},
};

use super::TestApp;

/// How long a test waits for something that should arrive.
pub const ARRIVES_WITHIN: Duration = Duration::from_secs(5);

/// What the server sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Received {
    Message(Value),
    /// The close frame's code and reason.
    Closed(u16, String),
}

pub struct WsClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl TestApp {
    /// Opens `/graphql/ws` offering graphql-transport-ws; nothing is sent yet.
    pub async fn ws_open(&self) -> WsClient {
        self.ws_open_at("/graphql/ws").await
    }

    /// Opens the socket at `path` (e.g. the path form `/t/{tenantId}/graphql/ws`).
    pub async fn ws_open_at(&self, path: &str) -> WsClient {
        let mut request = format!("ws://{}{path}", self.addr).into_client_request().expect("ws request");
        request.headers_mut().insert("sec-websocket-protocol", HeaderValue::from_static("graphql-transport-ws"));
        let (socket, response) = tokio_tungstenite::connect_async(request).await.expect("websocket handshake");
        assert_eq!(
            response.headers().get("sec-websocket-protocol").and_then(|v| v.to_str().ok()),
            Some("graphql-transport-ws")
        );
        WsClient { socket }
    }

    /// A socket initialised with `token` and acknowledged.
    pub async fn ws_connect(&self, token: &str) -> WsClient {
        let mut client = self.ws_open().await;
        client.init(json!({ "Authorization": format!("Bearer {token}") })).await;
        assert_eq!(client.message().await["type"], "connection_ack");
        client
    }

    /// Waits until `count` subscriptions listen on the hub: the protocol acknowledges no
    /// `subscribe`, so this is how a test knows an event it observes next will be seen.
    pub async fn wait_for_listeners(&self, count: usize) {
        let waited = tokio::time::timeout(ARRIVES_WITHIN, async {
            while self.live_events.subscriber_count() < count {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        assert!(waited.is_ok(), "{count} subscriptions never started; {} did", self.live_events.subscriber_count());
    }

    /// Hands the hub an event as the relay would. Returns the event's id.
    pub fn observe_event(&self, tenant: &str, order_id: &str, event_type: &str, version: i64, data: Value) -> String {
        let id = uuid::Uuid::now_v7();
        let occurred_at = chrono::Utc::now();
        let payload = json!({
            "id": id.to_string(), "type": event_type, "tenantId": tenant,
            "occurredAt": occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "aggregateId": order_id, "aggregateVersion": version, "data": data,
        });
        self.live_events.observe(&EventEnvelope {
            id,
            tenant_id: TenantId::new(tenant).expect("tenant id"),
            event_type: event_type.to_owned(),
            aggregate_id: order_id.to_owned(),
            aggregate_version: version,
            occurred_at,
            payload: payload.to_string(),
        });
        id.to_string()
    }
}

impl WsClient {
    pub async fn send(&mut self, message: Value) {
        self.socket.send(Message::text(message.to_string())).await.expect("websocket send");
    }

    pub async fn init(&mut self, payload: Value) {
        self.send(json!({ "type": "connection_init", "payload": payload })).await;
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }))
            .await;
    }

    pub async fn complete(&mut self, id: &str) {
        self.send(json!({ "id": id, "type": "complete" })).await;
    }

    /// The next thing the server sends within `wait`: a message, the close, or `None`.
    pub async fn receive_within(&mut self, wait: Duration) -> Option<Received> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.socket.next()).await.ok()?;
            match frame {
                Some(Ok(Message::Text(text))) => {
                    return Some(Received::Message(serde_json::from_str(text.as_str()).expect("JSON message")));
                }
                Some(Ok(Message::Close(frame))) => {
                    let (code, reason) =
                        frame.map(|f| (u16::from(f.code), f.reason.to_string())).unwrap_or((1005, String::new()));
                    return Some(Received::Closed(code, reason));
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => panic!("websocket read failed: {e}"),
                None => return Some(Received::Closed(u16::from(CloseCode::Abnormal), String::new())),
            }
        }
    }

    /// The next message, which must arrive in time.
    pub async fn message(&mut self) -> Value {
        match self.receive_within(ARRIVES_WITHIN).await {
            Some(Received::Message(message)) => message,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// The socket must be closed in time; returns the code and reason.
    pub async fn closed(&mut self) -> (u16, String) {
        match self.receive_within(ARRIVES_WITHIN).await {
            Some(Received::Closed(code, reason)) => (code, reason),
            other => panic!("expected the socket to close, got {other:?}"),
        }
    }

    /// Nothing at all may arrive for `wait`.
    pub async fn silent_for(&mut self, wait: Duration) {
        if let Some(received) = self.receive_within(wait).await {
            panic!("expected silence, got {received:?}");
        }
    }
}
