package sqlite

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/entitle-rules/entitle/domain"
)

type catalog struct{ *tx }

const (
	partCols = `number, description, service_type, product_line, duration_n, duration_unit,
	trial, bundle, redemption, models, regions, activation_method`
	qPutPart = `INSERT INTO parts (` + partCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (number) DO UPDATE SET description = excluded.description, service_type = excluded.service_type,
		product_line = excluded.product_line, duration_n = excluded.duration_n, duration_unit = excluded.duration_unit,
		trial = excluded.trial, bundle = excluded.bundle, redemption = excluded.redemption, models = excluded.models,
		regions = excluded.regions, activation_method = excluded.activation_method`
	qPart  = `SELECT ` + partCols + ` FROM parts WHERE number = ?`
	qParts = `SELECT ` + partCols + ` FROM parts ORDER BY number`

	modelCols = `manufacturer, name, agriculture, serial_pattern`
	qPutModel = `INSERT INTO models (manufacturer_key, name_key, ` + modelCols + `) VALUES (?, ?, ?, ?, ?, ?)
	ON CONFLICT (manufacturer_key, name_key) DO UPDATE SET manufacturer = excluded.manufacturer,
		name = excluded.name, agriculture = excluded.agriculture, serial_pattern = excluded.serial_pattern`
	qModel = `SELECT ` + modelCols + ` FROM models WHERE manufacturer_key = ? AND name_key = ?`
	// With no manufacturer, the first in Models' order, so the answer does
	// not depend on the order the models were stored in.
	qModelAnyMaker = `SELECT ` + modelCols + ` FROM models WHERE name_key = ? ORDER BY manufacturer, name LIMIT 1`
	qModels        = `SELECT ` + modelCols + ` FROM models ORDER BY manufacturer, name`

	priceListCols = `p.id, p.currency, p.countries, p.items`
	qPutPriceList = `INSERT INTO price_lists (id, currency, countries, items) VALUES (?, ?, ?, ?)
	ON CONFLICT (id) DO UPDATE SET currency = excluded.currency, countries = excluded.countries, items = excluded.items`
	qDropListCountries   = `DELETE FROM price_list_countries WHERE price_list_id = ?`
	qPutListCountry      = `INSERT INTO price_list_countries (country, price_list_id) VALUES (?, ?)`
	qCountryList         = `SELECT price_list_id FROM price_list_countries WHERE country = ?`
	qPriceList           = `SELECT ` + priceListCols + ` FROM price_lists p WHERE p.id = ?`
	qPriceListForCountry = `SELECT ` + priceListCols + ` FROM price_list_countries c JOIN price_lists p ON p.id = c.price_list_id
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

func scanPart(r scanner) (domain.Part, error) {
	var (
		p                               domain.Part
		serviceType, line, unit, method string
		models, regions                 string
	)
	if err := r.Scan(&p.Number, &p.Description, &serviceType, &line, &p.Duration.N, &unit,
		&p.Trial, &p.Bundle, &p.Redemption, &models, &regions, &method); err != nil {
		return p, err
	}
	p.ServiceType, p.ProductLine, p.Duration.Unit = domain.ServiceType(serviceType), domain.ProductLine(line), domain.DurationUnit(unit)
	p.ActivationMethod = domain.ActivationMethod(method)
	if err := parseJSON(models, &p.Models); err != nil {
		return p, fmt.Errorf("part %q: models: %w", p.Number, err)
	}
	if err := parseJSON(regions, &p.Regions); err != nil {
		return p, fmt.Errorf("part %q: regions: %w", p.Number, err)
	}
	return p, nil
}

func (r catalog) PutPart(ctx context.Context, p domain.Part) error {
	if err := r.write(); err != nil {
		return err
	}
	if err := required("partNumber", p.Number); err != nil {
		return err
	}
	models, err1 := jsonText(p.Models)
	regions, err2 := jsonText(p.Regions)
	if err := cmp.Or(err1, err2); err != nil {
		return domain.Wrap(err, domain.CodeInternal, "sqlite: encode part %q", p.Number)
	}
	_, err := r.exec(ctx, qPutPart, p.Number, p.Description, string(p.ServiceType), string(p.ProductLine),
		p.Duration.N, string(p.Duration.Unit), p.Trial, p.Bundle, p.Redemption, models, regions, string(p.ActivationMethod))
	return r.fail(ctx, err, "sqlite: store part %q", p.Number)
}

func (r catalog) Part(ctx context.Context, number string) (domain.Part, error) {
	return one(ctx, r.tx, "read a part", scanPart, func() error {
		return domain.Errorf(domain.CodeNotFound, "partNumber", "no part with number %q", number)
	}, qPart, number)
}

func (r catalog) Parts(ctx context.Context) ([]domain.Part, error) {
	return list(ctx, r.tx, "read the parts", scanPart, qParts)
}

// scanModel compiles the serial pattern, so the models handed out carry it
// compiled, as those of the memory store do.
func scanModel(r scanner) (domain.Model, error) {
	var m domain.Model
	if err := r.Scan(&m.Manufacturer, &m.Name, &m.Agriculture, &m.SerialPattern); err != nil {
		return m, err
	}
	return m, m.Compile()
}

// modelKey folds case: models are looked up case-insensitively.
func modelKey(manufacturer, name string) (string, string) {
	return strings.ToUpper(manufacturer), strings.ToUpper(name)
}

// PutModel compiles the serial pattern first, so a bad one is refused with
// CodeInvalid. Another spelling of a stored manufacturer and name replaces
// that model, spelling included.
func (r catalog) PutModel(ctx context.Context, m domain.Model) error {
	if err := r.write(); err != nil {
		return err
	}
	if err := required("model", m.Name); err != nil {
		return err
	}
	if err := m.Compile(); err != nil {
		return err
	}
	mk, nk := modelKey(m.Manufacturer, m.Name)
	_, err := r.exec(ctx, qPutModel, mk, nk, m.Manufacturer, m.Name, m.Agriculture, m.SerialPattern)
	return r.fail(ctx, err, "sqlite: store model %s", m.Key())
}

func (r catalog) Model(ctx context.Context, manufacturer, name string) (domain.Model, error) {
	mk, nk := modelKey(manufacturer, name)
	if manufacturer == "" {
		return one(ctx, r.tx, "read a model", scanModel, func() error {
			return domain.Errorf(domain.CodeNotFound, "manufacturerModel", "no model named %q", name)
		}, qModelAnyMaker, nk)
	}
	return one(ctx, r.tx, "read a model", scanModel, func() error {
		return domain.Errorf(domain.CodeNotFound, "manufacturerModel", "no model %q of manufacturer %q", name, manufacturer)
	}, qModel, mk, nk)
}

func (r catalog) Models(ctx context.Context) ([]domain.Model, error) {
	return list(ctx, r.tx, "read the models", scanModel, qModels)
}

func scanPriceList(r scanner) (domain.PriceList, error) {
	var (
		l                         domain.PriceList
		currency, countries, item string
	)
	if err := r.Scan(&l.ID, &currency, &countries, &item); err != nil {
		return l, err
	}
	l.Currency = domain.Currency(currency)
	if err := parseJSON(countries, &l.Countries); err != nil {
		return l, fmt.Errorf("price list %q: countries: %w", l.ID, err)
	}
	var err error
	if l.Items, err = parsePriceItems(item); err != nil {
		return l, fmt.Errorf("price list %q: items: %w", l.ID, err)
	}
	return l, nil
}

// PutPriceList refuses a country another list is mapped to (CodeConflict):
// PriceListForCountry must have one answer, and the primary key of
// price_list_countries says so.
func (r catalog) PutPriceList(ctx context.Context, l domain.PriceList) error {
	if err := r.write(); err != nil {
		return err
	}
	if err := required("priceListId", l.ID); err != nil {
		return err
	}
	countries, err1 := jsonText(l.Countries)
	items, err2 := priceItemsJSON(l.Items)
	if err := cmp.Or(err1, err2); err != nil {
		return domain.Wrap(err, domain.CodeInternal, "sqlite: encode price list %q", l.ID)
	}
	return r.savepoint(ctx, func() error {
		if _, err := r.exec(ctx, qPutPriceList, l.ID, string(l.Currency), countries, items); err != nil {
			return r.fail(ctx, err, "sqlite: store price list %q", l.ID)
		}
		if _, err := r.exec(ctx, qDropListCountries, l.ID); err != nil {
			return r.fail(ctx, err, "sqlite: store the countries of price list %q", l.ID)
		}
		for i, c := range l.Countries {
			_, err := r.exec(ctx, qPutListCountry, strings.ToUpper(c), l.ID)
			if err == nil {
				continue
			}
			if !isUnique(err) {
				return r.fail(ctx, err, "sqlite: store the countries of price list %q", l.ID)
			}
			var owner string
			if oerr := r.row(ctx, qCountryList, strings.ToUpper(c)).Scan(&owner); oerr != nil {
				return r.fail(ctx, oerr, "sqlite: find the price list of country %q", c)
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
	return one(ctx, r.tx, "read a price list", scanPriceList, func() error {
		return domain.Errorf(domain.CodeNotFound, "priceListId", "no price list with id %q", id)
	}, qPriceList, id)
}

func (r catalog) PriceListForCountry(ctx context.Context, country string) (domain.PriceList, error) {
	return one(ctx, r.tx, "read a country's price list", scanPriceList, func() error {
		return domain.Errorf(domain.CodeNotFound, "country", "no price list for country %q", country)
	}, qPriceListForCountry, strings.ToUpper(country))
}

func (r catalog) PutPromo(ctx context.Context, p domain.PromoCode) error {
	if err := r.write(); err != nil {
		return err
	}
	if err := required("promoCode", p.Code); err != nil {
		return err
	}
	_, err := r.exec(ctx, qPutPromo, strings.ToUpper(p.Code), p.Code, decText(p.DiscountPercent),
		dateText(p.ValidFrom), dateText(p.ValidTo))
	return r.fail(ctx, err, "sqlite: store promo code %q", p.Code)
}

func (r catalog) Promo(ctx context.Context, code string) (domain.PromoCode, error) {
	return one(ctx, r.tx, "read a promo code", func(s scanner) (domain.PromoCode, error) {
		var p domain.PromoCode
		var disc, from, to string
		if err := s.Scan(&p.Code, &disc, &from, &to); err != nil {
			return p, err
		}
		var err1, err2, err3 error
		p.DiscountPercent, err1 = parseDecText(disc)
		p.ValidFrom, err2 = parseDateText(from)
		p.ValidTo, err3 = parseDateText(to)
		if err := cmp.Or(err1, err2, err3); err != nil {
			return p, fmt.Errorf("promo code %q: %w", p.Code, err)
		}
		return p, nil
	}, func() error {
		return domain.Errorf(domain.CodeNotFound, "promoCode", "no promo code %q", code)
	}, qPromo, strings.ToUpper(code))
}

func (r catalog) PutCoupon(ctx context.Context, c domain.Coupon) error {
	if err := r.write(); err != nil {
		return err
	}
	if err := required("couponNumber", c.Number); err != nil {
		return err
	}
	_, err := r.exec(ctx, qPutCoupon, c.Number, c.PartNumber, c.Redeemed)
	return r.fail(ctx, err, "sqlite: store coupon %q", c.Number)
}

func (r catalog) Coupon(ctx context.Context, number string) (domain.Coupon, error) {
	return one(ctx, r.tx, "read a coupon", func(s scanner) (domain.Coupon, error) {
		var c domain.Coupon
		err := s.Scan(&c.Number, &c.PartNumber, &c.Redeemed)
		return c, err
	}, func() error {
		return domain.Errorf(domain.CodeNotFound, "couponNumber", "no coupon with number %q", number)
	}, qCoupon, number)
}

// RedeemCoupon flips the flag only while it is unset, so the statement
// itself is the check; when it changes nothing, Coupon tells a missing
// coupon from a used one.
func (r catalog) RedeemCoupon(ctx context.Context, number string) error {
	if err := r.write(); err != nil {
		return err
	}
	res, err := r.exec(ctx, qRedeemCoupon, number)
	if err != nil {
		return r.fail(ctx, err, "sqlite: redeem coupon %q", number)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return r.fail(ctx, err, "sqlite: redeem coupon %q", number)
	}
	if _, err := r.Coupon(ctx, number); err != nil {
		return err
	}
	return domain.Errorf(domain.CodeConflict, "couponNumber", "coupon %q was already redeemed", number)
}
