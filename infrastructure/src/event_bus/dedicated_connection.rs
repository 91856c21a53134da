//! A loop's own connection. Blocking reads must not share the multiplexed connection that
//! `publish` uses (they would hold up every publish behind them), so each consumer and live
//! feed loop connects on its own, and reconnects on its own after an outage.

use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, ErrorKind, RedisError};

use super::backoff::Backoff;
use super::options::RedisBusOptions;
use super::redact::Redactor;

pub(super) struct DedicatedConnection {
    client: Client,
    config: AsyncConnectionConfig,
    connection: Option<MultiplexedConnection>,
    /// Names the loop in log lines, e.g. `consumer webhooks`.
    role: String,
    /// Names the connection in Redis (`CLIENT LIST`), so an operator sees which instance's
    /// which loop it is.
    client_name: String,
    redactor: Redactor,
    backoff: Backoff,
    /// Set while failing: an outage is logged once when it starts and once when it ends.
    failing_since: Option<Instant>,
}

impl DedicatedConnection {
    pub(super) fn new(
        client: Client,
        options: &RedisBusOptions,
        role: String,
        client_name: &str,
        redactor: Redactor,
    ) -> Self {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(options.command_timeout))
            // A read blocks up to `block`; a response later than that means a hung connection.
            .set_response_timeout(Some(options.read_response_timeout()));
        DedicatedConnection {
            client,
            config,
            connection: None,
            role,
            client_name: redis_client_name(client_name),
            redactor,
            backoff: Backoff::new(options.max_backoff),
            failing_since: None,
        }
    }

    /// The open connection, or a new one. A handle is cheap to clone.
    pub(super) async fn get(&mut self) -> Result<MultiplexedConnection, RedisError> {
        if let Some(connection) = &self.connection {
            return Ok(connection.clone());
        }
        let mut connection = self.client.get_multiplexed_async_connection_with_config(&self.config).await?;
        // Only a label: a Redis that refuses it (ACL) is still used.
        if let Err(error) = redis::cmd("CLIENT").arg("SETNAME").arg(&self.client_name).exec_async(&mut connection).await
        {
            tracing::debug!(role = %self.role, error = %self.redactor.text(&error), "event bus: Redis refused CLIENT SETNAME");
        }
        self.connection = Some(connection.clone());
        Ok(connection)
    }

    /// Records a failed command and returns how long to wait before trying again. Logs only
    /// the first failure of an outage; the rest go to debug.
    pub(super) fn failed(&mut self, error: &RedisError) -> Duration {
        // A server's error reply leaves the connection usable; anything else (I/O, timeout,
        // parse) may have left it half-read, so start over.
        if !matches!(error.kind(), ErrorKind::Server(_)) {
            self.connection = None;
        }
        let reason = self.redactor.text(error);
        if self.failing_since.is_none() {
            self.failing_since = Some(Instant::now());
            tracing::warn!(role = %self.role, error = %reason, "event bus: Redis failed; retrying with backoff until it answers");
        } else {
            tracing::debug!(role = %self.role, error = %reason, "event bus: Redis still failing");
        }
        self.backoff.next_wait()
    }

    /// Records a command that worked: ends an outage, if one was going on.
    pub(super) fn succeeded(&mut self) {
        if let Some(since) = self.failing_since.take() {
            self.backoff.reset();
            tracing::info!(role = %self.role, after = ?since.elapsed(), "event bus: Redis answers again");
        }
    }
}

/// Redis refuses names with spaces or control characters.
fn redis_client_name(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_graphic() { c } else { '_' }).collect()
}
