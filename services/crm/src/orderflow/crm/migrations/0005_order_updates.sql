-- An order's total and its customer follow `order.updated`, each as of the
-- time the platform stamped the change, so that an older update handled
-- late does not undo a newer one.
ALTER TABLE customer_orders
    ADD COLUMN total_as_of timestamptz,
    ADD COLUMN customer_as_of timestamptz;
UPDATE customer_orders SET total_as_of = placed_at, customer_as_of = placed_at;
ALTER TABLE customer_orders
    ALTER COLUMN total_as_of SET NOT NULL,
    ALTER COLUMN customer_as_of SET NOT NULL;

-- Orders crm keeps no customer for: the order named nobody, or its customer
-- was erased. Events about them change no customer, and an erased person is
-- not recorded again from an order delivered once more. Ids only.
CREATE TABLE orders_without_customer (
    shop_id text NOT NULL,
    order_id text NOT NULL,
    reason text NOT NULL CHECK (reason IN ('anonymous', 'erased')),
    PRIMARY KEY (shop_id, order_id)
);
