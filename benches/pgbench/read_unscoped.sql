-- One order looked up by its number, autocommit, as a connection that RLS does not apply to:
-- what a read cost before issue 12.
\set n random(1, 200)
SELECT id, status, version FROM orders WHERE tenant_id = 'bench' AND number = 'ORD-' || lpad(:n::text, 6, '0');
