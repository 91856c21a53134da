//! The text form of an order list's cursors. Callers hold it as an opaque string; inside it
//! names its sort, so a cursor of one sort given to a list of the other is refused by name
//! instead of silently starting at the wrong place.
//!
//! Form: URL-safe base64 (no padding) of `id:<uuid>` or `created:<seconds>.<nanoseconds>:<uuid>`.
//! The time keeps every digit the database holds, so the next page starts exactly after the
//! last order of this one even among orders created in the same second.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::DateTime;
use domain::OrderId;

use crate::{
    AppError,
    ports::{OrderCursor, OrderSort},
};

const ID: &str = "id:";
const CREATED: &str = "created:";

pub(crate) fn encode(cursor: &OrderCursor) -> String {
    let text = match cursor {
        OrderCursor::Id(id) => format!("{ID}{id}"),
        OrderCursor::Created { created_at, id } => {
            format!("{CREATED}{}.{:09}:{id}", created_at.timestamp(), created_at.timestamp_subsec_nanos())
        }
    };
    URL_SAFE_NO_PAD.encode(text)
}

/// The cursor `after` names, checked to belong to a list sorted by `sort`.
pub(crate) fn decode(after: &str, sort: OrderSort) -> Result<OrderCursor, AppError> {
    let cursor = parse(after).ok_or_else(|| AppError::validation(&["after"], "after is not a cursor of this list"))?;
    if cursor.sort() != sort {
        return Err(AppError::validation(
            &["after"],
            "after is a cursor of this list under another filter: a createdAfter or createdBefore filter sorts by \
             creation time, any other by id; ask for the first page again",
        ));
    }
    Ok(cursor)
}

fn parse(after: &str) -> Option<OrderCursor> {
    // Cursors handed out before they named their sort were the bare order id.
    if let Ok(id) = OrderId::parse(after) {
        return Some(OrderCursor::Id(id));
    }
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(after).ok()?).ok()?;
    if let Some(id) = text.strip_prefix(ID) {
        return OrderId::parse(id).ok().map(OrderCursor::Id);
    }
    let (time, id) = text.strip_prefix(CREATED)?.split_once(':')?;
    let (seconds, nanos) = time.split_once('.')?;
    if nanos.len() != 9 {
        return None;
    }
    let created_at = DateTime::from_timestamp(seconds.parse().ok()?, nanos.parse().ok()?)?;
    Some(OrderCursor::Created { created_at, id: OrderId::parse(id).ok()? })
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    use super::*;

    fn id() -> OrderId {
        OrderId::from_uuid(Uuid::now_v7())
    }

    #[test]
    fn cursors_read_back_as_written() {
        let at = Utc.with_ymd_and_hms(2025, 3, 1, 10, 0, 0).unwrap() + chrono::Duration::nanoseconds(123_456_789);
        let before_1970 = Utc.with_ymd_and_hms(1969, 7, 20, 20, 17, 40).unwrap() + chrono::Duration::microseconds(5);
        for (cursor, sort) in [
            (OrderCursor::Id(id()), OrderSort::Id),
            (OrderCursor::Created { created_at: at, id: id() }, OrderSort::Created),
            (OrderCursor::Created { created_at: before_1970, id: id() }, OrderSort::Created),
        ] {
            let text = encode(&cursor);
            assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{text}");
            assert_eq!(decode(&text, sort), Ok(cursor));
        }
    }

    #[test]
    fn a_bare_order_id_is_a_cursor_by_id() {
        let id = id();
        assert_eq!(decode(&id.to_string(), OrderSort::Id), Ok(OrderCursor::Id(id)));
    }

    #[test]
    fn a_cursor_of_the_other_sort_is_refused_by_name() {
        let by_id = encode(&OrderCursor::Id(id()));
        let by_created = encode(&OrderCursor::Created { created_at: Utc::now(), id: id() });
        for (text, sort) in [(by_id, OrderSort::Created), (by_created, OrderSort::Id)] {
            let err = decode(&text, sort).unwrap_err();
            assert!(format!("{err:?}").contains("another filter"), "{err:?}");
        }
    }

    #[test]
    fn malformed_cursors_are_refused() {
        let good_id = id();
        for text in [
            "zzz".to_owned(),
            String::new(),
            URL_SAFE_NO_PAD.encode("id:nope"),
            URL_SAFE_NO_PAD.encode(format!("created:12:{good_id}")),
            URL_SAFE_NO_PAD.encode(format!("created:12.5:{good_id}")),
            URL_SAFE_NO_PAD.encode(format!("created:x.000000000:{good_id}")),
            URL_SAFE_NO_PAD.encode("created:12.000000000:nope"),
            URL_SAFE_NO_PAD.encode(format!("other:{good_id}")),
        ] {
            let err = decode(&text, OrderSort::Created).unwrap_err();
            assert!(format!("{err:?}").contains("not a cursor"), "{text}: {err:?}");
        }
    }
}
