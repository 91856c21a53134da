//! Transports and messages for the tests.

use std::time::Duration;

use application::ports::WebhookMessage;
use chrono::{DateTime, Utc};

use crate::webhooks_out::{HttpWebhookTransport, TransportSettings};

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const EVENT_ID: &str = "evt_0192f0c5-7a4e-7c3a-9b1e-3f1d2c4b5a69";
pub const BODY: &str = r#"{"type":"order.created","data":{"order_id":"ord_1"}}"#;

/// Allows loopback targets, as every test receiver is one.
pub fn transport_allowing_private() -> HttpWebhookTransport {
    HttpWebhookTransport::new(TransportSettings { allow_private: true, ..TransportSettings::default() })
        .expect("transport")
}

pub fn transport_allowing_private_with_timeout(timeout: Duration) -> HttpWebhookTransport {
    HttpWebhookTransport::new(TransportSettings { allow_private: true, timeout, ..TransportSettings::default() })
        .expect("transport")
}

/// The production setting: public targets only.
pub fn public_only_transport() -> HttpWebhookTransport {
    HttpWebhookTransport::new(TransportSettings::default()).expect("transport")
}

pub fn message(url: impl Into<String>) -> WebhookMessage {
    WebhookMessage {
        url: url.into(),
        secret: SECRET.to_owned(),
        id: EVENT_ID.to_owned(),
        timestamp: now_in_seconds(),
        body: BODY.to_owned(),
    }
}

/// The header carries whole seconds; a timestamp with none left over compares equal.
fn now_in_seconds() -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp(), 0).expect("valid timestamp")
}

/// A URL on which nothing listens: the port was just bound and released.
pub async fn dead_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    drop(listener);
    format!("http://{addr}/hook")
}
