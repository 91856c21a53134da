//! Plan-aware introspection: a tenant sees only the operations its plan includes. Hiding is for
//! discovery only; calling a hidden operation still reaches the use case, which answers
//! PLAN_FORBIDDEN.

use application::{Permission, access::PermissionSet};
use async_graphql::Context;

/// The caller's plan, put into each request by the HTTP layer.
#[derive(Debug, Clone, Copy)]
pub struct PlanView(pub PermissionSet);

/// Without a plan in the request (schema export), everything is shown.
fn plan_has(ctx: &Context<'_>, p: Permission) -> bool {
    ctx.data_opt::<PlanView>().is_none_or(|plan| plan.0.contains(p))
}

macro_rules! visible_with {
    ($($name:ident => $perm:ident),* $(,)?) => {$(
        pub fn $name(ctx: &Context<'_>) -> bool {
            plan_has(ctx, Permission::$perm)
        }
    )*};
}

visible_with! {
    order_read => OrderRead,
    order_create => OrderCreate,
    order_confirm => OrderConfirm,
    order_cancel => OrderCancel,
    order_complete => OrderComplete,
    order_review => OrderReview,
    shipment_create => ShipmentCreate,
    shipment_confirm => ShipmentConfirm,
    shipment_dispatch => ShipmentDispatch,
    shipment_deliver => ShipmentDeliver,
    shipment_cancel => ShipmentCancel,
    payment_record => PaymentRecord,
    return_request => ReturnRequest,
    return_approve => ReturnApprove,
    refund_process => RefundProcess,
    ledger_read => LedgerRead,
    audit_read => AuditRead,
    config_read => ConfigRead,
    config_write => ConfigWrite,
    webhook_read => WebhookRead,
    webhook_manage => WebhookManage,
}

/// Provider operations are not shown to tenant users.
pub fn provider_only(ctx: &Context<'_>) -> bool {
    ctx.data_opt::<application::Principal>().is_none()
}
