use application::ports::{OrderFilter, OrderPage, OrderQuery};
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
    db.order_store().orders(&tenant("acme"), &OrderQuery { filter, first, after: after.map(Order::id) }).await.unwrap()
}

/// The seed indexes of a page's orders.
fn indexes(page: &OrderPage, seeded: &[Order]) -> Vec<usize> {
    page.orders.iter().map(|o| seeded.iter().position(|s| s.id() == o.id()).expect("a seeded order")).collect()
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
