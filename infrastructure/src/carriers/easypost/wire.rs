//! EasyPost's JSON, and the pure mapping between it and the carrier port's types: the create
//! request, the rate chosen, the postage read off a bought shipment, the error body.
//!
//! EasyPost measures parcels in inches and ounces; the shipment's centimetres and kilograms
//! are converted and rounded up to a tenth (never declaring less than the parcel is).

use application::ports::{BookingRequest, CarrierError, PurchasedPostage};
use domain::{Currency, Money, order::Address};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

const CM_PER_INCH: f64 = 2.54;
const OUNCES_PER_KG: f64 = 35.273_961_95;
/// Longest carrier message passed on to the caller.
const MAX_MESSAGE: usize = 300;

/// `POST /shipments`: the shipment with its addresses and parcel; EasyPost answers it rated.
pub(super) fn create_body(request: &BookingRequest) -> Value {
    let p = &request.package;
    json!({"shipment": {
        "reference": request.reference,
        "to_address": address(&request.to),
        "from_address": address(&request.from),
        "parcel": {
            "length": tenths_up(p.length_cm / CM_PER_INCH),
            "width": tenths_up(p.width_cm / CM_PER_INCH),
            "height": tenths_up(p.height_cm / CM_PER_INCH),
            "weight": tenths_up(p.weight_kg * OUNCES_PER_KG),
        },
    }})
}

/// `POST /shipments/{id}/buy`.
pub(super) fn buy_body(rate: &Rate) -> Value {
    json!({"rate": {"id": rate.id}})
}

fn address(a: &Address) -> Value {
    json!({
        "street1": a.line1,
        "street2": a.line2,
        "city": a.city,
        "state": a.state,
        "zip": a.postal_code,
        "country": a.country,
    })
}

fn tenths_up(value: f64) -> f64 {
    (value * 10.0).ceil() / 10.0
}

/// The parts of an EasyPost Shipment object this adapter reads.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct Shipment {
    pub id: String,
    #[serde(default)]
    pub rates: Vec<Rate>,
    #[serde(default)]
    pub tracking_code: Option<String>,
    #[serde(default)]
    pub postage_label: Option<PostageLabel>,
    #[serde(default)]
    pub selected_rate: Option<Rate>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub(super) struct Rate {
    pub id: String,
    #[serde(default)]
    pub carrier: Option<String>,
    #[serde(default)]
    pub service: Option<String>,
    /// A decimal string (`"8.34"`).
    pub rate: String,
    pub currency: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct PostageLabel {
    #[serde(default)]
    pub label_url: Option<String>,
}

impl Shipment {
    /// Postage was bought for it.
    pub(super) fn is_bought(&self) -> bool {
        self.selected_rate.is_some() && self.tracking_code.as_deref().is_some_and(|t| !t.trim().is_empty())
    }
}

/// The rate to buy: the configured service, else the lowest; in the order's currency only
/// (the order's books are kept in it, and nothing is converted).
pub(super) fn choose_rate<'s>(
    shipment: &'s Shipment,
    currency: Currency,
    service: Option<&str>,
) -> Result<&'s Rate, CarrierError> {
    let priced = |r: &'s Rate| rate_cost(r, currency).ok().map(|cost| (cost.minor(), r));
    let candidates = shipment
        .rates
        .iter()
        .filter(|r| service.is_none_or(|s| r.service.as_deref().is_some_and(|rs| rs.eq_ignore_ascii_case(s.trim()))))
        .filter_map(priced);
    if let Some((_, rate)) = candidates.min_by_key(|(minor, _)| *minor) {
        return Ok(rate);
    }
    let offered: Vec<String> = shipment
        .rates
        .iter()
        .map(|r| format!("{} {} {}", r.service.as_deref().unwrap_or("?"), r.rate, r.currency))
        .take(10)
        .collect();
    let wanted = match service {
        Some(s) => format!("service {s} in {currency}"),
        None => format!("rate in {currency}"),
    };
    Err(CarrierError::Refused(bounded(&format!(
        "no {wanted} was offered (offered: {})",
        if offered.is_empty() { "none".to_owned() } else { offered.join(", ") }
    ))))
}

/// A rate's price as money in `currency`; another currency is not this order's cost.
fn rate_cost(rate: &Rate, currency: Currency) -> Result<Money, String> {
    if !rate.currency.trim().eq_ignore_ascii_case(currency.code()) {
        return Err(format!("priced in {}, not {currency}", rate.currency));
    }
    Money::parse(rate.rate.trim(), currency).map_err(|e| e.to_string())
}

/// What was bought, read off a bought shipment.
pub(super) fn postage(shipment: &Shipment, currency: Currency) -> Result<PurchasedPostage, CarrierError> {
    let unreadable = |what: &str| CarrierError::Unavailable(format!("the carrier's answer has {what}"));
    let rate = shipment.selected_rate.as_ref().ok_or_else(|| unreadable("no selected rate"))?;
    let tracking_code = shipment
        .tracking_code
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unreadable("no tracking code"))?;
    let cost = rate_cost(rate, currency)
        .map_err(|why| CarrierError::Refused(bounded(&format!("the postage bought is {why}"))))?;
    Ok(PurchasedPostage {
        carrier_shipment_id: shipment.id.clone(),
        tracking_code: tracking_code.to_owned(),
        label_url: shipment.postage_label.as_ref().and_then(|l| l.label_url.clone()),
        cost,
        service: rate.service.clone(),
    })
}

/// EasyPost's error body: `{"error": {"code", "message", "errors": [{field, message} | "…"]}}`,
/// as one bounded line for the caller.
pub(super) fn error_message(body: &str) -> String {
    let Ok(value) = serde_json::from_str::<Value>(body) else {
        return "the carrier gave no reason".to_owned();
    };
    let error = &value["error"];
    let mut text = String::new();
    if let Some(code) = error["code"].as_str() {
        text.push_str(code);
    }
    if let Some(message) = error["message"].as_str() {
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(message);
    }
    let details: Vec<String> = error["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| match e {
                    Value::String(s) => Some(s.clone()),
                    Value::Object(_) => {
                        let message = e["message"].as_str()?;
                        Some(match e["field"].as_str() {
                            Some(field) => format!("{field}: {message}"),
                            None => message.to_owned(),
                        })
                    }
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    if !details.is_empty() {
        text.push_str(&format!(" ({})", details.join("; ")));
    }
    if text.is_empty() { "the carrier gave no reason".to_owned() } else { bounded(&text) }
}

/// At most `MAX_MESSAGE` characters, without control characters.
fn bounded(text: &str) -> String {
    let clean: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    match clean.char_indices().nth(MAX_MESSAGE) {
        Some((cut, _)) => format!("{}…", &clean[..cut]),
        None => clean,
    }
}
