package domain

import (
	"github.com/shopspring/decimal"
)

// Currency is an ISO-4217 currency code such as USD.
type Currency string

// ValidCurrency reports whether c has the ISO-4217 shape: three capital letters.
func ValidCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if c[i] < 'A' || c[i] > 'Z' {
			return false
		}
	}
	return true
}

// Money is an exact amount in a currency. Never float64.
type Money struct {
	Amount   decimal.Decimal
	Currency Currency
}

// NewMoney returns amount (a decimal string such as "199.00") in currency.
// It fails with CodeInvalid.
func NewMoney(amount string, currency Currency) (Money, error) {
	d, err := decimal.NewFromString(amount)
	if err != nil {
		return Money{}, Errorf(CodeInvalid, "", "%q is not a decimal amount", amount)
	}
	if !ValidCurrency(string(currency)) {
		return Money{}, Errorf(CodeInvalid, "", "%q is not an ISO-4217 currency code", currency)
	}
	return Money{Amount: d, Currency: currency}, nil
}

// Add returns m + o. It fails with CodeInvalid when the currencies differ.
func (m Money) Add(o Money) (Money, error) {
	if m.Currency != o.Currency && m.Currency != "" && o.Currency != "" {
		return Money{}, Errorf(CodeInvalid, "", "cannot add %s to %s", o.Currency, m.Currency)
	}
	c := m.Currency
	if c == "" {
		c = o.Currency
	}
	return Money{Amount: m.Amount.Add(o.Amount), Currency: c}, nil
}

// Times returns m multiplied by a whole quantity.
func (m Money) Times(qty int64) Money {
	return Money{Amount: m.Amount.Mul(decimal.NewFromInt(qty)), Currency: m.Currency}
}

// Discount returns m less percent per cent, rounded half-even to the cent.
func (m Money) Discount(percent decimal.Decimal) Money {
	if percent.IsZero() {
		return Money{Amount: m.Amount.RoundBank(2), Currency: m.Currency}
	}
	hundred := decimal.NewFromInt(100)
	factor := hundred.Sub(percent).Div(hundred)
	return Money{Amount: m.Amount.Mul(factor).RoundBank(2), Currency: m.Currency}
}

// String formats m as "199.00 USD".
func (m Money) String() string { return m.Amount.StringFixed(2) + " " + string(m.Currency) }
