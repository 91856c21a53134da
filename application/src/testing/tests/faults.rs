//! Armed failures fire once, in whichever transaction calls next, and write nothing.

use futures::executor::block_on;

use super::{now, order, tenant};
use crate::{
    ports::{OrderStore, StoreError},
    testing::{InMemoryOrderStore, SequentialIds},
};

fn lost_race() -> StoreError {
    StoreError::Conflict("lost race".to_owned())
}

#[test]
fn a_failed_update_fires_once_and_the_retry_succeeds() {
    block_on(async {
        let (store, ids, t) = (InMemoryOrderStore::new(), SequentialIds::new(), tenant("t1"));
        let placed = order(&ids, &t, 1, None);
        let mut tx = store.begin(&t).await.unwrap();
        tx.insert_order(&placed).await.unwrap();
        tx.commit().await.unwrap();

        store.fail_next_update_with(lost_race());
        let mut confirmed = placed.clone();
        confirmed.confirm(now()).unwrap();
        let mut tx = store.begin(&t).await.unwrap();
        assert_eq!(tx.update_order(&confirmed, 1).await, Err(lost_race()));
        drop(tx);

        let mut tx = store.begin(&t).await.unwrap();
        tx.update_order(&confirmed, 1).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.committed_orders(&t)[0].version(), 2);
        assert_eq!(store.transactions_begun(), 3);
    });
}

#[test]
fn a_failed_insert_fires_once() {
    block_on(async {
        let (store, ids, t) = (InMemoryOrderStore::new(), SequentialIds::new(), tenant("t1"));
        let placed = order(&ids, &t, 1, None);
        store.fail_next_insert_with(StoreError::Unavailable("down".to_owned()));
        let mut tx = store.begin(&t).await.unwrap();
        assert_eq!(tx.insert_order(&placed).await, Err(StoreError::Unavailable("down".to_owned())));
        assert!(tx.lock_order(placed.id()).await.unwrap().is_none(), "the failed insert wrote nothing");
        tx.insert_order(&placed).await.unwrap();
    });
}

#[test]
fn a_failed_commit_fires_once_applies_nothing_and_frees_the_writer() {
    block_on(async {
        let (store, ids, t) = (InMemoryOrderStore::new(), SequentialIds::new(), tenant("t1"));
        store.fail_next_commit_with(StoreError::Unavailable("gone".to_owned()));
        let mut tx = store.begin(&t).await.unwrap();
        tx.insert_order(&order(&ids, &t, 1, None)).await.unwrap();
        tx.next_order_number().await.unwrap();
        assert_eq!(tx.commit().await, Err(StoreError::Unavailable("gone".to_owned())));
        assert!(store.committed_orders(&t).is_empty());
        assert_eq!(store.counter(&t, "order_number"), 0);

        let mut tx = store.begin(&t).await.unwrap();
        tx.next_order_number().await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.counter(&t, "order_number"), 1);
    });
}
