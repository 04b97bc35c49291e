-- 0004: every activation is the outbox entry of its delivery. An order (or
-- a resend) writes its activations PENDING in its own transaction; a
-- deliverer claims the due ones (next_attempt_at), hands them to the
-- Activator after commit, and records the outcome: DELIVERED, PENDING again
-- with the error and the next attempt, or FAILED when given up. Rows
-- written before were handed to the Activator inline: they are DELIVERED,
-- at the instant they were requested, after one attempt.

ALTER TABLE activations ADD COLUMN state TEXT NOT NULL DEFAULT 'DELIVERED'
    CHECK (state IN ('PENDING', 'DELIVERED', 'FAILED'));
ALTER TABLE activations ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0);
ALTER TABLE activations ADD COLUMN next_attempt_at TEXT;
ALTER TABLE activations ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
ALTER TABLE activations ADD COLUMN delivered_at TEXT;

UPDATE activations SET attempts = 1, delivered_at = requested_at;

-- Claim reads the pending rows by due instant, and only those.
CREATE INDEX activations_outbox ON activations (next_attempt_at) WHERE state = 'PENDING';
