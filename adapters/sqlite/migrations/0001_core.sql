-- 0001: the state the rules engine decides on and writes: customers and their
-- sites, the catalog, devices, subscriptions, the trial ledger, orders,
-- activations and the audit log.
--
-- Conventions (adapters/sqlite/codec.go writes and reads them):
--   dates      TEXT 'YYYY-MM-DD', '' for no date; compared as text, which is
--              date order for years 0001-9999.
--   instants   TEXT RFC 3339 in UTC with exactly nine fractional digits, so
--              text order is time order.
--   decimals   TEXT, exact (never REAL).
--   flags      INTEGER 0 or 1.
--   serials    as entered in serial, and folded by domain.SerialKey in
--              serial_key, which every lookup and constraint uses.
--   nested     lists that are only ever read with their parent (order lines,
--              sites, part models and regions, price list items, SSO e-mails,
--              audit codes) are JSON arrays in a column of the parent row; the
--              parts of them that are looked up or constrained are also rows
--              of their own table (customer_sites, price_list_countries,
--              order_serials).

-- Order numbers: the next uniqueId and orderNumber Orders.Create hands out,
-- starting from seed 001's sample values. A counter table rather than
-- max()+1 so a number is never handed out twice, whatever gets deleted.
CREATE TABLE sequences (
    name TEXT PRIMARY KEY,
    next INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO sequences (name, next) VALUES ('order_unique_id', 13331), ('order_number', 2342342);

CREATE TABLE customers (
    id               TEXT PRIMARY KEY,
    client_id        TEXT NOT NULL,
    parent_id        TEXT NOT NULL,
    kind             INTEGER NOT NULL,
    name             TEXT NOT NULL,
    region           TEXT NOT NULL,
    country          TEXT NOT NULL,
    price_list_id    TEXT NOT NULL,
    active           INTEGER NOT NULL,
    created_at       TEXT NOT NULL,
    discount_percent TEXT NOT NULL,
    credit_hold      INTEGER NOT NULL,
    sites            TEXT NOT NULL -- JSON array, in the order given
) STRICT;
CREATE INDEX customers_by_client ON customers (client_id, id);

-- A site use id belongs to one customer per use (bill-to, ship-to): the
-- primary key is that invariant.
CREATE TABLE customer_sites (
    site_use_id INTEGER NOT NULL,
    site_use    INTEGER NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    PRIMARY KEY (site_use_id, site_use)
) STRICT, WITHOUT ROWID;
CREATE INDEX customer_sites_by_customer ON customer_sites (customer_id);

CREATE TABLE parts (
    number            TEXT PRIMARY KEY,
    description       TEXT NOT NULL,
    service_type      TEXT NOT NULL,
    product_line      TEXT NOT NULL,
    duration_n        INTEGER NOT NULL,
    duration_unit     TEXT NOT NULL,
    trial             INTEGER NOT NULL,
    bundle            INTEGER NOT NULL,
    redemption        INTEGER NOT NULL,
    models            TEXT NOT NULL, -- JSON array of model names
    regions           TEXT NOT NULL, -- JSON array of geofence regions
    activation_method TEXT NOT NULL
) STRICT;
CREATE INDEX parts_by_product_line ON parts (product_line, number);

-- Models are looked up case-insensitively: the keys are the upper-cased
-- manufacturer and name, the other columns the spelling stored last.
CREATE TABLE models (
    manufacturer_key TEXT NOT NULL,
    name_key         TEXT NOT NULL,
    manufacturer     TEXT NOT NULL,
    name             TEXT NOT NULL,
    agriculture      INTEGER NOT NULL,
    serial_pattern   TEXT NOT NULL,
    PRIMARY KEY (manufacturer_key, name_key)
) STRICT, WITHOUT ROWID;
CREATE INDEX models_by_name ON models (name_key, manufacturer, name);

CREATE TABLE price_lists (
    id        TEXT PRIMARY KEY,
    currency  TEXT NOT NULL,
    countries TEXT NOT NULL, -- JSON array, as given
    items     TEXT NOT NULL  -- JSON array of {partNumber, listPrice, discountPercent}
) STRICT;

-- A country (upper-cased) uses one price list: the primary key says so.
CREATE TABLE price_list_countries (
    country       TEXT PRIMARY KEY,
    price_list_id TEXT NOT NULL REFERENCES price_lists (id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX price_list_countries_by_list ON price_list_countries (price_list_id);

CREATE TABLE promos (
    code_key         TEXT PRIMARY KEY, -- upper-cased code
    code             TEXT NOT NULL,
    discount_percent TEXT NOT NULL,
    valid_from       TEXT NOT NULL,
    valid_to         TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE coupons (
    number      TEXT PRIMARY KEY,
    part_number TEXT NOT NULL,
    redeemed    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- One device per serial key; serial keeps the spelling stored first.
CREATE TABLE devices (
    serial_key   TEXT PRIMARY KEY,
    serial       TEXT NOT NULL,
    service_type TEXT NOT NULL,
    manufacturer TEXT NOT NULL,
    model        TEXT NOT NULL,
    sso_emails   TEXT NOT NULL -- JSON array, oldest first
) STRICT, WITHOUT ROWID;

-- Live subscriptions of one serial and product line never overlap. SQLite has
-- no exclusion constraint, so Subscriptions.Put checks that inside the write
-- transaction; with one writer nothing can slip in between the check and
-- the insert.
CREATE TABLE subscriptions (
    id           TEXT PRIMARY KEY,
    serial       TEXT NOT NULL,
    serial_key   TEXT NOT NULL,
    part_number  TEXT NOT NULL,
    product_line TEXT NOT NULL,
    start_date   TEXT NOT NULL,
    end_date     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    ended        TEXT NOT NULL, -- '' while live, else CANCELED or TERMINATED
    auto_renew   INTEGER NOT NULL,
    order_id     INTEGER NOT NULL,
    line         INTEGER NOT NULL,
    activated    INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    CHECK (start_date <> '' AND end_date >= start_date)
) STRICT;
CREATE INDEX subscriptions_by_serial ON subscriptions (serial_key, start_date, id);
CREATE INDEX subscriptions_by_order ON subscriptions (order_id, line, id);

-- The trial ledger: one grant per serial key and product line, ever.
CREATE TABLE trials (
    serial_key   TEXT NOT NULL,
    serial       TEXT NOT NULL, -- the key as the caller gave it
    product_line TEXT NOT NULL,
    order_id     INTEGER NOT NULL,
    part_number  TEXT NOT NULL,
    granted_at   TEXT NOT NULL,
    PRIMARY KEY (serial_key, product_line)
) STRICT;

CREATE TABLE orders (
    unique_id           INTEGER PRIMARY KEY,
    order_number        INTEGER NOT NULL UNIQUE,
    client_id           TEXT NOT NULL,
    customer_id         TEXT NOT NULL,
    ship_to_customer_id TEXT NOT NULL,
    bill_to_customer    TEXT NOT NULL,
    ship_to_customer    TEXT NOT NULL,
    po_number           TEXT NOT NULL,
    customer_order_ref  TEXT NOT NULL,
    currency            TEXT NOT NULL,
    promo_code          TEXT NOT NULL,
    activation_country  TEXT NOT NULL,
    bill_to_site_use_id INTEGER NOT NULL,
    ship_to_site_use_id INTEGER NOT NULL,
    bill_to_email       TEXT NOT NULL,
    bill_to_phone       TEXT NOT NULL,
    ship_to_email       TEXT NOT NULL,
    ship_to_phone       TEXT NOT NULL,
    status              TEXT NOT NULL,
    hold_reason         TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    total               TEXT NOT NULL,
    ruleset_hash        TEXT NOT NULL,
    lines               TEXT NOT NULL -- JSON array of the order's lines
) STRICT;
CREATE INDEX orders_by_client ON orders (client_id, unique_id);
CREATE INDEX orders_by_po ON orders (po_number, unique_id);

-- The serial keys of each order's lines, for finding orders by serial, and
-- the invariant that at most one order in ORDER_CREATION_INPROGRESS holds a
-- serial: in_progress is 1 exactly while the order is in progress
-- (Orders.Create and Orders.SetStatus keep it in step with orders.status),
-- and the partial unique index refuses a second holder.
CREATE TABLE order_serials (
    order_id    INTEGER NOT NULL REFERENCES orders (unique_id) ON DELETE CASCADE,
    serial_key  TEXT NOT NULL,
    in_progress INTEGER NOT NULL CHECK (in_progress IN (0, 1)),
    PRIMARY KEY (order_id, serial_key)
) STRICT, WITHOUT ROWID;
CREATE INDEX order_serials_by_serial ON order_serials (serial_key, order_id);
CREATE UNIQUE INDEX order_serials_one_in_progress ON order_serials (serial_key) WHERE in_progress = 1;
CREATE INDEX order_serials_pending ON order_serials (order_id) WHERE in_progress = 1;

CREATE TABLE activations (
    id              TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL,
    order_id        INTEGER NOT NULL,
    serial          TEXT NOT NULL,
    serial_key      TEXT NOT NULL,
    part_number     TEXT NOT NULL,
    method          TEXT NOT NULL,
    request_type    TEXT NOT NULL,
    activation_date TEXT NOT NULL,
    requested_at    TEXT NOT NULL,
    passcode        TEXT NOT NULL,
    email           TEXT NOT NULL
) STRICT;
CREATE INDEX activations_by_serial ON activations (serial_key, requested_at, id);

-- Append-only; seq is the order events were appended in ("oldest first").
CREATE TABLE audit (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    command      TEXT NOT NULL,
    subject      TEXT NOT NULL,
    allowed      INTEGER NOT NULL,
    codes        TEXT NOT NULL, -- JSON array
    ruleset_hash TEXT NOT NULL
) STRICT;
CREATE INDEX audit_by_subject ON audit (subject, seq);
