//! A client's `X-Request-Id` is kept only when it is a plain token of at most 128 characters of
//! `[A-Za-z0-9._-]`; anything else is dropped here, so the layer after this one generates a
//! fresh id. The id is echoed in the answer and written into every log line and audit record of
//! the request: a 5,000-character or multi-line id would be amplified into all of them.

use axum::{extract::Request, http::HeaderValue};

use super::REQUEST_ID;

pub(crate) const MAX_REQUEST_ID_LEN: usize = 128;

fn acceptable(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_REQUEST_ID_LEN
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

pub(crate) async fn drop_unacceptable_request_id(mut request: Request) -> Request {
    let headers = request.headers_mut();
    // Several ids, or one that is not a plain token, are all replaced.
    let keep = headers.get_all(&REQUEST_ID).iter().count() == 1 && headers.get(&REQUEST_ID).is_some_and(acceptable);
    if !keep {
        headers.remove(&REQUEST_ID);
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_tokens_are_acceptable() {
        for ok in ["req-123", "a.b_c-D9", &"x".repeat(128)] {
            assert!(acceptable(&HeaderValue::from_str(ok).unwrap()), "{ok}");
        }
        for bad in ["", "has space", "semi;colon", "ünï", &"x".repeat(129)] {
            let Ok(value) = HeaderValue::from_str(bad) else { continue };
            assert!(!acceptable(&value), "{bad}");
        }
    }
}
