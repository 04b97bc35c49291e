package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

type catalog struct{ *tx }

func (t *tx) Catalog() ports.Catalog { return catalog{t} }

const (
	partColumns = `number, description, service_type, product_line, duration_n, duration_unit,
	trial, bundle, redemption, models, regions, activation_method`
	qPutPart = `INSERT INTO parts (` + partColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (number) DO UPDATE SET description = excluded.description, service_type = excluded.service_type,
		product_line = excluded.product_line, duration_n = excluded.duration_n, duration_unit = excluded.duration_unit,
		trial = excluded.trial, bundle = excluded.bundle, redemption = excluded.redemption, models = excluded.models,
		regions = excluded.regions, activation_method = excluded.activation_method`
	qPart  = `SELECT ` + partColumns + ` FROM parts WHERE number = ?`
	qParts = `SELECT ` + partColumns + ` FROM parts ORDER BY number`

	modelColumns = `manufacturer, name, agriculture, serial_pattern`
	qPutModel    = `INSERT INTO models (manufacturer_key, name_key, ` + modelColumns + `) VALUES (?, ?, ?, ?, ?, ?)
	ON CONFLICT (manufacturer_key, name_key) DO UPDATE SET manufacturer = excluded.manufacturer,
		name = excluded.name, agriculture = excluded.agriculture, serial_pattern = excluded.serial_pattern`
	qModel = `SELECT ` + modelColumns + ` FROM models WHERE manufacturer_key = ? AND name_key = ?`
	// With no manufacturer, the first in Models' order, so the answer does
	// not depend on the order the models were stored in.
	qModelAnyMaker = `SELECT ` + modelColumns + ` FROM models WHERE name_key = ? ORDER BY manufacturer, name LIMIT 1`
	qModels        = `SELECT ` + modelColumns + ` FROM models ORDER BY manufacturer, name`

	priceListColumns = `p.id, p.currency, p.countries, p.items`
	qPutPriceList    = `INSERT INTO price_lists (id, currency, countries, items) VALUES (?, ?, ?, ?)
	ON CONFLICT (id) DO UPDATE SET currency = excluded.currency, countries = excluded.countries, items = excluded.items`
	qDropListCountries   = `DELETE FROM price_list_countries WHERE price_list_id = ?`
	qPutListCountry      = `INSERT INTO price_list_countries (country, price_list_id) VALUES (?, ?)`
	qCountryList         = `SELECT price_list_id FROM price_list_countries WHERE country = ?`
	qPriceList           = `SELECT ` + priceListColumns + ` FROM price_lists p WHERE p.id = ?`
	qPriceListForCountry = `SELECT ` + priceListColumns + ` FROM price_list_countries c JOIN price_lists p ON p.id = c.price_list_id
	WHERE c.country = ?`

	qPutPromo = `INSERT INTO promos (code_key, code, discount_percent, valid_from, valid_to) VALUES (?, ?, ?, ?, ?)
	ON CONFLICT (code_key) DO UPDATE SET code = excluded.code, discount_percent = excluded.discount_percent,
		valid_from = excluded.valid_from, valid_to = excluded.valid_to`
	qPromo = `SELECT code, discount_percent, valid_from, valid_to FROM promos WHERE code_key = ?`

	qPutCoupon = `INSERT INTO coupons (number, part_number, redeemed) VALUES (?, ?, ?)
	ON CONFLICT (number) DO UPDATE SET part_number = excluded.part_number, redeemed = excluded.redeemed`
	qCoupon       = `SELECT number, part_number, redeemed FROM coupons WHERE number = ?`
	qRedeemCoupon = `UPDATE coupons SET redeemed = 1 WHERE number = ? AND redeemed = 0`
)

func scanPart(r sqlrow.Scanner) (domain.Part, error) {
	var (
		p               domain.Part
		models, regions []byte
	)
	if err := r.Scan(&p.Number, &p.Description, &p.ServiceType, &p.ProductLine, &p.Duration.N, &p.Duration.Unit,
		&p.Trial, &p.Bundle, &p.Redemption, &models, &regions, &p.ActivationMethod); err != nil {
		return p, err
	}
	if err := sqlrow.DecodeJSON(models, &p.Models); err != nil {
		return p, fmt.Errorf("part %q: models: %w", p.Number, err)
	}
	if err := sqlrow.DecodeJSON(regions, &p.Regions); err != nil {
		return p, fmt.Errorf("part %q: regions: %w", p.Number, err)
	}
	return p, nil
}

func (r catalog) PutPart(ctx context.Context, p domain.Part) error {
	if err := r.Write(sqlrow.Required("partNumber", p.Number)); err != nil {
		return err
	}
	r.catalogWrite()
	models, err := text(sqlrow.EncodeJSON(p.Models))
	if err != nil {
		return err
	}
	regions, err := text(sqlrow.EncodeJSON(p.Regions))
	if err != nil {
		return err
	}
	_, err = r.exec(ctx, qPutPart, p.Number, p.Description, string(p.ServiceType), string(p.ProductLine),
		p.Duration.N, string(p.Duration.Unit), p.Trial, p.Bundle, p.Redemption, models, regions, string(p.ActivationMethod))
	return r.Fail(ctx, err, "store part %q", p.Number)
}

// Part, Model, PriceList, PriceListForCountry and Promo are answered through
// the Store's catalog cache (catalogcache.go).
func (r catalog) Part(ctx context.Context, number string) (domain.Part, error) {
	return cachedRow(ctx, r.tx, "part\x00"+number, "read a part", scanPart, clonePart, func() error {
		return domain.Errorf(domain.CodeNotFound, "partNumber", "no part with number %q", number)
	}, qPart, number)
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
		l                domain.PriceList
		countries, items []byte
	)
	if err := r.Scan(&l.ID, &l.Currency, &countries, &items); err != nil {
		return l, err
	}
	if err := sqlrow.DecodeJSON(countries, &l.Countries); err != nil {
		return l, fmt.Errorf("price list %q: countries: %w", l.ID, err)
	}
	var err error
	if l.Items, err = sqlrow.DecodePriceItems(items); err != nil {
		return l, fmt.Errorf("price list %q: items: %w", l.ID, err)
	}
	return l, nil
}

// PutPriceList refuses a country another list is mapped to (CodeConflict):
// PriceListForCountry must have one answer, and the primary key of
// price_list_countries says so: the insert that breaks it is the conflict.
func (r catalog) PutPriceList(ctx context.Context, l domain.PriceList) error {
	if err := r.Write(sqlrow.Required("priceListId", l.ID)); err != nil {
		return err
	}
	r.catalogWrite()
	countries, err := text(sqlrow.EncodeJSON(l.Countries))
	if err != nil {
		return err
	}
	items, err := text(sqlrow.EncodePriceItems(l.Items))
	if err != nil {
		return err
	}
	return r.savepoint(ctx, func() error {
		if _, err := r.exec(ctx, qPutPriceList, l.ID, string(l.Currency), countries, items); err != nil {
			return r.Fail(ctx, err, "store price list %q", l.ID)
		}
		if _, err := r.exec(ctx, qDropListCountries, l.ID); err != nil {
			return r.Fail(ctx, err, "store the countries of price list %q", l.ID)
		}
		for i, c := range l.Countries {
			_, err := r.exec(ctx, qPutListCountry, strings.ToUpper(c), l.ID)
			if err == nil {
				continue
			}
			if !isUnique(err) {
				return r.Fail(ctx, err, "store the countries of price list %q", l.ID)
			}
			var owner string
			if oerr := r.QueryRow(ctx, qCountryList, strings.ToUpper(c)).Scan(&owner); oerr != nil {
				return r.Fail(ctx, oerr, "find the price list of country %q", c)
			}
			if owner == l.ID {
				continue // the list names one country twice
			}
			return conflict(err, fmt.Sprintf("countries[%d]", i), "country %q already uses price list %q", c, owner)
		}
		return nil
	})
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

func (r catalog) PutPromo(ctx context.Context, p domain.PromoCode) error {
	if err := r.Write(sqlrow.Required("promoCode", p.Code)); err != nil {
		return err
	}
	r.catalogWrite()
	_, err := r.exec(ctx, qPutPromo, strings.ToUpper(p.Code), p.Code, sqlrow.DecimalText(p.DiscountPercent),
		sqlrow.DateText(p.ValidFrom), sqlrow.DateText(p.ValidTo))
	return r.Fail(ctx, err, "store promo code %q", p.Code)
}

func scanPromo(r sqlrow.Scanner) (domain.PromoCode, error) {
	var (
		p              domain.PromoCode
		disc, from, to string
	)
	if err := r.Scan(&p.Code, &disc, &from, &to); err != nil {
		return p, err
	}
	var err error
	if p.DiscountPercent, err = sqlrow.ParseDecimal(disc, "discount_percent"); err != nil {
		return p, fmt.Errorf("promo code %q: %w", p.Code, err)
	}
	if p.ValidFrom, err = sqlrow.ParseDateText(from, "valid_from"); err != nil {
		return p, fmt.Errorf("promo code %q: %w", p.Code, err)
	}
	if p.ValidTo, err = sqlrow.ParseDateText(to, "valid_to"); err != nil {
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

// RedeemCoupon flips the flag only while it is unset, so the statement
// itself is the check; when it changes nothing, Coupon tells a missing
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
