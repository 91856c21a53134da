//! Fixed windows of one minute counted in this process: what an instance falls back to once
//! Redis has been unreachable for longer than the fail-open period.

use std::{collections::HashMap, sync::Mutex};

use application::ports::RetryAfter;

#[derive(Default)]
pub(super) struct LocalWindows {
    /// key → (minute since the epoch, requests counted in it).
    windows: Mutex<HashMap<String, (u64, u64)>>,
}

impl LocalWindows {
    pub(super) fn admit(&self, key: &str, limit: u64, n: u64, now_secs: u64) -> Result<(), RetryAfter> {
        let minute = now_secs / 60;
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() > 1024 {
            windows.retain(|_, (m, _)| *m == minute);
        }
        let window = windows.entry(key.to_owned()).or_insert((minute, 0));
        if window.0 != minute {
            *window = (minute, 0);
        }
        if window.1.saturating_add(n) > limit {
            return Err(RetryAfter(60 - now_secs % 60));
        }
        window.1 += n;
        Ok(())
    }
}
