//! An [`EventEnvelope`] as the fields of one stream entry, and back.

use application::ports::EventEnvelope;
use chrono::{DateTime, SecondsFormat, Utc};
use domain::TenantId;
use redis::streams::StreamId;
use uuid::Uuid;

const ID: &str = "id";
const TENANT: &str = "tenant";
const TYPE: &str = "type";
const AGGREGATE: &str = "aggregate";
const VERSION: &str = "version";
const AT: &str = "at";
const PAYLOAD: &str = "payload";

/// Field name and value pairs for `XADD`, routing fields first and the payload last.
pub(super) fn entry_fields(event: &EventEnvelope) -> [(&'static str, String); 7] {
    [
        (ID, event.id.to_string()),
        (TENANT, event.tenant_id.as_str().to_owned()),
        (TYPE, event.event_type.clone()),
        (AGGREGATE, event.aggregate_id.clone()),
        (VERSION, event.aggregate_version.to_string()),
        // Full precision and `Z`, so the instant reads back unchanged.
        (AT, event.occurred_at.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        (PAYLOAD, event.payload.clone()),
    ]
}

/// A stream entry that is not an event this bus wrote: it goes to the dead-letter stream.
#[derive(Debug, thiserror::Error)]
#[error("malformed entry {entry_id}: {problem}")]
pub(super) struct MalformedEntry {
    pub entry_id: String,
    pub problem: String,
}

pub(super) fn envelope_from_entry(entry: &StreamId) -> Result<EventEnvelope, MalformedEntry> {
    let malformed = |problem: String| MalformedEntry { entry_id: entry.id.clone(), problem };
    let text = |name: &str| -> Result<String, MalformedEntry> {
        let value = entry.map.get(name).ok_or_else(|| malformed(format!("no `{name}` field")))?;
        redis::from_redis_value_ref::<String>(value).map_err(|_| malformed(format!("`{name}` is not UTF-8 text")))
    };
    Ok(EventEnvelope {
        id: Uuid::parse_str(&text(ID)?).map_err(|e| malformed(format!("`{ID}`: {e}")))?,
        tenant_id: TenantId::new(text(TENANT)?).map_err(|e| malformed(format!("`{TENANT}`: {e}")))?,
        event_type: text(TYPE)?,
        aggregate_id: text(AGGREGATE)?,
        aggregate_version: text(VERSION)?.parse().map_err(|e| malformed(format!("`{VERSION}`: {e}")))?,
        occurred_at: DateTime::parse_from_rfc3339(&text(AT)?)
            .map_err(|e| malformed(format!("`{AT}`: {e}")))?
            .with_timezone(&Utc),
        payload: text(PAYLOAD)?,
    })
}

#[cfg(test)]
mod tests {
    use redis::Value;

    use super::*;

    fn entry_of(fields: &[(&str, String)]) -> StreamId {
        StreamId {
            id: "1-0".to_owned(),
            map: fields.iter().map(|(k, v)| ((*k).to_owned(), Value::BulkString(v.clone().into_bytes()))).collect(),
            ..StreamId::default()
        }
    }

    fn sample() -> EventEnvelope {
        EventEnvelope {
            id: Uuid::now_v7(),
            tenant_id: TenantId::new("acme").expect("tenant"),
            event_type: "OrderPlaced".to_owned(),
            aggregate_id: "order-1".to_owned(),
            aggregate_version: 3,
            occurred_at: DateTime::parse_from_rfc3339("2025-01-02T03:04:05.123456789Z").expect("time").to_utc(),
            payload: r#"{"data":{}}"#.to_owned(),
        }
    }

    #[test]
    fn an_envelope_reads_back_unchanged() {
        let event = sample();
        assert_eq!(envelope_from_entry(&entry_of(&entry_fields(&event))).expect("parses"), event);
    }

    #[test]
    fn a_missing_or_bad_field_is_named() {
        let mut fields = entry_fields(&sample()).to_vec();
        fields.retain(|(name, _)| *name != TENANT);
        let error = envelope_from_entry(&entry_of(&fields)).expect_err("no tenant");
        assert!(error.problem.contains("`tenant`"), "{error}");

        let mut fields = entry_fields(&sample()).to_vec();
        fields[4].1 = "three".to_owned();
        let error = envelope_from_entry(&entry_of(&fields)).expect_err("bad version");
        assert!(error.problem.contains("`version`"), "{error}");
    }
}
