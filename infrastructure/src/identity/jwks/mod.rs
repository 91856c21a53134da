//! Signing keys published by IdPs as JWK sets, cached per URI.
//!
//! A cached set is served as long as it is younger than `max_staleness`; past `refresh_after` it
//! is refreshed in the background (one refresh per URI at a time) while requests go on being
//! served from it. A token naming a key we have not seen (rotation) forces a refetch, at most
//! once per `min_refetch_interval` per URI, so forged `kid`s cannot make us flood the IdP.

mod cache;
mod fetch;
mod key_set;
mod settings;

pub(super) use cache::JwksCache;
#[cfg(test)]
pub(super) use cache::Now;
pub use fetch::http_client;
pub use settings::JwksSettings;
