//! The consumer group behind each durable consumer.
//!
//! Where a group starts:
//! - Created for the first time (a new consumer, or a fresh Redis): at `$`, the end of the
//!   stream. A consumer added to a running system would otherwise replay the whole retained
//!   stream (up to `max_len` events, e.g. a million old webhooks); a consumer that needs history
//!   backfills it from the database, which is the source of truth. `spawn_consumer` creates
//!   the group before it returns, and the server starts its consumers before its relay, so
//!   nothing published after startup is missed. A group that exists already
//!   (`BUSYGROUP`) keeps its position: a restarted instance resumes where the group was.
//! - Recreated while a loop runs (`NOGROUP`: Redis restarted without persistence, or the key
//!   was deleted): just after the last entry this loop read, or at `0` if it read none. The
//!   events there were published after the loss (stream IDs are times, so they sort after
//!   anything read before), and skipping them at `$` would silently drop what the relay
//!   published while the consumers were reconnecting.

use redis::RedisError;
use redis::aio::MultiplexedConnection;

/// The first creation of a group: only new events.
pub(super) const FROM_NEW_EVENTS: &str = "$";
/// A recreation by a loop that has read nothing yet: everything in the (new) stream.
pub(super) const FROM_THE_START: &str = "0";

/// Creates the group (and the stream, if missing) at `start`; an existing group is left as is.
pub(super) async fn ensure_group(
    connection: &mut MultiplexedConnection,
    stream: &str,
    group: &str,
    start: &str,
) -> Result<(), RedisError> {
    let created = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(stream)
        .arg(group)
        .arg(start)
        .arg("MKSTREAM")
        .exec_async(connection)
        .await;
    match created {
        Err(error) if error.code() == Some("BUSYGROUP") => Ok(()),
        other => other,
    }
}

/// Redis lost the group (or the stream) under a running loop.
pub(super) fn is_missing_group(error: &RedisError) -> bool {
    error.code() == Some("NOGROUP")
}
