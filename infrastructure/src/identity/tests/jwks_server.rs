//! A real HTTP server on 127.0.0.1 publishing a JWK set, whose content the test can change, and
//! which counts the fetches it gets. The test can also hold its answers (to catch a fetch in
//! flight), make it answer with an error status (the IdP is down), and fetch through `/moved`,
//! which redirects to the set.

use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;
use tokio::sync::watch;

#[derive(Clone)]
struct Published {
    document: Arc<Mutex<Value>>,
    fetches: Arc<AtomicUsize>,
    redirects: Arc<AtomicUsize>,
    /// 0: serve the document; otherwise answer with this status.
    failing_with: Arc<AtomicU16>,
    held: watch::Sender<bool>,
}

pub struct JwksServer {
    pub url: String,
    /// Answers 302 to `url`.
    pub redirect_url: String,
    published: Published,
    task: tokio::task::JoinHandle<()>,
}

impl JwksServer {
    pub async fn start(document: Value) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let published = Published {
            document: Arc::new(Mutex::new(document)),
            fetches: Arc::new(AtomicUsize::new(0)),
            redirects: Arc::new(AtomicUsize::new(0)),
            failing_with: Arc::new(AtomicU16::new(0)),
            held: watch::Sender::new(false),
        };
        let app =
            Router::new().route("/jwks.json", get(serve)).route("/moved", get(redirect)).with_state(published.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("JWKS server");
        });
        Self { url: format!("http://{addr}/jwks.json"), redirect_url: format!("http://{addr}/moved"), published, task }
    }

    pub fn publish(&self, document: Value) {
        *self.published.document.lock().expect("lock") = document;
    }

    /// Requests of `/jwks.json` received so far (counted on arrival, also while held).
    pub fn fetches(&self) -> usize {
        self.published.fetches.load(Ordering::SeqCst)
    }

    pub fn redirects(&self) -> usize {
        self.published.redirects.load(Ordering::SeqCst)
    }

    /// Answers of `/jwks.json` wait until `release`.
    pub fn hold(&self) {
        self.published.held.send_replace(true);
    }

    pub fn release(&self) {
        self.published.held.send_replace(false);
    }

    /// Answers `status` instead of the document: the IdP is down.
    pub fn fail_with(&self, status: StatusCode) {
        self.published.failing_with.store(status.as_u16(), Ordering::SeqCst);
    }

    /// Polls until `fetches()` reaches `count`; panics after a generous bound so a refresh that
    /// never comes fails the test instead of hanging it.
    pub async fn wait_for_fetches(&self, count: usize) {
        for _ in 0..1000 {
            if self.fetches() >= count {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("expected {count} fetches, the server got {}", self.fetches());
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(State(published): State<Published>) -> Response {
    published.fetches.fetch_add(1, Ordering::SeqCst);
    let mut held = published.held.subscribe();
    // Err only when the sender is gone, i.e. the server is shutting down.
    let _ = held.wait_for(|held| !*held).await;
    match published.failing_with.load(Ordering::SeqCst) {
        0 => axum::Json(published.document.lock().expect("lock").clone()).into_response(),
        status => StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE).into_response(),
    }
}

async fn redirect(State(published): State<Published>) -> Response {
    published.redirects.fetch_add(1, Ordering::SeqCst);
    (StatusCode::FOUND, [(header::LOCATION, "/jwks.json")]).into_response()
}

/// A URL on which nothing listens: the port was just bound and released.
pub async fn dead_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    drop(listener);
    format!("http://{addr}/jwks.json")
}
