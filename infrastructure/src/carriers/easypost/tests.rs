//! The adapter's request and answer mapping (pure), and its exchanges with a local server
//! speaking EasyPost's shapes: retries on 5xx only, errors mapped, the key sent only as auth.

use std::sync::{Arc, Mutex};

use application::ports::{BookingRequest, Carrier, CarrierError, PreparedBooking};
use axum::{Json, Router, extract::State, http::HeaderMap, http::StatusCode, routing::get, routing::post};
use base64::Engine;
use domain::{
    Currency, Money,
    order::{Address, AddressInput, Package},
};
use serde_json::{Value, json};

use super::{EasyPostCarrier, wire};
use crate::carriers::CarrierSettings;

const KEY: &str = "EZTK-unit-test-key-0123456789";

fn address(line1: &str, country: &str) -> Address {
    Address::new(AddressInput {
        line1,
        line2: None,
        city: "Kuwait City",
        state: None,
        postal_code: Some("13001"),
        country,
    })
    .unwrap()
}

fn request(currency: &str, service: Option<&str>) -> BookingRequest {
    BookingRequest {
        reference: "0190-ship".to_owned(),
        from: address("1 Warehouse Road", "KW"),
        to: address("2 Gulf Road", "KW"),
        package: Package::new(1.0, 30.0, 20.0, 10.0).unwrap(),
        service: service.map(str::to_owned),
        currency: Currency::new(currency).unwrap(),
    }
}

fn rated(rates: Value) -> wire::Shipment {
    serde_json::from_value(json!({"id": "shp_1", "rates": rates})).unwrap()
}

#[test]
fn the_create_body_carries_addresses_and_the_parcel_in_inches_and_ounces() {
    let body = wire::create_body(&request("USD", None));
    let s = &body["shipment"];
    assert_eq!(s["reference"], "0190-ship");
    assert_eq!(s["to_address"]["street1"], "2 Gulf Road");
    assert_eq!(s["to_address"]["zip"], "13001");
    assert_eq!(s["to_address"]["country"], "KW");
    assert_eq!(s["from_address"]["street1"], "1 Warehouse Road");
    // 30 cm = 11.81 in, 20 cm = 7.87 in, 10 cm = 3.94 in, 1 kg = 35.27 oz: rounded up to tenths.
    assert_eq!(s["parcel"], json!({"length": 11.9, "width": 7.9, "height": 4.0, "weight": 35.3}));
}

#[test]
fn the_lowest_rate_in_the_order_currency_is_chosen() {
    let shipment = rated(json!([
        {"id": "rate_a", "service": "Express", "rate": "12.00", "currency": "USD"},
        {"id": "rate_b", "service": "Priority", "rate": "7.58", "currency": "USD"},
        {"id": "rate_c", "service": "Cheap", "rate": "1.00", "currency": "EUR"},
    ]));
    let usd = Currency::new("USD").unwrap();
    assert_eq!(wire::choose_rate(&shipment, usd, None).unwrap().id, "rate_b");
    assert_eq!(wire::choose_rate(&shipment, usd, Some("express")).unwrap().id, "rate_a");
    let Err(CarrierError::Refused(why)) = wire::choose_rate(&shipment, usd, Some("Overnight")) else { panic!() };
    assert!(why.contains("no service Overnight in USD"), "{why}");
    let Err(CarrierError::Refused(why)) = wire::choose_rate(&shipment, Currency::new("KWD").unwrap(), None) else {
        panic!()
    };
    assert!(why.starts_with("no rate in KWD was offered (offered: Express 12.00 USD"), "{why}");
}

#[test]
fn a_bought_shipment_gives_tracking_label_and_cost() {
    let bought: wire::Shipment = serde_json::from_value(json!({
        "id": "shp_1", "tracking_code": "9400100000000000000000",
        "postage_label": {"label_url": "https://easypost-files.example/label.png"},
        "selected_rate": {"id": "rate_b", "service": "Priority", "rate": "7.58", "currency": "USD"},
        "rates": []
    }))
    .unwrap();
    assert!(bought.is_bought());
    let usd = Currency::new("USD").unwrap();
    let postage = wire::postage(&bought, usd).unwrap();
    assert_eq!(postage.tracking_code, "9400100000000000000000");
    assert_eq!(postage.label_url.as_deref(), Some("https://easypost-files.example/label.png"));
    assert_eq!(postage.cost, Money::parse("7.58", usd).unwrap());
    assert_eq!(postage.carrier_shipment_id, "shp_1");
    // Charged in another currency than the order's: refused, never converted.
    assert!(matches!(wire::postage(&bought, Currency::new("EUR").unwrap()), Err(CarrierError::Refused(_))));
    assert!(!rated(json!([])).is_bought());
}

#[test]
fn error_bodies_become_one_bounded_line() {
    let body = json!({"error": {"code": "ADDRESS.VERIFY.FAILURE", "message": "Address not found",
        "errors": [{"field": "street1", "message": "House number is missing"}, "zip is invalid"]}});
    assert_eq!(
        wire::error_message(&body.to_string()),
        "ADDRESS.VERIFY.FAILURE: Address not found (street1: House number is missing; zip is invalid)"
    );
    assert_eq!(wire::error_message("<html>oops</html>"), "the carrier gave no reason");
    let long = json!({"error": {"message": "x".repeat(1000)}}).to_string();
    assert!(wire::error_message(&long).chars().count() <= 301);
}

/// A local EasyPost: answers each call from a script, records what it was sent.
#[derive(Default)]
struct Script {
    create: Vec<(u16, Value)>,
    buy: Vec<(u16, Value)>,
    show: Vec<(u16, Value)>,
    calls: Vec<(String, Option<String>)>,
}

type Shared = Arc<Mutex<Script>>;

fn next(queue: &mut Vec<(u16, Value)>) -> (StatusCode, Json<Value>) {
    let (status, body) = if queue.len() > 1 { queue.remove(0) } else { queue[0].clone() };
    (StatusCode::from_u16(status).unwrap(), Json(body))
}

async fn server(script: Script) -> (String, Shared) {
    let shared: Shared = Arc::new(Mutex::new(script));
    let record = |s: &Shared, what: &str, headers: &HeaderMap| {
        let auth = headers.get("authorization").map(|v| v.to_str().unwrap().to_owned());
        s.lock().unwrap().calls.push((what.to_owned(), auth));
    };
    let app = Router::new()
        .route(
            "/v2/shipments",
            post(move |State(s): State<Shared>, headers: HeaderMap, Json(_): Json<Value>| async move {
                record(&s, "create", &headers);
                next(&mut s.lock().unwrap().create)
            }),
        )
        .route(
            "/v2/shipments/{id}",
            get(move |State(s): State<Shared>, headers: HeaderMap| async move {
                record(&s, "show", &headers);
                next(&mut s.lock().unwrap().show)
            }),
        )
        .route(
            "/v2/shipments/{id}/buy",
            post(move |State(s): State<Shared>, headers: HeaderMap, Json(_): Json<Value>| async move {
                record(&s, "buy", &headers);
                next(&mut s.lock().unwrap().buy)
            }),
        )
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/v2/"), shared)
}

fn carrier(endpoint: &str) -> EasyPostCarrier {
    let settings = CarrierSettings { backoff: std::time::Duration::from_millis(1), ..CarrierSettings::default() };
    EasyPostCarrier::new(super::http_client(&settings).unwrap(), settings, Some(endpoint), KEY)
}

fn rates() -> Value {
    json!({"id": "shp_9", "rates": [{"id": "rate_1", "service": "Priority", "rate": "7.58", "currency": "USD"}]})
}

fn bought() -> Value {
    json!({"id": "shp_9", "tracking_code": "EZ1000", "postage_label": {"label_url": "https://labels.example/EZ1000.png"},
           "selected_rate": {"id": "rate_1", "service": "Priority", "rate": "7.58", "currency": "USD"}, "rates": []})
}

fn calls(shared: &Shared) -> Vec<String> {
    shared.lock().unwrap().calls.iter().map(|(c, _)| c.clone()).collect()
}

#[tokio::test]
async fn a_5xx_is_retried_and_the_key_travels_as_basic_auth_only() {
    let (endpoint, shared) = server(Script {
        create: vec![(500, json!({"error": {"message": "boom"}})), (201, rates())],
        ..Script::default()
    })
    .await;
    let prepared = carrier(&endpoint).prepare(&request("USD", None)).await.unwrap();
    assert_eq!(prepared.carrier_shipment_id, "shp_9");
    assert_eq!(calls(&shared), ["create", "create"]);
    let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:")));
    assert!(shared.lock().unwrap().calls.iter().all(|(_, auth)| auth.as_deref() == Some(expected.as_str())));
}

#[tokio::test]
async fn retries_are_bounded_and_end_unavailable() {
    let (endpoint, shared) = server(Script { create: vec![(503, json!({}))], ..Script::default() }).await;
    let e = carrier(&endpoint).prepare(&request("USD", None)).await.unwrap_err();
    assert!(matches!(e, CarrierError::Unavailable(_)), "{e:?}");
    assert_eq!(calls(&shared).len(), 3, "three attempts in all");
}

#[tokio::test]
async fn a_4xx_is_refused_at_once_and_401_is_the_account() {
    let refusal = json!({"error": {"code": "ADDRESS.VERIFY.FAILURE", "message": "Address not found"}});
    let (endpoint, shared) = server(Script { create: vec![(422, refusal)], ..Script::default() }).await;
    let e = carrier(&endpoint).prepare(&request("USD", None)).await.unwrap_err();
    assert_eq!(e, CarrierError::Refused("ADDRESS.VERIFY.FAILURE: Address not found".to_owned()));
    assert_eq!(calls(&shared), ["create"], "a 4xx is not retried");

    let (endpoint, _) = server(Script { create: vec![(401, json!({}))], ..Script::default() }).await;
    assert_eq!(carrier(&endpoint).prepare(&request("USD", None)).await.unwrap_err(), CarrierError::Unauthorized);
}

#[tokio::test]
async fn a_shipment_without_a_rate_in_the_order_currency_is_refused_before_it_is_recorded() {
    let (endpoint, _) = server(Script { create: vec![(201, rates())], ..Script::default() }).await;
    let e = carrier(&endpoint).prepare(&request("KWD", None)).await.unwrap_err();
    assert!(matches!(e, CarrierError::Refused(ref why) if why.contains("KWD")), "{e:?}");
}

#[tokio::test]
async fn purchase_buys_once_and_reads_what_a_concurrent_call_bought() {
    let prepared = PreparedBooking { carrier_shipment_id: "shp_9".to_owned() };
    let (endpoint, shared) =
        server(Script { show: vec![(200, rates())], buy: vec![(200, bought())], ..Script::default() }).await;
    let postage = carrier(&endpoint).purchase(&prepared, &request("USD", None)).await.unwrap();
    assert_eq!((postage.tracking_code.as_str(), postage.cost.amount_string()), ("EZ1000", "7.58".to_owned()));
    assert_eq!(calls(&shared), ["show", "buy"]);

    // Already bought: nothing is bought again.
    let (endpoint, shared) = server(Script { show: vec![(200, bought())], ..Script::default() }).await;
    let postage = carrier(&endpoint).purchase(&prepared, &request("USD", None)).await.unwrap();
    assert_eq!(postage.tracking_code, "EZ1000");
    assert_eq!(calls(&shared), ["show"]);

    // Bought by someone else between our read and our buy: the refusal is followed by a read.
    let already = json!({"error": {"code": "SHIPMENT.POSTAGE.EXISTS", "message": "postage already exists"}});
    let (endpoint, shared) =
        server(Script { show: vec![(200, rates()), (200, bought())], buy: vec![(422, already)], ..Script::default() })
            .await;
    let postage = carrier(&endpoint).purchase(&prepared, &request("USD", None)).await.unwrap();
    assert_eq!(postage.tracking_code, "EZ1000");
    assert_eq!(calls(&shared), ["show", "buy", "show"]);
}

#[tokio::test]
async fn an_unreachable_carrier_is_unavailable_and_the_key_is_not_in_the_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}/v2", listener.local_addr().unwrap());
    drop(listener);
    let e = carrier(&endpoint).prepare(&request("USD", None)).await.unwrap_err();
    assert!(matches!(e, CarrierError::Unavailable(_)), "{e:?}");
    assert!(!format!("{e:?} {e}").contains(KEY));
    assert!(!format!("{:?}", carrier(&endpoint)).contains(KEY));
}

#[tokio::test]
async fn a_carrier_that_does_not_answer_is_given_up_on() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}/v2", listener.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let settings = CarrierSettings { step_budget: std::time::Duration::from_millis(200), ..CarrierSettings::default() };
    let silent = EasyPostCarrier::new(super::http_client(&settings).unwrap(), settings, Some(&endpoint), KEY);
    let e = silent.prepare(&request("USD", None)).await.unwrap_err();
    assert_eq!(e, CarrierError::Unavailable("the carrier did not answer in time".to_owned()));
    held.abort();
}
