//! createShipment: allocates line quantities to a new shipment; idempotent on the caller's key.

use domain::{
    OrderId, ShipmentId,
    order::{NewShipment, Order},
};

use crate::{
    AppError, ErrorCode, Permission, Principal,
    audit_trail::AuditDraft,
    orders::{
        Orders, Outcome, ShipmentView,
        commands::CreateShipment,
        envelope::envelopes,
        idempotency::{check_replay, fingerprint, normalise_key},
        inputs,
    },
    ports::{IdempotencyRecord, OUTCOME_OK, StoreError},
};

const OPERATION: &str = "createShipment";
const ATTEMPTS: usize = 3;

impl Orders {
    pub async fn create_shipment(
        &self,
        p: &Principal,
        input: CreateShipment,
    ) -> Result<Outcome<ShipmentView>, AppError> {
        let mut audit = AuditDraft::new(p, "createShipment", &input);
        audit.order(&input.order_id);
        let result = self.create_shipment_audited(p, &input, &mut audit).await;
        if let Ok(created) = &result {
            audit.target(created.value.shipment_id);
        }
        self.settle(audit, result).await
    }

    async fn create_shipment_audited(
        &self,
        p: &Principal,
        input: &CreateShipment,
        audit: &mut AuditDraft,
    ) -> Result<Outcome<ShipmentView>, AppError> {
        self.authorize(p, Permission::ShipmentCreate).await?;
        let order_id = OrderId::parse(&input.order_id)
            .map_err(|_| AppError::not_found("order", &input.order_id).with_field(&["orderId"]))?;
        let key = normalise_key(input.idempotency_key.as_deref())?;
        let address = input.address.as_ref().map(|a| inputs::address(a, &["address"])).transpose()?;
        let package = input.package.as_ref().map(inputs::package).transpose()?;
        let pickup = input.pickup.as_ref().map(inputs::pickup).transpose()?;
        let items: Vec<(String, String, i64)> =
            input.items.iter().map(|i| (i.sku.clone(), i.vendor_id.clone(), i.quantity)).collect();
        let fp = fingerprint(OPERATION, input);

        for _ in 0..ATTEMPTS {
            let mut tx = self.store.begin(&p.tenant_id).await?;
            if let Some(key) = &key
                && let Some(record) = tx.idempotency_record(key).await?
            {
                check_replay(&record, OPERATION, &fp)?;
                let shipment_id = ShipmentId::parse(&record.resource_id).map_err(|_| AppError::internal())?;
                let order = tx.lock_order_of_shipment(shipment_id).await?.ok_or_else(AppError::internal)?;
                return Ok(Outcome { value: ShipmentView { order, shipment_id }, replayed: true });
            }
            let mut order: Order = tx
                .lock_order(order_id)
                .await?
                .ok_or_else(|| AppError::not_found("order", order_id).with_field(&["orderId"]))?;
            let before = order.version();
            let shipment_id = ShipmentId::from_uuid(self.ids.new_id());
            order.create_shipment(
                NewShipment {
                    id: shipment_id,
                    mode: input.mode,
                    provider: input.provider.clone(),
                    address: address.clone(),
                    items: items.clone(),
                    package: package.clone(),
                    pickup: pickup.clone(),
                },
                self.clock.now(),
            )?;
            match tx.update_order(&order, before).await {
                Err(StoreError::Conflict(_)) => continue,
                other => other?,
            }
            tx.append_outbox(&envelopes(&p.tenant_id, order.take_events(), self.ids.as_ref())).await?;
            if let Some(key) = &key {
                let record = IdempotencyRecord {
                    key: key.clone(),
                    operation: OPERATION.to_owned(),
                    fingerprint: fp.clone(),
                    resource_id: shipment_id.to_string(),
                    created_at: self.clock.now(),
                };
                match tx.save_idempotency_record(&record).await {
                    Err(StoreError::Duplicate(_)) => continue,
                    other => other?,
                }
            }
            audit.target(shipment_id);
            tx.append_audit(&audit.record(OUTCOME_OK, self.clock.as_ref(), self.ids.as_ref())).await?;
            match tx.commit().await {
                Err(StoreError::Duplicate(_) | StoreError::Conflict(_)) => continue,
                other => other?,
            }
            audit.mark_written();
            return Ok(Outcome { value: ShipmentView { order, shipment_id }, replayed: false });
        }
        Err(AppError::new(ErrorCode::Conflict, "the order kept changing concurrently; retry"))
    }
}
