//! The SaaS config document (SPEC.md section 3), as serde types. Keys are normative.
//!
//! Values that `check` must be able to report on (status, algorithms, tenant ids, plan names)
//! stay plain strings here, so one bad value is a reported problem, not a load failure that
//! hides every other problem.

use std::collections::BTreeMap;

use application::ports::TenantStatus;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::secret::Secret;
use super::unknown_keys::UnknownKeys;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SaasConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<ProviderConfig>,
    #[serde(default)]
    pub plans: BTreeMap<String, PlanConfig>,
    #[serde(default)]
    pub tenants: BTreeMap<String, TenantEntry>,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProviderConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp: Option<IdpConfig>,
    #[serde(default = "default_admin_role")]
    pub admin_role: String,
    #[serde(default)]
    pub webhooks: BTreeMap<String, WebhookConfig>,
    /// `{tenantId}.{platform_domain}` addresses a tenant (e.g. `oms.example.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_domain: Option<String>,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

fn default_admin_role() -> String {
    "saas_admin".to_owned()
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PlanConfig {
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub limits: PlanLimits,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

/// A missing limit means "no limit".
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PlanLimits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orders_per_month: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_per_minute: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_query_complexity: Option<u64>,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TenantEntry {
    pub plan: String,
    /// `"active"` or `"suspended"`; see [`TenantEntry::status`].
    #[serde(default = "default_status")]
    pub status: String,
    pub idp: IdpConfig,
    #[serde(default)]
    pub webhooks: BTreeMap<String, WebhookConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_shipment_api: Option<CreateShipmentApiConfig>,
    /// Custom domains set by the provider; only verified ones address the tenant.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<DomainConfig>,
    /// The tenant's initial TenantConfig; the tenant edits later versions through the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_config: Option<TenantConfig>,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

fn default_status() -> String {
    "active".to_owned()
}

impl TenantEntry {
    /// `None` for a status the spec does not know (`check` reports it).
    pub fn status(&self) -> Option<TenantStatus> {
        match self.status.as_str() {
            "active" => Some(TenantStatus::Active),
            "suspended" => Some(TenantStatus::Suspended),
            _ => None,
        }
    }

    /// The status requests are served with: `check` reports an unknown status, and until it is
    /// fixed the tenant is shut, not open.
    pub fn effective_status(&self) -> TenantStatus {
        self.status().unwrap_or(TenantStatus::Suspended)
    }

    pub fn auto_confirm_orders(&self) -> bool {
        self.tenant_config.as_ref().is_none_or(|c| c.auto_confirm_orders)
    }
}

/// How to verify the bearer tokens of one identity provider.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IdpConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// The seed spelled it `algorithm`, with one value.
    #[serde(default, alias = "algorithm", deserialize_with = "one_or_many")]
    pub algorithms: Vec<String>,
    /// The seed spelled it `public_key` (a JWKS URL despite the name; a PEM given there is
    /// moved to `public_key_pem` when the document is loaded).
    #[serde(default, alias = "public_key", skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// When both this and `jwks_uri` are given, this key verifies the algorithms of its family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key_pem: Option<String>,
    /// Local development only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hs256_secret: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_claim: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles_claim: Option<String>,
    /// A claim naming the vendor the caller acts for (e.g. `vendor_id`): a token carrying it
    /// sees and ships only that vendor's lines. Without it, every caller sees whole orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_claim: Option<String>,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

impl IdpConfig {
    pub const DEFAULT_TENANT_CLAIM: &str = "tenant";
    pub const DEFAULT_ROLES_CLAIM: &str = "roles";

    /// The claim naming the tenants (organizations) the subject belongs to.
    pub fn tenant_claim(&self) -> &str {
        self.tenant_claim.as_deref().unwrap_or(Self::DEFAULT_TENANT_CLAIM)
    }

    pub fn roles_claim(&self) -> &str {
        self.roles_claim.as_deref().unwrap_or(Self::DEFAULT_ROLES_CLAIM)
    }

    /// The seed's `public_key` alias lands in `jwks_uri`; a PEM found there belongs elsewhere.
    pub(crate) fn normalize_aliases(&mut self) {
        let holds_pem = self.jwks_uri.as_deref().is_some_and(|v| v.trim_start().starts_with("-----BEGIN"));
        if holds_pem && self.public_key_pem.is_none() {
            self.public_key_pem = self.jwks_uri.take();
        }
    }
}

fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged, expecting = "an algorithm name or a list of algorithm names")]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}

/// A custom domain of a tenant (`orders.acme.example`). The SPEC spells the host `domain`;
/// `name` is accepted as well.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DomainConfig {
    #[serde(alias = "name")]
    pub domain: String,
    /// Set by the provider once the tenant proved it controls the domain; until then the
    /// domain resolves nothing.
    #[serde(default)]
    pub verified: bool,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

/// A signed inbound webhook endpoint (`add_order`, `shipment_tracker`, ...).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhookConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_secret: Option<Secret>,
    #[serde(default = "default_max_age_seconds")]
    pub max_age_seconds: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_reference_jmespath: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_jmespath: Option<String>,
    /// Where the payload names the carrier (e.g. `result.carrier`): the provider's route then
    /// looks the reference up among that carrier's shipments only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier_jmespath: Option<String>,
    /// Where the payload carries the carrier's own id of the shipment (e.g. EasyPost's
    /// `result.shipment_id`): a shipment booked through the carrier API named by `provider`
    /// with that id is found by it first, whatever its tracking reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier_shipment_id_jmespath: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub status_map: BTreeMap<String, String>,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

fn default_max_age_seconds() -> u64 {
    300
}

/// The carrier API the tenant's shipments are created with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateShipmentApiConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// The service to buy (e.g. `Priority`); without it, the lowest rate in the order's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Where parcels leave from when a shipment names no pickup address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_address: Option<AddressConfig>,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

/// A postal address in the config (the API's `Address`, with the config's snake_case keys).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AddressConfig {
    pub line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    pub city: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

impl AddressConfig {
    /// The domain's address, or why it is not one (`config check` reports it).
    pub fn to_address(&self) -> Result<domain::order::Address, domain::DomainError> {
        domain::order::Address::new(domain::order::AddressInput {
            line1: &self.line1,
            line2: self.line2.as_deref(),
            city: &self.city,
            state: self.state.as_deref(),
            postal_code: self.postal_code.as_deref(),
            country: &self.country,
        })
    }
}

/// TenantConfig (SPEC.md "TenantConfig"), owned by the tenant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TenantConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restocking_fee_percent: Option<DecimalValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_refund_amount: Option<DecimalValue>,
    #[serde(default = "default_true")]
    pub auto_confirm_orders: bool,
    /// `None` (not an empty map) means "the spec's default roles apply".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<BTreeMap<String, Vec<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbound_webhook: Option<OutboundWebhookConfig>,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

impl Default for TenantConfig {
    fn default() -> Self {
        Self {
            restocking_fee_percent: None,
            max_refund_amount: None,
            auto_confirm_orders: true,
            roles: None,
            outbound_webhook: None,
            unknown: UnknownKeys::default(),
        }
    }
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutboundWebhookConfig {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<Secret>,
    #[serde(default)]
    pub events: Vec<String>,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

/// A decimal written either as a JSON string (`"500.00"`) or a JSON number (`500`), kept as
/// text so no amount ever passes through a binary float on its way to the domain's money type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecimalValue(String);

impl DecimalValue {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Plain non-negative decimal notation: digits, optionally a point and more digits.
    pub fn is_plain_non_negative(&self) -> bool {
        let (whole, fraction) = match self.0.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (self.0.as_str(), None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        digits(whole) && fraction.is_none_or(digits)
    }
}

impl<'de> Deserialize<'de> for DecimalValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged, expecting = "a decimal number or a string holding one")]
        enum Raw {
            Text(String),
            Number(serde_json::Number),
        }
        Ok(match Raw::deserialize(deserializer)? {
            Raw::Text(text) => Self(text.trim().to_owned()),
            Raw::Number(number) => Self(number.to_string()),
        })
    }
}

impl Serialize for DecimalValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}
