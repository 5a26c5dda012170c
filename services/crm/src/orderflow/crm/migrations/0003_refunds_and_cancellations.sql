-- Lifetime value counts what the customer kept paying for: refunds are
-- subtracted and cancelled orders left out. A refund may arrive before its
-- order, so refunds are keyed by the platform's refund id, not joined by a
-- foreign key.
ALTER TABLE customer_orders ADD COLUMN cancelled boolean NOT NULL DEFAULT false;

CREATE TABLE order_refunds (
    shop_id text NOT NULL,
    refund_id text NOT NULL,
    order_id text NOT NULL,
    amount numeric NOT NULL,
    PRIMARY KEY (shop_id, refund_id)
);
CREATE INDEX order_refunds_by_order ON order_refunds (shop_id, order_id);

-- A cancellation may arrive before its order too.
CREATE TABLE order_cancellations (
    shop_id text NOT NULL,
    order_id text NOT NULL,
    PRIMARY KEY (shop_id, order_id)
);
