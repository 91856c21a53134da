//! A provider's edit of the integration settings (inbound webhooks, the carrier API) merged onto
//! the stored entry: each given entry replaces the stored one, except that a secret it leaves out
//! keeps the stored secret (secrets are write-only: no answer ever shows them to copy back).

use std::collections::BTreeMap;

use application::ports::{ConfigEditError, IntegrationsView, Patch};
use serde_json::{Value, json};

use super::{
    model::{CreateShipmentApiConfig, WebhookConfig},
    redact::redact,
};

fn invalid(field: Vec<String>, message: String) -> ConfigEditError {
    ConfigEditError::Invalid { field, message }
}

/// Applies `change` to `webhooks`: settings replace (keeping a secret they omit), `None` removes.
pub(super) fn merge_webhooks(
    webhooks: &mut BTreeMap<String, WebhookConfig>,
    change: &BTreeMap<String, Option<Value>>,
) -> Result<(), ConfigEditError> {
    for (name, settings) in change {
        let Some(settings) = settings else {
            webhooks.remove(name);
            continue;
        };
        let mut given: WebhookConfig = serde_json::from_value(settings.clone()).map_err(|e| {
            invalid(vec!["webhooks".to_owned(), name.clone()], format!("webhook settings of '{name}': {e}"))
        })?;
        if given.shared_secret.is_none() {
            given.shared_secret = webhooks.get(name).and_then(|stored| stored.shared_secret.clone());
        }
        webhooks.insert(name.clone(), given);
    }
    Ok(())
}

/// Applies `change` to the carrier API: settings replace (keeping an `api_key` they omit).
pub(super) fn merge_carrier_api(
    api: &mut Option<CreateShipmentApiConfig>,
    change: &Patch<Value>,
) -> Result<(), ConfigEditError> {
    match change {
        Patch::Keep => {}
        Patch::Clear => *api = None,
        Patch::Set(settings) => {
            let mut given: CreateShipmentApiConfig = serde_json::from_value(settings.clone())
                .map_err(|e| invalid(vec!["createShipmentApi".to_owned()], format!("carrier API settings: {e}")))?;
            if given.api_key.is_none() {
                given.api_key = api.as_ref().and_then(|stored| stored.api_key.clone());
            }
            *api = Some(given);
        }
    }
    Ok(())
}

/// What the answer shows: the settings with every secret redacted.
pub(super) fn view(
    webhooks: &BTreeMap<String, WebhookConfig>,
    api: Option<&CreateShipmentApiConfig>,
    version: i64,
) -> IntegrationsView {
    let mut settings = json!({"webhooks": webhooks, "create_shipment_api": api});
    redact(&mut settings);
    IntegrationsView { settings, version }
}
