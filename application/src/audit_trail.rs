//! Exactly one audit record per state-changing call. A successful change writes its record in
//! its own transaction (`mark_written`); anything else — a refusal, a failure, an idempotent
//! replay — is settled afterwards as a standalone record carrying the outcome.

use std::borrow::Cow;

use domain::TenantId;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{
    AppError, Caller, Principal, ProviderAdmin,
    ports::{AuditLog, AuditRecord, Clock, ConfigEdit, IdGenerator, OUTCOME_OK},
};

/// Ids are recorded as named; an absurdly long one is cut so the trail stays readable.
const MAX_ID_LEN: usize = 128;

pub(crate) struct AuditDraft {
    /// `None`: the platform's own trail (a provider operation on no single tenant).
    tenant_id: Option<TenantId>,
    actor: String,
    action: Cow<'static, str>,
    request_id: Option<String>,
    input: Value,
    order_id: Option<String>,
    target_ids: Vec<String>,
    written: bool,
}

fn bounded(id: &str) -> String {
    id.chars().take(MAX_ID_LEN).collect()
}

/// The most of a call's input a record keeps, as serialized JSON. One request may carry a large
/// input (or the same large variable reused by several mutations): without a bound every refused
/// call would store all of it, and a client could grow the database far faster than it sends.
pub const MAX_RECORDED_INPUT_BYTES: usize = 4 * 1024;

/// The input as recorded: itself when small, else a cut-off preview with the full input's size
/// and SHA-256, so that a record can still be matched with the request that caused it.
fn bounded_input(input: Value) -> Value {
    let serialized = input.to_string();
    if serialized.len() <= MAX_RECORDED_INPUT_BYTES {
        return input;
    }
    let mut cut = MAX_RECORDED_INPUT_BYTES;
    while !serialized.is_char_boundary(cut) {
        cut -= 1;
    }
    serde_json::json!({
        "truncated": true,
        "size": serialized.len(),
        "sha256": hex::encode(Sha256::digest(serialized.as_bytes())),
        "preview": &serialized[..cut],
    })
}

impl AuditDraft {
    /// `input` must already be free of secrets.
    pub(crate) fn new(p: &Principal, action: &'static str, input: &impl Serialize) -> Self {
        Self {
            tenant_id: Some(p.tenant_id.clone()),
            actor: p.subject.clone(),
            action: Cow::Borrowed(action),
            request_id: p.request_id.clone(),
            input: bounded_input(serde_json::to_value(input).unwrap_or(Value::Null)),
            order_id: None,
            target_ids: Vec::new(),
            written: false,
        }
    }

    /// A provider administrator's call, on `tenant`'s trail or (`None`) the platform's own.
    /// `input` must already be free of secrets.
    pub(crate) fn provider(
        admin: &ProviderAdmin,
        tenant: Option<TenantId>,
        action: &'static str,
        input: &impl Serialize,
    ) -> Self {
        Self {
            tenant_id: tenant,
            actor: admin.subject.clone(),
            action: Cow::Borrowed(action),
            request_id: admin.request_id.clone(),
            input: bounded_input(serde_json::to_value(input).unwrap_or(Value::Null)),
            order_id: None,
            target_ids: Vec::new(),
            written: false,
        }
    }

    /// A call refused before its use case ran, named by the field it called: its input was never
    /// read (it may hold secrets meant for an operation that did not run), so none is recorded.
    pub(crate) fn for_caller(caller: &Caller, action: String) -> Self {
        let (tenant_id, actor, request_id) = match caller {
            Caller::Tenant(p) => (Some(p.tenant_id.clone()), p.subject.clone(), p.request_id.clone()),
            Caller::Provider(a) => (None, a.subject.clone(), a.request_id.clone()),
        };
        Self {
            tenant_id,
            actor,
            action: Cow::Owned(action),
            request_id,
            input: Value::Null,
            order_id: None,
            target_ids: Vec::new(),
            written: false,
        }
    }

    /// The record to commit with the change; `mark_written` once it has committed.
    pub(crate) fn ok_record(&self, clock: &dyn Clock, ids: &dyn IdGenerator) -> AuditRecord {
        self.record(OUTCOME_OK, clock, ids)
    }

    pub(crate) fn target(&mut self, id: impl ToString) {
        let id = bounded(&id.to_string());
        if !self.target_ids.contains(&id) {
            self.target_ids.push(id);
        }
    }

    /// The order the call concerns (also a target).
    pub(crate) fn order(&mut self, id: impl ToString) {
        let id = bounded(&id.to_string());
        self.target(&id);
        self.order_id = Some(id);
    }

    pub(crate) fn record(&self, outcome: &str, clock: &dyn Clock, ids: &dyn IdGenerator) -> AuditRecord {
        AuditRecord {
            id: ids.new_id(),
            tenant_id: self.tenant_id.clone(),
            actor: self.actor.clone(),
            action: self.action.clone().into_owned(),
            order_id: self.order_id.clone(),
            target_ids: self.target_ids.clone(),
            input: self.input.clone(),
            outcome: outcome.to_owned(),
            request_id: self.request_id.clone(),
            occurred_at: clock.now(),
        }
    }

    /// The record as it reads once `order` is named on the draft, the draft itself unchanged.
    pub(crate) fn record_naming(
        &self,
        order: impl ToString,
        outcome: &str,
        clock: &dyn Clock,
        ids: &dyn IdGenerator,
    ) -> AuditRecord {
        let mut record = self.record(outcome, clock, ids);
        let id = bounded(&order.to_string());
        if !record.target_ids.contains(&id) {
            record.target_ids.push(id.clone());
        }
        record.order_id = Some(id);
        record
    }

    /// The record was committed with the change.
    pub(crate) fn mark_written(&mut self) {
        self.written = true;
    }
}

/// Writes the standalone record when the change did not carry one. A failure to write it is
/// logged, not returned: the caller's answer must not depend on the trail.
pub(crate) async fn settle<T>(
    log: &dyn AuditLog,
    clock: &dyn Clock,
    ids: &dyn IdGenerator,
    draft: AuditDraft,
    result: Result<T, AppError>,
) -> Result<T, AppError> {
    if draft.written {
        return result;
    }
    let outcome = match &result {
        Ok(_) => OUTCOME_OK,
        Err(e) => e.code.as_str(),
    };
    if let Err(e) = log.record(&draft.record(outcome, clock, ids)).await {
        tracing::error!(error = %e, action = %draft.action, "could not write the audit record");
    }
    result
}

/// A configuration change and its one audit record: `authorized` refuses it before anything is
/// read; otherwise `change` gets the record to commit with the change, changed by the draft's
/// actor. A refusal or failure is recorded on its own, like any other call's.
pub(crate) async fn audited_config_edit<T, Fut>(
    log: &dyn AuditLog,
    clock: &dyn Clock,
    ids: &dyn IdGenerator,
    mut draft: AuditDraft,
    authorized: Result<(), AppError>,
    change: impl FnOnce(ConfigEdit) -> Fut,
) -> Result<T, AppError>
where
    Fut: Future<Output = Result<T, AppError>>,
{
    let result = match authorized {
        Ok(()) => {
            let edit = ConfigEdit { changed_by: draft.actor.clone(), audit: draft.ok_record(clock, ids) };
            let result = change(edit).await;
            if result.is_ok() {
                draft.mark_written();
            }
            result
        }
        Err(e) => Err(e),
    };
    settle(log, clock, ids, draft, result).await
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn small_inputs_are_recorded_whole() {
        let input = json!({"id": "ord-1", "reason": "customer asked"});
        assert_eq!(bounded_input(input.clone()), input);
    }

    #[test]
    fn large_inputs_keep_a_preview_with_their_size_and_hash() {
        let input = json!({"name": "\u{e9}".repeat(30_000)});
        let full = input.to_string();
        let recorded = bounded_input(input);
        assert_eq!(recorded["truncated"], true);
        assert_eq!(recorded["size"], full.len());
        assert_eq!(recorded["sha256"], hex::encode(Sha256::digest(full.as_bytes())));
        let preview = recorded["preview"].as_str().unwrap();
        assert!(preview.len() <= MAX_RECORDED_INPUT_BYTES && full.starts_with(preview));
        assert!(recorded.to_string().len() < 2 * MAX_RECORDED_INPUT_BYTES);
    }
}
