//! The SaaS config: parsing, aliases, `check`, secrecy, error messages, and the catalog.

mod catalog;
mod check;
mod documents;
mod edits;
mod hosts;
mod parsing;
mod secrets;
mod sizes;

/// A clean config using every key of SPEC.md section 3.
pub(super) const SPEC_EXAMPLE: &str = r#"{
  "provider": {
    "idp": {"issuer": "https://idp.provider.example", "audience": "oms", "algorithms": ["RS256"],
            "jwks_uri": "https://idp.provider.example/jwks.json", "roles_claim": "roles"},
    "admin_role": "saas_admin",
    "webhooks": {"shipment_tracker": {"provider": "easypost", "shared_secret": "prov-webhook-secret-1", "max_age_seconds": 300,
                                      "tracking_reference_jmespath": "result.tracking_code || data.tracking_code"}}
  },
  "plans": {
    "standard": {"permissions": ["order:read", "order:create", "shipment:create"],
                 "limits": {"orders_per_month": 10000, "requests_per_minute": 1200, "max_query_complexity": 1000}}
  },
  "tenants": {
    "tenant_123": {
      "plan": "standard",
      "status": "active",
      "idp": {"issuer": "https://idp.tenant123.example/realms/t1", "audience": "AUD1", "algorithms": ["RS256"],
              "jwks_uri": "https://idp.tenant123.example/realms/t1/certs", "tenant_claim": "organization", "roles_claim": "roles"},
      "webhooks": {
        "add_order": {"provider": "standard", "shared_secret": "add-order-secret-2", "max_age_seconds": 300},
        "shipment_tracker": {"provider": "easypost", "shared_secret": "tracker-secret-3", "max_age_seconds": 300,
                             "tracking_reference_jmespath": "result.tracking_code || data.tracking_code",
                             "status_jmespath": "result.status", "status_map": {"in_transit": "IN_TRANSIT", "delivered": "DELIVERED"}}
      },
      "create_shipment_api": {"provider": "easypost", "api_key": "carrier-api-key-4", "endpoint": "https://api.easypost.example/v2"},
      "tenant_config": {"restocking_fee_percent": 10, "max_refund_amount": "500.00", "auto_confirm_orders": false,
        "roles": {"vendor": ["order:read", "order:create", "shipment:create"], "tenant_admin": ["*"]},
        "outbound_webhook": {"url": "https://tenant.example/oms-events", "secret": "whsec_b3V0Ym91bmQtc2VjcmV0LTUtMDEyMzQ1Njc4OWFiY2RlZg==", "events": ["order.*", "shipment.*"]}}
    }
  }
}"#;

/// Every secret value in [`SPEC_EXAMPLE`].
pub(super) const SPEC_EXAMPLE_SECRETS: &[&str] = &[
    "prov-webhook-secret-1",
    "add-order-secret-2",
    "tracker-secret-3",
    "carrier-api-key-4",
    "whsec_b3V0Ym91bmQtc2VjcmV0LTUtMDEyMzQ1Njc4OWFiY2RlZg==",
];
