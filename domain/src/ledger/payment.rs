//! Whether a payment may be recorded against an order.

use crate::{DomainError, Money, ledger::OrderBalance};

/// Refuses a payment that is not positive, not in the order's currency, or larger than what is
/// due ("overpayment is refused"): the tenant's books must never owe a customer money it was not
/// asked for. A refused payment writes nothing.
pub fn payment_allowed(balance: &OrderBalance, amount: Money) -> Result<(), DomainError> {
    if amount.currency() != balance.currency() {
        return Err(DomainError::validation(
            &["amount", "currency"],
            format!("a payment must be in the order's currency {}, got {}", balance.currency(), amount.currency()),
        ));
    }
    if amount.minor() <= 0 {
        return Err(DomainError::validation(&["amount"], "a payment must be greater than 0"));
    }
    if balance.due().minor() <= 0 {
        return Err(DomainError::invalid_state(format!(
            "nothing is due on order {}; the payment of {amount} is refused",
            balance.order_id()
        )));
    }
    if amount.minor() > balance.due().minor() {
        return Err(DomainError::validation(
            &["amount"],
            format!("a payment of {amount} exceeds the {} due; overpayment is refused", balance.due()),
        ));
    }
    Ok(())
}
