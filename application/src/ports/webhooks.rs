//! Sending one outbound webhook attempt, and the rule for the URLs a tenant may save.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// One HTTP attempt of a delivery, signed the Standard Webhooks way by the transport.
#[derive(Debug, Clone)]
pub struct WebhookMessage {
    pub url: String,
    /// The tenant's signing secret, `whsec_` + base64 of the key bytes. Never logged.
    pub secret: String,
    /// `webhook-id`: the event id, the same on every retry and redelivery.
    pub id: String,
    /// `webhook-timestamp` (seconds): the time of this attempt.
    pub timestamp: DateTime<Utc>,
    /// The event envelope, JSON text, sent as is.
    pub body: String,
}

/// What one attempt came to. A transport never fails: every outcome is data to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptOutcome {
    /// The HTTP status, when an answer came.
    pub status: Option<u16>,
    pub latency: Duration,
    /// At most the first 1 KiB of the answer's body (lossy UTF-8), or why no answer came.
    pub response_excerpt: String,
    /// The receiver's `Retry-After`, when it sent one (seconds or an HTTP date).
    pub retry_after: Option<Duration>,
    pub failure: Option<AttemptFailure>,
}

impl AttemptOutcome {
    pub fn succeeded(&self) -> bool {
        self.failure.is_none() && self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptFailure {
    /// No answer within the timeout (10 s).
    Timeout,
    /// DNS, TCP or TLS failed.
    Connect(String),
    /// The target resolved to a loopback, private, link-local or otherwise non-public address
    /// and private targets are not allowed: nothing was sent.
    AddressRefused(String),
    /// An answer came but was not 2xx.
    Status(u16),
}

#[async_trait]
pub trait WebhookTransport: Send + Sync {
    async fn send(&self, message: &WebhookMessage) -> AttemptOutcome;
}

/// The write-time check of an outbound webhook URL (the send-time check is the transport's).
pub trait WebhookUrlPolicy: Send + Sync {
    /// `Err` carries a message fit for the tenant (it names no internal detail).
    fn check(&self, url: &str) -> Result<(), String>;
}

/// When a failed delivery is tried again (the schedule, with its jitter, is the adapter's).
pub trait RetrySchedule: Send + Sync {
    /// The wait before the next attempt after `attempts_made` attempts, the receiver's
    /// `Retry-After` considered; `None` when the schedule has run out.
    fn next_retry_delay(&self, attempts_made: u32, retry_after: Option<Duration>) -> Option<Duration>;

    /// An endpoint failing without a single success for this long is disabled.
    fn disable_after(&self) -> Duration;
}
