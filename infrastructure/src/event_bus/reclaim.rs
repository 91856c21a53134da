//! Retries: entries left pending longer than `claim_idle` (refused, or taken by an instance
//! that died) are claimed with `XAUTOCLAIM` and offered again, one at a time, so that one
//! poison event takes only itself to the dead-letter stream, not its batch neighbours.
//! An entry whose delivery count exceeds `max_deliveries` is dead-lettered instead.
//!
//! Ordering: a retried event comes after later events of its aggregate that were taken
//! meanwhile; consumers that care compare `aggregate_version` (they must be idempotent anyway).

use std::collections::HashMap;
use std::future::Future;

use redis::RedisError;
use redis::aio::MultiplexedConnection;
use redis::streams::{StreamAutoClaimReply, StreamId, StreamPendingCountReply};

use super::dead_letter::dead_letter;
use super::options::{RedisBusOptions, millis};
use super::shutdown::{Flow, Shutdown};
use super::stream_group::StreamGroup;

/// A group member whose entries left pending are offered again: a durable consumer of the
/// event bus, or the reader of one tenant's inbound stream.
pub(super) trait Reclaiming {
    fn place(&self) -> StreamGroup<'_>;

    /// `claim_idle`, `read_batch`, `max_deliveries` and `max_len` (of the dead letters).
    fn options(&self) -> &RedisBusOptions;

    /// Offers one entry again as if it were new: taken (acknowledged), refused for now (left
    /// pending), or dead-lettered.
    fn offer_again(
        &self,
        connection: &mut MultiplexedConnection,
        entry: &StreamId,
    ) -> impl Future<Output = Result<(), RedisError>> + Send;
}

/// `XAUTOCLAIM`'s cursor at the start, and its answer when the pending list is scanned.
const SCAN_START: &str = "0-0";

/// One scan of the group's whole pending list.
pub(super) async fn reclaim_pass(
    member: &impl Reclaiming,
    connection: &mut MultiplexedConnection,
    shutdown: &mut Shutdown,
) -> Result<Flow, RedisError> {
    let place = member.place();
    let options = member.options();
    let mut cursor = SCAN_START.to_owned();
    loop {
        let Some(reply) = shutdown.unless_fired(claim_idle_entries(place, options, connection, &cursor)).await else {
            return Ok(Flow::Stop);
        };
        let reply = reply?;
        for lost in &reply.deleted_ids {
            // Trimmed by MAXLEN before this group took it: nothing left to offer.
            tracing::warn!(consumer = place.group, stream = place.stream, entry = %lost, "event bus: pending entry was trimmed from the stream before it was taken");
        }
        let deliveries = delivery_counts(place, connection, &reply.claimed).await?;
        for entry in &reply.claimed {
            if shutdown.has_fired().await {
                // Still pending: claimed again by whoever runs next.
                return Ok(Flow::Stop);
            }
            // Absent only if another member acknowledged it meanwhile.
            let Some(&delivered) = deliveries.get(&entry.id) else { continue };
            if delivered > options.max_deliveries {
                let reason = format!("offered {} times without being taken", delivered - 1);
                dead_letter(connection, place, options.max_len, entry, &reason).await?;
            } else {
                member.offer_again(connection, entry).await?;
            }
        }
        if reply.next_stream_id == SCAN_START {
            return Ok(Flow::Continue);
        }
        cursor = reply.next_stream_id;
    }
}

/// Takes over up to a batch of entries idle for `claim_idle`, from any member (this one
/// included); each claim counts as a delivery.
async fn claim_idle_entries(
    place: StreamGroup<'_>,
    options: &RedisBusOptions,
    connection: &mut MultiplexedConnection,
    cursor: &str,
) -> Result<StreamAutoClaimReply, RedisError> {
    redis::cmd("XAUTOCLAIM")
        .arg(place.stream)
        .arg(place.group)
        .arg(place.member)
        .arg(millis(options.claim_idle))
        .arg(cursor)
        .arg("COUNT")
        .arg(options.read_batch)
        .query_async(connection)
        .await
}

/// How often each claimed entry has been delivered (`XAUTOCLAIM` does not say): one
/// `XPENDING` per entry, all in one round trip.
async fn delivery_counts(
    place: StreamGroup<'_>,
    connection: &mut MultiplexedConnection,
    claimed: &[StreamId],
) -> Result<HashMap<String, usize>, RedisError> {
    if claimed.is_empty() {
        return Ok(HashMap::new());
    }
    let mut pipeline = redis::pipe();
    for entry in claimed {
        pipeline
            .cmd("XPENDING")
            .arg(place.stream)
            .arg(place.group)
            .arg(&entry.id)
            .arg(&entry.id)
            .arg(1)
            .arg(place.member);
    }
    let replies: Vec<StreamPendingCountReply> = pipeline.query_async(connection).await?;
    Ok(replies.into_iter().flat_map(|reply| reply.ids).map(|pending| (pending.id, pending.times_delivered)).collect())
}
