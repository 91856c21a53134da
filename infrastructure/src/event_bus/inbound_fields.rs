//! The inbound `add_order` streams (SPEC.md section 6, "Inbound"): their names, and a message
//! as its entry's fields. The entry format is documented in `docs/events.md`.

use application::ports::StreamCommand;
use domain::TenantId;
use redis::streams::StreamId;

/// The consumer group every instance reads the inbound streams in: each message is taken by
/// one instance.
pub(super) const INBOUND_GROUP: &str = "tenant-oms";

/// The message's JSON, the add-order webhook's body.
const BODY: &str = "body";
/// The partner's message id, for dedupe; the entry id when absent.
const ID: &str = "id";

/// One tenant's `add_order` stream and its dead letters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TenantStream {
    pub tenant: TenantId,
    /// `oms:{tenantId}:add_order`.
    pub stream: String,
    /// `oms:{tenantId}:add_order:dead`, named like the event bus's dead letters.
    pub dead_letters: String,
}

impl TenantStream {
    pub(super) fn add_order(tenant: TenantId) -> TenantStream {
        let stream = format!("oms:{}:add_order", tenant.as_str());
        let dead_letters = format!("{stream}:dead");
        TenantStream { tenant, stream, dead_letters }
    }
}

/// The message an entry holds. Anything goes: the use case refuses what it cannot run (no
/// `body`, an unusable `id`), so that the refusal is audited like any other.
pub(super) fn command_from_entry(entry: &StreamId) -> StreamCommand {
    let bytes =
        |name: &str| entry.map.get(name).map(|value| redis::from_redis_value_ref::<Vec<u8>>(value).unwrap_or_default());
    StreamCommand {
        entry_id: entry.id.clone(),
        // Not UTF-8: shown with replacement characters, which still tells one id from another.
        message_id: bytes(ID).map(|id| String::from_utf8_lossy(&id).into_owned()),
        body: bytes(BODY),
    }
}

#[cfg(test)]
mod tests {
    use redis::Value;

    use super::*;

    fn entry_of(fields: &[(&str, &[u8])]) -> StreamId {
        StreamId {
            id: "5-1".to_owned(),
            map: fields.iter().map(|(k, v)| ((*k).to_owned(), Value::BulkString(v.to_vec()))).collect(),
            ..StreamId::default()
        }
    }

    #[test]
    fn streams_are_named_after_the_tenant() {
        let stream = TenantStream::add_order(TenantId::new("acme").expect("tenant"));
        assert_eq!(stream.stream, "oms:acme:add_order");
        assert_eq!(stream.dead_letters, "oms:acme:add_order:dead");
    }

    #[test]
    fn a_message_is_its_body_and_optional_id() {
        let command = command_from_entry(&entry_of(&[("body", b"{}".as_slice()), ("id", b"m-1".as_slice())]));
        assert_eq!((command.entry_id.as_str(), command.delivery_id()), ("5-1", "m-1"));
        assert_eq!(command.body.as_deref(), Some(&b"{}"[..]));

        let command = command_from_entry(&entry_of(&[("note", b"no body".as_slice())]));
        assert_eq!(command.delivery_id(), "5-1", "the entry id when there is no `id`");
        assert!(command.body.is_none());
    }
}
