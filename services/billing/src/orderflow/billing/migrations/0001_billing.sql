-- billing's copy of each order it bills: what order.placed said that an
-- invoice needs (customer, billing address, lines, totals), as JSON.
CREATE TABLE orders (
    shop_id text NOT NULL,
    order_id text NOT NULL,
    body jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop_id, order_id)
);

-- Products registered once per shop and SKU, with the provider's ids.
CREATE TABLE products (
    shop_id text NOT NULL,
    sku text NOT NULL,
    product_id uuid NOT NULL UNIQUE,
    title text NOT NULL,
    gateway_product_id text,
    gateway_price_id text,
    registered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop_id, sku)
);

-- One payment per order; its status follows from the facts beside it.
CREATE TABLE payments (
    payment_id uuid PRIMARY KEY,
    shop_id text NOT NULL,
    order_id text NOT NULL,
    amount numeric NOT NULL CHECK (amount >= 0),
    currency text NOT NULL,
    source text NOT NULL CHECK (source IN ('platform', 'stripe', 'bank_transfer')),
    reference text,
    payment_url text,
    checkout_session_id text UNIQUE,
    payment_intent_id text UNIQUE,
    captured numeric NOT NULL DEFAULT 0,
    refunded numeric NOT NULL DEFAULT 0,
    failed boolean NOT NULL DEFAULT false,
    status text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (shop_id, order_id)
);

-- Each refund once, by the platform's or the provider's id, with the lines
-- it names as [line id, quantity, gross amount] for its credit note.
CREATE TABLE refunds (
    refund_id text PRIMARY KEY,
    payment_id uuid NOT NULL REFERENCES payments (payment_id),
    amount numeric NOT NULL CHECK (amount > 0),
    full_refund boolean NOT NULL,
    lines jsonb NOT NULL DEFAULT '[]',
    shipping numeric NOT NULL DEFAULT 0,
    reason text,
    recorded_at timestamptz NOT NULL DEFAULT now()
);

-- Provider webhook events already applied.
CREATE TABLE gateway_events (
    event_id text PRIMARY KEY,
    event_type text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- The last number given in each series. The row is locked by the issuing
-- transaction until it ends, so a rolled-back document gives its number back.
CREATE TABLE document_counters (
    shop_id text NOT NULL,
    series text NOT NULL,
    last_position bigint NOT NULL CHECK (last_position > 0),
    PRIMARY KEY (shop_id, series)
);

-- Issued invoices and credit notes. `content` is the whole document as
-- printed; the PDF is drawn from it.
CREATE TABLE documents (
    document_id uuid PRIMARY KEY,
    shop_id text NOT NULL,
    order_id text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
    series text NOT NULL,
    position bigint NOT NULL CHECK (position > 0),
    number text NOT NULL,
    issued_at timestamptz NOT NULL,
    currency text NOT NULL,
    net numeric NOT NULL,
    tax numeric NOT NULL,
    gross numeric NOT NULL,
    credited_document_id uuid REFERENCES documents (document_id),
    refund_id text,
    access_token text NOT NULL,
    content jsonb NOT NULL,
    UNIQUE (shop_id, series, position),
    UNIQUE (shop_id, number)
);

CREATE UNIQUE INDEX documents_one_invoice_per_order
    ON documents (shop_id, order_id) WHERE kind = 'invoice';
CREATE UNIQUE INDEX documents_one_credit_note_per_refund
    ON documents (shop_id, refund_id) WHERE kind = 'credit_note';
CREATE INDEX documents_by_number ON documents (number);

-- The rendered PDF of each document, written once.
CREATE TABLE document_files (
    document_id uuid PRIMARY KEY REFERENCES documents (document_id),
    pdf bytea NOT NULL,
    rendered_at timestamptz NOT NULL DEFAULT now()
);

-- An issued document is never changed or removed: corrections are credit notes.
CREATE FUNCTION refuse_change_of_issued_document() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'issued documents are immutable (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER documents_are_immutable
    BEFORE UPDATE OR DELETE ON documents
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_issued_document();
CREATE TRIGGER documents_are_not_truncated
    BEFORE TRUNCATE ON documents
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_of_issued_document();
CREATE TRIGGER document_files_are_immutable
    BEFORE UPDATE OR DELETE ON document_files
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_issued_document();

-- Email to send, recorded in the transaction that decided to send it, with a
-- Message-ID fixed at that moment; sent later, and never again once sent.
CREATE TABLE outgoing_mail (
    message_id text PRIMARY KEY,
    shop_id text NOT NULL,
    purpose text NOT NULL,
    document_id uuid REFERENCES documents (document_id),
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0,
    available_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    failed_at timestamptz,
    error text
);

CREATE INDEX outgoing_mail_pending ON outgoing_mail (available_at)
    WHERE sent_at IS NULL AND failed_at IS NULL;
