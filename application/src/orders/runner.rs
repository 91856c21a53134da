//! The order-command runner: the one unit of work through which every command that changes an
//! order runs, and the only code that begins an order transaction.
//!
//! A command names its audit action, permission and input ([`Command`]); once authorized it
//! turns its input into a domain step on an existing order ([`Change`]) or a new one
//! ([`Creation`]). The runner then does, in this order:
//!
//!  1. draft the call's audit record (every call leaves exactly one, refused ones included);
//!  2. authorize: active tenant, permission in its plan, granted to a role ([`Authorized`]);
//!  3. prepare: the command validates its input before anything is read or written;
//!  4. begin the tenant's transaction;
//!  5. find: lock the order the target names (NOT_FOUND otherwise); for a new order, look up
//!     the idempotency key, then the externalRef (from the second attempt on: the first one's
//!     insert finds a taken externalRef itself, and the next attempt answers with its order);
//!  6. idempotency: a stored key replays its first result (same content) or is refused (other
//!     content). On an existing order the key is read once the order is locked, so a concurrent
//!     call with the same key waits for the lock and then replays instead of applying twice;
//!  7. check the caller's expected version;
//!  8. apply the domain step, with the books made to follow the order's status before and after
//!     (an order confirmed before the ledger existed owes its total before it is paid);
//!  9. write the order (insert, or an update guarded by the version it was read at);
//! 10. remember the idempotency key with what it produced;
//! 11. append the order's events to the outbox (a new order's once it is numbered, in step 12) and
//!     the audit record;
//! 12. the tenant's counters, last: number a new order (it was written with a placeholder) and
//!     count it against its plan's monthly quota (over it, a first attempt runs again, to look
//!     its externalRef up: a replay is never refused for the quota); on PostgreSQL the counter
//!     rows are then locked for the last statements and the commit only, not for the whole
//!     transaction;
//! 13. commit.
//!
//! A lost race (the order changed since it was read, a unique key taken by a concurrent
//! transaction, a commit that failed for either reason) rolls back and runs again from step 4,
//! at most [`ATTEMPTS`] times, then answers CONFLICT. Anything else ends the call with its error.
//! A store error means the same whichever call of the transaction reports it ([`Stop`]): a store
//! may send a write with the transaction's next call or its commit.
//!
//! A command that must ask the outside world between transactions (a carrier booking: no
//! transaction is held open across a carrier's answer) runs staged: [`Orders::begin_staged`]
//! drafts and authorizes, each [`Orders::stage`] is steps 4 to 13 without the audit record,
//! [`Orders::finish_staged`] the last stage with it, and [`Orders::end_staged`] records a failure.
//! A call still leaves exactly one audit record.

use async_trait::async_trait;
use chrono::{DateTime, Datelike, TimeZone, Utc};
use domain::{OrderId, order::Order};
use serde::Serialize;

use crate::{
    AppError, ErrorCode, Permission, Principal,
    audit_trail::AuditDraft,
    orders::{
        Orders, Outcome,
        envelope::envelopes,
        idempotency::{KeyUse, check_replay},
        target::Located,
        vendor_scope,
    },
    ports::{
        IdGenerator, IdempotencyRecord, OUTCOME_OK, OrderTx, PlanLimits, StoreError, Taken, TenantProfile,
        WebhookReceipt,
    },
    session::{Authorized, authorize_signed},
};

/// A lost race is run again this many times in all before the caller is told CONFLICT.
pub(crate) const ATTEMPTS: usize = 3;

/// Whether a transaction commits the call's audit record (a staged command's earlier stages
/// do not: its one record is committed by the last).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Audited {
    Yes,
    No,
}

/// A command between its stages: authorized, its audit record still a draft.
pub(crate) struct Staged {
    authorized: Authorized,
    audit: AuditDraft,
}

/// What every command declares about itself, for authorization and the audit trail.
pub(crate) struct Command<'a, I: Serialize> {
    /// The mutation name, recorded as the audit action.
    pub action: &'static str,
    pub permission: Permission,
    /// Recorded (bounded) in the audit record; must hold no secret.
    pub input: &'a I,
    /// Ids the input names, recorded even when the call is refused before anything is found:
    /// the order's, and the shipment's or return's.
    pub names_order: Option<&'a str>,
    pub names: Option<&'a str>,
}

/// Whose authority a call runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Authority {
    /// A token's roles, as the tenant's roles grant them (every GraphQL call).
    Roles,
    /// A delivery signed with a secret the provider configured for the tenant: the tenant must be
    /// active and, when `in_plan`, its plan must include the command's permission. Roles have no
    /// say: the signature, not a user, is the caller.
    Signed { in_plan: bool },
}

/// An inbound webhook delivery a command acts on: a replay of it (found in the transaction,
/// before anything is written) changes nothing, and the command remembers it when it writes.
#[derive(Debug, Clone)]
pub(crate) struct DeliveryUse {
    pub route: String,
    pub key: String,
    pub remembered_until: DateTime<Utc>,
}

impl DeliveryUse {
    fn receipt(&self, resource_id: &str, now: DateTime<Utc>) -> WebhookReceipt {
        WebhookReceipt {
            route: self.route.clone(),
            delivery_key: self.key.clone(),
            resource_id: Some(resource_id.to_owned()),
            received_at: now,
            remembered_until: self.remembered_until,
        }
    }
}

/// A change's delivery, with the step's result for a replay of it.
pub(crate) struct ChangeDelivery<'a, T> {
    pub delivery: DeliveryUse,
    pub replays: Box<dyn Fn(&Order) -> T + Send + Sync + 'a>,
}

/// What a domain step may use besides the order.
pub(crate) struct StepContext<'c> {
    pub now: DateTime<Utc>,
    pub ids: &'c dyn IdGenerator,
    /// The caller's tenant as it was authorized (settings, plan limits).
    pub tenant: &'c TenantProfile,
}

type Step<'a, T> = Box<dyn FnMut(&mut Order, &StepContext<'_>) -> Result<T, AppError> + Send + 'a>;
type Remembers<'a, T> = Box<dyn Fn(&Order, &T) -> String + Send + Sync + 'a>;
type Replays<'a, T> = Box<dyn Fn(&Order, &IdempotencyRecord) -> Result<T, AppError> + Send + Sync + 'a>;

/// A command on an existing order.
pub(crate) struct Change<'a, T> {
    pub target: Located,
    pub expected_version: Option<i64>,
    pub key: Option<KeyUse>,
    /// The domain step; it may run more than once (once per attempt), on a freshly read order.
    pub step: Step<'a, T>,
    /// The id a remembered key answers a replay with (the order's, a new shipment's…), also
    /// recorded as a target of the audit record.
    pub remembers: Remembers<'a, T>,
    /// The step's result for a replay, from the locked order and the stored key.
    pub replays: Replays<'a, T>,
    /// The webhook delivery the change acts on, if any.
    pub delivery: Option<ChangeDelivery<'a, T>>,
}

impl<'a> Change<'a, ()> {
    /// A change whose only result is the order itself.
    pub(crate) fn of_order(
        target: Located,
        expected_version: Option<i64>,
        mut step: impl FnMut(&mut Order, &StepContext<'_>) -> Result<(), AppError> + Send + 'a,
    ) -> Self {
        Change {
            target,
            expected_version,
            key: None,
            step: Box::new(move |order, cx| step(order, cx)),
            remembers: Box::new(|order, _| order.id().to_string()),
            replays: Box::new(|_, _| Ok(())),
            delivery: None,
        }
    }

    /// As [`Change::of_order`], idempotent on the caller's key (when given).
    pub(crate) fn keyed(mut self, key: KeyUse) -> Self {
        self.key = Some(key);
        self
    }

    /// What the key remembers, when it is not the order's id.
    pub(crate) fn remembering(mut self, remembers: impl Fn(&Order, &()) -> String + Send + Sync + 'a) -> Self {
        self.remembers = Box::new(remembers);
        self
    }
}

/// The new order's identity, allocated by the runner inside the transaction. The number is a
/// placeholder until the runner numbers the order, last (see step 12).
pub(crate) struct NewOrderSlot {
    pub id: OrderId,
    pub number: String,
}

type Build<'a> = Box<dyn FnMut(NewOrderSlot, &StepContext<'_>) -> Result<Order, AppError> + Send + 'a>;

/// A command that creates an order.
pub(crate) struct Creation<'a> {
    pub key: Option<KeyUse>,
    /// An order of the tenant already holding it is the answer (a replay), not a new order.
    pub external_ref: Option<String>,
    pub build: Build<'a>,
    /// The webhook delivery that asks for the order, if any.
    pub delivery: Option<DeliveryUse>,
    /// Whether an attempt ran already. The first inserts without looking the externalRef up:
    /// nearly every one is new, and a taken one fails the insert (`Duplicate`), so the next
    /// attempt looks it up and answers with the existing order. A read saved on every create.
    pub attempted: bool,
}

/// How one attempt ended well. Returned once per attempt and moved straight out: boxing the
/// large outcome would only add an allocation.
pub(crate) struct Done<T> {
    pub outcome: Outcome<(Order, T)>,
    /// The transaction holds writes to commit (a replay usually holds none).
    pub wrote: bool,
}

/// Why an attempt stopped before its outcome.
pub(crate) enum Stop {
    /// A lost race: the runner rolls back and runs the command again.
    Retry,
    /// The command fails with this error.
    Fail(AppError),
}

impl From<AppError> for Stop {
    fn from(e: AppError) -> Self {
        Stop::Fail(e)
    }
}

impl From<domain::DomainError> for Stop {
    fn from(e: domain::DomainError) -> Self {
        Stop::Fail(e.into())
    }
}

/// The one reading of a store error, whichever call of the transaction it came from: a store
/// may defer a write to the transaction's next call or its commit (SQLite sends a command's
/// statements together), so a write's refusal can surface later than the write.
impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        match e {
            // The order changed since it was read, or a concurrent transaction took the key
            // first: the next attempt reads what it committed (and replays, or refuses).
            StoreError::Conflict(_)
            | StoreError::Duplicate(
                Taken::ExternalRef | Taken::OrderNumber | Taken::IdempotencyKey | Taken::WebhookDelivery,
            ) => Stop::Retry,
            // Another journal entry of the tenant holds the key (a system entry's key, or an
            // entry booked before keys were remembered): never a second entry under it.
            StoreError::Duplicate(Taken::JournalEntryKey) => Stop::Fail(
                AppError::new(
                    ErrorCode::IdempotencyConflict,
                    "idempotencyKey is already used by another journal entry",
                )
                .with_field(&["idempotencyKey"]),
            ),
            other => Stop::Fail(other.into()),
        }
    }
}

/// The work of one command inside a transaction: steps 5 to 12.
#[async_trait]
pub(crate) trait UnitOfWork<T>: Send {
    async fn attempt(
        &mut self,
        orders: &Orders,
        tx: &mut dyn OrderTx,
        authorized: &Authorized,
        audit: &mut AuditDraft,
    ) -> Result<Done<T>, Stop>;
}

pub(crate) fn order_number(n: i64) -> String {
    format!("ORD-{n:06}")
}

impl Orders {
    /// Runs `command`: authorizes it, lets `prepare` turn its input into work, runs the work in
    /// one transaction (see the module documentation for the order of steps), and settles the
    /// audit record. `T` is what the step produced besides the order.
    pub(crate) async fn run<I, T, W, P>(
        &self,
        p: &Principal,
        command: Command<'_, I>,
        prepare: P,
    ) -> Result<Outcome<(Order, T)>, AppError>
    where
        I: Serialize,
        T: Send,
        W: UnitOfWork<T>,
        P: FnOnce(&Authorized) -> Result<W, AppError>,
    {
        self.run_as(p, Authority::Roles, command, prepare).await
    }

    /// [`Orders::run`] on the given authority.
    pub(crate) async fn run_as<I, T, W, P>(
        &self,
        p: &Principal,
        authority: Authority,
        command: Command<'_, I>,
        prepare: P,
    ) -> Result<Outcome<(Order, T)>, AppError>
    where
        I: Serialize,
        T: Send,
        W: UnitOfWork<T>,
        P: FnOnce(&Authorized) -> Result<W, AppError>,
    {
        let mut audit = AuditDraft::new(p, command.action, command.input);
        if let Some(order) = command.names_order {
            audit.order(order);
        }
        if let Some(id) = command.names {
            audit.target(id);
        }
        let result = async {
            let authorized = match authority {
                Authority::Roles => self.authorize(p, command.permission).await?,
                Authority::Signed { in_plan } => {
                    authorize_signed(self.tenants.as_ref(), p, command.permission, in_plan).await?
                }
            };
            let work = prepare(&authorized)?;
            let outcome = self.transact(p, &authorized, &mut audit, work, Audited::Yes).await?;
            // What the caller is answered with is what it may see of the order.
            let Outcome { value: (order, value), replayed, duplicate } = outcome;
            let order = vendor_scope::view(authorized.vendor(), order).ok_or_else(|| {
                tracing::error!("a vendor-scoped command ended on an order its vendor cannot see");
                AppError::internal()
            })?;
            Ok(Outcome { value: (order, value), replayed, duplicate })
        }
        .await;
        self.settle(audit, result).await
    }

    /// Starts a command that must ask the outside world between transactions (a carrier
    /// booking): drafts its one audit record and authorizes it. A refusal is recorded and
    /// returned here; otherwise the caller runs its stages and ends with [`Orders::end_staged`].
    pub(crate) async fn begin_staged<I: Serialize>(
        &self,
        p: &Principal,
        command: Command<'_, I>,
    ) -> Result<Staged, AppError> {
        let mut audit = AuditDraft::new(p, command.action, command.input);
        if let Some(order) = command.names_order {
            audit.order(order);
        }
        if let Some(id) = command.names {
            audit.target(id);
        }
        match self.authorize(p, command.permission).await {
            Ok(authorized) => Ok(Staged { authorized, audit }),
            Err(e) => self.settle(audit, Err(e)).await,
        }
    }

    /// One unit of work of a staged command, in a transaction of its own, committed without an
    /// audit record: the call's record is committed by its last stage ([`Orders::finish_staged`]).
    pub(crate) async fn stage<T: Send>(
        &self,
        p: &Principal,
        staged: &mut Staged,
        work: impl UnitOfWork<T>,
    ) -> Result<Outcome<(Order, T)>, AppError> {
        self.transact(p, &staged.authorized, &mut staged.audit, work, Audited::No).await
    }

    /// The last unit of work of a staged command, committed with the call's audit record.
    pub(crate) async fn finish_staged<T: Send>(
        &self,
        p: &Principal,
        staged: &mut Staged,
        work: impl UnitOfWork<T>,
    ) -> Result<Outcome<(Order, T)>, AppError> {
        self.transact(p, &staged.authorized, &mut staged.audit, work, Audited::Yes).await
    }

    /// Ends a staged command: a failure (or an outcome no stage recorded) gets its audit record.
    pub(crate) async fn end_staged<T>(&self, staged: Staged, result: Result<T, AppError>) -> Result<T, AppError> {
        self.settle(staged.audit, result).await
    }

    async fn transact<T: Send>(
        &self,
        p: &Principal,
        authorized: &Authorized,
        audit: &mut AuditDraft,
        mut work: impl UnitOfWork<T>,
        audited: Audited,
    ) -> Result<Outcome<(Order, T)>, AppError> {
        let audited = audited == Audited::Yes;
        for _ in 0..ATTEMPTS {
            let mut tx = self.store.begin(&p.tenant_id).await?;
            let Done { outcome, wrote } = match work.attempt(self, tx.as_mut(), authorized, audit).await {
                Ok(done) => done,
                Err(Stop::Retry) => continue,
                Err(Stop::Fail(e)) => return Err(e),
            };
            // The order is named on the draft only once the attempt that stored it has ended
            // well: a new order's id is this attempt's, and a retried or refused attempt's order
            // never was stored. The committed record names it from the start.
            let order_id = outcome.value.0.id();
            if !wrote {
                // Nothing to commit: dropping the transaction releases it.
                audit.order(order_id);
                return Ok(outcome);
            }
            let record = (!outcome.replayed && audited)
                .then(|| audit.record_naming(order_id, OUTCOME_OK, self.clock.as_ref(), self.ids.as_ref()));
            let committed = async {
                if let Some(record) = &record {
                    tx.append_audit(record).await?;
                }
                tx.commit().await
            };
            match committed.await.map_err(Stop::from) {
                Ok(()) => {}
                Err(Stop::Retry) => continue,
                Err(Stop::Fail(e)) => return Err(e),
            }
            audit.order(order_id);
            if !outcome.replayed && audited {
                audit.mark_written();
            }
            return Ok(outcome);
        }
        Err(AppError::new(ErrorCode::Conflict, "the order kept changing concurrently; retry"))
    }
}

#[async_trait]
impl<T: Send> UnitOfWork<T> for Change<'_, T> {
    /// Steps 5 to 11 on an existing order.
    async fn attempt(
        &mut self,
        orders: &Orders,
        tx: &mut dyn OrderTx,
        authorized: &Authorized,
        audit: &mut AuditDraft,
    ) -> Result<Done<T>, Stop> {
        let mut order = self.target.lock(tx).await?.ok_or_else(|| self.target.not_found())?;
        audit.order(order.id());
        if let Some(vendor) = authorized.vendor() {
            vendor_scope::may_change(&order, &self.target, authorized.permission(), vendor)?;
        }
        // Read once the order is locked: a concurrent replay waits for the lock, then finds it.
        if let Some(delivery) = &self.delivery
            && tx.webhook_receipt(&delivery.delivery.route, &delivery.delivery.key, orders.clock.now()).await?.is_some()
        {
            let value = (delivery.replays)(&order);
            return Ok(Done {
                outcome: Outcome { value: (order, value), replayed: true, duplicate: true },
                wrote: false,
            });
        }
        if let Some(key) = &self.key
            && let Some(record) = tx.idempotency_record(&key.key).await?
        {
            check_replay(&record, key.operation, &key.fingerprint)?;
            audit.target(&record.resource_id);
            let value = (self.replays)(&order, &record)?;
            return Ok(Done {
                outcome: Outcome { value: (order, value), replayed: true, duplicate: false },
                wrote: false,
            });
        }
        let before = order.version();
        if let Some(expected) = self.expected_version
            && expected != before
        {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!("order {} is at version {before}, not {expected}; reload it and retry", order.number()),
            )
            .with_field(&["expectedVersion"])
            .into());
        }
        let ids = orders.ids.as_ref();
        let cx = StepContext { now: orders.clock.now(), ids, tenant: authorized.tenant() };
        order.sync_receivable(ids.new_id(), cx.now)?;
        let value = (self.step)(&mut order, &cx)?;
        order.sync_receivable(ids.new_id(), cx.now)?;
        tx.update_order(&order, before).await?;
        let resource_id = (self.remembers)(&order, &value);
        if let Some(key) = &self.key {
            remember(tx, key, &resource_id, cx.now).await?;
        }
        if let Some(delivery) = &self.delivery {
            tx.save_webhook_receipt(&delivery.delivery.receipt(&order.id().to_string(), cx.now)).await?;
        }
        audit.target(&resource_id);
        let tenant = order.tenant_id().clone();
        tx.append_outbox(&envelopes(&tenant, order.take_events(), ids)).await?;
        Ok(Done { outcome: Outcome { value: (order, value), replayed: false, duplicate: false }, wrote: true })
    }
}

#[async_trait]
impl UnitOfWork<()> for Creation<'_> {
    /// Steps 5 to 12 for a new order.
    async fn attempt(
        &mut self,
        orders: &Orders,
        tx: &mut dyn OrderTx,
        authorized: &Authorized,
        audit: &mut AuditDraft,
    ) -> Result<Done<()>, Stop> {
        let done = |order: Order, replayed: bool, wrote: bool| Done {
            outcome: Outcome { value: (order, ()), replayed, duplicate: false },
            wrote,
        };
        let now = orders.clock.now();
        if let Some(delivery) = &self.delivery
            && let Some(receipt) = tx.webhook_receipt(&delivery.route, &delivery.key, now).await?
        {
            let id = receipt.resource_id.as_deref().and_then(|id| OrderId::parse(id).ok());
            let order = match id {
                Some(id) => tx.lock_order(id).await?,
                None => None,
            };
            let order = order.ok_or_else(|| {
                tracing::error!(route = %delivery.route, "a webhook receipt points at a missing order");
                AppError::internal()
            })?;
            audit.order(order.id());
            return Ok(Done { outcome: Outcome { value: (order, ()), replayed: true, duplicate: true }, wrote: false });
        }
        if let Some(key) = &self.key
            && let Some(record) = tx.idempotency_record(&key.key).await?
        {
            check_replay(&record, key.operation, &key.fingerprint)?;
            let id = OrderId::parse(&record.resource_id).map_err(|_| AppError::internal())?;
            let order = tx.lock_order(id).await?.ok_or_else(|| {
                tracing::error!(key = %record.key, "idempotency record points at a missing order");
                AppError::internal()
            })?;
            audit.order(order.id());
            vendor_scope::may_replay(&order, authorized.vendor())?;
            return Ok(done(order, true, false));
        }
        let first_attempt = !std::mem::replace(&mut self.attempted, true);
        if let Some(external_ref) = &self.external_ref
            && !first_attempt
            && let Some(existing) = tx.order_by_external_ref(external_ref).await?
        {
            audit.order(existing.id());
            vendor_scope::may_replay(&existing, authorized.vendor())?;
            let existing_id = existing.id().to_string();
            // From now on the key (and the delivery) answer with the existing order too.
            if let Some(key) = &self.key {
                remember(tx, key, &existing_id, now).await?;
            }
            if let Some(delivery) = &self.delivery {
                tx.save_webhook_receipt(&delivery.receipt(&existing_id, now)).await?;
            }
            let wrote = self.key.is_some() || self.delivery.is_some();
            return Ok(done(existing, true, wrote));
        }
        let ids = orders.ids.as_ref();
        let cx = StepContext { now, ids, tenant: authorized.tenant() };
        let id = OrderId::from_uuid(ids.new_id());
        // Numbered at step 12; until then a placeholder no other order can hold.
        let slot = NewOrderSlot { id, number: format!("pending-{id}") };
        let mut order = (self.build)(slot, &cx)?;
        // An auto-confirmed order owes its total from the start.
        order.sync_receivable(ids.new_id(), now)?;
        tx.insert_order(&order).await?;
        if let Some(key) = &self.key {
            remember(tx, key, &order.id().to_string(), now).await?;
        }
        if let Some(delivery) = &self.delivery {
            tx.save_webhook_receipt(&delivery.receipt(&order.id().to_string(), now)).await?;
        }
        // The tenant's counters last: the order number (its events carry it, so they follow)
        // and the order counted against its calendar month (UTC), always, so that a plan that
        // gains a quota mid-month knows what was already used.
        let month = format!("orders:{}", now.format("%Y-%m"));
        let (number, used) = tx.count_new_order(&month, authorized.limits.orders_per_month).await?;
        if let Err(refused) = within_monthly_quota(used, authorized.limits, now) {
            // A store may not have sent the insert yet, so a taken externalRef may not have
            // shown: a replay must not be refused for the quota, so the refusal waits for an
            // attempt that looked the externalRef up.
            if first_attempt && self.external_ref.is_some() {
                return Err(Stop::Retry);
            }
            return Err(refused.into());
        }
        let number = order_number(number);
        tx.renumber_order(order.id(), &number).await?;
        order.number_as(number);
        let tenant = order.tenant_id().clone();
        tx.append_outbox(&envelopes(&tenant, order.take_events(), ids)).await?;
        Ok(done(order, false, true))
    }
}

/// Step 10: the key and what it produced. Taken by a concurrent call (`Duplicate`, now or from
/// a later call of the transaction): the retry finds it and replays, or refuses.
async fn remember(tx: &mut dyn OrderTx, key: &KeyUse, resource_id: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
    let record = IdempotencyRecord {
        key: key.key.clone(),
        operation: key.operation.to_owned(),
        fingerprint: key.fingerprint.clone(),
        resource_id: resource_id.to_owned(),
        created_at: now,
    };
    tx.save_idempotency_record(&record).await
}

/// Step 12: over its plan's monthly quota the order is refused, and its transaction dropped
/// (rolled back) with the count.
fn within_monthly_quota(used: i64, limits: PlanLimits, now: DateTime<Utc>) -> Result<(), AppError> {
    match limits.orders_per_month {
        Some(limit) if used as u64 > limit => {
            let resets_at = next_month(now);
            Err(AppError::new(
                ErrorCode::LimitExceeded,
                format!("your plan allows {limit} orders per month; the count resets at {}", resets_at.to_rfc3339()),
            )
            .with_detail("limit", limit)
            .with_detail("resetsAt", resets_at.to_rfc3339()))
        }
        _ => Ok(()),
    }
}

fn next_month(now: DateTime<Utc>) -> DateTime<Utc> {
    let (y, m) = if now.month() == 12 { (now.year() + 1, 1) } else { (now.year(), now.month() + 1) };
    Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single().unwrap_or(now)
}
