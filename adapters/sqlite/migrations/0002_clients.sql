-- 0002: API clients, their bearer tokens and the idempotency records of
-- their write requests, added with ports.Clients and ports.Idempotency. Only
-- hashes of secrets and tokens are stored.

CREATE TABLE clients (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- A token hash names one token: the primary key refuses a second.
CREATE TABLE tokens (
    hash       TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX tokens_by_client ON tokens (client_id);

-- One record per client and Idempotency-Key, whatever the request hash.
CREATE TABLE idempotency (
    client_id    TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    body         BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (client_id, idem_key)
) STRICT, WITHOUT ROWID;
-- Purge deletes by age.
CREATE INDEX idempotency_by_created ON idempotency (created_at);
