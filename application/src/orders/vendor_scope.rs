//! Vendor scope (issue 13): a caller whose token names a vendor (the IdP's `vendor_claim`) sees
//! only orders holding lines of that vendor, of them only those lines and the shipments and
//! returns that hold them (`Order::for_vendor`), and changes only what is its own. Callers
//! without the claim keep the whole view.
//!
//! Lists are narrowed by the store's query (`OrderFilter::vendor_id`), single reads and
//! command results here, so no resolver has to remember to filter. What a scoped caller may do:
//!
//! - create orders of its own lines only, and ship or return only its own lines (another
//!   vendor's line is VALIDATION_FAILED, nothing changed);
//! - act on a shipment or return only when every item is its own (else NOT_FOUND: it does not
//!   see it), and on an order only when it holds one of its lines (else NOT_FOUND);
//! - confirm, cancel, complete or review a whole order only when every line is its own
//!   (FORBIDDEN otherwise: the order is visible to it, but the change would move other
//!   vendors' goods);
//! - never read or change whole-tenant money, history or settings (see `session::authorize`),
//!   nor an order's event timeline (its events describe every vendor's lines and payments).

use domain::{VendorId, order::Order};

use crate::{
    AppError, ErrorCode, Permission, Principal,
    orders::target::{Located, Target},
};

/// The order as `vendor` (when there is one) may see it; `None` when it may not see it at all.
pub(crate) fn view(vendor: Option<&VendorId>, order: Order) -> Option<Order> {
    match vendor {
        None => Some(order),
        Some(vendor) => order.for_vendor(vendor),
    }
}

/// Commands on the whole order: with another vendor's lines in it, they would change those too.
const WHOLE_ORDER: &[Permission] =
    &[Permission::OrderConfirm, Permission::OrderCancel, Permission::OrderComplete, Permission::OrderReview];

/// Whether a command of `permission` by a caller scoped to `vendor` may change the order
/// `located` found. Checked on the locked order, before anything is applied.
pub(crate) fn may_change(
    order: &Order,
    located: &Located,
    permission: Permission,
    vendor: &VendorId,
) -> Result<(), AppError> {
    let own = |vendor_id: &VendorId| vendor_id == vendor;
    let visible = match located.target {
        Target::Order(_) => order.has_lines_of(vendor),
        Target::Shipment(id) => order.shipment(id).is_some_and(|s| s.items.iter().all(|i| own(&i.vendor_id))),
        Target::Return(id) => order.return_by_id(id).is_some_and(|r| r.lines.iter().all(|l| own(&l.vendor_id))),
    };
    if !visible {
        return Err(located.not_found());
    }
    if WHOLE_ORDER.contains(&permission) && !order.only_lines_of(vendor) {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            format!(
                "order {} holds other vendors' lines; only a caller not scoped to a vendor may {}",
                order.number(),
                permission.as_str()
            ),
        ));
    }
    Ok(())
}

/// An order found again by its idempotency key or externalRef must be one the caller sees: a
/// vendor cannot learn another vendor's order by replaying its reference.
pub(crate) fn may_replay(order: &Order, vendor: Option<&VendorId>) -> Result<(), AppError> {
    match vendor {
        Some(vendor) if !order.has_lines_of(vendor) => Err(AppError::new(
            ErrorCode::Conflict,
            "another order of this tenant holds this externalRef or idempotencyKey",
        )
        .with_field(&["externalRef"])),
        _ => Ok(()),
    }
}

/// Every line named in `field` (its vendor ids, in order) must be the scoped caller's own.
pub(crate) fn own_lines<'a>(
    vendor: Option<&VendorId>,
    vendor_ids: impl IntoIterator<Item = &'a str>,
    field: &str,
) -> Result<(), AppError> {
    let Some(vendor) = vendor else { return Ok(()) };
    for (i, vendor_id) in vendor_ids.into_iter().enumerate() {
        // Compared as the domain stores it (NFC); a malformed id is no vendor's.
        if VendorId::new(vendor_id).ok().as_ref() != Some(vendor) {
            return Err(AppError::validation(
                &[field, &i.to_string(), "vendorId"],
                format!("you act for vendor '{vendor}' and may only name its own lines"),
            ));
        }
    }
    Ok(())
}

/// An order's events describe every vendor's lines, shipments and payments: not for a caller
/// scoped to one vendor.
pub(crate) fn may_read_order_events(p: &Principal) -> Result<(), AppError> {
    match &p.vendor_id {
        None => Ok(()),
        Some(_) => Err(AppError::new(
            ErrorCode::Forbidden,
            "an order's events cover every vendor's lines; a caller scoped to one vendor may not read them",
        )),
    }
}
