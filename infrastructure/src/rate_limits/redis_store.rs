//! The tenants' request rates in Redis: a fixed window of one minute per key, by Redis's clock
//! (so instances whose clocks disagree still share one window). Each request is one call of a
//! small script (EVALSHA; loaded once, the client falls back to EVAL when Redis forgot it) that
//! adds the request and undoes it when it goes over the limit, so a refused burst costs the
//! window nothing: one round trip, atomic on the server.

use std::{
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use application::ports::{RateLimitStore, RetryAfter};
use async_trait::async_trait;
use redis::{Script, aio::ConnectionManager};

use super::{
    local::LocalWindows,
    outage::{Mode, Outage},
};

/// KEYS[1] the key's prefix; ARGV: requests, limit. Returns {admitted (1/0), seconds left in
/// the minute}. The window key lives two minutes: long enough for the minute it counts.
const ADMIT: &str = r"
local now = redis.call('TIME')
local minute = math.floor(tonumber(now[1]) / 60)
local left = 60 - (tonumber(now[1]) % 60)
local key = KEYS[1] .. ':' .. minute
local n = tonumber(ARGV[1])
local used = redis.call('INCRBY', key, n)
if used == n then redis.call('EXPIRE', key, 120) end
if used > tonumber(ARGV[2]) then
  redis.call('DECRBY', key, n)
  return {0, left}
end
return {1, left}
";

#[derive(Debug, Clone, Copy)]
pub struct RateLimitSettings {
    /// How long a request waits for Redis before it is decided without it.
    pub call_timeout: Duration,
    /// How long, once Redis stops answering, requests are admitted without counting; after
    /// that, each instance counts its own until Redis answers again.
    pub fail_open_for: Duration,
    /// How often Redis is asked again during an outage.
    pub retry_every: Duration,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            call_timeout: Duration::from_millis(250),
            fail_open_for: Duration::from_secs(60),
            retry_every: Duration::from_secs(1),
        }
    }
}

pub struct RedisRateLimits {
    connection: ConnectionManager,
    script: Arc<Script>,
    /// `{stream}:rate`: deployments sharing one Redis (each with its own stream) count apart.
    prefix: String,
    settings: RateLimitSettings,
    outage: Outage,
    local: LocalWindows,
}

impl RedisRateLimits {
    /// `connection`: a connection manager of its own (a publish of a large batch on the event
    /// bus's connection would hold requests up behind it).
    pub fn new(connection: ConnectionManager, prefix: &str, settings: RateLimitSettings) -> Self {
        Self {
            connection,
            script: Arc::new(Script::new(ADMIT)),
            prefix: format!("{prefix}:rate"),
            settings,
            outage: Outage::default(),
            local: LocalWindows::default(),
        }
    }

    async fn ask_redis(&self, key: &str, limit: u64, n: u64) -> Result<Result<(), RetryAfter>, String> {
        let mut connection = self.connection.clone();
        let mut call = self.script.key(format!("{}:{key}", self.prefix));
        call.arg(n).arg(limit);
        let answer = tokio::time::timeout(self.settings.call_timeout, call.invoke_async::<(i64, i64)>(&mut connection))
            .await
            .map_err(|_| format!("no answer within {} ms", self.settings.call_timeout.as_millis()))?
            // The error's text names no URL or password (the connection is already open).
            .map_err(|e| e.to_string())?;
        Ok(match answer {
            (1, _) => Ok(()),
            (_, left) => Err(RetryAfter(u64::try_from(left).unwrap_or(60).clamp(1, 60))),
        })
    }

    fn decide_without_redis(&self, mode: Mode, key: &str, limit: u64, n: u64) -> Result<(), RetryAfter> {
        match mode {
            Mode::Local => self.local.admit(key, limit, n, now_secs()),
            Mode::FailOpen | Mode::Redis => Ok(()),
        }
    }
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[async_trait]
impl RateLimitStore for RedisRateLimits {
    async fn admit(&self, key: &str, limit: u64, n: u64) -> Result<(), RetryAfter> {
        if n == 0 {
            return Ok(());
        }
        let s = self.settings;
        let mode = self.outage.mode(Instant::now(), s.fail_open_for);
        if mode != Mode::Redis {
            return self.decide_without_redis(mode, key, limit, n);
        }
        match self.ask_redis(key, limit, n).await {
            Ok(decision) => {
                self.outage.answered(Instant::now());
                decision
            }
            Err(why) => {
                let mode = self.outage.failed(Instant::now(), s.fail_open_for, s.retry_every, &why);
                self.decide_without_redis(mode, key, limit, n)
            }
        }
    }
}
