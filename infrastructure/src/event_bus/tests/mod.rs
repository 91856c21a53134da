//! Contract tests of the Redis Streams event bus, against a real Redis: `TEST_REDIS_URL`, or
//! `redis://127.0.0.1:6379` when unset (Redis runs on every dev and CI machine). An unreachable
//! Redis fails the tests; it never skips them. Each test uses streams of its own and deletes
//! them at the end. The outage test runs a `redis-server` of its own. `inbound` covers the
//! tenants' inbound `add_order` streams.

mod consumers;
mod dead_letters;
mod fixtures;
mod harness;
mod inbound;
mod live_feed;
mod outage;
mod publishing;
mod redelivery;
mod shutdown;
