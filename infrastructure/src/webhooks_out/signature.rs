//! Standard Webhooks signatures (<https://www.standardwebhooks.com>): HMAC-SHA256 over
//! `"{webhook-id}.{webhook-timestamp}.{body}"`, sent as `webhook-signature: v1,<base64>`.
//!
//! Following the standard exactly is the point: a receiver verifies what we send with the
//! library it already has. Signing serves outbound webhooks; `verify` is here for inbound ones.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The prefix of a secret in its shown form, `whsec_` + base64 of the key bytes.
const SECRET_PREFIX: &str = "whsec_";
/// The version tag of the one scheme we sign and accept (symmetric HMAC-SHA256).
const VERSION_PREFIX: &str = "v1,";

/// How far a signed timestamp may be from our clock, either way, before `verify` refuses it:
/// the window in which a captured request could be replayed.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// Deliberately says nothing about the text: it is a secret.
    #[error("the webhook signing secret is not `whsec_` followed by base64")]
    NotBase64,
    #[error("the webhook signing secret is empty")]
    Empty,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("webhook-timestamp is not a number of seconds")]
    MalformedTimestamp,
    #[error("webhook-timestamp is too far from the current time")]
    TimestampOutOfTolerance,
    #[error("no webhook-signature matches the body")]
    NoMatchingSignature,
}

/// The key bytes of a signing secret. Its `Debug` shows nothing of the key.
#[derive(Clone)]
pub struct SigningKey(Vec<u8>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(redacted)")
    }
}

/// The three headers a signed webhook carries, as received.
#[derive(Debug, Clone, Copy)]
pub struct SignedHeaders<'a> {
    pub id: &'a str,
    /// Seconds since the Unix epoch, as text.
    pub timestamp: &'a str,
    /// One or more space-separated `v<n>,<base64>` entries (several while a secret rotates).
    pub signature: &'a str,
}

impl SigningKey {
    /// `whsec_<base64>`, or the bare base64 (as the reference libraries accept it too).
    pub fn parse(secret: &str) -> Result<Self, SecretError> {
        let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
        let key = BASE64.decode(encoded).map_err(|_| SecretError::NotBase64)?;
        if key.is_empty() {
            return Err(SecretError::Empty);
        }
        Ok(Self(key))
    }

    /// The key's length in bytes (never its value).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Never true for a parsed key (`parse` refuses an empty one); here for completeness.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The `webhook-signature` header value: `v1,<base64 of the HMAC>`.
    pub fn sign(&self, id: &str, timestamp_seconds: i64, body: &[u8]) -> String {
        let tag = self.mac(id, &timestamp_seconds.to_string(), body).finalize().into_bytes();
        format!("{VERSION_PREFIX}{}", BASE64.encode(tag))
    }

    /// Accepts when the timestamp is within `tolerance` of `now` and any `v1` entry of the
    /// signature header matches. Entries of other versions, and entries that are not base64,
    /// are skipped rather than refused: a sender may add schemes we do not know.
    pub fn verify(
        &self,
        headers: &SignedHeaders<'_>,
        body: &[u8],
        now: DateTime<Utc>,
        tolerance: Duration,
    ) -> Result<(), VerifyError> {
        let timestamp: i64 = headers.timestamp.trim().parse().map_err(|_| VerifyError::MalformedTimestamp)?;
        if now.timestamp().abs_diff(timestamp) > tolerance.as_secs() {
            return Err(VerifyError::TimestampOutOfTolerance);
        }
        let expected = self.mac(headers.id, &timestamp.to_string(), body);
        let matches = headers
            .signature
            .split(' ')
            .filter_map(|entry| entry.strip_prefix(VERSION_PREFIX))
            .filter_map(|encoded| BASE64.decode(encoded).ok())
            // `verify_slice` compares in constant time: no timing hint about the right tag.
            .any(|candidate| expected.clone().verify_slice(&candidate).is_ok());
        if matches { Ok(()) } else { Err(VerifyError::NoMatchingSignature) }
    }

    fn mac(&self, id: &str, timestamp: &str, body: &[u8]) -> HmacSha256 {
        // HMAC takes keys of any length, so this cannot fail; the fallback keeps it panic-free.
        let mut mac = HmacSha256::new_from_slice(&self.0).unwrap_or_else(|_| HmacSha256::new(&Default::default()));
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }
}

/// `SigningKey::parse` then `sign`, for a caller holding the secret's text.
pub fn sign(secret: &str, id: &str, timestamp_seconds: i64, body: &[u8]) -> Result<String, SecretError> {
    Ok(SigningKey::parse(secret)?.sign(id, timestamp_seconds, body))
}

/// `SigningKey::parse` then `verify`, for a caller holding the secret's text.
pub fn verify(
    secret: &str,
    headers: &SignedHeaders<'_>,
    body: &[u8],
    now: DateTime<Utc>,
    tolerance: Duration,
) -> Result<(), VerifyError> {
    SigningKey::parse(secret)?.verify(headers, body, now, tolerance)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    // The published Standard Webhooks test vector, reproduced by the reference libraries
    // (e.g. svix-php's `testSignFunctionWorks`) and by `openssl dgst -sha256 -mac HMAC`.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const EXPECTED: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(seconds, 0).single().expect("valid timestamp")
    }

    fn headers(signature: &str) -> SignedHeaders<'_> {
        SignedHeaders { id: ID, timestamp: "1614265330", signature }
    }

    #[test]
    fn signing_reproduces_the_standard_webhooks_test_vector() {
        assert_eq!(sign(SECRET, ID, TIMESTAMP, BODY).expect("valid secret"), EXPECTED);
    }

    #[test]
    fn a_secret_without_the_prefix_is_the_same_key() {
        let bare = SECRET.trim_start_matches("whsec_");
        assert_eq!(sign(bare, ID, TIMESTAMP, BODY).expect("valid secret"), EXPECTED);
    }

    #[test]
    fn secrets_that_are_not_base64_or_empty_are_refused() {
        assert_eq!(SigningKey::parse("whsec_not base64!").unwrap_err(), SecretError::NotBase64);
        assert_eq!(SigningKey::parse("whsec_").unwrap_err(), SecretError::Empty);
    }

    #[test]
    fn secret_errors_and_debug_output_never_show_the_secret() {
        let key = SigningKey::parse(SECRET).expect("valid secret");
        assert!(!format!("{key:?}").contains("MfKQ9r8"));
        let error = SigningKey::parse("whsec_s3cr3t!!").unwrap_err();
        assert!(!error.to_string().contains("s3cr3t"));
    }

    #[test]
    fn verify_accepts_the_test_vector_within_the_tolerance() {
        for now in [TIMESTAMP, TIMESTAMP - 300, TIMESTAMP + 300] {
            verify(SECRET, &headers(EXPECTED), BODY, at(now), DEFAULT_TOLERANCE).expect("accepted");
        }
    }

    #[test]
    fn verify_accepts_any_of_several_signatures_and_skips_unknown_versions() {
        let several = format!("v1,bm9wZQ== v1a,whatever v2,{} {EXPECTED}", "x".repeat(44));
        verify(SECRET, &headers(&several), BODY, at(TIMESTAMP), DEFAULT_TOLERANCE).expect("accepted");
    }

    #[test]
    fn verify_refuses_timestamps_outside_the_tolerance() {
        for now in [TIMESTAMP - 301, TIMESTAMP + 301] {
            assert_eq!(
                verify(SECRET, &headers(EXPECTED), BODY, at(now), DEFAULT_TOLERANCE),
                Err(VerifyError::TimestampOutOfTolerance)
            );
        }
    }

    #[test]
    fn verify_refuses_a_changed_body_id_or_timestamp() {
        let now = at(TIMESTAMP);
        let changed_body = verify(SECRET, &headers(EXPECTED), br#"{"test": 2432232315}"#, now, DEFAULT_TOLERANCE);
        assert_eq!(changed_body, Err(VerifyError::NoMatchingSignature));

        let other_id = SignedHeaders { id: "msg_other", ..headers(EXPECTED) };
        assert_eq!(verify(SECRET, &other_id, BODY, now, DEFAULT_TOLERANCE), Err(VerifyError::NoMatchingSignature));

        let other_time = SignedHeaders { timestamp: "1614265331", ..headers(EXPECTED) };
        assert_eq!(verify(SECRET, &other_time, BODY, now, DEFAULT_TOLERANCE), Err(VerifyError::NoMatchingSignature));
    }

    #[test]
    fn verify_refuses_a_missing_signature_and_a_malformed_timestamp() {
        let now = at(TIMESTAMP);
        assert_eq!(verify(SECRET, &headers(""), BODY, now, DEFAULT_TOLERANCE), Err(VerifyError::NoMatchingSignature));
        let malformed = SignedHeaders { timestamp: "yesterday", ..headers(EXPECTED) };
        assert_eq!(verify(SECRET, &malformed, BODY, now, DEFAULT_TOLERANCE), Err(VerifyError::MalformedTimestamp));
    }

    #[test]
    fn verify_refuses_a_signature_made_with_another_secret() {
        let other = format!("whsec_{}", BASE64.encode(b"another key entirely"));
        let signed_by_other = sign(&other, ID, TIMESTAMP, BODY).expect("valid secret");
        assert_eq!(
            verify(SECRET, &headers(&signed_by_other), BODY, at(TIMESTAMP), DEFAULT_TOLERANCE),
            Err(VerifyError::NoMatchingSignature)
        );
    }
}
