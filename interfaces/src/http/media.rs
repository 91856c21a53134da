//! Media types of GraphQL over HTTP: requests are `application/json` (anything else is 415), and
//! the answer's type follows `Accept`. With `application/graphql-response+json` the status says
//! whether the request ran (a document that cannot be parsed or validated is 400 and carries no
//! `data`); with `application/json`, the legacy type, every well-formed request is answered 200.

use axum::{
    body::Body,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

pub(crate) const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const APPLICATION_JSON: &str = "application/json";

/// The media type the answer is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResponseMedia {
    GraphqlResponseJson,
    Json,
}

impl ResponseMedia {
    /// The client's most preferred of the two (by `q`, then by order); `application/json` when it
    /// names neither, accepts anything, or sends no `Accept` at all.
    pub(crate) fn negotiate(headers: &HeaderMap) -> Self {
        let mut best: Option<(f32, Self)> = None;
        for value in headers.get_all(header::ACCEPT) {
            let Ok(value) = value.to_str() else { continue };
            for range in value.split(',') {
                let mut parts = range.split(';');
                let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
                let q = parts
                    .filter_map(|p| p.trim().strip_prefix("q="))
                    .find_map(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                let candidate = match media.as_str() {
                    GRAPHQL_RESPONSE_JSON => Self::GraphqlResponseJson,
                    APPLICATION_JSON | "application/*" | "*/*" => Self::Json,
                    _ => continue,
                };
                if q > 0.0 && best.is_none_or(|(best_q, _)| q > best_q) {
                    best = Some((q, candidate));
                }
            }
        }
        best.map_or(Self::Json, |(_, media)| media)
    }

    fn content_type(self) -> HeaderValue {
        match self {
            Self::GraphqlResponseJson => HeaderValue::from_static("application/graphql-response+json; charset=utf-8"),
            Self::Json => HeaderValue::from_static("application/json; charset=utf-8"),
        }
    }

    /// The status of a request that failed before execution (parse, validation, variables).
    pub(crate) fn request_error_status(self) -> StatusCode {
        match self {
            Self::GraphqlResponseJson => StatusCode::BAD_REQUEST,
            Self::Json => StatusCode::OK,
        }
    }

    pub(crate) fn respond(self, status: StatusCode, body: Vec<u8>) -> Response {
        let mut response = (status, Body::from(body)).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, self.content_type());
        response
    }
}

/// `application/json`, with or without parameters (`charset=utf-8`); no `Content-Type` at all
/// is refused too: a body of unknown type is not guessed at.
pub(crate) fn is_json_body(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    let charset_ok = parts
        .filter_map(|p| p.trim().split_once('='))
        .filter(|(name, _)| name.trim().eq_ignore_ascii_case("charset"))
        .all(|(_, v)| v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8"));
    essence.eq_ignore_ascii_case(APPLICATION_JSON) && charset_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> ResponseMedia {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        ResponseMedia::negotiate(&headers)
    }

    #[test]
    fn accept_picks_the_preferred_graphql_media_type() {
        assert_eq!(ResponseMedia::negotiate(&HeaderMap::new()), ResponseMedia::Json);
        assert_eq!(accept("application/graphql-response+json"), ResponseMedia::GraphqlResponseJson);
        assert_eq!(accept("application/json"), ResponseMedia::Json);
        assert_eq!(accept("*/*"), ResponseMedia::Json);
        assert_eq!(accept("text/html"), ResponseMedia::Json);
        assert_eq!(
            accept("application/json;q=0.9, application/graphql-response+json"),
            ResponseMedia::GraphqlResponseJson
        );
        assert_eq!(accept("application/graphql-response+json;q=0.5, application/json"), ResponseMedia::Json);
        assert_eq!(accept("application/graphql-response+json, application/json"), ResponseMedia::GraphqlResponseJson);
    }

    #[test]
    fn only_json_bodies_are_read() {
        let with = |ct: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
            is_json_body(&headers)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=UTF-8"));
        assert!(!with("text/plain"));
        assert!(!with("application/json; charset=latin1"));
        assert!(!with("application/x-www-form-urlencoded"));
        assert!(!is_json_body(&HeaderMap::new()));
    }
}
