//! The real `tenant-oms` binary, started as a newcomer would (`tenant-oms demo`), for tests of
//! process-level behaviour such as shutdown on SIGTERM.

use std::{net::SocketAddr, process::Stdio, time::Duration};

use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

pub struct DemoProcess {
    pub addr: SocketAddr,
    /// The bearer token the demo printed.
    pub token: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl DemoProcess {
    /// Starts `tenant-oms demo` on a free loopback port and a fresh SQLite file, and waits until
    /// it prints the address it listens on.
    pub async fn start() -> DemoProcess {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("demo.db").display());
        let mut child = Command::new(env!("CARGO_BIN_EXE_tenant-oms"))
            .args(["demo", "--listen", "127.0.0.1:0", "--database-url", &url])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start tenant-oms demo");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let (addr, token) = tokio::time::timeout(Duration::from_secs(60), async {
            let mut addr = None;
            while let Some(line) = lines.next_line().await.expect("read stdout") {
                if let Some(rest) = line.strip_prefix("export OMS=http://") {
                    addr = Some(rest.trim_end_matches("/graphql").parse::<SocketAddr>().expect("listen address"));
                }
                if let Some(token) = line.strip_prefix("export TOKEN=") {
                    return (addr.expect("OMS is printed before TOKEN"), token.to_owned());
                }
            }
            panic!("tenant-oms demo exited before printing its address");
        })
        .await
        .expect("tenant-oms demo starts within 60 s");
        // Keep draining stdout so the process never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        DemoProcess { addr, token, child, _dir: dir }
    }

    /// Sends SIGTERM and waits for the process to exit; panics if it is still running after `limit`.
    pub async fn terminate_within(mut self, limit: Duration) -> std::process::ExitStatus {
        let pid = self.child.id().expect("running").to_string();
        let sent = std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
        assert!(sent.success(), "kill -TERM {pid}");
        match tokio::time::timeout(limit, self.child.wait()).await {
            Ok(status) => status.expect("wait"),
            Err(_) => panic!("tenant-oms was still running {} s after SIGTERM", limit.as_secs()),
        }
    }
}

/// `tenant-oms serve` on a test's database, with a config file, logging JSON to a pipe read for
/// the address it listens on.
pub struct ServeProcess {
    pub addr: SocketAddr,
    /// Where `/metrics` is served when started with `--metrics-listen`.
    pub metrics_addr: Option<SocketAddr>,
    child: Child,
}

impl ServeProcess {
    pub async fn start(database: &super::DatabaseLocation, config_file: &std::path::Path) -> ServeProcess {
        Self::start_with(database, config_file, &[]).await
    }

    /// Like `start`, with more `serve` flags (e.g. `--allow-private-webhook-urls`).
    pub async fn start_with(
        database: &super::DatabaseLocation,
        config_file: &std::path::Path,
        flags: &[&str],
    ) -> ServeProcess {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tenant-oms"));
        command.args(["--log-format", "json", "serve", "--listen", "127.0.0.1:0", "--database-url", &database.url]);
        if let Some(schema) = &database.schema {
            command.args(["--database-schema", schema]);
        }
        command.arg("--saas-config").arg(config_file).args(flags).env("OMS_SECRET_KEY", super::TEST_SECRET_KEY);
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start tenant-oms serve");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let (addr, metrics_addr) = tokio::time::timeout(Duration::from_secs(60), async {
            let mut metrics_addr = None;
            while let Some(line) = lines.next_line().await.expect("read stderr") {
                let Ok(entry) = serde_json::from_str::<serde_json::Value>(&line) else { continue };
                let addr = || entry["addr"].as_str().expect("addr").parse::<SocketAddr>().expect("listen address");
                if entry["message"] == "metrics listening" {
                    metrics_addr = Some(addr());
                }
                if entry["message"] == "tenant-oms listening" {
                    return (addr(), metrics_addr);
                }
            }
            panic!("tenant-oms serve exited before listening");
        })
        .await
        .expect("tenant-oms serve starts within 60 s");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        ServeProcess { addr, metrics_addr, child }
    }

    /// Sends SIGTERM and waits for the process to exit; panics if it is still running after `limit`.
    pub async fn terminate_within(mut self, limit: Duration) -> std::process::ExitStatus {
        let pid = self.child.id().expect("running").to_string();
        let sent = std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
        assert!(sent.success(), "kill -TERM {pid}");
        match tokio::time::timeout(limit, self.child.wait()).await {
            Ok(status) => status.expect("wait"),
            Err(_) => panic!("tenant-oms serve was still running {} s after SIGTERM", limit.as_secs()),
        }
    }

    /// SIGKILL: no drain, no flush, no goodbye.
    pub async fn kill_9(mut self) {
        self.child.start_kill().expect("kill -9");
        self.child.wait().await.expect("wait");
    }
}
