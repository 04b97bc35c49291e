package postgres

import (
	"context"
	"fmt"
	"slices"
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
	qPutCustomer = `INSERT INTO customers (id, client_id, parent_id, kind, name, region, country,
		price_list_id, active, created_at, discount_percent, credit_hold, sites)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
	ON CONFLICT (id) DO UPDATE SET client_id = excluded.client_id, parent_id = excluded.parent_id,
		kind = excluded.kind, name = excluded.name, region = excluded.region, country = excluded.country,
		price_list_id = excluded.price_list_id, active = excluded.active, created_at = excluded.created_at,
		discount_percent = excluded.discount_percent, credit_hold = excluded.credit_hold, sites = excluded.sites`
	qDropCustomerSites = `DELETE FROM customer_sites WHERE customer_id = $1`
	// DISTINCT: a customer listing one site twice still owns it once.
	qPutCustomerSites = `INSERT INTO customer_sites (site_use_id, site_use, customer_id)
	SELECT DISTINCT id, site_use, $3 FROM unnest($1::bigint[], $2::smallint[]) AS w(id, site_use)`
	qSiteOwners = `SELECT s.site_use_id, s.site_use, s.customer_id FROM customer_sites s
	JOIN unnest($1::bigint[], $2::smallint[]) AS w(id, site_use) ON s.site_use_id = w.id AND s.site_use = w.site_use
	WHERE s.customer_id <> $3`
	qCustomer       = `SELECT ` + customerColumns + ` FROM customers c WHERE c.id = $1`
	qCustomerBySite = selectVersioned + customerColumns + ` FROM customer_sites s
	JOIN customers c ON c.id = s.customer_id WHERE s.site_use_id = $1 AND s.site_use = $2`
	qCustomersByClient = `SELECT ` + customerColumns + ` FROM customers c WHERE c.client_id = $1 ORDER BY c.id`
)

func scanCustomer(r sqlrow.Scanner) (domain.Customer, error) {
	var (
		c     domain.Customer
		kind  int16
		sites []byte
	)
	if err := r.Scan(&c.ID, &c.ClientID, &c.ParentID, &kind, &c.Name, &c.Region, &c.Country, &c.PriceListID,
		&c.Active, &c.CreatedAt, &c.DiscountPercent, &c.CreditHold, &sites); err != nil {
		return c, err
	}
	c.Kind, c.CreatedAt = domain.CustomerKind(kind), utc(c.CreatedAt)
	var err error
	if c.Sites, err = sqlrow.DecodeSites(sites); err != nil {
		return c, fmt.Errorf("customer %q: sites: %w", c.ID, err)
	}
	return c, nil
}

// siteOwner is who owns one site use id with one use.
type siteOwner struct {
	id    int64
	use   int16
	owner string
}

func scanSiteOwner(r sqlrow.Scanner) (siteOwner, error) {
	var o siteOwner
	err := r.Scan(&o.id, &o.use, &o.owner)
	return o, err
}

// Put checks the sites first, as the memory store does, so the usual
// conflict names the site at fault and leaves the transaction usable; the
// primary key of customer_sites catches the racing one.
func (r customers) Put(ctx context.Context, c domain.Customer) error {
	if err := r.Write(sqlrow.Required("id", c.ID)); err != nil {
		return err
	}
	r.catalogWrite()
	ids := make([]int64, len(c.Sites))
	uses := make([]int16, len(c.Sites))
	for i, s := range c.Sites {
		ids[i], uses[i] = s.SiteUseID, int16(s.Use)
	}
	if len(c.Sites) > 0 {
		taken, err := sqlrow.All(ctx, r, "find the owners of a customer's sites", scanSiteOwner, qSiteOwners, ids, uses, c.ID)
		if err != nil {
			return err
		}
		for i, s := range c.Sites {
			for _, o := range taken {
				if o.id == s.SiteUseID && o.use == int16(s.Use) {
					return domain.Errorf(domain.CodeConflict, fmt.Sprintf("sites[%d].siteUseId", i),
						"%s site %d already belongs to customer %q", s.Use, s.SiteUseID, o.owner)
				}
			}
		}
	}
	sites, err := sqlrow.EncodeSites(c.Sites)
	if err != nil {
		return err
	}
	if _, err := r.exec(ctx, qPutCustomer, c.ID, c.ClientID, c.ParentID, int16(c.Kind), c.Name, string(c.Region), c.Country,
		c.PriceListID, c.Active, c.CreatedAt, c.DiscountPercent, c.CreditHold, sites); err != nil {
		return r.Fail(ctx, err, "store customer %q", c.ID)
	}
	if _, err := r.exec(ctx, qDropCustomerSites, c.ID); err != nil {
		return r.Fail(ctx, err, "store the sites of customer %q", c.ID)
	}
	if len(c.Sites) == 0 {
		return nil
	}
	_, err = r.exec(ctx, qPutCustomerSites, ids, uses, c.ID)
	return r.Fail(ctx, err, "store the sites of customer %q", c.ID)
}

func (r customers) Get(ctx context.Context, id string) (domain.Customer, error) {
	return sqlrow.One(ctx, r, "read a customer", scanCustomer, func() error {
		return domain.Errorf(domain.CodeNotFound, "customerId", "no customer with id %q", id)
	}, qCustomer, id)
}

// BySite reads through the Store's catalog cache (catalogcache.go).
func (r customers) BySite(ctx context.Context, siteUseID int64, use domain.SiteUse) (domain.Customer, error) {
	key := "site\x00" + strconv.FormatInt(siteUseID, 10) + "\x00" + strconv.Itoa(int(use))
	return cachedRow(ctx, r.tx, key, "read a customer by site", scanCustomer, cloneCustomer, func() error {
		return domain.Errorf(domain.CodeNotFound, "siteUseId", "no customer has a %s site with siteUseId %d", use, siteUseID)
	}, qCustomerBySite, siteUseID, int16(use))
}

func cloneCustomer(c domain.Customer) domain.Customer {
	c.Sites = slices.Clone(c.Sites)
	return c
}

func (r customers) ByClient(ctx context.Context, clientID string) ([]domain.Customer, error) {
	return sqlrow.All(ctx, r, "read a client's customers", scanCustomer, qCustomersByClient, clientID)
}
