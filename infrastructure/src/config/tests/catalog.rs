use std::sync::Arc;

use application::ports::{TenantDirectory, TenantSettings, TenantStatus};
use domain::TenantId;

use super::SPEC_EXAMPLE;
use crate::config::{ConfigCatalog, SaasConfig, tenant_permissions};

fn tenant(id: &str) -> TenantId {
    TenantId::new(id).unwrap()
}

#[tokio::test]
async fn directory_maps_plan_status_and_settings() {
    let catalog = ConfigCatalog::new(SaasConfig::from_json_str(SPEC_EXAMPLE).unwrap());

    let profile = catalog.tenant(&tenant("tenant_123")).await.unwrap().expect("known tenant");

    assert_eq!(profile.id.as_str(), "tenant_123");
    assert_eq!(profile.plan, "standard");
    assert_eq!(profile.status, TenantStatus::Active);
    assert_eq!(
        profile.settings,
        TenantSettings {
            auto_confirm_orders: false,
            restocking_fee_percent: Some("10".to_owned()),
            max_refund_amount: Some("500.00".to_owned()),
        }
    );
    assert_eq!(catalog.tenant(&tenant("nobody")).await.unwrap(), None);
}

#[tokio::test]
async fn directory_defaults_auto_confirm_and_maps_suspension() {
    let json = r#"{"plans": {"p": {}}, "tenants": {
        "plain": {"plan": "p", "idp": {}},
        "paused": {"plan": "p", "status": "suspended", "idp": {}},
        "odd": {"plan": "p", "status": "on-holiday", "idp": {}}}}"#;
    let catalog = ConfigCatalog::new(SaasConfig::from_json_str(json).unwrap());

    let plain = catalog.tenant(&tenant("plain")).await.unwrap().unwrap();
    assert_eq!(plain.status, TenantStatus::Active);
    assert!(plain.settings.auto_confirm_orders);
    let paused = catalog.tenant(&tenant("paused")).await.unwrap().unwrap();
    assert_eq!(paused.status, TenantStatus::Suspended);
    let odd = catalog.tenant(&tenant("odd")).await.unwrap().unwrap();
    assert_eq!(odd.status, TenantStatus::Suspended, "an unknown status fails closed");
}

#[tokio::test]
async fn replace_swaps_the_config_for_new_readers_only() {
    let catalog = Arc::new(ConfigCatalog::new(SaasConfig::demo("x")));
    let before = catalog.current();

    catalog.replace(SaasConfig::from_json_str(SPEC_EXAMPLE).unwrap());

    assert!(before.tenants.contains_key("demo"), "a snapshot taken earlier is unchanged");
    assert!(catalog.current().tenants.contains_key("tenant_123"));
    assert_eq!(catalog.tenant(&tenant("demo")).await.unwrap(), None);
}

#[test]
fn demo_config_is_clean_and_grants_everything() {
    let config = SaasConfig::demo("a-demo-secret-that-is-long-enough-123");

    assert_eq!(config.check(), vec![]);
    assert!(config.provider.is_none());
    assert_eq!(config.plans["demo"].permissions.len(), tenant_permissions().count());
    let demo = &config.tenants["demo"];
    assert_eq!(demo.status, "active");
    assert_eq!(demo.idp.issuer.as_deref(), Some("tenant-oms-demo"));
    assert_eq!(demo.idp.audience.as_deref(), Some("tenant-oms"));
    assert_eq!(demo.idp.algorithms, vec!["HS256"]);
    assert_eq!(demo.idp.tenant_claim(), "tenant");
    assert_eq!(demo.idp.roles_claim(), "roles");
}

#[test]
fn the_add_order_tenants_are_those_whose_route_would_take_deliveries() {
    use application::ports::{InboundRoute, InboundWebhooks, Unverified, WebhookOwner};

    let json = r#"{"plans": {"p": {}}, "tenants": {
        "zeta": {"plan": "p", "idp": {}, "webhooks": {"add_order": {"provider": "standard", "shared_secret": "zeta-secret-0123456789abcdef"}}},
        "alpha": {"plan": "p", "idp": {}, "webhooks": {"add_order": {"provider": "wss", "shared_secret": "alpha-secret-0123456789abcdef", "max_age_seconds": 300}}},
        "no_secret": {"plan": "p", "idp": {}, "webhooks": {"add_order": {"provider": "standard"}}},
        "tracker_only": {"plan": "p", "idp": {}, "webhooks": {"shipment_tracker": {"provider": "easypost", "shared_secret": "t-secret-0123456789abcdef",
            "tracking_reference_jmespath": "result.tracking_code", "status_jmespath": "result.status",
            "status_map": {"delivered": "DELIVERED"}}}},
        "none": {"plan": "p", "idp": {}}}}"#;
    let catalog = ConfigCatalog::new(SaasConfig::from_json_str(json).unwrap());

    assert_eq!(catalog.tenants_with(InboundRoute::AddOrder), vec![tenant("alpha"), tenant("zeta")], "sorted");
    assert_eq!(catalog.tenants_with(InboundRoute::ShipmentTracker), vec![tenant("tracker_only")]);

    let now = chrono::Utc::now();
    let owner = WebhookOwner::Tenant(tenant("alpha"));
    let admitted = catalog.trusted(&owner, InboundRoute::AddOrder, "stream:m-1".to_owned(), now).expect("configured");
    assert_eq!(admitted.delivery_key, "stream:m-1");
    assert!(
        admitted.remembered_until >= now + chrono::Duration::days(1),
        "as long as a signed delivery, a day at least"
    );
    for unconfigured in ["no_secret", "none", "nobody"] {
        let owner = WebhookOwner::Tenant(tenant(unconfigured));
        let refused = catalog.trusted(&owner, InboundRoute::AddOrder, "stream:m-1".to_owned(), now);
        assert!(matches!(refused, Err(Unverified::NotConfigured)), "{unconfigured}");
    }
}
