//! GraphiQL works with no network but the server: headless Chromium, every other host unreachable
//! (unresolvable, and behind a proxy that does not exist), loads the demo's `GET /graphql`, runs
//! `{ me { subject } }` with the Authorization header the demo pre-filled, and shows the answer.
//! Driven over the DevTools protocol (one WebSocket, `Runtime.evaluate`).
//!
//! Needs Chromium (Debian package `chromium`; `.ci/run` installs it). Without it the test is
//! skipped locally but fails under `CI=true`.

use std::{process::Stdio, time::Duration};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_tungstenite::tungstenite::Message;

use crate::support::process::DemoProcess;

fn chromium() -> Option<std::path::PathBuf> {
    let candidates = ["chromium", "chromium-browser", "google-chrome"];
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).flat_map(|dir| candidates.map(|c| dir.join(c))).find(|p| p.is_file())
}

/// Runs in the page: clicks "execute", waits for the answer, and reports it with every resource
/// the page loaded. The waits are the page's own, bounded; the test asserts on what they found.
const DRIVE: &str = r#"(async () => {
  const until = async (find, tenths) => {
    for (let i = 0; i < tenths; i++) {
      const found = find();
      if (found) return found;
      await new Promise((r) => setTimeout(r, 100));
    }
    return null;
  };
  const button = await until(() => document.querySelector('.graphiql-execute-button'), 600);
  const editor = document.querySelector('.graphiql-query-editor .CodeMirror');
  if (!button || !editor) return JSON.stringify({ error: 'GraphiQL did not render: ' + document.body.innerText.slice(0, 300) });
  const shown = () => {
    const pane = document.querySelector('.result-window .CodeMirror');
    return pane ? pane.CodeMirror.getValue() : '';
  };
  // GraphiQL takes the query from its editor state, which follows the editor a moment later:
  // click again until the answer to this query is shown.
  let answer = null;
  for (let attempt = 0; attempt < 10 && !answer; attempt++) {
    editor.CodeMirror.setValue('{ me { subject } }');
    await new Promise((r) => setTimeout(r, 300));
    button.click();
    answer = await until(() => (shown().includes('"me"') ? shown() : null), 100);
  }
  const resources = performance.getEntriesByType('resource').map((r) => r.name);
  return JSON.stringify({ answer, shown: shown(), resources, origin: location.origin });
})()"#;

#[tokio::test]
async fn graphiql_runs_a_query_with_the_network_cut_off() {
    let Some(browser) = chromium() else {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true but chromium is not installed");
        eprintln!("skipped: chromium is not installed (apt-get install chromium)");
        return;
    };
    let demo = DemoProcess::start().await;
    let page = format!("http://{}/graphql", demo.addr);
    let profile = tempfile::tempdir().expect("profile dir");
    let mut chrome = tokio::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--remote-debugging-port=0",
            // Every host but the server's address is unresolvable, and anything that still
            // tried would go through a proxy that does not exist (loopback bypasses it).
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            "--proxy-server=http://127.0.0.1:1",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("about:blank")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start chromium");
    let mut stderr = BufReader::new(chrome.stderr.take().expect("stderr")).lines();
    let devtools = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = stderr.next_line().await.expect("read chromium's stderr") {
            if let Some(url) = line.strip_prefix("DevTools listening on ") {
                return url.trim().to_owned();
            }
        }
        panic!("chromium exited without opening DevTools");
    })
    .await
    .expect("chromium starts within 60 s");
    tokio::spawn(async move { while let Ok(Some(_)) = stderr.next_line().await {} });

    // The page's own DevTools socket, from the browser's target list.
    let port = devtools.trim_start_matches("ws://127.0.0.1:").split('/').next().expect("port").to_owned();
    let targets: Vec<Value> = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
        .get(format!("http://127.0.0.1:{port}/json/list"))
        .send()
        .await
        .expect("DevTools target list")
        .json()
        .await
        .expect("targets JSON");
    let socket = targets
        .iter()
        .find(|t| t["type"] == "page")
        .and_then(|t| t["webSocketDebuggerUrl"].as_str())
        .unwrap_or_else(|| panic!("no page target: {targets:?}"))
        .to_owned();
    let (ws, _) = tokio_tungstenite::connect_async(socket.as_str()).await.expect("DevTools socket");
    let mut devtools = DevTools { ws, next_id: 0 };
    // Navigate once the socket is attached, so the evaluation runs in the loaded page.
    devtools.call("Page.enable", json!({})).await;
    devtools.call("Page.navigate", json!({"url": page})).await;
    devtools.event("Page.loadEventFired").await;
    let reply = devtools
        .call("Runtime.evaluate", json!({"expression": DRIVE, "awaitPromise": true, "returnByValue": true}))
        .await;
    let report: Value =
        serde_json::from_str(reply["result"]["result"]["value"].as_str().unwrap_or_else(|| panic!("{reply}")))
            .expect("report JSON");

    assert!(report["error"].is_null(), "{report}");
    let answer = report["answer"].as_str().unwrap_or_else(|| panic!("no answer shown: {report}"));
    assert!(answer.contains("\"subject\": \"demo-user\""), "{answer}");
    let origin = report["origin"].as_str().expect("origin");
    let resources = report["resources"].as_array().expect("resources");
    assert!(resources.len() >= 5, "the page's scripts and styles: {resources:?}");
    for resource in resources {
        let url = resource.as_str().unwrap_or_default();
        assert!(url.starts_with(origin), "{url} is not on the server ({origin})");
    }
    let _ = chrome.start_kill();
}

/// The DevTools protocol over one page's socket: numbered calls, events in between.
struct DevTools {
    ws: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    next_id: u64,
}

impl DevTools {
    async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let call = json!({"id": id, "method": method, "params": params});
        self.ws.send(Message::text(call.to_string())).await.expect("send");
        self.next(|v| v["id"] == id, method).await
    }

    async fn event(&mut self, name: &str) -> Value {
        self.next(|v| v["method"] == name, name).await
    }

    async fn next(&mut self, wanted: impl Fn(&Value) -> bool, what: &str) -> Value {
        tokio::time::timeout(Duration::from_secs(120), async {
            while let Some(message) = self.ws.next().await {
                let Ok(Message::Text(text)) = message else { continue };
                let value: Value = serde_json::from_str(&text).expect("DevTools JSON");
                if wanted(&value) {
                    return value;
                }
            }
            panic!("DevTools closed the socket waiting for {what}");
        })
        .await
        .unwrap_or_else(|_| panic!("no {what} from DevTools within 120 s"))
    }
}
