use serde::{Deserialize, Serialize};

use crate::{DomainError, Money, Sku, VendorId, order::values::optional_text};

/// One ordered article; (sku, vendorId) identifies it within its order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLine {
    pub sku: Sku,
    pub name: String,
    pub vendor_id: VendorId,
    pub quantity: u32,
    pub unit_price: Money,
    pub weight_kg: Option<f64>,
}

/// A line as the caller sent it, before validation.
#[derive(Debug, Clone)]
pub struct NewOrderLine {
    pub sku: String,
    pub name: String,
    pub vendor_id: String,
    pub quantity: i64,
    pub unit_price: Money,
    pub weight_kg: Option<f64>,
}

impl OrderLine {
    pub fn new(input: NewOrderLine) -> Result<Self, DomainError> {
        let sku = Sku::new(&input.sku).map_err(|e| e.at(&["sku"]))?;
        let vendor_id = VendorId::new(&input.vendor_id).map_err(|e| e.at(&["vendorId"]))?;
        let name = optional_text("name", Some(&input.name), 300)?
            .ok_or_else(|| DomainError::validation(&["name"], "name must not be empty"))?;
        if input.quantity <= 0 {
            return Err(DomainError::validation(&["quantity"], "quantity must be greater than 0"));
        }
        let quantity = u32::try_from(input.quantity)
            .ok()
            .filter(|q| *q <= 1_000_000)
            .ok_or_else(|| DomainError::validation(&["quantity"], "quantity must be at most 1000000"))?;
        if input.unit_price.is_negative() {
            return Err(DomainError::validation(&["unitPrice", "amount"], "unitPrice must not be negative"));
        }
        if let Some(w) = input.weight_kg
            && !(w.is_finite() && (0.0..1_000_000.0).contains(&w))
        {
            return Err(DomainError::validation(&["weightKg"], "weightKg must be a non-negative number"));
        }
        Ok(Self { sku, name, vendor_id, quantity, unit_price: input.unit_price, weight_kg: input.weight_kg })
    }

    pub fn key(&self) -> (&Sku, &VendorId) {
        (&self.sku, &self.vendor_id)
    }

    pub fn total(&self) -> Result<Money, DomainError> {
        self.unit_price.checked_mul(self.quantity)
    }
}
