//! confirmOrder, cancelOrder, completeOrder, escalateOrderReview, reviewOrder.

use domain::order::Order;

use crate::{
    AppError, Permission, Principal,
    orders::{
        Orders,
        change::Target,
        commands::{CancelOrder, EscalateOrderReview, OrderRef, ReviewOrder},
    },
};

impl Orders {
    pub async fn confirm_order(&self, p: &Principal, input: OrderRef) -> Result<Order, AppError> {
        let access = self.authorize(p, Permission::OrderConfirm).await?;
        self.change_order(&access, p, Target::order(&input.id)?, input.expected_version, |o, now| o.confirm(now)).await
    }

    pub async fn cancel_order(&self, p: &Principal, input: CancelOrder) -> Result<Order, AppError> {
        let access = self.authorize(p, Permission::OrderCancel).await?;
        let reason = input.reason.as_deref();
        self.change_order(&access, p, Target::order(&input.id)?, input.expected_version, |o, now| o.cancel(reason, now))
            .await
    }

    /// Requires DELIVERED. The fully-paid condition joins here with the ledger.
    pub async fn complete_order(&self, p: &Principal, input: OrderRef) -> Result<Order, AppError> {
        let access = self.authorize(p, Permission::OrderComplete).await?;
        self.change_order(&access, p, Target::order(&input.id)?, input.expected_version, |o, now| o.complete(now)).await
    }

    pub async fn escalate_order_review(&self, p: &Principal, input: EscalateOrderReview) -> Result<Order, AppError> {
        let access = self.authorize(p, Permission::OrderReview).await?;
        let (reviewer, comments) = (input.reviewer.as_str(), input.comments.as_deref());
        self.change_order(&access, p, Target::order(&input.id)?, input.expected_version, |o, now| {
            o.escalate_review(reviewer, comments, &p.subject, now)
        })
        .await
    }

    /// Only the named reviewer (matched on the token's `sub`) may decide.
    pub async fn review_order(&self, p: &Principal, input: ReviewOrder) -> Result<Order, AppError> {
        let access = self.authorize(p, Permission::OrderReview).await?;
        let comments = input.comments.as_deref();
        self.change_order(&access, p, Target::order(&input.id)?, input.expected_version, |o, now| {
            o.decide_review(&p.subject, input.approved, comments, now)
        })
        .await
    }
}
