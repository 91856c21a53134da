//! Events out: the HTTP transport of outbound webhooks (Standard Webhooks signatures), the
//! guard that keeps tenants' URLs away from our own network, and the retry schedule.

mod address_guard;
mod answer;
mod resolver;
mod schedule;
mod signature;
mod transport;
mod url_policy;

#[cfg(test)]
mod tests;

pub use address_guard::is_public;
pub use answer::{EXCERPT_BYTES, parse_retry_after};
pub use schedule::{
    DISABLE_AFTER, FixedJitter, JitterSource, MAX_ATTEMPTS, MAX_RETRY_AFTER, RandomJitter, StandardRetrySchedule,
    next_retry_delay, status_means_gone,
};
pub use signature::{DEFAULT_TOLERANCE, SecretError, SignedHeaders, SigningKey, VerifyError, sign, verify};
pub use transport::{HttpWebhookTransport, TransportBuildError, TransportSettings};
pub use url_policy::{MAX_URL_LENGTH, UrlPolicy};
