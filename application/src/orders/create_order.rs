//! createOrder: idempotent on the tenant's externalRef and on the caller's idempotency key.

use domain::{
    OrderId,
    order::{NewOrder, Order},
};

use crate::{
    AppError, ErrorCode, Permission, Principal,
    audit_trail::AuditDraft,
    orders::{
        Orders, Outcome,
        commands::CreateOrder,
        envelope::envelopes,
        idempotency::{check_replay, fingerprint, normalise_key},
        inputs,
    },
    ports::{IdempotencyRecord, OUTCOME_OK, OrderTx, PlanLimits, StoreError},
};
use chrono::{DateTime, Datelike, TimeZone, Utc};

const OPERATION: &str = "createOrder";
/// A lost insert race (same externalRef or key committed by another request) is retried; the
/// retry then finds the winner's order.
const ATTEMPTS: usize = 3;

pub(crate) fn order_number(n: i64) -> String {
    format!("ORD-{n:06}")
}

/// Counts the order against its calendar month (UTC), always, so that a plan that gains a quota
/// mid-month knows what was already used. Over the quota, the transaction is dropped (rolled back)
/// with the increment.
async fn check_monthly_quota(tx: &mut dyn OrderTx, limits: PlanLimits, now: DateTime<Utc>) -> Result<(), AppError> {
    let used = tx.increment_counter(&format!("orders:{}", now.format("%Y-%m"))).await?;
    match limits.orders_per_month {
        Some(limit) if used as u64 > limit => {
            let resets_at = next_month(now);
            Err(AppError::new(
                ErrorCode::LimitExceeded,
                format!("your plan allows {limit} orders per month; the count resets at {}", resets_at.to_rfc3339()),
            )
            .with_detail("limit", limit)
            .with_detail("resetsAt", resets_at.to_rfc3339()))
        }
        _ => Ok(()),
    }
}

fn next_month(now: DateTime<Utc>) -> DateTime<Utc> {
    let (y, m) = if now.month() == 12 { (now.year() + 1, 1) } else { (now.year(), now.month() + 1) };
    Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single().unwrap_or(now)
}

impl Orders {
    pub async fn create_order(&self, p: &Principal, input: CreateOrder) -> Result<Outcome<Order>, AppError> {
        let mut audit = AuditDraft::new(p, "createOrder", &input);
        let result = self.create_order_audited(p, &input, &mut audit).await;
        if let Ok(created) = &result {
            audit.order(created.value.id());
        }
        self.settle(audit, result).await
    }

    async fn create_order_audited(
        &self,
        p: &Principal,
        input: &CreateOrder,
        audit: &mut AuditDraft,
    ) -> Result<Outcome<Order>, AppError> {
        let tenant = self.authorize(p, Permission::OrderCreate).await?;
        let key = normalise_key(input.idempotency_key.as_deref())?;
        // Everything is validated before the database is touched: bad input changes nothing.
        let customer = inputs::customer(&input.customer)?;
        let shipping_address =
            input.shipping_address.as_ref().map(|a| inputs::address(a, &["shippingAddress"])).transpose()?;
        let lines = inputs::lines(&input.lines)?;
        let fp = fingerprint(OPERATION, input);
        let draft = |id, number| NewOrder {
            id,
            tenant_id: p.tenant_id.clone(),
            number,
            external_ref: input.external_ref.clone(),
            customer: customer.clone(),
            shipping_address: shipping_address.clone(),
            lines: lines.clone(),
        };
        // Dry run with placeholder identity so that domain validation also happens before any write.
        Order::create(draft(OrderId::from_uuid(uuid::Uuid::nil()), String::new()), true, self.clock.now())?;

        // Looked up as it is stored (NFC). One the domain refuses finds nothing here and is
        // refused with its field path when the order is built.
        let external_ref = domain::identifier::optional(
            "externalRef",
            input.external_ref.as_deref(),
            domain::order::MAX_EXTERNAL_REF_LEN,
        )
        .ok()
        .flatten();
        for _ in 0..ATTEMPTS {
            let mut tx = self.store.begin(&p.tenant_id).await?;
            if let Some(key) = &key
                && let Some(record) = tx.idempotency_record(key).await?
            {
                check_replay(&record, OPERATION, &fp)?;
                let order = self.replayed_order(tx.as_mut(), &record).await?;
                return Ok(Outcome { value: order, replayed: true });
            }
            if let Some(existing) = match external_ref.as_deref() {
                Some(r) => tx.order_by_external_ref(r).await?,
                None => None,
            } {
                if let Some(key) = &key {
                    match self.remember(tx.as_mut(), key, &fp, &existing).await {
                        Err(StoreError::Duplicate(_)) => continue,
                        other => other?,
                    }
                }
                tx.commit().await?;
                return Ok(Outcome { value: existing, replayed: true });
            }
            let now = self.clock.now();
            check_monthly_quota(tx.as_mut(), tenant.limits, now).await?;
            let number = order_number(tx.next_order_number().await?);
            let mut order = Order::create(
                draft(OrderId::from_uuid(self.ids.new_id()), number),
                tenant.settings.auto_confirm_orders,
                now,
            )?;
            // An auto-confirmed order owes its total from the start.
            order.sync_receivable(self.ids.new_id(), now)?;
            match tx.insert_order(&order).await {
                Err(StoreError::Duplicate(what)) if what == "externalRef" || what == "number" => continue,
                other => other?,
            }
            tx.append_outbox(&envelopes(&p.tenant_id, order.take_events(), self.ids.as_ref())).await?;
            if let Some(key) = &key {
                match self.remember(tx.as_mut(), key, &fp, &order).await {
                    Err(StoreError::Duplicate(_)) => continue,
                    other => other?,
                }
            }
            audit.order(order.id());
            tx.append_audit(&audit.record(OUTCOME_OK, self.clock.as_ref(), self.ids.as_ref())).await?;
            match tx.commit().await {
                Err(StoreError::Duplicate(_)) => continue,
                other => other?,
            }
            audit.mark_written();
            return Ok(Outcome { value: order, replayed: false });
        }
        Err(AppError::new(ErrorCode::Conflict, "the order was being created concurrently; retry"))
    }

    async fn remember(&self, tx: &mut dyn OrderTx, key: &str, fp: &str, order: &Order) -> Result<(), StoreError> {
        tx.save_idempotency_record(&IdempotencyRecord {
            key: key.to_owned(),
            operation: OPERATION.to_owned(),
            fingerprint: fp.to_owned(),
            resource_id: order.id().to_string(),
            created_at: self.clock.now(),
        })
        .await
    }

    async fn replayed_order(&self, tx: &mut dyn OrderTx, record: &IdempotencyRecord) -> Result<Order, AppError> {
        let id = OrderId::parse(&record.resource_id).map_err(|_| AppError::internal())?;
        tx.lock_order(id).await?.ok_or_else(|| {
            tracing::error!(key = %record.key, "idempotency record points at a missing order");
            AppError::internal()
        })
    }
}
