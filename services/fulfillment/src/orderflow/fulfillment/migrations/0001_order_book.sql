-- What fulfillment knows of each order before it delivers anything: which
-- lines are digital or physical, where physical goods go, whether the order
-- is paid or cancelled. No names or addresses: delivery reads them from the
-- order's event when it runs.
CREATE TABLE order_book (
    shop_id text NOT NULL,
    order_id text NOT NULL,
    order_number text NOT NULL,
    digital_lines integer NOT NULL,
    physical_lines integer NOT NULL,
    destination_country text,
    customer_email_sha256 text,
    placed_at timestamptz NOT NULL,
    paid_at timestamptz,
    cancelled_at timestamptz,
    PRIMARY KEY (shop_id, order_id)
);

CREATE INDEX order_book_customer ON order_book (customer_email_sha256);
