//! PostgreSQL row-level security: the second wall behind every query's own `tenant_id` filter.
//!
//! Every table with a `tenant_id` column has RLS enabled and forced (so the tables' owner is
//! held to it too) and one policy, `tenant_isolation`, that admits a row when its tenant is the
//! transaction's `app.current_tenant`, or when the transaction runs in the platform scope
//! (`app.platform = 'on'`, see `scope`). Without either setting no row is visible or writable.
//!
//! A superuser, or a role with `BYPASSRLS`, ignores every policy, forced or not. So the server
//! never queries as one: each pooled connection of such a user switches to `APP_ROLE` (no
//! superuser, no `BYPASSRLS`, no login) as it opens. Migrations run on a connection of their
//! own, as the URL's user, which owns the tables; `APP_ROLE` gets the row privileges only.
//!
//! Why a setting for the platform scope rather than SECURITY DEFINER functions: the platform
//! paths are ordinary sea-orm queries (the relay's `FOR UPDATE SKIP LOCKED` batch, the
//! dispatcher's claim); functions would move them into PL/pgSQL, kept twice (SQLite runs the same
//! queries) and out of reach of the query builder. The setting guards against the mistake RLS is
//! for (a query that forgot its tenant filter in a tenant's transaction) and is confined to the
//! call sites that write `Scope::Platform`; like `app.current_tenant`, it is no defence against
//! SQL injection, which bind parameters are.

use sea_orm::{ConnectionTrait, DbErr};

/// The role the server's queries run under when its URL names a privileged user. Roles belong
/// to the cluster, not to a schema: deployments sharing one PostgreSQL share this role, and each
/// schema grants it its own tables.
pub(super) const APP_ROLE: &str = "tenant_oms_app";

/// The policy on every tenant table.
const POLICY: &str = "tenant_isolation";

/// Who may see a row: the transaction's tenant (an empty setting is none: a custom setting
/// reads back as '' once a transaction that set it has ended), or the platform scope.
const PREDICATE: &str = "tenant_id = NULLIF(current_setting('app.current_tenant', true), '') \
                         OR current_setting('app.platform', true) = 'on'";

/// Creates `APP_ROLE` when the connected user is privileged and the role is missing (another
/// instance may create it at the same moment: that is not an error). A `BYPASSRLS` user that is
/// not a superuser must also be a member of the role to `SET ROLE` to it.
pub(super) fn ensure_role_sql() -> String {
    format!(
        "DO $$
        BEGIN
          IF (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = session_user) THEN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
              BEGIN
                CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
              EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
              END;
            END IF;
            IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = session_user)
               AND NOT pg_has_role(session_user, '{APP_ROLE}', 'MEMBER') THEN
              EXECUTE format('GRANT {APP_ROLE} TO %I', session_user);
            END IF;
          END IF;
        END $$"
    )
}

/// Run on every new pooled connection: a privileged user becomes `APP_ROLE` for the whole
/// session (a plain `SET`, not `SET LOCAL`). Fails, and so fails the connection, when the role
/// does not exist: the server then refuses to work rather than work past the policies.
pub(super) fn enter_app_role_sql() -> String {
    format!(
        "DO $$
        BEGIN
          IF (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = session_user) THEN
            SET ROLE {APP_ROLE};
          END IF;
        END $$"
    )
}

/// Grants `APP_ROLE` the rows of the current schema and puts every table with a `tenant_id`
/// under the policy. Idempotent and cheap once done: only tables missing a grant, RLS, FORCE or
/// the policy are touched (a GRANT or ALTER on a table another instance is using would take
/// its lock for nothing). Run by the migration that introduced RLS and again after every
/// `migrate`, so a table a later migration adds is covered without anyone remembering to.
pub(super) async fn secure_schema(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    // Inside the quoted argument of `format(...)`.
    let predicate = PREDICATE.replace('\'', "''");
    let sql = format!(
        "DO $$
        DECLARE t text;
        BEGIN
          IF NOT has_schema_privilege('{APP_ROLE}', current_schema(), 'USAGE') THEN
            EXECUTE format('GRANT USAGE ON SCHEMA %I TO {APP_ROLE}', current_schema());
          END IF;
          FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
                     AND c.relname <> 'seaql_migrations'
                     AND NOT has_table_privilege('{APP_ROLE}', c.oid, 'SELECT, INSERT, UPDATE, DELETE')
          LOOP
            EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO {APP_ROLE}', t);
          END LOOP;
          FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = current_schema()
                     -- CASE: the planner may test the privilege before the kind otherwise.
                     AND CASE WHEN c.relkind = 'S' THEN NOT has_sequence_privilege('{APP_ROLE}', c.oid, 'USAGE')
                              ELSE false END
          LOOP
            EXECUTE format('GRANT USAGE, SELECT, UPDATE ON SEQUENCE %I TO {APP_ROLE}', t);
          END LOOP;
          FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
                   WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
                     AND (NOT c.relrowsecurity OR NOT c.relforcerowsecurity OR NOT EXISTS (
                       SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = '{POLICY}'))
          LOOP
            EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
            EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
            EXECUTE format('DROP POLICY IF EXISTS {POLICY} ON %I', t);
            EXECUTE format('CREATE POLICY {POLICY} ON %I USING ({predicate}) WITH CHECK ({predicate})', t);
          END LOOP;
        END $$"
    );
    db.execute_unprepared(&sql).await?;
    Ok(())
}

/// The migration's `down`: policies dropped and RLS off on every table of the schema that has
/// the policy. The role and its grants stay (other schemas may use the role).
pub(super) const UNSECURE_SCHEMA: &str = "DO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_policy p ON p.polrelid = c.oid AND p.polname = 'tenant_isolation'
           WHERE n.nspname = current_schema()
  LOOP
    EXECUTE format('DROP POLICY tenant_isolation ON %I', t);
    EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', t);
  END LOOP;
END $$";
