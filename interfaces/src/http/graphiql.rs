//! GraphiQL on `GET /graphql`, from assets compiled into the binary (see
//! `interfaces/assets/graphiql/README.md`): the page names no other host, so it works offline,
//! and a Content-Security-Policy tells the browser to load nothing from anywhere else either.

use std::fmt;

use axum::{
    extract::Path,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

/// Part of every asset URL: a new version is a new URL, so the assets can be cached for a year.
pub(crate) const ASSET_VERSION: &str = "graphiql-3.8.3-react-18.3.1";
/// Where the assets are served (`/graphiql-assets/{version}/{file}`).
pub(crate) const ASSET_ROUTE: &str = "/graphiql-assets/{version}/{file}";

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "react.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/graphiql/react.production.min.js"),
    },
    Asset {
        name: "react-dom.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    },
    Asset {
        name: "graphiql.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/graphiql/graphiql.min.js"),
    },
    Asset {
        name: "graphiql.min.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/graphiql/graphiql.min.css"),
    },
    Asset {
        name: "init.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/graphiql/init.js"),
    },
];

/// A bearer token GraphiQL's headers editor starts with (the demo's own). Never printed by
/// `Debug`, since the HTTP config is.
#[derive(Clone)]
pub struct GraphiqlToken(pub String);

impl fmt::Debug for GraphiqlToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GraphiqlToken([REDACTED])")
    }
}

/// Scripts and styles from this server only; requests to this server only. Inline styles are
/// allowed because GraphiQL's components set style attributes.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The page. With a token, the headers editor starts with its `Authorization` header.
pub(crate) fn page(token: Option<&GraphiqlToken>) -> Response {
    let headers = token
        .map(|t| serde_json::json!({ "Authorization": format!("Bearer {}", t.0) }))
        .map(|h| serde_json::to_string_pretty(&h).unwrap_or_default())
        .unwrap_or_default();
    let base = format!("/graphiql-assets/{ASSET_VERSION}");
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tenant-oms GraphiQL</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{base}/graphiql.min.css">
<style>body {{ margin: 0; }} #graphiql {{ height: 100vh; }}</style>
</head>
<body>
<div id="graphiql" data-headers="{headers}">Loading GraphiQL…</div>
<script src="{base}/react.production.min.js"></script>
<script src="{base}/react-dom.production.min.js"></script>
<script src="{base}/graphiql.min.js"></script>
<script src="{base}/init.js"></script>
</body>
</html>
"#,
        headers = escape_attribute(&headers),
    );
    let mut response = axum::response::Html(html).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    // The demo's page carries a token: no cache keeps it.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// `GET /graphiql-assets/{version}/{file}`: immutable for a year (the version is in the URL).
pub(crate) async fn asset(Path((version, file)): Path<(String, String)>) -> Response {
    let found = ASSETS.iter().find(|a| a.name == file).filter(|_| version == ASSET_VERSION);
    let Some(asset) = found else { return StatusCode::NOT_FOUND.into_response() };
    (
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        asset.bytes,
    )
        .into_response()
}

fn escape_attribute(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
        String::from_utf8(bytes.to_vec()).expect("utf-8")
    }

    #[tokio::test]
    async fn the_page_names_no_other_host() {
        let html = body(page(Some(&GraphiqlToken("a.b.c".to_owned())))).await;
        assert!(!html.contains("http://") && !html.contains("https://"), "{html}");
        assert!(!html.contains("//cdn") && !html.contains("unpkg") && !html.contains("jsdelivr"), "{html}");
        assert!(
            html.contains("data-headers=\"{\n  &quot;Authorization&quot;: &quot;Bearer a.b.c&quot;\n}\""),
            "{html}"
        );
        for asset in ASSETS {
            assert!(html.contains(&format!("/graphiql-assets/{ASSET_VERSION}/{}", asset.name)), "{}", asset.name);
        }
    }

    #[tokio::test]
    async fn a_header_value_cannot_break_out_of_its_attribute() {
        let html = body(page(Some(&GraphiqlToken("\"><script>alert(1)</script>".to_owned())))).await;
        assert!(!html.contains("<script>alert"), "{html}");
    }

    #[tokio::test]
    async fn assets_are_served_for_their_version_only() {
        let ok = asset(Path((ASSET_VERSION.to_owned(), "graphiql.min.js".to_owned()))).await;
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(ok.headers()[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
        let old = asset(Path(("graphiql-1.0.0".to_owned(), "graphiql.min.js".to_owned()))).await;
        assert_eq!(old.status(), StatusCode::NOT_FOUND);
        let other = asset(Path((ASSET_VERSION.to_owned(), "../Cargo.toml".to_owned()))).await;
        assert_eq!(other.status(), StatusCode::NOT_FOUND);
    }

    #[test]
    fn the_token_is_not_in_debug_output() {
        assert!(!format!("{:?}", GraphiqlToken("secret-token".to_owned())).contains("secret-token"));
    }
}
