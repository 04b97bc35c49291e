-- 0006: the accounts of seeds 002 and 003. An account gains seed 003's
-- account object (description, the apps it registered through, has access
-- to and serves, its stamps, whether a partner attached it, its type), its
-- dated block records and client plan per app, its premium subscriptions,
-- and seed 002's services and SKUs; partners' client plans; managed-billing
-- links between a primary and a managed account; a login's failure count
-- and lock; the login a session token belongs to.
--
-- Conventions as in 0001 and 0005: instants are fixed-width UTC text, ''
-- where there is none; lists and per-app maps are JSON text. The invariant:
-- a managed account has at most one live link (ADDED or ACTIVATED) per
-- service, from any primary: a partial unique index, so two writes can
-- never both pass, whatever the use case checked first.

ALTER TABLE accounts ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN link_app TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN reg_apps TEXT NOT NULL DEFAULT '[]';     -- JSON array of app ids
ALTER TABLE accounts ADD COLUMN service_apps TEXT NOT NULL DEFAULT '[]'; -- JSON array of app ids
ALTER TABLE accounts ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN activated_at TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN attached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN attached_at TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN added_at TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN type INTEGER NOT NULL DEFAULT 0;         -- 0, 10 or 20 (domain.AccountType)
ALTER TABLE accounts ADD COLUMN blocks TEXT NOT NULL DEFAULT '[]';       -- JSON array of {blocked, at}, as put
ALTER TABLE accounts ADD COLUMN plans TEXT NOT NULL DEFAULT '{}';        -- JSON object: app id -> plan id
ALTER TABLE accounts ADD COLUMN premium TEXT NOT NULL DEFAULT '[]';      -- JSON array of subscriptions
ALTER TABLE accounts ADD COLUMN services TEXT NOT NULL DEFAULT '[]';     -- JSON array
ALTER TABLE accounts ADD COLUMN skus TEXT NOT NULL DEFAULT '[]';         -- JSON array

-- A partner's plan ids are its own: another partner may use the same one.
CREATE TABLE client_plans (
    partner_id   TEXT NOT NULL,
    id           TEXT NOT NULL CHECK (id <> ''),
    app_id       TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    units        INTEGER NOT NULL,
    geofences    INTEGER NOT NULL,
    unit_storage INTEGER NOT NULL,
    modules      TEXT NOT NULL, -- JSON array
    PRIMARY KEY (partner_id, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE managed_links (
    id           INTEGER PRIMARY KEY,
    primary_name TEXT NOT NULL, -- the primary account's name (accounts.alias)
    managed      TEXT NOT NULL, -- the managed account's name
    service      TEXT NOT NULL,
    sku          TEXT NOT NULL,
    tx_id        TEXT NOT NULL,
    state        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    CONSTRAINT managed_links_state_valid CHECK (state IN ('ADDED', 'ACTIVATED', 'CANCELED'))
) STRICT;
-- One live link per managed account and service (also Live's lookup).
CREATE UNIQUE INDEX managed_links_live ON managed_links (managed, service) WHERE state IN ('ADDED', 'ACTIVATED');
CREATE INDEX managed_links_by_tx ON managed_links (tx_id, id);
CREATE INDEX managed_links_by_primary ON managed_links (primary_name, service, id);

-- A login's wrong passwords in a row, and when they locked it ('' while not).
ALTER TABLE seat_users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE seat_users ADD COLUMN locked_at TEXT NOT NULL DEFAULT '';

-- The login a session token was issued to; 0 for the tokens of no login.
ALTER TABLE tokens ADD COLUMN user_id INTEGER NOT NULL DEFAULT 0;
