//! The loop behind one durable consumer on one instance: keep the group, retry what is left
//! pending, read what is new, hand it over; through Redis outages, until shutdown.

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use redis::RedisError;
use redis::aio::MultiplexedConnection;

use super::dedicated_connection::DedicatedConnection;
use super::group::{self, FROM_NEW_EVENTS, FROM_THE_START};
use super::group_member::GroupMember;
use super::reclaim::reclaim_pass;
use super::recovery::LostEvents;
use super::shutdown::{Flow, Shutdown};

pub(super) struct ConsumerLoop {
    member: GroupMember,
    connection: DedicatedConnection,
    /// The group exists, as far as this loop knows.
    group_ready: bool,
    /// The group existed once: a missing group now was lost, not never made (see `group`).
    group_existed: bool,
    /// The last entry this loop read as new: where a lost group is recreated.
    last_read_id: Option<String>,
    /// The first pass runs at once: it takes over what a crashed instance left pending.
    next_reclaim: Instant,
    /// When this loop began: with nothing read yet, a lost group may have held everything since.
    started: DateTime<Utc>,
    /// What a lost group took with it, to be published again from the outbox.
    lost: LostEvents,
}

impl ConsumerLoop {
    /// Creates the group now when Redis answers, so that events published after this returns
    /// reach the consumer; otherwise the loop creates it once Redis is back.
    pub(super) async fn prepare(
        member: GroupMember,
        mut connection: DedicatedConnection,
        lost: LostEvents,
    ) -> ConsumerLoop {
        let started = Utc::now();
        let created = match connection.get().await {
            Ok(mut redis) => {
                group::ensure_group(&mut redis, &member.options.stream_key, member.group(), FROM_NEW_EVENTS).await
            }
            Err(error) => Err(error),
        };
        let group_ready = match created {
            Ok(()) => true,
            Err(error) => {
                // Logged as the start of an outage; the loop keeps trying.
                let _ = connection.failed(&error);
                false
            }
        };
        ConsumerLoop {
            member,
            connection,
            group_ready,
            group_existed: group_ready,
            last_read_id: None,
            next_reclaim: Instant::now(),
            started,
            lost,
        }
    }

    pub(super) async fn run(mut self, mut shutdown: Shutdown) {
        tracing::info!(
            consumer = self.member.group(),
            member = %self.member.consumer_name,
            stream = %self.member.options.stream_key,
            "event bus: consumer started"
        );
        loop {
            match self.step(&mut shutdown).await {
                Ok(Flow::Continue) => self.connection.succeeded(),
                Ok(Flow::Stop) => break,
                Err(error) => {
                    if group::is_missing_group(&error) {
                        self.group_ready = false;
                    }
                    let wait = self.connection.failed(&error);
                    if shutdown.sleep(wait).await.is_none() {
                        break;
                    }
                }
            }
        }
        tracing::info!(consumer = self.member.group(), member = %self.member.consumer_name, "event bus: consumer stopped");
    }

    async fn step(&mut self, shutdown: &mut Shutdown) -> Result<Flow, RedisError> {
        let Some(connection) = shutdown.unless_fired(self.connection.get()).await else {
            return Ok(Flow::Stop);
        };
        let mut connection = connection?;
        if !self.group_ready {
            self.recreate_group(&mut connection).await?;
        }
        self.lost.recover(self.member.group()).await;
        if Instant::now() >= self.next_reclaim {
            if reclaim_pass(&self.member, &mut connection, shutdown).await? == Flow::Stop {
                return Ok(Flow::Stop);
            }
            self.next_reclaim = Instant::now() + self.member.options.reclaim_every();
        }
        let Some(entries) = shutdown.unless_fired(self.member.read_new(&mut connection)).await else {
            return Ok(Flow::Stop);
        };
        let entries = entries?;
        if let Some(last) = entries.last() {
            self.last_read_id = Some(last.id.clone());
            // Not raced with shutdown: a batch in hand is finished and acknowledged.
            self.member.offer(&mut connection, &entries).await?;
        }
        Ok(Flow::Continue)
    }

    async fn recreate_group(&mut self, connection: &mut MultiplexedConnection) -> Result<(), RedisError> {
        let start = match (&self.last_read_id, self.group_existed) {
            (_, false) => FROM_NEW_EVENTS,
            (Some(last_read_id), true) => last_read_id.as_str(),
            (None, true) => FROM_THE_START,
        };
        group::ensure_group(connection, &self.member.options.stream_key, self.member.group(), start).await?;
        if self.group_existed {
            tracing::warn!(
                consumer = self.member.group(),
                start,
                "event bus: consumer group was lost (Redis restarted empty?) and is recreated"
            );
            self.lost.lost_after(self.last_read_id.as_deref(), self.started);
        }
        self.group_ready = true;
        self.group_existed = true;
        Ok(())
    }
}
