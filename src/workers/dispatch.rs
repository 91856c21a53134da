//! The outbound webhook dispatcher's loop: claims due deliveries, attempts them with at most
//! `per_tenant` of one tenant at once, and stores what finished in one transaction per round.
//!
//! It claims ahead: besides the attempts under way it holds claimed deliveries of each tenant,
//! which start the moment a slot frees. So the store round trips of a round (on SQLite two
//! waits for the one writer, behind the order commits) overlap with sending instead of standing
//! between one wave of attempts and the next, and one round carries many deliveries of a fast
//! endpoint. How deep each tenant is claimed follows its endpoint's pace (`pace`); a claimed
//! delivery not started within `start_within` is left to its lease (claimed again after it).

use std::{
    collections::{HashMap, VecDeque},
    sync::Arc,
    time::{Duration, Instant},
};

use application::{
    events::{Attempted, WebhookDispatcher},
    ports::{DeliveryNext, DueDelivery, StoreError},
};
use domain::TenantId;
use infrastructure::persistence::Signals;
use tokio::{sync::watch, task::JoinSet};

use super::{Backoff, POLL_INTERVAL, pace::Pace, stopped};

/// Webhook attempts in flight in one process, all tenants together.
const MAX_ATTEMPTS_IN_FLIGHT: usize = 256;
/// Claimed deliveries waiting for a slot in one process, all tenants together.
const MAX_WAITING: usize = 1024;
/// On shutdown, attempts in flight get this long to finish; the rest are abandoned and their
/// leases let another instance (or the next start) attempt them again.
const ATTEMPT_DRAIN: Duration = Duration::from_secs(5);

type Attempts = JoinSet<(TenantId, Option<Attempted>)>;

/// What this process holds of each tenant: attempts under way and claimed deliveries waiting
/// (with when they were claimed), and the pace of each tenant's endpoint.
#[derive(Default)]
struct Held {
    running: HashMap<TenantId, usize>,
    waiting: HashMap<TenantId, VecDeque<(Instant, DueDelivery)>>,
    waiting_total: usize,
    pace: Pace,
}

impl Held {
    /// Per tenant, what the next claim counts as held: what it holds in all, plus the part of
    /// the claim depth its pace does not earn it (the claim gives every tenant the same cap).
    fn for_claim(&self, dispatcher: &WebhookDispatcher) -> Vec<(TenantId, usize)> {
        let s = dispatcher.settings();
        let mut held: HashMap<&TenantId, usize> = self.running.iter().map(|(t, n)| (t, *n)).collect();
        for (tenant, waiting) in &self.waiting {
            *held.entry(tenant).or_default() += waiting.len();
        }
        for tenant in self.pace.tenants() {
            held.entry(tenant).or_default();
        }
        held.into_iter()
            .map(|(tenant, n)| {
                let ahead = self.pace.ahead(tenant, s.per_tenant, s.max_ahead, s.start_within());
                (tenant.clone(), n + (s.max_ahead - ahead))
            })
            .collect()
    }

    fn wait(&mut self, delivery: DueDelivery) {
        self.waiting.entry(delivery.tenant_id.clone()).or_default().push_back((Instant::now(), delivery));
        self.waiting_total += 1;
    }

    /// Starts waiting deliveries while their tenant has a free slot and the process has room.
    /// One claimed too long ago is dropped: its lease may run out during its attempt, so it is
    /// left to run out, and the delivery is claimed again after it.
    fn start(&mut self, dispatcher: &Arc<WebhookDispatcher>, attempts: &mut Attempts) {
        let s = dispatcher.settings();
        let mut dropped = 0;
        for (tenant, waiting) in &mut self.waiting {
            let running = self.running.entry(tenant.clone()).or_default();
            while *running < s.per_tenant && attempts.len() < MAX_ATTEMPTS_IN_FLIGHT {
                let Some((claimed, delivery)) = waiting.pop_front() else { break };
                self.waiting_total -= 1;
                if claimed.elapsed() > s.start_within() {
                    dropped += 1;
                    continue;
                }
                *running += 1;
                spawn_attempt(dispatcher, attempts, delivery);
            }
        }
        if dropped > 0 {
            tracing::debug!(dropped, "claimed webhook deliveries waited too long to start; left to their leases");
        }
        self.waiting.retain(|_, waiting| !waiting.is_empty());
        self.running.retain(|_, running| *running > 0);
    }

    /// An attempt ended (made or not): its slot is free.
    fn finished(&mut self, tenant: &TenantId) {
        if let Some(n) = self.running.get_mut(tenant) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.running.remove(tenant);
            }
        }
    }
}

fn spawn_attempt(dispatcher: &Arc<WebhookDispatcher>, attempts: &mut Attempts, delivery: DueDelivery) {
    let dispatcher = dispatcher.clone();
    attempts.spawn(async move {
        let tenant = delivery.tenant_id.clone();
        let id = delivery.id;
        match dispatcher.attempt(delivery).await {
            Ok(attempted) => (tenant, Some(attempted)),
            Err(e) => {
                // The lease runs out and the attempt is made again.
                tracing::warn!(%tenant, delivery = %id, error = %e, "could not make a webhook attempt");
                metrics::counter!("oms_webhook_deliveries_total", "outcome" => "not_made").increment(1);
                (tenant, None)
            }
        }
    });
}

/// Attempts due webhook deliveries until stopped: at most `per_tenant` of one tenant at once,
/// so one slow or dead endpoint holds only its own slots. Attempts that finished are stored
/// together, in one transaction, before the next claim.
pub async fn dispatch_loop(dispatcher: Arc<WebhookDispatcher>, signals: Arc<Signals>, mut stop: watch::Receiver<bool>) {
    let mut held = Held::default();
    let mut attempts: Attempts = JoinSet::new();
    let mut finished: Vec<Attempted> = Vec::new();
    let mut backoff = Backoff::new();
    let mut failing = false;
    while !*stop.borrow() {
        let mut pause = None;
        let mut more = false;
        let stored = store_attempts(&dispatcher, &mut finished).await;
        let room = (MAX_ATTEMPTS_IN_FLIGHT + MAX_WAITING).saturating_sub(attempts.len() + held.waiting_total);
        let claimed = match stored {
            // The database is down: claiming would fail too.
            Err(e) => Err(e),
            Ok(()) if room == 0 => Ok(Vec::new()),
            // Every tenant's holding, not only those at the cap: a tenant with 3 held has room
            // for `held_per_tenant - 3` more, not for another `held_per_tenant`.
            Ok(()) => dispatcher.claim(&held.for_claim(&dispatcher), room).await,
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
                    held.wait(delivery);
                }
                held.start(&dispatcher, &mut attempts);
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
                collect(done, &mut held, &mut finished);
                // Those that finished meanwhile are stored in the same transaction.
                while let Some(done) = attempts.try_join_next() {
                    collect(done, &mut held, &mut finished);
                }
                // The waiting take the freed slots now, not after the next round's store.
                held.start(&dispatcher, &mut attempts);
            },
            () = tokio::time::sleep(wait) => {},
        }
    }
    let drained = tokio::time::timeout(ATTEMPT_DRAIN, async {
        while let Some(done) = attempts.join_next().await {
            collect(done, &mut held, &mut finished);
        }
    })
    .await;
    if drained.is_err() || held.waiting_total > 0 {
        tracing::info!(
            abandoned = attempts.len(),
            not_started = held.waiting_total,
            "webhook deliveries claimed but not finished at shutdown were left to their leases; they will be retried"
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
            for attempted in finished.iter() {
                let outcome = match attempted.next {
                    DeliveryNext::Succeeded => "succeeded",
                    DeliveryNext::RetryAt(_) => "retry_scheduled",
                    DeliveryNext::Failed => "failed",
                };
                metrics::counter!("oms_webhook_deliveries_total", "outcome" => outcome).increment(1);
            }
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
    held: &mut Held,
    finished: &mut Vec<Attempted>,
) {
    if let Ok((tenant, attempted)) = done {
        held.finished(&tenant);
        if let Some(attempted) = &attempted {
            held.pace.observe(&tenant, attempted.attempt.outcome.latency);
        }
        finished.extend(attempted);
    }
}
