//! confirmOrder, cancelOrder, completeOrder, escalateOrderReview, reviewOrder.

use domain::order::Order;

use crate::{
    AppError, Permission, Principal,
    audit_trail::AuditDraft,
    orders::{
        Orders,
        change::Target,
        commands::{CancelOrder, EscalateOrderReview, OrderRef, ReviewOrder},
    },
};

impl Orders {
    pub async fn confirm_order(&self, p: &Principal, input: OrderRef) -> Result<Order, AppError> {
        let mut audit = AuditDraft::new(p, "confirmOrder", &input);
        audit.order(&input.id);
        let result = async {
            let access = self.authorize(p, Permission::OrderConfirm).await?;
            let target = Target::order(&input.id)?;
            self.change_order(&access, p, &mut audit, target.named_by("id"), input.expected_version, |o, now| {
                o.confirm(now)
            })
            .await
        }
        .await;
        self.settle(audit, result).await
    }

    pub async fn cancel_order(&self, p: &Principal, input: CancelOrder) -> Result<Order, AppError> {
        let mut audit = AuditDraft::new(p, "cancelOrder", &input);
        audit.order(&input.id);
        let result = async {
            let access = self.authorize(p, Permission::OrderCancel).await?;
            let target = Target::order(&input.id)?;
            let reason = input.reason.as_deref();
            self.change_order(&access, p, &mut audit, target.named_by("id"), input.expected_version, |o, now| {
                o.cancel(reason, now)
            })
            .await
        }
        .await;
        self.settle(audit, result).await
    }

    /// Requires DELIVERED. The fully-paid condition joins here with the ledger.
    pub async fn complete_order(&self, p: &Principal, input: OrderRef) -> Result<Order, AppError> {
        let mut audit = AuditDraft::new(p, "completeOrder", &input);
        audit.order(&input.id);
        let result = async {
            let access = self.authorize(p, Permission::OrderComplete).await?;
            let target = Target::order(&input.id)?;
            self.change_order(&access, p, &mut audit, target.named_by("id"), input.expected_version, |o, now| {
                o.complete(now)
            })
            .await
        }
        .await;
        self.settle(audit, result).await
    }

    pub async fn escalate_order_review(&self, p: &Principal, input: EscalateOrderReview) -> Result<Order, AppError> {
        let mut audit = AuditDraft::new(p, "escalateOrderReview", &input);
        audit.order(&input.id);
        let result = async {
            let access = self.authorize(p, Permission::OrderReview).await?;
            let target = Target::order(&input.id)?;
            let (reviewer, comments) = (input.reviewer.as_str(), input.comments.as_deref());
            self.change_order(&access, p, &mut audit, target.named_by("id"), input.expected_version, |o, now| {
                o.escalate_review(reviewer, comments, &p.subject, now)
            })
            .await
        }
        .await;
        self.settle(audit, result).await
    }

    /// Only the named reviewer (matched on the token's `sub`) may decide.
    pub async fn review_order(&self, p: &Principal, input: ReviewOrder) -> Result<Order, AppError> {
        let mut audit = AuditDraft::new(p, "reviewOrder", &input);
        audit.order(&input.id);
        let result = async {
            let access = self.authorize(p, Permission::OrderReview).await?;
            let target = Target::order(&input.id)?;
            let comments = input.comments.as_deref();
            self.change_order(&access, p, &mut audit, target.named_by("id"), input.expected_version, |o, now| {
                o.decide_review(&p.subject, input.approved, comments, now)
            })
            .await
        }
        .await;
        self.settle(audit, result).await
    }
}
