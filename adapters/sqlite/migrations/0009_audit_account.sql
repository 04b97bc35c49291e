-- 0008: audit events carry the account they belong to (0 for none: orders,
-- clients), so an account's trail is one indexed read, newest first, even
-- after its users are deleted. Events written before this migration get the
-- account their subject names: an account, a (possibly deleted) user, an
-- assignment, a managed link or a managed-billing transaction (the
-- primary's account). Other subjects stay 0.
ALTER TABLE audit ADD COLUMN account_id INTEGER NOT NULL DEFAULT 0;

UPDATE audit SET account_id = CAST(substr(subject, 9) AS INTEGER)
WHERE subject LIKE 'account:%';
UPDATE audit SET account_id = coalesce((SELECT u.account_id FROM seat_users u
    WHERE u.id = CAST(substr(audit.subject, 6) AS INTEGER)), 0)
WHERE subject LIKE 'user:%';
UPDATE audit SET account_id = coalesce((SELECT a.account_id FROM assignments a
    WHERE a.id = CAST(substr(audit.subject, 12) AS INTEGER)), 0)
WHERE subject LIKE 'assignment:%';
UPDATE audit SET account_id = coalesce((SELECT a.id FROM managed_links l JOIN accounts a ON a.alias = l.primary_name
    WHERE l.id = CAST(substr(audit.subject, 13) AS INTEGER)), 0)
WHERE subject LIKE 'managedlink:%';
UPDATE audit SET account_id = coalesce((SELECT a.id FROM managed_links l JOIN accounts a ON a.alias = l.primary_name
    WHERE l.tx_id = substr(audit.subject, 6) ORDER BY l.id LIMIT 1), 0)
WHERE subject LIKE 'txid:%';

CREATE INDEX audit_by_account ON audit (account_id, seq);
