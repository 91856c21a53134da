//! The outbox read back: an order's timeline and the tenant's pull feed.
//!
//! Outbox rows are never deleted (nothing in the service removes them), which is what keeps
//! the feed's promise of at least 90 days of history. A retention job added later must keep
//! that floor.

use std::time::Duration;

use async_trait::async_trait;
use domain::TenantId;
use uuid::Uuid;

use super::{EventEnvelope, StoreError};

/// One page of events, in the order the query asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventPage {
    pub events: Vec<EventEnvelope>,
    pub has_next_page: bool,
}

/// One aggregate's events, by `aggregate_version` then id (the events of one change share its
/// version and were given increasing ids in the order they happened).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineQuery {
    /// The aggregate's id as events carry it (an order id's canonical text).
    pub aggregate_id: String,
    pub first: u64,
    /// Keyset cursor: the id of the last event of the previous page. An id that is not an
    /// event of this aggregate ends the timeline (an empty page).
    pub after: Option<Uuid>,
}

/// The tenant's events by id, oldest first. Event ids are UUIDv7 drawn from one monotonic
/// source per process, so their order is the order the events happened in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedQuery {
    pub first: u64,
    /// Keyset cursor: the id of the last event seen; every event after it, whether or not that
    /// id is still stored.
    pub after: Option<Uuid>,
    /// Exact event types; empty means every type.
    pub types: Vec<String>,
    pub aggregate_id: Option<String>,
    /// Only events whose id is below this one: the settle horizon (see [`OutboxReader::settle`]).
    pub before: Option<Uuid>,
}

#[async_trait]
pub trait OutboxReader: Send + Sync {
    /// How long after an event's id was drawn its transaction may still commit. A reader that
    /// passed an id must never see a smaller one appear later, so the feed serves only events
    /// at least this old. Zero where the store commits in id order (SQLite's single writer
    /// draws ids inside its write lock); on a store with concurrent writers it covers the
    /// longest wait a transaction may have between drawing ids and committing.
    fn settle(&self) -> Duration;

    /// One aggregate of `tenant`: its events, oldest version first. One query per page.
    async fn timeline(&self, tenant: &TenantId, query: &TimelineQuery) -> Result<EventPage, StoreError>;

    /// Every event of `tenant` that `query` admits, by id. One query per page.
    async fn feed(&self, tenant: &TenantId, query: &FeedQuery) -> Result<EventPage, StoreError>;
}
