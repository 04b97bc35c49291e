package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/entitle-rules/entitle/domain"
)

// siteJSON is a domain.Site inside customers.sites. The JSON names are the
// stored format, independent of the Go field names.
type siteJSON struct {
	SiteUseID     int64  `json:"siteUseId"`
	Use           uint8  `json:"use"`
	Address       string `json:"address"`
	Region        string `json:"region"`
	Country       string `json:"country"`
	AutoRenewFlag bool   `json:"autoRenewFlag"`
}

type customers struct{ *tx }

const customerColumns = `c.id, c.client_id, c.parent_id, c.kind, c.name, c.region, c.country, c.price_list_id,
	c.active, c.created_at, c.discount_percent, c.credit_hold, c.sites`

func scanCustomer(row pgx.Row) (domain.Customer, error) {
	var (
		c     domain.Customer
		kind  int16
		sites []byte
	)
	err := row.Scan(&c.ID, &c.ClientID, &c.ParentID, &kind, &c.Name, &c.Region, &c.Country, &c.PriceListID,
		&c.Active, &c.CreatedAt, &c.DiscountPercent, &c.CreditHold, &sites)
	if err != nil {
		return c, err
	}
	c.Kind, c.CreatedAt = domain.CustomerKind(kind), utc(c.CreatedAt)
	var js []siteJSON
	if err := jsonOf(sites, &js); err != nil {
		return c, err
	}
	for _, s := range js {
		c.Sites = append(c.Sites, domain.Site{SiteUseID: s.SiteUseID, Use: domain.SiteUse(s.Use), Address: s.Address,
			Region: domain.Region(s.Region), Country: s.Country, AutoRenewFlag: s.AutoRenewFlag})
	}
	return c, nil
}

// Put checks the sites first, as the memory store does, so the usual
// conflict names the site at fault and leaves the transaction usable; the
// primary key of customer_sites catches the racing one.
func (r customers) Put(ctx context.Context, c domain.Customer) error {
	if err := r.write(); err != nil {
		return err
	}
	if err := required("id", c.ID); err != nil {
		return err
	}
	ids := make([]int64, len(c.Sites))
	uses := make([]int16, len(c.Sites))
	js := make([]siteJSON, len(c.Sites))
	for i, s := range c.Sites {
		ids[i], uses[i] = s.SiteUseID, int16(s.Use)
		js[i] = siteJSON{SiteUseID: s.SiteUseID, Use: uint8(s.Use), Address: s.Address, Region: string(s.Region),
			Country: s.Country, AutoRenewFlag: s.AutoRenewFlag}
	}
	if len(c.Sites) > 0 {
		type owned struct {
			id    int64
			use   int16
			owner string
		}
		var taken []owned
		err := r.all(ctx, "Customers.Put", `SELECT s.site_use_id, s.use, s.customer_id FROM customer_sites s
			JOIN unnest($1::bigint[], $2::smallint[]) AS w(id, use) ON s.site_use_id = w.id AND s.use = w.use
			WHERE s.customer_id <> $3`, []any{ids, uses, c.ID}, func(rows pgx.Rows) error {
			var o owned
			err := rows.Scan(&o.id, &o.use, &o.owner)
			taken = append(taken, o)
			return err
		})
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
	sites, err := jsonArg(js)
	if err != nil {
		return err
	}
	if _, err := r.exec(ctx, "Customers.Put", `INSERT INTO customers (id, client_id, parent_id, kind, name, region, country,
			price_list_id, active, created_at, discount_percent, credit_hold, sites)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (id) DO UPDATE SET client_id = excluded.client_id, parent_id = excluded.parent_id,
			kind = excluded.kind, name = excluded.name, region = excluded.region, country = excluded.country,
			price_list_id = excluded.price_list_id, active = excluded.active, created_at = excluded.created_at,
			discount_percent = excluded.discount_percent, credit_hold = excluded.credit_hold, sites = excluded.sites`,
		c.ID, c.ClientID, c.ParentID, int16(c.Kind), c.Name, string(c.Region), c.Country, c.PriceListID,
		c.Active, c.CreatedAt, c.DiscountPercent, c.CreditHold, sites); err != nil {
		return err
	}
	if _, err := r.exec(ctx, "Customers.Put", `DELETE FROM customer_sites WHERE customer_id = $1`, c.ID); err != nil {
		return err
	}
	if len(c.Sites) == 0 {
		return nil
	}
	// DISTINCT: a customer listing one site twice still owns it once.
	_, err = r.exec(ctx, "Customers.Put", `INSERT INTO customer_sites (site_use_id, use, customer_id)
		SELECT DISTINCT id, use, $3 FROM unnest($1::bigint[], $2::smallint[]) AS w(id, use)`, ids, uses, c.ID)
	return err
}

func (r customers) Get(ctx context.Context, id string) (domain.Customer, error) {
	if err := r.read(); err != nil {
		return domain.Customer{}, err
	}
	return r.lookup(ctx, "Customers.Get", `SELECT `+customerColumns+` FROM customers c WHERE c.id = $1`, []any{id},
		domain.Errorf(domain.CodeNotFound, "customerId", "no customer with id %q", id))
}

func (r customers) BySite(ctx context.Context, siteUseID int64, use domain.SiteUse) (domain.Customer, error) {
	if err := r.read(); err != nil {
		return domain.Customer{}, err
	}
	return r.lookup(ctx, "Customers.BySite", `SELECT `+customerColumns+` FROM customer_sites s
		JOIN customers c ON c.id = s.customer_id WHERE s.site_use_id = $1 AND s.use = $2`, []any{siteUseID, int16(use)},
		domain.Errorf(domain.CodeNotFound, "siteUseId", "no customer has a %s site with siteUseId %d", use, siteUseID))
}

// lookup returns the one customer the query finds, or notFound.
func (r customers) lookup(ctx context.Context, what, sql string, args []any, notFound error) (domain.Customer, error) {
	var out []domain.Customer
	if err := r.all(ctx, what, sql, args, func(rows pgx.Rows) error {
		c, err := scanCustomer(rows)
		out = append(out, c)
		return err
	}); err != nil {
		return domain.Customer{}, err
	}
	if len(out) == 0 {
		return domain.Customer{}, notFound
	}
	return out[0], nil
}

func (r customers) ByClient(ctx context.Context, clientID string) ([]domain.Customer, error) {
	if err := r.read(); err != nil {
		return nil, err
	}
	out := []domain.Customer{}
	err := r.all(ctx, "Customers.ByClient", `SELECT `+customerColumns+` FROM customers c WHERE c.client_id = $1 ORDER BY c.id`,
		[]any{clientID}, func(rows pgx.Rows) error {
			c, err := scanCustomer(rows)
			out = append(out, c)
			return err
		})
	return out, err
}
