-- The same read as the server now makes it: a transaction scoped to the tenant (the policies then
-- apply: pgbench runs as the app role), one more statement, and the commit.
\set n random(1, 200)
BEGIN;
SELECT set_config('app.current_tenant', 'bench', true);
SELECT id, status, version FROM orders WHERE tenant_id = 'bench' AND number = 'ORD-' || lpad(:n::text, 6, '0');
COMMIT;
