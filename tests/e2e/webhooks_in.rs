//! Webhooks in (issue 11, SPEC.md section 5), over real HTTP: a partner's signed add-order with
//! each scheme, refusals that create nothing, carriers' tracking reports on a tenant's route and
//! on the provider's, rates, the audit trail, and no secret anywhere a client or operator reads.
//!
//! Signatures are computed here with `hmac`/`sha2` directly, as a partner would, not with the
//! server's own code.

use base64::{Engine as _, engine::general_purpose::STANDARD as BASE64};
use hmac::{Hmac, Mac};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::support::{
    HOOKS_EP, HOOKS_WSS, SECRETS, TENANT_A, TENANT_B, TestApp, captured_log, fake_easypost::FakeEasyPost, line,
    line_in, order_input,
};

const PROVIDER_SECRET: &str = SECRETS[0];
const A_ADD_ORDER: &str = SECRETS[1];
const WSS_ADD_ORDER: &str = SECRETS[4];
const WSS_TRACKER: &str = SECRETS[5];
const EP_ADD_ORDER: &str = SECRETS[6];
const EP_TRACKER: &str = SECRETS[7];

fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// How a delivery is signed.
#[derive(Clone, Copy)]
enum Signer<'a> {
    /// Standard Webhooks: `webhook-id` and `webhook-timestamp` as given.
    Standard {
        secret: &'a str,
        id: &'a str,
        at: i64,
    },
    Wss {
        secret: &'a str,
        at: i64,
    },
    EasyPost {
        secret: &'a str,
    },
}

impl Signer<'_> {
    fn headers(&self, body: &[u8]) -> Vec<(String, String)> {
        match *self {
            Signer::Standard { secret, id, at } => {
                let key = match secret.strip_prefix("whsec_") {
                    Some(encoded) => BASE64.decode(encoded).expect("base64 secret"),
                    None => secret.as_bytes().to_vec(),
                };
                let tag = hmac(&key, &[id.as_bytes(), b".", at.to_string().as_bytes(), b".", body]);
                vec![
                    ("webhook-id".into(), id.into()),
                    ("webhook-timestamp".into(), at.to_string()),
                    ("webhook-signature".into(), format!("v1,{}", BASE64.encode(tag))),
                ]
            }
            Signer::Wss { secret, at } => vec![
                ("X-Wss-Timestamp".into(), at.to_string()),
                ("X-Wss-Signature".into(), hex(&hmac(secret.as_bytes(), &[body]))),
            ],
            Signer::EasyPost { secret } => {
                vec![("X-Hmac-Signature".into(), format!("hmac-sha256-hex={}", hex(&hmac(secret.as_bytes(), &[body]))))]
            }
        }
    }
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
    text: String,
}

async fn send_raw(app: &TestApp, path: &str, headers: &[(String, String)], body: Vec<u8>) -> Answer {
    let mut request = app.client.post(app.url(path)).header("content-type", "application/json").body(body);
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer { status, headers, body, text }
}

async fn send(app: &TestApp, path: &str, signer: Signer<'_>, body: &Value) -> Answer {
    let bytes = body.to_string().into_bytes();
    send_raw(app, path, &signer.headers(&bytes), bytes).await
}

/// An RFC 7807 answer of `status`.
fn assert_problem(answer: &Answer, status: u16, what: &str) {
    assert_eq!(answer.status, status, "{what}: {}", answer.text);
    let media = answer.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert_eq!(media, "application/problem+json", "{what}");
    for member in ["type", "title", "detail"] {
        assert!(answer.body[member].is_string(), "{what}: no {member} in {}", answer.text);
    }
    assert_eq!(answer.body["status"], status, "{what}");
}

fn add_order_path(tenant: &str) -> String {
    format!("/webhooks/{tenant}/add-order")
}

fn tracker_path(tenant: &str) -> String {
    format!("/webhooks/{tenant}/shipment-tracker")
}

fn admin(app: &TestApp, tenant: &str) -> String {
    app.token_for(tenant, "ops", &["tenant_admin"])
}

async fn orders_of(app: &TestApp, tenant: &str) -> Vec<Value> {
    let body =
        app.gql(&admin(app, tenant), "{ orders(first: 100) { nodes { id externalRef number } } }", json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["orders"]["nodes"].as_array().unwrap().clone()
}

/// Audit records of webhook actors on `tenant`'s trail (`None`: the platform's), read by the
/// provider.
async fn webhook_records(app: &TestApp, tenant: Option<&str>) -> Vec<Value> {
    let provider = app.jwks.sign_provider("sara", &["saas_admin"]);
    let q = "query($f: AuditLogFilter) { auditLog(first: 100, filter: $f) { nodes { actor action input outcome targetIds } } }";
    let filter = match tenant {
        Some(t) => json!({"tenantId": t}),
        None => json!({}),
    };
    let body = app.gql(&provider, q, json!({"f": filter})).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["auditLog"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["actor"].as_str().is_some_and(|a| a.starts_with("webhook:")))
        .cloned()
        .collect()
}

#[tokio::test]
async fn add_order_with_each_scheme_creates_the_order_once() {
    let app = TestApp::spawn().await;
    let schemes: [(&str, &str); 3] = [(TENANT_A, "standard"), (HOOKS_WSS, "wss"), (HOOKS_EP, "easypost")];
    for (tenant, scheme) in schemes {
        let body = order_input(&format!("partner-{scheme}-1"), vec![line("SKU-1", 2, "5.00")]);
        let signer = |id| match scheme {
            "standard" => Signer::Standard { secret: A_ADD_ORDER, id, at: now() },
            "wss" => Signer::Wss { secret: WSS_ADD_ORDER, at: now() },
            _ => Signer::EasyPost { secret: EP_ADD_ORDER },
        };
        let first = send(&app, &add_order_path(tenant), signer("msg-1"), &body).await;
        assert_eq!(first.status, 200, "{scheme}: {}", first.text);
        assert_eq!(first.body["status"], "created", "{scheme}");
        assert_eq!(first.body["number"], "ORD-000001", "{scheme}");
        let order_id = first.body["orderId"].as_str().unwrap().to_owned();

        let again = send(&app, &add_order_path(tenant), signer("msg-1"), &body).await;
        assert_eq!((again.status, &again.body["status"]), (200, &json!("duplicate")), "{scheme}: {}", again.text);
        assert_eq!(again.body["orderId"], order_id.as_str());

        // A new delivery: another id, or (schemes without one) other bytes.
        let mut other = body.clone();
        other["customer"]["name"] = json!("Ann B. Buyer");
        let new_delivery = send(&app, &add_order_path(tenant), signer("msg-2"), &other).await;
        assert_eq!(new_delivery.status, 200, "{scheme}: {}", new_delivery.text);
        assert_eq!(new_delivery.body["status"], "existing", "{scheme}");
        assert_eq!(new_delivery.body["orderId"], order_id.as_str(), "{scheme}: same externalRef, same order");

        let orders = orders_of(&app, tenant).await;
        assert_eq!(orders.len(), 1, "{scheme}: {orders:?}");
        let records = webhook_records(&app, Some(tenant)).await;
        assert_eq!(records.len(), 3, "{scheme}: one record per call: {records:?}");
        assert!(records.iter().all(|r| r["actor"] == "webhook:add_order" && r["action"] == "createOrder"));
        assert!(records.iter().all(|r| r["outcome"] == "ok"), "{records:?}");
    }

    // Several signatures, one of them valid (a partner rotating its secret).
    let body = order_input("partner-rotating", vec![line("SKU-2", 1, "1.00")]);
    let bytes = body.to_string().into_bytes();
    let mut headers = Signer::Standard { secret: A_ADD_ORDER, id: "msg-rot", at: now() }.headers(&bytes);
    let old = Signer::Standard { secret: "whsec_b2xkLXNlY3JldC1vZi10aGUtcGFydG5lcg==", id: "msg-rot", at: now() }
        .headers(&bytes)[2]
        .1
        .clone();
    headers[2].1 = format!("{old} v2,bm90LWEtc2lnbmF0dXJl {}", headers[2].1);
    let answer = send_raw(&app, &add_order_path(TENANT_A), &headers, bytes).await;
    assert_eq!((answer.status, &answer.body["status"]), (200, &json!("created")), "{}", answer.text);
}

#[tokio::test]
async fn refused_deliveries_create_nothing_and_are_problems() {
    let app = TestApp::spawn().await;
    let good = order_input("refused-1", vec![line("SKU-1", 1, "2.00")]);
    let path = add_order_path(TENANT_A);
    let standard = |at| Signer::Standard { secret: A_ADD_ORDER, id: "msg-x", at };

    let mut calls = 0;
    let mut platform_calls = 0;
    let refused = async |path: &str, signer: Signer<'_>, body: &Value, status: u16, what: &str| {
        let answer = send(&app, path, signer, body).await;
        assert_problem(&answer, status, what);
        answer
    };

    let mut tampered =
        Signer::Standard { secret: A_ADD_ORDER, id: "msg-x", at: now() }.headers(good.to_string().as_bytes());
    tampered[2].1 = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_owned();
    let bytes = good.to_string().into_bytes();
    let answer = send_raw(&app, &path, &tampered, bytes.clone()).await;
    assert_problem(&answer, 401, "bad signature");
    calls += 1;
    refused(&path, standard(now() - 301), &good, 401, "stale timestamp").await;
    refused(&path, standard(now() + 301), &good, 401, "future timestamp").await;
    let others = Signer::Standard { secret: WSS_ADD_ORDER, id: "msg-x", at: now() };
    refused(&path, others, &good, 401, "another tenant's secret").await;
    calls += 3;
    // No signature at all.
    let answer = send_raw(&app, &path, &[], bytes).await;
    assert_problem(&answer, 401, "unsigned");
    calls += 1;

    refused(&add_order_path("tenant_nobody"), standard(now()), &good, 404, "unknown tenant").await;
    refused(&add_order_path(TENANT_B), standard(now()), &good, 404, "add_order not configured").await;
    refused(&tracker_path(TENANT_A), standard(now()), &good, 404, "tracker not configured").await;
    platform_calls += 3;

    // Signed, but not JSON: 400; JSON without lines: 422.
    let malformed = b"{\"externalRef\": \"refused-1\", ".to_vec();
    let headers = standard(now()).headers(&malformed);
    assert_problem(&send_raw(&app, &path, &headers, malformed).await, 400, "malformed JSON");
    let mut no_lines = good.clone();
    no_lines.as_object_mut().unwrap().remove("lines");
    let unusable = send(&app, &path, Signer::Standard { secret: A_ADD_ORDER, id: "msg-y", at: now() }, &no_lines).await;
    assert_problem(&unusable, 422, "valid JSON without lines");
    assert!(unusable.text.contains("line"), "{}", unusable.text);
    let wrong_type = json!({"customer": "not an object", "lines": []});
    refused(&path, Signer::Standard { secret: A_ADD_ORDER, id: "msg-z", at: now() }, &wrong_type, 422, "wrong type")
        .await;
    calls += 3;

    // Over 256 KiB: refused before it is read whole, so before anything says whose it is.
    let mut huge = good.clone();
    huge["customer"]["name"] = json!("x".repeat(300 * 1024));
    refused(&path, standard(now()), &huge, 413, "body over the limit").await;
    platform_calls += 1;

    assert_eq!(orders_of(&app, TENANT_A).await, Vec::<Value>::new(), "a refused delivery creates nothing");
    // The delivery refused as unusable was not remembered: fixed, the same id is processed.
    let fixed = send(&app, &path, Signer::Standard { secret: A_ADD_ORDER, id: "msg-y", at: now() }, &good).await;
    assert_eq!((fixed.status, &fixed.body["status"]), (200, &json!("created")), "{}", fixed.text);
    calls += 1;

    let records = webhook_records(&app, Some(TENANT_A)).await;
    assert_eq!(records.len(), calls, "one record per call on the tenant's trail: {records:?}");
    let outcomes: Vec<&str> = records.iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes.iter().filter(|o| **o == "UNAUTHENTICATED").count(), 5, "{outcomes:?}");
    let platform = webhook_records(&app, None).await;
    assert_eq!(platform.len(), platform_calls, "unknown or unconfigured routes are on the platform's trail");
    let outcomes: Vec<&str> = platform.iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes.iter().filter(|o| **o == "NOT_FOUND").count(), 3, "{outcomes:?}");
    assert_eq!(outcomes.iter().filter(|o| **o == "VALIDATION_FAILED").count(), 1, "the oversized body: {outcomes:?}");
}

/// An order of `tenant` with one shipment holding every unit, dispatched with `reference`.
async fn dispatched(app: &TestApp, tenant: &str, external_ref: &str, reference: &str) -> (String, String) {
    let token = admin(app, tenant);
    let order = app.create_order(&token, external_ref, vec![line("SKU-1", 2, "5.00")]).await;
    let order_id = order["id"].as_str().unwrap().to_owned();
    let shipment = app.ship(&token, &order_id, &[("SKU-1", 2)]).await;
    let shipment_id = shipment["shipment"]["id"].as_str().unwrap().to_owned();
    let d = app.confirm_and_dispatch_at(&token, &shipment_id, reference, None).await;
    assert_eq!(d["order"]["status"], "SHIPPED");
    (order_id, shipment_id)
}

fn tracker_event(reference: &str, status: &str, branch: &str) -> Value {
    json!({"object": "Event", "description": "tracker.updated",
           branch: {"object": "Tracker", "tracking_code": reference, "status": status, "carrier": "DHL"}})
}

async fn shipment_view(app: &TestApp, tenant: &str, shipment_id: &str) -> Value {
    let q = "query($id: ID!) { shipment(id: $id) { status trackingEvents { status carrierStatus occurredAt } \
             order { status } } }";
    let body = app.gql(&admin(app, tenant), q, json!({"id": shipment_id})).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["shipment"].clone()
}

#[tokio::test]
async fn tracker_moves_the_shipment_and_the_order_forwards_only() {
    let app = TestApp::spawn().await;
    let (_, other_tenants) = dispatched(&app, HOOKS_EP, "ep-1", "EP-TRK-1").await;
    let cases: [(&str, &str); 2] = [(HOOKS_WSS, "standard"), (HOOKS_EP, "easypost")];
    for (tenant, scheme) in cases {
        let reference = format!("TRK-{scheme}");
        let (order_id, shipment_id) = dispatched(&app, tenant, &format!("track-{scheme}"), &reference).await;
        let path = tracker_path(tenant);
        let signer = |id| match scheme {
            "standard" => Signer::Standard { secret: WSS_TRACKER, id, at: now() },
            _ => Signer::EasyPost { secret: EP_TRACKER },
        };
        let in_transit = send(&app, &path, signer("t-1"), &tracker_event(&reference, "in_transit", "result")).await;
        assert_eq!(in_transit.status, 200, "{scheme}: {}", in_transit.text);
        assert_eq!(
            (in_transit.body["status"].as_str(), in_transit.body["shipmentStatus"].as_str()),
            (Some("moved"), Some("IN_TRANSIT"))
        );
        assert_eq!(in_transit.body["orderId"], order_id.as_str());

        // The other branch of `result.tracking_code || data.tracking_code`.
        let delivered = tracker_event(&reference, "delivered", "data");
        let answer = send(&app, &path, signer("t-2"), &delivered).await;
        assert_eq!((answer.status, &answer.body["shipmentStatus"]), (200, &json!("DELIVERED")), "{}", answer.text);
        let view = shipment_view(&app, tenant, &shipment_id).await;
        assert_eq!((view["status"].as_str(), view["order"]["status"].as_str()), (Some("DELIVERED"), Some("DELIVERED")));

        // Late: recorded, changes nothing.
        let mut late = tracker_event(&reference, "in_transit", "result");
        late["description"] = json!("late");
        let answer = send(&app, &path, signer("t-3"), &late).await;
        assert_eq!((answer.status, &answer.body["status"]), (200, &json!("recorded")), "{}", answer.text);
        let view = shipment_view(&app, tenant, &shipment_id).await;
        assert_eq!((view["status"].as_str(), view["order"]["status"].as_str()), (Some("DELIVERED"), Some("DELIVERED")));
        let events: Vec<(Value, Value)> = view["trackingEvents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["status"].clone(), e["carrierStatus"].clone()))
            .collect();
        assert_eq!(
            events,
            [
                (json!("IN_TRANSIT"), json!("in_transit")),
                (json!("DELIVERED"), json!("delivered")),
                (json!("IN_TRANSIT"), json!("in_transit"))
            ],
            "{scheme}"
        );

        // A replay is a duplicate and records nothing more.
        let replay = send(&app, &path, signer("t-2"), &delivered).await;
        assert_eq!((replay.status, &replay.body["status"]), (200, &json!("duplicate")), "{}", replay.text);
        assert_eq!(shipment_view(&app, tenant, &shipment_id).await["trackingEvents"].as_array().unwrap().len(), 3);

        // Unknown reference; another tenant's reference is unknown here too.
        let unknown = send(&app, &path, signer("t-4"), &tracker_event("NO-SUCH-REF", "in_transit", "result")).await;
        assert_problem(&unknown, 404, "unknown reference");
        if tenant == HOOKS_WSS {
            let foreign = send(&app, &path, signer("t-5"), &tracker_event("EP-TRK-1", "in_transit", "result")).await;
            assert_problem(&foreign, 404, "another tenant's reference");
            assert!(!foreign.text.contains(HOOKS_EP), "{}", foreign.text);
        }
    }
    // The other tenant's shipment was not touched by the call on the wrong route.
    let view = shipment_view(&app, HOOKS_EP, &other_tenants).await;
    assert_eq!((view["status"].as_str(), view["trackingEvents"].as_array().unwrap().len()), (Some("SHIPPED"), 0));
}

#[tokio::test]
async fn provider_route_finds_the_tenant_after_verifying() {
    let app = TestApp::spawn().await;
    let (order_id, shipment_id) = dispatched(&app, HOOKS_WSS, "prv-1", "PRV-1").await;
    let path = "/webhooks/shipment-tracker";
    let provider = Signer::EasyPost { secret: PROVIDER_SECRET };

    // A tenant's secret is not the provider's.
    let answer =
        send(&app, path, Signer::EasyPost { secret: EP_TRACKER }, &tracker_event("PRV-1", "in_transit", "result"))
            .await;
    assert_problem(&answer, 401, "a tenant's secret on the provider route");
    assert_eq!(shipment_view(&app, HOOKS_WSS, &shipment_id).await["status"], "SHIPPED");

    let answer = send(&app, path, provider, &tracker_event("PRV-1", "in_transit", "result")).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(
        (answer.body["status"].as_str(), answer.body["orderId"].as_str()),
        (Some("moved"), Some(order_id.as_str()))
    );
    assert_eq!(shipment_view(&app, HOOKS_WSS, &shipment_id).await["status"], "IN_TRANSIT");
    let replay = send(&app, path, provider, &tracker_event("PRV-1", "in_transit", "result")).await;
    assert_eq!(replay.body["status"], "duplicate", "{}", replay.text);

    // Two tenants hold one reference: neither is named.
    dispatched(&app, HOOKS_WSS, "same-1", "SAME-1").await;
    dispatched(&app, HOOKS_EP, "same-2", "SAME-1").await;
    let ambiguous = send(&app, path, provider, &tracker_event("SAME-1", "in_transit", "result")).await;
    assert_problem(&ambiguous, 409, "ambiguous reference");
    let unknown = send(&app, path, provider, &tracker_event("NOWHERE-1", "in_transit", "result")).await;
    assert_problem(&unknown, 404, "unknown reference");
    for text in [&ambiguous.text, &unknown.text] {
        assert!(!text.contains(HOOKS_WSS) && !text.contains(HOOKS_EP), "{text}");
    }

    // The processed calls are on the tenant's trail; the refused ones on the platform's.
    let tenant = webhook_records(&app, Some(HOOKS_WSS)).await;
    assert_eq!(tenant.len(), 2, "{tenant:?}");
    assert!(tenant.iter().all(|r| r["actor"] == "webhook:provider_shipment_tracker"), "{tenant:?}");
    let platform = webhook_records(&app, None).await;
    let outcomes: Vec<&str> = platform.iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes.len(), 3, "{platform:?}");
    for expected in ["UNAUTHENTICATED", "CONFLICT", "NOT_FOUND"] {
        assert!(outcomes.contains(&expected), "{outcomes:?}");
    }
}

#[tokio::test]
async fn provider_route_finds_a_booked_shipment_by_the_carriers_own_id() {
    // Tenant A books through a fake EasyPost, which names the shipment shp_fake0001 and gives it
    // the tracking code EZ0001000000; another tenant dispatched a parcel under the same code.
    let fake = FakeEasyPost::start(SECRETS[2], "KWD").await;
    let endpoint = fake.endpoint();
    let app = TestApp::spawn_configured(
        |_| {},
        Default::default(),
        |config: &mut Value| {
            config["tenants"][TENANT_A]["create_shipment_api"] = json!({
                "provider": "easypost", "api_key": SECRETS[2], "endpoint": endpoint,
                "from_address": {"line1": "7 Warehouse St", "city": "Shuwaikh", "postal_code": "70050", "country": "KW"}
            });
        },
    )
    .await;
    let token = admin(&app, TENANT_A);
    let order = app.create_order(&token, "booked-1", vec![line_in("DATES", 1, "4.250", "KWD")]).await;
    let order_id = order["id"].as_str().unwrap().to_owned();
    let shipment = app
        .mutate(
            &token,
            "createShipment",
            json!({"orderId": order_id, "mode": "WAREHOUSE", "items": [{"sku": "DATES", "vendorId": "v1", "quantity": 1}],
                   "package": {"weightKg": 1.0, "lengthCm": 20.0, "widthCm": 10.0, "heightCm": 10.0}}),
        )
        .await;
    let shipment_id = shipment["shipment"]["id"].as_str().unwrap().to_owned();
    assert_eq!(app.mutate(&token, "confirmShipment", json!({"id": shipment_id})).await["userErrors"], json!([]));
    let booked = app.mutate(&token, "dispatchShipment", json!({"id": shipment_id})).await;
    assert_eq!(booked["shipment"]["trackingReference"], "EZ0001000000", "{booked}");
    let (_, other) = dispatched(&app, HOOKS_WSS, "booked-2", "EZ0001000000").await;

    let path = "/webhooks/shipment-tracker";
    let provider = Signer::EasyPost { secret: PROVIDER_SECRET };
    let mut event = tracker_event("EZ0001000000", "in_transit", "result");
    let ambiguous = send(&app, path, provider, &event).await;
    assert_problem(&ambiguous, 409, "the code alone names two tenants' shipments");

    event["result"]["shipment_id"] = json!("shp_fake0001");
    let answer = send(&app, path, provider, &event).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!((answer.body["status"].as_str(), answer.body["orderId"].as_str()), (Some("moved"), Some(&*order_id)));
    assert_eq!(shipment_view(&app, TENANT_A, &shipment_id).await["status"], "IN_TRANSIT");
    assert_eq!(shipment_view(&app, HOOKS_WSS, &other).await["status"], "SHIPPED", "the other tenant's is untouched");

    // An id no booking holds: the reference decides, as without one.
    event["result"]["shipment_id"] = json!("shp_unknown");
    event["result"]["status"] = json!("delivered");
    assert_problem(&send(&app, path, provider, &event).await, 409, "unknown id, shared code");
}

#[tokio::test]
async fn webhook_routes_are_rate_limited_per_client_and_per_tenant() {
    // Windows are whole minutes: the first `limit` requests are always admitted, and within
    // `2 * limit + 1` requests one is refused even if a minute ends among them.
    async fn first_refusal(app: &TestApp, path: &str, limit: usize) -> Answer {
        for i in 0..(2 * limit + 1) {
            let answer = send(app, path, Signer::EasyPost { secret: "wrong" }, &json!({"n": i})).await;
            if answer.status == 429 {
                assert!(i >= limit, "refused after {i} requests, limit {limit}");
                return answer;
            }
            assert_eq!(answer.status, 401, "{}", answer.text);
        }
        panic!("never rate limited");
    }
    let app = TestApp::spawn_with(|http| {
        http.webhooks.per_tenant_per_minute = 3;
        http.webhooks.per_client_per_minute = 1000;
    })
    .await;
    let refused = first_refusal(&app, &add_order_path(TENANT_A), 3).await;
    assert_problem(&refused, 429, "per tenant");
    let retry: u64 = refused.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Another tenant's routes have their own count.
    let other = send(&app, &add_order_path(HOOKS_EP), Signer::EasyPost { secret: "wrong" }, &json!({})).await;
    assert_eq!(other.status, 401);

    let app = TestApp::spawn_with(|http| {
        http.webhooks.per_tenant_per_minute = 1000;
        http.webhooks.per_client_per_minute = 4;
    })
    .await;
    let refused = first_refusal(&app, "/webhooks/shipment-tracker", 4).await;
    assert_problem(&refused, 429, "per client");
    assert!(refused.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn no_secret_in_any_answer_audit_record_or_log_line() {
    let app = TestApp::spawn().await;
    let mut seen = Vec::new();
    let body = order_input("secrets-1", vec![line("SKU-1", 1, "1.00")]);
    let deliveries: Vec<(String, Signer)> = vec![
        (add_order_path(TENANT_A), Signer::Standard { secret: A_ADD_ORDER, id: "s-1", at: now() }),
        (add_order_path(TENANT_A), Signer::Standard { secret: EP_TRACKER, id: "s-2", at: now() }),
        (add_order_path(HOOKS_WSS), Signer::Wss { secret: WSS_ADD_ORDER, at: now() }),
        (add_order_path(HOOKS_WSS), Signer::Wss { secret: WSS_ADD_ORDER, at: now() - 3600 }),
        (add_order_path(HOOKS_EP), Signer::EasyPost { secret: EP_ADD_ORDER }),
        (add_order_path(HOOKS_EP), Signer::EasyPost { secret: PROVIDER_SECRET }),
        (tracker_path(HOOKS_WSS), Signer::Standard { secret: WSS_TRACKER, id: "s-3", at: now() }),
        ("/webhooks/shipment-tracker".to_owned(), Signer::EasyPost { secret: PROVIDER_SECRET }),
        ("/webhooks/shipment-tracker".to_owned(), Signer::EasyPost { secret: A_ADD_ORDER }),
    ];
    for (path, signer) in deliveries {
        let answer = send(&app, &path, signer, &body).await;
        seen.push(answer.text);
        let answer = send(&app, &path, signer, &tracker_event("NONE", "in_transit", "result")).await;
        seen.push(answer.text);
    }
    for tenant in [Some(TENANT_A), Some(HOOKS_WSS), Some(HOOKS_EP), None] {
        seen.push(json!(webhook_records(&app, tenant).await).to_string());
    }
    assert!(seen.iter().any(|t| t.contains("\"created\"")), "some delivery went through: {seen:?}");
    let log = captured_log();
    assert!(log.contains("webhook refused"), "the refusals are logged");
    for secret in SECRETS {
        for text in &seen {
            assert!(!text.contains(secret), "a secret leaked into an answer or audit record: {text}");
        }
        assert!(!log.contains(secret), "a secret leaked into the log");
    }
}

#[tokio::test]
async fn concurrent_copies_of_one_delivery_create_one_order() {
    let app = TestApp::spawn().await;
    // No externalRef: only the delivery's receipt stands between the copies and four orders.
    let mut body = order_input("unused", vec![line("SKU-1", 1, "3.00")]);
    body.as_object_mut().unwrap().remove("externalRef");
    let signer = Signer::Standard { secret: A_ADD_ORDER, id: "msg-race", at: now() };
    let path = add_order_path(TENANT_A);
    let copies = futures::future::join_all((0..4).map(|_| send(&app, &path, signer, &body))).await;
    let mut statuses: Vec<&str> = copies.iter().map(|a| a.body["status"].as_str().unwrap_or(&a.text)).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, ["created", "duplicate", "duplicate", "duplicate"]);
    let ids: std::collections::HashSet<&str> = copies.iter().map(|a| a.body["orderId"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 1, "every copy answers with the one order");
    assert_eq!(orders_of(&app, TENANT_A).await.len(), 1);
}
