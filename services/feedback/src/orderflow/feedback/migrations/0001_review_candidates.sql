-- Orders that may earn a review request: when their goods reached the
-- customer, and whether a cancellation or a refund rules the request out.
CREATE TABLE review_candidates (
    shop_id text NOT NULL,
    order_id text NOT NULL,
    fulfilled_at timestamptz,
    awaiting_delivery boolean NOT NULL DEFAULT false,
    delivered_at timestamptz,
    cancelled_at timestamptz,
    refunded_at timestamptz,
    PRIMARY KEY (shop_id, order_id)
);
