//! The accounts the system posts to. A closed set: an entry naming an account nobody reads would
//! make the books harder to audit, so new accounts are added here on purpose, not typed in.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::{DomainError, OrderId};

/// Which column an account normally grows in. A balance on the other side is not an error (a
/// receivable with a credit balance is money the customer is owed), but it is worth a look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NormalSide {
    Debit,
    Credit,
}

/// An account of a tenant's books.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Account {
    /// `receivable:<order id>` — asset, normally **debit**: what the customer still owes for one
    /// order. One account per order, so an order's balance due is its account's balance.
    Receivable(OrderId),
    /// `revenue` — income, normally **credit**: the value of confirmed orders.
    Revenue,
    /// `cash` — asset, normally **debit**: money received from customers, less money paid back.
    Cash,
    /// `refunds` — contra-revenue, normally **debit**: revenue given up because goods came back
    /// (the money paid back plus the restocking fee kept, see `entries::refund_processed`).
    Refunds,
    /// `restocking_fees` — income, normally **credit**: fees kept on returned goods.
    RestockingFees,
    /// `shipping_costs` — expense, normally **debit**: what carriers charge for shipments.
    ShippingCosts,
    /// `carrier_payable` — liability, normally **credit**: what the tenant owes its carriers.
    CarrierPayable,
}

const RECEIVABLE_PREFIX: &str = "receivable:";

impl Account {
    pub fn normal_side(&self) -> NormalSide {
        match self {
            Account::Receivable(_) | Account::Cash | Account::Refunds | Account::ShippingCosts => NormalSide::Debit,
            Account::Revenue | Account::RestockingFees | Account::CarrierPayable => NormalSide::Credit,
        }
    }

    /// The stored and displayed name, e.g. `receivable:0190…` or `restocking_fees`.
    pub fn as_string(&self) -> String {
        match self {
            Account::Receivable(order) => format!("{RECEIVABLE_PREFIX}{order}"),
            other => other.fixed_name().unwrap_or_default().to_owned(),
        }
    }

    /// The inverse of [`Account::as_string`]; anything else is refused, never guessed.
    pub fn parse(name: &str) -> Result<Self, DomainError> {
        if let Some(order) = name.strip_prefix(RECEIVABLE_PREFIX) {
            let order = OrderId::parse(order)
                .map_err(|_| DomainError::validation(&["account"], format!("'{name}' does not name an order")))?;
            return Ok(Account::Receivable(order));
        }
        FIXED
            .into_iter()
            .find(|a| a.fixed_name() == Some(name))
            .ok_or_else(|| DomainError::validation(&["account"], format!("'{name}' is not a ledger account")))
    }

    /// The order an account belongs to, for accounts that belong to one.
    pub fn order_id(&self) -> Option<OrderId> {
        match self {
            Account::Receivable(order) => Some(*order),
            _ => None,
        }
    }

    fn fixed_name(&self) -> Option<&'static str> {
        Some(match self {
            Account::Receivable(_) => return None,
            Account::Revenue => "revenue",
            Account::Cash => "cash",
            Account::Refunds => "refunds",
            Account::RestockingFees => "restocking_fees",
            Account::ShippingCosts => "shipping_costs",
            Account::CarrierPayable => "carrier_payable",
        })
    }
}

/// The accounts that are not per order.
const FIXED: [Account; 6] = [
    Account::Revenue,
    Account::Cash,
    Account::Refunds,
    Account::RestockingFees,
    Account::ShippingCosts,
    Account::CarrierPayable,
];

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_string())
    }
}

impl Serialize for Account {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_string())
    }
}
