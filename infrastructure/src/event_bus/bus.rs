use std::fmt;
use std::future::Future;
use std::sync::Arc;

use application::ports::{EventConsumer, LiveListener, OutboxRelayStore, StreamCommands};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisError};
use tokio::task::JoinHandle;

use super::consumer_loop::ConsumerLoop;
use super::dedicated_connection::DedicatedConnection;
use super::errors::RedisBusError;
use super::group_member::GroupMember;
use super::inbound_loop::InboundLoop;
use super::live_feed::LiveFeed;
use super::member_name::unique_member_name;
use super::options::RedisBusOptions;
use super::recovery::LostEvents;
use super::redact::{Redactor, redact_url};
use super::shutdown::Shutdown;
use super::tls::prepare_tls;

/// The event bus on one Redis: publishes for the relay ([`EventBus`](application::ports::EventBus)),
/// and runs the loops of durable consumers and live feeds, each on its own connection.
pub struct RedisEventBus {
    client: Client,
    /// Shared by `publish` and `ready`; reconnects by itself after an outage.
    pub(super) publisher: ConnectionManager,
    pub(super) options: Arc<RedisBusOptions>,
    redactor: Redactor,
    /// For log lines and `Debug`: the password replaced.
    shown_url: String,
    /// Where events a Redis restarted empty lost are published again from (`recovery`).
    outbox: Option<Arc<dyn OutboxRelayStore>>,
}

impl RedisEventBus {
    /// Opens the connection that `publish` uses and checks that Redis answers, within
    /// `options.command_timeout`. `redis://` and `rediss://` (TLS, rustls) URLs.
    pub async fn connect(url: &str, options: RedisBusOptions) -> Result<RedisEventBus, RedisBusError> {
        options.validate()?;
        let shown_url = redact_url(url);
        let client = Client::open(url).map_err(|error| RedisBusError::InvalidUrl {
            url: shown_url.clone(),
            reason: Redactor::for_url(url, None).text(&error),
        })?;
        let redactor = Redactor::for_url(url, client.get_connection_info().redis_settings().password());
        prepare_tls(client.get_connection_info().addr());

        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(options.command_timeout))
            .set_response_timeout(Some(options.command_timeout))
            // Few, short retries inside the manager: a caller gets `Unavailable` soon, and the
            // next call starts a fresh reconnect.
            .set_number_of_retries(1)
            .set_max_delay(options.command_timeout);
        let unreachable = |reason: String| RedisBusError::Unreachable { url: shown_url.clone(), reason };
        let connecting = ConnectionManager::new_with_config(client.clone(), config);
        let publisher = tokio::time::timeout(options.command_timeout * 2, connecting)
            .await
            .map_err(|_| unreachable("timed out".to_owned()))?
            .map_err(|error| unreachable(redactor.text(&error)))?;

        tracing::info!(url = %shown_url, stream = %options.stream_key, "event bus: connected to Redis");
        Ok(RedisEventBus { client, publisher, options: Arc::new(options), redactor, shown_url, outbox: None })
    }

    /// The outbox the relay publishes from: a consumer that finds its group lost (Redis
    /// restarted without persistence) has it publish again what may have been lost with it.
    pub fn republishing_from(mut self, outbox: Arc<dyn OutboxRelayStore>) -> RedisEventBus {
        self.outbox = Some(outbox);
        self
    }

    /// Another connection to the same Redis, for work that must not queue behind the event
    /// traffic (the request-rate counters), with its own timeout for connecting and answering.
    pub async fn extra_connection(&self, timeout: std::time::Duration) -> Result<ConnectionManager, RedisBusError> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(timeout);
        let unreachable = |reason: String| RedisBusError::Unreachable { url: self.shown_url.clone(), reason };
        tokio::time::timeout(timeout * 4, ConnectionManager::new_with_config(self.client.clone(), config))
            .await
            .map_err(|_| unreachable("timed out".to_owned()))?
            .map_err(|error| unreachable(self.redactor.text(&error)))
    }

    pub fn options(&self) -> &RedisBusOptions {
        &self.options
    }

    /// Starts `consumer` on this instance: a member of the consumer group `consumer.name()`
    /// (created at the end of the stream if new; see the `group` module), reading on its own
    /// connection until `shutdown` resolves. When Redis answers, the group exists once this
    /// returns, so every event published afterwards reaches the group.
    pub async fn spawn_consumer(
        &self,
        consumer: Arc<dyn EventConsumer>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> JoinHandle<()> {
        let member_name = unique_member_name();
        let role = format!("consumer {}", consumer.name());
        let client_name = format!("oms-consumer:{}:{}:{member_name}", self.options.stream_key, consumer.name());
        let connection = self.dedicated_connection(role, &client_name);
        let member = GroupMember { consumer, options: self.options.clone(), consumer_name: member_name };
        let consumer_loop = ConsumerLoop::prepare(member, connection, LostEvents::new(self.outbox.clone())).await;
        tokio::spawn(consumer_loop.run(Shutdown::new(shutdown)))
    }

    /// Starts following the stream for `listener` on its own connection, until `shutdown`
    /// resolves. When Redis answers, every event published after this returns is observed.
    pub async fn spawn_live_feed(
        &self,
        listener: Arc<dyn LiveListener>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> JoinHandle<()> {
        let client_name = format!("oms-live-feed:{}:{}", self.options.stream_key, unique_member_name());
        let connection = self.dedicated_connection("live feed".to_owned(), &client_name);
        let feed = LiveFeed::prepare(listener, self.options.clone(), connection).await;
        tokio::spawn(feed.run(Shutdown::new(shutdown)))
    }

    /// Starts reading the tenants' inbound `add_order` streams (`oms:{tenantId}:add_order`,
    /// consumer group `tenant-oms`) for `commands`, on its own connection, until `shutdown`
    /// resolves. Each message is run by `commands`; see the `inbound_loop` module.
    pub fn spawn_inbound(
        &self,
        commands: Arc<dyn StreamCommands>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> JoinHandle<()> {
        let member_name = unique_member_name();
        let client_name = format!("oms-inbound:add_order:{member_name}");
        let connection = self.dedicated_connection("inbound add_order".to_owned(), &client_name);
        let inbound = InboundLoop::new(commands, self.options.clone(), member_name, connection);
        tokio::spawn(inbound.run(Shutdown::new(shutdown)))
    }

    fn dedicated_connection(&self, role: String, client_name: &str) -> DedicatedConnection {
        DedicatedConnection::new(self.client.clone(), &self.options, role, client_name, self.redactor.clone())
    }

    /// A Redis error as text fit for an error or a log line.
    pub(super) fn describe(&self, error: &RedisError) -> String {
        self.redactor.text(error)
    }
}

impl fmt::Debug for RedisEventBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisEventBus").field("url", &self.shown_url).field("options", &self.options).finish()
    }
}
