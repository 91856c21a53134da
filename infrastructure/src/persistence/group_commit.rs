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

use std::sync::Arc;

use application::ports::StoreError;
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

use super::{
    errors::store_error,
    scope::{Scope, begin_write},
};

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

/// The open batch of one SQLite writer, shared by every order store of the database.
pub(super) struct GroupCommit {
    writer: DatabaseConnection,
    open: Arc<Mutex<Option<Batch>>>,
}

/// A command's place in the batch: its savepoint is the transaction it writes in.
pub(super) struct Membership {
    guard: Option<OwnedMutexGuard<Option<Batch>>>,
    open: Arc<Mutex<Option<Batch>>>,
}

impl GroupCommit {
    pub(super) fn new(writer: DatabaseConnection) -> Self {
        Self { writer, open: Arc::new(Mutex::new(None)) }
    }

    /// Waits for the batch, opens one if none is open, and starts the command's savepoint.
    pub(super) async fn join(&self) -> Result<(DatabaseTransaction, Membership), StoreError> {
        let mut guard = self.open.clone().lock_owned().await;
        if guard.as_ref().is_some_and(|batch| batch.released >= MAX_MEMBERS) {
            // A full batch is committed before it takes more.
            let full = guard.take().expect("a batch is open");
            full.commit().await?;
        }
        if guard.is_none() {
            // SQLite only, which has no row-level security; the batch holds every tenant's
            // savepoints alike.
            let tx = begin_write(&self.writer, Scope::Platform).await?;
            *guard = Some(Batch { tx, released: 0, settled: watch::channel(None).0 });
        }
        match guard.as_ref().expect("a batch is open").tx.begin().await {
            Ok(savepoint) => Ok((savepoint, Membership { guard: Some(guard), open: self.open.clone() })),
            Err(e) => {
                // The batch's connection is unusable: end the batch (members are told it was
                // not committed) so that the next command starts afresh.
                guard.take();
                Err(store_error(e))
            }
        }
    }
}

impl Membership {
    /// Releases the command's savepoint into the batch and answers with the batch's commit.
    pub(super) async fn commit(mut self, savepoint: DatabaseTransaction) -> Result<(), StoreError> {
        let mut guard = self.guard.take().expect("a member holds the batch until it commits");
        if let Err(e) = savepoint.commit().await {
            self.guard = Some(guard);
            return Err(store_error(e));
        }
        let batch = guard.as_mut().expect("a batch is open");
        batch.released += 1;
        let mut settled = batch.settled.subscribe();
        drop(guard);
        // The closer queues behind every command already waiting (the lock is fair), so they
        // all join this batch before it is committed.
        tokio::spawn(close(self.open.clone(), settled.clone()));
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

/// Commits the batch `settled` belongs to, unless another closer already did.
async fn close(open: Arc<Mutex<Option<Batch>>>, settled: watch::Receiver<Settled>) {
    let mut guard = open.lock_owned().await;
    // Settled, or dropped uncommitted: nothing left to do. Otherwise the open batch is this one,
    // as a batch is only replaced once it has been settled.
    if settled.has_changed().is_err() || settled.borrow().is_some() {
        return;
    }
    if let Some(batch) = guard.take()
        && let Err(e) = batch.commit().await
    {
        tracing::error!(error = %e, "group commit failed");
    }
}

impl Drop for Membership {
    /// A command that ends without committing (an error, a refusal) has already dropped its
    /// savepoint, whose rollback runs first on the connection. The batch stays open for the
    /// members that released into it (their closers commit it); an empty one is rolled back.
    fn drop(&mut self) {
        if let Some(mut guard) = self.guard.take()
            && guard.as_ref().is_some_and(|batch| batch.released == 0)
        {
            guard.take();
        }
    }
}
