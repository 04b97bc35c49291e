package domain_test

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/entitle-rules/entitle/domain"
)

// mustMoney builds an amount in a currency or fails the test.
func mustMoney(tb testing.TB, amount string, c domain.Currency) domain.Money {
	tb.Helper()
	m, err := domain.NewMoney(amount, c)
	if err != nil {
		tb.Fatalf("NewMoney(%q, %q): %v", amount, c, err)
	}
	return m
}

func TestNewMoney(t *testing.T) {
	tests := []struct {
		amount   string
		currency domain.Currency
		want     string // "" means NewMoney must fail
	}{
		{"199.00", "USD", "199.00 USD"},
		{"199", "EUR", "199.00 EUR"},
		{"0.1", "CAD", "0.10 CAD"},
		{"-5.25", "USD", "-5.25 USD"},
		{"1e2", "USD", "100.00 USD"},
		{"", "USD", ""},
		{"abc", "USD", ""},
		{"1,99", "USD", ""},
		{"199.00", "usd", ""},
		{"199.00", "US", ""},
		{"199.00", "USDX", ""},
		{"199.00", "", ""},
		{"199.00", "U$D", ""},
	}
	for _, tt := range tests {
		m, err := domain.NewMoney(tt.amount, tt.currency)
		if tt.want == "" {
			if err == nil {
				t.Errorf("NewMoney(%q, %q) = %v, want an error", tt.amount, tt.currency, m)
				continue
			}
			wantCode(t, err, domain.CodeInvalid)
			continue
		}
		if err != nil {
			t.Errorf("NewMoney(%q, %q): %v", tt.amount, tt.currency, err)
			continue
		}
		if got := m.String(); got != tt.want {
			t.Errorf("NewMoney(%q, %q) = %q, want %q", tt.amount, tt.currency, got, tt.want)
		}
	}
}

func TestValidCurrency(t *testing.T) {
	for _, c := range []string{"USD", "EUR", "ZAR", "AUD"} {
		if !domain.ValidCurrency(c) {
			t.Errorf("ValidCurrency(%q) = false", c)
		}
	}
	for _, c := range []string{"", "usd", "Usd", "US", "USDD", "U1D", "ÜSD"} {
		if domain.ValidCurrency(c) {
			t.Errorf("ValidCurrency(%q) = true", c)
		}
	}
}

func TestMoneyAdd(t *testing.T) {
	usd := mustMoney(t, "199.00", "USD")
	got, err := usd.Add(mustMoney(t, "0.99", "USD"))
	if err != nil || got.String() != "199.99 USD" {
		t.Errorf("199.00 USD + 0.99 USD = %v, %v, want 199.99 USD", got, err)
	}

	// The zero Money is the starting point of a sum.
	var total domain.Money
	for _, s := range []string{"10.00", "20.50", "0.25"} {
		total, err = total.Add(mustMoney(t, s, "EUR"))
		if err != nil {
			t.Fatalf("summing from the zero Money: %v", err)
		}
	}
	if total.String() != "30.75 EUR" {
		t.Errorf("sum = %v, want 30.75 EUR", total)
	}

	tests := []struct {
		a, b domain.Money
		why  string
	}{
		{usd, mustMoney(t, "5.00", "EUR"), "both amounts non-zero"},
		// A zero amount still carries its currency: 0 USD + 5 EUR is not 5 USD.
		{mustMoney(t, "0.00", "USD"), mustMoney(t, "5.00", "EUR"), "the receiver's amount is zero"},
		{mustMoney(t, "5.00", "USD"), mustMoney(t, "0.00", "EUR"), "the argument's amount is zero"},
	}
	for _, tt := range tests {
		got, err := tt.a.Add(tt.b)
		if err == nil {
			t.Errorf("%v + %v = %v, want an error: currencies differ (%s)", tt.a, tt.b, got, tt.why)
			continue
		}
		wantCode(t, err, domain.CodeInvalid)
	}
}

func TestMoneyTimes(t *testing.T) {
	m := mustMoney(t, "199.99", "USD")
	tests := []struct {
		qty  int64
		want string
	}{
		{1, "199.99 USD"},
		{3, "599.97 USD"},
		{0, "0.00 USD"},
		{20, "3999.80 USD"},
	}
	for _, tt := range tests {
		if got := m.Times(tt.qty).String(); got != tt.want {
			t.Errorf("199.99 USD x %d = %s, want %s", tt.qty, got, tt.want)
		}
	}
}

func TestMoneyDiscount(t *testing.T) {
	tests := []struct {
		amount  string
		percent string
		want    string // exact decimal string of the amount
	}{
		{"199.00", "15", "169.15"},
		{"100.00", "100", "0"},
		{"100.00", "12.5", "87.5"},
		// Half-even to the cent: a half cent goes to the even cent.
		{"0.25", "50", "0.12"},  // 0.125 -> 0.12
		{"0.35", "50", "0.18"},  // 0.175 -> 0.18
		{"2.05", "50", "1.02"},  // 1.025 -> 1.02
		{"2.15", "50", "1.08"},  // 1.075 -> 1.08
		{"10.01", "50", "5"},    // 5.005 -> 5.00
		{"10.03", "50", "5.02"}, // 5.015 -> 5.02
		{"99.99", "33", "66.99"},
		{"1.00", "33.333", "0.67"}, // 0.66667 -> 0.67
		// Zero per cent still rounds to the cent, as the doc promises.
		{"10.005", "0", "10"},
		{"10.015", "0", "10.02"},
	}
	for _, tt := range tests {
		m := mustMoney(t, tt.amount, "USD")
		got := m.Discount(decimal.RequireFromString(tt.percent))
		if got.Amount.String() != tt.want || got.Currency != "USD" {
			t.Errorf("%s USD less %s%% = %s %s, want %s USD", tt.amount, tt.percent, got.Amount, got.Currency, tt.want)
		}
	}
}
