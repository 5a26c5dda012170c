-- Contacts in external CRMs whose customer was erased here; the subscription
-- to `customer.erased.v1` deletes them there and then the row. Ids only.
CREATE TABLE crm_erasures (
    customer_id text NOT NULL,
    crm text NOT NULL,
    external_id text NOT NULL,
    PRIMARY KEY (customer_id, crm)
);
