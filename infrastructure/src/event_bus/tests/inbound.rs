//! The inbound `add_order` streams on a real Redis: each configured tenant's stream is read in
//! the `tenant-oms` group, a message is acknowledged when taken, dead-lettered at once when
//! refused for good, retried and then dead-lettered when refused for now, and never holds up
//! the messages after it. Each test has tenants of its own, hence streams of its own.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use application::ports::{CommandRefusal, CommandTaken, StreamCommand, StreamCommands};
use async_trait::async_trait;
use domain::TenantId;
use redis::streams::StreamId;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::harness::{TestStreams, eventually, shutdown_signal};

const GROUP: &str = "tenant-oms";

/// Takes every message except those whose body is `poison` (refused for good) or `flaky`
/// (refused for now, every time); records every call.
#[derive(Default)]
struct RecordingCommands {
    tenants: Mutex<Vec<TenantId>>,
    calls: Mutex<Vec<(TenantId, StreamCommand)>>,
}

impl RecordingCommands {
    fn reading(tenants: &[&TenantId]) -> Arc<RecordingCommands> {
        let commands = RecordingCommands::default();
        commands.configure(tenants);
        Arc::new(commands)
    }

    fn configure(&self, tenants: &[&TenantId]) {
        *self.tenants.lock().expect("lock") = tenants.iter().map(|tenant| (*tenant).clone()).collect();
    }

    /// How often a message with this body was offered.
    fn offers_of(&self, body: &str) -> usize {
        let calls = self.calls.lock().expect("lock");
        calls.iter().filter(|(_, command)| command.body.as_deref() == Some(body.as_bytes())).count()
    }

    fn calls(&self) -> Vec<(TenantId, StreamCommand)> {
        self.calls.lock().expect("lock").clone()
    }
}

#[async_trait]
impl StreamCommands for RecordingCommands {
    fn add_order_tenants(&self) -> Vec<TenantId> {
        self.tenants.lock().expect("lock").clone()
    }

    async fn add_order(&self, tenant: &TenantId, command: StreamCommand) -> Result<CommandTaken, CommandRefusal> {
        self.calls.lock().expect("lock").push((tenant.clone(), command.clone()));
        match command.body.as_deref() {
            Some(b"poison") => {
                Err(CommandRefusal::Permanent { code: "VALIDATION_FAILED", message: "the body is not JSON".to_owned() })
            }
            Some(b"flaky") => Err(CommandRefusal::Transient("INTERNAL: the store is down".to_owned())),
            _ => Ok(CommandTaken { result: "created", order_id: command.delivery_id().to_owned() }),
        }
    }
}

/// A reader of the tenants' streams, running on a bus of its own, and what stops it.
struct Reader {
    commands: Arc<RecordingCommands>,
    stop: oneshot::Sender<()>,
    running: JoinHandle<()>,
}

impl Reader {
    async fn start(streams: &TestStreams, tenants: &[&TenantId]) -> Reader {
        let bus = streams.bus().await;
        let commands = RecordingCommands::reading(tenants);
        let (stop, shutdown) = shutdown_signal();
        let running = bus.spawn_inbound(commands.clone(), shutdown);
        Reader { commands, stop, running }
    }

    async fn stop(self) {
        self.stop.send(()).expect("the loop still runs");
        self.running.await.expect("the loop ends without panicking");
    }
}

fn fresh_tenant() -> TenantId {
    TenantId::new(format!("t{}", Uuid::new_v4().simple())).expect("tenant id")
}

fn stream_of(tenant: &TenantId) -> String {
    format!("oms:{tenant}:add_order")
}

async fn push(streams: &TestStreams, tenant: &TenantId, fields: &[(&str, &str)]) -> String {
    let mut add = redis::cmd("XADD");
    add.arg(stream_of(tenant)).arg("*");
    for (name, value) in fields {
        add.arg(*name).arg(*value);
    }
    add.query_async(&mut streams.admin()).await.expect("XADD")
}

async fn pending(streams: &TestStreams, tenant: &TenantId) -> usize {
    streams.pending_on(&stream_of(tenant), GROUP).await
}

async fn dead_letters(streams: &TestStreams, tenant: &TenantId) -> Vec<StreamId> {
    streams.entries(&format!("{}:dead", stream_of(tenant))).await
}

async fn groups_of(streams: &TestStreams, tenant: &TenantId) -> usize {
    let groups: redis::RedisResult<redis::streams::StreamInfoGroupsReply> =
        redis::cmd("XINFO").arg("GROUPS").arg(stream_of(tenant)).query_async(&mut streams.admin()).await;
    // No such key: never read, never created.
    groups.map(|reply| reply.groups.len()).unwrap_or(0)
}

async fn delete(streams: &TestStreams, tenants: &[&TenantId]) {
    for tenant in tenants {
        let stream = stream_of(tenant);
        redis::cmd("DEL")
            .arg(&stream)
            .arg(format!("{stream}:dead"))
            .exec_async(&mut streams.admin())
            .await
            .expect("delete the test streams");
    }
}

#[tokio::test]
async fn the_configured_tenants_streams_are_read_and_their_messages_acknowledged() {
    let streams = TestStreams::new().await;
    let (configured, other) = (fresh_tenant(), fresh_tenant());
    let reader = Reader::start(&streams, &[&configured]).await;
    let commands = &reader.commands;

    let pushed = push(&streams, &configured, &[("body", "{}")]).await;
    let with_id = push(&streams, &configured, &[("body", "{\"n\":2}"), ("id", "partner-2")]).await;
    push(&streams, &other, &[("body", "{}")]).await;
    eventually("both messages are taken", || async { commands.calls().len() >= 2 }).await;
    eventually("nothing left pending", || async { pending(&streams, &configured).await == 0 }).await;

    let calls = commands.calls();
    assert!(calls.iter().all(|(tenant, _)| *tenant == configured), "only the configured tenant's stream is read");
    assert_eq!(calls[0].1.entry_id, pushed);
    assert_eq!((calls[1].1.entry_id.as_str(), calls[1].1.delivery_id()), (with_id.as_str(), "partner-2"));
    assert_eq!(groups_of(&streams, &other).await, 0, "no group was made on a tenant's stream that is not read");
    assert!(dead_letters(&streams, &configured).await.is_empty());

    reader.stop().await;
    delete(&streams, &[&configured, &other]).await;
}

#[tokio::test]
async fn a_message_refused_for_good_is_dead_lettered_at_once_and_the_next_is_still_taken() {
    let streams = TestStreams::new().await;
    let tenant = fresh_tenant();
    let reader = Reader::start(&streams, &[&tenant]).await;
    let commands = &reader.commands;

    let poison = push(&streams, &tenant, &[("body", "poison"), ("id", "p-1")]).await;
    push(&streams, &tenant, &[("body", "good")]).await;
    eventually("the good message after it is taken", || async { commands.offers_of("good") == 1 }).await;
    eventually("the poison message is dead-lettered", || async { dead_letters(&streams, &tenant).await.len() == 1 })
        .await;
    eventually("nothing left pending", || async { pending(&streams, &tenant).await == 0 }).await;

    let letter = &dead_letters(&streams, &tenant).await[0];
    assert_eq!(letter.get::<String>("body").as_deref(), Some("poison"));
    assert_eq!(letter.get::<String>("id").as_deref(), Some("p-1"));
    assert_eq!(letter.get::<String>("original_id"), Some(poison));
    assert_eq!(letter.get::<String>("group").as_deref(), Some(GROUP));
    assert_eq!(letter.get::<String>("reason").as_deref(), Some("VALIDATION_FAILED: the body is not JSON"));
    assert_eq!(commands.offers_of("poison"), 1, "never retried");

    reader.stop().await;
    delete(&streams, &[&tenant]).await;
}

#[tokio::test]
async fn a_message_refused_for_now_is_retried_then_dead_lettered_without_holding_up_the_rest() {
    let streams = TestStreams::new().await;
    let tenant = fresh_tenant();
    let reader = Reader::start(&streams, &[&tenant]).await;
    let commands = &reader.commands;

    push(&streams, &tenant, &[("body", "flaky")]).await;
    push(&streams, &tenant, &[("body", "good")]).await;
    eventually("the message after it is taken", || async { commands.offers_of("good") == 1 }).await;
    eventually("the flaky message is dead-lettered after its retries", || async {
        dead_letters(&streams, &tenant).await.len() == 1
    })
    .await;
    eventually("nothing left pending", || async { pending(&streams, &tenant).await == 0 }).await;

    assert_eq!(commands.offers_of("flaky"), streams.options.max_deliveries);
    let letter = &dead_letters(&streams, &tenant).await[0];
    let reason = letter.get::<String>("reason").expect("reason");
    assert!(reason.contains(&streams.options.max_deliveries.to_string()), "{reason}");

    reader.stop().await;
    delete(&streams, &[&tenant]).await;
}

#[tokio::test]
async fn a_tenant_configured_later_is_read_from_its_streams_start_without_a_restart() {
    let streams = TestStreams::new().await;
    let (first, later) = (fresh_tenant(), fresh_tenant());
    let reader = Reader::start(&streams, &[&first]).await;
    let commands = &reader.commands;

    // Written before the tenant is read at all.
    let early = push(&streams, &later, &[("body", "early")]).await;
    push(&streams, &first, &[("body", "first")]).await;
    eventually("the first tenant's message is taken", || async { commands.offers_of("first") == 1 }).await;
    assert_eq!(commands.offers_of("early"), 0, "not read before it is configured");

    commands.configure(&[&first, &later]);
    eventually("the message written before is taken", || async { commands.offers_of("early") == 1 }).await;
    let calls = commands.calls();
    let (tenant, command) =
        calls.iter().find(|(_, command)| command.body.as_deref() == Some(b"early")).expect("the early message");
    assert_eq!(tenant, &later);
    assert_eq!(command.entry_id, early);

    // And a group lost under the loop (a Redis restarted empty, or deleted) is made again.
    redis::cmd("XGROUP")
        .arg("DESTROY")
        .arg(stream_of(&first))
        .arg(GROUP)
        .exec_async(&mut streams.admin())
        .await
        .expect("XGROUP DESTROY");
    push(&streams, &first, &[("body", "after the loss")]).await;
    eventually("the message after the loss is taken", || async { commands.offers_of("after the loss") == 1 }).await;

    reader.stop().await;
    delete(&streams, &[&first, &later]).await;
}

#[tokio::test]
async fn the_reader_ends_promptly_on_shutdown_while_blocked_in_a_read() {
    let mut streams = TestStreams::new().await;
    // Reads would wait this long for messages that never come, and no retry pass is due.
    let long_block = Duration::from_secs(120);
    streams.options.block = long_block;
    streams.options.claim_idle = Duration::from_secs(600);
    let tenant = fresh_tenant();
    let reader = Reader::start(&streams, &[&tenant]).await;
    let commands = &reader.commands;

    push(&streams, &tenant, &[("body", "good")]).await;
    eventually("the message is taken", || async { commands.offers_of("good") == 1 }).await;
    // Far below the block time: the reader did not wait for its read to end.
    tokio::time::timeout(long_block / 4, reader.stop()).await.expect("the reader ended");
    delete(&streams, &[&tenant]).await;
}

#[tokio::test]
async fn a_key_that_takes_no_group_leaves_out_only_its_tenant_until_it_does() {
    let streams = TestStreams::new().await;
    let (broken, healthy) = (fresh_tenant(), fresh_tenant());
    // Not a stream: Redis refuses a consumer group on it.
    redis::cmd("SET").arg(stream_of(&broken)).arg("oops").exec_async(&mut streams.admin()).await.expect("SET");
    let reader = Reader::start(&streams, &[&broken, &healthy]).await;
    let commands = &reader.commands;

    push(&streams, &healthy, &[("body", "healthy")]).await;
    eventually("the healthy tenant's message is taken", || async { commands.offers_of("healthy") == 1 }).await;

    redis::cmd("DEL").arg(stream_of(&broken)).exec_async(&mut streams.admin()).await.expect("DEL");
    push(&streams, &broken, &[("body", "mended")]).await;
    eventually("the mended tenant's message is taken", || async { commands.offers_of("mended") == 1 }).await;

    reader.stop().await;
    delete(&streams, &[&broken, &healthy]).await;
}
