//! Reading a carrier's payload with the tenant's JMESPath expressions: the tracking reference,
//! the carrier's status (mapped to ours through `status_map`) and, optionally, the carrier.
//! Expressions are compiled once per config version, never per delivery.

use std::collections::HashMap;

use application::ports::{CarrierShipmentRef, TrackingFacts, TrackingReader};
use domain::order::{ShipmentStatus, is_tracking_status};
use jmespath::{Expression, Variable};

use crate::config::WebhookConfig;

pub struct TrackingSettings {
    reference: Expression<'static>,
    status: Option<Expression<'static>>,
    carrier: Option<Expression<'static>>,
    /// The carrier's own shipment id, and the carrier API (the webhook's `provider`) it is of.
    carrier_shipment: Option<(Expression<'static>, String)>,
    /// Carrier status → ours; looked up as sent, then lower-cased.
    status_map: HashMap<String, ShipmentStatus>,
}

impl std::fmt::Debug for TrackingSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrackingSettings")
            .field("reference", &self.reference.as_str())
            .field("status", &self.status.as_ref().map(Expression::as_str))
            .field("carrier", &self.carrier.as_ref().map(Expression::as_str))
            .field("carrier_shipment", &self.carrier_shipment.as_ref().map(|(e, carrier)| (e.as_str(), carrier)))
            .field("status_map", &self.status_map)
            .finish()
    }
}

/// Compiles one expression of the config; `Err` is a sentence for `config check`.
pub(crate) fn compile(key: &str, expression: &str) -> Result<Expression<'static>, String> {
    jmespath::compile(expression).map_err(|e| format!("{key} is not a JMESPath expression: {}", e.reason))
}

/// Our status a `status_map` value names, if a carrier may move a shipment to it.
pub(crate) fn mapped_status(value: &str) -> Option<ShipmentStatus> {
    ShipmentStatus::parse(value).filter(|s| is_tracking_status(*s))
}

impl TrackingSettings {
    /// `Err` names the first setting that is missing or does not compile.
    pub fn compile(config: &WebhookConfig) -> Result<Self, String> {
        let reference = config
            .tracking_reference_jmespath
            .as_deref()
            .ok_or("tracking_reference_jmespath is missing")
            .and_then(|e| compile("tracking_reference_jmespath", e).map_err(|_| "tracking_reference_jmespath"))
            .map_err(|e| e.to_owned())?;
        let status = config.status_jmespath.as_deref().map(|e| compile("status_jmespath", e)).transpose()?;
        let carrier = config.carrier_jmespath.as_deref().map(|e| compile("carrier_jmespath", e)).transpose()?;
        let carrier_shipment = config
            .carrier_shipment_id_jmespath
            .as_deref()
            .map(|e| compile("carrier_shipment_id_jmespath", e))
            .transpose()?
            .map(|e| (e, config.provider.as_deref().unwrap_or_default().trim().to_lowercase()));
        let status_map = config
            .status_map
            .iter()
            .map(|(carrier_status, ours)| {
                mapped_status(ours)
                    .map(|s| (carrier_status.clone(), s))
                    .ok_or_else(|| format!("status_map.{carrier_status} is not a status a carrier may set"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { reference, status, carrier, carrier_shipment, status_map })
    }
}

/// The text an expression finds: a string or a number, trimmed; anything else is nothing.
fn text(expression: &Expression<'static>, payload: &serde_json::Value) -> Result<Option<String>, String> {
    let found =
        expression.search(payload).map_err(|e| format!("{} could not be evaluated: {}", expression, e.reason))?;
    Ok(match &*found {
        Variable::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Variable::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

impl TrackingReader for TrackingSettings {
    fn read(&self, payload: &serde_json::Value) -> Result<TrackingFacts, String> {
        let reference = text(&self.reference, payload)?
            .ok_or_else(|| format!("the payload has no tracking reference at `{}`", self.reference))?;
        let carrier_status = match &self.status {
            Some(expression) => {
                text(expression, payload)?.ok_or_else(|| format!("the payload has no status at `{expression}`"))?
            }
            None => return Err("no status_jmespath is configured for this webhook".to_owned()),
        };
        let status = self
            .status_map
            .get(&carrier_status)
            .or_else(|| self.status_map.get(&carrier_status.to_lowercase()))
            .copied();
        let carrier = match &self.carrier {
            Some(expression) => text(expression, payload)?,
            None => None,
        };
        let carrier_shipment = match &self.carrier_shipment {
            Some((expression, carrier)) => {
                text(expression, payload)?.map(|id| CarrierShipmentRef { carrier: carrier.clone(), id })
            }
            None => None,
        };
        Ok(TrackingFacts { reference, carrier_status, status, carrier, carrier_shipment })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::SaasConfig;

    fn settings(webhook: serde_json::Value) -> Result<TrackingSettings, String> {
        let config = json!({"tenants": {"t": {"plan": "p", "idp": {}, "webhooks": {"shipment_tracker": webhook}}}});
        let config = SaasConfig::from_json_str(&config.to_string()).expect("config");
        TrackingSettings::compile(&config.tenants["t"].webhooks["shipment_tracker"])
    }

    fn easypost_shaped() -> TrackingSettings {
        settings(json!({
            "provider": "easypost", "shared_secret": "x",
            "tracking_reference_jmespath": "result.tracking_code || data.tracking_code",
            "status_jmespath": "result.status || data.status",
            "carrier_jmespath": "result.carrier",
            "carrier_shipment_id_jmespath": "result.shipment_id",
            "status_map": {"in_transit": "IN_TRANSIT", "delivered": "DELIVERED", "return_to_sender": "RETURNED"}
        }))
        .expect("compiles")
    }

    #[test]
    fn reads_either_branch_of_an_or_expression() {
        let s = easypost_shaped();
        let tracker =
            json!({"object": "Event", "result": {"tracking_code": "EZ1", "status": "in_transit", "carrier": "USPS"}});
        let facts = s.read(&tracker).unwrap();
        assert_eq!(facts.reference, "EZ1");
        assert_eq!((facts.carrier_status.as_str(), facts.status), ("in_transit", Some(ShipmentStatus::InTransit)));
        assert_eq!(facts.carrier.as_deref(), Some("USPS"));
        assert_eq!(facts.carrier_shipment, None, "no shipment_id in this payload");
        let booked = json!({"result": {"tracking_code": "EZ1", "status": "in_transit", "shipment_id": "shp_9"}});
        let wanted = CarrierShipmentRef { carrier: "easypost".to_owned(), id: "shp_9".to_owned() };
        assert_eq!(s.read(&booked).unwrap().carrier_shipment, Some(wanted));
        let other = json!({"data": {"tracking_code": "EZ2", "status": "Delivered"}});
        let facts = s.read(&other).unwrap();
        assert_eq!((facts.reference.as_str(), facts.status), ("EZ2", Some(ShipmentStatus::Delivered)));
        assert_eq!(facts.carrier, None);
    }

    #[test]
    fn an_unmapped_status_is_read_without_ours_and_a_missing_reference_is_refused() {
        let s = easypost_shaped();
        let facts = s.read(&json!({"result": {"tracking_code": "EZ1", "status": "pre_transit"}})).unwrap();
        assert_eq!(facts.status, None);
        assert!(s.read(&json!({"result": {"status": "in_transit"}})).unwrap_err().contains("tracking reference"));
        assert!(s.read(&json!({"result": {"tracking_code": "EZ1"}})).unwrap_err().contains("status"));
    }

    #[test]
    fn bad_settings_do_not_compile() {
        let base = json!({"tracking_reference_jmespath": "result.tracking_code", "status_jmespath": "result.status"});
        assert!(settings(base.clone()).is_ok());
        let mut bad = base.clone();
        bad["status_jmespath"] = json!("result.[status");
        assert!(settings(bad).unwrap_err().contains("status_jmespath"));
        let mut bad = base.clone();
        bad["status_map"] = json!({"in_transit": "CONFIRMED"});
        assert!(settings(bad).unwrap_err().contains("status_map.in_transit"));
        assert!(settings(json!({"status_jmespath": "s"})).unwrap_err().contains("tracking_reference_jmespath"));
    }
}
