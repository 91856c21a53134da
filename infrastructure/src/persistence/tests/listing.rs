use application::ports::{OrderCursor, OrderFilter, OrderPage, OrderQuery, StoreError};
use domain::order::{Order, OrderStatus};

use super::fixtures::{Spec, assert_same, at, ship, tenant};
use crate::persistence::Database;

/// (sku, quantity, unit price in minor units)
type Line = (&'static str, i64, i64);

/// Seven orders of acme, created a minute apart (index = minute), and one of globex.
async fn seed(db: &Database) -> Vec<Order> {
    let rows: [(&str, &[Line], bool); 7] = [
        ("ann@example.com", &[("SKU-1", 5, 100)], true),
        ("bob@example.com", &[("SKU-2", 5, 100)], false),
        ("ANN@example.com", &[("SKU-1", 5, 100), ("SKU-2", 1, 50)], true),
        ("bob@example.com", &[("SKU-3", 5, 100)], false),
        ("ann@example.com", &[("SKU-2", 5, 100)], true),
        ("carol@example.com", &[("SKU-1", 5, 100)], true),
        ("ann@example.com", &[("SKU-1", 5, 100)], false),
    ];
    let store = db.order_store();
    let mut orders = Vec::new();
    for (i, (email, lines, confirmed)) in rows.into_iter().enumerate() {
        let number = format!("ORD-{i:06}");
        let mut spec = Spec::new("acme", &number);
        spec.email = email;
        spec.lines = lines.to_vec();
        spec.created_at = at(i as i64);
        spec.auto_confirm = confirmed;
        let mut o = spec.build();
        if confirmed && lines[0].0 == "SKU-1" {
            ship(&mut o, 2, Some("dhl"), at(i as i64));
            ship(&mut o, 1, None, at(i as i64));
        }
        let mut tx = store.begin(o.tenant_id()).await.unwrap();
        tx.insert_order(&o).await.unwrap();
        tx.commit().await.unwrap();
        orders.push(o);
    }
    let other = Spec::new("globex", "ORD-000001").build();
    let mut tx = store.begin(other.tenant_id()).await.unwrap();
    tx.insert_order(&other).await.unwrap();
    tx.commit().await.unwrap();
    orders
}

async fn list(db: &Database, filter: OrderFilter, first: u64, after: Option<&Order>) -> OrderPage {
    let after = after.map(|o| OrderCursor::after(o, filter.sort()));
    db.order_store().orders(&tenant("acme"), &OrderQuery { filter, first, after }).await.unwrap()
}

/// The seed indexes of a page's orders.
fn indexes(page: &OrderPage, seeded: &[Order]) -> Vec<usize> {
    indexes_of(&page.orders, seeded)
}

/// The seed indexes of some orders.
fn indexes_of<'a>(orders: impl IntoIterator<Item = &'a Order>, seeded: &[Order]) -> Vec<usize> {
    orders.into_iter().map(|o| seeded.iter().position(|s| s.id() == o.id()).expect("a seeded order")).collect()
}

pub async fn pages_newest_first_with_cursor(db: &Database) {
    let s = seed(db).await;
    let all = OrderFilter::default;

    let p1 = list(db, all(), 3, None).await;
    assert_eq!((indexes(&p1, &s), p1.has_next_page), (vec![6, 5, 4], true));
    let p2 = list(db, all(), 3, p1.orders.last()).await;
    assert_eq!((indexes(&p2, &s), p2.has_next_page), (vec![3, 2, 1], true));
    let p3 = list(db, all(), 3, p2.orders.last()).await;
    assert_eq!((indexes(&p3, &s), p3.has_next_page), (vec![0], false));

    let exact = list(db, all(), 7, None).await;
    assert_eq!((indexes(&exact, &s), exact.has_next_page), (vec![6, 5, 4, 3, 2, 1, 0], false));
    let huge = list(db, all(), u64::MAX, None).await;
    assert_eq!((huge.orders.len(), huge.has_next_page), (7, false));
    let none = list(db, all(), 0, None).await;
    assert_eq!((none.orders.len(), none.has_next_page), (0, true));
}

pub async fn filters_narrow_the_page(db: &Database) {
    let s = seed(db).await;
    let check = async |filter: OrderFilter, expected: Vec<usize>| {
        let page = list(db, filter.clone(), 50, None).await;
        assert_eq!(indexes(&page, &s), expected, "{filter:?}");
        assert!(!page.has_next_page);
    };

    check(OrderFilter { status: Some(OrderStatus::Pending), ..Default::default() }, vec![6, 3, 1]).await;
    check(OrderFilter { status: Some(OrderStatus::Shipped), ..Default::default() }, vec![]).await;
    check(OrderFilter { created_after: Some(at(2)), ..Default::default() }, vec![6, 5, 4, 3, 2]).await;
    check(OrderFilter { created_before: Some(at(2)), ..Default::default() }, vec![1, 0]).await;
    check(OrderFilter { created_after: Some(at(2)), created_before: Some(at(5)), ..Default::default() }, vec![4, 3, 2])
        .await;
    check(OrderFilter { customer_email: Some("ANN@example.com".to_owned()), ..Default::default() }, vec![6, 4, 2, 0])
        .await;
    check(OrderFilter { sku: Some("SKU-2".to_owned()), ..Default::default() }, vec![4, 2, 1]).await;
    check(OrderFilter { sku: Some("SKU-9".to_owned()), ..Default::default() }, vec![]).await;
    check(
        OrderFilter { sku: Some("SKU-2".to_owned()), status: Some(OrderStatus::Confirmed), ..Default::default() },
        vec![4, 2],
    )
    .await;

    let ann = || OrderFilter { customer_email: Some("ann@example.com".to_owned()), ..Default::default() };
    let p1 = list(db, ann(), 2, None).await;
    assert_eq!((indexes(&p1, &s), p1.has_next_page), (vec![6, 4], true));
    let p2 = list(db, ann(), 2, p1.orders.last()).await;
    assert_eq!((indexes(&p2, &s), p2.has_next_page), (vec![2, 0], false));
}

/// A SKU's list pages like any other, and an order holding the SKU on two lines (two vendors)
/// comes once.
pub async fn sku_pages_with_cursor(db: &Database) {
    let s = seed(db).await;
    let mut twice = Spec::new("acme", "ORD-000100");
    twice.lines = vec![("SKU-2", 1, 100), ("SKU-2", 2, 100)];
    twice.vendors = &["vendor-1", "vendor-2"];
    twice.created_at = at(7);
    let twice = twice.build();
    let mut tx = db.order_store().begin(twice.tenant_id()).await.unwrap();
    tx.insert_order(&twice).await.unwrap();
    tx.commit().await.unwrap();

    let sku = || OrderFilter { sku: Some("SKU-2".to_owned()), ..Default::default() };
    let p1 = list(db, sku(), 2, None).await;
    assert_eq!(p1.orders[0].id(), twice.id());
    assert_eq!((indexes_of(&p1.orders[1..], &s), p1.has_next_page), (vec![4], true));
    let p2 = list(db, sku(), 2, p1.orders.last()).await;
    assert_eq!((indexes_of(&p2.orders, &s), p2.has_next_page), (vec![2, 1], false));
    let p3 = list(db, sku(), 2, p2.orders.first()).await;
    assert_eq!((indexes_of(&p3.orders, &s), p3.has_next_page), (vec![1], false));

    let in_window = OrderFilter { created_before: Some(at(3)), ..sku() };
    let p1 = list(db, in_window.clone(), 1, None).await;
    assert_eq!((indexes_of(&p1.orders, &s), p1.has_next_page), (vec![2], true));
    let p2 = list(db, in_window, 1, p1.orders.last()).await;
    assert_eq!((indexes_of(&p2.orders, &s), p2.has_next_page), (vec![1], false));
}

pub async fn page_loads_whole_aggregates(db: &Database) {
    let s = seed(db).await;
    let page = list(db, OrderFilter::default(), 50, None).await;
    assert_eq!(page.orders.len(), 7);
    for loaded in &page.orders {
        let seeded = s.iter().find(|o| o.id() == loaded.id()).unwrap();
        assert_same(loaded, seeded);
    }
    assert!(page.orders.iter().any(|o| o.shipments().len() == 2));
    assert!(page.orders.iter().any(|o| o.lines().len() == 2));
}

/// A created range sorts by (created_at, id), newest first, whatever order the ids were made in:
/// here created_at runs against id order, and three orders share one instant (ties go by id).
pub async fn created_range_pages_by_creation_time_with_cursor(db: &Database) {
    let store = db.order_store();
    // (minute of created_at) for orders made in this order, so in ascending id order.
    let minutes = [9, 3, 7, 3, 1, 3, 8, 0, 5];
    let mut seeded = Vec::new();
    for (i, minute) in minutes.into_iter().enumerate() {
        let number = format!("ORD-{i:06}");
        let mut spec = Spec::new("acme", &number);
        spec.created_at = at(minute);
        let o = spec.build();
        let mut tx = store.begin(o.tenant_id()).await.unwrap();
        tx.insert_order(&o).await.unwrap();
        tx.commit().await.unwrap();
        seeded.push(o);
    }
    let window = || OrderFilter { created_after: Some(at(1)), created_before: Some(at(9)), ..Default::default() };
    let mut expected: Vec<&Order> =
        seeded.iter().filter(|o| o.created_at() >= at(1) && o.created_at() < at(9)).collect();
    expected.sort_by_key(|o| std::cmp::Reverse((o.created_at(), o.id())));
    let expected: Vec<usize> = indexes_of(expected, &seeded);
    assert_eq!(expected, vec![6, 2, 8, 5, 3, 1, 4], "the expectation itself: by minute, ties by id");

    let mut seen = Vec::new();
    let mut after: Option<Order> = None;
    loop {
        let page = list(db, window(), 2, after.as_ref()).await;
        seen.extend(indexes(&page, &seeded));
        if !page.has_next_page {
            break;
        }
        after = page.orders.last().cloned();
    }
    assert_eq!(seen, expected, "every order of the window exactly once, newest first");
    // A cursor at or past the window's end (a wider window's) leaves the window whole.
    let past_end = list(db, window(), 50, Some(&seeded[0])).await;
    assert_eq!(indexes(&past_end, &seeded), expected);

    let only_after = list(db, OrderFilter { created_after: Some(at(7)), ..Default::default() }, 50, None).await;
    assert_eq!(indexes(&only_after, &seeded), vec![0, 6, 2]);
    let only_before = list(db, OrderFilter { created_before: Some(at(3)), ..Default::default() }, 50, None).await;
    assert_eq!(indexes(&only_before, &seeded), vec![4, 7]);
    let with_status = OrderFilter { status: Some(OrderStatus::Confirmed), ..window() };
    assert_eq!(indexes(&list(db, with_status, 50, None).await, &seeded), expected);
}

/// A cursor of the other sort is a caller's mistake the use case refuses; should one reach the
/// store it is refused there too, never read as a place in a list it does not belong to.
pub async fn a_cursor_of_the_other_sort_is_refused(db: &Database) {
    let s = seed(db).await;
    let store = db.order_store();
    let window = OrderFilter { created_after: Some(at(0)), ..Default::default() };
    let cases = [
        (window, OrderCursor::Id(s[3].id())),
        (OrderFilter::default(), OrderCursor::Created { created_at: s[3].created_at(), id: s[3].id() }),
    ];
    for (filter, cursor) in cases {
        let query = OrderQuery { filter, first: 10, after: Some(cursor) };
        let refused = store.orders(&tenant("acme"), &query).await.unwrap_err();
        assert!(matches!(refused, StoreError::Internal(_)), "{refused:?}");
    }
}
