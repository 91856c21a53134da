//! The background work of a serving process, each a loop around one application step: the
//! outbox relay and the outbound webhook dispatcher. Each loop wakes on its in-process signal
//! (a commit gave it work) or its poll interval (work from other instances), waits with a
//! capped backoff while a dependency is down, and ends when told to stop.

use std::{collections::HashMap, sync::Arc, time::Duration};

use application::{
    events::{Attempted, OutboxRelay, RELAY_BATCH, WebhookDispatcher},
    ports::StoreError,
};
use domain::TenantId;
use infrastructure::persistence::Signals;
use tokio::{sync::watch, task::JoinSet};

/// How often a worker looks for work nobody signalled (another instance's commits, retries
/// falling due).
const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Webhook attempts in flight in one process, all tenants together.
const MAX_ATTEMPTS_IN_FLIGHT: usize = 256;
/// On shutdown, attempts in flight get this long to finish; the rest are abandoned and their
/// leases let another instance (or the next start) attempt them again.
const ATTEMPT_DRAIN: Duration = Duration::from_secs(5);

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

/// Attempts due webhook deliveries until stopped: at most `per_tenant` of one tenant at once,
/// so one slow or dead endpoint holds only its own slots. Attempts that finished are stored
/// together, in one transaction, before the next claim.
pub async fn dispatch_loop(dispatcher: Arc<WebhookDispatcher>, signals: Arc<Signals>, mut stop: watch::Receiver<bool>) {
    let mut in_flight: HashMap<TenantId, usize> = HashMap::new();
    let mut attempts: JoinSet<(TenantId, Option<Attempted>)> = JoinSet::new();
    let mut finished: Vec<Attempted> = Vec::new();
    let mut backoff = Backoff::new();
    let mut failing = false;
    while !*stop.borrow() {
        let mut pause = None;
        let mut more = false;
        let stored = store_attempts(&dispatcher, &mut finished).await;
        let room = MAX_ATTEMPTS_IN_FLIGHT.saturating_sub(attempts.len());
        let claimed = match stored {
            // The database is down: claiming would fail too.
            Err(e) => Err(e),
            Ok(()) if room == 0 => Ok(Vec::new()),
            Ok(()) => {
                // Every tenant's attempts under way, not only those at the cap: a tenant with
                // 3 in flight has room for `per_tenant - 3` more, not for another `per_tenant`.
                let under_way: Vec<(TenantId, usize)> = in_flight.iter().map(|(t, n)| (t.clone(), *n)).collect();
                dispatcher.claim(&under_way, room).await
            }
        };
        match claimed {
            Ok(claimed) => {
                if failing {
                    tracing::info!("webhook dispatcher working again");
                    failing = false;
                }
                backoff.reset();
                more = room > 0 && claimed.len() == room.min(dispatcher.settings().batch);
                for delivery in claimed {
                    let tenant = delivery.tenant_id.clone();
                    *in_flight.entry(tenant.clone()).or_default() += 1;
                    let dispatcher = dispatcher.clone();
                    attempts.spawn(async move {
                        let id = delivery.id;
                        match dispatcher.attempt(delivery).await {
                            Ok(attempted) => (tenant, Some(attempted)),
                            Err(e) => {
                                // The lease runs out and the attempt is made again.
                                tracing::warn!(%tenant, delivery = %id, error = %e, "could not make a webhook attempt");
                                (tenant, None)
                            }
                        }
                    });
                }
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "webhook dispatcher cannot reach its store; retrying");
                    failing = true;
                }
                pause = Some(backoff.next());
            }
        }
        if more && pause.is_none() && attempts.len() < MAX_ATTEMPTS_IN_FLIGHT {
            continue;
        }
        let wait = pause.unwrap_or(POLL_INTERVAL);
        tokio::select! {
            () = stopped(&mut stop) => {},
            () = signals.deliveries.notified(), if pause.is_none() => {},
            Some(done) = attempts.join_next(), if !attempts.is_empty() && pause.is_none() => {
                collect(done, &mut in_flight, &mut finished);
                // Those that finished meanwhile are stored in the same transaction.
                while let Some(done) = attempts.try_join_next() {
                    collect(done, &mut in_flight, &mut finished);
                }
            },
            () = tokio::time::sleep(wait) => {},
        }
    }
    let drained = tokio::time::timeout(ATTEMPT_DRAIN, async {
        while let Some(done) = attempts.join_next().await {
            collect(done, &mut in_flight, &mut finished);
        }
    })
    .await;
    if drained.is_err() {
        tracing::info!(
            abandoned = attempts.len(),
            "webhook attempts still running at shutdown were abandoned; they will be retried"
        );
    }
    if let Err(e) = store_attempts(&dispatcher, &mut finished).await {
        tracing::warn!(error = %e, "webhook attempts made before shutdown were not stored; they will be retried");
    }
    tracing::debug!("webhook dispatcher stopped");
}

/// Stores the finished attempts; on failure keeps them for the next try (their deliveries stay
/// leased meanwhile, and once the lease runs out they are simply attempted again).
async fn store_attempts(dispatcher: &WebhookDispatcher, finished: &mut Vec<Attempted>) -> Result<(), StoreError> {
    if finished.is_empty() {
        return Ok(());
    }
    match dispatcher.record(finished).await {
        Ok(()) => {
            finished.clear();
            Ok(())
        }
        Err(e) => {
            tracing::debug!(count = finished.len(), error = %e, "webhook attempts not stored yet");
            Err(e)
        }
    }
}

fn collect(
    done: Result<(TenantId, Option<Attempted>), tokio::task::JoinError>,
    in_flight: &mut HashMap<TenantId, usize>,
    finished: &mut Vec<Attempted>,
) {
    if let Ok((tenant, attempted)) = done {
        release(in_flight, &tenant);
        finished.extend(attempted);
    }
}

fn release(in_flight: &mut HashMap<TenantId, usize>, tenant: &TenantId) {
    if let Some(n) = in_flight.get_mut(tenant) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            in_flight.remove(tenant);
        }
    }
}
