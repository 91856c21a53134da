//! One signed POST of a webhook, over a shared HTTP client that reaches public addresses only.
//!
//! The target is a tenant's URL, so the client is locked down: it follows no redirects (a
//! redirect would lead past the address check), uses no proxy (a proxy would resolve the name
//! itself, past the check), gives up after a timeout, and connects only to addresses its
//! resolver let through (see `resolver`). URLs naming an address literally never reach the
//! resolver and are checked here, before anything is sent.

use std::time::{Duration, Instant};

use application::ports::{AttemptFailure, AttemptOutcome, WebhookMessage, WebhookTransport};
use async_trait::async_trait;
use chrono::Utc;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Url, redirect};

use super::address_guard::{is_public, literal_ip};
use super::answer::{body_excerpt, parse_retry_after};
use super::resolver::{AddressRefused, GuardedResolver};
use super::signature::SigningKey;

const USER_AGENT: &str = concat!("tenant-oms-webhooks/", env!("CARGO_PKG_VERSION"));

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportSettings {
    /// Also send to loopback, private and other non-public addresses: development and
    /// on-premises setups only.
    pub allow_private: bool,
    /// The whole attempt, from connecting to the end of the answer's excerpt.
    pub timeout: Duration,
    pub connect_timeout: Duration,
}

impl Default for TransportSettings {
    fn default() -> Self {
        Self { allow_private: false, timeout: Duration::from_secs(10), connect_timeout: Duration::from_secs(5) }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the webhook HTTP client could not be built")]
pub struct TransportBuildError(#[from] reqwest::Error);

/// Sends webhook attempts; one instance (and so one connection pool) serves every tenant.
#[derive(Debug, Clone)]
pub struct HttpWebhookTransport {
    client: reqwest::Client,
    settings: TransportSettings,
}

/// An answer, whatever its status.
struct Answer {
    status: u16,
    excerpt: String,
    retry_after: Option<Duration>,
}

impl HttpWebhookTransport {
    pub fn new(settings: TransportSettings) -> Result<Self, TransportBuildError> {
        let client = reqwest::Client::builder()
            .redirect(redirect::Policy::none())
            .no_proxy()
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout)
            .dns_resolver(GuardedResolver { allow_private: settings.allow_private })
            .user_agent(USER_AGENT)
            .build()?;
        Ok(Self { client, settings })
    }

    async fn attempt(&self, message: &WebhookMessage) -> Result<Answer, AttemptFailure> {
        let url = Url::parse(&message.url)
            .map_err(|_| AttemptFailure::Connect("the webhook URL is not a valid URL".to_owned()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(AttemptFailure::Connect("the webhook URL is not http or https".to_owned()));
        }
        if !self.settings.allow_private
            && let Some(ip) = literal_ip(&url)
            && !is_public(ip)
        {
            return Err(AttemptFailure::AddressRefused(AddressRefused { host: ip.to_string() }.to_string()));
        }
        // Our own secrets are generated well-formed; a broken one is still only an outcome.
        let key = SigningKey::parse(&message.secret)
            .map_err(|error| AttemptFailure::Connect(format!("nothing was sent: {error}")))?;
        let timestamp = message.timestamp.timestamp();
        let signature = key.sign(&message.id, timestamp, message.body.as_bytes());

        let mut response = self
            .client
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .header("webhook-id", &message.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(message.body.clone())
            .send()
            .await
            .map_err(failure_of)?;

        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, Utc::now()));
        let status = response.status().as_u16();
        let excerpt = body_excerpt(&mut response).await;
        Ok(Answer { status, excerpt, retry_after })
    }

    /// What the attempt record says in place of an answer.
    fn reason(&self, failure: &AttemptFailure) -> String {
        match failure {
            AttemptFailure::Timeout => format!("no answer within {} ms", self.settings.timeout.as_millis()),
            AttemptFailure::Connect(reason) | AttemptFailure::AddressRefused(reason) => reason.clone(),
            AttemptFailure::Status(status) => format!("HTTP {status}"),
        }
    }
}

#[async_trait]
impl WebhookTransport for HttpWebhookTransport {
    async fn send(&self, message: &WebhookMessage) -> AttemptOutcome {
        let started = Instant::now();
        let result = self.attempt(message).await;
        let latency = started.elapsed();
        let outcome = match result {
            Ok(answer) => AttemptOutcome {
                status: Some(answer.status),
                latency,
                response_excerpt: answer.excerpt,
                retry_after: answer.retry_after,
                failure: (!(200..300).contains(&answer.status)).then_some(AttemptFailure::Status(answer.status)),
            },
            Err(failure) => AttemptOutcome {
                status: None,
                latency,
                response_excerpt: self.reason(&failure),
                retry_after: None,
                failure: Some(failure),
            },
        };
        tracing::debug!(
            url = %url_for_logs(&message.url),
            webhook_id = %message.id,
            status = ?outcome.status,
            failure = ?outcome.failure,
            latency_ms = latency.as_millis(),
            "webhook attempt"
        );
        outcome
    }
}

/// Sorts a failed request into the port's kinds. The text names neither the URL (reqwest's
/// `without_url`: query strings may carry tokens) nor the secret (it only ever feeds the HMAC).
fn failure_of(error: reqwest::Error) -> AttemptFailure {
    if let Some(refused) = find_in_chain::<AddressRefused>(&error) {
        return AttemptFailure::AddressRefused(refused.to_string());
    }
    if error.is_timeout() {
        return AttemptFailure::Timeout;
    }
    AttemptFailure::Connect(with_causes(&error.without_url()))
}

fn find_in_chain<'a, E: std::error::Error + 'static>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a E> {
    std::iter::successors(Some(error), |e| e.source()).find_map(|e| e.downcast_ref::<E>())
}

/// "error sending request: client error (Connect): tcp connect error: Connection refused": the
/// top error alone rarely says what went wrong.
fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    std::iter::successors(Some(error), |e| e.source()).map(ToString::to_string).collect::<Vec<_>>().join(": ")
}

/// The URL without query, fragment or credentials, which may carry tokens.
fn url_for_logs(url: &str) -> String {
    let Ok(mut url) = Url::parse(url) else {
        return "(not a URL)".to_owned();
    };
    url.set_query(None);
    url.set_fragment(None);
    // Both fail only for URLs that cannot have credentials, which then have none to strip.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::url_for_logs;

    #[test]
    fn urls_are_logged_without_query_fragment_or_credentials() {
        assert_eq!(
            url_for_logs("https://user:pw@hooks.example.com/oms?token=s3cret#frag"),
            "https://hooks.example.com/oms"
        );
        assert_eq!(url_for_logs("not a url?token=s3cret"), "(not a URL)");
    }
}
