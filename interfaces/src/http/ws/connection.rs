//! One graphql-transport-ws socket, from `connection_init` to its close.
//!
//! A single task reads the client, forwards every subscription's results and writes; nothing
//! here is shared with other sockets. Writes have a deadline: a client that stops reading is
//! dropped rather than holding its connection (and its subscriptions' buffers) forever.

use std::net::IpAddr;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures::stream::BoxStream;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_stream::{StreamExt as _, StreamMap};

use crate::http::{
    AppState,
    server::ConnectionLease,
    tenant_gate::Admitted,
    ws::{
        WebSocketConfig, init,
        protocol::{ClientMessage, Close, close, server},
        subscribe,
    },
};

/// What a socket was opened with.
pub(crate) struct Connection {
    pub(crate) state: AppState,
    pub(crate) config: WebSocketConfig,
    pub(crate) client: Option<IpAddr>,
    pub(crate) request_id: Option<String>,
    /// The tenant the upgrade request's host or path names (see `tenant_address`).
    pub(crate) addressed: Option<String>,
    /// Absent when the router is served by something other than [`crate::http::server::serve`].
    pub(crate) lease: Option<ConnectionLease>,
}

/// An operation's results; `None` once it has ended, so that the end can be told to the client.
type Results = BoxStream<'static, Option<async_graphql::Response>>;

/// The socket could not be written within the deadline, or the peer is gone: nothing more can
/// be said to it.
struct Gone;

impl Connection {
    pub(crate) async fn serve(self, mut socket: WebSocket) {
        let close = match self.run(&mut socket).await {
            Ok(close) => close,
            Err(Gone) => return,
        };
        tracing::info!(code = close.code, reason = %close.reason, "websocket closed");
        let frame = CloseFrame { code: close.code, reason: close.reason.as_ref().into() };
        let _ = tokio::time::timeout(self.config.write_timeout, socket.send(Message::Close(Some(frame)))).await;
    }

    async fn run(&self, socket: &mut WebSocket) -> Result<Close, Gone> {
        let admitted = match self.initialise(socket).await? {
            Ok(admitted) => admitted,
            Err(close) => return Ok(close),
        };
        self.send(socket, server::connection_ack()).await?;
        self.operate(socket, &admitted).await
    }

    /// Waits for `connection_init` and admits its caller, all within the init timeout.
    async fn initialise(&self, socket: &mut WebSocket) -> Result<Result<Admitted, Close>, Gone> {
        let deadline = Instant::now() + self.config.init_timeout;
        let timed_out = || Ok(Err(Close::new(close::INIT_TIMEOUT, "Connection initialisation timeout")));
        let payload = loop {
            let message = tokio::select! {
                () = tokio::time::sleep_until(deadline) => return timed_out(),
                () = self.stopping() => return Ok(Err(going_away())),
                message = socket.recv() => message,
            };
            match self.read(message)? {
                Read::Message(ClientMessage::ConnectionInit { payload }) => break payload,
                Read::Message(ClientMessage::Ping {}) => self.send(socket, server::pong()).await?,
                Read::Message(ClientMessage::Pong {} | ClientMessage::Complete { .. }) | Read::Nothing => {}
                Read::Message(ClientMessage::Subscribe { .. }) => {
                    return Ok(Err(Close::new(close::UNAUTHORIZED, "Unauthorized")));
                }
                Read::Close(close) => return Ok(Err(close)),
            }
        };
        let admitting = init::admit(
            &self.state,
            self.client,
            self.request_id.as_deref(),
            self.addressed.as_deref(),
            payload.as_ref(),
        );
        match tokio::time::timeout_at(deadline, admitting).await {
            Ok(admitted) => Ok(admitted),
            Err(_) => timed_out(),
        }
    }

    /// After the acknowledgement: runs the client's operations until either side ends.
    async fn operate(&self, socket: &mut WebSocket, admitted: &Admitted) -> Result<Close, Gone> {
        let mut operations: StreamMap<String, Results> = StreamMap::new();
        let mut keepalive =
            tokio::time::interval_at(Instant::now() + self.config.keepalive_interval, self.config.keepalive_interval);
        keepalive.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // Whether anything arrived since the last ping; a peer that answers nothing is gone.
        let mut heard = true;
        loop {
            tokio::select! {
                () = self.stopping() => return Ok(going_away()),
                _ = keepalive.tick() => {
                    if !heard {
                        tracing::debug!("websocket peer answered no ping; dropping it");
                        return Err(Gone);
                    }
                    heard = false;
                    self.send_message(socket, Message::Ping(Default::default())).await?;
                }
                message = socket.recv() => {
                    heard = true;
                    match self.read(message)? {
                        Read::Message(message) => {
                            if let Some(close) = self.handle(socket, admitted, &mut operations, message).await? {
                                return Ok(close);
                            }
                        }
                        Read::Nothing => {}
                        Read::Close(close) => return Ok(close),
                    }
                }
                Some((id, result)) = operations.next(), if !operations.is_empty() => match result {
                    Some(response) if subscribe::never_ran(&response) => {
                        // Answered by `error`, which ends the operation without `complete`.
                        operations.remove(&id);
                        self.send(socket, server::error(&id, &subscribe::errors_of(&response))).await?;
                    }
                    Some(response) => self.send(socket, server::next(&id, &response)).await?,
                    None => {
                        // Removed now, so the id is free again the moment the client reads this.
                        operations.remove(&id);
                        self.send(socket, server::complete(&id)).await?;
                    }
                },
            }
        }
    }

    /// One client message after the acknowledgement; `Some` closes the socket.
    async fn handle(
        &self,
        socket: &mut WebSocket,
        admitted: &Admitted,
        operations: &mut StreamMap<String, Results>,
        message: ClientMessage,
    ) -> Result<Option<Close>, Gone> {
        match message {
            ClientMessage::ConnectionInit { .. } => {
                return Ok(Some(Close::new(close::TOO_MANY_REQUESTS, "Too many initialisation requests")));
            }
            ClientMessage::Ping {} => self.send(socket, server::pong()).await?,
            ClientMessage::Pong {} => {}
            ClientMessage::Subscribe { id, payload } => {
                if operations.contains_key(&id) {
                    return Ok(Some(Close::new(
                        close::SUBSCRIBER_EXISTS,
                        format!("Subscriber for {id} already exists"),
                    )));
                }
                if operations.len() >= self.config.max_subscriptions {
                    let limit = self.config.max_subscriptions;
                    let errors = serde_json::json!([{
                        "message": format!("a connection may hold at most {limit} subscriptions; complete one first"),
                        "extensions": { "code": application::ErrorCode::LimitExceeded.as_str(), "limit": limit }
                    }]);
                    self.send(socket, server::error(&id, &errors)).await?;
                    return Ok(None);
                }
                match subscribe::start(&self.state, admitted, payload).await {
                    Ok(results) => {
                        let results = results.map(Some).chain(futures::stream::once(async { None }));
                        operations.insert(id, Box::pin(results));
                    }
                    Err(subscribe::Refused(errors)) => self.send(socket, server::error(&id, &errors)).await?,
                }
            }
            // The client stopped listening: no `complete` goes back.
            ClientMessage::Complete { id } => {
                operations.remove(&id);
            }
        }
        Ok(None)
    }

    /// What one frame from the client amounts to.
    fn read(&self, message: Option<Result<Message, axum::Error>>) -> Result<Read, Gone> {
        Ok(match message {
            None => return Err(Gone),
            Some(Err(e)) => Read::Close(unreadable(&e)),
            Some(Ok(Message::Text(text))) => match ClientMessage::parse(text.as_str()) {
                Ok(message) => Read::Message(message),
                Err(close) => Read::Close(close),
            },
            Some(Ok(Message::Binary(_))) => {
                Read::Close(Close::new(close::BAD_REQUEST, "graphql-transport-ws messages are text"))
            }
            // Answered by the WebSocket layer itself.
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => Read::Nothing,
            Some(Ok(Message::Close(_))) => Read::Close(Close::new(close::NORMAL, "")),
        })
    }

    async fn send(&self, socket: &mut WebSocket, text: String) -> Result<(), Gone> {
        self.send_message(socket, Message::Text(text.into())).await
    }

    async fn send_message(&self, socket: &mut WebSocket, message: Message) -> Result<(), Gone> {
        match tokio::time::timeout(self.config.write_timeout, socket.send(message)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "websocket write failed");
                Err(Gone)
            }
            Err(_) => {
                tracing::info!(
                    timeout_s = self.config.write_timeout.as_secs(),
                    "websocket client stopped reading; dropping it"
                );
                Err(Gone)
            }
        }
    }

    async fn stopping(&self) {
        match &self.lease {
            Some(lease) => lease.stopping().await,
            None => std::future::pending().await,
        }
    }
}

enum Read {
    Message(ClientMessage),
    /// A control frame; nothing to do.
    Nothing,
    Close(Close),
}

fn going_away() -> Close {
    Close::new(close::GOING_AWAY, "the server is shutting down; reconnect")
}

/// A frame the WebSocket layer could not read: over the message size cap, or malformed.
fn unreadable(error: &axum::Error) -> Close {
    tracing::debug!(error = %error, "unreadable websocket frame");
    // The cap is enforced by tungstenite, whose error only says so in its text.
    if error.to_string().contains("too long") {
        Close::new(close::MESSAGE_TOO_BIG, "the message is larger than this server accepts")
    } else {
        Close::new(close::PROTOCOL_ERROR, "the frame could not be read")
    }
}
