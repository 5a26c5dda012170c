-- Every delivery taken from a platform, raw, and what it did. A delivery id
-- is stored once, so a retried delivery is recognised however late it comes.
CREATE TABLE deliveries (
    platform text NOT NULL,
    delivery_id text NOT NULL,
    topic text NOT NULL,
    shop_id text NOT NULL,
    platform_order_id text NOT NULL,
    order_id uuid NOT NULL,
    outcome text NOT NULL,
    body bytea NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (platform, delivery_id)
);

CREATE INDEX deliveries_order ON deliveries (order_id);

-- One row per real order. `current` is the order as an order.placed payload
-- with every update applied; `updated_at` is the platform's stamp of the last
-- update applied, so that an older one arriving late is recognised as stale.
CREATE TABLE orders (
    order_id uuid PRIMARY KEY,
    shop_id text NOT NULL,
    platform_order_id text NOT NULL,
    status text NOT NULL,
    refunded numeric NOT NULL DEFAULT 0,
    refund_ids text[] NOT NULL DEFAULT '{}',
    updated_at timestamptz,
    current jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    modified_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (shop_id, platform_order_id)
);

-- Changes that arrived before their order; applied, in the order of their
-- stamps, in the transaction that places the order.
CREATE TABLE pending_changes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id uuid NOT NULL,
    shop_id text NOT NULL,
    platform_order_id text NOT NULL,
    event_type text NOT NULL,
    stamp timestamptz NOT NULL,
    delivery_id text NOT NULL,
    payload jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX pending_changes_order ON pending_changes (order_id);
