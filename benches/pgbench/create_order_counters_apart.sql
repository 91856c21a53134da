-- The createOrder of create_order_counters_last.sql as the server runs it since the counters
-- moved out of the order's transaction (infrastructure/src/persistence/order_counting.rs): first
-- the two counter upserts as one statement in a transaction of their own, committed without
-- waiting for the disk (the server sets its tenant scope in the same statement; pgbench runs as
-- the tables' owner, whom row-level security does not hold, so only synchronous_commit is set
-- here), then the order's transaction, which locks no counter row and ends by numbering the
-- order (the server sends that UPDATE with its outbox and audit writes as one statement).
-- A statement's data-modifying WITH parts run whether or not the query reads them; the SELECT
-- reads `s` anyway so that the setting is made before the commit in every plan.
-- Same ids and values as the other scripts; see create_order_counters_first.sql for the notes on
-- pgbench variables.
\set a random(1, 4611686018427387903)
WITH s AS (SELECT set_config('synchronous_commit', 'off', true) AS off),
month AS (
  INSERT INTO tenant_counters AS c (tenant_id, name, value)
    VALUES ('bench', 'orders' || chr(58) || to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM'), 1)
    ON CONFLICT (tenant_id, name) DO UPDATE SET value = c.value + 1 RETURNING c.value),
number AS (
  INSERT INTO tenant_counters AS c (tenant_id, name, value) SELECT 'bench', 'order_number', 1 FROM month
    ON CONFLICT (tenant_id, name) DO UPDATE SET value = c.value + 1 RETURNING c.value)
SELECT (SELECT value FROM number) AS number, (SELECT value FROM month) AS used, (SELECT off FROM s) AS off
\gset
BEGIN;
SELECT id, tenant_id, number, external_ref, customer_id, customer_name, customer_email, shipping_address,
       currency, status, version, created_at, updated_at, review, cancellation_reason
  FROM orders WHERE tenant_id = 'bench' AND external_ref = 'pgbench-' || :a LIMIT 1;
INSERT INTO orders (id, tenant_id, number, external_ref, customer_id, customer_name, customer_email, shipping_address,
                    currency, status, version, created_at, updated_at, review, cancellation_reason)
  VALUES (md5('o' || :a)::uuid::text, 'bench', 'pending-' || md5('o' || :a), 'pgbench-' || :a, NULL,
          'Bench Buyer', 'bench@example.com', NULL, 'USD', 'CONFIRMED', 1, now(), now(), NULL, NULL)
  ON CONFLICT DO NOTHING;
INSERT INTO order_lines (tenant_id, order_id, position, sku, vendor_id, name, quantity, unit_price_minor, weight_kg)
  VALUES ('bench', md5('o' || :a)::uuid::text, 0, 'SKU-1', 'v1', 'Item', 2, 999, NULL),
         ('bench', md5('o' || :a)::uuid::text, 1, 'SKU-2', 'v1', 'Item 2', 1, 450, NULL);
INSERT INTO journal_entries (id, tenant_id, order_id, kind, idempotency_key, reference, method, occurred_at)
  VALUES (md5('e' || :a)::uuid::text, 'bench', md5('o' || :a)::uuid::text, 'ORDER_CONFIRMED',
          'order:' || md5('o' || :a)::uuid::text || ':' || 'confirmed', NULL, NULL, now())
  ON CONFLICT DO NOTHING;
INSERT INTO journal_postings (entry_id, position, tenant_id, order_id, account, side, amount_minor, currency)
  VALUES (md5('e' || :a)::uuid::text, 0, 'bench', md5('o' || :a)::uuid::text,
          'receivable:' || md5('o' || :a)::uuid::text, 'DEBIT', 2448, 'USD'),
         (md5('e' || :a)::uuid::text, 1, 'bench', md5('o' || :a)::uuid::text, 'revenue', 'CREDIT', 2448, 'USD');
INSERT INTO outbox_events (id, tenant_id, event_type, aggregate_id, aggregate_version, occurred_at, payload, published_at)
  SELECT id, 'bench', type, md5('o' || :a)::uuid::text, 1, now(),
         jsonb_build_object('aggregateId', md5('o' || :a)::uuid, 'aggregateVersion', 1,
                            'data', jsonb_build_object('orderId', md5('o' || :a)::uuid, 'orderNumber', 'pending-' || md5('o' || :a),
                                                       'orderStatus', 'CONFIRMED'),
                            'id', id, 'occurredAt', now(), 'tenantId', 'bench', 'type', type)::text,
         NULL
    FROM (VALUES (gen_random_uuid()::text, 'order.created'), (gen_random_uuid()::text, 'order.confirmed')) AS e (id, type);
INSERT INTO audit_log (id, tenant_id, actor, action, order_id, target_ids, input, outcome, request_id, occurred_at)
  VALUES (gen_random_uuid()::text, 'bench', 'bench', 'createOrder', md5('o' || :a)::uuid::text,
          jsonb_build_array(md5('o' || :a)::uuid)::text,
          jsonb_build_object(
            'customer', jsonb_build_object('customerId', NULL, 'email', 'bench@example.com', 'name', 'Bench Buyer'),
            'externalRef', 'pgbench-' || :a,
            'lines', jsonb_build_array(
              jsonb_build_object('name', 'Item', 'quantity', 2, 'sku', 'SKU-1', 'unitPrice',
                                 jsonb_build_object('amount', '9.99', 'currency', 'USD'), 'vendorId', 'v1', 'weightKg', NULL),
              jsonb_build_object('name', 'Item 2', 'quantity', 1, 'sku', 'SKU-2', 'unitPrice',
                                 jsonb_build_object('amount', '4.50', 'currency', 'USD'), 'vendorId', 'v1', 'weightKg', NULL)),
            'shippingAddress', NULL)::text,
          'ok', gen_random_uuid()::text, now());
UPDATE orders SET number = 'ORD-' || lpad(:number::text, greatest(6, length(:number::text)), '0')
  WHERE tenant_id = 'bench' AND id = md5('o' || :a)::uuid::text;
COMMIT;
