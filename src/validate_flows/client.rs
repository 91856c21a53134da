//! The GraphQL client `validate-flows` drives the server with: one bearer token, one tenant,
//! plain HTTP POSTs. Every failure comes back as a sentence fit for the report (never the token).

use std::time::Duration;

use serde_json::{Value, json};

/// How long one call may take before the step fails.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Api {
    http: reqwest::Client,
    url: String,
    tenant: String,
    token: String,
}

/// What a mutation answered: its payload, or the business refusal in `userErrors`.
pub enum Answer {
    Done(Value),
    Refused { code: String, field: String, message: String },
}

impl Api {
    /// `url` is the server's base URL or its `/graphql` endpoint.
    pub fn new(url: &str, tenant: &str, token: &str) -> Result<Self, String> {
        let url = url.trim_end_matches('/');
        let url = if url.ends_with("/graphql") { url.to_owned() } else { format!("{url}/graphql") };
        reqwest::Url::parse(&url).map_err(|e| format!("--url is not a URL: {e}"))?;
        let http = reqwest::Client::builder()
            .timeout(CALL_TIMEOUT)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self { http, url, tenant: tenant.to_owned(), token: token.to_owned() })
    }

    /// Runs a document; `data`, or why there is none (HTTP status, top-level error code).
    pub async fn run(&self, document: &str, variables: Value) -> Result<Value, String> {
        let response = self
            .http
            .post(&self.url)
            .bearer_auth(&self.token)
            .header("x-tenant-id", &self.tenant)
            .json(&json!({ "query": document, "variables": variables }))
            .send()
            .await
            .map_err(|e| format!("request failed: {}", e.without_url()))?;
        let status = response.status();
        let body: Value =
            response.json().await.map_err(|_| format!("HTTP {}: the answer is not JSON", status.as_u16()))?;
        if let Some(error) = body["errors"].as_array().and_then(|errors| errors.first()) {
            let code = error["extensions"]["code"].as_str().unwrap_or("no code");
            let message = error["message"].as_str().unwrap_or("");
            return Err(format!("{code}: {message}"));
        }
        if !status.is_success() {
            return Err(format!("HTTP {}", status.as_u16()));
        }
        Ok(body["data"].clone())
    }

    /// Runs `mutation(input: $input)` with `selection`, returning its payload or its refusal.
    pub async fn mutate(
        &self,
        mutation: &str,
        input_type: &str,
        selection: &str,
        input: Value,
    ) -> Result<Answer, String> {
        let document = format!(
            "mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ {selection} userErrors {{ code field message }} }} }}"
        );
        let data = self.run(&document, json!({ "input": input })).await?;
        let payload = data[mutation].clone();
        match payload["userErrors"].as_array().and_then(|errors| errors.first()) {
            Some(error) => Ok(Answer::Refused {
                code: error["code"].as_str().unwrap_or("").to_owned(),
                field: error["field"]
                    .as_array()
                    .map(|path| path.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("."))
                    .unwrap_or_default(),
                message: error["message"].as_str().unwrap_or("").to_owned(),
            }),
            None => Ok(Answer::Done(payload)),
        }
    }

    /// Like [`Api::mutate`], a refusal being a failure.
    pub async fn mutate_ok(
        &self,
        mutation: &str,
        input_type: &str,
        selection: &str,
        input: Value,
    ) -> Result<Value, String> {
        match self.mutate(mutation, input_type, selection, input).await? {
            Answer::Done(payload) => Ok(payload),
            Answer::Refused { code, field, message } => Err(refusal(&code, &field, &message)),
        }
    }
}

pub fn refusal(code: &str, field: &str, message: &str) -> String {
    if field.is_empty() { format!("{code}: {message}") } else { format!("{code} at {field}: {message}") }
}
