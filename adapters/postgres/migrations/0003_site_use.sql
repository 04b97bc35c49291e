-- 0003: one name for a site's use in both SQL stores. The column that says
-- whether a customer_sites row is a bill-to (1) or ship-to (2) site was
-- "use" here and "site_use" in the SQLite store; it is site_use in both now.
-- A rename keeps the rows, the primary key (customer_sites_pkey, on
-- site_use_id and site_use) and every index.

ALTER TABLE customer_sites RENAME COLUMN use TO site_use;
