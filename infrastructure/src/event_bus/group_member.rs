//! One loop's place in a consumer group: who it is, and how entries reach the consumer.

use std::sync::Arc;

use application::ports::EventConsumer;
use redis::RedisError;
use redis::aio::MultiplexedConnection;
use redis::streams::{StreamId, StreamReadReply};

use super::dead_letter::dead_letter;
use super::entry_fields::envelope_from_entry;
use super::options::{RedisBusOptions, millis};
use super::reclaim::Reclaiming;
use super::stream_group::StreamGroup;

pub(super) struct GroupMember {
    pub consumer: Arc<dyn EventConsumer>,
    pub options: Arc<RedisBusOptions>,
    /// This loop's name inside the group; the group is `consumer.name()`.
    pub consumer_name: String,
}

impl GroupMember {
    pub(super) fn group(&self) -> &'static str {
        self.consumer.name()
    }

    /// Waits up to `block` for entries no member of the group has been given yet.
    pub(super) async fn read_new(&self, connection: &mut MultiplexedConnection) -> Result<Vec<StreamId>, RedisError> {
        let reply: Option<StreamReadReply> = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(self.group())
            .arg(&self.consumer_name)
            .arg("COUNT")
            .arg(self.options.read_batch)
            .arg("BLOCK")
            .arg(millis(self.options.block))
            .arg("STREAMS")
            .arg(&self.options.stream_key)
            .arg(">")
            .query_async(connection)
            .await?;
        Ok(reply.map(|reply| reply.keys.into_iter().flat_map(|key| key.ids).collect()).unwrap_or_default())
    }

    /// Hands `entries` (in stream order) to the consumer as one batch and acknowledges them
    /// when it takes them. Entries that do not parse are dead-lettered at once: no retry could
    /// make them parse. A refused batch stays pending, to be offered again after `claim_idle`.
    pub(super) async fn offer(
        &self,
        connection: &mut MultiplexedConnection,
        entries: &[StreamId],
    ) -> Result<(), RedisError> {
        let mut events = Vec::with_capacity(entries.len());
        let mut entry_ids = Vec::with_capacity(entries.len());
        for entry in entries {
            match envelope_from_entry(entry) {
                Ok(event) => {
                    events.push(event);
                    entry_ids.push(entry.id.as_str());
                }
                Err(malformed) => {
                    dead_letter(connection, self.place(), self.options.max_len, entry, &malformed.to_string()).await?;
                }
            }
        }
        if events.is_empty() {
            return Ok(());
        }
        match self.consumer.consume(&events).await {
            Ok(()) => {
                redis::cmd("XACK")
                    .arg(&self.options.stream_key)
                    .arg(self.group())
                    .arg(&entry_ids)
                    .exec_async(connection)
                    .await
            }
            Err(refusal) => {
                tracing::warn!(
                    consumer = self.group(),
                    events = events.len(),
                    first_entry = entry_ids.first().copied().unwrap_or_default(),
                    error = %refusal,
                    retry_after = ?self.options.claim_idle,
                    "event bus: consumer refused a batch; it stays pending and is offered again"
                );
                Ok(())
            }
        }
    }
}

impl Reclaiming for GroupMember {
    fn place(&self) -> StreamGroup<'_> {
        StreamGroup {
            stream: &self.options.stream_key,
            dead_letters: &self.options.dead_letter_key,
            group: self.group(),
            member: &self.consumer_name,
        }
    }

    fn options(&self) -> &RedisBusOptions {
        &self.options
    }

    async fn offer_again(&self, connection: &mut MultiplexedConnection, entry: &StreamId) -> Result<(), RedisError> {
        self.offer(connection, std::slice::from_ref(entry)).await
    }
}
