-- 0007: a version of the catalog, so a Store can keep the catalog in memory
-- and know when it changed, whoever changed it: this process, another
-- process sharing the file, or someone at the sqlite3 shell. The catalog is
-- what a decision reads that no order changes: customers and their sites,
-- parts, models, price lists and their countries, promo codes (coupons are
-- redeemed by orders and stay out). Any change to those tables adds one to
-- the version in the same transaction; a Store reads the version once per
-- transaction and answers from its cache only what it cached at that version
-- (adapters/sqlite/catalogcache.go).
--
-- SQLite has row triggers only, so a load of a thousand rows adds a thousand
-- to the version: an UPDATE of one row on one page, each. A rolled-back
-- change takes its bumps back with it.

CREATE TABLE catalog_version (
    one     INTEGER PRIMARY KEY CHECK (one = 1),
    version INTEGER NOT NULL
) STRICT;
INSERT INTO catalog_version (one, version) VALUES (1, 1);

CREATE TRIGGER customers_catalog_insert AFTER INSERT ON customers
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER customers_catalog_update AFTER UPDATE ON customers
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER customers_catalog_delete AFTER DELETE ON customers
BEGIN UPDATE catalog_version SET version = version + 1; END;

CREATE TRIGGER customer_sites_catalog_insert AFTER INSERT ON customer_sites
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER customer_sites_catalog_update AFTER UPDATE ON customer_sites
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER customer_sites_catalog_delete AFTER DELETE ON customer_sites
BEGIN UPDATE catalog_version SET version = version + 1; END;

CREATE TRIGGER parts_catalog_insert AFTER INSERT ON parts
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER parts_catalog_update AFTER UPDATE ON parts
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER parts_catalog_delete AFTER DELETE ON parts
BEGIN UPDATE catalog_version SET version = version + 1; END;

CREATE TRIGGER models_catalog_insert AFTER INSERT ON models
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER models_catalog_update AFTER UPDATE ON models
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER models_catalog_delete AFTER DELETE ON models
BEGIN UPDATE catalog_version SET version = version + 1; END;

CREATE TRIGGER price_lists_catalog_insert AFTER INSERT ON price_lists
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER price_lists_catalog_update AFTER UPDATE ON price_lists
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER price_lists_catalog_delete AFTER DELETE ON price_lists
BEGIN UPDATE catalog_version SET version = version + 1; END;

CREATE TRIGGER price_list_countries_catalog_insert AFTER INSERT ON price_list_countries
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER price_list_countries_catalog_update AFTER UPDATE ON price_list_countries
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER price_list_countries_catalog_delete AFTER DELETE ON price_list_countries
BEGIN UPDATE catalog_version SET version = version + 1; END;

CREATE TRIGGER promos_catalog_insert AFTER INSERT ON promos
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER promos_catalog_update AFTER UPDATE ON promos
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER promos_catalog_delete AFTER DELETE ON promos
BEGIN UPDATE catalog_version SET version = version + 1; END;
