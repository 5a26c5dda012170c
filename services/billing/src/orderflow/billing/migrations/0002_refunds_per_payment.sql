-- A refund's id is the platform's or the provider's: unique within the
-- payment it belongs to, not across shops.
ALTER TABLE refunds DROP CONSTRAINT refunds_pkey;
ALTER TABLE refunds ADD PRIMARY KEY (payment_id, refund_id);

-- Stored PDFs of issued documents cannot be truncated away either.
CREATE TRIGGER document_files_are_not_truncated
    BEFORE TRUNCATE ON document_files
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_of_issued_document();
