//! Event-type patterns of an outbound webhook: `order.created` (exact), `order.*` (a family),
//! `*` (everything). No patterns at all means every event.

pub fn matches_any(patterns: &[String], event_type: &str) -> bool {
    patterns.is_empty() || patterns.iter().any(|p| matches(p, event_type))
}

fn matches(pattern: &str, event_type: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => event_type.starts_with(prefix),
        None => pattern == event_type,
    }
}
