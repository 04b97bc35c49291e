package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// modelKey folds case: models are looked up case-insensitively.
type modelKey struct{ manufacturer, name string }

func keyOf(manufacturer, name string) modelKey {
	return modelKey{strings.ToUpper(manufacturer), strings.ToUpper(name)}
}

type catalog struct{ *tx }

func (t *tx) Catalog() ports.Catalog { return catalog{t} }

func (r catalog) PutPart(_ context.Context, p domain.Part) error {
	if err := r.Write(sqlrow.Required("partNumber", p.Number)); err != nil {
		return err
	}
	r.db.parts.put(p.Number, p)
	return nil
}

func (r catalog) Part(_ context.Context, number string) (domain.Part, error) {
	return find(r.tx, &r.db.parts, number, "partNumber", "no part with number %q")
}

func (r catalog) Parts(context.Context) ([]domain.Part, error) {
	if err := r.Read(); err != nil {
		return nil, err
	}
	out := r.db.parts.all()
	slices.SortFunc(out, func(a, b domain.Part) int { return cmp.Compare(a.Number, b.Number) })
	return out, nil
}

// PutModel compiles the serial pattern first, so a bad one is refused with
// CodeInvalid and the models handed out carry their compiled pattern.
func (r catalog) PutModel(_ context.Context, m domain.Model) error {
	if err := r.Write(sqlrow.Required("model", m.Name)); err != nil {
		return err
	}
	if err := m.Compile(); err != nil {
		return err
	}
	k := keyOf(m.Manufacturer, m.Name)
	if _, had := r.db.models.get(k); !had {
		push(&r.db.modelsByName, k.name, k)
	}
	r.db.models.put(k, m)
	return nil
}

// Model with no manufacturer picks, among the manufacturers that have a model
// of that name, the first in Models' order, so the answer does not depend on
// the order the models were stored in.
func (r catalog) Model(_ context.Context, manufacturer, name string) (domain.Model, error) {
	if err := r.Read(); err != nil {
		return domain.Model{}, err
	}
	if manufacturer != "" {
		if m, ok := r.db.models.get(keyOf(manufacturer, name)); ok {
			return m, nil
		}
		return domain.Model{}, domain.Errorf(domain.CodeNotFound, "manufacturerModel", "no model %q of manufacturer %q", name, manufacturer)
	}
	keys, _ := r.db.modelsByName.get(strings.ToUpper(name))
	ms := rows(&r.db.models, keys)
	if len(ms) == 0 {
		return domain.Model{}, domain.Errorf(domain.CodeNotFound, "manufacturerModel", "no model named %q", name)
	}
	return slices.MinFunc(ms, compareModels), nil
}

func (r catalog) Models(context.Context) ([]domain.Model, error) {
	if err := r.Read(); err != nil {
		return nil, err
	}
	out := r.db.models.all()
	slices.SortFunc(out, compareModels)
	return out, nil
}

func compareModels(a, b domain.Model) int {
	return cmp.Or(cmp.Compare(a.Manufacturer, b.Manufacturer), cmp.Compare(a.Name, b.Name))
}

// PutPriceList refuses a country another list is mapped to (CodeConflict):
// PriceListForCountry must have one answer.
func (r catalog) PutPriceList(_ context.Context, l domain.PriceList) error {
	if err := r.Write(sqlrow.Required("priceListId", l.ID)); err != nil {
		return err
	}
	for i, c := range l.Countries {
		if owner, ok := r.db.countryList.get(strings.ToUpper(c)); ok && owner != l.ID {
			return domain.Errorf(domain.CodeConflict, fmt.Sprintf("countries[%d]", i), "country %q already uses price list %q", c, owner)
		}
	}
	old, _ := r.db.priceLists.get(l.ID)
	for _, c := range old.Countries {
		r.db.countryList.del(strings.ToUpper(c))
	}
	for _, c := range l.Countries {
		r.db.countryList.put(strings.ToUpper(c), l.ID)
	}
	r.db.priceLists.put(l.ID, l)
	return nil
}

func (r catalog) PriceList(_ context.Context, id string) (domain.PriceList, error) {
	return find(r.tx, &r.db.priceLists, id, "priceListId", "no price list with id %q")
}

func (r catalog) PriceListForCountry(_ context.Context, country string) (domain.PriceList, error) {
	if err := r.Read(); err != nil {
		return domain.PriceList{}, err
	}
	if id, ok := r.db.countryList.get(strings.ToUpper(country)); ok {
		if l, ok := r.db.priceLists.get(id); ok {
			return l, nil
		}
	}
	return domain.PriceList{}, domain.Errorf(domain.CodeNotFound, "country", "no price list for country %q", country)
}

func (r catalog) PutPromo(_ context.Context, p domain.PromoCode) error {
	if err := r.Write(sqlrow.Required("promoCode", p.Code)); err != nil {
		return err
	}
	r.db.promos.put(strings.ToUpper(p.Code), p)
	return nil
}

func (r catalog) Promo(_ context.Context, code string) (domain.PromoCode, error) {
	if err := r.Read(); err != nil {
		return domain.PromoCode{}, err
	}
	p, ok := r.db.promos.get(strings.ToUpper(code))
	if !ok {
		return p, domain.Errorf(domain.CodeNotFound, "promoCode", "no promo code %q", code)
	}
	return p, nil
}

func (r catalog) PutCoupon(_ context.Context, c domain.Coupon) error {
	if err := r.Write(sqlrow.Required("couponNumber", c.Number)); err != nil {
		return err
	}
	r.db.coupons.put(c.Number, c)
	return nil
}

func (r catalog) Coupon(_ context.Context, number string) (domain.Coupon, error) {
	return find(r.tx, &r.db.coupons, number, "couponNumber", "no coupon with number %q")
}

func (r catalog) RedeemCoupon(ctx context.Context, number string) error {
	if err := r.Write(); err != nil {
		return err
	}
	c, err := r.Coupon(ctx, number)
	if err != nil {
		return err
	}
	if c.Redeemed {
		return domain.Errorf(domain.CodeConflict, "couponNumber", "coupon %q was already redeemed", number)
	}
	c.Redeemed = true
	r.db.coupons.put(c.Number, c)
	return nil
}
