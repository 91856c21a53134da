//! A real HTTP server publishing a JWK set, whose content the test can change, and which counts
//! the fetches it serves.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde_json::Value;

#[derive(Clone)]
struct Published {
    document: Arc<Mutex<Value>>,
    fetches: Arc<AtomicUsize>,
}

pub struct JwksServer {
    pub url: String,
    published: Published,
    task: tokio::task::JoinHandle<()>,
}

impl JwksServer {
    pub async fn start(document: Value) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let url = format!("http://{}/jwks.json", listener.local_addr().expect("local addr"));
        let published = Published { document: Arc::new(Mutex::new(document)), fetches: Arc::new(AtomicUsize::new(0)) };
        let app = Router::new().route("/jwks.json", get(serve)).with_state(published.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("JWKS server");
        });
        Self { url, published, task }
    }

    pub fn publish(&self, document: Value) {
        *self.published.document.lock().expect("lock") = document;
    }

    pub fn fetches(&self) -> usize {
        self.published.fetches.load(Ordering::SeqCst)
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(State(published): State<Published>) -> axum::Json<Value> {
    published.fetches.fetch_add(1, Ordering::SeqCst);
    axum::Json(published.document.lock().expect("lock").clone())
}

/// A URL on which nothing listens: the port was just bound and released.
pub async fn dead_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    drop(listener);
    format!("http://{addr}/jwks.json")
}
