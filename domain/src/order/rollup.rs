//! Order status derived from shipments, counted per unit of every line (never per whole line).

use crate::order::{OrderLine, OrderStatus, Shipment};

/// Units of one line in each stage of fulfilment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineProgress {
    pub ordered: u64,
    /// Units in shipments that are shipped, in transit or delivered.
    pub shipped: u64,
    pub delivered: u64,
}

pub fn progress(line: &OrderLine, shipments: &[Shipment]) -> LineProgress {
    let mut p = LineProgress { ordered: u64::from(line.quantity), ..LineProgress::default() };
    for s in shipments.iter().filter(|s| s.status.counts_as_shipped()) {
        let q = u64::from(s.quantity_of(&line.sku, &line.vendor_id));
        p.shipped += q;
        if s.status == crate::order::ShipmentStatus::Delivered {
            p.delivered += q;
        }
    }
    p
}

/// All units delivered → DELIVERED; all shipped or delivered → SHIPPED; some delivered →
/// PARTIALLY_DELIVERED; some shipped → PARTIALLY_SHIPPED; nothing shipped → CONFIRMED.
pub fn roll_up(lines: &[OrderLine], shipments: &[Shipment]) -> OrderStatus {
    let (mut ordered, mut shipped, mut delivered) = (0u64, 0u64, 0u64);
    let mut every_line_delivered = true;
    let mut every_line_shipped = true;
    for line in lines {
        let p = progress(line, shipments);
        ordered += p.ordered;
        shipped += p.shipped.min(p.ordered);
        delivered += p.delivered.min(p.ordered);
        every_line_delivered &= p.delivered >= p.ordered;
        every_line_shipped &= p.shipped >= p.ordered;
    }
    if ordered > 0 && every_line_delivered {
        OrderStatus::Delivered
    } else if ordered > 0 && every_line_shipped {
        OrderStatus::Shipped
    } else if delivered > 0 {
        OrderStatus::PartiallyDelivered
    } else if shipped > 0 {
        OrderStatus::PartiallyShipped
    } else {
        OrderStatus::Confirmed
    }
}
