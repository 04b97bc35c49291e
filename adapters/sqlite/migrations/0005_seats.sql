-- 0005: the seats of seeds 000 and 004 (accounts with their aliases, their
-- users, the licenses they own, one row per seat, and the assignments of
-- those seats to users); clients found by the hash of their apiKey; tokens
-- with the kind of credential they were issued for and the account an
-- apiKey + alias token is narrowed to.
--
-- Conventions as in 0001. Aliases, externalIds and usernames are kept as
-- entered and folded by domain.ExternalKey in the *_key columns, which every
-- lookup and unique index uses. The invariants: an alias names one account;
-- an externalId names one live user of an account; a username names one live
-- user anywhere; one license's assignment periods never overlap; a user holds
-- at most one seat of a product on any day. SQLite has no exclusion
-- constraint: the last two are triggers that refuse the write, checked by
-- the single writer, so no two writes can both pass.

CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY,
    partner_id TEXT NOT NULL,
    alias      TEXT NOT NULL,
    alias_key  TEXT NOT NULL,
    title      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    activated  INTEGER NOT NULL,
    limits     TEXT NOT NULL -- JSON object: app id -> limits
) STRICT;
-- An account without an alias (one the Account Manager did not create) has
-- none to clash.
CREATE UNIQUE INDEX accounts_alias ON accounts (alias_key) WHERE alias_key <> '';
CREATE INDEX accounts_by_partner ON accounts (partner_id, id);

CREATE TABLE seat_users (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    external_id   TEXT NOT NULL,
    external_key  TEXT NOT NULL,
    email         TEXT NOT NULL,
    first_name    TEXT NOT NULL,
    last_name     TEXT NOT NULL,
    phone         TEXT NOT NULL,
    username      TEXT NOT NULL,
    username_key  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    roles         TEXT NOT NULL, -- JSON array
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    deleted_at    TEXT NOT NULL  -- '' while the user is live
) STRICT;
CREATE UNIQUE INDEX seat_users_external ON seat_users (account_id, external_key) WHERE deleted_at = '';
CREATE UNIQUE INDEX seat_users_username ON seat_users (username_key) WHERE username_key <> '' AND deleted_at = '';
-- The account's users by id (List, Count), and the key an assignment's
-- user must match: a user of the assignment's own account.
CREATE UNIQUE INDEX seat_users_by_account ON seat_users (account_id, id);

CREATE TABLE licenses (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    product_id TEXT NOT NULL,
    registered TEXT NOT NULL,
    expires    TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX licenses_by_account ON licenses (account_id, product_id, expires);
-- The key an assignment's license must match: a seat of the assignment's
-- own account and of its product.
CREATE UNIQUE INDEX licenses_by_account_id ON licenses (account_id, id, product_id);

CREATE TABLE assignments (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL,
    license_id   INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    product_id   TEXT NOT NULL,
    activation   TEXT NOT NULL,
    deactivation TEXT NOT NULL,
    last_changed TEXT NOT NULL,
    FOREIGN KEY (account_id, license_id, product_id) REFERENCES licenses (account_id, id, product_id),
    FOREIGN KEY (account_id, user_id) REFERENCES seat_users (account_id, id),
    -- deactivationDate >= activationDate - 1 day (the day before is a
    -- cancelled assignment, which holds no day).
    CONSTRAINT assignments_dates_valid CHECK (activation <> '' AND deactivation >= date(activation, '-1 day'))
) STRICT;
-- A license's periods (the overlap trigger, SetExpires, Find by license); a
-- user's, by product (the other trigger, ByUser, Find by user); a product's
-- that still hold a day (ByProduct, the pool); an account's by id and by
-- activation date (Find).
CREATE INDEX assignments_by_license ON assignments (license_id, deactivation);
CREATE INDEX assignments_by_user ON assignments (user_id, product_id, deactivation);
CREATE INDEX assignments_by_product ON assignments (account_id, product_id, deactivation);
CREATE INDEX assignments_by_account ON assignments (account_id, id);
CREATE INDEX assignments_by_activation ON assignments (account_id, activation);

-- Two periods share a day when each starts no later than the other ends;
-- an assignment whose deactivation is before its activation holds no day.
CREATE TRIGGER assignments_no_overlap_insert BEFORE INSERT ON assignments
WHEN NEW.deactivation >= NEW.activation
BEGIN
    SELECT RAISE(ABORT, 'assignments_license_no_overlap') WHERE EXISTS (
        SELECT 1 FROM assignments
        WHERE license_id = NEW.license_id AND deactivation >= NEW.activation
          AND activation <= NEW.deactivation AND deactivation >= activation);
    SELECT RAISE(ABORT, 'assignments_user_product_no_overlap') WHERE EXISTS (
        SELECT 1 FROM assignments
        WHERE user_id = NEW.user_id AND product_id = NEW.product_id
          AND activation <= NEW.deactivation AND deactivation >= NEW.activation AND deactivation >= activation);
END;

CREATE TRIGGER assignments_no_overlap_update
BEFORE UPDATE OF license_id, user_id, product_id, activation, deactivation ON assignments
WHEN NEW.deactivation >= NEW.activation
BEGIN
    SELECT RAISE(ABORT, 'assignments_license_no_overlap') WHERE EXISTS (
        SELECT 1 FROM assignments
        WHERE license_id = NEW.license_id AND id <> NEW.id AND deactivation >= NEW.activation
          AND activation <= NEW.deactivation AND deactivation >= activation);
    SELECT RAISE(ABORT, 'assignments_user_product_no_overlap') WHERE EXISTS (
        SELECT 1 FROM assignments
        WHERE user_id = NEW.user_id AND product_id = NEW.product_id AND id <> NEW.id
          AND activation <= NEW.deactivation AND deactivation >= NEW.activation AND deactivation >= activation);
END;

-- An Account Manager partner is found by the hash of its apiKey; '' is none.
ALTER TABLE clients ADD COLUMN api_key_hash TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX clients_api_key ON clients (api_key_hash) WHERE api_key_hash <> '';

-- The tokens issued before were all client_credentials tokens (kind 1,
-- domain.ClientCredentials) of no one account.
ALTER TABLE tokens ADD COLUMN kind INTEGER NOT NULL DEFAULT 1;
ALTER TABLE tokens ADD COLUMN account_id INTEGER NOT NULL DEFAULT 0;
