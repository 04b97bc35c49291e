package sqlite

import (
	"context"
	"fmt"
	"strconv"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

type customers struct{ *tx }

func (t *tx) Customers() ports.Customers { return customers{t} }

const (
	customerColumns = `c.id, c.client_id, c.parent_id, c.kind, c.name, c.region, c.country, c.price_list_id,
	c.active, c.created_at, c.discount_percent, c.credit_hold, c.sites`
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
	qCustomer          = `SELECT ` + customerColumns + ` FROM customers c WHERE c.id = ?`
	// A subquery, not a join: SQLite re-prepares this join every time the
	// site's use changes (measured: 6x the cost), and an order looks up a
	// bill-to then a ship-to site.
	qCustomerBySite = `SELECT ` + customerColumns + ` FROM customers c
	WHERE c.id = (SELECT customer_id FROM customer_sites WHERE site_use_id = ? AND site_use = ?)`
	qCustomersByClient = `SELECT ` + customerColumns + ` FROM customers c WHERE c.client_id = ? ORDER BY c.id`
)

func scanCustomer(r sqlrow.Scanner) (domain.Customer, error) {
	var (
		c       domain.Customer
		kind    int64
		created string
		sites   []byte
	)
	if err := r.Scan(&c.ID, &c.ClientID, &c.ParentID, &kind, &c.Name, &c.Region, &c.Country, &c.PriceListID,
		&c.Active, &created, &c.DiscountPercent, &c.CreditHold, &sites); err != nil {
		return c, err
	}
	c.Kind = domain.CustomerKind(kind)
	var err error
	if c.CreatedAt, err = parseInstant(created, "created_at"); err != nil {
		return c, fmt.Errorf("customer %q: %w", c.ID, err)
	}
	if c.Sites, err = sqlrow.DecodeSites(sites); err != nil {
		return c, fmt.Errorf("customer %q: sites: %w", c.ID, err)
	}
	return c, nil
}

// Put rewrites the customer's rows in customer_sites, whose primary key is
// the rule that a site use id has one owner per use: the insert that breaks
// it is the conflict.
func (r customers) Put(ctx context.Context, c domain.Customer) error {
	if err := r.Write(sqlrow.Required("id", c.ID)); err != nil {
		return err
	}
	r.catalogWrite()
	sites, err := text(sqlrow.EncodeSites(c.Sites))
	if err != nil {
		return err
	}
	return r.savepoint(ctx, func() error {
		if _, err := r.exec(ctx, qPutCustomer, c.ID, c.ClientID, c.ParentID, int64(c.Kind), c.Name, string(c.Region),
			c.Country, c.PriceListID, c.Active, instant(c.CreatedAt), c.DiscountPercent, c.CreditHold, sites); err != nil {
			return r.Fail(ctx, err, "store customer %q", c.ID)
		}
		if _, err := r.exec(ctx, qDropCustomerSites, c.ID); err != nil {
			return r.Fail(ctx, err, "store the sites of customer %q", c.ID)
		}
		for i, site := range c.Sites {
			_, err := r.exec(ctx, qPutCustomerSite, site.SiteUseID, int64(site.Use), c.ID)
			if err == nil {
				continue
			}
			if !isUnique(err) {
				return r.Fail(ctx, err, "store the sites of customer %q", c.ID)
			}
			var owner string
			if oerr := r.QueryRow(ctx, qSiteOwner, site.SiteUseID, int64(site.Use)).Scan(&owner); oerr != nil {
				return r.Fail(ctx, oerr, "find the owner of %s site %d", site.Use, site.SiteUseID)
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
	return sqlrow.One(ctx, r, "read a customer", scanCustomer, func() error {
		return domain.Errorf(domain.CodeNotFound, "customerId", "no customer with id %q", id)
	}, qCustomer, id)
}

// BySite is answered through the Store's catalog cache (catalogcache.go):
// every order reads its bill-to and ship-to sites.
func (r customers) BySite(ctx context.Context, siteUseID int64, use domain.SiteUse) (domain.Customer, error) {
	key := "site\x00" + strconv.FormatInt(siteUseID, 10) + "\x00" + strconv.Itoa(int(use))
	return cachedRow(ctx, r.tx, key, "read a customer by site", scanCustomer, cloneCustomer, func() error {
		return domain.Errorf(domain.CodeNotFound, "siteUseId", "no customer has a %s site with siteUseId %d", use, siteUseID)
	}, qCustomerBySite, siteUseID, int64(use))
}

func (r customers) ByClient(ctx context.Context, clientID string) ([]domain.Customer, error) {
	return sqlrow.All(ctx, r, "read a client's customers", scanCustomer, qCustomersByClient, clientID)
}
