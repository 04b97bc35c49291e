package orders

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// The refusals of the store API's reads, for the HTTP layer to word as its
// seed does (errors.Is tells them apart).
var (
	// ErrNoMatch: nothing the principal reaches matches the search.
	ErrNoMatch = domain.Errorf(domain.CodeNotFound, "", "nothing you can see matches the search")
	// ErrNoActiveForOrder: the order has no active or future subscription.
	ErrNoActiveForOrder = domain.Errorf(domain.CodeNotFound, "orderNumber", "the order has no active or future subscription")
	// ErrNoActiveForSerial: the serial has no active or future subscription.
	ErrNoActiveForSerial = domain.Errorf(domain.CodeNotFound, "serialNumber", "the serial number has no active or future subscription")
)

func errNoData() error { return ErrNoMatch }

// CustomerQuery filters TAP_GET_CUSTOMERS_API; every field is optional.
type CustomerQuery struct {
	Region          string
	ResellerName    string    // at least 5 characters; matches a part of the name
	EndCustomerName string    // at least 5 characters
	CreatedAfter    time.Time // end customers created on or after it
}

// ResellerView is a reseller with its sites and end customers.
type ResellerView struct {
	Name         string
	BillTo       []domain.Site
	ShipTo       []domain.Site
	EndCustomers []EndCustomerView
}

// EndCustomerView is an end customer with its ship-to sites.
type EndCustomerView struct {
	Name   string
	ShipTo []domain.Site
}

// Customers returns clientID's active resellers and their active end
// customers (seed 001, TAP_GET_CUSTOMERS_API). It fails with CodeInvalid
// naming the field for a bad region or a name shorter than 5 characters, and
// with CodeNotFound (ErrNoMatch) when nothing matches.
func (e *Service) Customers(ctx context.Context, who domain.Principal, q CustomerQuery) ([]ResellerView, error) {
	clientID, err := partnerOf(who)
	if err != nil {
		return nil, err
	}
	if err := q.check(); err != nil {
		return nil, err
	}
	var p domain.Problems
	var region domain.Region
	if q.Region != "" {
		r, err := domain.ParseRegion(q.Region)
		if err != nil {
			p.Add("INVALID", "region", "region %q is not one of AMERICA, EUROPE, APAC, EMEA, SOUTH AFRICA", q.Region)
		}
		region = r
	}
	for _, f := range [...]struct{ field, v string }{{"resellerName", q.ResellerName}, {"endCustomerName", q.EndCustomerName}} {
		if f.v != "" && len([]rune(strings.TrimSpace(f.v))) < domain.MinNameQuery {
			p.Add("TOO_SHORT", f.field, "%s needs at least %d characters", f.field, domain.MinNameQuery)
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	var all []domain.Customer
	if err := e.store.View(ctx, func(tx ports.Tx) error {
		var err error
		all, err = tx.Customers().ByClient(ctx, clientID)
		return err
	}); err != nil {
		return nil, err
	}
	var out []ResellerView
	for i := range all {
		r := &all[i]
		if r.Kind != domain.Reseller || !r.Active || (region != "" && r.Region != region) ||
			(q.ResellerName != "" && !r.NameMatches(strings.TrimSpace(q.ResellerName))) {
			continue
		}
		v := ResellerView{Name: r.Name}
		for _, s := range r.Sites {
			if s.Use == domain.BillTo {
				v.BillTo = append(v.BillTo, s)
			} else {
				v.ShipTo = append(v.ShipTo, s)
			}
		}
		for j := range all {
			c := &all[j]
			if c.Kind != domain.EndCustomer || c.ParentID != r.ID || !c.Active ||
				(q.EndCustomerName != "" && !c.NameMatches(strings.TrimSpace(q.EndCustomerName))) ||
				(!q.CreatedAfter.IsZero() && c.CreatedAt.Before(q.CreatedAfter)) {
				continue
			}
			v.EndCustomers = append(v.EndCustomers, EndCustomerView{Name: c.Name, ShipTo: c.Sites})
		}
		// A name narrows the resellers to those with such an end customer;
		// the creation date only narrows the end customers listed.
		if q.EndCustomerName != "" && len(v.EndCustomers) == 0 {
			continue
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, errNoData()
	}
	return out, nil
}

// ManufacturerModels returns "Manufacturer||Model" for every model whose
// manufacturer contains manufacturer (case-insensitively; "" for all), sorted
// (seed 001, TAP_GET_MFG_MODELS_API). CodeNotFound (ErrNoMatch) when none.
func (e *Service) ManufacturerModels(ctx context.Context, manufacturer string) ([]string, error) {
	if err := domain.CheckTexts("manufacturer", manufacturer); err != nil {
		return nil, err
	}
	var models []domain.Model
	if err := e.store.View(ctx, func(tx ports.Tx) error {
		var err error
		models, err = tx.Catalog().Models(ctx)
		return err
	}); err != nil {
		return nil, err
	}
	q := strings.ToUpper(strings.TrimSpace(manufacturer))
	var out []string
	for i := range models {
		if strings.Contains(strings.ToUpper(models[i].Manufacturer), q) {
			out = append(out, models[i].Key())
		}
	}
	if len(out) == 0 {
		return nil, errNoData()
	}
	slices.Sort(out)
	return out, nil
}

// ProductQuery filters TAP_GET_PRODUCTS_API.
type ProductQuery struct {
	ResellerBillToSiteUseID int64
	ServiceType             string
	Model                   string // mandatory for RTX
	PartDescription         string // a part of the description, case-insensitive
}

// Product is a part a customer may order, priced from its price list.
type Product struct {
	ManufacturerModel string
	Part              domain.Part
	Currency          domain.Currency
	ListPrice         string
	Duration          string
	GeofenceRegions   []string
}

// ProductList is TAP_GET_PRODUCTS_API's answer.
type ProductList struct {
	CustomerName string
	Products     []Product
}

// Products returns the parts the reseller owning the bill-to site may order
// for a service type and model: the parts of its price list (the customer's,
// else its country's), eligible for the model (seed 001,
// TAP_GET_PRODUCTS_API). It fails with CodeInvalid naming a missing or bad
// field, and with CodeNotFound (ErrNoMatch) when nothing matches or the
// site is not one of clientID's.
func (e *Service) Products(ctx context.Context, who domain.Principal, q ProductQuery) (ProductList, error) {
	clientID, err := partnerOf(who)
	if err != nil {
		return ProductList{}, err
	}
	if err := q.check(); err != nil {
		return ProductList{}, err
	}
	var p domain.Problems
	if q.ResellerBillToSiteUseID <= 0 {
		p.Add("REQUIRED", "resellerbillToSiteUseId", "resellerbillToSiteUseId is mandatory")
	}
	st, err := domain.ParseServiceType(q.ServiceType)
	if err != nil {
		p.Add("INVALID", "serviceType", "serviceType is mandatory and must be RTX or VRS")
	}
	if st == domain.RTX && strings.TrimSpace(q.Model) == "" {
		p.Add("REQUIRED", "model", "model is mandatory for serviceType RTX")
	}
	if err := p.Err(); err != nil {
		return ProductList{}, err
	}
	var out ProductList
	err = e.store.View(ctx, func(tx ports.Tx) error {
		c, err := visibleSiteOwner(ctx, tx, clientID, q.ResellerBillToSiteUseID, domain.BillTo)
		if err != nil || c == nil || c.Kind != domain.Reseller {
			return err
		}
		pl, err := priceListOf(ctx, tx.Catalog(), c)
		if err != nil || pl == nil {
			return err
		}
		var model *domain.Model
		if strings.TrimSpace(q.Model) != "" {
			man, name := domain.SplitModelKey(q.Model)
			m, err := tx.Catalog().Model(ctx, man, name)
			if notFound(err) {
				return nil
			}
			if err != nil {
				return err
			}
			model = &m
		}
		out.CustomerName = c.Name
		desc := strings.ToUpper(strings.TrimSpace(q.PartDescription))
		for _, it := range pl.Items {
			part, err := tx.Catalog().Part(ctx, it.PartNumber)
			if notFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			if part.ServiceType != st || (model != nil && !part.EligibleFor(model.Name)) ||
				(desc != "" && !strings.Contains(strings.ToUpper(part.Description), desc)) {
				continue
			}
			pr := Product{Part: part, Currency: pl.Currency, ListPrice: it.ListPrice.StringFixed(2), Duration: part.Duration.String()}
			if model != nil {
				pr.ManufacturerModel = model.Key()
			}
			if part.ServiceType == domain.VRS {
				pr.GeofenceRegions = part.Regions
			}
			out.Products = append(out.Products, pr)
		}
		return nil
	})
	if err != nil {
		return ProductList{}, err
	}
	if len(out.Products) == 0 {
		return ProductList{}, errNoData()
	}
	return out, nil
}
