//! recordPayment: a customer's payment against what an order owes.
//!
//! Decisions where the spec is silent:
//! - only an order whose receivable exists can be paid: PENDING and CANCELLED orders answer
//!   INVALID_STATE (nothing is owed), as does a fully paid one (nothing is due);
//! - overpayment and a currency other than the order's are VALIDATION_FAILED on `amount`;
//! - without an idempotency key every call is a new payment (as with createOrder);
//! - the key's content is the order, the amount (exact minor units, so `"10.0"` = `"10.00"`),
//!   the reference and the method: any difference is IDEMPOTENCY_CONFLICT.

use domain::ledger::EntryMeta;
use serde::Serialize;

use crate::{
    AppError, Permission, Principal,
    orders::{
        Orders, Outcome,
        commands::RecordPayment,
        idempotency::KeyUse,
        inputs,
        runner::{Change, Command},
        target::Target,
    },
};
use domain::order::Order;

const OPERATION: &str = "recordPayment";

#[derive(Serialize)]
struct PaymentContent<'a> {
    order_id: &'a str,
    amount_minor: i64,
    currency: &'a str,
    reference: Option<&'a str>,
    method: Option<&'a str>,
}

fn trimmed(text: Option<&str>) -> Option<String> {
    text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned)
}

impl Orders {
    pub async fn record_payment(&self, p: &Principal, input: RecordPayment) -> Result<Outcome<Order>, AppError> {
        let command = Command {
            action: OPERATION,
            permission: Permission::PaymentRecord,
            input: &input,
            names_order: Some(&input.order_id),
            names: None,
        };
        let outcome = self
            .run(p, command, |_| {
                let target = Target::order_at(&input.order_id, "orderId")?;
                let amount = inputs::money(&input.amount, &["amount"])?;
                let (reference, method) = (trimmed(input.reference.as_deref()), trimmed(input.method.as_deref()));
                let content = PaymentContent {
                    order_id: input.order_id.trim(),
                    amount_minor: amount.minor(),
                    currency: amount.currency().code(),
                    reference: reference.as_deref(),
                    method: method.as_deref(),
                };
                let key = KeyUse::new(OPERATION, input.idempotency_key.as_deref(), &content)?;
                // Without a key of the caller's, the entry still needs one unique in the tenant.
                let entry_key =
                    key.as_ref().map_or_else(|| format!("payment:{}", self.ids.new_id()), |k| k.key.clone());
                let change = Change::of_order(target, None, move |o, cx| {
                    let meta = EntryMeta::new(cx.ids.new_id(), entry_key.clone(), cx.now)
                        .with_details(reference.clone(), method.clone());
                    o.record_payment(meta, amount, cx.now).map(|_| ()).map_err(AppError::from)
                });
                Ok(match key {
                    Some(key) => change.keyed(key),
                    None => change,
                })
            })
            .await?;
        Ok(Outcome { value: outcome.value.0, replayed: outcome.replayed, duplicate: outcome.duplicate })
    }
}
