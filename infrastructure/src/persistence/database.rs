//! The entry points the composition root uses: connect (the URL picks SQLite or PostgreSQL),
//! migrate, then hand out the `OrderStore`, the `AuditLog` and the `ConfigStore`.

use std::sync::Arc;

use application::ports::{
    AuditLog, ConfigStore, OrderStore, OutboxReader, OutboxRelayStore, StoreError, WebhookDeliveries,
};
use sea_orm::DatabaseConnection;

use crate::secrets::{SealedConfigStore, SecretBox};
use sea_orm_migration::MigratorTrait;

use super::{
    audit_store::SeaAuditLog,
    config_store::SeaConfigStore,
    errors::store_error,
    group_commit::GroupCommit,
    migrations::Migrator,
    order_counting::Counting,
    order_store::{SeaOrderStore, end_read},
    outbox_reader::SeaOutboxReader,
    outbox_relay::SeaOutboxRelay,
    postgres,
    scope::{Scope, begin_read},
    sqlite,
    webhook_store::SeaWebhookDeliveries,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Backend {
    Sqlite,
    Postgres,
}

/// The database of one process: a read pool and a write pool (the same pool on PostgreSQL).
#[derive(Clone)]
pub struct Database {
    pub(super) backend: Backend,
    pub(super) reader: DatabaseConnection,
    pub(super) writer: DatabaseConnection,
    /// Held by every handle (stores included); background work stops once the last one is gone.
    pub(super) alive: Arc<()>,
    /// SQLite: the writer's group commit, one per database so that every store shares it.
    pub(super) group: Option<Arc<GroupCommit>>,
    /// Wakes this process's background workers when a commit gave them work.
    pub(super) signals: Arc<Signals>,
    /// PostgreSQL: where migrations connect, as the URL's own user.
    pub(super) admin: Option<Arc<postgres::Admin>>,
    /// The deployment's key for stored secrets (`with_secrets`): the config store seals the
    /// secrets it writes and opens those it reads.
    pub(super) secrets: Option<Arc<SecretBox>>,
    /// PostgreSQL: a small pool of its own for the background workers (`for_background_work`).
    pub(super) background: Option<DatabaseConnection>,
    /// PostgreSQL: where new orders are numbered and counted, outside their transactions.
    pub(super) counting: Option<Counting>,
}

/// In-process wake-ups: a worker waits on one of these or its poll interval, whichever comes
/// first, so new work is picked up at once without polling the database in a tight loop.
#[derive(Debug, Default)]
pub struct Signals {
    /// A transaction that appended outbox events committed.
    pub outbox: tokio::sync::Notify,
    /// Webhook deliveries were scheduled or made due again.
    pub deliveries: tokio::sync::Notify,
}

impl std::fmt::Debug for Database {
    // The pools' own Debug output may include connection options; the backend is all that is safe.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("backend", &self.backend_name()).finish_non_exhaustive()
    }
}

/// When SQLite counts a commit as done. PostgreSQL ignores it: its commits follow the server's
/// `synchronous_commit`, durable unless an operator turned that off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous=FULL`: every commit is flushed to disk before it is acknowledged, so an
    /// acknowledged payment survives a power cut. For serving.
    Full,
    /// `synchronous=NORMAL`: in WAL mode a power cut may lose the last commits (never corrupt
    /// the file), for fewer flushes. For tests and the demo.
    #[default]
    Normal,
}

impl Database {
    /// `sqlite://path?mode=rwc`, `sqlite::memory:` or `postgres://...`, with `Durability::Normal`.
    pub async fn connect(url: &str) -> Result<Database, StoreError> {
        Self::connect_with(url, Durability::Normal).await
    }

    /// `connect` with `Durability::Full`: what a serving process uses.
    pub async fn connect_durable(url: &str) -> Result<Database, StoreError> {
        Self::connect_with(url, Durability::Full).await
    }

    pub async fn connect_with(url: &str, durability: Durability) -> Result<Database, StoreError> {
        match backend_of(url)? {
            Backend::Sqlite => sqlite::connect(url, durability).await,
            Backend::Postgres => postgres::connect(url, None).await,
        }
    }

    /// PostgreSQL only: every connection works in `schema` (created if missing), so tests can
    /// each have a fresh, isolated schema in one database.
    pub async fn connect_in_schema(url: &str, schema: &str) -> Result<Database, StoreError> {
        if backend_of(url)? != Backend::Postgres {
            return Err(StoreError::Internal("schemas are only supported on PostgreSQL".to_owned()));
        }
        postgres::connect(url, Some(schema)).await
    }

    /// Applies the migrations not yet applied; running it again changes nothing.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => Migrator::up(&self.writer, None).await.map_err(store_error),
            Backend::Postgres => match &self.admin {
                Some(admin) => postgres::migrate(admin).await,
                None => Err(StoreError::Internal("this PostgreSQL handle cannot migrate".to_owned())),
            },
        }
    }

    pub fn order_store(&self) -> Arc<dyn OrderStore> {
        Arc::new(SeaOrderStore {
            reader: self.reader.clone(),
            writer: self.writer.clone(),
            group: self.group.clone(),
            counting: self.counting.clone(),
            signals: self.signals.clone(),
            _alive: self.alive.clone(),
        })
    }

    /// The wake-ups of this process's workers (the relay, the webhook dispatcher).
    pub fn signals(&self) -> Arc<Signals> {
        self.signals.clone()
    }

    /// The outbox as the relay reads it.
    pub fn outbox_relay(&self) -> Arc<dyn OutboxRelayStore> {
        Arc::new(SeaOutboxRelay {
            postgres: self.backend == Backend::Postgres,
            reader: self.reader.clone(),
            writer: self.writer.clone(),
            _alive: self.alive.clone(),
        })
    }

    /// The outbox read back: order timelines and the tenant's pull feed (read pool only).
    pub fn outbox_reader(&self) -> Arc<dyn OutboxReader> {
        Arc::new(SeaOutboxReader {
            postgres: self.backend == Backend::Postgres,
            reader: self.reader.clone(),
            _alive: self.alive.clone(),
        })
    }

    /// Outbound webhook deliveries and attempts.
    pub fn webhook_deliveries(&self) -> Arc<dyn WebhookDeliveries> {
        Arc::new(SeaWebhookDeliveries {
            postgres: self.backend == Backend::Postgres,
            reader: self.reader.clone(),
            writer: self.writer.clone(),
            signals: self.signals.clone(),
            claim_cursor: Default::default(),
            _alive: self.alive.clone(),
        })
    }

    /// Reads on the read pool; `record` writes on the write pool, like the order store's writes.
    pub fn audit_log(&self) -> Arc<dyn AuditLog> {
        Arc::new(SeaAuditLog { reader: self.reader.clone(), writer: self.writer.clone(), _alive: self.alive.clone() })
    }

    /// Versioned configuration documents: reads on the read pool, writes on the write pool.
    /// With `with_secrets`, secrets are sealed in storage and plain text to the caller; without
    /// (tests of the store itself), documents are stored as given. `serve` refuses to run
    /// without.
    pub fn config_store(&self) -> Arc<dyn ConfigStore> {
        let store: Arc<dyn ConfigStore> = Arc::new(SeaConfigStore {
            reader: self.reader.clone(),
            writer: self.writer.clone(),
            _alive: self.alive.clone(),
        });
        match &self.secrets {
            Some(secrets) => Arc::new(SealedConfigStore::new(store, secrets.clone())),
            None => store,
        }
    }

    /// This handle's config store seals secrets under `secrets` from now on.
    pub fn with_secrets(mut self, secrets: Arc<SecretBox>) -> Self {
        self.secrets = Some(secrets);
        self
    }

    /// The handle the background workers (outbox relay, webhook fan-out and dispatcher, config
    /// poll) work through. On PostgreSQL its pool is theirs alone: requests queueing for the
    /// request pool under a burst would otherwise hold every worker's next statement behind
    /// them, so events stall exactly when orders pour in. SQLite's one writer is shared by
    /// nature; there this is the same handle.
    pub fn for_background_work(&self) -> Database {
        match &self.background {
            Some(pool) => Database { reader: pool.clone(), writer: pool.clone(), ..self.clone() },
            None => self.clone(),
        }
    }

    /// Whether `with_secrets` gave this handle a key.
    pub fn seals_secrets(&self) -> bool {
        self.secrets.is_some()
    }

    /// Rewrites stored config documents in place, in one transaction: `rewrite` sees every
    /// version (and whether it is its document's latest) and answers a replacement or `None`.
    /// For re-sealing secrets (`secrets::reseal_stored`); no new version, no new revision.
    pub async fn rewrite_config_documents(
        &self,
        rewrite: impl FnMut(
            application::ports::ConfigKind,
            &str,
            bool,
            &serde_json::Value,
        ) -> Result<Option<serde_json::Value>, String>,
    ) -> Result<u64, StoreError> {
        super::config_store::rewrite_all(&self.writer, rewrite).await
    }

    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// Bytes the data occupies: the pages of the SQLite file (the WAL aside), or every relation
    /// of the connection's schema on PostgreSQL. For operators and for tests that bound growth.
    pub async fn storage_bytes(&self) -> Result<u64, StoreError> {
        use sea_orm::{ConnectionTrait, Statement};
        let sql = match self.backend {
            Backend::Sqlite => "SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()",
            Backend::Postgres => {
                "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint AS bytes FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'm')"
            }
        };
        let backend = self.reader.get_database_backend();
        let row = self
            .reader
            .query_one_raw(Statement::from_string(backend, sql))
            .await
            .map_err(store_error)?
            .ok_or_else(|| StoreError::Internal("the size query returned no row".to_owned()))?;
        let bytes: i64 = row.try_get("", "bytes").map_err(store_error)?;
        Ok(u64::try_from(bytes).unwrap_or(0))
    }

    /// The types of the outbox events stored for one aggregate of a tenant, oldest first: for
    /// tests and operators that check what an order emitted without going through the API
    /// (which serves it as `Order.events`).
    pub async fn outbox_event_types(&self, tenant: &str, aggregate_id: &str) -> Result<Vec<String>, StoreError> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

        use super::entities::outbox_events;
        let tx = begin_read(&self.reader, Scope::Tenant(tenant)).await?;
        let rows = outbox_events::Entity::find()
            .filter(outbox_events::Column::TenantId.eq(tenant))
            .filter(outbox_events::Column::AggregateId.eq(aggregate_id))
            .order_by_asc(outbox_events::Column::AggregateVersion)
            .order_by_asc(outbox_events::Column::Id)
            .all(&tx)
            .await
            .map_err(store_error)?;
        end_read(tx, rows.into_iter().map(|row| row.event_type).collect()).await
    }

    /// How many outbox events wait for the relay (served by the partial index of unpublished
    /// events): the relay's backlog, for operators and for tests that need it drained.
    pub async fn outbox_backlog(&self) -> Result<u64, StoreError> {
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

        use super::entities::outbox_events;
        // Platform: the backlog of every tenant.
        let tx = begin_read(&self.reader, Scope::Platform).await?;
        let backlog =
            outbox_events::Entity::find().filter(outbox_events::Column::PublishedAt.is_null()).count(&tx).await;
        end_read(tx, backlog.map_err(store_error)?).await
    }

    /// Tests: a connection as the URL's own user (on PostgreSQL the tables' owner, not held to
    /// row-level security when a superuser), for DDL and for writing around the stores.
    #[cfg(test)]
    pub(super) async fn owner_connection(&self) -> DatabaseConnection {
        match &self.admin {
            Some(admin) => postgres::owner_connection(admin).await.expect("an owner connection"),
            None => self.writer.clone(),
        }
    }

    /// The oldest event still waiting for the relay, when it occurred: how far behind the relay
    /// is (none waiting is `None`).
    pub async fn outbox_oldest_pending(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

        use super::entities::outbox_events;
        // Every tenant's events: the platform scope.
        let tx = begin_read(&self.reader, Scope::Platform).await?;
        let oldest: Option<chrono::DateTime<chrono::Utc>> = outbox_events::Entity::find()
            .select_only()
            .column(outbox_events::Column::OccurredAt)
            .filter(outbox_events::Column::PublishedAt.is_null())
            .order_by_asc(outbox_events::Column::OccurredAt)
            .into_tuple()
            .one(&tx)
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(oldest)
    }

    /// Connections of each pool, for `/metrics`: the requests' pool and the background workers'
    /// on PostgreSQL, a reader and a writer on SQLite.
    pub fn pool_usage(&self) -> Vec<PoolUsage> {
        match self.backend {
            Backend::Postgres => [
                ("main", Some(&self.writer)),
                ("background", self.background.as_ref()),
                ("counting", self.counting.as_ref().map(Counting::pool)),
            ]
            .into_iter()
            .filter_map(|(name, connection)| {
                let pool = connection?.get_postgres_connection_pool();
                Some(PoolUsage::of(name, pool.size(), pool.num_idle(), pool.options().get_max_connections()))
            })
            .collect(),
            Backend::Sqlite => [("reader", &self.reader), ("writer", &self.writer)]
                .into_iter()
                .map(|(name, connection)| {
                    let pool = connection.get_sqlite_connection_pool();
                    PoolUsage::of(name, pool.size(), pool.num_idle(), pool.options().get_max_connections())
                })
                .collect(),
        }
    }

    /// Closes the pools; on SQLite the last connection to close checkpoints the WAL.
    pub async fn close(&self) -> Result<(), StoreError> {
        if let Some(background) = &self.background {
            background.close_by_ref().await.map_err(store_error)?;
        }
        if let Some(counting) = &self.counting {
            counting.pool().close_by_ref().await.map_err(store_error)?;
        }
        self.reader.close_by_ref().await.map_err(store_error)?;
        self.writer.close_by_ref().await.map_err(store_error)
    }
}

/// One connection pool's use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    pub pool: &'static str,
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

impl PoolUsage {
    fn of(pool: &'static str, open: u32, idle: usize, max: u32) -> Self {
        Self { pool, open, idle: u32::try_from(idle).unwrap_or(u32::MAX), max }
    }

    pub fn in_use(&self) -> u32 {
        self.open.saturating_sub(self.idle)
    }
}

fn backend_of(url: &str) -> Result<Backend, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        // The URL itself stays out of the message: it may carry a password.
        Err(StoreError::Internal("database URL must start with sqlite: or postgres://".to_owned()))
    }
}
