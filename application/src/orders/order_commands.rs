//! confirmOrder, cancelOrder, completeOrder, escalateOrderReview, reviewOrder.

use domain::order::Order;

use crate::{
    AppError, Permission, Principal,
    orders::{
        Orders,
        commands::{CancelOrder, EscalateOrderReview, OrderRef, ReviewOrder},
        runner::{Change, Command},
        target::Target,
    },
};

impl Orders {
    pub async fn confirm_order(&self, p: &Principal, input: OrderRef) -> Result<Order, AppError> {
        let command = order_command("confirmOrder", Permission::OrderConfirm, &input, &input.id);
        self.change_order(p, command, &input.id, input.expected_version, |o, cx| Ok(o.confirm(cx.now)?)).await
    }

    pub async fn cancel_order(&self, p: &Principal, input: CancelOrder) -> Result<Order, AppError> {
        let command = order_command("cancelOrder", Permission::OrderCancel, &input, &input.id);
        let reason = input.reason.as_deref();
        self.change_order(p, command, &input.id, input.expected_version, |o, cx| Ok(o.cancel(reason, cx.now)?)).await
    }

    /// Requires DELIVERED and nothing due.
    pub async fn complete_order(&self, p: &Principal, input: OrderRef) -> Result<Order, AppError> {
        let command = order_command("completeOrder", Permission::OrderComplete, &input, &input.id);
        self.change_order(p, command, &input.id, input.expected_version, |o, cx| Ok(o.complete(cx.now)?)).await
    }

    pub async fn escalate_order_review(&self, p: &Principal, input: EscalateOrderReview) -> Result<Order, AppError> {
        let command = order_command("escalateOrderReview", Permission::OrderReview, &input, &input.id);
        let (reviewer, comments) = (input.reviewer.as_str(), input.comments.as_deref());
        self.change_order(p, command, &input.id, input.expected_version, |o, cx| {
            Ok(o.escalate_review(reviewer, comments, &p.subject, cx.now)?)
        })
        .await
    }

    /// Only the named reviewer (matched on the token's `sub`) may decide.
    pub async fn review_order(&self, p: &Principal, input: ReviewOrder) -> Result<Order, AppError> {
        let command = order_command("reviewOrder", Permission::OrderReview, &input, &input.id);
        let comments = input.comments.as_deref();
        self.change_order(p, command, &input.id, input.expected_version, |o, cx| {
            Ok(o.decide_review(&p.subject, input.approved, comments, cx.now)?)
        })
        .await
    }

    /// A command on the order named by the input's `id`, whose result is the order.
    async fn change_order<I: serde::Serialize>(
        &self,
        p: &Principal,
        command: Command<'_, I>,
        id: &str,
        expected_version: Option<i64>,
        step: impl FnMut(&mut Order, &super::runner::StepContext<'_>) -> Result<(), AppError> + Send,
    ) -> Result<Order, AppError> {
        let outcome =
            self.run(p, command, |_| Ok(Change::of_order(Target::order_at(id, "id")?, expected_version, step))).await?;
        Ok(outcome.value.0)
    }
}

fn order_command<'a, I: serde::Serialize>(
    action: &'static str,
    permission: Permission,
    input: &'a I,
    order_id: &'a str,
) -> Command<'a, I> {
    Command { action, permission, input, names_order: Some(order_id), names: None }
}
