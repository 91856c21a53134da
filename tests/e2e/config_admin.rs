//! The provider and tenant admins edit versioned configs through GraphQL; a change takes
//! effect on the very next call (on every instance), is audited, and never shows a secret.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{BASIC, ROLES, SECRETS, TENANT_A, TestApp, captured_log, error_code, line, ops_doc, order_input};

const UPSERT_PLAN: &str = "mutation($input: UpsertPlanInput!) { upsertPlan(input: $input) { \
  plan { name permissions limits { ordersPerMonth } version } userErrors { code field message } } }";
const UPSERT_TENANT: &str = "mutation($input: UpsertTenantInput!) { upsertTenant(input: $input) { \
  tenant { id plan status version webhooks } userErrors { code field message } } }";
const SET_STATUS: &str = "mutation($input: SetTenantStatusInput!) { setTenantStatus(input: $input) { \
  tenant { id status version } userErrors { code field message } } }";
const ROTATE: &str = "mutation($input: RotateWebhookSecretInput!) { rotateWebhookSecret(input: $input) { \
  secret userErrors { code field message } } }";
const UPDATE_CONFIG: &str = "mutation($input: UpdateTenantConfigInput!) { updateTenantConfig(input: $input) { \
  tenantConfig { restockingFeePercent maxRefundAmount autoConfirmOrders roles { role permissions } \
  outboundWebhook { url events hasSecret } version changedBy } userErrors { code field message } } }";
const TENANT_CONFIG: &str = "{ tenantConfig { restockingFeePercent maxRefundAmount autoConfirmOrders \
  roles { role permissions } outboundWebhook { url events hasSecret } version changedBy \
  history(first: 10) { version changedBy changedAt summary } } }";

fn ok<'a>(body: &'a Value, field: &str) -> &'a Value {
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(body["data"][field]["userErrors"], json!([]), "{body}");
    &body["data"][field]
}

fn user_error(body: &Value, field: &str) -> String {
    body["data"][field]["userErrors"][0]["code"].as_str().unwrap_or_else(|| panic!("no user error: {body}")).to_owned()
}

fn ship_input(order_id: &Value) -> Value {
    json!({"input": {"orderId": order_id, "mode": "PICKUP", "items": [{"sku": "A", "vendorId": "v1", "quantity": 1}]}})
}

#[tokio::test]
async fn plan_upgrade_takes_effect_on_the_very_next_call() {
    let app = TestApp::spawn().await;
    let provider = app.jwks.sign_provider("sara", &["saas_admin"]);
    let basic = app.token_for(BASIC, "bea", &["tenant_admin"]);
    let order = app.create_order(&basic, "up-1", vec![line("A", 3, "1.00")]).await;

    let refused = app.gql(&basic, &ops_doc("createShipment"), ship_input(&order["id"])).await;
    assert_eq!(error_code(&refused), Some("PLAN_FORBIDDEN"), "{refused}");

    // The provider adds shipments to the basic plan: the same token's next call succeeds.
    let plan = app
        .gql(
            &provider,
            UPSERT_PLAN,
            json!({"input": {"name": "basic", "permissions": ["order:read", "order:create", "shipment:create"]}}),
        )
        .await;
    let plan = ok(&plan, "upsertPlan");
    assert_eq!(plan["plan"]["version"], 2, "the seeded version was 1: {plan}");
    let shipped = app.gql(&basic, &ops_doc("createShipment"), ship_input(&order["id"])).await;
    assert_eq!(ok(&shipped, "createShipment")["shipment"]["status"], "PENDING");

    // Confirming shipments is still outside the plan, until the tenant moves to `standard`.
    let shipment_id = shipped["data"]["createShipment"]["shipment"]["id"].clone();
    let confirm = json!({"input": {"id": shipment_id}});
    let refused = app.gql(&basic, &ops_doc("confirmShipment"), confirm.clone()).await;
    assert_eq!(error_code(&refused), Some("PLAN_FORBIDDEN"), "{refused}");
    let moved = app.gql(&provider, UPSERT_TENANT, json!({"input": {"id": BASIC, "plan": "standard"}})).await;
    assert_eq!(ok(&moved, "upsertTenant")["tenant"]["plan"], "standard");
    let confirmed = app.gql(&basic, &ops_doc("confirmShipment"), confirm).await;
    assert_eq!(ok(&confirmed, "confirmShipment")["shipment"]["status"], "CONFIRMED");

    // A tenant admin grants a role: the role's next call succeeds.
    let viewer = app.token_for(ROLES, "vic", &["viewer"]);
    let input = json!({"input": order_input("role-1", vec![line("A", 1, "1.00")])});
    assert_eq!(error_code(&app.gql(&viewer, &ops_doc("createOrder"), input.clone()).await), Some("FORBIDDEN"));
    let boss = app.token_for(ROLES, "bo", &["boss"]);
    let grant = json!({"input": {"roles": [{"role": "viewer", "permissions": ["order:read", "order:create"]},
                                           {"role": "boss", "permissions": ["*"]}]}});
    ok(&app.gql(&boss, UPDATE_CONFIG, grant).await, "updateTenantConfig");
    let created = app.gql(&viewer, &ops_doc("createOrder"), input).await;
    assert_eq!(ok(&created, "createOrder")["order"]["status"], "CONFIRMED");
}

#[tokio::test]
async fn suspension_refuses_every_call_until_reactivated() {
    let app = TestApp::spawn().await;
    let provider = app.jwks.sign_provider("sara", &["saas_admin"]);
    let alice = app.token_a("alice");
    let order = app.create_order(&alice, "s-1", vec![line("A", 1, "1.00")]).await;

    let suspended = app.gql(&provider, SET_STATUS, json!({"input": {"id": TENANT_A, "status": "SUSPENDED"}})).await;
    assert_eq!(ok(&suspended, "setTenantStatus")["tenant"]["status"], "SUSPENDED");
    let calls = [
        ("{ orders { nodes { id } } }".to_owned(), json!({})),
        ("query($id: ID!) { order(id: $id) { id } }".to_owned(), json!({"id": order["id"]})),
        (TENANT_CONFIG.to_owned(), json!({})),
        (ops_doc("createOrder"), json!({"input": order_input("s-2", vec![line("A", 1, "1.00")])})),
        (ops_doc("cancelOrder"), json!({"input": {"id": order["id"]}})),
    ];
    for (doc, vars) in &calls {
        let (status, body) = app.gql_status(&alice, doc, vars.clone()).await;
        assert_eq!((status, error_code(&body)), (403, Some("TENANT_SUSPENDED")), "{doc}: {body}");
    }

    let active = app.gql(&provider, SET_STATUS, json!({"input": {"id": TENANT_A, "status": "ACTIVE"}})).await;
    assert_eq!(ok(&active, "setTenantStatus")["tenant"]["status"], "ACTIVE");
    assert_eq!(app.order(&alice, order["id"].as_str().unwrap()).await["status"], "CONFIRMED");

    let unknown = app.gql(&provider, SET_STATUS, json!({"input": {"id": "nobody-here", "status": "ACTIVE"}})).await;
    assert_eq!(user_error(&unknown, "setTenantStatus"), "NOT_FOUND");
}

#[tokio::test]
async fn stale_expected_version_conflicts_and_history_is_kept() {
    let app = TestApp::spawn().await;
    let alice = app.token_a("alice");
    let fresh = app.gql(&alice, TENANT_CONFIG, json!({})).await;
    assert_eq!(fresh["data"]["tenantConfig"]["version"], 0, "{fresh}");
    assert_eq!(fresh["data"]["tenantConfig"]["autoConfirmOrders"], true);

    let first = json!({"input": {"restockingFeePercent": "10", "maxRefundAmount": "150.00", "expectedVersion": 0}});
    let v1 = app.gql(&alice, UPDATE_CONFIG, first.clone()).await;
    let v1 = &ok(&v1, "updateTenantConfig")["tenantConfig"];
    assert_eq!((v1["version"].as_i64(), v1["restockingFeePercent"].as_str()), (Some(1), Some("10")));
    assert_eq!(v1["changedBy"], "alice");

    // Someone else read version 0 too: their write is refused and changes nothing.
    let stale =
        app.gql(&alice, UPDATE_CONFIG, json!({"input": {"autoConfirmOrders": false, "expectedVersion": 0}})).await;
    assert_eq!(user_error(&stale, "updateTenantConfig"), "CONFLICT");
    assert_eq!(stale["data"]["updateTenantConfig"]["userErrors"][0]["field"], json!(["expectedVersion"]));

    let v2 = app.gql(&alice, UPDATE_CONFIG, json!({"input": {"maxRefundAmount": null, "expectedVersion": 1}})).await;
    let v2 = &ok(&v2, "updateTenantConfig")["tenantConfig"];
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["restockingFeePercent"], "10", "an omitted field keeps its value");
    assert!(v2["maxRefundAmount"].is_null(), "null clears");

    let now = app.gql(&alice, TENANT_CONFIG, json!({})).await;
    let history = now["data"]["tenantConfig"]["history"].as_array().unwrap().clone();
    let versions: Vec<i64> = history.iter().map(|h| h["version"].as_i64().unwrap()).collect();
    assert_eq!(versions, vec![2, 1]);
    assert!(history.iter().all(|h| h["changedBy"] == "alice" && h["changedAt"].is_string()));
    assert!(history[0]["summary"].as_str().unwrap().contains("max_refund_amount"), "{history:?}");

    // Bad input is a typed error and stores nothing.
    let bad = app.gql(&alice, UPDATE_CONFIG, json!({"input": {"restockingFeePercent": "-5"}})).await;
    assert_eq!(user_error(&bad, "updateTenantConfig"), "VALIDATION_FAILED", "{bad}");
    let bad = app
        .gql(&alice, UPDATE_CONFIG, json!({"input": {"roles": [{"role": "x", "permissions": ["order:fly"]}]}}))
        .await;
    assert_eq!(user_error(&bad, "updateTenantConfig"), "VALIDATION_FAILED", "{bad}");
    let after = app.gql(&alice, TENANT_CONFIG, json!({})).await;
    assert_eq!(after["data"]["tenantConfig"]["version"], 2);

    // The provider's documents are versioned the same way.
    let provider = app.jwks.sign_provider("sara", &["saas_admin"]);
    let stale = app
        .gql(&provider, UPSERT_TENANT, json!({"input": {"id": TENANT_A, "plan": "basic", "expectedVersion": 7}}))
        .await;
    assert_eq!(user_error(&stale, "upsertTenant"), "CONFLICT");
    let stale = app
        .gql(&provider, UPSERT_PLAN, json!({"input": {"name": "gold", "permissions": [], "expectedVersion": 3}}))
        .await;
    assert_eq!(user_error(&stale, "upsertPlan"), "CONFLICT");
}

#[tokio::test]
async fn provider_creates_plans_and_tenants_with_checked_input() {
    let app = TestApp::spawn().await;
    let provider = app.jwks.sign_provider("sara", &["saas_admin"]);
    let gold = app
        .gql(
            &provider,
            UPSERT_PLAN,
            json!({"input": {"name": "gold", "permissions": ["order:read"], "limits": {"ordersPerMonth": 50}, "expectedVersion": 0}}),
        )
        .await;
    let gold = &ok(&gold, "upsertPlan")["plan"];
    assert_eq!((gold["version"].as_i64(), gold["limits"]["ordersPerMonth"].as_i64()), (Some(1), Some(50)));
    let unlimited =
        app.gql(&provider, UPSERT_PLAN, json!({"input": {"name": "gold", "limits": {"ordersPerMonth": null}}})).await;
    let unlimited = &ok(&unlimited, "upsertPlan")["plan"];
    assert!(unlimited["limits"]["ordersPerMonth"].is_null());
    assert_eq!(unlimited["permissions"], json!(["order:read"]), "omitted permissions are kept");

    for (input, field) in [
        (json!({"name": "gold", "permissions": ["platform:admin"]}), "permissions"),
        (json!({"name": "gold", "permissions": ["order:fly"]}), "permissions"),
        (json!({"name": "gold", "limits": {"ordersPerMonth": 0}}), "limits"),
    ] {
        let body = app.gql(&provider, UPSERT_PLAN, json!({"input": input})).await;
        assert_eq!(user_error(&body, "upsertPlan"), "VALIDATION_FAILED", "{body}");
        let path = body["data"]["upsertPlan"]["userErrors"][0]["field"][0].as_str().unwrap().to_owned();
        assert!(path.starts_with(field), "{body}");
    }

    let idp = json!({"issuer": "https://idp.new.example", "audience": "oms-new", "algorithms": ["RS256"],
                     "jwksUri": "https://idp.new.example/jwks.json"});
    let created =
        app.gql(&provider, UPSERT_TENANT, json!({"input": {"id": "tenant_new", "plan": "gold", "idp": idp}})).await;
    let created = &ok(&created, "upsertTenant")["tenant"];
    assert_eq!((created["status"].as_str(), created["version"].as_i64()), (Some("ACTIVE"), Some(1)));
    let listed = app.gql(&provider, "{ tenant(id: \"tenant_new\") { id plan version } }", json!({})).await;
    assert_eq!(listed["data"]["tenant"]["plan"], "gold");

    let no_plan = app.gql(&provider, UPSERT_TENANT, json!({"input": {"id": "t2", "plan": "nope", "idp": idp}})).await;
    assert_eq!(user_error(&no_plan, "upsertTenant"), "VALIDATION_FAILED", "{no_plan}");
    let no_idp = app.gql(&provider, UPSERT_TENANT, json!({"input": {"id": "t3", "plan": "gold"}})).await;
    assert_eq!(user_error(&no_idp, "upsertTenant"), "VALIDATION_FAILED");
    let plain_http = json!({"input": {"id": "tenant_new", "idp": {"jwksUri": "http://idp.new.example/jwks.json"}}});
    let body = app.gql(&provider, UPSERT_TENANT, plain_http).await;
    assert_eq!(user_error(&body, "upsertTenant"), "VALIDATION_FAILED");
    assert_eq!(body["data"]["upsertTenant"]["userErrors"][0]["field"], json!(["idp", "jwksUri"]));
    let bad_id =
        app.gql(&provider, UPSERT_TENANT, json!({"input": {"id": "no spaces", "plan": "gold", "idp": idp}})).await;
    assert_eq!(user_error(&bad_id, "upsertTenant"), "VALIDATION_FAILED");

    // Without the admin role nothing is changed.
    let staff = app.jwks.sign_provider("sam", &["support"]);
    let body = app.gql(&staff, UPSERT_PLAN, json!({"input": {"name": "gold", "permissions": []}})).await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"));
    let plans = app.gql(&provider, "{ plans { name permissions version } }", json!({})).await;
    let gold = plans["data"]["plans"].as_array().unwrap().iter().find(|p| p["name"] == "gold").unwrap().clone();
    assert_eq!((gold["version"].as_i64(), gold["permissions"].clone()), (Some(2), json!(["order:read"])));
}

#[tokio::test]
async fn a_change_on_one_instance_reaches_the_others() {
    let app = TestApp::spawn().await;
    let other = app.second_instance().await;
    let basic = app.token_for(BASIC, "bea", &["tenant_admin"]);
    let order = app.create_order(&basic, "mi-1", vec![line("A", 2, "1.00")]).await;
    let refused = other.gql(&basic, &ops_doc("createShipment"), ship_input(&order["id"])).await;
    assert_eq!(error_code(&refused), Some("PLAN_FORBIDDEN"));

    let provider = app.jwks.sign_provider("sara", &["saas_admin"]);
    let input = json!({"input": {"name": "basic", "permissions": ["order:read", "order:create", "shipment:create"]}});
    ok(&app.gql(&provider, UPSERT_PLAN, input).await, "upsertPlan");

    // The other instance polls the store's revision (every second); give it ample time.
    let mut answer = Value::Null;
    for _ in 0..100 {
        answer = other.gql(&basic, &ops_doc("createShipment"), ship_input(&order["id"])).await;
        if error_code(&answer) != Some("PLAN_FORBIDDEN") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(ok(&answer, "createShipment")["shipment"]["status"], "PENDING", "{answer}");
}

const PROVIDER_AUDIT: &str = "query($f: AuditLogFilter) { auditLog(first: 100, filter: $f) { \
  nodes { actor action targetIds input outcome } } }";

#[tokio::test]
async fn admin_operations_are_audited_and_no_secret_leaks_anywhere() {
    let app = TestApp::spawn().await;
    let provider = app.jwks.sign_provider("sara", &["saas_admin"]);
    let staff = app.jwks.sign_provider("sam", &["support"]);
    let alice = app.token_a("alice");

    let rotated = app.gql(&provider, ROTATE, json!({"input": {"tenantId": TENANT_A, "webhook": "add_order"}})).await;
    let secret = ok(&rotated, "rotateWebhookSecret")["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_") && secret.len() > 40, "{secret}");
    let again =
        app.gql(&provider, ROTATE, json!({"input": {"tenantId": TENANT_A, "webhook": "shipment_tracker"}})).await;
    let second = ok(&again, "rotateWebhookSecret")["secret"].as_str().unwrap().to_owned();
    assert_ne!(secret, second);
    let unknown = app.gql(&provider, ROTATE, json!({"input": {"tenantId": TENANT_A, "webhook": "teleport"}})).await;
    assert_eq!(user_error(&unknown, "rotateWebhookSecret"), "VALIDATION_FAILED");
    let refused = app.gql(&staff, ROTATE, json!({"input": {"tenantId": TENANT_A, "webhook": "add_order"}})).await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"));

    let outbound_secret = "whsec_dGVuYW50LW91dGJvdW5kLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVm";
    let hook = json!({"input": {"outboundWebhook": {"url": "https://tenant-a.example/hooks", "secret": outbound_secret,
                                                    "events": ["order.*"]}}});
    let updated = app.gql(&alice, UPDATE_CONFIG, hook).await;
    assert_eq!(ok(&updated, "updateTenantConfig")["tenantConfig"]["outboundWebhook"]["hasSecret"], true);
    ok(
        &app.gql(&provider, UPSERT_PLAN, json!({"input": {"name": "basic", "limits": {"ordersPerMonth": 9}}})).await,
        "upsertPlan",
    );
    ok(
        &app.gql(&provider, SET_STATUS, json!({"input": {"id": TENANT_A, "status": "ACTIVE"}})).await,
        "setTenantStatus",
    );

    // The tenant's trail holds the provider's operations on it; the platform's holds the plan change.
    let tenant_trail = app.gql(&provider, PROVIDER_AUDIT, json!({"f": {"tenantId": TENANT_A}})).await;
    let records = tenant_trail["data"]["auditLog"]["nodes"].as_array().unwrap().clone();
    let count = |action: &str, outcome: &str| {
        records.iter().filter(|r| r["action"] == action && r["outcome"] == outcome).count()
    };
    assert_eq!(count("rotateWebhookSecret", "ok"), 2, "{records:?}");
    assert_eq!(count("rotateWebhookSecret", "VALIDATION_FAILED"), 1);
    assert_eq!(count("rotateWebhookSecret", "FORBIDDEN"), 1);
    assert_eq!(count("updateTenantConfig", "ok"), 1);
    assert_eq!(count("setTenantStatus", "ok"), 1);
    let own = app.gql(&alice, "{ auditLog(first: 100) { nodes { action actor } } }", json!({})).await;
    assert_eq!(
        own["data"]["auditLog"]["nodes"].as_array().unwrap().len(),
        records.len(),
        "the tenant sees the same trail"
    );
    let platform = app.gql(&provider, PROVIDER_AUDIT, json!({})).await;
    let platform = platform["data"]["auditLog"]["nodes"].as_array().unwrap().clone();
    assert!(
        platform.iter().any(|r| r["action"] == "upsertPlan" && r["actor"] == "sara" && r["outcome"] == "ok"),
        "{platform:?}"
    );
    assert!(platform.iter().any(|r| r["action"] == "importConfig" && r["actor"] == "config-file"), "{platform:?}");
    let elsewhere = app.gql(&alice, PROVIDER_AUDIT, json!({"f": {"tenantId": "tenant_b"}})).await;
    assert_eq!(error_code(&elsewhere), Some("FORBIDDEN"));

    // Everything a client can read, and every log line so far.
    let provider_view = "{ plans { name permissions } tenants(first: 100) { nodes { id plan status webhooks \
      idp { issuer jwksUri hasPublicKeyPem hasHs256Secret } version } } }";
    let mut seen = vec![
        rotated.to_string(),
        again.to_string(),
        updated.to_string(),
        tenant_trail.to_string(),
        json!(platform).to_string(),
        app.gql(&provider, provider_view, json!({})).await.to_string(),
        app.gql(&alice, TENANT_CONFIG, json!({})).await.to_string(),
    ];
    // The rotation's own answer is the one place its secret may appear.
    seen.drain(..2);
    let log = captured_log();
    let mut secrets: Vec<&str> = SECRETS.to_vec();
    secrets.extend([outbound_secret, secret.as_str(), second.as_str()]);
    for secret in secrets {
        for text in &seen {
            assert!(!text.contains(secret), "a secret leaked into a response or audit record: {text}");
        }
        assert!(!log.contains(secret), "a secret leaked into the log");
    }
    assert!(log.contains("finished processing request"), "the log is captured");
}

#[tokio::test]
async fn calls_by_the_wrong_kind_of_caller_are_refused_and_audited() {
    let app = TestApp::spawn().await;
    let provider = app.jwks.sign_provider("sara", &["saas_admin"]);
    let alice = app.token_a("alice");

    let body = app.gql(&alice, UPSERT_PLAN, json!({"input": {"name": "basic", "permissions": []}})).await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let body = app
        .gql(&provider, &ops_doc("createOrder"), json!({"input": order_input("x-1", vec![line("A", 1, "1.00")])}))
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let query = app.gql(&provider, "{ orders { nodes { id } } }", json!({})).await;
    assert_eq!(error_code(&query), Some("FORBIDDEN"));
    for answer in [&body, &query] {
        assert!(!answer.to_string().contains("auditPending"), "an internal mark leaked: {answer}");
    }

    let tenant_trail =
        app.gql(&alice, "{ auditLog(first: 10) { nodes { actor action outcome input } } }", json!({})).await;
    let records = tenant_trail["data"]["auditLog"]["nodes"].as_array().unwrap().clone();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(
        (records[0]["action"].as_str(), records[0]["outcome"].as_str()),
        (Some("upsertPlan"), Some("FORBIDDEN"))
    );
    assert_eq!(records[0]["actor"], "alice");
    let platform = app.gql(&provider, PROVIDER_AUDIT, json!({})).await;
    let platform = platform["data"]["auditLog"]["nodes"].as_array().unwrap().clone();
    let refused: Vec<_> = platform.iter().filter(|r| r["outcome"] == "FORBIDDEN").collect();
    assert_eq!(refused.len(), 1, "queries are not audited, the refused mutation is: {platform:?}");
    assert_eq!((refused[0]["action"].as_str(), refused[0]["actor"].as_str()), (Some("createOrder"), Some("sara")));
}

#[tokio::test]
async fn concurrent_edits_without_expected_version_all_land_one_version_each() {
    let app = TestApp::spawn().await;
    let alice = app.token_a("alice");
    let edits = (0..20).map(|i| {
        let input = json!({"input": {"maxRefundAmount": format!("{i}.00")}});
        let (app, alice) = (&app, &alice);
        async move { app.gql(alice, UPDATE_CONFIG, input).await }
    });
    let answers = futures::future::join_all(edits).await;
    let mut versions: Vec<i64> =
        answers.iter().map(|a| ok(a, "updateTenantConfig")["tenantConfig"]["version"].as_i64().unwrap()).collect();
    versions.sort_unstable();
    assert_eq!(versions, (1..=20).collect::<Vec<_>>(), "every edit is its own version, none lost");
}

#[tokio::test]
async fn a_config_file_wins_only_when_it_is_newer_than_the_stored_config() {
    use tenant_oms::app::ConfigSource;
    let app = TestApp::spawn().await;
    let provider = app.jwks.sign_provider("sara", &["saas_admin"]);
    let limit = async |instance: &TestApp| {
        let plans = instance.gql(&provider, "{ plans { name limits { ordersPerMonth } version } }", json!({})).await;
        let basic = plans["data"]["plans"].as_array().unwrap().iter().find(|p| p["name"] == "basic").unwrap().clone();
        (basic["limits"]["ordersPerMonth"].as_i64(), basic["version"].as_i64().unwrap())
    };
    let edit = json!({"input": {"name": "basic", "limits": {"ordersPerMonth": 7}}});
    ok(&app.gql(&provider, UPSERT_PLAN, edit).await, "upsertPlan");
    let file = || crate::support::saas_config(&app.jwks.base_url());

    // A restart with a file older than the stored change serves the stored change.
    let old = chrono::Utc::now() - chrono::Duration::hours(1);
    let restarted =
        app.instance_with(ConfigSource::File { config: file(), path: "old.json".into(), modified: Some(old) }).await;
    assert_eq!(limit(&restarted).await, (Some(7), 2));

    // A file changed after it wins: its plan becomes a new version, nothing is rewritten in place.
    let new = chrono::Utc::now() + chrono::Duration::seconds(5);
    let updated =
        app.instance_with(ConfigSource::File { config: file(), path: "new.json".into(), modified: Some(new) }).await;
    assert_eq!(limit(&updated).await, (None, 3));
}

const SET_INTEGRATIONS: &str = "mutation($input: SetIntegrationsInput!) { setIntegrations(input: $input) { \
  integrations version userErrors { code field message } } }";

#[tokio::test]
async fn the_provider_sets_integrations_checked_versioned_audited_and_secrets_write_only() {
    let app = TestApp::spawn().await;
    let provider = app.jwks.sign_provider("sara", &["saas_admin"]);
    let tracker_secret = "whsec_aW50ZWdyYXRpb25zLXRyYWNrZXItc2VjcmV0LTAxMjM0NTY3";
    let carrier_key = "EZAK-integrations-carrier-key-0123456789";
    let tracker = json!({"provider": "standard", "shared_secret": tracker_secret,
                         "tracking_reference_jmespath": "result.tracking_code", "status_jmespath": "result.status",
                         "carrier_shipment_id_jmespath": "result.shipment_id",
                         "status_map": {"in_transit": "IN_TRANSIT"}});
    let set = |input: Value| {
        let (app, provider) = (&app, provider.clone());
        async move { app.gql(&provider, SET_INTEGRATIONS, json!({"input": input})).await }
    };

    let first = set(json!({"tenantId": TENANT_A, "webhooks": {"shipment_tracker": tracker},
                           "createShipmentApi": {"provider": "easypost", "api_key": carrier_key,
                                                 "endpoint": "https://api.easypost.example/v2"}}))
    .await;
    let first = ok(&first, "setIntegrations").clone();
    let shown = &first["integrations"];
    assert_eq!(shown["webhooks"]["shipment_tracker"]["status_jmespath"], "result.status", "{first}");
    assert_eq!(shown["webhooks"]["shipment_tracker"]["shared_secret"], "[REDACTED]");
    assert_eq!(shown["create_shipment_api"]["api_key"], "[REDACTED]");
    let version = first["version"].as_i64().unwrap();

    // A JMESPath that does not compile is refused with the field named, and nothing changes.
    let mut broken = tracker.clone();
    broken["status_jmespath"] = json!("result.[status");
    let refused = set(json!({"tenantId": TENANT_A, "webhooks": {"shipment_tracker": broken}})).await;
    assert_eq!(user_error(&refused, "setIntegrations"), "VALIDATION_FAILED", "{refused}");
    let field = refused["data"]["setIntegrations"]["userErrors"][0]["field"].to_string();
    assert!(field.contains("statusJmespath"), "{refused}");

    // Secrets are write-only: an edit that leaves them out keeps them (a webhook without a secret
    // would be refused by the check), and the stale version is a conflict.
    let mut without_secret = tracker.clone();
    without_secret.as_object_mut().unwrap().remove("shared_secret");
    without_secret["status_map"] = json!({"in_transit": "IN_TRANSIT", "delivered": "DELIVERED"});
    let kept = set(json!({"tenantId": TENANT_A, "webhooks": {"shipment_tracker": without_secret},
                          "expectedVersion": version}))
    .await;
    let kept = ok(&kept, "setIntegrations");
    assert_eq!(kept["version"], version + 1);
    assert_eq!(kept["integrations"]["webhooks"]["shipment_tracker"]["shared_secret"], "[REDACTED]");
    assert_eq!(kept["integrations"]["create_shipment_api"]["api_key"], "[REDACTED]", "kept: not in this edit");
    let stale = set(json!({"tenantId": TENANT_A, "webhooks": {}, "expectedVersion": version})).await;
    assert_eq!(user_error(&stale, "setIntegrations"), "CONFLICT", "{stale}");

    // null removes; unknown names and a carrier API for the provider itself are refused.
    let removed =
        set(json!({"tenantId": TENANT_A, "webhooks": {"shipment_tracker": null}, "createShipmentApi": null})).await;
    let removed = ok(&removed, "setIntegrations");
    assert_eq!(removed["integrations"]["webhooks"].get("shipment_tracker"), None, "{removed}");
    assert_eq!(removed["integrations"]["create_shipment_api"], Value::Null);
    let unknown = set(json!({"tenantId": TENANT_A, "webhooks": {"teleport": {}}})).await;
    assert_eq!(user_error(&unknown, "setIntegrations"), "VALIDATION_FAILED");
    let providers = set(json!({"createShipmentApi": {"provider": "easypost"}})).await;
    assert_eq!(user_error(&providers, "setIntegrations"), "VALIDATION_FAILED");
    // The provider's own tracker route: its secret kept, its expressions replaced.
    let own = set(json!({"webhooks": {"shipment_tracker": {"provider": "easypost",
        "tracking_reference_jmespath": "result.tracking_code || data.tracking_code", "status_jmespath": "result.status"}}}))
    .await;
    let own = ok(&own, "setIntegrations");
    assert_eq!(own["integrations"]["webhooks"]["shipment_tracker"]["shared_secret"], "[REDACTED]", "{own}");

    // Audited on the tenant's trail with the secrets redacted; no secret in any answer or log.
    let trail = app.gql(&provider, PROVIDER_AUDIT, json!({"f": {"tenantId": TENANT_A}})).await;
    let records: Vec<&Value> = trail["data"]["auditLog"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "setIntegrations")
        .collect();
    assert_eq!(records.len(), 6, "{records:?}");
    let everything = format!("{trail} {first} {}", captured_log());
    for secret in [tracker_secret, carrier_key] {
        assert!(!everything.contains(secret), "a secret leaked");
    }
}
