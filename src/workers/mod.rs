//! The background work of a serving process, each a loop around one application step: the
//! outbox relay and the outbound webhook dispatcher. Each loop wakes on its in-process signal
//! (a commit gave it work) or its poll interval (work from other instances), waits with a
//! capped backoff while a dependency is down, and ends when told to stop.

mod dispatch;
mod pace;

use std::{sync::Arc, time::Duration};

use application::events::{OutboxRelay, RELAY_BATCH};
pub use dispatch::dispatch_loop;
use infrastructure::persistence::Signals;
use tokio::sync::watch;

/// How often a worker looks for work nobody signalled (another instance's commits, retries
/// falling due).
const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Waits that grow while a dependency stays down: 100 ms doubling to 30 s.
struct Backoff(Duration);

impl Backoff {
    const FIRST: Duration = Duration::from_millis(100);
    const MAX: Duration = Duration::from_secs(30);

    fn new() -> Self {
        Self(Self::FIRST)
    }

    fn next(&mut self) -> Duration {
        let wait = self.0;
        self.0 = (self.0 * 2).min(Self::MAX);
        wait
    }

    fn reset(&mut self) {
        self.0 = Self::FIRST;
    }
}

/// Resolves when `stop` says so (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// Publishes the outbox until stopped.
pub async fn relay_loop(relay: Arc<OutboxRelay>, signals: Arc<Signals>, mut stop: watch::Receiver<bool>) {
    let mut backoff = Backoff::new();
    let mut failing = false;
    while !*stop.borrow() {
        let wait = match relay.relay_once().await {
            Ok(published) => {
                metrics::counter!("oms_outbox_published_total").increment(published as u64);
                if failing {
                    tracing::info!("outbox relay publishing again");
                    failing = false;
                }
                backoff.reset();
                if published == RELAY_BATCH {
                    continue;
                }
                None
            }
            Err(e) => {
                // Once per outage, not once per retry.
                if !failing {
                    tracing::warn!(error = %e, "outbox relay cannot publish; events wait in the outbox and are retried");
                    failing = true;
                }
                Some(backoff.next())
            }
        };
        match wait {
            Some(pause) => tokio::select! {
                () = stopped(&mut stop) => {},
                () = tokio::time::sleep(pause) => {},
            },
            None => tokio::select! {
                () = stopped(&mut stop) => {},
                () = signals.outbox.notified() => {},
                () = tokio::time::sleep(POLL_INTERVAL) => {},
            },
        }
    }
    tracing::debug!("outbox relay stopped");
}
