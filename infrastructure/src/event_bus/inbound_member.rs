//! One tenant's place in the inbound group: how a message of its stream is run, and what
//! becomes of it (acknowledged, left pending for a retry, or dead-lettered).

use application::ports::{CommandRefusal, StreamCommands};
use redis::RedisError;
use redis::aio::MultiplexedConnection;
use redis::streams::StreamId;

use super::dead_letter::dead_letter;
use super::inbound_fields::{INBOUND_GROUP, TenantStream, command_from_entry};
use super::options::RedisBusOptions;
use super::reclaim::Reclaiming;
use super::stream_group::StreamGroup;

pub(super) struct InboundMember<'a> {
    pub commands: &'a dyn StreamCommands,
    pub tenant: &'a TenantStream,
    pub options: &'a RedisBusOptions,
    /// This loop's name inside the group.
    pub member: &'a str,
}

impl InboundMember<'_> {
    /// Runs one message. Taken: acknowledged. Refused for good: dead-lettered with the
    /// error code and message (which acknowledges it). Refused for now: left pending, to be
    /// offered again after `claim_idle`, up to `max_deliveries` times.
    pub(super) async fn take(
        &self,
        connection: &mut MultiplexedConnection,
        entry: &StreamId,
    ) -> Result<(), RedisError> {
        let command = command_from_entry(entry);
        match self.commands.add_order(&self.tenant.tenant, command).await {
            Ok(taken) => {
                redis::cmd("XACK")
                    .arg(&self.tenant.stream)
                    .arg(INBOUND_GROUP)
                    .arg(&entry.id)
                    .exec_async(connection)
                    .await?;
                tracing::info!(
                    tenant = %self.tenant.tenant,
                    entry = %entry.id,
                    result = taken.result,
                    order_id = %taken.order_id,
                    "inbound: add_order message taken"
                );
                Ok(())
            }
            Err(refusal @ CommandRefusal::Permanent { .. }) => {
                dead_letter(connection, self.place(), self.options.max_len, entry, &refusal.reason()).await
            }
            Err(CommandRefusal::Transient(reason)) => {
                tracing::warn!(
                    tenant = %self.tenant.tenant,
                    entry = %entry.id,
                    error = %reason,
                    retry_after = ?self.options.claim_idle,
                    "inbound: add_order message not taken yet; it stays pending and is retried"
                );
                Ok(())
            }
        }
    }
}

impl Reclaiming for InboundMember<'_> {
    fn place(&self) -> StreamGroup<'_> {
        StreamGroup {
            stream: &self.tenant.stream,
            dead_letters: &self.tenant.dead_letters,
            group: INBOUND_GROUP,
            member: self.member,
        }
    }

    fn options(&self) -> &RedisBusOptions {
        self.options
    }

    async fn offer_again(&self, connection: &mut MultiplexedConnection, entry: &StreamId) -> Result<(), RedisError> {
        self.take(connection, entry).await
    }
}
