-- 0009: audit events carry the account they belong to (0 for none: orders,
-- clients), so an account's trail is one indexed read, newest first, even
-- after its users are deleted. Events written before this migration get the
-- account their subject names: an account, a (possibly deleted) user, an
-- assignment, a managed link or a managed-billing transaction (the
-- primary's account). Other subjects stay 0.
ALTER TABLE audit_events ADD COLUMN account_id bigint NOT NULL DEFAULT 0;

UPDATE audit_events SET account_id = substr(subject, 9)::bigint
WHERE subject ~ '^account:[0-9]{1,18}$';
UPDATE audit_events e SET account_id = u.account_id FROM seat_users u
WHERE e.subject ~ '^user:[0-9]{1,18}$' AND u.id = substr(e.subject, 6)::bigint;
UPDATE audit_events e SET account_id = a.account_id FROM assignments a
WHERE e.subject ~ '^assignment:[0-9]{1,18}$' AND a.id = substr(e.subject, 12)::bigint;
UPDATE audit_events e SET account_id = a.id FROM managed_links l JOIN accounts a ON a.alias = l.primary_name
WHERE e.subject ~ '^managedlink:[0-9]{1,18}$' AND l.id = substr(e.subject, 13)::bigint;
UPDATE audit_events e SET account_id = (SELECT a.id FROM managed_links l JOIN accounts a ON a.alias = l.primary_name
    WHERE l.tx_id = substr(e.subject, 6) ORDER BY l.id LIMIT 1)
WHERE e.subject LIKE 'txid:%' AND EXISTS (SELECT 1 FROM managed_links l JOIN accounts a ON a.alias = l.primary_name
    WHERE l.tx_id = substr(e.subject, 6));

CREATE INDEX audit_events_by_account ON audit_events (account_id, seq);
