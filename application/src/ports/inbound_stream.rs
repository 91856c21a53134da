//! Inbound command streams (SPEC.md section 6, "Inbound"): a tenant's partner pushes `add_order`
//! commands onto a Redis stream of the tenant's own instead of calling the add-order webhook.
//! The adapter reads the streams and hands each message to [`StreamCommands`]; what the answer
//! says decides whether the message is acknowledged, retried or dead-lettered.

use async_trait::async_trait;
use domain::TenantId;

/// One message read from a tenant's `add_order` stream, as written there.
#[derive(Clone)]
pub struct StreamCommand {
    /// The stream entry's id (`<milliseconds>-<sequence>`).
    pub entry_id: String,
    /// The entry's `id` field: the partner's own message id. It names the message for dedupe
    /// instead of the entry id, so that a message pushed twice is still one command.
    pub message_id: Option<String>,
    /// The entry's `body` field: the add-order webhook's JSON body. `None` when it has none.
    pub body: Option<Vec<u8>>,
}

impl StreamCommand {
    /// The id a replay of this message is recognised by: the partner's, else the entry's.
    pub fn delivery_id(&self) -> &str {
        self.message_id.as_deref().unwrap_or(&self.entry_id)
    }
}

impl std::fmt::Debug for StreamCommand {
    /// The body is a customer's personal data: only its size is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamCommand")
            .field("entry_id", &self.entry_id)
            .field("message_id", &self.message_id)
            .field("body_bytes", &self.body.as_ref().map(Vec::len))
            .finish()
    }
}

/// A message that was taken: acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandTaken {
    /// `created`, `existing` (an order with the externalRef was already there) or `duplicate`
    /// (this message id was already processed).
    pub result: &'static str,
    pub order_id: String,
}

/// Why a message was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandRefusal {
    /// Might work later (the database unreachable, a race lost too often): the message stays
    /// pending and is retried; after the last retry it is dead-lettered.
    Transient(String),
    /// Can never work (not JSON, not a `CreateOrderInput`, refused by validation, the plan or
    /// the tenant's state, no add-order configured): dead-lettered at once.
    Permanent { code: &'static str, message: String },
}

impl CommandRefusal {
    /// For the dead-letter stream and the logs: `CODE: message`.
    pub fn reason(&self) -> String {
        match self {
            CommandRefusal::Transient(reason) => reason.clone(),
            CommandRefusal::Permanent { code, message } => format!("{code}: {message}"),
        }
    }
}

/// The use case behind the inbound streams.
#[async_trait]
pub trait StreamCommands: Send + Sync {
    /// The tenants whose `add_order` stream is read now: those whose add-order webhook is
    /// configured, sorted. Asked again and again, so that a config change takes effect.
    fn add_order_tenants(&self) -> Vec<TenantId>;

    /// Runs one message of `tenant`'s `add_order` stream.
    async fn add_order(&self, tenant: &TenantId, command: StreamCommand) -> Result<CommandTaken, CommandRefusal>;
}
