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
    audit_trail::AuditDraft,
    orders::{
        Orders, Outcome,
        change::Target,
        commands::ProcessRefund,
        idempotency::{fingerprint, normalise_key},
        keyed_change::Keyed,
        return_commands::ReturnView,
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
        let mut audit = AuditDraft::new(p, OPERATION, &input);
        audit.target(&input.return_id);
        let result = async {
            let access = self.authorize(p, Permission::RefundProcess).await?;
            let return_id = Target::return_id(&input.return_id, "returnId")?;
            let key = normalise_key(input.idempotency_key.as_deref())?;
            let keyed = Keyed {
                operation: OPERATION,
                fingerprint: fingerprint(OPERATION, &input),
                resource_id: return_id.to_string(),
                key: key.clone(),
            };
            let entry_key = key.unwrap_or_else(|| format!("refund:{return_id}"));
            let comments = input.comments.as_deref();
            let outcome = self
                .change_with_key(
                    &access,
                    p,
                    &mut audit,
                    Target::Return(return_id).named_by("returnId"),
                    &keyed,
                    |o, now| {
                        let policy = refund_policy(&access.settings, o.currency())?;
                        let meta = EntryMeta::new(self.ids.new_id(), entry_key.clone(), now);
                        o.refund_return(return_id, meta, &policy, comments, now).map(|_| ()).map_err(AppError::from)
                    },
                )
                .await?;
            Ok(Outcome { value: ReturnView { order: outcome.value, return_id }, replayed: outcome.replayed })
        }
        .await;
        self.settle(audit, result).await
    }
}
