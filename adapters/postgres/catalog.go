package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/entitle-rules/entitle/domain"
)

type catalog struct{ *tx }

const partColumns = `number, description, service_type, product_line, duration_n, duration_unit,
	trial, bundle, redemption, models, regions, activation_method`

func scanPart(row pgx.Row) (domain.Part, error) {
	var p domain.Part
	var st, pl, unit, method string
	err := row.Scan(&p.Number, &p.Description, &st, &pl, &p.Duration.N, &unit,
		&p.Trial, &p.Bundle, &p.Redemption, &p.Models, &p.Regions, &method)
	p.ServiceType, p.ProductLine, p.Duration.Unit, p.ActivationMethod =
		domain.ServiceType(st), domain.ProductLine(pl), domain.DurationUnit(unit), domain.ActivationMethod(method)
	return p, err
}

func (r catalog) PutPart(ctx context.Context, p domain.Part) error {
	if err := r.write(); err != nil {
		return err
	}
	if err := required("partNumber", p.Number); err != nil {
		return err
	}
	_, err := r.exec(ctx, "Catalog.PutPart", `INSERT INTO parts (`+partColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (number) DO UPDATE SET description = excluded.description, service_type = excluded.service_type,
			product_line = excluded.product_line, duration_n = excluded.duration_n, duration_unit = excluded.duration_unit,
			trial = excluded.trial, bundle = excluded.bundle, redemption = excluded.redemption, models = excluded.models,
			regions = excluded.regions, activation_method = excluded.activation_method`,
		p.Number, p.Description, string(p.ServiceType), string(p.ProductLine), p.Duration.N, string(p.Duration.Unit),
		p.Trial, p.Bundle, p.Redemption, texts(p.Models), texts(p.Regions), string(p.ActivationMethod))
	return err
}

func (r catalog) Part(ctx context.Context, number string) (domain.Part, error) {
	if err := r.read(); err != nil {
		return domain.Part{}, err
	}
	ps, err := r.parts(ctx, "Catalog.Part", `SELECT `+partColumns+` FROM parts WHERE number = $1`, number)
	if err != nil {
		return domain.Part{}, err
	}
	if len(ps) == 0 {
		return domain.Part{}, domain.Errorf(domain.CodeNotFound, "partNumber", "no part with number %q", number)
	}
	return ps[0], nil
}

func (r catalog) Parts(ctx context.Context) ([]domain.Part, error) {
	if err := r.read(); err != nil {
		return nil, err
	}
	return r.parts(ctx, "Catalog.Parts", `SELECT `+partColumns+` FROM parts ORDER BY number`)
}

func (r catalog) parts(ctx context.Context, what, sql string, args ...any) ([]domain.Part, error) {
	out := []domain.Part{}
	err := r.all(ctx, what, sql, args, func(rows pgx.Rows) error {
		p, err := scanPart(rows)
		out = append(out, p)
		return err
	})
	return out, err
}

// modelKey folds case as the memory store does: models are looked up
// case-insensitively, by Go's upper-casing rather than the database locale's.
func modelKey(s string) string { return strings.ToUpper(s) }

// PutModel compiles the serial pattern first, so a bad one is refused with
// CodeInvalid.
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
	_, err := r.exec(ctx, "Catalog.PutModel", `INSERT INTO models (manufacturer_key, name_key, manufacturer, name, agriculture, serial_pattern)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (manufacturer_key, name_key) DO UPDATE SET manufacturer = excluded.manufacturer, name = excluded.name,
			agriculture = excluded.agriculture, serial_pattern = excluded.serial_pattern`,
		modelKey(m.Manufacturer), modelKey(m.Name), m.Manufacturer, m.Name, m.Agriculture, m.SerialPattern)
	return err
}

// Model with no manufacturer picks, among the manufacturers that have a model
// of that name, the first in Models' order, as the memory store does.
func (r catalog) Model(ctx context.Context, manufacturer, name string) (domain.Model, error) {
	if err := r.read(); err != nil {
		return domain.Model{}, err
	}
	var (
		ms  []domain.Model
		err error
	)
	if manufacturer != "" {
		ms, err = r.models(ctx, "Catalog.Model", `SELECT manufacturer, name, agriculture, serial_pattern FROM models
			WHERE manufacturer_key = $1 AND name_key = $2`, modelKey(manufacturer), modelKey(name))
		if err == nil && len(ms) == 0 {
			err = domain.Errorf(domain.CodeNotFound, "manufacturerModel", "no model %q of manufacturer %q", name, manufacturer)
		}
	} else {
		ms, err = r.models(ctx, "Catalog.Model", `SELECT manufacturer, name, agriculture, serial_pattern FROM models
			WHERE name_key = $1 ORDER BY manufacturer, name LIMIT 1`, modelKey(name))
		if err == nil && len(ms) == 0 {
			err = domain.Errorf(domain.CodeNotFound, "manufacturerModel", "no model named %q", name)
		}
	}
	if err != nil {
		return domain.Model{}, err
	}
	return ms[0], nil
}

func (r catalog) Models(ctx context.Context) ([]domain.Model, error) {
	if err := r.read(); err != nil {
		return nil, err
	}
	return r.models(ctx, "Catalog.Models", `SELECT manufacturer, name, agriculture, serial_pattern FROM models ORDER BY manufacturer, name`)
}

// models hands out models with their pattern compiled, as PutModel left
// them in the memory store; the patterns were checked when stored.
func (r catalog) models(ctx context.Context, what, sql string, args ...any) ([]domain.Model, error) {
	out := []domain.Model{}
	err := r.all(ctx, what, sql, args, func(rows pgx.Rows) error {
		var m domain.Model
		if err := rows.Scan(&m.Manufacturer, &m.Name, &m.Agriculture, &m.SerialPattern); err != nil {
			return err
		}
		if err := m.Compile(); err != nil {
			return domain.Wrap(err, domain.CodeInternal, "stored model %s", m.Key())
		}
		out = append(out, m)
		return nil
	})
	return out, err
}

// priceItemJSON is a domain.PriceItem inside price_lists.items; decimals are
// exact text.
type priceItemJSON struct {
	PartNumber      string `json:"partNumber"`
	ListPrice       string `json:"listPrice"`
	DiscountPercent string `json:"discountPercent"`
}

// PutPriceList refuses a country another list is mapped to (CodeConflict):
// PriceListForCountry must have one answer. The primary key of
// price_list_countries holds that against racing writers too.
func (r catalog) PutPriceList(ctx context.Context, l domain.PriceList) error {
	if err := r.write(); err != nil {
		return err
	}
	if err := required("priceListId", l.ID); err != nil {
		return err
	}
	keys := make([]string, len(l.Countries))
	for i, c := range l.Countries {
		keys[i] = strings.ToUpper(c)
	}
	if len(keys) > 0 {
		owners := map[string]string{}
		err := r.all(ctx, "Catalog.PutPriceList", `SELECT country_key, price_list_id FROM price_list_countries
			WHERE country_key = ANY($1) AND price_list_id <> $2`, []any{keys, l.ID}, func(rows pgx.Rows) error {
			var k, owner string
			err := rows.Scan(&k, &owner)
			owners[k] = owner
			return err
		})
		if err != nil {
			return err
		}
		for i, c := range l.Countries {
			if owner, ok := owners[keys[i]]; ok {
				return domain.Errorf(domain.CodeConflict, fmt.Sprintf("countries[%d]", i), "country %q already uses price list %q", c, owner)
			}
		}
	}
	items := make([]priceItemJSON, len(l.Items))
	for i, it := range l.Items {
		items[i] = priceItemJSON{PartNumber: it.PartNumber, ListPrice: decimalText(it.ListPrice), DiscountPercent: decimalText(it.DiscountPercent)}
	}
	js, err := jsonArg(items)
	if err != nil {
		return err
	}
	if _, err := r.exec(ctx, "Catalog.PutPriceList", `INSERT INTO price_lists (id, currency, countries, items) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET currency = excluded.currency, countries = excluded.countries, items = excluded.items`,
		l.ID, string(l.Currency), texts(l.Countries), js); err != nil {
		return err
	}
	if _, err := r.exec(ctx, "Catalog.PutPriceList", `DELETE FROM price_list_countries WHERE price_list_id = $1`, l.ID); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	_, err = r.exec(ctx, "Catalog.PutPriceList", `INSERT INTO price_list_countries (country_key, price_list_id)
		SELECT DISTINCT k, $2 FROM unnest($1::text[]) AS k`, keys, l.ID)
	return err
}

const priceListColumns = `l.id, l.currency, l.countries, l.items`

func (r catalog) PriceList(ctx context.Context, id string) (domain.PriceList, error) {
	if err := r.read(); err != nil {
		return domain.PriceList{}, err
	}
	return r.priceList(ctx, "Catalog.PriceList", `SELECT `+priceListColumns+` FROM price_lists l WHERE l.id = $1`, id,
		domain.Errorf(domain.CodeNotFound, "priceListId", "no price list with id %q", id))
}

func (r catalog) PriceListForCountry(ctx context.Context, country string) (domain.PriceList, error) {
	if err := r.read(); err != nil {
		return domain.PriceList{}, err
	}
	return r.priceList(ctx, "Catalog.PriceListForCountry", `SELECT `+priceListColumns+` FROM price_list_countries c
		JOIN price_lists l ON l.id = c.price_list_id WHERE c.country_key = $1`, strings.ToUpper(country),
		domain.Errorf(domain.CodeNotFound, "country", "no price list for country %q", country))
}

func (r catalog) priceList(ctx context.Context, what, sql, arg string, notFound error) (domain.PriceList, error) {
	var (
		l        domain.PriceList
		currency string
		items    []byte
	)
	found, err := r.one(ctx, what, sql, []any{arg}, &l.ID, &currency, &l.Countries, &items)
	if err != nil {
		return domain.PriceList{}, err
	}
	if !found {
		return domain.PriceList{}, notFound
	}
	l.Currency = domain.Currency(currency)
	var js []priceItemJSON
	if err := jsonOf(items, &js); err != nil {
		return domain.PriceList{}, err
	}
	for _, it := range js {
		price, err := decimalOf(it.ListPrice, "listPrice")
		if err != nil {
			return domain.PriceList{}, err
		}
		disc, err := decimalOf(it.DiscountPercent, "discountPercent")
		if err != nil {
			return domain.PriceList{}, err
		}
		l.Items = append(l.Items, domain.PriceItem{PartNumber: it.PartNumber, ListPrice: price, DiscountPercent: disc})
	}
	return l, nil
}

func (r catalog) PutPromo(ctx context.Context, p domain.PromoCode) error {
	if err := r.write(); err != nil {
		return err
	}
	if err := required("promoCode", p.Code); err != nil {
		return err
	}
	_, err := r.exec(ctx, "Catalog.PutPromo", `INSERT INTO promo_codes (code_key, code, discount_percent, valid_from, valid_to)
		VALUES ($1, $2, $3::text::numeric, $4, $5)
		ON CONFLICT (code_key) DO UPDATE SET code = excluded.code, discount_percent = excluded.discount_percent,
			valid_from = excluded.valid_from, valid_to = excluded.valid_to`,
		strings.ToUpper(p.Code), p.Code, decimalText(p.DiscountPercent), dateArg(p.ValidFrom), dateArg(p.ValidTo))
	return err
}

func (r catalog) Promo(ctx context.Context, code string) (domain.PromoCode, error) {
	if err := r.read(); err != nil {
		return domain.PromoCode{}, err
	}
	var (
		p        domain.PromoCode
		disc     string
		from, to pgtype.Date
	)
	found, err := r.one(ctx, "Catalog.Promo", `SELECT code, discount_percent::text, valid_from, valid_to FROM promo_codes WHERE code_key = $1`,
		[]any{strings.ToUpper(code)}, &p.Code, &disc, &from, &to)
	if err != nil {
		return p, err
	}
	if !found {
		return p, domain.Errorf(domain.CodeNotFound, "promoCode", "no promo code %q", code)
	}
	p.ValidFrom, p.ValidTo = dateOf(from), dateOf(to)
	p.DiscountPercent, err = decimalOf(disc, "discountPercent")
	return p, err
}

func (r catalog) PutCoupon(ctx context.Context, c domain.Coupon) error {
	if err := r.write(); err != nil {
		return err
	}
	if err := required("couponNumber", c.Number); err != nil {
		return err
	}
	_, err := r.exec(ctx, "Catalog.PutCoupon", `INSERT INTO coupons (number, part_number, redeemed) VALUES ($1, $2, $3)
		ON CONFLICT (number) DO UPDATE SET part_number = excluded.part_number, redeemed = excluded.redeemed`,
		c.Number, c.PartNumber, c.Redeemed)
	return err
}

func (r catalog) Coupon(ctx context.Context, number string) (domain.Coupon, error) {
	if err := r.read(); err != nil {
		return domain.Coupon{}, err
	}
	var c domain.Coupon
	found, err := r.one(ctx, "Catalog.Coupon", `SELECT number, part_number, redeemed FROM coupons WHERE number = $1`,
		[]any{number}, &c.Number, &c.PartNumber, &c.Redeemed)
	if err == nil && !found {
		err = domain.Errorf(domain.CodeNotFound, "couponNumber", "no coupon with number %q", number)
	}
	return c, err
}

// RedeemCoupon flips the flag only when it is not set yet, so of two racing
// redemptions one updates the row and the other, once the first commits,
// fails serialization, runs again and finds the coupon used.
func (r catalog) RedeemCoupon(ctx context.Context, number string) error {
	if err := r.write(); err != nil {
		return err
	}
	tag, err := r.exec(ctx, "Catalog.RedeemCoupon", `UPDATE coupons SET redeemed = true WHERE number = $1 AND NOT redeemed`, number)
	if err != nil || tag.RowsAffected() == 1 {
		return err
	}
	if _, err := r.Coupon(ctx, number); err != nil {
		return err
	}
	return domain.Errorf(domain.CodeConflict, "couponNumber", "coupon %q was already redeemed", number)
}
