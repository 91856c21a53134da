//! Every instance follows the stream with plain `XREAD` (no group), so the GraphQL
//! subscriptions on each instance see every instance's events. Best effort: what passes while
//! this instance is away from Redis is not caught up beyond what the stream still holds.

use std::sync::Arc;

use application::ports::LiveListener;
use redis::RedisError;
use redis::aio::MultiplexedConnection;
use redis::streams::StreamReadReply;

use super::dedicated_connection::DedicatedConnection;
use super::entry_fields::envelope_from_entry;
use super::options::{RedisBusOptions, millis};
use super::shutdown::{Flow, Shutdown};

/// Reads after this ID find every entry of a stream.
const BEFORE_ANY_ENTRY: &str = "0-0";

pub(super) struct LiveFeed {
    listener: Arc<dyn LiveListener>,
    options: Arc<RedisBusOptions>,
    connection: DedicatedConnection,
    /// The last entry seen. Reading after it (not after `$`, "whatever is last now") loses
    /// nothing between two reads, nor across a reconnect.
    cursor: Option<String>,
}

impl LiveFeed {
    /// Fixes the starting point now when Redis answers, so that events published after this
    /// returns are observed; otherwise at the first read once Redis is back.
    pub(super) async fn prepare(
        listener: Arc<dyn LiveListener>,
        options: Arc<RedisBusOptions>,
        mut connection: DedicatedConnection,
    ) -> LiveFeed {
        let cursor = match connection.get().await {
            Ok(mut redis) => last_entry_id(&mut redis, &options.stream_key).await,
            Err(error) => Err(error),
        };
        let cursor = match cursor {
            Ok(cursor) => Some(cursor),
            Err(error) => {
                // Logged as the start of an outage; the loop keeps trying.
                let _ = connection.failed(&error);
                None
            }
        };
        LiveFeed { listener, options, connection, cursor }
    }

    pub(super) async fn run(mut self, mut shutdown: Shutdown) {
        tracing::info!(stream = %self.options.stream_key, "event bus: live feed started");
        loop {
            match self.step(&mut shutdown).await {
                Ok(Flow::Continue) => self.connection.succeeded(),
                Ok(Flow::Stop) => break,
                Err(error) => {
                    let wait = self.connection.failed(&error);
                    if shutdown.sleep(wait).await.is_none() {
                        break;
                    }
                }
            }
        }
        tracing::info!(stream = %self.options.stream_key, "event bus: live feed stopped");
    }

    async fn step(&mut self, shutdown: &mut Shutdown) -> Result<Flow, RedisError> {
        let Some(connection) = shutdown.unless_fired(self.connection.get()).await else {
            return Ok(Flow::Stop);
        };
        let mut connection = connection?;
        let cursor = match self.cursor.take() {
            Some(cursor) => cursor,
            None => last_entry_id(&mut connection, &self.options.stream_key).await?,
        };
        self.cursor = Some(cursor.clone());
        let Some(read) = shutdown.unless_fired(self.read_after(&mut connection, &cursor)).await else {
            return Ok(Flow::Stop);
        };
        let entries = read?.map(|reply| reply.keys.into_iter().flat_map(|key| key.ids)).into_iter().flatten();
        for entry in entries {
            match envelope_from_entry(&entry) {
                Ok(event) => self.listener.observe(&event),
                // The durable consumers dead-letter it; here it is only skipped.
                Err(malformed) => tracing::warn!(error = %malformed, "event bus: live feed skips an entry"),
            }
            self.cursor = Some(entry.id);
        }
        Ok(Flow::Continue)
    }

    async fn read_after(
        &self,
        connection: &mut MultiplexedConnection,
        cursor: &str,
    ) -> Result<Option<StreamReadReply>, RedisError> {
        redis::cmd("XREAD")
            .arg("COUNT")
            .arg(self.options.read_batch)
            .arg("BLOCK")
            .arg(millis(self.options.block))
            .arg("STREAMS")
            .arg(&self.options.stream_key)
            .arg(cursor)
            .query_async(connection)
            .await
    }
}

/// The stream's newest entry, where following starts.
async fn last_entry_id(connection: &mut MultiplexedConnection, stream: &str) -> Result<String, RedisError> {
    let newest: redis::streams::StreamRangeReply =
        redis::cmd("XREVRANGE").arg(stream).arg("+").arg("-").arg("COUNT").arg(1).query_async(connection).await?;
    Ok(newest.ids.into_iter().next().map_or_else(|| BEFORE_ANY_ENTRY.to_owned(), |entry| entry.id))
}
