package sqlite

import (
	"context"
	"fmt"

	"github.com/entitle-rules/entitle/domain"
)

type customers struct{ *tx }

const customerCols = `c.id, c.client_id, c.parent_id, c.kind, c.name, c.region, c.country, c.price_list_id,
	c.active, c.created_at, c.discount_percent, c.credit_hold, c.sites`

func scanCustomer(r scanner) (domain.Customer, error) {
	var (
		c              domain.Customer
		kind           int64
		region         string
		created, sites string
	)
	if err := r.Scan(&c.ID, &c.ClientID, &c.ParentID, &kind, &c.Name, &region, &c.Country, &c.PriceListID,
		&c.Active, &created, &c.DiscountPercent, &c.CreditHold, &sites); err != nil {
		return c, err
	}
	c.Kind, c.Region = domain.CustomerKind(kind), domain.Region(region)
	var err error
	if c.CreatedAt, err = parseInstant(created); err != nil {
		return c, fmt.Errorf("customer %q: created_at: %w", c.ID, err)
	}
	if c.Sites, err = parseSites(sites); err != nil {
		return c, fmt.Errorf("customer %q: sites: %w", c.ID, err)
	}
	return c, nil
}

const (
	qPutCustomer = `INSERT INTO customers (id, client_id, parent_id, kind, name, region, country, price_list_id,
		active, created_at, discount_percent, credit_hold, sites)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO UPDATE SET client_id = excluded.client_id, parent_id = excluded.parent_id,
		kind = excluded.kind, name = excluded.name, region = excluded.region, country = excluded.country,
		price_list_id = excluded.price_list_id, active = excluded.active, created_at = excluded.created_at,
		discount_percent = excluded.discount_percent, credit_hold = excluded.credit_hold, sites = excluded.sites`
	qDropCustomerSites = `DELETE FROM customer_sites WHERE customer_id = ?`
	qPutCustomerSite   = `INSERT INTO customer_sites (site_use_id, site_use, customer_id) VALUES (?, ?, ?)`
	qSiteOwner         = `SELECT customer_id FROM customer_sites WHERE site_use_id = ? AND site_use = ?`
	qCustomer          = `SELECT ` + customerCols + ` FROM customers c WHERE c.id = ?`
	// A subquery, not a join: SQLite re-prepares this join every time the
	// site's use changes (measured: 6x the cost), and an order looks up a
	// bill-to then a ship-to site.
	qCustomerBySite = `SELECT ` + customerCols + ` FROM customers c
	WHERE c.id = (SELECT customer_id FROM customer_sites WHERE site_use_id = ? AND site_use = ?)`
	qCustomersByClient = `SELECT ` + customerCols + ` FROM customers c WHERE c.client_id = ? ORDER BY c.id`
)

// Put rewrites the customer's rows in customer_sites, whose primary key is
// the rule that a site use id has one owner per use: the insert that breaks
// it is the conflict.
func (r customers) Put(ctx context.Context, c domain.Customer) error {
	if err := r.write(); err != nil {
		return err
	}
	if err := required("id", c.ID); err != nil {
		return err
	}
	sites, err := sitesJSON(c.Sites)
	if err != nil {
		return domain.Wrap(err, domain.CodeInternal, "sqlite: encode the sites of customer %q", c.ID)
	}
	return r.savepoint(ctx, func() error {
		if _, err := r.exec(ctx, qPutCustomer, c.ID, c.ClientID, c.ParentID, int64(c.Kind), c.Name, string(c.Region),
			c.Country, c.PriceListID, c.Active, instant(c.CreatedAt), c.DiscountPercent, c.CreditHold, sites); err != nil {
			return r.fail(ctx, err, "sqlite: store customer %q", c.ID)
		}
		if _, err := r.exec(ctx, qDropCustomerSites, c.ID); err != nil {
			return r.fail(ctx, err, "sqlite: store the sites of customer %q", c.ID)
		}
		for i, site := range c.Sites {
			_, err := r.exec(ctx, qPutCustomerSite, site.SiteUseID, int64(site.Use), c.ID)
			if err == nil {
				continue
			}
			if !isUnique(err) {
				return r.fail(ctx, err, "sqlite: store the sites of customer %q", c.ID)
			}
			var owner string
			if oerr := r.row(ctx, qSiteOwner, site.SiteUseID, int64(site.Use)).Scan(&owner); oerr != nil {
				return r.fail(ctx, oerr, "sqlite: find the owner of %s site %d", site.Use, site.SiteUseID)
			}
			if owner == c.ID {
				continue // the customer lists one site twice
			}
			return conflict(err, fmt.Sprintf("sites[%d].siteUseId", i),
				"%s site %d already belongs to customer %q", site.Use, site.SiteUseID, owner)
		}
		return nil
	})
}

func (r customers) Get(ctx context.Context, id string) (domain.Customer, error) {
	return one(ctx, r.tx, "read a customer", scanCustomer, func() error {
		return domain.Errorf(domain.CodeNotFound, "customerId", "no customer with id %q", id)
	}, qCustomer, id)
}

func (r customers) BySite(ctx context.Context, siteUseID int64, use domain.SiteUse) (domain.Customer, error) {
	return one(ctx, r.tx, "read a customer by site", scanCustomer, func() error {
		return domain.Errorf(domain.CodeNotFound, "siteUseId", "no customer has a %s site with siteUseId %d", use, siteUseID)
	}, qCustomerBySite, siteUseID, int64(use))
}

func (r customers) ByClient(ctx context.Context, clientID string) ([]domain.Customer, error) {
	return list(ctx, r.tx, "read a client's customers", scanCustomer, qCustomersByClient, clientID)
}

// conflict is CodeConflict on field, with the constraint violation that
// detected it as the cause.
func conflict(cause error, field, format string, args ...any) error {
	e := domain.Errorf(domain.CodeConflict, field, format, args...)
	e.Err = cause
	return e
}
