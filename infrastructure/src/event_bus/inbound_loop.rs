//! The loop that reads the tenants' inbound `add_order` streams on one instance: one connection
//! and one blocking `XREADGROUP` over every stream read, so the number of tenants costs no
//! connections. Which tenants: those the use case names, asked again before every read, so a
//! config change (a tenant's add-order webhook added or removed) takes effect within one
//! `block` without a restart.
//!
//! Each stream's group is created at its start (`0`), unlike the event bus's: the stream is a
//! queue of commands a partner wrote for us, and a message written before the group existed
//! (before the tenant was configured, or into a Redis restarted empty) is still a command to
//! run. Replays are harmless: a message id is remembered, an externalRef is unique.
//!
//! A stream key Redis will not make a group on (a key of another type, an ACL that forbids it)
//! leaves only its tenant out, tried again with every retry pass: one tenant's key must not stop
//! every tenant's orders.

use std::sync::Arc;

use application::ports::StreamCommands;
use domain::TenantId;
use redis::RedisError;
use redis::aio::MultiplexedConnection;
use redis::streams::{StreamId, StreamReadReply};
use tokio::time::Instant;

use super::dedicated_connection::DedicatedConnection;
use super::group::{self, FROM_THE_START};
use super::inbound_fields::{INBOUND_GROUP, TenantStream};
use super::inbound_member::InboundMember;
use super::options::{RedisBusOptions, millis};
use super::reclaim::reclaim_pass;
use super::shutdown::{Flow, Shutdown};

pub(super) struct InboundLoop {
    commands: Arc<dyn StreamCommands>,
    options: Arc<RedisBusOptions>,
    /// This loop's name inside the group.
    member: String,
    connection: DedicatedConnection,
    /// The tenants as the config named them last.
    configured: Vec<TenantId>,
    /// The streams read now; their groups exist, as far as this loop knows, when `groups_ready`.
    tenants: Vec<TenantStream>,
    groups_ready: bool,
    /// Configured, but Redis refused their group; left out until a retry pass makes it.
    unreadable: Vec<TenantStream>,
    /// The first pass runs at once: it takes over what a stopped instance left pending.
    next_reclaim: Instant,
}

impl InboundLoop {
    pub(super) fn new(
        commands: Arc<dyn StreamCommands>,
        options: Arc<RedisBusOptions>,
        member: String,
        connection: DedicatedConnection,
    ) -> InboundLoop {
        InboundLoop {
            commands,
            options,
            member,
            connection,
            configured: Vec::new(),
            tenants: Vec::new(),
            groups_ready: false,
            unreadable: Vec::new(),
            next_reclaim: Instant::now(),
        }
    }

    pub(super) async fn run(mut self, mut shutdown: Shutdown) {
        tracing::info!(group = INBOUND_GROUP, member = %self.member, "inbound: add_order stream reader started");
        loop {
            match self.step(&mut shutdown).await {
                Ok(Flow::Continue) => self.connection.succeeded(),
                Ok(Flow::Stop) => break,
                Err(error) => {
                    // A group lost (`NOGROUP`), or a key that became something else: the groups
                    // are made again, and a key that refuses one is left out (`follow_config`).
                    if is_refusal(&error) {
                        self.groups_ready = false;
                    }
                    let wait = self.connection.failed(&error);
                    if shutdown.sleep(wait).await.is_none() {
                        break;
                    }
                }
            }
        }
        tracing::info!(group = INBOUND_GROUP, member = %self.member, "inbound: add_order stream reader stopped");
    }

    async fn step(&mut self, shutdown: &mut Shutdown) -> Result<Flow, RedisError> {
        let Some(connection) = shutdown.unless_fired(self.connection.get()).await else {
            return Ok(Flow::Stop);
        };
        let mut connection = connection?;
        self.follow_config(&mut connection).await?;
        if self.tenants.is_empty() {
            // Nothing to read until the config names a tenant (or Redis takes its group).
            return Ok(match shutdown.sleep(self.options.block).await {
                Some(()) => Flow::Continue,
                None => Flow::Stop,
            });
        }
        if Instant::now() >= self.next_reclaim {
            for tenant in &self.tenants {
                if reclaim_pass(&self.member_for(tenant), &mut connection, shutdown).await? == Flow::Stop {
                    return Ok(Flow::Stop);
                }
            }
            self.next_reclaim = Instant::now() + self.options.reclaim_every();
        }
        let Some(read) = shutdown.unless_fired(self.read_new(&mut connection)).await else {
            return Ok(Flow::Stop);
        };
        for (stream, entries) in read? {
            let Some(tenant) = self.tenants.iter().find(|tenant| tenant.stream == stream) else { continue };
            let member = self.member_for(tenant);
            for entry in &entries {
                if shutdown.has_fired().await {
                    // Still pending: claimed by whoever runs next.
                    return Ok(Flow::Stop);
                }
                member.take(&mut connection, entry).await?;
            }
        }
        Ok(Flow::Continue)
    }

    /// Reads the tenant list anew; creates the groups of streams new to it (all of them after
    /// a group was found missing; the unreadable ones again when a retry pass is due).
    async fn follow_config(&mut self, connection: &mut MultiplexedConnection) -> Result<(), RedisError> {
        let configured = self.commands.add_order_tenants();
        let changed = configured != self.configured;
        let retry_due = !self.unreadable.is_empty() && Instant::now() >= self.next_reclaim;
        if !changed && self.groups_ready && !retry_due {
            return Ok(());
        }
        let mut readable = Vec::with_capacity(configured.len());
        let mut unreadable = Vec::new();
        for tenant in configured.iter().cloned().map(TenantStream::add_order) {
            if self.groups_ready && self.tenants.contains(&tenant) {
                readable.push(tenant);
                continue;
            }
            match group::ensure_group(connection, &tenant.stream, INBOUND_GROUP, FROM_THE_START).await {
                Ok(()) => readable.push(tenant),
                Err(error) if refuses_group(&error) => {
                    if !self.unreadable.contains(&tenant) {
                        tracing::warn!(
                            tenant = %tenant.tenant,
                            stream = %tenant.stream,
                            error = %error,
                            "inbound: Redis refuses a consumer group on the tenant's add_order stream; its messages wait until it takes one"
                        );
                    }
                    unreadable.push(tenant);
                }
                Err(error) => return Err(error),
            }
        }
        if changed {
            let tenants: Vec<&str> = configured.iter().map(TenantId::as_str).collect();
            tracing::info!(?tenants, "inbound: reading the add_order streams of these tenants");
        }
        self.configured = configured;
        self.tenants = readable;
        self.unreadable = unreadable;
        self.groups_ready = true;
        Ok(())
    }

    /// Waits up to `block` for messages no instance has been given yet, on every stream.
    async fn read_new(
        &self,
        connection: &mut MultiplexedConnection,
    ) -> Result<Vec<(String, Vec<StreamId>)>, RedisError> {
        let mut read = redis::cmd("XREADGROUP");
        read.arg("GROUP")
            .arg(INBOUND_GROUP)
            .arg(&self.member)
            .arg("COUNT")
            .arg(self.options.read_batch)
            .arg("BLOCK")
            .arg(millis(self.options.block))
            .arg("STREAMS");
        for tenant in &self.tenants {
            read.arg(&tenant.stream);
        }
        for _ in &self.tenants {
            read.arg(">");
        }
        let reply: Option<StreamReadReply> = read.query_async(connection).await?;
        Ok(reply.map(|reply| reply.keys.into_iter().map(|key| (key.key, key.ids)).collect()).unwrap_or_default())
    }

    fn member_for<'a>(&'a self, tenant: &'a TenantStream) -> InboundMember<'a> {
        InboundMember { commands: self.commands.as_ref(), tenant, options: &self.options, member: &self.member }
    }
}

/// Redis answered with an error reply (`WRONGTYPE`, `NOPERM`, `NOGROUP`, …), as opposed to a
/// lost connection or a timeout.
fn is_refusal(error: &RedisError) -> bool {
    error.code().is_some()
}

/// Redis said no for this key only (another type, not permitted): the other tenants' streams
/// are read regardless. A lost connection or a timeout concerns them all.
fn refuses_group(error: &RedisError) -> bool {
    is_refusal(error) && !group::is_missing_group(error)
}
