//! The one input shape shipments and returns share: some units of one order line.

use crate::{
    DomainError, Sku, VendorId,
    order::{Order, OrderLine},
};

/// So many units of the order line (sku, vendor), as the caller sent them, before validation:
/// a shipment's item or a return's line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinePick {
    pub sku: String,
    pub vendor_id: String,
    pub quantity: i64,
}

impl LinePick {
    pub fn new(sku: impl Into<String>, vendor_id: impl Into<String>, quantity: i64) -> Self {
        Self { sku: sku.into(), vendor_id: vendor_id.into(), quantity }
    }
}

impl Order {
    /// The order line `pick` names, once its sku, vendor and quantity are valid; errors point at
    /// `path` (e.g. `["items", "0"]`), so a shipment and a return report the same mistakes alike.
    /// The line's sku and vendor equal the pick's once normalised, so callers use the line's.
    /// What the pick may take from the line (left to ship, left to return) is the caller's rule.
    pub(crate) fn picked_line(&self, pick: &LinePick, path: &[&str]) -> Result<&OrderLine, DomainError> {
        let sku = Sku::new(&pick.sku).map_err(|e| e.at(&["sku"]).at(path))?;
        let vendor_id = VendorId::new(&pick.vendor_id).map_err(|e| e.at(&["vendorId"]).at(path))?;
        if pick.quantity <= 0 {
            return Err(DomainError::validation(&["quantity"], "quantity must be greater than 0").at(path));
        }
        self.parts.lines.iter().find(|l| l.sku == sku && l.vendor_id == vendor_id).ok_or_else(|| {
            DomainError::validation(
                path,
                format!("order {} has no line for sku '{sku}' and vendor '{vendor_id}'", self.parts.number),
            )
        })
    }
}
