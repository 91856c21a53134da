//! Relay paging arguments shared by every list.

use uuid::Uuid;

use crate::AppError;

/// Largest page a caller may ask for (Relay `first`).
pub const MAX_PAGE: u64 = 100;
pub const DEFAULT_PAGE: u64 = 20;

pub(crate) fn page_size(first: Option<i64>) -> Result<u64, AppError> {
    match first {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (0..=MAX_PAGE as i64).contains(&n) => Ok(n as u64),
        Some(_) => Err(AppError::validation(&["first"], format!("first must be between 0 and {MAX_PAGE}"))),
    }
}

/// Cursors are the id of the last item seen.
pub(crate) fn cursor(after: Option<&str>) -> Result<Option<Uuid>, AppError> {
    after
        .map(|c| Uuid::parse_str(c).map_err(|_| AppError::validation(&["after"], "after is not a cursor of this list")))
        .transpose()
}
