//! requestReturn, approveReturn, declineReturn: returns live in the Order aggregate like
//! shipments, so they change through the one order-changing path.

use chrono::{DateTime, Utc};
use domain::{
    DomainError, ReturnId,
    order::{NewReturn, Order, Return},
};

use serde::Serialize;

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
        self.decide_return(p, "approveReturn", &input, &input.id, input.expected_version, |o, id, now| {
            o.approve_return(id, now)
        })
        .await
    }

    pub async fn decline_return(&self, p: &Principal, input: DeclineReturn) -> Result<ReturnView, AppError> {
        let reason = input.reason.as_deref();
        self.decide_return(p, "declineReturn", &input, &input.id, input.expected_version, |o, id, now| {
            o.decline_return(id, reason, now)
        })
        .await
    }

    /// Approving and declining are the tenant's one decision on a return, so both need
    /// `return:approve`, and both change the order through the one order-changing path.
    async fn decide_return<F>(
        &self,
        p: &Principal,
        operation: &'static str,
        input: &impl Serialize,
        return_id: &str,
        expected_version: Option<i64>,
        decide: F,
    ) -> Result<ReturnView, AppError>
    where
        F: Fn(&mut Order, ReturnId, DateTime<Utc>) -> Result<(), DomainError> + Send + Sync,
    {
        let mut audit = AuditDraft::new(p, operation, input);
        audit.target(return_id);
        let result = async {
            let access = self.authorize(p, Permission::ReturnApprove).await?;
            let id = Target::return_id(return_id, "id")?;
            let order = self
                .change_order(&access, p, &mut audit, Target::Return(id).named_by("id"), expected_version, |o, now| {
                    decide(o, id, now)
                })
                .await?;
            Ok(ReturnView { order, return_id: id })
        }
        .await;
        self.settle(audit, result).await
    }
}
