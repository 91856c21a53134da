//! One tenant's rows and the rules the database enforces on them: unique keys and the version
//! guard. A write checks everything before it changes anything, so a refused write leaves the
//! rows as they were.

use std::collections::{BTreeMap, HashMap, HashSet};

use domain::{
    OrderId, ReturnId, ShipmentId,
    order::{Order, Shipment},
};

use crate::ports::{IdempotencyRecord, OutboxEvent, StoreError, Taken, WebhookReceipt};

/// Cloned whole when a transaction begins: the clone is its private working copy, and commit
/// puts it back. Test data is small, and a swap is trivially atomic.
#[derive(Debug, Clone, Default)]
pub(super) struct TenantTables {
    pub(super) orders: BTreeMap<OrderId, Order>,
    pub(super) counters: HashMap<String, i64>,
    pub(super) idempotency: HashMap<String, IdempotencyRecord>,
    /// In append order.
    pub(super) outbox: Vec<OutboxEvent>,
    /// Inbound webhook deliveries acted on, by (route, delivery key).
    pub(super) receipts: HashMap<(String, String), WebhookReceipt>,
}

impl TenantTables {
    pub(super) fn order(&self, id: OrderId) -> Option<Order> {
        self.orders.get(&id).cloned()
    }

    pub(super) fn order_of_shipment(&self, id: ShipmentId) -> Option<Order> {
        self.orders.values().find(|o| o.shipment(id).is_some()).cloned()
    }

    pub(super) fn order_of_return(&self, id: ReturnId) -> Option<Order> {
        self.orders.values().find(|o| o.return_by_id(id).is_some()).cloned()
    }

    pub(super) fn order_by_external_ref(&self, external_ref: &str) -> Option<Order> {
        self.orders.values().find(|o| o.external_ref() == Some(external_ref)).cloned()
    }

    pub(super) fn webhook_receipt(
        &self,
        route: &str,
        key: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Option<WebhookReceipt> {
        self.receipts.get(&(route.to_owned(), key.to_owned())).filter(|r| r.remembered_until > now).cloned()
    }

    /// A receipt past its time is replaced, as the database's upsert does.
    pub(super) fn save_webhook_receipt(&mut self, receipt: &WebhookReceipt) -> Result<(), StoreError> {
        if self.webhook_receipt(&receipt.route, &receipt.delivery_key, receipt.received_at).is_some() {
            return Err(StoreError::Duplicate(Taken::WebhookDelivery));
        }
        self.receipts.insert((receipt.route.clone(), receipt.delivery_key.clone()), receipt.clone());
        Ok(())
    }

    pub(super) fn increment_counter(&mut self, name: &str) -> i64 {
        let value = self.counters.entry(name.to_owned()).or_insert(0);
        *value += 1;
        *value
    }

    /// Checks keys in the order the SQL adapter reports them: externalRef, then number, then id.
    pub(super) fn insert_order(&mut self, order: &Order) -> Result<(), StoreError> {
        if let Some(external_ref) = order.external_ref()
            && self.orders.values().any(|o| o.external_ref() == Some(external_ref))
        {
            return Err(StoreError::Duplicate(Taken::ExternalRef));
        }
        if self.orders.values().any(|o| o.number() == order.number()) {
            return Err(StoreError::Duplicate(Taken::OrderNumber));
        }
        if self.orders.contains_key(&order.id()) {
            return Err(StoreError::Internal(format!("order id {} is already taken", order.id())));
        }
        self.check_children(order, None)?;
        self.orders.insert(order.id(), as_loaded(order));
        Ok(())
    }

    pub(super) fn renumber_order(&mut self, id: OrderId, number: &str) -> Result<(), StoreError> {
        if self.orders.values().any(|o| o.id() != id && o.number() == number) {
            return Err(StoreError::Duplicate(Taken::OrderNumber));
        }
        let order = self
            .orders
            .get_mut(&id)
            .ok_or_else(|| StoreError::Internal(format!("order {id} was not inserted in this transaction")))?;
        order.number_as(number.to_owned());
        Ok(())
    }

    pub(super) fn update_order(&mut self, order: &Order, expected_version: i64) -> Result<(), StoreError> {
        let Some(before) = self.orders.get(&order.id()) else {
            return Err(StoreError::Conflict(format!("order {} is no longer stored", order.id())));
        };
        if before.version() != expected_version {
            return Err(StoreError::Conflict(format!(
                "order {} is no longer at version {expected_version}",
                order.id()
            )));
        }
        self.check_children(order, Some(before))?;
        self.orders.insert(order.id(), as_loaded(order));
        Ok(())
    }

    pub(super) fn save_idempotency_record(&mut self, record: &IdempotencyRecord) -> Result<(), StoreError> {
        if self.idempotency.contains_key(&record.key) {
            return Err(StoreError::Duplicate(Taken::IdempotencyKey));
        }
        self.idempotency.insert(record.key.clone(), record.clone());
        Ok(())
    }

    /// The tenant-wide unique keys of an order's children: journal idempotency keys and
    /// (carrier, tracking reference). `before` is the stored state of the same order, whose
    /// entries are not new and whose keys it may keep.
    fn check_children(&self, order: &Order, before: Option<&Order>) -> Result<(), StoreError> {
        let others = self.orders.values().filter(|o| o.id() != order.id());
        let mut keys: HashSet<&str> = others.clone().flat_map(|o| o.journal()).map(|e| e.idempotency_key()).collect();
        keys.extend(before.into_iter().flat_map(|b| b.journal()).map(|e| e.idempotency_key()));
        let known = |id| before.is_some_and(|b| b.journal().iter().any(|e| e.id() == id));
        for entry in order.journal().iter().filter(|e| !known(e.id())) {
            if !keys.insert(entry.idempotency_key()) {
                return Err(StoreError::Duplicate(Taken::JournalEntryKey));
            }
        }
        let mut tracking: HashSet<(String, &str)> =
            others.flat_map(|o| o.shipments()).filter_map(tracking_key).collect();
        for key in order.shipments().iter().filter_map(tracking_key) {
            if !tracking.insert(key) {
                return Err(StoreError::Duplicate(Taken::TrackingReference));
            }
        }
        Ok(())
    }
}

/// What a later load returns: the stored state without the events pending on the saved value.
fn as_loaded(order: &Order) -> Order {
    Order::restore(order.parts().clone())
}

/// A tracking reference is unique per tenant and carrier, the carrier compared trimmed and
/// lower-cased ("DHL" and " dhl" are one carrier), as the SQL adapter's key does.
fn tracking_key(shipment: &Shipment) -> Option<(String, &str)> {
    let reference = shipment.tracking_reference.as_deref()?;
    Some((shipment.carrier().trim().to_lowercase(), reference))
}
