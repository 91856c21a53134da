/// Where a loop's member works: one consumer group on one stream, and the stream its dead
/// letters go to. The event bus has one such place per consumer; the inbound streams one per
/// tenant.
#[derive(Debug, Clone, Copy)]
pub(super) struct StreamGroup<'a> {
    pub stream: &'a str,
    pub dead_letters: &'a str,
    pub group: &'a str,
    /// This loop's name inside the group.
    pub member: &'a str,
}
