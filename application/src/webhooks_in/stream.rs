//! The inbound `add_order` stream (SPEC.md section 6, "Inbound"): a message from a tenant's stream
//! runs the add-order webhook's very path (body → `CreateOrderInput` → createOrder, audited as
//! `webhook:add_order`) with one difference: no signature is checked. Whoever can write to the
//! tenant's stream is trusted by Redis's access control, which is the boundary here. The message
//! id (the partner's `id`, else the entry id) is the delivery id a replay is recognised by.

use async_trait::async_trait;
use domain::TenantId;

use crate::{
    AppError, ErrorCode,
    ports::{CommandRefusal, CommandTaken, DeliveryHeaders, StreamCommand, StreamCommands, Unverified},
    webhooks_in::intake::{Call, Delivery, FailureKind, WebhookAnswer, WebhookFailure, WebhookIntake, no_route},
};

/// A message id longer than this is refused: it is stored with the order's receipt and recorded
/// in the audit trail.
pub const MAX_MESSAGE_ID_CHARS: usize = 128;

/// Stream deliveries are remembered under keys of their own: an entry id means nothing to
/// the webhook route, and a webhook id nothing to the stream.
const STREAM_KEY_PREFIX: &str = "stream:";

impl WebhookIntake {
    /// One message of `tenant`'s `add_order` stream. Every refusal is recorded like a refused
    /// webhook (the command's own record when createOrder ran), with `via: redis_stream`.
    pub async fn add_order_message(
        &self,
        tenant: &TenantId,
        command: StreamCommand,
    ) -> Result<WebhookAnswer, WebhookFailure> {
        let message_id = command.delivery_id().to_owned();
        let mut call = Call::add_order(tenant.clone(), tenant.as_str());
        call.stream_message = Some(&message_id);
        let body = command.body.clone();
        let delivery = Delivery {
            headers: DeliveryHeaders::default(),
            body: body.clone().unwrap_or_default(),
            // The audit record of the message then names it.
            request_id: Some(message_id.chars().take(MAX_MESSAGE_ID_CHARS).collect()),
        };
        if body.is_none() {
            let failure = WebhookFailure {
                kind: FailureKind::Malformed,
                error: AppError::validation(&[], "the message has no `body` field"),
            };
            return Err(self.refused(&call, &delivery, failure).await);
        }
        if message_id.is_empty() || message_id.chars().count() > MAX_MESSAGE_ID_CHARS {
            let failure = WebhookFailure {
                kind: FailureKind::Malformed,
                error: AppError::validation(
                    &[],
                    format!("the message's `id` must be 1 to {MAX_MESSAGE_ID_CHARS} characters"),
                ),
            };
            return Err(self.refused(&call, &delivery, failure).await);
        }
        let key = format!("{STREAM_KEY_PREFIX}{message_id}");
        let verified = match self.webhooks.trusted(&call.owner, call.route, key, self.clock.now()) {
            Ok(verified) => verified,
            // The add-order webhook was removed since the stream was read.
            Err(Unverified::NotConfigured | Unverified::Refused(_)) => {
                return Err(self.refused(&call, &delivery, no_route()).await);
            }
        };
        let payload = self.read_json(&call, &delivery).await?;
        self.create_order(&call, tenant.clone(), &delivery, &verified, payload).await
    }
}

#[async_trait]
impl StreamCommands for WebhookIntake {
    fn add_order_tenants(&self) -> Vec<TenantId> {
        self.webhooks.tenants_with(crate::ports::InboundRoute::AddOrder)
    }

    async fn add_order(&self, tenant: &TenantId, command: StreamCommand) -> Result<CommandTaken, CommandRefusal> {
        match self.add_order_message(tenant, command).await {
            Ok(answer) => Ok(CommandTaken { result: answer.result, order_id: answer.order_id }),
            Err(failure) => Err(refusal(failure)),
        }
    }
}

/// A failure that another try may not meet (the store down, a race lost too often) is
/// transient; any other answer would be the same next time.
fn refusal(failure: WebhookFailure) -> CommandRefusal {
    match failure.error.code {
        ErrorCode::Internal | ErrorCode::Conflict => {
            CommandRefusal::Transient(format!("{}: {}", failure.error.code.as_str(), failure.error.message))
        }
        code => CommandRefusal::Permanent { code: code.as_str(), message: failure.error.message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_store_failures_and_lost_races_are_retried() {
        let failure = |code| WebhookFailure { kind: FailureKind::Refused, error: AppError::new(code, "why") };
        assert!(matches!(refusal(failure(ErrorCode::Internal)), CommandRefusal::Transient(_)));
        assert!(matches!(refusal(failure(ErrorCode::Conflict)), CommandRefusal::Transient(_)));
        for code in
            [ErrorCode::ValidationFailed, ErrorCode::LimitExceeded, ErrorCode::TenantSuspended, ErrorCode::NotFound]
        {
            assert_eq!(
                refusal(failure(code)),
                CommandRefusal::Permanent { code: code.as_str(), message: "why".to_owned() }
            );
        }
    }
}
