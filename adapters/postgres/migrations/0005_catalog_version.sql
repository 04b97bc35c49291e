-- 0005: a version of the catalog, so every instance sharing the database can
-- keep the catalog in memory and know when it changed. The catalog is what
-- a decision reads that no order changes: customers and their sites, parts,
-- models, price lists and their countries, promo codes (coupons are
-- redeemed by orders and stay out). Any change to those tables, by entitle
-- or by anyone writing SQL, adds one to the version in the same
-- transaction; a store reads the version once per transaction and answers
-- from its cache only what it cached at that version.

CREATE TABLE catalog_version (
    one     boolean PRIMARY KEY DEFAULT true CHECK (one),
    version bigint NOT NULL
);
INSERT INTO catalog_version (version) VALUES (1);

-- Once per transaction, whatever it changed: what a transaction changes
-- becomes visible at once, with its one new version, so a data load of
-- thousands of rows adds one version, not thousands. A setting local to the
-- transaction remembers the bump (reverted with a rolled-back savepoint, as
-- the bump is). The version is found in the schema of the table that
-- changed, whatever the writer's search_path.
CREATE FUNCTION catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('entitle.catalog_changed', true) IS DISTINCT FROM TG_TABLE_SCHEMA THEN
        EXECUTE format('UPDATE %I.catalog_version SET version = version + 1', TG_TABLE_SCHEMA);
        PERFORM set_config('entitle.catalog_changed', TG_TABLE_SCHEMA, true);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON customers
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed();
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON customer_sites
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed();
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON parts
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed();
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON models
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed();
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON price_lists
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed();
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON price_list_countries
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed();
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON promo_codes
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed();
