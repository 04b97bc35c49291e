-- 0004: an idempotency record names what its request committed (ref, such as
-- "order:13331"), bound in the transaction that commits the write, so a key
-- whose process died is answered from what it committed or released; and
-- expired tokens are purged by expiry, through an index. Existing records
-- get ref '' (bound to nothing), which is what they were.

ALTER TABLE idempotency_records ADD COLUMN ref text NOT NULL DEFAULT '';

-- PurgeTokens deletes by expiry.
CREATE INDEX tokens_by_expiry ON tokens (expires_at);
