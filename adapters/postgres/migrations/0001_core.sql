-- 0001: the state the rules engine needs: customers, catalog, devices,
-- subscriptions, the trial ledger, orders, activations and the audit log.
--
-- Conventions (see doc.go): serial and model keys are folded in Go, with the
-- same functions the memory store uses, so the database and the reference
-- store agree on which spellings match; columns that lists are ordered by use
-- COLLATE "C" so the order is Go's byte order whatever the database's locale;
-- instants are timestamptz (microseconds), civil dates are date, money and
-- percentages are numeric or exact decimal text; parts of a value nobody
-- queries by (a customer's sites as written, an order's lines, a price
-- list's items) are jsonb beside the indexed columns that back lookups.

-- The exclusion constraint on subscriptions compares text with = inside a
-- GiST index, which needs btree_gist. An extension belongs to one schema of
-- the database; it goes to public, never to entitle's own schema, so dropping
-- one entitle schema (a test's, say) cannot drop the operator classes another
-- schema's constraint uses. Default operator classes are found whatever the
-- search_path, so entitle's connections need not see public. The existence
-- check comes first so a role without the right to create extensions can
-- still migrate a database where an administrator installed it.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gist') THEN
        CREATE EXTENSION btree_gist WITH SCHEMA public;
    END IF;
END
$$;

CREATE TABLE customers (
    id               text COLLATE "C" PRIMARY KEY,
    client_id        text NOT NULL,
    parent_id        text NOT NULL,
    kind             smallint NOT NULL,
    name             text NOT NULL,
    region           text NOT NULL,
    country          text NOT NULL,
    price_list_id    text NOT NULL,
    active           boolean NOT NULL,
    created_at       timestamptz NOT NULL,
    discount_percent text NOT NULL,
    credit_hold      boolean NOT NULL,
    -- The sites as the caller wrote them, in order.
    sites            jsonb NOT NULL
);
CREATE INDEX customers_by_client ON customers (client_id, id);

-- Who owns each (siteUseId, use): the primary key is the invariant that one
-- site belongs to one customer; BySite looks up through it.
CREATE TABLE customer_sites (
    site_use_id bigint NOT NULL,
    use         smallint NOT NULL,
    customer_id text COLLATE "C" NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    PRIMARY KEY (site_use_id, use)
);
CREATE INDEX customer_sites_by_customer ON customer_sites (customer_id);

CREATE TABLE parts (
    number            text COLLATE "C" PRIMARY KEY,
    description       text NOT NULL,
    service_type      text NOT NULL,
    product_line      text NOT NULL,
    duration_n        integer NOT NULL,
    duration_unit     text NOT NULL,
    trial             boolean NOT NULL,
    bundle            boolean NOT NULL,
    redemption        boolean NOT NULL,
    models            text[] NOT NULL,
    regions           text[] NOT NULL,
    activation_method text NOT NULL
);

-- Models are keyed by the upper-cased manufacturer and name: another
-- spelling of both replaces the model.
CREATE TABLE models (
    manufacturer_key text NOT NULL,
    name_key         text NOT NULL,
    manufacturer     text COLLATE "C" NOT NULL,
    name             text COLLATE "C" NOT NULL,
    agriculture      boolean NOT NULL,
    serial_pattern   text NOT NULL,
    PRIMARY KEY (manufacturer_key, name_key)
);
CREATE INDEX models_by_name ON models (name_key);

CREATE TABLE price_lists (
    id        text COLLATE "C" PRIMARY KEY,
    currency  text NOT NULL,
    countries text[] NOT NULL,
    -- [{"partNumber", "listPrice", "discountPercent"}], decimals as exact text.
    items     jsonb NOT NULL
);

-- One list per country (upper-cased): the primary key is the invariant that
-- PriceListForCountry has one answer.
CREATE TABLE price_list_countries (
    country_key   text PRIMARY KEY,
    price_list_id text COLLATE "C" NOT NULL REFERENCES price_lists (id) ON DELETE CASCADE
);
CREATE INDEX price_list_countries_by_list ON price_list_countries (price_list_id);

CREATE TABLE promo_codes (
    code_key         text PRIMARY KEY,
    code             text NOT NULL,
    discount_percent numeric NOT NULL,
    valid_from       date,
    valid_to         date
);

CREATE TABLE coupons (
    number      text PRIMARY KEY,
    part_number text NOT NULL,
    redeemed    boolean NOT NULL
);

-- serial keeps the spelling stored first; serial_key (domain.SerialKey) is
-- what every lookup matches.
CREATE TABLE devices (
    serial_key   text PRIMARY KEY,
    serial       text NOT NULL,
    service_type text NOT NULL,
    manufacturer text NOT NULL,
    model        text NOT NULL,
    sso_emails   text[] NOT NULL
);

CREATE TABLE subscriptions (
    id           text COLLATE "C" PRIMARY KEY,
    serial       text NOT NULL,
    serial_key   text NOT NULL,
    part_number  text NOT NULL,
    product_line text NOT NULL,
    start_date   date NOT NULL,
    end_date     date NOT NULL,
    kind         text NOT NULL,
    ended        text NOT NULL,
    auto_renew   boolean NOT NULL,
    order_id     bigint NOT NULL,
    line         integer NOT NULL,
    activated    boolean NOT NULL,
    created_at   timestamptz NOT NULL,
    CONSTRAINT subscriptions_period_valid CHECK (end_date >= start_date),
    -- Two live subscriptions of one serial and product line never share a
    -- day, whoever writes them: the Go check in Subscriptions.Put gives the
    -- friendly message, this gives the guarantee.
    CONSTRAINT subscriptions_no_overlap EXCLUDE USING gist (
        serial_key WITH =,
        product_line WITH =,
        daterange(start_date, end_date, '[]') WITH &&
    ) WHERE (ended = '')
);
CREATE INDEX subscriptions_by_serial ON subscriptions (serial_key, start_date, id);
CREATE INDEX subscriptions_by_order ON subscriptions (order_id, line, id);

-- The trial ledger: one grant per serial key and product line, ever.
CREATE TABLE trial_grants (
    serial_key   text NOT NULL,
    product_line text NOT NULL,
    -- The key as the caller passed it, returned as passed.
    given_key    text NOT NULL,
    order_id     bigint NOT NULL,
    part_number  text NOT NULL,
    granted_at   timestamptz NOT NULL,
    seq          bigint GENERATED ALWAYS AS IDENTITY,
    CONSTRAINT trial_grants_once PRIMARY KEY (serial_key, product_line)
);

-- The seed's sample uniqueId and orderNumber come first. A sequence is not
-- transactional: a rolled-back or retried Create consumes its numbers, so
-- numbers can have gaps (the memory store's do not).
CREATE SEQUENCE order_unique_ids START 13331;
CREATE SEQUENCE order_numbers START 2342342;

CREATE TABLE orders (
    unique_id           bigint PRIMARY KEY DEFAULT nextval('order_unique_ids'),
    order_number        bigint NOT NULL UNIQUE DEFAULT nextval('order_numbers'),
    client_id           text NOT NULL,
    customer_id         text NOT NULL,
    ship_to_customer_id text NOT NULL,
    bill_to_customer    text NOT NULL,
    ship_to_customer    text NOT NULL,
    po_number           text NOT NULL,
    customer_order_ref  text NOT NULL,
    currency            text NOT NULL,
    promo_code          text NOT NULL,
    activation_country  text NOT NULL,
    bill_to_site_use_id bigint NOT NULL,
    ship_to_site_use_id bigint NOT NULL,
    bill_to_email       text NOT NULL,
    bill_to_phone       text NOT NULL,
    ship_to_email       text NOT NULL,
    ship_to_phone       text NOT NULL,
    status              text NOT NULL,
    hold_reason         text NOT NULL,
    created_at          timestamptz NOT NULL,
    total               numeric NOT NULL,
    ruleset_hash        text NOT NULL,
    -- The lines as accepted, in order; they never change after Create.
    lines               jsonb NOT NULL
) WITH (fillfactor = 90);
-- No index on status: SetStatus changes only unindexed columns, so with the
-- room fillfactor leaves the update stays on the row's page (HOT) and writes
-- no index, which keeps concurrent SERIALIZABLE orders from conflicting on
-- the index pages of the newest orders. Pending reads order_serials.
ALTER SEQUENCE order_unique_ids OWNED BY orders.unique_id;
ALTER SEQUENCE order_numbers OWNED BY orders.order_number;
-- Lookups by unique id (Get, and SetStatus as every order finishes) go
-- through a hash index rather than the primary key: ids come from a
-- sequence, so the newest orders share the primary key's last page, which
-- every new order writes; a SERIALIZABLE read of that page conflicts with
-- all of them. Hashing spreads neighbouring ids over buckets. The primary
-- key stays for uniqueness and the foreign key from order_serials.
CREATE INDEX orders_by_id ON orders USING hash (unique_id);
CREATE INDEX orders_by_client ON orders (client_id, unique_id);
CREATE INDEX orders_by_po ON orders (po_number, unique_id);

-- The serial keys of each order's lines. The primary key leads with the
-- serial: Find, InProgress and the Go check before Create read through it,
-- and SetStatus updates an order's rows by (serial, order), so no index of
-- the table is ordered by the order sequence, whose newest page every
-- concurrent order would write and SERIALIZABLE transactions would conflict
-- on. The partial unique index is the invariant that one in-progress order
-- at most holds a serial; only Pending (a View) reads it. It is a page or two
-- that every new order writes: a SERIALIZABLE read of it would conflict with
-- every concurrent order, whatever its serial.
CREATE TABLE order_serials (
    serial_key  text NOT NULL,
    order_id    bigint NOT NULL REFERENCES orders (unique_id) ON DELETE CASCADE,
    in_progress boolean NOT NULL,
    PRIMARY KEY (serial_key, order_id)
);
CREATE UNIQUE INDEX order_serials_one_in_progress ON order_serials (serial_key) WHERE in_progress;

CREATE TABLE activations (
    id              text COLLATE "C" PRIMARY KEY,
    subscription_id text NOT NULL,
    order_id        bigint NOT NULL,
    serial          text NOT NULL,
    serial_key      text NOT NULL,
    part_number     text NOT NULL,
    method          text NOT NULL,
    request_type    text NOT NULL,
    activation_date date,
    requested_at    timestamptz NOT NULL,
    passcode        text NOT NULL,
    email           text NOT NULL
);
CREATE INDEX activations_by_serial ON activations (serial_key, requested_at, id);

-- Append-only; seq is the order of appending, which is what "oldest first"
-- means whatever instants the events carry.
CREATE TABLE audit_events (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           text NOT NULL,
    at           timestamptz NOT NULL,
    actor        text NOT NULL,
    command      text NOT NULL,
    subject      text NOT NULL,
    allowed      boolean NOT NULL,
    codes        text[] NOT NULL,
    ruleset_hash text NOT NULL
);
CREATE INDEX audit_events_by_subject ON audit_events (subject, seq);
