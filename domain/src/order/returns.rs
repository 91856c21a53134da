//! Returns (SPEC §2 "Returns and refunds"), part of the Order aggregate like shipments: a customer
//! sends delivered units back; the tenant approves or declines; an approved return is refunded once.
//!
//! Return status: `REQUESTED → APPROVED | DECLINED`, then `APPROVED → REFUNDED`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    DomainError, Money, ReturnId, Sku, VendorId,
    events::{EventData, EventType},
    ledger::CapApplied,
    order::{LinePick, MAX_COMMENT, Order, progress, values::optional_text},
};

/// Most returns one order may hold, declined ones included: each is a stored row that every load
/// of the order reads back, and each new request walks them all.
pub const MAX_RETURNS_PER_ORDER: usize = 200;

/// Normative return states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReturnStatus {
    Requested,
    Approved,
    Declined,
    Refunded,
}

impl ReturnStatus {
    pub const ALL: [ReturnStatus; 4] =
        [ReturnStatus::Requested, ReturnStatus::Approved, ReturnStatus::Declined, ReturnStatus::Refunded];

    pub fn as_str(&self) -> &'static str {
        match self {
            ReturnStatus::Requested => "REQUESTED",
            ReturnStatus::Approved => "APPROVED",
            ReturnStatus::Declined => "DECLINED",
            ReturnStatus::Refunded => "REFUNDED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Units in a declined return never left the customer: they may be asked back again.
    pub fn holds_units(&self) -> bool {
        *self != ReturnStatus::Declined
    }
}

/// Units of one order line sent back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnLine {
    pub sku: Sku,
    pub vendor_id: VendorId,
    pub quantity: u32,
}

/// What was paid back for a return, as computed once by the refund calculation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    /// Σ(unit price × returned quantity).
    pub gross: Money,
    /// Paid back to the customer.
    pub amount: Money,
    /// Kept by the tenant.
    pub restocking_fee: Money,
    pub cap_applied: CapApplied,
    pub comments: Option<String>,
    /// The journal entry that booked it; none when every amount was zero.
    pub entry_id: Option<Uuid>,
    pub processed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Return {
    pub id: ReturnId,
    pub status: ReturnStatus,
    pub lines: Vec<ReturnLine>,
    pub reason: Option<String>,
    pub decline_reason: Option<String>,
    pub refund: Option<Refund>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Return {
    pub fn quantity_of(&self, sku: &Sku, vendor_id: &VendorId) -> u32 {
        self.lines.iter().filter(|l| &l.sku == sku && &l.vendor_id == vendor_id).map(|l| l.quantity).sum()
    }

    /// The one place a return state transition is decided.
    pub(crate) fn transition(&mut self, to: ReturnStatus, now: DateTime<Utc>) -> Result<(), DomainError> {
        use ReturnStatus::*;
        let allowed = match to {
            Approved | Declined => self.status == Requested,
            Refunded => self.status == Approved,
            Requested => false,
        };
        if !allowed {
            let why = match (self.status, to) {
                (Refunded, Refunded) => "; a return is refunded once",
                (Requested, Refunded) => "; approve it first",
                _ => "",
            };
            return Err(DomainError::invalid_state(format!(
                "return {} is {} and cannot become {}{why}",
                self.id,
                self.status.as_str(),
                to.as_str()
            )));
        }
        self.status = to;
        self.updated_at = now;
        Ok(())
    }
}

/// A return as the caller asked for it, before validation.
#[derive(Debug, Clone)]
pub struct NewReturn {
    pub id: ReturnId,
    pub lines: Vec<LinePick>,
    pub reason: Option<String>,
}

impl Order {
    pub fn returns(&self) -> &[Return] {
        &self.parts.returns
    }

    pub fn return_by_id(&self, id: ReturnId) -> Option<&Return> {
        self.parts.returns.iter().find(|r| r.id == id)
    }

    /// Units of a line in returns that are not declined.
    pub fn returned(&self, sku: &Sku, vendor_id: &VendorId) -> u32 {
        self.parts.returns.iter().filter(|r| r.status.holds_units()).map(|r| r.quantity_of(sku, vendor_id)).sum()
    }

    /// Only delivered units may come back, and each unit once: per line, at most the delivered
    /// units minus those already in returns that were not declined.
    pub fn request_return(&mut self, input: NewReturn, now: DateTime<Utc>) -> Result<ReturnId, DomainError> {
        if input.lines.is_empty() {
            return Err(DomainError::validation(&["lines"], "a return needs at least one line"));
        }
        if self.return_by_id(input.id).is_some() {
            return Err(DomainError::validation(&["id"], format!("return {} already exists", input.id)));
        }
        if self.parts.returns.len() >= MAX_RETURNS_PER_ORDER {
            return Err(DomainError::validation(
                &[],
                format!("an order holds at most {MAX_RETURNS_PER_ORDER} returns; declined ones count too"),
            ));
        }
        let mut lines: Vec<ReturnLine> = Vec::with_capacity(input.lines.len());
        for (i, pick) in input.lines.iter().enumerate() {
            let at = i.to_string();
            let line = self.picked_line(pick, &["lines", &at])?;
            let (sku, vendor_id, quantity) = (&line.sku, &line.vendor_id, pick.quantity);
            if lines.iter().any(|l| &l.sku == sku && &l.vendor_id == vendor_id) {
                return Err(DomainError::validation(
                    &["lines", &at],
                    format!("sku '{sku}' of vendor '{vendor_id}' appears twice in this return"),
                ));
            }
            let delivered = progress(line, &self.parts.shipments).delivered.min(u64::from(line.quantity));
            let returned = u64::from(self.returned(sku, vendor_id));
            let returnable = delivered.saturating_sub(returned);
            if (quantity as u64) > returnable {
                return Err(DomainError::validation(
                    &["lines", &at, "quantity"],
                    format!(
                        "only {returnable} unit(s) of sku '{sku}' may be returned ({delivered} delivered, {returned} \
                         already in returns); {quantity} requested"
                    ),
                ));
            }
            // returnable ≤ the line's quantity, itself a u32.
            lines.push(ReturnLine { sku: sku.clone(), vendor_id: vendor_id.clone(), quantity: quantity as u32 });
        }
        let reason = optional_text("reason", input.reason.as_deref(), MAX_COMMENT)?;
        self.parts.returns.push(Return {
            id: input.id,
            status: ReturnStatus::Requested,
            lines,
            reason: reason.clone(),
            decline_reason: None,
            refund: None,
            created_at: now,
            updated_at: now,
        });
        self.touch(now);
        self.record_return(EventType::ReturnRequested, input.id, now, EventData { reason, ..EventData::default() });
        Ok(input.id)
    }

    pub fn approve_return(&mut self, id: ReturnId, now: DateTime<Utc>) -> Result<(), DomainError> {
        self.return_mut(id)?.transition(ReturnStatus::Approved, now)?;
        self.touch(now);
        self.record_return(EventType::ReturnApproved, id, now, EventData::default());
        Ok(())
    }

    /// The declined units count as not returned again, so the customer may ask for them later.
    pub fn decline_return(
        &mut self,
        id: ReturnId,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let reason = optional_text("reason", reason, MAX_COMMENT)?;
        let ret = self.return_mut(id)?;
        ret.transition(ReturnStatus::Declined, now)?;
        ret.decline_reason = reason.clone();
        self.touch(now);
        self.record_return(EventType::ReturnDeclined, id, now, EventData { reason, ..EventData::default() });
        Ok(())
    }

    pub(crate) fn return_mut(&mut self, id: ReturnId) -> Result<&mut Return, DomainError> {
        let number = &self.parts.number;
        self.parts
            .returns
            .iter_mut()
            .find(|r| r.id == id)
            .ok_or_else(|| DomainError::validation(&["id"], format!("return {id} is not part of order {number}")))
    }

    pub(crate) fn record_return(&mut self, event_type: EventType, id: ReturnId, now: DateTime<Utc>, data: EventData) {
        let status = self.return_by_id(id).map(|r| r.status.as_str().to_owned());
        self.record(event_type, now, EventData { return_id: Some(id.to_string()), return_status: status, ..data });
    }
}
