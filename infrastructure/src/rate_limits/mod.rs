//! Request rates counted in Redis, shared by every instance of a deployment (`--redis-url`):
//! a plan's `requests_per_minute` then holds for the fleet, not per process.
//!
//! Layout: `redis_store` (the `RateLimitStore`: one script call per request), `outage` (what is
//! decided while Redis does not answer: fail open for a while, then count in this process),
//! `local` (that per-process count).

mod local;
mod outage;
mod redis_store;
#[cfg(test)]
mod tests;

pub use redis_store::{RateLimitSettings, RedisRateLimits};
