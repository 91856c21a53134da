//! A fake EasyPost API (v2) on loopback, speaking the shapes the adapter reads: create a
//! shipment (rated in one currency), read it, buy one of its rates once. A test scripts the
//! statuses of the next calls (a 500, a 422…) and reads what was called, with which credentials.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    routing::{get, post},
};
use base64::Engine;
use serde_json::{Value, json};

/// What the fake did, per kind of call.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Calls {
    pub creates: usize,
    pub shows: usize,
    pub buys: usize,
    /// Purchases that went through: postage bought.
    pub bought: usize,
}

#[derive(Default)]
struct Inner {
    api_key: String,
    currency: String,
    shipments: HashMap<String, Value>,
    next_create: Vec<(u16, Value)>,
    next_buy: Vec<(u16, Value)>,
    calls: Calls,
    /// Every `Authorization` header received that was not the expected one.
    bad_auth: usize,
}

#[derive(Clone)]
pub struct FakeEasyPost {
    addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

type Shared = Arc<Mutex<Inner>>;
type Answer = (StatusCode, Json<Value>);

fn answer(status: u16, body: Value) -> Answer {
    (StatusCode::from_u16(status).expect("status"), Json(body))
}

fn authorized(inner: &mut Inner, headers: &HeaderMap) -> bool {
    let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{}:", inner.api_key)));
    let ok = headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str());
    if !ok {
        inner.bad_auth += 1;
    }
    ok
}

fn unauthorized() -> Answer {
    answer(401, json!({"error": {"code": "APIKEY.INACTIVE", "message": "This api key is no longer active."}}))
}

async fn create(State(s): State<Shared>, headers: HeaderMap, Json(body): Json<Value>) -> Answer {
    let mut inner = s.lock().unwrap();
    inner.calls.creates += 1;
    if !authorized(&mut inner, &headers) {
        return unauthorized();
    }
    if !inner.next_create.is_empty() {
        let (status, body) = inner.next_create.remove(0);
        return answer(status, body);
    }
    let n = inner.shipments.len() + 1;
    let id = format!("shp_fake{n:04}");
    let currency = inner.currency.clone();
    let shipment = json!({
        "id": id, "object": "Shipment", "mode": "test",
        "reference": body["shipment"]["reference"],
        "to_address": body["shipment"]["to_address"], "from_address": body["shipment"]["from_address"],
        "parcel": body["shipment"]["parcel"],
        "rates": [
            {"id": format!("rate_{n}_express"), "carrier": "DHLExpress", "service": "Express", "rate": "3.750", "currency": currency, "shipment_id": id},
            {"id": format!("rate_{n}_standard"), "carrier": "Aramex", "service": "Standard", "rate": "1.250", "currency": currency, "shipment_id": id},
        ],
        "selected_rate": null, "postage_label": null, "tracking_code": null
    });
    inner.shipments.insert(id, shipment.clone());
    answer(201, shipment)
}

async fn show(State(s): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    let mut inner = s.lock().unwrap();
    inner.calls.shows += 1;
    if !authorized(&mut inner, &headers) {
        return unauthorized();
    }
    match inner.shipments.get(&id) {
        Some(shipment) => answer(200, shipment.clone()),
        None => answer(
            404,
            json!({"error": {"code": "NOT_FOUND", "message": "The requested resource could not be found."}}),
        ),
    }
}

async fn buy(State(s): State<Shared>, headers: HeaderMap, Path(id): Path<String>, Json(body): Json<Value>) -> Answer {
    let mut inner = s.lock().unwrap();
    inner.calls.buys += 1;
    if !authorized(&mut inner, &headers) {
        return unauthorized();
    }
    if !inner.next_buy.is_empty() {
        let (status, body) = inner.next_buy.remove(0);
        return answer(status, body);
    }
    let Some(shipment) = inner.shipments.get(&id).cloned() else {
        return answer(
            404,
            json!({"error": {"code": "NOT_FOUND", "message": "The requested resource could not be found."}}),
        );
    };
    if !shipment["selected_rate"].is_null() {
        return answer(
            422,
            json!({"error": {"code": "SHIPMENT.POSTAGE.EXISTS", "message": "Postage already exists for this shipment."}}),
        );
    }
    let Some(rate) = shipment["rates"].as_array().unwrap().iter().find(|r| r["id"] == body["rate"]["id"]).cloned()
    else {
        return answer(422, json!({"error": {"code": "SHIPMENT.RATE.INVALID", "message": "Invalid rate."}}));
    };
    let mut bought = shipment;
    let n = id.trim_start_matches("shp_fake");
    bought["selected_rate"] = rate;
    bought["tracking_code"] = json!(format!("EZ{n}000000"));
    bought["postage_label"] = json!({"object": "PostageLabel", "label_url": format!("https://easypost-files.example/files/postage_label/{id}.png")});
    inner.shipments.insert(id, bought.clone());
    inner.calls.bought += 1;
    answer(200, bought)
}

impl FakeEasyPost {
    /// Starts the fake on loopback; it accepts only `api_key` and rates in `currency`.
    pub async fn start(api_key: &str, currency: &str) -> FakeEasyPost {
        let inner = Arc::new(Mutex::new(Inner {
            api_key: api_key.to_owned(),
            currency: currency.to_owned(),
            ..Inner::default()
        }));
        let app = Router::new()
            .route("/v2/shipments", post(create))
            .route("/v2/shipments/{id}", get(show))
            .route("/v2/shipments/{id}/buy", post(buy))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the fake EasyPost");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await.expect("fake EasyPost") });
        FakeEasyPost { addr, inner }
    }

    /// The `create_shipment_api.endpoint` that reaches it.
    pub fn endpoint(&self) -> String {
        format!("http://{}/v2", self.addr)
    }

    /// The next shipment creations answer these, in order, before creating anything.
    pub fn fail_next_creates(&self, answers: &[(u16, Value)]) {
        self.inner.lock().unwrap().next_create.extend_from_slice(answers);
    }

    /// The next purchases answer these, in order, before buying anything.
    pub fn fail_next_buys(&self, answers: &[(u16, Value)]) {
        self.inner.lock().unwrap().next_buy.extend_from_slice(answers);
    }

    pub fn calls(&self) -> Calls {
        self.inner.lock().unwrap().calls.clone()
    }

    /// Calls that came with other credentials than the account's key.
    pub fn bad_auth(&self) -> usize {
        self.inner.lock().unwrap().bad_auth
    }
}
