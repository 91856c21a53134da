-- One createOrder transaction, statement for statement as the server issues it on PostgreSQL
-- (captured with log_statement=all): the externalRef lookup, the two per-tenant counter upserts
-- (monthly quota, then order number), the order row, its 2 lines, the receivable's journal entry
-- and its 2 postings, the 2 outbox events (order.created, order.confirmed) and the audit record.
-- No idempotency key: the bench's createOrder sends none, so no idempotency_keys row is written.
--
-- Run against a schema made by the server's own migrations; `cargo bench --bench load` does it
-- (fresh schema, migrations, then pgbench -n -M prepared -c 16 -j 2 -T <s> -f <this file>).
-- Every transaction is tenant 'bench', so all of them queue on the same two counter rows, as the
-- bench's createOrder requests do. Here the counters come first, as the server took them before
-- issue 9: their row locks are held until COMMIT, through every insert after them.
--
-- Ids: md5 of a 62-bit random number, UUID-shaped text like the server's ids; 'o' and 'e' prefixes
-- give the order and its journal entry different ids from the same number.
-- pgbench turns every `:name` into a variable, inside string literals too, so no literal here has a
-- colon before a letter or digit: the JSON documents are built with jsonb_build_object (same keys and
-- values as the server's, other key order and spacing) and ':confirmed' is spelt ':' || 'confirmed'.
\set a random(1, 4611686018427387903)
BEGIN;
SELECT id, tenant_id, number, external_ref, customer_id, customer_name, customer_email, shipping_address,
       currency, status, version, created_at, updated_at, review, cancellation_reason
  FROM orders WHERE tenant_id = 'bench' AND external_ref = 'pgbench-' || :a LIMIT 1;
INSERT INTO tenant_counters (tenant_id, name, value)
  VALUES ('bench', 'orders:' || to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM'), 1)
  ON CONFLICT (tenant_id, name) DO UPDATE SET value = tenant_counters.value + 1
  RETURNING tenant_id, name, value;
INSERT INTO tenant_counters (tenant_id, name, value) VALUES ('bench', 'order_number', 1)
  ON CONFLICT (tenant_id, name) DO UPDATE SET value = tenant_counters.value + 1
  RETURNING value AS order_no \gset
INSERT INTO orders (id, tenant_id, number, external_ref, customer_id, customer_name, customer_email, shipping_address,
                    currency, status, version, created_at, updated_at, review, cancellation_reason)
  VALUES (md5('o' || :a)::uuid::text, 'bench',
          'ORD-' || lpad(:order_no::text, greatest(6, length(:order_no::text)), '0'), 'pgbench-' || :a, NULL,
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
                            'data', jsonb_build_object('orderId', md5('o' || :a)::uuid, 'orderNumber', 'ORD-' || lpad(:order_no::text, greatest(6, length(:order_no::text)), '0'),
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
COMMIT;
