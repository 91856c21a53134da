use application::ports::{BusError, EventBus, EventEnvelope};
use async_trait::async_trait;
use redis::RedisError;

use super::bus::RedisEventBus;
use super::entry_fields::entry_fields;

#[async_trait]
impl EventBus for RedisEventBus {
    /// All `XADD`s in one transaction, one round trip, in order: either the whole batch is in
    /// the stream or (short of a lost reply) none of it, so a retry by the relay seldom adds
    /// duplicates. Bounded by `command_timeout`, reconnecting included: a Redis outage makes
    /// this `Unavailable` quickly and the events wait in the outbox.
    async fn publish(&self, events: &[EventEnvelope]) -> Result<(), BusError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut pipeline = redis::pipe();
        pipeline.atomic();
        for event in events {
            pipeline
                .cmd("XADD")
                .arg(&self.options.stream_key)
                .arg("MAXLEN")
                .arg("~")
                .arg(self.options.max_len)
                .arg("*")
                .arg(&entry_fields(event)[..])
                .ignore();
        }
        let mut publisher = self.publisher.clone();
        self.within_timeout(pipeline.exec_async(&mut publisher)).await
    }

    async fn ready(&self) -> Result<(), BusError> {
        let mut publisher = self.publisher.clone();
        self.within_timeout(redis::cmd("PING").exec_async(&mut publisher)).await
    }
}

impl RedisEventBus {
    async fn within_timeout(&self, command: impl Future<Output = Result<(), RedisError>>) -> Result<(), BusError> {
        match tokio::time::timeout(self.options.command_timeout, command).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(BusError::Unavailable(self.describe(&error))),
            Err(_) => {
                Err(BusError::Unavailable(format!("Redis did not answer within {:?}", self.options.command_timeout)))
            }
        }
    }
}
