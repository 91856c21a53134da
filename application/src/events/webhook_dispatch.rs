//! One attempt of one outbound webhook delivery, and what follows from its outcome: success,
//! a retry on the schedule (the receiver's `Retry-After` considered), or giving up. `410 Gone`
//! disables the endpoint at once; an endpoint failing without a single success for
//! `RetrySchedule::disable_after` is disabled too. Disabled endpoints are never deleted: their
//! deliveries wait until the tenant enables them again.

use std::{sync::Arc, time::Duration};

use domain::TenantId;

use crate::ports::{
    AttemptFailure, AttemptOutcome, Clock, DeliveryAttempt, DeliveryNext, DueDelivery, IdGenerator, RetrySchedule,
    StoreError, WebhookDeliveries, WebhookEndpoints, WebhookMessage, WebhookTransport,
};

#[derive(Debug, Clone, Copy)]
pub struct DispatchSettings {
    /// How long a claimed delivery is reserved for its attempt: above the transport's timeout
    /// (10 s) plus the write of the attempt, so only a crashed instance's claims are ever taken
    /// over; and no longer, since a crashed instance's claims wait this long for their attempt.
    pub lease: Duration,
    /// Deliveries claimed per round.
    pub batch: usize,
    /// Deliveries of one tenant attempted at once: a slow endpoint holds only its own slots,
    /// while a healthy one can take a busy tenant's rate (16 at 30 ms each is ~500/s).
    pub per_tenant: usize,
    /// Deliveries of one tenant claimed beyond those being attempted, at most, waiting in the
    /// process for a free slot: the next claim (on SQLite a wait for the one writer, behind the
    /// order commits) is made while these are sent, instead of between attempts. How many a
    /// tenant gets is sized by how fast its endpoint answers (see the dispatch loop); one that
    /// waited half the lease is not started (an attempt started later could outlive the lease)
    /// and is claimed again once its lease runs out.
    pub max_ahead: usize,
}

impl DispatchSettings {
    /// Deliveries of one tenant this process may hold at once, attempted or waiting.
    pub fn held_per_tenant(&self) -> usize {
        self.per_tenant + self.max_ahead
    }

    /// A claimed delivery not started this long after its claim is left to its lease.
    pub fn start_within(&self) -> Duration {
        self.lease / 2
    }
}

impl Default for DispatchSettings {
    fn default() -> Self {
        Self { lease: Duration::from_secs(30), batch: 128, per_tenant: 16, max_ahead: 112 }
    }
}

/// One attempt made, not yet stored.
#[derive(Debug)]
pub struct Attempted {
    pub attempt: DeliveryAttempt,
    pub next: DeliveryNext,
    /// The endpoint answered `410 Gone`: it is disabled once the attempt is stored.
    gone: bool,
}

impl Attempted {
    pub fn tenant(&self) -> &TenantId {
        &self.attempt.tenant_id
    }
}

pub struct WebhookDispatcher {
    deliveries: Arc<dyn WebhookDeliveries>,
    endpoints: Arc<dyn WebhookEndpoints>,
    transport: Arc<dyn WebhookTransport>,
    schedule: Arc<dyn RetrySchedule>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    settings: DispatchSettings,
}

impl WebhookDispatcher {
    pub fn new(
        deliveries: Arc<dyn WebhookDeliveries>,
        endpoints: Arc<dyn WebhookEndpoints>,
        transport: Arc<dyn WebhookTransport>,
        schedule: Arc<dyn RetrySchedule>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        settings: DispatchSettings,
    ) -> Self {
        Self { deliveries, endpoints, transport, schedule, clock, ids, settings }
    }

    pub fn settings(&self) -> DispatchSettings {
        self.settings
    }

    /// Claims up to `room` (at most a batch) due deliveries, of each tenant at most
    /// `held_per_tenant` less those this process holds already (`held`: attempted or waiting).
    pub async fn claim(&self, held: &[(TenantId, usize)], room: usize) -> Result<Vec<DueDelivery>, StoreError> {
        let s = self.settings;
        self.deliveries.claim_due(self.clock.now(), s.lease, s.batch.min(room), s.held_per_tenant(), held).await
    }

    /// Makes one attempt and decides the delivery's next state; `record` stores it. Apart so
    /// that a process's finished attempts are stored together, in one transaction.
    pub async fn attempt(&self, delivery: DueDelivery) -> Result<Attempted, StoreError> {
        let attempted_at = self.clock.now();
        let mut endpoint = self.endpoints.endpoint(&delivery.tenant_id);
        if endpoint.is_none() {
            // Given up for good below, so first make sure this instance is not merely a config
            // poll behind the instance that scheduled the delivery.
            self.endpoints.catch_up(attempted_at).await?;
            endpoint = self.endpoints.endpoint(&delivery.tenant_id);
        }
        // The tenant removed its webhook since the event: nothing to send to, now or later.
        let removed = endpoint.is_none();
        let outcome = match endpoint {
            Some(endpoint) => {
                let message = WebhookMessage {
                    url: endpoint.url,
                    secret: endpoint.secret,
                    id: delivery.event_id.to_string(),
                    timestamp: attempted_at,
                    body: delivery.payload,
                };
                self.transport.send(&message).await
            }
            None => AttemptOutcome {
                status: None,
                latency: Duration::ZERO,
                response_excerpt: String::new(),
                retry_after: None,
                failure: Some(AttemptFailure::Connect("the tenant has no outbound webhook configured".to_owned())),
            },
        };
        let gone = outcome.status == Some(410);
        let next = if outcome.succeeded() {
            DeliveryNext::Succeeded
        } else if gone || removed {
            DeliveryNext::Failed
        } else {
            match self.schedule.next_retry_delay(delivery.attempts + 1, outcome.retry_after) {
                Some(delay) => DeliveryNext::RetryAt(attempted_at + delay),
                None => DeliveryNext::Failed,
            }
        };
        if !outcome.succeeded() {
            tracing::info!(
                tenant = %delivery.tenant_id,
                delivery = %delivery.id,
                event_type = %delivery.event_type,
                status = ?outcome.status,
                failure = ?outcome.failure,
                next = ?next,
                "outbound webhook attempt failed"
            );
        }
        let attempt = DeliveryAttempt {
            id: self.ids.new_id(),
            delivery_id: delivery.id,
            tenant_id: delivery.tenant_id,
            attempted_at,
            outcome,
        };
        Ok(Attempted { attempt, next, gone })
    }

    /// Stores finished attempts in one transaction, then disables the endpoints they showed
    /// to be gone (`410`) or failing for too long.
    pub async fn record(&self, attempted: &[Attempted]) -> Result<(), StoreError> {
        if attempted.is_empty() {
            return Ok(());
        }
        let mut gone: Vec<TenantId> = Vec::new();
        let mut batch = Vec::with_capacity(attempted.len());
        for a in attempted {
            if a.gone && !gone.contains(&a.attempt.tenant_id) {
                gone.push(a.attempt.tenant_id.clone());
            }
            batch.push((a.attempt.clone(), a.next.clone()));
        }
        let failing = self.deliveries.record_attempts(&batch).await?;
        for tenant in &gone {
            self.disable(tenant, "the endpoint answered 410 Gone").await?;
        }
        let now = self.clock.now();
        for (tenant, health) in failing {
            if gone.contains(&tenant) || health.disabled_at.is_some() {
                continue;
            }
            if let Some(since) = health.failing_since
                && now.signed_duration_since(since).to_std().unwrap_or(Duration::ZERO) >= self.schedule.disable_after()
            {
                let days = self.schedule.disable_after().as_secs() / 86_400;
                self.disable(&tenant, &format!("every attempt failed for {days} days")).await?;
            }
        }
        Ok(())
    }

    async fn disable(&self, tenant: &TenantId, reason: &str) -> Result<(), StoreError> {
        tracing::warn!(%tenant, reason, "outbound webhook endpoint disabled");
        self.deliveries.disable_endpoint(tenant, self.clock.now(), reason).await
    }
}
