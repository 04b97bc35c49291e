package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

type siteKey struct {
	id  int64
	use domain.SiteUse
}

type customers struct{ *tx }

func (t *tx) Customers() ports.Customers { return customers{t} }

func (r customers) Put(_ context.Context, c domain.Customer) error {
	if err := r.Write(sqlrow.Required("id", c.ID)); err != nil {
		return err
	}
	for i, site := range c.Sites {
		if owner, ok := r.db.siteOwners.get(siteKey{site.SiteUseID, site.Use}); ok && owner != c.ID {
			return domain.Errorf(domain.CodeConflict, fmt.Sprintf("sites[%d].siteUseId", i),
				"%s site %d already belongs to customer %q", site.Use, site.SiteUseID, owner)
		}
	}
	old, had := r.db.customers.get(c.ID)
	for _, site := range old.Sites {
		r.db.siteOwners.del(siteKey{site.SiteUseID, site.Use})
	}
	for _, site := range c.Sites {
		r.db.siteOwners.put(siteKey{site.SiteUseID, site.Use}, c.ID)
	}
	reindex(&r.db.clientCustomer, old.ClientID, had, c.ClientID, c.ID)
	r.db.customers.put(c.ID, c)
	return nil
}

func (r customers) Get(_ context.Context, id string) (domain.Customer, error) {
	return find(r.tx, &r.db.customers, id, "customerId", "no customer with id %q")
}

func (r customers) BySite(ctx context.Context, siteUseID int64, use domain.SiteUse) (domain.Customer, error) {
	if err := r.Read(); err != nil {
		return domain.Customer{}, err
	}
	owner, ok := r.db.siteOwners.get(siteKey{siteUseID, use})
	if !ok {
		return domain.Customer{}, domain.Errorf(domain.CodeNotFound, "siteUseId", "no customer has a %s site with siteUseId %d", use, siteUseID)
	}
	return r.Get(ctx, owner)
}

func (r customers) ByClient(_ context.Context, clientID string) ([]domain.Customer, error) {
	if err := r.Read(); err != nil {
		return nil, err
	}
	ids, _ := r.db.clientCustomer.get(clientID)
	out := rows(&r.db.customers, ids)
	slices.SortFunc(out, func(a, b domain.Customer) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}
