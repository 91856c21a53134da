//! A webhook receiver on 127.0.0.1 that records every request and answers as the test says:
//! a status, a body, a `Retry-After`, after a delay. `/elsewhere` is a second route, to tell
//! whether a redirect was followed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub body: String,
    pub headers: Vec<(header::HeaderName, String)>,
    pub delay: Duration,
}

impl Answer {
    pub fn status(status: StatusCode) -> Self {
        Self { status, body: String::new(), headers: Vec::new(), delay: Duration::ZERO }
    }

    pub fn with_body(self, body: impl Into<String>) -> Self {
        Self { body: body.into(), ..self }
    }

    pub fn with_header(mut self, name: header::HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn after(self, delay: Duration) -> Self {
        Self { delay, ..self }
    }
}

#[derive(Clone)]
struct Shared {
    answer: Answer,
    received: Arc<Mutex<Vec<Received>>>,
}

pub struct Receiver {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start(answer: Answer) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local addr").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared { answer, received: received.clone() };
        let app = Router::new().route("/hook", any(record)).route("/elsewhere", any(record)).with_state(shared);
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("receiver");
        });
        Self { port, received, task }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn record(State(shared): State<Shared>, uri: axum::http::Uri, headers: HeaderMap, body: String) -> Response {
    shared.received.lock().expect("lock").push(Received { path: uri.path().to_owned(), headers, body });
    tokio::time::sleep(shared.answer.delay).await;
    let mut response = (shared.answer.status, shared.answer.body.clone()).into_response();
    for (name, value) in &shared.answer.headers {
        response.headers_mut().insert(name.clone(), value.parse().expect("header value"));
    }
    response
}
