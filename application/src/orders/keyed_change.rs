//! The path of the money mutations (recordPayment, processRefund): like `change`, one locked
//! order, one command, saved with its journal entries, outbox events and audit record in one
//! transaction — plus the caller's idempotency key, stored with the change.
//!
//! The key is looked up only once the order is locked: a concurrent call with the same key waits
//! for the lock, then finds the key of the call that held it and replays instead of booking twice.

use chrono::{DateTime, Utc};
use domain::order::Order;

use crate::{
    AppError, ErrorCode, Principal,
    audit_trail::AuditDraft,
    orders::{
        Orders, Outcome,
        change::{Located, lock},
        envelope::envelopes,
        idempotency::check_replay,
    },
    ports::{IdempotencyRecord, OUTCOME_OK, StoreError, TenantProfile},
};

const ATTEMPTS: usize = 3;

/// The caller's idempotency key and what it is remembered as.
pub(crate) struct Keyed {
    pub operation: &'static str,
    pub key: Option<String>,
    /// Hash of the normalised request content.
    pub fingerprint: String,
    /// Id of the object a replay answers with (the order, the return).
    pub resource_id: String,
}

impl Orders {
    pub(crate) async fn change_with_key<F>(
        &self,
        // Proof that the caller was authorized: only `authorize` hands out profiles to use cases.
        _authorized: &TenantProfile,
        principal: &Principal,
        audit: &mut AuditDraft,
        located: Located,
        keyed: &Keyed,
        mut command: F,
    ) -> Result<Outcome<Order>, AppError>
    where
        F: FnMut(&mut Order, DateTime<Utc>) -> Result<(), AppError> + Send,
    {
        let tenant = &principal.tenant_id;
        for _ in 0..ATTEMPTS {
            let mut tx = self.store.begin(tenant).await?;
            let mut order =
                lock(tx.as_mut(), located.target).await?.ok_or_else(|| located.target.not_found(located.field))?;
            audit.order(order.id());
            if let Some(key) = &keyed.key
                && let Some(record) = tx.idempotency_record(key).await?
            {
                check_replay(&record, keyed.operation, &keyed.fingerprint)?;
                return Ok(Outcome { value: order, replayed: true });
            }
            let before = order.version();
            let now = self.clock.now();
            // An order confirmed before the ledger existed gets its receivable before it is paid.
            order.sync_receivable(self.ids.new_id(), now)?;
            command(&mut order, now)?;
            if let Some(key) = &keyed.key {
                let record = IdempotencyRecord {
                    key: key.clone(),
                    operation: keyed.operation.to_owned(),
                    fingerprint: keyed.fingerprint.clone(),
                    resource_id: keyed.resource_id.clone(),
                    created_at: now,
                };
                // Taken by a concurrent call: the retry finds it and replays (or refuses).
                match tx.save_idempotency_record(&record).await {
                    Err(StoreError::Duplicate(_)) => continue,
                    other => other?,
                }
            }
            match tx.update_order(&order, before).await {
                Err(StoreError::Conflict(_)) => continue,
                // Another journal entry of the tenant holds the key (a system entry's key, or an
                // entry booked before keys were remembered): never a second entry under it.
                Err(StoreError::Duplicate(what)) if what == "idempotencyKey" => {
                    return Err(AppError::new(
                        ErrorCode::IdempotencyConflict,
                        "idempotencyKey is already used by another journal entry",
                    )
                    .with_field(&["idempotencyKey"]));
                }
                other => other?,
            }
            tx.append_outbox(&envelopes(tenant, order.take_events(), self.ids.as_ref())).await?;
            tx.append_audit(&audit.record(OUTCOME_OK, self.clock.as_ref(), self.ids.as_ref())).await?;
            match tx.commit().await {
                Err(StoreError::Duplicate(_) | StoreError::Conflict(_)) => continue,
                other => other?,
            }
            audit.mark_written();
            return Ok(Outcome { value: order, replayed: false });
        }
        Err(AppError::new(ErrorCode::Conflict, "the order kept changing concurrently; retry"))
    }
}
