-- Confirmations of erased customers that the mail folder may still hold as
-- `.eml` files; the subscription to `customer.erased.v1` removes them.
CREATE TABLE mail_erasures (
    customer_id text NOT NULL,
    message_id text NOT NULL,
    PRIMARY KEY (customer_id, message_id)
);
