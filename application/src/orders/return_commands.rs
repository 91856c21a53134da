//! requestReturn, approveReturn, declineReturn: returns live in the Order aggregate like
//! shipments, so they change through the one order-changing path.

use domain::{
    ReturnId,
    order::{NewReturn, Order, Return},
};

use crate::{
    AppError, Permission, Principal,
    audit_trail::AuditDraft,
    orders::{
        Orders,
        change::Target,
        commands::{DeclineReturn, RequestReturn, ReturnRef},
    },
};

/// A return together with the order it belongs to (its aggregate root).
#[derive(Debug, Clone)]
pub struct ReturnView {
    pub order: Order,
    pub return_id: ReturnId,
}

impl ReturnView {
    pub fn ret(&self) -> &Return {
        // The view is only ever built from an order that holds the return.
        self.order.return_by_id(self.return_id).expect("return view without its return")
    }
}

impl Orders {
    pub async fn request_return(&self, p: &Principal, input: RequestReturn) -> Result<ReturnView, AppError> {
        let mut audit = AuditDraft::new(p, "requestReturn", &input);
        audit.order(&input.order_id);
        let result = async {
            let access = self.authorize(p, Permission::ReturnRequest).await?;
            let target = Target::order_at(&input.order_id, "orderId")?;
            let return_id = ReturnId::from_uuid(self.ids.new_id());
            let request = NewReturn {
                id: return_id,
                lines: input.lines.iter().map(|l| (l.sku.clone(), l.vendor_id.clone(), l.quantity)).collect(),
                reason: input.reason.clone(),
            };
            let order = self
                .change_order(&access, p, &mut audit, target.named_by("orderId"), input.expected_version, |o, now| {
                    o.request_return(request.clone(), now).map(|_| ())
                })
                .await?;
            Ok(ReturnView { order, return_id })
        }
        .await;
        self.settle(audit, result).await
    }

    pub async fn approve_return(&self, p: &Principal, input: ReturnRef) -> Result<ReturnView, AppError> {
        let mut audit = AuditDraft::new(p, "approveReturn", &input);
        audit.target(&input.id);
        let result = async {
            let access = self.authorize(p, Permission::ReturnApprove).await?;
            let id = Target::return_id(&input.id, "id")?;
            let order = self
                .change_order(
                    &access,
                    p,
                    &mut audit,
                    Target::Return(id).named_by("id"),
                    input.expected_version,
                    |o, now| o.approve_return(id, now),
                )
                .await?;
            Ok(ReturnView { order, return_id: id })
        }
        .await;
        self.settle(audit, result).await
    }

    /// Declining needs the same permission as approving: both are the tenant's decision.
    pub async fn decline_return(&self, p: &Principal, input: DeclineReturn) -> Result<ReturnView, AppError> {
        let mut audit = AuditDraft::new(p, "declineReturn", &input);
        audit.target(&input.id);
        let result = async {
            let access = self.authorize(p, Permission::ReturnApprove).await?;
            let id = Target::return_id(&input.id, "id")?;
            let reason = input.reason.as_deref();
            let order = self
                .change_order(
                    &access,
                    p,
                    &mut audit,
                    Target::Return(id).named_by("id"),
                    input.expected_version,
                    |o, now| o.decline_return(id, reason, now),
                )
                .await?;
            Ok(ReturnView { order, return_id: id })
        }
        .await;
        self.settle(audit, result).await
    }
}
