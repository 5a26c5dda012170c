-- Erasure. crm's `customer.erased.v1` names a customer by the hash of the
-- email address (`email_sha256` in the contracts) and by the platform's
-- customer id. Orders and waiting changes keep both, written with the row,
-- so that a customer's orders are found through an index, not by reading
-- every snapshot.
ALTER TABLE orders
    ADD COLUMN customer_email_sha256 text,
    ADD COLUMN platform_customer_id text;

ALTER TABLE pending_changes
    ADD COLUMN customer_email_sha256 text,
    ADD COLUMN platform_customer_id text;

-- The hash of the rows written before this migration, as `email_sha256`
-- computes it: the ICU collation lowers non-ASCII letters as Python does.
CREATE OR REPLACE FUNCTION pg_temp.email_sha256(email text) RETURNS text
    LANGUAGE sql IMMUTABLE
    RETURN encode(
        sha256(convert_to(lower(btrim(email) COLLATE "und-x-icu"), 'UTF8')), 'hex'
    );

UPDATE orders SET
    customer_email_sha256 = pg_temp.email_sha256(current #>> '{customer,email}'),
    platform_customer_id = current #>> '{customer,platform_customer_id}'
WHERE current #>> '{customer,email}' IS NOT NULL
    OR current #>> '{customer,platform_customer_id}' IS NOT NULL;

UPDATE pending_changes SET
    customer_email_sha256 = pg_temp.email_sha256(payload #>> '{customer,email}'),
    platform_customer_id = payload #>> '{customer,platform_customer_id}'
WHERE payload #>> '{customer,email}' IS NOT NULL
    OR payload #>> '{customer,platform_customer_id}' IS NOT NULL;

CREATE INDEX orders_customer_email ON orders (shop_id, customer_email_sha256)
    WHERE customer_email_sha256 IS NOT NULL;
CREATE INDEX orders_platform_customer ON orders (shop_id, platform_customer_id)
    WHERE platform_customer_id IS NOT NULL;
CREATE INDEX pending_changes_customer_email
    ON pending_changes (shop_id, customer_email_sha256)
    WHERE customer_email_sha256 IS NOT NULL;
CREATE INDEX pending_changes_platform_customer
    ON pending_changes (shop_id, platform_customer_id)
    WHERE platform_customer_id IS NOT NULL;

-- The events of an erased order are rewritten without the person; they are
-- found by the order's id, which is their correlation id.
CREATE INDEX outbox_correlation ON outbox (correlation_id);

-- Orders whose customer was erased (placed, or known by a change waiting
-- for them). A later delivery about one of them is stored without the
-- person: its raw body blank, its customer anonymous.
CREATE TABLE erased_orders (
    order_id uuid PRIMARY KEY,
    shop_id text NOT NULL,
    customer_id text NOT NULL,
    erased_at timestamptz NOT NULL DEFAULT now()
);
