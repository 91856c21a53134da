//! The EasyPost adapter of the carrier port (API v2): `prepare` creates a shipment (EasyPost
//! rates it; nothing is bought), `purchase` buys one rate of it, or reads what was bought.
//!
//! The API key travels only in the `Authorization` header (HTTP Basic, the key as user name)
//! and is never logged: `Debug` hides it, and errors are built from statuses and EasyPost's own
//! error bodies, never from the request. Each exchange has a timeout; a 5xx answer is retried
//! a bounded number of times with a doubling wait, since buying is safe to repeat (EasyPost
//! buys a shipment once; a second buy is refused, and then the shipment is read); a timeout or
//! a refused connection is not retried, the caller's next attempt resumes from the recorded
//! booking.

#[cfg(test)]
mod tests;
mod wire;

use application::ports::{BookingRequest, Carrier, CarrierError, PreparedBooking, PurchasedPostage};
use async_trait::async_trait;
use reqwest::{Method, StatusCode, redirect};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{CarrierClientError, CarrierSettings, EASYPOST};

/// EasyPost's API, when the config names no endpoint.
const DEFAULT_ENDPOINT: &str = "https://api.easypost.com/v2";
const USER_AGENT: &str = concat!("tenant-oms/", env!("CARGO_PKG_VERSION"));

/// The shared client: no redirects (the key is for the configured endpoint only), no cookies.
pub(super) fn http_client(settings: &CarrierSettings) -> Result<reqwest::Client, CarrierClientError> {
    Ok(reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .redirect(redirect::Policy::none())
        .timeout(settings.timeout)
        .connect_timeout(settings.connect_timeout)
        .build()?)
}

/// One tenant's EasyPost account.
pub struct EasyPostCarrier {
    client: reqwest::Client,
    settings: CarrierSettings,
    /// Without a trailing slash: `https://api.easypost.com/v2`.
    endpoint: String,
    api_key: SecretString,
}

impl std::fmt::Debug for EasyPostCarrier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EasyPostCarrier").field("endpoint", &self.endpoint).finish_non_exhaustive()
    }
}

/// An exchange that ended with an answer.
struct Answer {
    status: StatusCode,
    body: String,
}

impl EasyPostCarrier {
    pub fn new(client: reqwest::Client, settings: CarrierSettings, endpoint: Option<&str>, api_key: &str) -> Self {
        let endpoint = endpoint.map(str::trim).filter(|e| !e.is_empty()).unwrap_or(DEFAULT_ENDPOINT);
        Self {
            client,
            settings,
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            api_key: SecretString::from(api_key.to_owned()),
        }
    }

    /// One call: its exchanges, a 5xx retried up to the configured attempts.
    async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Answer, CarrierError> {
        let url = format!("{}{path}", self.endpoint);
        let mut wait = self.settings.backoff;
        let mut attempt = 1;
        loop {
            let mut request =
                self.client.request(method.clone(), &url).basic_auth(self.api_key.expose_secret(), None::<&str>);
            if let Some(body) = body {
                request = request.json(body);
            }
            let answer = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    let body = response.text().await.map_err(|e| unreachable_carrier(path, &e))?;
                    Answer { status, body }
                }
                Err(e) => return Err(unreachable_carrier(path, &e)),
            };
            if !answer.status.is_server_error() || attempt >= self.settings.attempts {
                return Ok(answer);
            }
            tracing::warn!(
                carrier = EASYPOST,
                path,
                status = answer.status.as_u16(),
                attempt,
                "carrier answered 5xx; retrying"
            );
            tokio::time::sleep(wait).await;
            wait = wait.saturating_mul(2);
            attempt += 1;
        }
    }

    /// A call whose 2xx answer is `T`; every other answer is the port's error.
    async fn exchange<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, CarrierError> {
        let answer = self.call(method, path, body).await?;
        if answer.status.is_success() {
            return serde_json::from_str(&answer.body).map_err(|e| {
                tracing::error!(carrier = EASYPOST, path, error = %e, "carrier answer unreadable");
                CarrierError::Unavailable("the carrier's answer was unreadable".to_owned())
            });
        }
        Err(refusal(path, &answer))
    }

    async fn shipment(&self, id: &str) -> Result<wire::Shipment, CarrierError> {
        self.exchange(Method::GET, &format!("/shipments/{}", path_segment(id)?), None).await
    }
}

#[async_trait]
impl Carrier for EasyPostCarrier {
    fn provider(&self) -> &str {
        EASYPOST
    }

    async fn prepare(&self, request: &BookingRequest) -> Result<PreparedBooking, CarrierError> {
        self.within_budget("prepare", async {
            let shipment: wire::Shipment =
                self.exchange(Method::POST, "/shipments", Some(&wire::create_body(request))).await?;
            // Refused before it is recorded: a booking nothing could be bought for is no booking.
            wire::choose_rate(&shipment, request.currency, request.service.as_deref())?;
            Ok(PreparedBooking { carrier_shipment_id: shipment.id })
        })
        .await
    }

    async fn purchase(
        &self,
        prepared: &PreparedBooking,
        request: &BookingRequest,
    ) -> Result<PurchasedPostage, CarrierError> {
        self.within_budget("purchase", self.buy(prepared, request)).await
    }
}

impl EasyPostCarrier {
    /// A step that outlives its budget is abandoned; a purchase may still complete at EasyPost,
    /// and the next attempt reads it.
    async fn within_budget<T>(
        &self,
        step: &str,
        work: impl Future<Output = Result<T, CarrierError>>,
    ) -> Result<T, CarrierError> {
        tokio::time::timeout(self.settings.step_budget, work).await.unwrap_or_else(|_| {
            tracing::warn!(carrier = EASYPOST, step, "carrier step ran out of time");
            Err(CarrierError::Unavailable("the carrier did not answer in time".to_owned()))
        })
    }

    async fn buy(
        &self,
        prepared: &PreparedBooking,
        request: &BookingRequest,
    ) -> Result<PurchasedPostage, CarrierError> {
        let id = &prepared.carrier_shipment_id;
        let shipment = self.shipment(id).await?;
        if shipment.is_bought() {
            return wire::postage(&shipment, request.currency);
        }
        let rate = wire::choose_rate(&shipment, request.currency, request.service.as_deref())?;
        let path = format!("/shipments/{}/buy", path_segment(id)?);
        match self.exchange::<wire::Shipment>(Method::POST, &path, Some(&wire::buy_body(rate))).await {
            Ok(bought) => wire::postage(&bought, request.currency),
            // A concurrent call may have bought it first: EasyPost refuses a second purchase.
            Err(CarrierError::Refused(why)) => {
                let again = self.shipment(id).await?;
                if again.is_bought() {
                    wire::postage(&again, request.currency)
                } else {
                    Err(CarrierError::Refused(why))
                }
            }
            Err(e) => Err(e),
        }
    }
}

/// An id from our own records, but still only ever one path segment.
fn path_segment(id: &str) -> Result<&str, CarrierError> {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        Ok(id)
    } else {
        Err(CarrierError::Refused("the recorded carrier shipment id is not one EasyPost issues".to_owned()))
    }
}

/// A non-2xx answer as the port's error. Logged with the status and EasyPost's message only.
fn refusal(path: &str, answer: &Answer) -> CarrierError {
    let message = wire::error_message(&answer.body);
    let status = answer.status.as_u16();
    tracing::warn!(carrier = EASYPOST, path, status, reason = %message, "carrier refused the call");
    match answer.status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => CarrierError::Unauthorized,
        StatusCode::TOO_MANY_REQUESTS => CarrierError::Unavailable("the carrier is rate limiting us".to_owned()),
        s if s.is_server_error() => CarrierError::Unavailable(format!("the carrier answered {status}")),
        _ => CarrierError::Refused(message),
    }
}

/// No answer: a timeout, a refused connection, a broken body. reqwest's message names the URL
/// (the endpoint), never the header that carries the key.
fn unreachable_carrier(path: &str, e: &reqwest::Error) -> CarrierError {
    tracing::warn!(carrier = EASYPOST, path, timeout = e.is_timeout(), error = %e, "carrier unreachable");
    if e.is_timeout() {
        CarrierError::Unavailable("the carrier did not answer in time".to_owned())
    } else {
        CarrierError::Unavailable("the carrier could not be reached".to_owned())
    }
}
