-- 0006: every activation is the outbox entry of its delivery. An order (or
-- a resend) writes its activations PENDING in its own transaction; a
-- deliverer on any instance claims the due ones (next_attempt_at, with
-- SELECT ... FOR UPDATE SKIP LOCKED), hands them to the Activator after
-- commit, and records the outcome: DELIVERED, PENDING again with the error
-- and the next attempt, or FAILED when given up. Rows written before were
-- handed to the Activator inline: they are DELIVERED, at the instant they
-- were requested, after one attempt.

ALTER TABLE activations
    ADD COLUMN state text NOT NULL DEFAULT 'DELIVERED' CHECK (state IN ('PENDING', 'DELIVERED', 'FAILED')),
    ADD COLUMN attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    ADD COLUMN next_attempt_at timestamptz,
    ADD COLUMN last_error text NOT NULL DEFAULT '',
    ADD COLUMN delivered_at timestamptz,
    ADD CONSTRAINT activations_pending_due CHECK (state <> 'PENDING' OR next_attempt_at IS NOT NULL);

UPDATE activations SET attempts = 1, delivered_at = requested_at;

-- From now on a writer names the state.
ALTER TABLE activations ALTER COLUMN state DROP DEFAULT;

-- Claim reads the pending rows by due instant, and only those.
CREATE INDEX activations_outbox ON activations (next_attempt_at) WHERE state = 'PENDING';
