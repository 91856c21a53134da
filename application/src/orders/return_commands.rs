//! requestReturn, approveReturn, declineReturn: returns live in the Order aggregate like
//! shipments, so they change through the one order-command runner.

use chrono::{DateTime, Utc};
use domain::{
    DomainError, ReturnId,
    order::{LinePick, NewReturn, Order, Return},
};

use serde::Serialize;

use crate::{
    AppError, Permission, Principal,
    orders::{
        Orders,
        commands::{DeclineReturn, RequestReturn, ReturnRef},
        runner::{Change, Command},
        target::Target,
        vendor_scope,
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
        let command = Command {
            action: "requestReturn",
            permission: Permission::ReturnRequest,
            input: &input,
            names_order: Some(&input.order_id),
            names: None,
        };
        let return_id = ReturnId::from_uuid(self.ids.new_id());
        let outcome = self
            .run(p, command, |authorized| {
                let target = Target::order_at(&input.order_id, "orderId")?;
                vendor_scope::own_lines(
                    authorized.vendor(),
                    input.lines.iter().map(|l| l.vendor_id.as_str()),
                    "lines",
                )?;
                let request = NewReturn {
                    id: return_id,
                    lines: input.lines.iter().map(|l| LinePick::new(&l.sku, &l.vendor_id, l.quantity)).collect(),
                    reason: input.reason.clone(),
                };
                Ok(Change::of_order(target, input.expected_version, move |o, cx| {
                    Ok(o.request_return(request.clone(), cx.now).map(|_| ())?)
                }))
            })
            .await?;
        Ok(ReturnView { order: outcome.value.0, return_id })
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
    /// `return:approve`.
    async fn decide_return<F>(
        &self,
        p: &Principal,
        action: &'static str,
        input: &impl Serialize,
        return_id: &str,
        expected_version: Option<i64>,
        decide: F,
    ) -> Result<ReturnView, AppError>
    where
        F: Fn(&mut Order, ReturnId, DateTime<Utc>) -> Result<(), DomainError> + Send + Sync,
    {
        let command =
            Command { action, permission: Permission::ReturnApprove, input, names_order: None, names: Some(return_id) };
        let id = Target::return_id(return_id, "id");
        let outcome = self
            .run(p, command, |_| {
                let id = id.clone()?;
                Ok(Change::of_order(Target::Return(id).named_by("id"), expected_version, move |o, cx| {
                    Ok(decide(o, id, cx.now)?)
                }))
            })
            .await?;
        Ok(ReturnView { order: outcome.value.0, return_id: id? })
    }
}
