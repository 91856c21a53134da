use redis::RedisError;
use redis::aio::MultiplexedConnection;
use redis::streams::StreamId;

use super::stream_group::StreamGroup;

/// Moves one entry out of a group's way: copies its fields to the dead-letter stream with why
/// and where it came from, and acknowledges it, in one transaction (so it is never both
/// dead-lettered and still pending, nor acknowledged without a copy).
pub(super) async fn dead_letter(
    connection: &mut MultiplexedConnection,
    place: StreamGroup<'_>,
    max_len: usize,
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
    let add = pipeline.cmd("XADD").arg(place.dead_letters).arg("MAXLEN").arg("~").arg(max_len).arg("*");
    for (name, value) in &fields {
        add.arg(*name).arg(value);
    }
    add.arg("reason").arg(reason).arg("original_id").arg(&entry.id).arg("group").arg(place.group).ignore();
    pipeline.cmd("XACK").arg(place.stream).arg(place.group).arg(&entry.id).ignore();
    pipeline.exec_async(connection).await?;
    tracing::warn!(
        group = place.group,
        stream = place.stream,
        entry = %entry.id,
        reason,
        dead_letter_stream = place.dead_letters,
        "event bus: entry dead-lettered"
    );
    Ok(())
}
