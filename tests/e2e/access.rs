//! Plans and roles gate every resolver: PLAN_FORBIDDEN, FORBIDDEN, plan-aware introspection,
//! and the monthly order quota.

use std::collections::BTreeSet;

use futures::future::join_all;
use serde_json::{Value, json};

use crate::support::{BASIC, QUOTA, ROLES, TENANT_A, TestApp, error_code, line, ops_doc, order_input};

/// One call per top-level field. A resolver missing here fails `every_resolver_is_gated`, so a
/// new one cannot ship without proving its gate.
fn sample_calls(order_id: &str, shipment_id: &str) -> Vec<(&'static str, String, Value)> {
    let some_return = uuid::Uuid::now_v7().to_string();
    let pay = json!({"orderId": order_id, "amount": {"amount": "1.00", "currency": "USD"}});
    let ret = json!({"orderId": order_id, "lines": [{"sku": "A", "vendorId": "v1", "quantity": 1}]});
    let ship = json!({"orderId": order_id, "mode": "PICKUP", "items": [{"sku": "A", "vendorId": "v1", "quantity": 1}]});
    vec![
        ("order", "query($id: ID!) { order(id: $id) { id } }".into(), json!({"id": order_id})),
        ("orderByExternalRef", "{ orderByExternalRef(externalRef: \"x\") { id } }".into(), json!({})),
        ("orders", "{ orders { nodes { id } } }".into(), json!({})),
        ("shipment", "query($id: ID!) { shipment(id: $id) { id } }".into(), json!({"id": shipment_id})),
        ("auditLog", "{ auditLog { nodes { id } } }".into(), json!({})),
        ("ledgerEntries", "{ ledgerEntries { nodes { id } } }".into(), json!({})),
        ("trialBalance", "{ trialBalance { balanced } }".into(), json!({})),
        ("webhookDeliveries", "{ webhookDeliveries { nodes { id } } }".into(), json!({})),
        ("webhookEndpoint", "{ webhookEndpoint { disabledAt } }".into(), json!({})),
        (
            "redeliverWebhook",
            "mutation($id: ID!) { redeliverWebhook(input: {id: $id}) { delivery { id } } }".into(),
            json!({"id": some_return}),
        ),
        ("enableWebhookEndpoint", "mutation { enableWebhookEndpoint { endpoint { disabledAt } } }".into(), json!({})),
        (
            "redeliverWebhooks",
            "mutation { redeliverWebhooks(input: {since: \"2026-01-01T00:00:00Z\"}) { count } }".into(),
            json!({}),
        ),
        ("events", "{ events { nodes { id } } }".into(), json!({})),
        ("recordPayment", ops_doc("recordPayment"), json!({"input": pay})),
        ("requestReturn", ops_doc("requestReturn"), json!({"input": ret})),
        ("approveReturn", ops_doc("approveReturn"), json!({"input": {"id": some_return}})),
        ("declineReturn", ops_doc("declineReturn"), json!({"input": {"id": some_return}})),
        ("processRefund", ops_doc("processRefund"), json!({"input": {"returnId": some_return}})),
        ("plans", "{ plans { name } }".into(), json!({})),
        ("tenants", "{ tenants { nodes { id } } }".into(), json!({})),
        ("tenant", "{ tenant(id: \"tenant_a\") { id } }".into(), json!({})),
        ("createOrder", ops_doc("createOrder"), json!({"input": order_input("gate", vec![line("A", 1, "1.00")])})),
        ("confirmOrder", ops_doc("confirmOrder"), json!({"input": {"id": order_id}})),
        ("cancelOrder", ops_doc("cancelOrder"), json!({"input": {"id": order_id}})),
        ("completeOrder", ops_doc("completeOrder"), json!({"input": {"id": order_id}})),
        ("escalateOrderReview", ops_doc("escalateOrderReview"), json!({"input": {"id": order_id, "reviewer": "x"}})),
        ("reviewOrder", ops_doc("reviewOrder"), json!({"input": {"id": order_id, "approved": true}})),
        ("createShipment", ops_doc("createShipment"), json!({"input": ship})),
        ("confirmShipment", ops_doc("confirmShipment"), json!({"input": {"id": shipment_id}})),
        (
            "dispatchShipment",
            ops_doc("dispatchShipment"),
            json!({"input": {"id": shipment_id, "trackingReference": "T"}}),
        ),
        ("deliverShipment", ops_doc("deliverShipment"), json!({"input": {"id": shipment_id}})),
        ("cancelShipment", ops_doc("cancelShipment"), json!({"input": {"id": shipment_id}})),
        ("tenantConfig", "{ tenantConfig { version } }".into(), json!({})),
        (
            "updateTenantConfig",
            "mutation { updateTenantConfig(input: {autoConfirmOrders: false}) { tenantConfig { version } } }".into(),
            json!({}),
        ),
        (
            "upsertPlan",
            "mutation { upsertPlan(input: {name: \"basic\", permissions: []}) { plan { version } } }".into(),
            json!({}),
        ),
        (
            "upsertTenant",
            "mutation { upsertTenant(input: {id: \"tenant_a\", plan: \"basic\"}) { tenant { version } } }".into(),
            json!({}),
        ),
        (
            "setTenantStatus",
            "mutation { setTenantStatus(input: {id: \"tenant_a\", status: SUSPENDED}) { tenant { status } } }".into(),
            json!({}),
        ),
        (
            "rotateWebhookSecret",
            "mutation { rotateWebhookSecret(input: {tenantId: \"tenant_a\", webhook: \"add_order\"}) { secret } }"
                .into(),
            json!({}),
        ),
        (
            "setIntegrations",
            "mutation { setIntegrations(input: {tenantId: \"tenant_a\", webhooks: {}}) { version } }".into(),
            json!({}),
        ),
    ]
}

/// Open to every authenticated caller: it only describes the caller (and is how a caller learns
/// what it lacks). This is the complete list of exemptions.
const UNGATED: &[&str] = &["me"];

async fn root_fields(app: &TestApp, token: &str) -> BTreeSet<String> {
    let body = app
        .gql(token, "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }", json!({}))
        .await;
    ["queryType", "mutationType"]
        .iter()
        .flat_map(|t| body["data"]["__schema"][t]["fields"].as_array().cloned().unwrap_or_default())
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Root fields of the whole schema, whoever may see them: the exported SDL ignores visibility.
fn sdl_root_fields() -> BTreeSet<String> {
    let sdl = interfaces::graphql::sdl();
    let mut fields = BTreeSet::new();
    for root in ["type Query {", "type Mutation {"] {
        let start = sdl.find(root).unwrap_or_else(|| panic!("{root} in SDL")) + root.len();
        let body = &sdl[start..start + sdl[start..].find("\n}").expect("end of type")];
        let mut in_description = false;
        for l in body.lines() {
            if l.trim().starts_with("\"\"\"") {
                // A one-line description opens and closes on the same line.
                in_description ^= !(l.trim().len() > 3 && l.trim().ends_with("\"\"\""));
                continue;
            }
            if in_description || !l.starts_with('\t') || l.starts_with("\t\t") {
                continue;
            }
            let name: String = l.trim().chars().take_while(|c| c.is_alphanumeric()).collect();
            if !name.is_empty() {
                fields.insert(name);
            }
        }
    }
    fields
}

#[tokio::test]
async fn every_resolver_is_gated() {
    let app = TestApp::spawn().await;
    let admin = app.token_a("alice");
    let order = app.create_order(&admin, "gated", vec![line("A", 2, "1.00")]).await;
    let order_id = order["id"].as_str().unwrap();
    let shipment = app.ship(&admin, order_id, &[("A", 1)]).await;
    let shipment_id = shipment["shipment"]["id"].as_str().unwrap();
    let before = app.order(&admin, order_id).await;

    let calls = sample_calls(order_id, shipment_id);
    let covered: BTreeSet<String> =
        calls.iter().map(|(n, _, _)| (*n).to_owned()).chain(UNGATED.iter().map(|n| (*n).to_owned())).collect();
    assert_eq!(sdl_root_fields(), covered, "every root field needs a gate sample (or an exemption)");

    let nobody = app.token_for(TENANT_A, "nobody", &["no-such-role"]);
    for (name, doc, vars) in &calls {
        let body = app.gql(&nobody, doc, vars.clone()).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{name} is not gated: {body}");
        assert!(body["data"][name].is_null(), "{name} answered data to a caller without grants: {body}");
    }
    assert_eq!(app.order(&admin, order_id).await, before, "a refused call changed the order");
    let me = app.gql(&nobody, "{ me { subject permissions } }", json!({})).await;
    assert_eq!(me["data"]["me"]["permissions"], json!([]));
}

#[tokio::test]
async fn plan_decides_first_then_roles() {
    let app = TestApp::spawn().await;
    // The basic plan has no shipments, whatever the role.
    let basic = app.token_for(BASIC, "bea", &["tenant_admin"]);
    let order = app.create_order(&basic, "b-1", vec![line("A", 1, "1.00")]).await;
    let body = app
        .gql(
            &basic,
            &ops_doc("createShipment"),
            json!({"input": {"orderId": order["id"], "mode": "PICKUP",
            "items": [{"sku": "A", "vendorId": "v1", "quantity": 1}]}}),
        )
        .await;
    assert_eq!(error_code(&body), Some("PLAN_FORBIDDEN"), "{body}");

    // In plan, but the tenant's own role config grants the viewer reads only.
    let viewer = app.token_for(ROLES, "vic", &["viewer"]);
    let body = app
        .gql(&viewer, &ops_doc("createOrder"), json!({"input": order_input("r-1", vec![line("A", 1, "1.00")])}))
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let list = app.gql(&viewer, "{ orders { nodes { id } } }", json!({})).await;
    assert!(list["errors"].is_null(), "{list}");
    let boss = app.token_for(ROLES, "bo", &["boss"]);
    app.create_order(&boss, "r-2", vec![line("A", 1, "1.00")]).await;

    // Default roles when the tenant configured none: vendors may not dispatch.
    let vendor = app.token_for(TENANT_A, "vera", &["vendor"]);
    let me = app.gql(&vendor, "{ me { permissions } }", json!({})).await;
    let perms: BTreeSet<&str> =
        me["data"]["me"]["permissions"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    assert_eq!(
        perms,
        BTreeSet::from([
            "order:read",
            "order:create",
            "order:cancel",
            "order:complete",
            "shipment:create",
            "shipment:confirm",
            "shipment:deliver",
            "shipment:cancel"
        ])
    );
    let body =
        app.gql(&vendor, &ops_doc("dispatchShipment"), json!({"input": {"id": "x", "trackingReference": "T"}})).await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
}

#[tokio::test]
async fn introspection_shows_only_the_plan() {
    let app = TestApp::spawn().await;
    let basic = root_fields(&app, &app.token_for(BASIC, "bea", &["tenant_admin"])).await;
    assert!(basic.contains("createOrder") && basic.contains("orders") && basic.contains("me"), "{basic:?}");
    for hidden in ["createShipment", "dispatchShipment", "cancelOrder", "reviewOrder"] {
        assert!(!basic.contains(hidden), "basic plan sees {hidden}: {basic:?}");
    }
    let standard = root_fields(&app, &app.token_a("alice")).await;
    assert!(standard.contains("dispatchShipment"));
}

#[tokio::test]
async fn monthly_order_quota_is_exact_under_concurrency() {
    let app = TestApp::spawn().await;
    let t = app.token_for(QUOTA, "quinn", &["tenant_admin"]);
    let doc = ops_doc("createOrder");
    let calls = (0..20)
        .map(|i| app.gql(&t, &doc, json!({"input": order_input(&format!("q-{i}"), vec![line("A", 1, "1.00")])})));
    let results = join_all(calls).await;
    let created: Vec<&Value> = results.iter().filter(|b| b["errors"].is_null()).collect();
    let refused: Vec<&Value> = results.iter().filter(|b| !b["errors"].is_null()).collect();
    assert_eq!(created.len(), 5, "{results:?}");
    for body in &refused {
        assert_eq!(error_code(body), Some("LIMIT_EXCEEDED"), "{body}");
        assert_eq!(body["errors"][0]["extensions"]["limit"], 5);
        let resets = body["errors"][0]["extensions"]["resetsAt"].as_str().unwrap();
        let resets = chrono::DateTime::parse_from_rfc3339(resets).unwrap();
        assert!(resets > chrono::Utc::now() && resets.format("%d %H:%M:%S").to_string() == "01 00:00:00");
    }
    let list = app.gql(&t, "{ orders(first: 100) { nodes { id } } }", json!({})).await;
    assert_eq!(list["data"]["orders"]["nodes"].as_array().unwrap().len(), 5);

    // Replaying an order that exists does not count against the quota.
    let ext = created[0]["data"]["createOrder"]["order"]["externalRef"].as_str().unwrap();
    let replay = app.gql(&t, &doc, json!({"input": order_input(ext, vec![line("A", 1, "1.00")])})).await;
    assert_eq!(replay["data"]["createOrder"]["replayed"], true, "{replay}");
}
