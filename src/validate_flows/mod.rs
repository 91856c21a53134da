//! `tenant-oms validate-flows`: runs the business flows end to end against a live server, as a
//! client of its GraphQL API, and reports each as pass or fail (with the failing step and why).
//! Each flow works on orders of its own, so one failure leaves the others meaningful.

mod client;
mod flows;
mod refund;

use std::future::Future;

use serde_json::json;

pub use flows::Failure;

/// One flow's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowReport {
    pub flow: &'static str,
    pub failure: Option<Failure>,
}

impl FlowReport {
    /// `pass NAME` or `fail NAME at step 'STEP': WHY`.
    pub fn line(&self) -> String {
        match &self.failure {
            None => format!("pass {}", self.flow),
            Some(f) => format!("fail {} at step '{}': {}", self.flow, f.step, f.why),
        }
    }

    pub fn json(&self) -> String {
        let value = match &self.failure {
            None => json!({"flow": self.flow, "result": "pass"}),
            Some(f) => json!({"flow": self.flow, "result": "fail", "step": f.step, "error": f.why}),
        };
        value.to_string()
    }
}

/// Runs every flow in turn (they share the tenant's quota and rate, so not at once).
pub async fn run(url: &str, tenant: &str, token: &str) -> Result<Vec<FlowReport>, String> {
    let ctx = flows::Ctx {
        api: client::Api::new(url, tenant, token)?,
        run: uuid::Uuid::new_v4().simple().to_string()[..12].to_owned(),
    };
    let mut reports = Vec::new();
    reports.push(report("fulfilment", flows::fulfilment(&ctx)).await);
    reports.push(report("review_hold", flows::review_hold(&ctx)).await);
    reports.push(report("cancel_with_open_shipment", flows::cancel_with_open_shipment(&ctx)).await);
    reports.push(report("return_refund", flows::return_refund(&ctx)).await);
    reports.push(report("idempotent_replays", flows::idempotent_replays(&ctx)).await);
    reports.push(report("over_shipment_refused", flows::over_shipment_refused(&ctx)).await);
    Ok(reports)
}

async fn report(flow: &'static str, outcome: impl Future<Output = flows::Outcome>) -> FlowReport {
    FlowReport { flow, failure: outcome.await.err() }
}
