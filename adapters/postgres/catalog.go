package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

type catalog struct{ *tx }

func (t *tx) Catalog() ports.Catalog { return catalog{t} }

const (
	partColumns = `number, description, service_type, product_line, duration_n, duration_unit,
	trial, bundle, redemption, models, regions, activation_method`
	qPutPart = `INSERT INTO parts (` + partColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
	ON CONFLICT (number) DO UPDATE SET description = excluded.description, service_type = excluded.service_type,
		product_line = excluded.product_line, duration_n = excluded.duration_n, duration_unit = excluded.duration_unit,
		trial = excluded.trial, bundle = excluded.bundle, redemption = excluded.redemption, models = excluded.models,
		regions = excluded.regions, activation_method = excluded.activation_method`
	qPart  = selectVersioned + partColumns + ` FROM parts WHERE number = $1`
	qParts = `SELECT ` + partColumns + ` FROM parts ORDER BY number`

	modelColumns = `manufacturer, name, agriculture, serial_pattern`
	qPutModel    = `INSERT INTO models (manufacturer_key, name_key, ` + modelColumns + `) VALUES ($1, $2, $3, $4, $5, $6)
	ON CONFLICT (manufacturer_key, name_key) DO UPDATE SET manufacturer = excluded.manufacturer,
		name = excluded.name, agriculture = excluded.agriculture, serial_pattern = excluded.serial_pattern`
	qModel = selectVersioned + modelColumns + ` FROM models WHERE manufacturer_key = $1 AND name_key = $2`
	// With no manufacturer, the first in Models' order, so the answer does
	// not depend on the order the models were stored in.
	qModelAnyMaker = selectVersioned + modelColumns + ` FROM models WHERE name_key = $1 ORDER BY manufacturer, name LIMIT 1`
	qModels        = `SELECT ` + modelColumns + ` FROM models ORDER BY manufacturer, name`

	priceListColumns = `l.id, l.currency, l.countries, l.items`
	qPutPriceList    = `INSERT INTO price_lists (id, currency, countries, items) VALUES ($1, $2, $3, $4)
	ON CONFLICT (id) DO UPDATE SET currency = excluded.currency, countries = excluded.countries, items = excluded.items`
	qDropListCountries = `DELETE FROM price_list_countries WHERE price_list_id = $1`
	qPutListCountries  = `INSERT INTO price_list_countries (country_key, price_list_id)
	SELECT DISTINCT k, $2 FROM unnest($1::text[]) AS k`
	qCountryLists = `SELECT country_key, price_list_id FROM price_list_countries
	WHERE country_key = ANY($1) AND price_list_id <> $2`
	qPriceList           = selectVersioned + priceListColumns + ` FROM price_lists l WHERE l.id = $1`
	qPriceListForCountry = selectVersioned + priceListColumns + ` FROM price_list_countries c
	JOIN price_lists l ON l.id = c.price_list_id WHERE c.country_key = $1`

	qPutPromo = `INSERT INTO promo_codes (code_key, code, discount_percent, valid_from, valid_to)
	VALUES ($1, $2, $3::text::numeric, $4, $5)
	ON CONFLICT (code_key) DO UPDATE SET code = excluded.code, discount_percent = excluded.discount_percent,
		valid_from = excluded.valid_from, valid_to = excluded.valid_to`
	qPromo = selectVersioned + `code, discount_percent::text, valid_from, valid_to FROM promo_codes WHERE code_key = $1`

	qPutCoupon = `INSERT INTO coupons (number, part_number, redeemed) VALUES ($1, $2, $3)
	ON CONFLICT (number) DO UPDATE SET part_number = excluded.part_number, redeemed = excluded.redeemed`
	qCoupon       = `SELECT number, part_number, redeemed FROM coupons WHERE number = $1`
	qRedeemCoupon = `UPDATE coupons SET redeemed = true WHERE number = $1 AND NOT redeemed`
)

func scanPart(r sqlrow.Scanner) (domain.Part, error) {
	var p domain.Part
	err := r.Scan(&p.Number, &p.Description, &p.ServiceType, &p.ProductLine, &p.Duration.N, &p.Duration.Unit,
		&p.Trial, &p.Bundle, &p.Redemption, &p.Models, &p.Regions, &p.ActivationMethod)
	return p, err
}

func (r catalog) PutPart(ctx context.Context, p domain.Part) error {
	if err := r.Write(sqlrow.Required("partNumber", p.Number)); err != nil {
		return err
	}
	r.catalogWrite()
	_, err := r.exec(ctx, qPutPart, p.Number, p.Description, string(p.ServiceType), string(p.ProductLine),
		p.Duration.N, string(p.Duration.Unit), p.Trial, p.Bundle, p.Redemption, texts(p.Models), texts(p.Regions),
		string(p.ActivationMethod))
	return r.Fail(ctx, err, "store part %q", p.Number)
}

// Part, Model, PriceList, PriceListForCountry and Promo read through the
// Store's catalog cache (catalogcache.go).
func (r catalog) Part(ctx context.Context, number string) (domain.Part, error) {
	return cachedRow(ctx, r.tx, "part\x00"+number, "read a part", scanPart, clonePart, func() error {
		return domain.Errorf(domain.CodeNotFound, "partNumber", "no part with number %q", number)
	}, qPart, number)
}

func clonePart(p domain.Part) domain.Part {
	p.Models, p.Regions = slices.Clone(p.Models), slices.Clone(p.Regions)
	return p
}

func (r catalog) Parts(ctx context.Context) ([]domain.Part, error) {
	return sqlrow.All(ctx, r, "read the parts", scanPart, qParts)
}

// scanModel compiles the serial pattern, so the models handed out carry it
// compiled, as those of the memory store do; the patterns were checked when
// stored.
func scanModel(r sqlrow.Scanner) (domain.Model, error) {
	var m domain.Model
	if err := r.Scan(&m.Manufacturer, &m.Name, &m.Agriculture, &m.SerialPattern); err != nil {
		return m, err
	}
	if err := m.Compile(); err != nil {
		return m, domain.Wrap(err, domain.CodeInternal, "stored model %s", m.Key())
	}
	return m, nil
}

// modelKey folds case: models are looked up case-insensitively, by Go's
// upper-casing rather than the database's.
func modelKey(manufacturer, name string) (string, string) {
	return strings.ToUpper(manufacturer), strings.ToUpper(name)
}

// PutModel compiles the serial pattern first, so a bad one is refused with
// CodeInvalid. Another spelling of a stored manufacturer and name replaces
// that model, spelling included.
func (r catalog) PutModel(ctx context.Context, m domain.Model) error {
	if err := r.Write(sqlrow.Required("model", m.Name)); err != nil {
		return err
	}
	r.catalogWrite()
	if err := m.Compile(); err != nil {
		return err
	}
	mk, nk := modelKey(m.Manufacturer, m.Name)
	_, err := r.exec(ctx, qPutModel, mk, nk, m.Manufacturer, m.Name, m.Agriculture, m.SerialPattern)
	return r.Fail(ctx, err, "store model %s", m.Key())
}

// Model with no manufacturer picks, among the manufacturers that have a model
// of that name, the first in Models' order, as the memory store does.
func (r catalog) Model(ctx context.Context, manufacturer, name string) (domain.Model, error) {
	mk, nk := modelKey(manufacturer, name)
	if manufacturer == "" {
		return cachedRow(ctx, r.tx, "model\x00\x00"+nk, "read a model", scanModel, same, func() error {
			return domain.Errorf(domain.CodeNotFound, "manufacturerModel", "no model named %q", name)
		}, qModelAnyMaker, nk)
	}
	return cachedRow(ctx, r.tx, "model\x00"+mk+"\x00"+nk, "read a model", scanModel, same, func() error {
		return domain.Errorf(domain.CodeNotFound, "manufacturerModel", "no model %q of manufacturer %q", name, manufacturer)
	}, qModel, mk, nk)
}

func (r catalog) Models(ctx context.Context) ([]domain.Model, error) {
	return sqlrow.All(ctx, r, "read the models", scanModel, qModels)
}

func scanPriceList(r sqlrow.Scanner) (domain.PriceList, error) {
	var (
		l     domain.PriceList
		items []byte
	)
	if err := r.Scan(&l.ID, &l.Currency, &l.Countries, &items); err != nil {
		return l, err
	}
	var err error
	if l.Items, err = sqlrow.DecodePriceItems(items); err != nil {
		return l, fmt.Errorf("price list %q: items: %w", l.ID, err)
	}
	return l, nil
}

// countryList is the price list one country (upper-cased) uses.
type countryList struct{ country, list string }

func scanCountryList(r sqlrow.Scanner) (countryList, error) {
	var c countryList
	err := r.Scan(&c.country, &c.list)
	return c, err
}

// PutPriceList refuses a country another list is mapped to (CodeConflict):
// PriceListForCountry must have one answer. The countries are checked first,
// so the usual conflict names the country at fault and leaves the
// transaction usable; the primary key of price_list_countries holds against
// racing writers too.
func (r catalog) PutPriceList(ctx context.Context, l domain.PriceList) error {
	if err := r.Write(sqlrow.Required("priceListId", l.ID)); err != nil {
		return err
	}
	r.catalogWrite()
	keys := make([]string, len(l.Countries))
	for i, c := range l.Countries {
		keys[i] = strings.ToUpper(c)
	}
	if len(keys) > 0 {
		owners, err := sqlrow.All(ctx, r, "find the price lists of countries", scanCountryList, qCountryLists, keys, l.ID)
		if err != nil {
			return err
		}
		for i, c := range l.Countries {
			for _, o := range owners {
				if o.country == keys[i] {
					return domain.Errorf(domain.CodeConflict, fmt.Sprintf("countries[%d]", i), "country %q already uses price list %q", c, o.list)
				}
			}
		}
	}
	items, err := sqlrow.EncodePriceItems(l.Items)
	if err != nil {
		return err
	}
	if _, err := r.exec(ctx, qPutPriceList, l.ID, string(l.Currency), texts(l.Countries), items); err != nil {
		return r.Fail(ctx, err, "store price list %q", l.ID)
	}
	if _, err := r.exec(ctx, qDropListCountries, l.ID); err != nil {
		return r.Fail(ctx, err, "store the countries of price list %q", l.ID)
	}
	if len(keys) == 0 {
		return nil
	}
	_, err = r.exec(ctx, qPutListCountries, keys, l.ID)
	return r.Fail(ctx, err, "store the countries of price list %q", l.ID)
}

func (r catalog) PriceList(ctx context.Context, id string) (domain.PriceList, error) {
	return cachedRow(ctx, r.tx, "pricelist\x00"+id, "read a price list", scanPriceList, clonePriceList, func() error {
		return domain.Errorf(domain.CodeNotFound, "priceListId", "no price list with id %q", id)
	}, qPriceList, id)
}

func (r catalog) PriceListForCountry(ctx context.Context, country string) (domain.PriceList, error) {
	k := strings.ToUpper(country)
	return cachedRow(ctx, r.tx, "country\x00"+k, "read a country's price list", scanPriceList, clonePriceList, func() error {
		return domain.Errorf(domain.CodeNotFound, "country", "no price list for country %q", country)
	}, qPriceListForCountry, k)
}

func clonePriceList(l domain.PriceList) domain.PriceList {
	l.Countries, l.Items = slices.Clone(l.Countries), slices.Clone(l.Items)
	return l
}

func (r catalog) PutPromo(ctx context.Context, p domain.PromoCode) error {
	if err := r.Write(sqlrow.Required("promoCode", p.Code)); err != nil {
		return err
	}
	r.catalogWrite()
	_, err := r.exec(ctx, qPutPromo, strings.ToUpper(p.Code), p.Code, sqlrow.DecimalText(p.DiscountPercent),
		dateArg(p.ValidFrom), dateArg(p.ValidTo))
	return r.Fail(ctx, err, "store promo code %q", p.Code)
}

func scanPromo(r sqlrow.Scanner) (domain.PromoCode, error) {
	var (
		p        domain.PromoCode
		disc     string
		from, to pgtype.Date
	)
	if err := r.Scan(&p.Code, &disc, &from, &to); err != nil {
		return p, err
	}
	p.ValidFrom, p.ValidTo = dateOf(from), dateOf(to)
	var err error
	if p.DiscountPercent, err = sqlrow.ParseDecimal(disc, "discount_percent"); err != nil {
		return p, fmt.Errorf("promo code %q: %w", p.Code, err)
	}
	return p, nil
}

func (r catalog) Promo(ctx context.Context, code string) (domain.PromoCode, error) {
	k := strings.ToUpper(code)
	return cachedRow(ctx, r.tx, "promo\x00"+k, "read a promo code", scanPromo, same, func() error {
		return domain.Errorf(domain.CodeNotFound, "promoCode", "no promo code %q", code)
	}, qPromo, k)
}

// same is the clone of a value with nothing a caller could change in place.
func same[T any](v T) T { return v }

func (r catalog) PutCoupon(ctx context.Context, c domain.Coupon) error {
	if err := r.Write(sqlrow.Required("couponNumber", c.Number)); err != nil {
		return err
	}
	_, err := r.exec(ctx, qPutCoupon, c.Number, c.PartNumber, c.Redeemed)
	return r.Fail(ctx, err, "store coupon %q", c.Number)
}

func scanCoupon(r sqlrow.Scanner) (domain.Coupon, error) {
	var c domain.Coupon
	err := r.Scan(&c.Number, &c.PartNumber, &c.Redeemed)
	return c, err
}

func (r catalog) Coupon(ctx context.Context, number string) (domain.Coupon, error) {
	return sqlrow.One(ctx, r, "read a coupon", scanCoupon, func() error {
		return domain.Errorf(domain.CodeNotFound, "couponNumber", "no coupon with number %q", number)
	}, qCoupon, number)
}

// RedeemCoupon flips the flag only when it is not set yet, so of two racing
// redemptions one updates the row and the other waits for it to commit,
// then checks the condition again on the row as committed (READ COMMITTED)
// and changes nothing; when it changes nothing, Coupon tells a missing
// coupon from a used one.
func (r catalog) RedeemCoupon(ctx context.Context, number string) error {
	if err := r.Write(); err != nil {
		return err
	}
	n, err := r.exec(ctx, qRedeemCoupon, number)
	if err != nil || n == 1 {
		return r.Fail(ctx, err, "redeem coupon %q", number)
	}
	if _, err := r.Coupon(ctx, number); err != nil {
		return err
	}
	return domain.Errorf(domain.CodeConflict, "couponNumber", "coupon %q was already redeemed", number)
}
