//! The write-time check of a webhook URL a tenant saves: refuse early, with a message the tenant
//! can act on, what the transport would refuse at send time anyway.
//!
//! Names are only checked for the obviously local (`localhost`, single labels): what a name
//! resolves to can change after it is saved, so the transport checks resolved addresses again
//! on every send.

use application::ports::WebhookUrlPolicy;
use reqwest::Url;

use super::address_guard::{is_public, literal_ip};

/// Longer URLs are refused: nothing legitimate needs more, and they are stored and shown.
pub const MAX_URL_LENGTH: usize = 2048;

const NOT_PUBLIC: &str = "the webhook URL must point at a public address";

/// `allow_private` is the operator's opt-in for development and on-premises setups: plain http
/// and private, loopback or single-label hosts are then accepted. URLs with credentials or
/// without a host are refused either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UrlPolicy {
    pub allow_private: bool,
}

impl UrlPolicy {
    /// https to public hosts only: the production setting.
    pub fn public_only() -> Self {
        Self { allow_private: false }
    }

    /// Also http, and private, loopback and single-label hosts.
    pub fn allowing_private() -> Self {
        Self { allow_private: true }
    }
}

impl WebhookUrlPolicy for UrlPolicy {
    fn check(&self, url: &str) -> Result<(), String> {
        if url.len() > MAX_URL_LENGTH {
            return Err(format!("the webhook URL must not be longer than {MAX_URL_LENGTH} characters"));
        }
        let parsed = Url::parse(url).map_err(|_| "the webhook URL is not a valid URL".to_owned())?;
        match parsed.scheme() {
            "https" => {}
            "http" if self.allow_private => {}
            _ => return Err("the webhook URL must start with https://".to_owned()),
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err("the webhook URL must not contain a user name or password".to_owned());
        }
        let host = parsed.host_str().ok_or_else(|| "the webhook URL must name a host".to_owned())?;
        if self.allow_private {
            return Ok(());
        }
        let public = match literal_ip(&parsed) {
            Some(ip) => is_public(ip),
            None => !is_local_name(host),
        };
        if public { Ok(()) } else { Err(NOT_PUBLIC.to_owned()) }
    }
}

/// `localhost`, `*.localhost` (RFC 6761 reserves them for loopback) and single-label names,
/// which only a local search domain or hosts file can resolve.
fn is_local_name(name: &str) -> bool {
    // The URL parser has lowercased the name; a trailing dot names the same host.
    let name = name.strip_suffix('.').unwrap_or(name);
    name == "localhost" || name.ends_with(".localhost") || !name.contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(policy: UrlPolicy, url: &str) -> String {
        policy.check(url).expect_err(url)
    }

    #[test]
    fn private_and_local_targets_are_refused_without_the_opt_in() {
        let refused = [
            "https://127.0.0.1",
            "https://10.0.0.5",
            "https://169.254.169.254",
            "https://169.254.169.254/latest/meta-data/",
            "https://localhost",
            "https://LOCALHOST./x",
            "https://api.localhost/x",
            "https://[::1]/x",
            "https://[::ffff:10.0.0.1]",
            "https://intranet/hooks",
            // The URL parser reads these as IPv4 127.0.0.1, as browsers do.
            "https://0x7f.1/",
            "https://2130706433/",
        ];
        for url in refused {
            assert_eq!(refusal(UrlPolicy::public_only(), url), NOT_PUBLIC, "{url}");
        }
    }

    #[test]
    fn plain_http_is_refused_without_the_opt_in_even_to_a_public_host() {
        assert!(refusal(UrlPolicy::public_only(), "http://127.0.0.1").contains("https"));
        assert!(refusal(UrlPolicy::public_only(), "http://hooks.example.com/oms").contains("https"));
    }

    #[test]
    fn a_public_https_url_is_accepted() {
        UrlPolicy::public_only().check("https://hooks.example.com/oms").expect("accepted");
        UrlPolicy::public_only().check("https://hooks.example.com:8443/oms?tenant=a").expect("accepted");
        UrlPolicy::public_only().check("https://8.8.8.8/hook").expect("accepted");
    }

    #[test]
    fn the_opt_in_accepts_private_and_plain_http_targets() {
        for url in ["http://127.0.0.1:9/x", "http://localhost:8080/hook", "https://10.0.0.5", "http://receiver/x"] {
            UrlPolicy::allowing_private().check(url).expect(url);
        }
    }

    #[test]
    fn malformed_urls_are_refused_whatever_the_opt_in() {
        for policy in [UrlPolicy::public_only(), UrlPolicy::allowing_private()] {
            assert!(refusal(policy, "not a url").contains("not a valid URL"));
            assert!(refusal(policy, "ftp://hooks.example.com/x").contains("https"));
            assert!(refusal(policy, "https://user:pass@hooks.example.com/x").contains("user name or password"));
            assert!(refusal(policy, "https://user@hooks.example.com/x").contains("user name or password"));
            let long = format!("https://hooks.example.com/{}", "a".repeat(MAX_URL_LENGTH));
            assert!(refusal(policy, &long).contains("longer than 2048"));
        }
    }
}
