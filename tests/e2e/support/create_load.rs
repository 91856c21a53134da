//! A `createOrder` load against a server process a test is about to kill: eight workers, each
//! a connection, counting only the orders the server answered with (connection errors after the
//! kill are expected and ignored).

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use serde_json::{Value, json};
use tokio::task::JoinHandle;

use super::{line, order_input};

const CREATE: &str =
    "mutation($input: CreateOrderInput!) { createOrder(input: $input) { order { id } userErrors { code } } }";

/// One GraphQL call; `None` when no JSON answer came (the server is down).
pub async fn graphql(
    client: &reqwest::Client,
    addr: SocketAddr,
    token: &str,
    query: &str,
    vars: Value,
) -> Option<Value> {
    let response = client
        .post(format!("http://{addr}/graphql"))
        .bearer_auth(token)
        .json(&json!({"query": query, "variables": vars}))
        .send()
        .await
        .ok()?;
    response.json().await.ok()
}

pub struct CreateLoad {
    acknowledged: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
}

impl CreateLoad {
    pub fn start(addr: SocketAddr, token: &str) -> Self {
        let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let workers = (0..8)
            .map(|w| {
                let (acknowledged, stop, token) = (acknowledged.clone(), stop.clone(), token.to_owned());
                tokio::spawn(async move {
                    let client = reqwest::Client::new();
                    for i in 0.. {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let input = order_input(&format!("kill9-{w}-{i}"), vec![line("A", 1, "1.00")]);
                        let Some(body) = graphql(&client, addr, &token, CREATE, json!({"input": input})).await else {
                            continue;
                        };
                        if let Some(id) = body["data"]["createOrder"]["order"]["id"].as_str() {
                            acknowledged.lock().unwrap().push(id.to_owned());
                        }
                    }
                })
            })
            .collect();
        Self { acknowledged, stop, workers }
    }

    /// Waits until `count` orders were acknowledged, looking every 25 ms at most `polls` times.
    pub async fn until_acknowledged(&self, count: usize, polls: usize) {
        for _ in 0..polls {
            if self.acknowledged.lock().unwrap().len() >= count {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Stops the workers; the ids of every order the server acknowledged.
    pub async fn stop(self) -> Vec<String> {
        self.stop.store(true, Ordering::Relaxed);
        for worker in self.workers {
            worker.await.unwrap();
        }
        self.acknowledged.lock().unwrap().clone()
    }
}
