//! A tenant's webhook receiver on loopback: records every request and answers with the
//! statuses it was told to (then 200), optionally after a pause.

use std::{
    collections::VecDeque,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Router, body::Bytes, extract::State, http::HeaderMap, http::StatusCode, routing::post};
use serde_json::Value;

#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("webhook body is JSON")
    }
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    answers: VecDeque<u16>,
    pause: Duration,
}

#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let router = Router::new().route("/hooks", post(receive)).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind receiver");
        let addr = listener.local_addr().expect("receiver addr");
        tokio::spawn(async move { axum::serve(listener, router).await });
        Receiver { addr, inner }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hooks", self.addr)
    }

    /// The next requests are answered with these statuses, in order; then 200.
    pub fn answer_with(&self, statuses: &[u16]) {
        self.inner.lock().unwrap().answers.extend(statuses);
    }

    /// Every request waits this long before it is answered.
    pub fn pause(&self, pause: Duration) {
        self.inner.lock().unwrap().pause = pause;
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }

    /// Waits (up to `within`) until `count` requests satisfying `wanted` have arrived.
    pub async fn wait_for(&self, count: usize, within: Duration, wanted: impl Fn(&Received) -> bool) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let matching: Vec<Received> = self.received().into_iter().filter(|r| wanted(r)).collect();
            if matching.len() >= count || tokio::time::Instant::now() >= deadline {
                return matching;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn receive(State(inner): State<Arc<Mutex<Inner>>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let (status, pause) = {
        let mut inner = inner.lock().unwrap();
        inner.received.push(Received {
            id: header("webhook-id"),
            timestamp: header("webhook-timestamp"),
            signature: header("webhook-signature"),
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        (inner.answers.pop_front().unwrap_or(200), inner.pause)
    };
    tokio::time::sleep(pause).await;
    StatusCode::from_u16(status).unwrap_or(StatusCode::OK)
}

/// Standard Webhooks verification written out here, independent of the server's signer:
/// HMAC-SHA256 over `{id}.{timestamp}.{body}` with the base64 key after `whsec_`.
pub fn signature_is_valid(secret: &str, received: &Received) -> bool {
    use base64::Engine as _;
    use hmac::{Hmac, Mac};
    let engine = base64::engine::general_purpose::STANDARD;
    let key = engine.decode(secret.trim_start_matches("whsec_")).expect("secret is base64");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).expect("any key length");
    mac.update(format!("{}.{}.{}", received.id, received.timestamp, received.body).as_bytes());
    let expected = format!("v1,{}", engine.encode(mac.finalize().into_bytes()));
    received.signature.split(' ').any(|candidate| candidate == expected)
}
