//! Keeps the Redis password out of every error and log line: the URL is shown with its
//! password replaced, and error texts (which a driver may build from the URL) are scrubbed of
//! it.

use std::fmt::Display;
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

const HIDDEN: &str = "***";

/// The URL with the password (or, without a `user:` prefix, the whole user part, which some
/// write as a bare password) replaced by `***`.
pub(super) fn redact_url(url: &str) -> String {
    match user_info(url) {
        Some((start, end)) => {
            let info = &url[start..end];
            let shown = match info.split_once(':') {
                Some((user, _)) => format!("{user}:{HIDDEN}"),
                None => HIDDEN.to_owned(),
            };
            format!("{}{shown}{}", &url[..start], &url[end..])
        }
        None => url.to_owned(),
    }
}

/// Byte range of the `user:password` part: after `scheme://`, before the last `@` of the
/// authority (a password may itself hold an `@`).
fn user_info(url: &str) -> Option<(usize, usize)> {
    let start = url.find("://")? + 3;
    let rest = &url[start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let at = rest[..authority_end].rfind('@')?;
    Some((start, start + at))
}

/// Scrubs known secrets out of error texts.
#[derive(Clone, Default)]
pub(super) struct Redactor {
    secrets: Arc<Vec<SecretString>>,
}

impl Redactor {
    /// Knows the URL's password as written (maybe percent-encoded) and as the driver decoded
    /// it, since either may appear in a message.
    pub(super) fn for_url(url: &str, decoded_password: Option<&str>) -> Redactor {
        let mut secrets: Vec<String> = Vec::new();
        if let Some((start, end)) = user_info(url) {
            let info = &url[start..end];
            secrets.push(info.split_once(':').map_or(info, |(_, password)| password).to_owned());
        }
        secrets.extend(decoded_password.map(str::to_owned));
        secrets.retain(|secret| !secret.is_empty());
        secrets.dedup();
        // Longest first, so a secret that contains another is hidden whole.
        secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
        Redactor { secrets: Arc::new(secrets.into_iter().map(SecretString::from).collect()) }
    }

    /// `error`'s text with every known secret replaced by `***`.
    pub(super) fn text(&self, error: &dyn Display) -> String {
        let mut text = error.to_string();
        for secret in self.secrets.iter() {
            text = text.replace(secret.expose_secret(), HIDDEN);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_replaced_and_the_rest_kept() {
        assert_eq!(redact_url("redis://app:s3cret@cache:6379/0"), "redis://app:***@cache:6379/0");
        assert_eq!(redact_url("rediss://:s3cret@cache:6380"), "rediss://:***@cache:6380");
        assert_eq!(redact_url("redis://s3cret@cache"), "redis://***@cache");
        assert_eq!(redact_url("redis://app:p@ss@cache/1"), "redis://app:***@cache/1");
        assert_eq!(redact_url("redis://cache:6379/0?x=a@b"), "redis://cache:6379/0?x=a@b");
        assert_eq!(redact_url("redis://127.0.0.1"), "redis://127.0.0.1");
    }

    #[test]
    fn error_texts_lose_both_spellings_of_the_password() {
        let redactor = Redactor::for_url("redis://app:p%40ss@cache", Some("p@ss"));
        let text = redactor.text(&"failed for redis://app:p%40ss@cache with p@ss");
        assert_eq!(text, "failed for redis://app:***@cache with ***");
    }
}
