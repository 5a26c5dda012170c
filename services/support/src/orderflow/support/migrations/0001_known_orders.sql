-- The orders support can talk about when a customer writes in: found by the
-- hash of the customer's email address, never by the address itself.
CREATE TABLE known_orders (
    shop_id text NOT NULL,
    order_id text NOT NULL,
    order_number text NOT NULL,
    customer_email_sha256 text,
    placed_at timestamptz NOT NULL,
    total numeric(14, 2) NOT NULL,
    currency text NOT NULL,
    status text NOT NULL DEFAULT 'placed'
        CHECK (status IN ('placed', 'cancelled', 'refunded', 'partially_refunded')),
    PRIMARY KEY (shop_id, order_id)
);

CREATE INDEX known_orders_customer ON known_orders (customer_email_sha256);
