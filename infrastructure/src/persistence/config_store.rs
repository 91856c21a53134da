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
            strip_superseded(&tx, write.kind, &write.key, version.version).await?;
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

/// Only the latest version of a document holds its (sealed) secrets: the versions it supersedes
/// lose theirs in the transaction that supersedes them, so a rotated secret leaves no copy in
/// the history, sealed or not. After the first edit there is at most one such version: the one
/// just superseded.
async fn strip_superseded(
    tx: &DatabaseTransaction,
    kind: ConfigKind,
    key: &str,
    latest: i64,
) -> Result<(), StoreError> {
    use config_versions::Column as C;
    let holding = config_versions::Entity::find()
        .filter(C::Kind.eq(kind.as_str()))
        .filter(C::Key.eq(key))
        .filter(C::Version.lt(latest))
        .filter(C::Document.contains(format!("\"{}\"", crate::secrets::SEALED_FIELD)))
        .all(tx)
        .await
        .map_err(store_error)?;
    for row in holding {
        let mut document: serde_json::Value = serde_json::from_str(&row.document)
            .map_err(|e| StoreError::Internal(format!("stored config document is not JSON: {e}")))?;
        if crate::secrets::strip_sealed(&mut document) {
            rewrite_document(tx, &row, &document).await?;
        }
    }
    Ok(())
}

/// Replaces one stored version's document in place (the version, its time and its summary stay).
pub(super) async fn rewrite_document(
    tx: &DatabaseTransaction,
    row: &config_versions::Model,
    document: &serde_json::Value,
) -> Result<(), StoreError> {
    use config_versions::Column as C;
    let text = serde_json::to_string(document).map_err(|e| StoreError::Internal(e.to_string()))?;
    config_versions::Entity::update_many()
        .col_expr(C::Document, Expr::value(text))
        .filter(C::Kind.eq(row.kind.as_str()))
        .filter(C::Key.eq(row.key.as_str()))
        .filter(C::Version.eq(row.version))
        .exec(tx)
        .await
        .map_err(store_error)?;
    Ok(())
}

/// Every stored config document, each version passed to `rewrite` (with whether it is its
/// document's latest); a `Some` answer replaces the stored document. One transaction, queued
/// behind config writers like one of them (it takes the revision counter first), which it does
/// not advance: the documents mean what they meant. Returns how many versions were rewritten.
pub(super) async fn rewrite_all(
    writer: &DatabaseConnection,
    mut rewrite: impl FnMut(ConfigKind, &str, bool, &serde_json::Value) -> Result<Option<serde_json::Value>, String>,
) -> Result<u64, StoreError> {
    use config_versions::Column as C;
    let tx = begin_write(writer, Scope::Platform).await?;
    take_revisions(&tx, 0).await?;
    let rows = config_versions::Entity::find()
        .order_by_asc(C::Kind)
        .order_by_asc(C::Key)
        .order_by_desc(C::Version)
        .all(&tx)
        .await
        .map_err(store_error)?;
    let mut rewritten = 0;
    let mut previous: Option<(String, String)> = None;
    for row in rows {
        // Newest first within a document: the first row of each (kind, key) is its latest.
        let latest = previous.as_ref().is_none_or(|(kind, key)| *kind != row.kind || *key != row.key);
        previous = Some((row.kind.clone(), row.key.clone()));
        let kind = ConfigKind::parse(&row.kind)
            .ok_or_else(|| StoreError::Internal(format!("unknown config kind '{}'", row.kind)))?;
        let document: serde_json::Value = serde_json::from_str(&row.document)
            .map_err(|e| StoreError::Internal(format!("stored config document is not JSON: {e}")))?;
        let replacement = rewrite(kind, &row.key, latest, &document)
            .map_err(|e| StoreError::Internal(format!("{} {} version {}: {e}", row.kind, row.key, row.version)))?;
        if let Some(replacement) = replacement {
            rewrite_document(&tx, &row, &replacement).await?;
            rewritten += 1;
        }
    }
    tx.commit().await.map_err(store_error)?;
    Ok(rewritten)
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
