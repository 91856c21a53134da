//! An order as one vendor of a marketplace sees it: its own lines, and the shipments and
//! returns that hold them, narrowed to its own items. Pure projection for reads; commands always
//! run on the whole order.
//!
//! Money of other vendors stays out: `total()` of the view is the sum of the vendor's lines (its
//! subtotal), a shipment's `cost` or a return's `refund` is kept only when the shipment or
//! return holds nothing but the vendor's items (a mixed one's figures cover other vendors'
//! goods), and the books (balance, journal) are marked hidden (see [`Order::books_hidden`]).

use crate::{VendorId, order::Order};

impl Order {
    /// The order as `vendor` sees it, or `None` when it holds no line of `vendor`.
    pub fn for_vendor(&self, vendor: &VendorId) -> Option<Order> {
        let mut parts = self.parts.clone();
        parts.lines.retain(|l| &l.vendor_id == vendor);
        if parts.lines.is_empty() {
            return None;
        }
        parts.shipments.retain_mut(|shipment| {
            let before = shipment.items.len();
            shipment.items.retain(|i| &i.vendor_id == vendor);
            if shipment.items.len() != before {
                shipment.cost = None;
            }
            !shipment.items.is_empty()
        });
        parts.returns.retain_mut(|ret| {
            let before = ret.lines.len();
            ret.lines.retain(|l| &l.vendor_id == vendor);
            if ret.lines.len() != before {
                ret.refund = None;
            }
            !ret.lines.is_empty()
        });
        Some(Order { parts, events: Vec::new(), seen_by: Some(vendor.clone()) })
    }

    /// The vendor this is a view for (see [`Order::for_vendor`]); `None` for the whole order.
    pub fn seen_by(&self) -> Option<&VendorId> {
        self.seen_by.as_ref()
    }

    /// Whether the order's books (balance: total, paid, refunded, due) must not be shown: they
    /// are the whole order's, other vendors' lines included.
    pub fn books_hidden(&self) -> bool {
        self.seen_by.is_some()
    }

    /// Whether every line of the order is `vendor`'s: a command on the whole order (confirm,
    /// cancel, complete, review) affects only that vendor's goods.
    pub fn only_lines_of(&self, vendor: &VendorId) -> bool {
        self.parts.lines.iter().all(|l| &l.vendor_id == vendor)
    }

    /// Whether `vendor` has a line in the order.
    pub fn has_lines_of(&self, vendor: &VendorId) -> bool {
        self.parts.lines.iter().any(|l| &l.vendor_id == vendor)
    }
}
