-- The relay deletes inbox rows older than the retention, oldest first.
CREATE INDEX inbox_handled_at ON inbox (handled_at);
