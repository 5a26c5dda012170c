-- One row per customer of a shop, keyed by the normalised email address (or
-- the platform's customer id when there is no address). The profile columns
-- hold the latest values by order time; `profile_as_of` is that time.
CREATE TABLE customers (
    customer_id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    shop_id text NOT NULL,
    identity_key text NOT NULL,
    email text,
    platform_customer_id text,
    first_name text,
    last_name text,
    company text,
    vat_id text,
    phone text,
    locale text,
    marketing_consent boolean,
    profile_as_of timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (shop_id, identity_key)
);

-- The order history; lifetime value is the sum of totals per currency.
CREATE TABLE customer_orders (
    shop_id text NOT NULL,
    order_id text NOT NULL,
    customer_id text NOT NULL REFERENCES customers ON DELETE CASCADE,
    order_number text NOT NULL,
    placed_at timestamptz NOT NULL,
    currency text NOT NULL,
    total numeric NOT NULL,
    PRIMARY KEY (shop_id, order_id)
);
CREATE INDEX customer_orders_by_customer ON customer_orders (customer_id);

-- One confirmation email per order, rendered once and sent as stored, so a
-- retry sends the same bytes with the same Message-ID.
CREATE TABLE order_confirmations (
    shop_id text NOT NULL,
    order_id text NOT NULL,
    customer_id text NOT NULL REFERENCES customers ON DELETE CASCADE,
    message_id text NOT NULL UNIQUE,
    message bytea NOT NULL,
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sent', 'rejected')),
    failure text,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    PRIMARY KEY (shop_id, order_id)
);

-- The id each external CRM gave the customer, so later syncs update it.
CREATE TABLE crm_links (
    customer_id text NOT NULL REFERENCES customers ON DELETE CASCADE,
    crm text NOT NULL,
    external_id text NOT NULL,
    synced_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, crm)
);
