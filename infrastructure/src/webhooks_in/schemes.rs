//! The signature schemes of inbound webhooks, as pure functions over headers and bytes. Every
//! comparison of a signature is constant-time (`Mac::verify_slice`), and a refusal says which
//! header was wrong, never what was expected.

use base64::{Engine as _, engine::general_purpose::STANDARD as BASE64};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use application::ports::DeliveryHeaders;

type HmacSha256 = Hmac<Sha256>;

/// The longest `webhook-id` accepted: it becomes a stored key.
const MAX_WEBHOOK_ID: usize = 256;

/// `provider` in a webhook's config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`.
    Standard,
    /// The seed's: `X-Wss-Timestamp` and `X-Wss-Signature` (hex HMAC of the body).
    Wss,
    /// EasyPost's: `X-Hmac-Signature: hmac-sha256-hex=<hex HMAC of the body>`, no timestamp.
    EasyPost,
}

impl Scheme {
    pub const NAMES: [&str; 3] = ["standard", "wss", "easypost"];

    pub fn parse(name: &str) -> Option<Scheme> {
        match name {
            "standard" => Some(Scheme::Standard),
            "wss" => Some(Scheme::Wss),
            "easypost" => Some(Scheme::EasyPost),
            _ => None,
        }
    }

    /// The HMAC key a secret stands for in this scheme. `Err` when a Standard Webhooks secret
    /// says it is `whsec_` + base64 and is not (the message names no part of it).
    pub fn key(&self, secret: &str) -> Result<Vec<u8>, &'static str> {
        match self {
            Scheme::Standard => match secret.strip_prefix("whsec_") {
                Some(encoded) => match BASE64.decode(encoded) {
                    Ok(key) if !key.is_empty() => Ok(key),
                    _ => Err("a whsec_ secret must be followed by base64 of the key"),
                },
                None => Ok(secret.as_bytes().to_vec()),
            },
            Scheme::Wss => Ok(secret.as_bytes().to_vec()),
            // EasyPost normalises the secret before keying the HMAC with it.
            Scheme::EasyPost => Ok(secret.nfkd().collect::<String>().into_bytes()),
        }
    }

    /// Verifies a delivery; returns the key it is remembered by: `id:` + its `webhook-id`, or
    /// `sha256:` + the body's hash for schemes without an id.
    pub fn verify(
        &self,
        key: &[u8],
        max_age_seconds: u64,
        headers: &DeliveryHeaders,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<String, &'static str> {
        match self {
            Scheme::Standard => {
                let id = headers.get("webhook-id").filter(|id| !id.is_empty()).ok_or("webhook-id is missing")?;
                if id.len() > MAX_WEBHOOK_ID {
                    return Err("webhook-id is too long");
                }
                let timestamp = headers.get("webhook-timestamp").ok_or("webhook-timestamp is missing")?;
                let seconds = fresh(timestamp, max_age_seconds, now, "webhook-timestamp")?;
                let signatures = headers.get("webhook-signature").ok_or("webhook-signature is missing")?;
                let expected = mac(key, &[id.as_bytes(), b".", seconds.to_string().as_bytes(), b".", body]);
                let any_valid = signatures
                    .split(' ')
                    .filter_map(|entry| entry.strip_prefix("v1,"))
                    .filter_map(|encoded| BASE64.decode(encoded).ok())
                    .any(|candidate| expected.clone().verify_slice(&candidate).is_ok());
                if !any_valid {
                    return Err("no webhook-signature matches the body");
                }
                Ok(format!("id:{id}"))
            }
            Scheme::Wss => {
                let timestamp = headers.get("x-wss-timestamp").ok_or("X-Wss-Timestamp is missing")?;
                fresh(timestamp, max_age_seconds, now, "X-Wss-Timestamp")?;
                let signature = headers.get("x-wss-signature").ok_or("X-Wss-Signature is missing")?;
                check_hex(key, body, signature, "X-Wss-Signature does not match the body")?;
                Ok(body_key(body))
            }
            Scheme::EasyPost => {
                let header = headers.get("x-hmac-signature").ok_or("X-Hmac-Signature is missing")?;
                let signature = header
                    .trim()
                    .strip_prefix("hmac-sha256-hex=")
                    .ok_or("X-Hmac-Signature is not hmac-sha256-hex=<hex>")?;
                check_hex(key, body, signature, "X-Hmac-Signature does not match the body")?;
                Ok(body_key(body))
            }
        }
    }
}

/// The timestamp as seconds, if within `max_age_seconds` of `now` either way.
fn fresh(timestamp: &str, max_age_seconds: u64, now: DateTime<Utc>, header: &'static str) -> Result<i64, &'static str> {
    let seconds: i64 = timestamp.trim().parse().map_err(|_| match header {
        "webhook-timestamp" => "webhook-timestamp is not a number of seconds",
        _ => "X-Wss-Timestamp is not a number of seconds",
    })?;
    if now.timestamp().abs_diff(seconds) > max_age_seconds {
        return Err(match header {
            "webhook-timestamp" => "webhook-timestamp is too old or in the future",
            _ => "X-Wss-Timestamp is too old or in the future",
        });
    }
    Ok(seconds)
}

fn check_hex(key: &[u8], body: &[u8], signature: &str, refusal: &'static str) -> Result<(), &'static str> {
    let candidate = hex::decode(signature.trim()).map_err(|_| refusal)?;
    mac(key, &[body]).verify_slice(&candidate).map_err(|_| refusal)
}

fn body_key(body: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(body)))
}

fn mac(key: &[u8], parts: &[&[u8]]) -> HmacSha256 {
    // HMAC takes keys of any length, so this cannot fail; the fallback keeps it panic-free.
    let mut mac = HmacSha256::new_from_slice(key).unwrap_or_else(|_| HmacSha256::new(&Default::default()));
    for part in parts {
        mac.update(part);
    }
    mac
}

/// `webhook-signature` for a Standard Webhooks delivery (a partner's side; used by tests).
pub fn sign_standard(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, &'static str> {
    let key = Scheme::Standard.key(secret)?;
    let tag = mac(&key, &[id.as_bytes(), b".", timestamp.to_string().as_bytes(), b".", body]).finalize();
    Ok(format!("v1,{}", BASE64.encode(tag.into_bytes())))
}

/// `X-Wss-Signature` for a body.
pub fn sign_wss(secret: &str, body: &[u8]) -> String {
    hex::encode(mac(secret.as_bytes(), &[body]).finalize().into_bytes())
}

/// `X-Hmac-Signature` for a body, as EasyPost sends it.
pub fn sign_easypost(secret: &str, body: &[u8]) -> String {
    let key = secret.nfkd().collect::<String>();
    format!("hmac-sha256-hex={}", hex::encode(mac(key.as_bytes(), &[body]).finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    const BODY: &[u8] = br#"{"test": 2432232314}"#;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(seconds, 0).single().expect("valid time")
    }

    fn headers(pairs: &[(&str, &str)]) -> DeliveryHeaders {
        DeliveryHeaders::new(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())))
    }

    #[test]
    fn standard_reproduces_the_published_test_vector_and_accepts_any_valid_signature() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let signature = sign_standard(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, BODY).unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let key = Scheme::Standard.key(secret).unwrap();
        let several = format!("v1,bm9wZQ== v2,whatever {signature}");
        let h = headers(&[
            ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
            ("webhook-timestamp", "1614265330"),
            ("webhook-signature", &several),
        ]);
        assert_eq!(
            Scheme::Standard.verify(&key, 300, &h, BODY, at(1_614_265_330 + 300)),
            Ok("id:msg_p5jXN8AQM9LWM0D4loKWxJek".to_owned())
        );
        assert!(Scheme::Standard.verify(&key, 300, &h, BODY, at(1_614_265_330 + 301)).is_err(), "stale");
        assert!(Scheme::Standard.verify(&key, 300, &h, BODY, at(1_614_265_330 - 301)).is_err(), "future");
        assert!(Scheme::Standard.verify(&key, 300, &h, b"{}", at(1_614_265_330)).is_err(), "other body");
    }

    #[test]
    fn a_standard_secret_without_the_prefix_keys_with_its_bytes() {
        assert_eq!(Scheme::Standard.key("plain-secret").unwrap(), b"plain-secret");
        assert!(Scheme::Standard.key("whsec_not base64!").is_err());
    }

    #[test]
    fn wss_signs_the_body_in_hex_within_the_time_window() {
        let key = Scheme::Wss.key("s3cret").unwrap();
        let signature = sign_wss("s3cret", BODY);
        let h = headers(&[("x-wss-timestamp", "1000"), ("x-wss-signature", &signature)]);
        let key_of_body = Scheme::Wss.verify(&key, 60, &h, BODY, at(1030)).unwrap();
        assert!(key_of_body.starts_with("sha256:"));
        assert!(Scheme::Wss.verify(&key, 60, &h, BODY, at(1061)).is_err());
        let wrong = headers(&[("x-wss-timestamp", "1000"), ("x-wss-signature", &sign_wss("other", BODY))]);
        assert!(Scheme::Wss.verify(&key, 60, &wrong, BODY, at(1000)).is_err());
    }

    #[test]
    fn easypost_normalises_the_secret_and_needs_no_timestamp() {
        // U+FB01 (ﬁ) decomposes to "fi" under NFKD.
        let key = Scheme::EasyPost.key("\u{fb01}ne").unwrap();
        assert_eq!(key, b"fine");
        let h = headers(&[("x-hmac-signature", &sign_easypost("fine", BODY))]);
        assert!(Scheme::EasyPost.verify(&key, 300, &h, BODY, at(0)).is_ok());
        let bare = headers(&[("x-hmac-signature", &sign_easypost("fine", BODY)["hmac-sha256-hex=".len()..])]);
        assert!(Scheme::EasyPost.verify(&key, 300, &bare, BODY, at(0)).is_err());
    }
}
