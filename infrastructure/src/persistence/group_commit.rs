//! Group commit for SQLite's single writer.
//!
//! SQLite commits one transaction at a time, and the commit is the expensive part of a small
//! write (with `synchronous=FULL`, an fsync each). So the writer keeps one transaction — the
//! batch — open while commands queue for it: each command runs in its own savepoint inside the
//! batch and releases it when done. Its answer waits for the batch's commit, which a closer task
//! makes once every command that was queued before it has had its turn; every member gets the
//! outcome of that one commit. A command that fails rolls back its savepoint only: its batchmates
//! are unaffected, and each caller gets its own answer. Nothing is acknowledged before it is
//! committed, and a caller that goes away cannot strand a batch: the closer is not the caller.
//!
//! A member's statements, its savepoint's included, wait in `deferred` until it needs an answer
//! or commits, and go together. A member takes its place in the batch only then, with its first
//! statement: the work before it (building the order, planning its rows) does not hold the
//! writer, and a member that never sends anything (a replay found by a read elsewhere, a
//! refusal) never waits for the batch at all.
//!
//! The writer also knows the tenants' counters as its batch holds them (`CounterMirror`): a new
//! order's number and monthly count are then taken without a round trip to SQLite, and a create
//! reaches the writer once, with its commit. Each such increment is written guarded by the value
//! it started from, so a writer outside this process (another process on the same file) makes the
//! guard fall short: the command is retried, and the mirror starts again from what is stored.

use std::{collections::HashMap, sync::Arc};

use application::ports::StoreError;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, QueryResult, Statement};
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

use super::{
    deferred::Deferred,
    errors::store_error,
    scope::{Scope, begin_write},
    writing::Write,
};

/// A member's savepoint. Members hold the batch one at a time, so one name serves them all.
const SAVEPOINT: &str = "SAVEPOINT command";
const RELEASE: &str = "RELEASE command";
const ROLLBACK: &str = "ROLLBACK TO command; RELEASE command";

/// Commands one commit may carry: bounds how long the first of them waits for its answer.
const MAX_MEMBERS: usize = 64;

/// The outcome of a batch's commit, shared by its members.
type Settled = Option<Result<(), StoreError>>;

struct Batch {
    tx: DatabaseTransaction,
    /// Commands that released their savepoint into the batch and wait for its commit.
    released: usize,
    settled: watch::Sender<Settled>,
}

impl Batch {
    /// Commits the batch and tells every member how it ended.
    async fn commit(self) -> Result<(), StoreError> {
        let result = self.tx.commit().await.map_err(store_error);
        self.settled.send_replace(Some(result.clone()));
        result
    }
}

/// A tenant's counter, by tenant and counter name.
type CounterKey = (String, String);

/// The counters' values as the open batch holds them (or as committed, between batches), for
/// the counters the writer has read or written. Forgotten whenever a batch is not committed or
/// a command's writes are refused: it is only ever a cache of what the database holds.
#[derive(Default)]
pub(super) struct CounterMirror(HashMap<CounterKey, i64>);

/// What the writer holds between commands: the open batch, and the counters it knows.
#[derive(Default)]
struct Writer {
    batch: Option<Batch>,
    counters: CounterMirror,
}

impl Writer {
    /// Drops the open batch uncommitted (SQLite rolls it back): the counters it held are gone.
    fn abandon(&mut self) {
        self.batch = None;
        self.counters.0.clear();
    }

    /// Commits the open batch, if any; a failed commit leaves the counters unknown.
    async fn commit(&mut self) -> Result<(), StoreError> {
        let Some(batch) = self.batch.take() else {
            return Ok(());
        };
        let result = batch.commit().await;
        if result.is_err() {
            self.counters.0.clear();
        }
        result
    }

    /// Rolls back a batch no member released into.
    fn close_if_empty(&mut self) {
        if self.batch.as_ref().is_some_and(|batch| batch.released == 0) {
            self.batch = None;
        }
    }
}

type WriterGuard = OwnedMutexGuard<Writer>;

/// The open batch of one SQLite writer, shared by every order store of the database.
pub(super) struct GroupCommit {
    writer: DatabaseConnection,
    open: Arc<Mutex<Writer>>,
}

/// A command's place in the batch: a savepoint in it, and the statements that wait to be sent.
pub(super) struct Membership {
    group: Arc<GroupCommit>,
    /// The batch, held from the member's first send (or counter) until it commits or is dropped.
    guard: Option<WriterGuard>,
    deferred: Deferred,
    /// Counter values this member wrote: the mirror learns them once its savepoint is released.
    counted: Vec<(CounterKey, i64)>,
    /// The savepoint went to SQLite: ending without a commit rolls back to it.
    savepoint_sent: bool,
    /// A send failed: the statements before the failing one are in the savepoint, so the member
    /// may only be rolled back.
    failed: bool,
}

impl GroupCommit {
    pub(super) fn new(writer: DatabaseConnection) -> Self {
        Self { writer, open: Arc::new(Mutex::new(Writer::default())) }
    }

    /// A member of the batch, which it joins with its first statement.
    pub(super) fn member(self: &Arc<Self>) -> Membership {
        let mut deferred = Deferred::default();
        deferred.push_sql(SAVEPOINT);
        Membership {
            group: self.clone(),
            guard: None,
            deferred,
            counted: Vec::new(),
            savepoint_sent: false,
            failed: false,
        }
    }

    /// Waits for the batch and opens one if none is open.
    async fn hold(&self) -> Result<WriterGuard, StoreError> {
        let mut guard = self.open.clone().lock_owned().await;
        if guard.batch.as_ref().is_some_and(|batch| batch.released >= MAX_MEMBERS) {
            // A full batch is committed before it takes more.
            guard.commit().await?;
        }
        if guard.batch.is_none() {
            // SQLite only, which has no row-level security; the batch holds every tenant's
            // savepoints alike.
            let tx = begin_write(&self.writer, Scope::Platform).await?;
            guard.batch = Some(Batch { tx, released: 0, settled: watch::channel(None).0 });
        }
        Ok(guard)
    }
}

impl Membership {
    /// The batch's transaction, for reads that follow the member's first send.
    pub(super) fn tx(&self) -> &DatabaseTransaction {
        &held_batch(&self.guard).tx
    }

    /// Keeps writes to send with the member's next read or its commit.
    pub(super) fn defer(&mut self, writes: Vec<Write>) {
        for write in writes {
            self.deferred.push(write);
        }
    }

    /// Sends what waits, then `read`, in one statement; answers with `read`'s rows.
    pub(super) async fn read(&mut self, read: Statement) -> Result<Vec<QueryResult>, StoreError> {
        self.send(Some(read)).await
    }

    async fn send(&mut self, read: Option<Statement>) -> Result<Vec<QueryResult>, StoreError> {
        if self.failed {
            return Err(StoreError::Internal("a transaction was used after it failed; it can only be dropped".into()));
        }
        self.join().await?;
        self.savepoint_sent = true;
        let sent = self.deferred.send(&held_batch(&self.guard).tx, read).await;
        if sent.is_err() {
            self.failed = true;
            // A refused write may be a counter's guard: what this process knew was not so.
            self.writer().counters.0.clear();
        }
        sent
    }

    async fn join(&mut self) -> Result<(), StoreError> {
        if self.guard.is_none() {
            self.guard = Some(self.group.hold().await?);
        }
        Ok(())
    }

    fn writer(&mut self) -> &mut Writer {
        self.guard.as_mut().expect("a member holds the writer once it joined")
    }

    /// The values of the tenant's counters `names` as the batch holds them, if the writer knows
    /// them all; joins the batch, so that they stay so until this member is done.
    pub(super) async fn known_counters<const N: usize>(
        &mut self,
        tenant: &str,
        names: [&str; N],
    ) -> Result<Option<[i64; N]>, StoreError> {
        self.join().await?;
        let counters = &self.writer().counters.0;
        let mut values = [0; N];
        for (name, value) in names.iter().zip(values.iter_mut()) {
            match counters.get(&(tenant.to_owned(), (*name).to_owned())) {
                Some(known) => *value = *known,
                None => return Ok(None),
            }
        }
        Ok(Some(values))
    }

    /// A counter's value once this member's writes are in: the writer knows it from the
    /// member's release on.
    pub(super) fn counted(&mut self, tenant: &str, name: &str, value: i64) {
        self.counted.push(((tenant.to_owned(), name.to_owned()), value));
    }

    /// Sends the member's statements and releases its savepoint into the batch, then answers
    /// with the batch's commit.
    pub(super) async fn commit(mut self) -> Result<(), StoreError> {
        self.deferred.push_sql(RELEASE);
        self.send(None).await?;
        // Released: nothing of the member is left to roll back.
        self.savepoint_sent = false;
        let mut guard = self.guard.take().expect("a member holds the batch until it commits");
        guard.counters.0.extend(std::mem::take(&mut self.counted));
        let batch = guard.batch.as_mut().expect("a batch is open");
        batch.released += 1;
        let mut settled = batch.settled.subscribe();
        drop(guard);
        // The closer queues behind every command already waiting (the lock is fair), so they
        // all join this batch before it is committed.
        tokio::spawn(close(self.group.open.clone(), settled.clone()));
        loop {
            if let Some(result) = settled.borrow_and_update().clone() {
                return result;
            }
            if settled.changed().await.is_err() {
                return Err(StoreError::Unavailable("the batch this change was part of was not committed".into()));
            }
        }
    }
}

/// The open batch a member holds until it commits or is dropped.
fn held_batch(guard: &Option<WriterGuard>) -> &Batch {
    guard.as_ref().and_then(|guard| guard.batch.as_ref()).expect("a member holds an open batch")
}

/// Commits the batch `settled` belongs to, unless another closer already did.
async fn close(open: Arc<Mutex<Writer>>, settled: watch::Receiver<Settled>) {
    let mut guard = open.lock_owned().await;
    // Settled, or dropped uncommitted: nothing left to do. Otherwise the open batch is this one,
    // as a batch is only replaced once it has been settled.
    if settled.has_changed().is_err() || settled.borrow().is_some() {
        return;
    }
    if let Err(e) = guard.commit().await {
        tracing::error!(error = %e, "group commit failed");
    }
}

impl Drop for Membership {
    /// A command that ends without committing (an error, a refusal, a replay) rolls back to its
    /// savepoint before the next command may use the batch: the batch is held until then. The
    /// batch stays open for the members that released into it (their closers commit it); an
    /// empty one is rolled back, and so is one whose connection could not roll back.
    fn drop(&mut self) {
        let Some(mut guard) = self.guard.take() else {
            return;
        };
        if !self.savepoint_sent {
            guard.close_if_empty();
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // No runtime left to roll back on: the batch goes, and SQLite rolls it back.
            guard.abandon();
            return;
        };
        // Held by the task: if the task never finishes (the runtime shuts down), the batch is
        // abandoned rather than left open with this command's writes in it.
        let mut held = AbandonUnlessDone(Some(guard));
        runtime.spawn(async move {
            let undone = match held.0.as_ref().and_then(|guard| guard.batch.as_ref()) {
                Some(batch) => batch.tx.execute_unprepared(ROLLBACK).await.map(drop).map_err(store_error),
                None => Ok(()),
            };
            match undone {
                Err(e) => {
                    tracing::error!(error = %e, "a command's savepoint could not be rolled back; its batch is abandoned");
                }
                Ok(()) => held.0.take().expect("held until done").close_if_empty(),
            }
        });
    }
}

/// The batch a rollback holds; dropped before the rollback is done, it abandons the batch (its
/// transaction is rolled back, and the members that released into it are told it was not
/// committed).
struct AbandonUnlessDone(Option<WriterGuard>);

impl Drop for AbandonUnlessDone {
    fn drop(&mut self) {
        if let Some(mut guard) = self.0.take() {
            guard.abandon();
        }
    }
}
