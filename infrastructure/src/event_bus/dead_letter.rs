use redis::RedisError;
use redis::aio::MultiplexedConnection;
use redis::streams::StreamId;

use super::options::RedisBusOptions;

/// Moves one entry out of a group's way: copies its fields to the dead-letter stream with why
/// and where it came from, and acknowledges it, in one transaction (so it is never both
/// dead-lettered and still pending, nor acknowledged without a copy).
pub(super) async fn dead_letter(
    connection: &mut MultiplexedConnection,
    options: &RedisBusOptions,
    group: &str,
    entry: &StreamId,
    reason: &str,
) -> Result<(), RedisError> {
    // Sorted, so the copy reads the same every time; raw bytes, since a malformed entry may
    // hold anything.
    let mut fields: Vec<(&String, Vec<u8>)> = entry
        .map
        .iter()
        .map(|(name, value)| (name, redis::from_redis_value_ref::<Vec<u8>>(value).unwrap_or_default()))
        .collect();
    fields.sort_by(|a, b| a.0.cmp(b.0));

    let mut pipeline = redis::pipe();
    pipeline.atomic();
    let add = pipeline.cmd("XADD").arg(&options.dead_letter_key).arg("MAXLEN").arg("~").arg(options.max_len).arg("*");
    for (name, value) in &fields {
        add.arg(*name).arg(value);
    }
    add.arg("reason").arg(reason).arg("original_id").arg(&entry.id).arg("group").arg(group).ignore();
    pipeline.cmd("XACK").arg(&options.stream_key).arg(group).arg(&entry.id).ignore();
    pipeline.exec_async(connection).await?;
    tracing::warn!(group, entry = %entry.id, reason, dead_letter_stream = %options.dead_letter_key, "event bus: entry dead-lettered");
    Ok(())
}
