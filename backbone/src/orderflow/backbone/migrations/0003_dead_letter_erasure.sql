-- Customers erased on request. A dead letter about one of them keeps its
-- headers but loses its body, whether it was collected before the erasure
-- or is collected after it.
CREATE TABLE erased_customers (
    customer_id text PRIMARY KEY,
    email_sha256 text,
    erased_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX erased_customers_email ON erased_customers (email_sha256);

ALTER TABLE dead_letters ADD COLUMN erased_at timestamptz;

ALTER TABLE dead_letter_audit DROP CONSTRAINT dead_letter_audit_action_check;
ALTER TABLE dead_letter_audit ADD CONSTRAINT dead_letter_audit_action_check
    CHECK (action IN ('replay', 'purge', 'erase'));
