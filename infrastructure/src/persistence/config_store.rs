//! The `ConfigStore` port: versioned configuration documents, appended in write transactions on
//! the write pool and read on the read pool.
//!
//! Every write takes the next store-wide revisions from a counter row first. The counter row is
//! the lock that serializes config writers on PostgreSQL (SQLite's single writer serializes
//! them anyway): a writer reads the latest versions only once it holds the counter, so what it
//! checks `expected_version` against stays true until it commits, and revisions become visible
//! in increasing order, so a poller that sees revision R has seen everything before it.

use application::ports::{
    AuditRecord, ConfigKind, ConfigSnapshot, ConfigStore, ConfigVersion, ConfigWrite, StoreError,
};
use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, ExprTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Statement,
    sea_query::{Expr, OnConflict},
};

use super::{
    entities::{audit_log, config_versions, tenant_counters},
    errors::store_error,
    mapping,
    scope::{Scope, begin_write},
};

/// The revision counter's row in `tenant_counters`: `TenantId` refuses the empty string, so no
/// tenant's counters can collide with it. The migration's `down` removes this row by value.
const REVISION_COUNTER_TENANT: &str = "";
const REVISION_COUNTER: &str = "config_revision";

/// Latest version of every document, in one statement: one snapshot on both backends. Neither
/// backend skips through an index on its own, so the recursion does: `kinds` and `docs` step from
/// one (kind, key) to the next by a seek into the primary key each, and the latest version of
/// each document is one more seek. The cost grows with the number of documents, not with their
/// history; a GROUP BY read every version ever written (an edit-happy tenant admin would slow
/// every instance's refresh). Comparisons stay on single columns: SQLite seeks a row-value
/// comparison by its first column only. Identifiers quoted: `key` is a keyword.
const LATEST_VERSIONS: &str = r#"WITH RECURSIVE
"kinds"("kind") AS (
    SELECT MIN("kind") FROM "config_versions"
    UNION ALL
    SELECT (SELECT MIN(n."kind") FROM "config_versions" AS n WHERE n."kind" > k."kind")
    FROM "kinds" AS k WHERE k."kind" IS NOT NULL
),
"docs"("kind", "key") AS (
    SELECT k."kind", (SELECT MIN(n."key") FROM "config_versions" AS n WHERE n."kind" = k."kind")
    FROM "kinds" AS k WHERE k."kind" IS NOT NULL
    UNION ALL
    SELECT d."kind", (SELECT MIN(n."key") FROM "config_versions" AS n WHERE n."kind" = d."kind" AND n."key" > d."key")
    FROM "docs" AS d WHERE d."key" IS NOT NULL
)
SELECT c."kind", c."key", c."version", c."document", c."changed_by", c."changed_at", c."summary", c."revision"
FROM "docs" AS d
JOIN "config_versions" AS c ON c."kind" = d."kind" AND c."key" = d."key" AND c."version" = (
    SELECT MAX(v."version") FROM "config_versions" AS v WHERE v."kind" = d."kind" AND v."key" = d."key"
)
ORDER BY c."kind", c."key""#;

pub(super) struct SeaConfigStore {
    pub(super) reader: DatabaseConnection,
    pub(super) writer: DatabaseConnection,
    /// Keeps the database's background work going while this store is in use.
    pub(super) _alive: std::sync::Arc<()>,
}

#[async_trait]
impl ConfigStore for SeaConfigStore {
    /// The newest revision belongs to a version nothing has superseded yet (a later change
    /// would have a later revision), so the latest versions carry the store revision with them.
    async fn current(&self) -> Result<ConfigSnapshot, StoreError> {
        let statement = Statement::from_string(self.reader.get_database_backend(), LATEST_VERSIONS);
        let rows =
            config_versions::Entity::find().from_raw_sql(statement).all(&self.reader).await.map_err(store_error)?;
        let documents = rows.into_iter().map(mapping::restore_config).collect::<Result<Vec<_>, _>>()?;
        let revision = documents.iter().map(|d| d.revision).max().unwrap_or(0);
        Ok(ConfigSnapshot { documents, revision })
    }

    /// MAX over the unique index on `revision`: one step to the index's end on both backends.
    async fn revision(&self) -> Result<i64, StoreError> {
        let latest = config_versions::Entity::find()
            .select_only()
            .column_as(config_versions::Column::Revision.max(), "revision")
            .into_tuple::<Option<i64>>()
            .one(&self.reader)
            .await
            .map_err(store_error)?;
        Ok(latest.flatten().unwrap_or(0))
    }

    async fn write(
        &self,
        writes: &[ConfigWrite],
        audit: Option<&AuditRecord>,
    ) -> Result<Vec<ConfigVersion>, StoreError> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        let count = i64::try_from(writes.len())
            .map_err(|_| StoreError::Internal(format!("{} config writes in one call", writes.len())))?;
        // Platform: the revision counter's row belongs to no tenant, and the audit record of a
        // provider's change may name any tenant. `config_versions` itself has no tenant column.
        let tx = begin_write(&self.writer, Scope::Platform).await?;
        let last_revision = take_revisions(&tx, count).await?;
        // Read once the revisions are ours, so times run in revision order (one clock allowing).
        // Both backends keep microseconds: what `write` returns is what later reads return.
        let changed_at = Utc::now().trunc_subsecs(6);
        let mut revision = last_revision - count;
        let mut stored = Vec::with_capacity(writes.len());
        // One by one, so a document written twice in one call gets two consecutive versions.
        // An early return drops `tx`, which rolls back everything, the revisions included.
        for write in writes {
            let latest = latest_version(&tx, write.kind, &write.key).await?;
            if let Some(expected) = write.expected_version
                && expected != latest
            {
                return Err(StoreError::Conflict(format!(
                    "{} {} is at version {latest}, not {expected}",
                    write.kind.as_str(),
                    write.key
                )));
            }
            revision += 1;
            let version = stored_version(write, latest + 1, revision, changed_at);
            config_versions::Entity::insert(mapping::config_row(&version)?.into_active_model())
                .exec_without_returning(&tx)
                .await
                .map_err(store_error)?;
            stored.push(version);
        }
        if let Some(record) = audit {
            audit_log::Entity::insert(mapping::audit_row(record)?.into_active_model())
                .exec_without_returning(&tx)
                .await
                .map_err(store_error)?;
        }
        tx.commit().await.map_err(store_error)?;
        Ok(stored)
    }

    async fn history(
        &self,
        kind: ConfigKind,
        key: &str,
        first: u64,
        before: Option<i64>,
    ) -> Result<Vec<ConfigVersion>, StoreError> {
        use config_versions::Column as C;
        if first == 0 {
            return Ok(Vec::new());
        }
        // PostgreSQL's LIMIT is a signed 64-bit number; nobody keeps more versions than that.
        let limit = std::cmp::min(first, i64::MAX.unsigned_abs());
        let rows = config_versions::Entity::find()
            .filter(C::Kind.eq(kind.as_str()))
            .filter(C::Key.eq(key))
            .apply_if(before, |q, before| q.filter(C::Version.lt(before)))
            .order_by_desc(C::Version)
            .limit(limit)
            .all(&self.reader)
            .await
            .map_err(store_error)?;
        rows.into_iter().map(mapping::restore_config).collect()
    }
}

/// Adds `count` to the revision counter and returns its new value: the caller owns the
/// `count` revisions up to it. The upsert takes the counter row's lock (PostgreSQL) until the
/// transaction ends, which queues every other config writer behind this one.
/// The increment is the proposed row's own value (`excluded`), not a second bind parameter:
/// `increment_counter` binds an int4 in otherwise identical SQL, and sqlx's PostgreSQL
/// statement cache, keyed by SQL text, would reuse one's parameter types for the other.
async fn take_revisions(tx: &DatabaseTransaction, count: i64) -> Result<i64, StoreError> {
    use tenant_counters::Column as T;
    let first = tenant_counters::Model {
        tenant_id: REVISION_COUNTER_TENANT.to_owned(),
        name: REVISION_COUNTER.to_owned(),
        value: count,
    };
    let counter = tenant_counters::Entity::insert(first.into_active_model())
        .on_conflict(
            OnConflict::columns([T::TenantId, T::Name])
                .value(T::Value, Expr::col((tenant_counters::Entity, T::Value)).add(Expr::col(("excluded", T::Value))))
                .to_owned(),
        )
        .exec_with_returning(tx)
        .await
        .map_err(store_error)?;
    Ok(counter.value)
}

/// The latest stored version of (kind, key), 0 when there is none: a primary-key lookup.
async fn latest_version(tx: &DatabaseTransaction, kind: ConfigKind, key: &str) -> Result<i64, StoreError> {
    use config_versions::Column as C;
    let latest = config_versions::Entity::find()
        .select_only()
        .column_as(C::Version.max(), "version")
        .filter(C::Kind.eq(kind.as_str()))
        .filter(C::Key.eq(key))
        .into_tuple::<Option<i64>>()
        .one(tx)
        .await
        .map_err(store_error)?;
    Ok(latest.flatten().unwrap_or(0))
}

fn stored_version(write: &ConfigWrite, version: i64, revision: i64, changed_at: DateTime<Utc>) -> ConfigVersion {
    ConfigVersion {
        kind: write.kind,
        key: write.key.clone(),
        version,
        document: write.document.clone(),
        changed_by: write.changed_by.clone(),
        changed_at,
        summary: write.summary.clone(),
        revision,
    }
}
