//! processRefund: pays back an APPROVED return once, under the tenant's refund terms.
//!
//! Decisions where the spec is silent:
//! - without an idempotency key the entry's key is `refund:<returnId>`: a return is refunded
//!   once, so the return itself is the natural key;
//! - the terms are read when the refund is processed (not when the return was requested): the
//!   tenant's current policy decides;
//! - an unreadable `restocking_fee_percent` or `max_refund_amount` (one `config check` reports)
//!   refuses the refund with INVALID_STATE instead of guessing the tenant's policy;
//! - an order holding no payment that is not yet refunded refuses the refund (INVALID_STATE):
//!   a refund of nothing would still book the restocking fee as income never received.

use domain::{
    Currency,
    ledger::{EntryMeta, FeeRate, RefundPolicy, amount_in_currency},
};

use crate::{
    AppError, ErrorCode, Permission, Principal,
    orders::{
        Orders, Outcome,
        commands::ProcessRefund,
        idempotency::KeyUse,
        return_commands::ReturnView,
        runner::{Change, Command},
        target::Target,
    },
    ports::TenantSettings,
};

const OPERATION: &str = "processRefund";

/// The tenant's refund terms in an order's currency.
pub(crate) fn refund_policy(settings: &TenantSettings, currency: Currency) -> Result<RefundPolicy, AppError> {
    let unusable = |key: &str, value: &str, why: String| {
        AppError::new(
            ErrorCode::InvalidState,
            format!("the tenant config's {key} '{value}' cannot be applied ({why}); correct the tenant config"),
        )
    };
    let restocking_fee = match settings.restocking_fee_percent.as_deref() {
        None => FeeRate::ZERO,
        Some(text) => {
            FeeRate::parse_percent(text).map_err(|e| unusable("restocking_fee_percent", text, e.to_string()))?
        }
    };
    let max_refund_amount = settings
        .max_refund_amount
        .as_deref()
        .map(|text| amount_in_currency(text, currency).map_err(|e| unusable("max_refund_amount", text, e.to_string())))
        .transpose()?;
    Ok(RefundPolicy { restocking_fee, max_refund_amount })
}

impl Orders {
    pub async fn process_refund(&self, p: &Principal, input: ProcessRefund) -> Result<Outcome<ReturnView>, AppError> {
        let command = Command {
            action: OPERATION,
            permission: Permission::RefundProcess,
            input: &input,
            names_order: None,
            names: Some(&input.return_id),
        };
        let return_id = Target::return_id(&input.return_id, "returnId");
        let outcome = self
            .run(p, command, |_| {
                let return_id = return_id.clone()?;
                let key = KeyUse::new(OPERATION, input.idempotency_key.as_deref(), &input)?;
                let entry_key = key.as_ref().map_or_else(|| format!("refund:{return_id}"), |k| k.key.clone());
                let comments = input.comments.as_deref();
                let change = Change::of_order(Target::Return(return_id).named_by("returnId"), None, move |o, cx| {
                    let policy = refund_policy(&cx.tenant.settings, o.currency())?;
                    let meta = EntryMeta::new(cx.ids.new_id(), entry_key.clone(), cx.now);
                    o.refund_return(return_id, meta, &policy, comments, cx.now).map(|_| ()).map_err(AppError::from)
                })
                // A replay answers with the return the key was used for.
                .remembering(move |_, _| return_id.to_string());
                Ok(match key {
                    Some(key) => change.keyed(key),
                    None => change,
                })
            })
            .await?;
        Ok(Outcome {
            value: ReturnView { order: outcome.value.0, return_id: return_id? },
            replayed: outcome.replayed,
            duplicate: outcome.duplicate,
        })
    }
}
