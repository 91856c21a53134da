//! Issue 12: row-level security on PostgreSQL. Every table with a `tenant_id` gets RLS enabled
//! and forced, with the `tenant_isolation` policy, and the unprivileged role the server's
//! queries run under gets the rows of this schema (see `persistence::row_security`). SQLite has
//! no row-level security: nothing to do there.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

use crate::persistence::row_security;

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        row_security::secure_schema(manager.get_connection()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        manager.get_connection().execute_unprepared(row_security::UNSECURE_SCHEMA).await?;
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
