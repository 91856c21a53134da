//! What we keep of a receiver's answer: the start of its body and its `Retry-After`.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// How much of an answer's body an attempt records.
pub const EXCERPT_BYTES: usize = 1024;

/// The first `EXCERPT_BYTES` of the body, as text (lossy UTF-8). Reads no further than that: a
/// receiver answering with gigabytes costs us one kilobyte. A body cut short by a failed read
/// still yields what came.
pub(super) async fn body_excerpt(response: &mut reqwest::Response) -> String {
    let mut head = Vec::with_capacity(EXCERPT_BYTES);
    while head.len() < EXCERPT_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let wanted = chunk.len().min(EXCERPT_BYTES - head.len());
                head.extend_from_slice(&chunk[..wanted]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    String::from_utf8_lossy(without_split_character(&head)).into_owned()
}

/// `bytes` without a trailing character the cut split in two, which would show as `�`.
fn without_split_character(bytes: &[u8]) -> &[u8] {
    let tail_start = bytes.len().saturating_sub(3);
    // The first byte of the last character, when it lies within the last three bytes
    // (continuation bytes are 0b10xx_xxxx).
    let Some(lead) = (tail_start..bytes.len()).rev().find(|&i| bytes[i] & 0xC0 != 0x80) else {
        return bytes;
    };
    match std::str::from_utf8(&bytes[lead..]) {
        // `error_len() == None`: the sequence is not wrong, only unfinished.
        Err(error) if error.error_len().is_none() => &bytes[..lead],
        _ => bytes,
    }
}

/// A `Retry-After` value: delta seconds, or an HTTP date (a date already past means now).
/// Anything else is ignored, as if the header were absent.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse().ok().map(Duration::from_secs);
    }
    // HTTP dates (`Sun, 06 Nov 1994 08:49:37 GMT`) are a profile of RFC 2822 dates.
    let at = DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).single().expect("valid date")
    }

    #[test]
    fn retry_after_in_seconds() {
        assert_eq!(parse_retry_after("120", now()), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after(" 0 ", now()), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_as_an_http_date() {
        assert_eq!(parse_retry_after("Mon, 02 Mar 2026 12:05:00 GMT", now()), Some(Duration::from_secs(300)));
        assert_eq!(parse_retry_after("Mon, 02 Mar 2026 11:00:00 GMT", now()), Some(Duration::ZERO));
    }

    #[test]
    fn malformed_retry_after_is_ignored() {
        for value in ["", "-5", "soon", "1.5", "99999999999999999999999", "2026-03-02T12:05:00Z"] {
            assert_eq!(parse_retry_after(value, now()), None, "{value:?}");
        }
    }

    #[test]
    fn a_character_split_by_the_cut_is_dropped_and_whole_ones_kept() {
        // a: byte 0, é: 1..3, €: 3..6, 😀: 6..10.
        let text = "aé€😀".as_bytes();
        for (cut, kept) in [(10, 10), (9, 6), (8, 6), (7, 6), (6, 6), (5, 3), (4, 3), (3, 3), (2, 1), (1, 1), (0, 0)] {
            assert_eq!(without_split_character(&text[..cut]), &text[..kept], "cut at {cut}");
        }
    }
}
