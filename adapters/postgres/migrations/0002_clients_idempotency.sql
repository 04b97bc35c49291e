-- 0002: what the HTTP APIs added on top of the engine's state: API clients
-- and the bearer tokens issued to them (hashes only), and the stored answers
-- that make write requests idempotent. A database created by a binary that
-- predates the HTTP APIs gains these tables and keeps everything else.

CREATE TABLE clients (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    secret_hash text NOT NULL
);

-- No foreign key to clients: the port lets a token be stored before (or
-- without) its client, as the reference store does.
CREATE TABLE tokens (
    hash       text PRIMARY KEY,
    client_id  text NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX tokens_by_client ON tokens (client_id);

-- One answer per client and key, whatever the request hash: the primary key
-- is that invariant.
CREATE TABLE idempotency_records (
    client_id    text NOT NULL,
    key          text NOT NULL,
    request_hash text NOT NULL,
    status       integer NOT NULL,
    body         bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (client_id, key)
);
-- Purge deletes by age.
CREATE INDEX idempotency_records_by_age ON idempotency_records (created_at);
