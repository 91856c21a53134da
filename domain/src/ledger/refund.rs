//! The refund calculation of SPEC §2 "Returns and refunds", as a pure function.
//!
//! `gross = Σ(unit price × returned quantity)`; `fee = restocking_fee_percent of gross` (rounded
//! as `fee.rs` states); the refund is `gross − fee`, then capped by the tenant's
//! `max_refund_amount` (per refund) and by what was paid and not yet refunded, so refunds can never
//! exceed payments.

use serde::Serialize;

use crate::{Currency, DomainError, Money, ledger::FeeRate};

/// Returned units of one order line at the price they were sold for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReturnedLine {
    pub unit_price: Money,
    pub quantity: u32,
}

/// The tenant's refund terms (TenantConfig `restocking_fee_percent`, `max_refund_amount`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundPolicy {
    pub restocking_fee: FeeRate,
    /// The most one refund may pay back, in the order's currency; `None` means no such cap.
    pub max_refund_amount: Option<Money>,
}

/// Which cap, if any, lowered the refund below `gross − fee`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CapApplied {
    None,
    MaxRefundAmount,
    RemainingPaid,
}

impl CapApplied {
    pub fn as_str(&self) -> &'static str {
        match self {
            CapApplied::None => "NONE",
            CapApplied::MaxRefundAmount => "MAX_REFUND_AMOUNT",
            CapApplied::RemainingPaid => "REMAINING_PAID",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [CapApplied::None, CapApplied::MaxRefundAmount, CapApplied::RemainingPaid].into_iter().find(|c| c.as_str() == s)
    }
}

/// The result of the calculation. Only [`quote_refund`] makes one, so `amount + restocking_fee ≤
/// gross` and `amount ≤ paid − already refunded` hold for every quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundQuote {
    gross: Money,
    restocking_fee: Money,
    amount: Money,
    cap_applied: CapApplied,
}

impl RefundQuote {
    /// Σ(unit price × returned quantity).
    pub fn gross(&self) -> Money {
        self.gross
    }
    /// The fee kept, always the full percentage of the gross even when a cap lowers the refund.
    pub fn restocking_fee(&self) -> Money {
        self.restocking_fee
    }
    /// What is paid back to the customer.
    pub fn amount(&self) -> Money {
        self.amount
    }
    pub fn cap_applied(&self) -> CapApplied {
        self.cap_applied
    }
    /// The part of `gross − fee` a cap kept back: `gross − fee − amount`.
    pub fn withheld_by_cap(&self) -> Money {
        Money::from_minor(self.gross.minor() - self.restocking_fee.minor() - self.amount.minor(), self.gross.currency())
    }
}

/// Computes a refund. Refused: no lines, a zero quantity, a negative price, mixed currencies
/// (lines, payments and cap must all be in the order's currency), negative payments or cap,
/// more refunded than paid, and totals beyond the storable range.
///
/// When both caps bind, `max_refund_amount` is applied first and `cap_applied` names the cap that
/// lowered the amount last, so a tie reports `MaxRefundAmount` — the tenant's policy — while
/// `RemainingPaid` means the payments were the limit.
pub fn quote_refund(
    lines: &[ReturnedLine],
    policy: &RefundPolicy,
    paid: Money,
    already_refunded: Money,
) -> Result<RefundQuote, DomainError> {
    let Some(first) = lines.first() else {
        return Err(DomainError::validation(&["lines"], "a refund needs at least one returned line"));
    };
    let currency = first.unit_price.currency();
    let mut gross = Money::zero(currency);
    for (i, line) in lines.iter().enumerate() {
        let at = i.to_string();
        same_currency(line.unit_price, currency, &["lines", &at, "unitPrice", "currency"])?;
        if line.unit_price.is_negative() {
            return Err(DomainError::validation(
                &["lines", &at, "unitPrice", "amount"],
                "unitPrice must not be negative",
            ));
        }
        if line.quantity == 0 {
            return Err(DomainError::validation(&["lines", &at, "quantity"], "quantity must be greater than 0"));
        }
        gross = gross.checked_add(line.unit_price.checked_mul(line.quantity)?).map_err(|e| e.at(&["lines"]))?;
    }
    same_currency(paid, currency, &["paid", "currency"])?;
    same_currency(already_refunded, currency, &["refunded", "currency"])?;
    if paid.is_negative() || already_refunded.is_negative() {
        return Err(DomainError::validation(&["paid"], "payments and refunds must not be negative"));
    }
    if already_refunded.minor() > paid.minor() {
        return Err(DomainError::invalid_state(format!(
            "{already_refunded} already refunded exceeds the {paid} paid; the books need a correction first"
        )));
    }
    let restocking_fee = policy.restocking_fee.fee_on(gross)?;
    let mut amount = gross.minor() - restocking_fee.minor();
    let mut cap_applied = CapApplied::None;
    if let Some(max) = policy.max_refund_amount {
        same_currency(max, currency, &["maxRefundAmount", "currency"])?;
        if max.is_negative() {
            return Err(DomainError::validation(&["maxRefundAmount"], "max_refund_amount must not be negative"));
        }
        if amount > max.minor() {
            amount = max.minor();
            cap_applied = CapApplied::MaxRefundAmount;
        }
    }
    let remaining = paid.minor() - already_refunded.minor();
    if amount > remaining {
        amount = remaining;
        cap_applied = CapApplied::RemainingPaid;
    }
    Ok(RefundQuote { gross, restocking_fee, amount: Money::from_minor(amount, currency), cap_applied })
}

/// Reads a tenant's `max_refund_amount` (a decimal string without a currency) in an order's
/// currency. Trailing zeros beyond the currency's minor units are exact and dropped, so `"500.00"`
/// caps a JPY order at ¥500; a non-zero digit beyond them (`"500.50"` for JPY) is refused, since
/// rounding a cap would silently change the tenant's policy.
pub fn amount_in_currency(text: &str, currency: Currency) -> Result<Money, DomainError> {
    let scale = usize::from(currency.minor_units());
    let trimmed = match text.split_once('.') {
        Some((int_part, frac)) if frac.len() > scale && frac[scale..].bytes().all(|b| b == b'0') => {
            if scale == 0 {
                int_part.to_owned()
            } else {
                format!("{int_part}.{}", &frac[..scale])
            }
        }
        _ => text.to_owned(),
    };
    Money::parse(&trimmed, currency).map_err(|e| match e {
        DomainError::Validation { message, .. } => {
            DomainError::Validation { field: vec!["maxRefundAmount".to_owned()], message }
        }
        other => other,
    })
}

fn same_currency(m: Money, currency: Currency, field: &[&str]) -> Result<(), DomainError> {
    if m.currency() == currency {
        Ok(())
    } else {
        Err(DomainError::validation(
            field,
            format!("{} is not in {currency}; a refund is in the order's one currency", m.currency()),
        ))
    }
}
