//! Order::create: the resulting state, its events, and every validation rule on the input.

use super::*;
use crate::order::MAX_LINES;

fn create_err(b: OrderBuilder) -> DomainError {
    match b.try_build() {
        Ok(o) => panic!("order accepted with status {:?}", o.status()),
        Err(e) => e,
    }
}

fn create_field(b: OrderBuilder) -> Vec<String> {
    err_field(&create_err(b))
}

fn path(p: &[&str]) -> Vec<String> {
    p.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn create_with_auto_confirm_is_confirmed_with_created_and_confirmed_events() {
    let mut o = OrderBuilder::standard().try_build().unwrap();
    assert_eq!(o.status(), OrderStatus::Confirmed);
    assert_eq!(o.version(), 1);
    assert_eq!(o.created_at(), now());
    assert_eq!(o.updated_at(), now());
    let events = o.take_events();
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["order.created", "order.confirmed"]);
    for e in &events {
        assert_eq!(e.aggregate_version, 1);
        assert_eq!(e.aggregate_id, o.id().to_string());
        assert_eq!(e.occurred_at, now());
        assert_eq!(e.data.order_number, "ORD-000042");
    }
    assert!(o.take_events().is_empty(), "take_events drains the buffer");
}

#[test]
fn create_without_auto_confirm_is_pending_with_only_created_event() {
    let o = OrderBuilder::standard().pending().try_build().unwrap();
    assert_eq!(o.status(), OrderStatus::Pending);
    assert_eq!(o.version(), 1);
    let types: Vec<&str> = o.pending_events().iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["order.created"]);
    assert_eq!(o.pending_events()[0].aggregate_version, 1);
    assert_eq!(o.pending_events()[0].data.order_status, "PENDING");
}

#[test]
fn create_keeps_lines_currency_and_total() {
    let o = OrderBuilder::new()
        .with(line_of("A", "v1", 3, Money::from_minor(12_500, cur("KWD"))))
        .with(line_of("B", "v2", 2, Money::from_minor(1, cur("KWD"))))
        .external_ref("  ext-1  ")
        .build();
    assert_eq!(o.currency(), cur("KWD"));
    assert_eq!(o.total().unwrap(), Money::from_minor(37_502, cur("KWD")));
    assert_eq!(o.lines().len(), 2);
    assert_eq!((o.lines()[1].sku.as_str(), o.lines()[1].vendor_id.as_str(), o.lines()[1].quantity), ("B", "v2", 2));
    assert_eq!(o.external_ref(), Some("ext-1"));
    assert!(o.shipments().is_empty());
    assert!(o.review().is_none());
    assert!(!o.on_review_hold());
}

#[test]
fn create_accepts_a_zero_price() {
    let o = OrderBuilder::new().with(line_of("FREE", V, 1, usd(0))).build();
    assert_eq!(o.total().unwrap(), usd(0));
}

#[test]
fn create_refuses_an_order_without_lines() {
    assert_eq!(create_field(OrderBuilder::new()), path(&["lines"]));
}

#[test]
fn create_refuses_duplicate_sku_and_vendor() {
    let b = OrderBuilder::new().with(line("A", 1)).with(line("B", 1)).with(line("A", 2));
    assert_eq!(create_field(b), path(&["lines", "2"]));
    // Identifiers are trimmed, so padding does not make a different line.
    let b = OrderBuilder::new().with(line("A", 1)).with(line_of(" A ", V, 1, usd(1)));
    assert_eq!(create_field(b), path(&["lines", "1"]));
}

#[test]
fn create_accepts_the_same_sku_from_two_vendors() {
    let o = OrderBuilder::new().with(line_of("A", "v1", 1, usd(1))).with(line_of("A", "v2", 1, usd(1))).build();
    assert_eq!(o.lines().len(), 2);
}

#[test]
fn create_refuses_mixed_currencies() {
    let b = OrderBuilder::new().with(line("A", 1)).with(line_of("B", V, 1, Money::from_minor(1, cur("EUR"))));
    assert_eq!(create_field(b), path(&["lines", "1", "unitPrice", "currency"]));
}

#[test]
fn create_refuses_a_negative_price() {
    let b = OrderBuilder::new().with(line_of("A", V, 1, usd(-1)));
    assert_eq!(create_field(b), path(&["lines", "0", "unitPrice", "amount"]));
}

#[test]
fn create_refuses_zero_or_negative_quantity() {
    for q in [0, -1, i64::MIN] {
        let b = OrderBuilder::new().with(line("A", 1)).with(line("B", q));
        assert_eq!(create_field(b), path(&["lines", "1", "quantity"]), "quantity {q}");
    }
}

#[test]
fn create_refuses_absurd_quantities() {
    let b = OrderBuilder::new().with(line("A", 1_000_001));
    assert_eq!(create_field(b), path(&["lines", "0", "quantity"]));
    let b = OrderBuilder::new().with(line("A", i64::from(u32::MAX) + 1));
    assert_eq!(create_field(b), path(&["lines", "0", "quantity"]));
    assert!(OrderBuilder::new().with(line("A", 1_000_000)).try_build().is_ok());
}

#[test]
fn create_refuses_blank_sku_vendor_or_name() {
    let b = OrderBuilder::new().with(line(" ", 1));
    assert_eq!(create_field(b), path(&["lines", "0", "sku"]));
    let b = OrderBuilder::new().with(line("A", 1)).with(line_of("B", "", 1, usd(1)));
    assert_eq!(create_field(b), path(&["lines", "1", "vendorId"]));
    let mut l = line("A", 1);
    l.name = "  ".to_owned();
    assert_eq!(create_field(OrderBuilder::new().with(l)), path(&["lines", "0", "name"]));
}

#[test]
fn create_refuses_a_bad_weight() {
    for w in [-0.5, f64::NAN, f64::INFINITY] {
        let mut l = line("A", 1);
        l.weight_kg = Some(w);
        assert_eq!(create_field(OrderBuilder::new().with(l)), path(&["lines", "0", "weightKg"]), "weight {w}");
    }
}

#[test]
fn create_refuses_more_than_max_lines() {
    let many = |n: usize| (0..n).fold(OrderBuilder::new(), |b, i| b.with(line(&format!("SKU-{i}"), 1)));
    assert_eq!(create_field(many(MAX_LINES + 1)), path(&["lines"]));
    assert_eq!(many(MAX_LINES).try_build().unwrap().lines().len(), MAX_LINES);
}

#[test]
fn create_refuses_a_line_total_that_overflows() {
    let b = OrderBuilder::new().with(line_of("A", V, 2, usd(i64::MAX / 2 + 1)));
    assert!(matches!(create_err(b), DomainError::Validation { .. }));
}

#[test]
fn create_refuses_an_order_total_that_overflows() {
    let big = usd(i64::MAX / 2 + 1);
    let b = OrderBuilder::new().with(line_of("A", V, 1, big)).with(line_of("B", V, 1, big));
    assert!(matches!(create_err(b), DomainError::Validation { .. }));
    // One unit less fits exactly.
    let ok =
        OrderBuilder::new().with(line_of("A", V, 1, usd(i64::MAX / 2))).with(line_of("B", V, 1, usd(i64::MAX / 2)));
    assert_eq!(ok.try_build().unwrap().total().unwrap().minor(), i64::MAX - 1);
}

/// Every create error names the place in the input, overflow included.
#[test]
fn create_overflow_error_points_at_the_lines() {
    let big = usd(i64::MAX / 2 + 1);
    let b = OrderBuilder::new().with(line_of("A", V, 1, big)).with(line_of("B", V, 1, big));
    let field = create_field(b);
    assert_eq!(field.first().map(String::as_str), Some("lines"), "field was {field:?}");
    let b = OrderBuilder::new().with(line_of("A", V, 2, usd(i64::MAX / 2 + 1)));
    let field = create_field(b);
    assert_eq!(field.first().map(String::as_str), Some("lines"), "field was {field:?}");
}

#[test]
fn create_refuses_a_too_long_external_ref() {
    let b = OrderBuilder::standard().external_ref(&"x".repeat(256));
    assert_eq!(create_field(b), path(&["externalRef"]));
}

#[test]
fn create_normalises_the_external_ref_and_refuses_invisible_characters() {
    let o = OrderBuilder::standard().external_ref(" ext-cafe\u{301} ").build();
    assert_eq!(o.external_ref(), Some("ext-caf\u{e9}"));
    for bad in ["ext\u{200B}1", "ext\u{202E}1", "ext\u{2066}1", "\u{FEFF}ext1", "ext\n1"] {
        assert_eq!(create_field(OrderBuilder::standard().external_ref(bad)), path(&["externalRef"]), "{bad:?}");
    }
    let Err(DomainError::Validation { message, .. }) =
        OrderBuilder::standard().external_ref("ext\u{200F}1").try_build()
    else {
        panic!("a right-to-left mark was accepted in externalRef");
    };
    assert_eq!(message, "externalRef must not contain invisible formatting or bidirectional control characters");
}

#[test]
fn create_refuses_a_line_sku_or_vendor_with_an_invisible_character() {
    let b = OrderBuilder::new().with(line("A\u{2060}", 1));
    assert_eq!(create_field(b), path(&["lines", "0", "sku"]));
    let b = OrderBuilder::new().with(line("A", 1)).with(line_of("B", "v\u{180E}2", 1, usd(1)));
    assert_eq!(create_field(b), path(&["lines", "1", "vendorId"]));
}

#[test]
fn create_sees_a_decomposed_and_a_composed_sku_as_one_line() {
    let b = OrderBuilder::new().with(line("CAF\u{c9}", 1)).with(line("CAFE\u{301}", 1));
    assert_eq!(create_field(b), path(&["lines", "1"]));
}

#[test]
fn create_reports_the_first_bad_line() {
    let b = OrderBuilder::new().with(line("A", 1)).with(line("B", 0)).with(line_of("C", V, 1, usd(-5)));
    assert_eq!(create_field(b), path(&["lines", "1", "quantity"]));
}
