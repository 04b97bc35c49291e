package domain_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/entitle-rules/entitle/domain"
)

func TestDurationAfter(t *testing.T) {
	tests := []struct {
		start string
		dur   domain.Duration
		want  string
	}{
		// Seed 001: "serviceStartDate - PST/PDT (sample - 2025-04-24)" and
		// "serviceEndDate - PST/PDT (sample - 2026-04-24)" for a one-year part.
		{"2025-04-24", domain.Duration{N: 1, Unit: domain.Years}, "2026-04-24"},
		{"2025-04-24", domain.Duration{N: 16, Unit: domain.Months}, "2026-08-24"},
		{"2025-04-24", domain.Duration{N: 12, Unit: domain.Months}, "2026-04-24"},
		{"2025-04-24", domain.Duration{N: 30, Unit: domain.Days}, "2025-05-24"},
		{"2024-01-31", domain.Duration{N: 1, Unit: domain.Months}, "2024-02-29"},
		{"2025-01-31", domain.Duration{N: 1, Unit: domain.Months}, "2025-02-28"},
		{"2024-02-29", domain.Duration{N: 1, Unit: domain.Years}, "2025-02-28"},
		{"2025-04-24", domain.Duration{N: 3, Unit: domain.Years}, "2028-04-24"},
		{"2025-04-24", domain.Duration{N: 1, Unit: "WEEK"}, "2025-04-24"}, // unknown unit: no length
	}
	for _, tt := range tests {
		if got := tt.dur.After(mustDate(t, tt.start)).String(); got != tt.want {
			t.Errorf("%s + %v = %s, want %s", tt.start, tt.dur, got, tt.want)
		}
	}
}

func TestDurationInDays(t *testing.T) {
	tests := []struct {
		start string
		dur   domain.Duration
		want  int
	}{
		{"2024-01-01", domain.Duration{N: 1, Unit: domain.Years}, 366}, // over Feb 29, 2024
		{"2023-03-01", domain.Duration{N: 1, Unit: domain.Years}, 366}, // over Feb 29, 2024
		{"2025-04-24", domain.Duration{N: 1, Unit: domain.Years}, 365},
		{"2025-04-24", domain.Duration{N: 30, Unit: domain.Days}, 30},
		{"2025-01-31", domain.Duration{N: 1, Unit: domain.Months}, 28},
		{"2025-04-24", domain.Duration{N: 16, Unit: domain.Months}, 487},
	}
	for _, tt := range tests {
		if got := tt.dur.InDays(mustDate(t, tt.start)); got != tt.want {
			t.Errorf("%v from %s = %d days, want %d", tt.dur, tt.start, got, tt.want)
		}
	}
}

func TestDurationValidString(t *testing.T) {
	tests := []struct {
		d     domain.Duration
		valid bool
		str   string
	}{
		{domain.Duration{N: 1, Unit: domain.Years}, true, "1 YEAR"},
		{domain.Duration{N: 16, Unit: domain.Months}, true, "16 MONTH"},
		{domain.Duration{N: 30, Unit: domain.Days}, true, "30 DAY"},
		{domain.Duration{N: 0, Unit: domain.Days}, false, "0 DAY"},
		{domain.Duration{N: -1, Unit: domain.Days}, false, "-1 DAY"},
		{domain.Duration{N: 1, Unit: "WEEK"}, false, "1 WEEK"},
	}
	for _, tt := range tests {
		if got := tt.d.Valid(); got != tt.valid {
			t.Errorf("%+v.Valid() = %v, want %v", tt.d, got, tt.valid)
		}
		if got := tt.d.String(); got != tt.str {
			t.Errorf("%+v.String() = %q, want %q", tt.d, got, tt.str)
		}
	}
}

func TestParseDurationUnit(t *testing.T) {
	tests := []struct {
		in   string
		want domain.DurationUnit // "" means it must fail
	}{
		{"DAY", domain.Days}, {"days", domain.Days}, {"D", domain.Days}, {" Day ", domain.Days},
		{"MONTH", domain.Months}, {"Months", domain.Months}, {"M", domain.Months}, {"mo", domain.Months},
		{"YEAR", domain.Years}, {"years", domain.Years}, {"Y", domain.Years}, {"yr", domain.Years}, {"YRS", domain.Years},
		{"", ""}, {"WEEK", ""}, {"S", ""}, {"MONTHSS", ""}, {"decade", ""},
	}
	for _, tt := range tests {
		got, err := domain.ParseDurationUnit(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseDurationUnit(%q) = %q, want an error", tt.in, got)
				continue
			}
			wantCode(t, err, domain.CodeInvalid)
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseDurationUnit(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseServiceType(t *testing.T) {
	tests := []struct {
		in   string
		want domain.ServiceType
	}{
		{"RTX", domain.RTX}, {"rtx", domain.RTX}, {"Vrs", domain.VRS}, {"VRS", domain.VRS},
		{"", ""}, {"RTK", ""}, {" VRS", ""},
	}
	for _, tt := range tests {
		got, err := domain.ParseServiceType(tt.in)
		if tt.want == "" {
			wantCode(t, err, domain.CodeInvalid)
			var de *domain.Error
			if errors.As(err, &de) && de.Field != "serviceType" {
				t.Errorf("ParseServiceType(%q) error field = %q, want serviceType", tt.in, de.Field)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseServiceType(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseRegion(t *testing.T) {
	// Seed 001: "Valid values for region parameters are AMERICA, EUROPE, APAC ,
	// EMEA and SOUTH AFRICA".
	tests := []struct {
		in   string
		want domain.Region
	}{
		{"AMERICA", domain.RegionAmerica},
		{"EUROPE", domain.RegionEurope},
		{"APAC", domain.RegionAPAC},
		{"EMEA", domain.RegionEMEA},
		{"SOUTH AFRICA", domain.RegionSouthAfrica},
		{"south africa", domain.RegionSouthAfrica},
		{"America", domain.RegionAmerica},
		{"apac", domain.RegionAPAC},
	}
	for _, tt := range tests {
		got, err := domain.ParseRegion(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseRegion(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"MARS", "", "SOUTH_AFRICA", "SOUTHAFRICA", "APAC ", "AMERICAS"} {
		got, err := domain.ParseRegion(bad)
		if err == nil {
			t.Errorf("ParseRegion(%q) = %q, want an error", bad, got)
			continue
		}
		wantCode(t, err, domain.CodeInvalid)
		if got != "" {
			t.Errorf("ParseRegion(%q) returned %q with its error", bad, got)
		}
	}
	if len(domain.Regions) != 5 {
		t.Errorf("Regions has %d entries, want 5", len(domain.Regions))
	}
}

func TestPart(t *testing.T) {
	p := domain.Part{
		Number:  "88213-10",
		Models:  []string{"R12", "R10"},
		Regions: []string{"AMERICA", "SOUTH AFRICA"},
	}
	for _, tt := range []struct {
		model string
		want  bool
	}{{"R12", true}, {"r10", true}, {"R2", false}, {"", false}} {
		if got := p.EligibleFor(tt.model); got != tt.want {
			t.Errorf("EligibleFor(%q) = %v, want %v", tt.model, got, tt.want)
		}
	}
	anyModel := domain.Part{Number: "x"}
	if !anyModel.EligibleFor("R780") {
		t.Error("a part without models should be eligible for any model")
	}
	for _, tt := range []struct {
		region string
		want   bool
	}{{"AMERICA", true}, {"south africa", true}, {"EUROPE", false}, {"", false}} {
		if got := p.HasRegion(tt.region); got != tt.want {
			t.Errorf("HasRegion(%q) = %v, want %v", tt.region, got, tt.want)
		}
	}
	if anyModel.HasRegion("AMERICA") {
		t.Error("a part without regions has none")
	}

	kinds := []struct {
		p    domain.Part
		want domain.SubscriptionKind
	}{
		{domain.Part{}, domain.Paid},
		{domain.Part{Trial: true}, domain.Trial},
		{domain.Part{Bundle: true}, domain.Bundle},
		{domain.Part{Trial: true, Bundle: true}, domain.Trial},
		{domain.Part{Redemption: true}, domain.Paid},
	}
	for _, tt := range kinds {
		if got := tt.p.Kind(); got != tt.want {
			t.Errorf("%+v.Kind() = %s, want %s", tt.p, got, tt.want)
		}
	}
}

func TestModelAcceptsSerial(t *testing.T) {
	open := domain.Model{Manufacturer: "Trimble", Name: "R12"}
	if !open.AcceptsSerial("anything") {
		t.Error("a model without a pattern should accept any serial")
	}
	if open.AcceptsSerial("") {
		t.Error("a model without a pattern should still refuse an empty serial")
	}

	m := domain.Model{Manufacturer: "Trimble", Name: "R10", SerialPattern: `[0-9]{10}|R10-[A-Z]{2}`}
	tests := []struct {
		serial string
		want   bool
	}{
		{"1234567890", true},
		{"R10-AB", true},
		{"123456789", false},
		{"12345678901", false}, // the pattern is anchored
		{"x1234567890", false},
		{"R10-ABC", false}, // anchoring covers each alternative
		{"R10-ab", false},
		{"", false},
	}
	// Without Compile the pattern compiles on first use; with it, too.
	for _, compiled := range []bool{false, true} {
		mm := m
		if compiled {
			if err := mm.Compile(); err != nil {
				t.Fatal(err)
			}
		}
		for _, tt := range tests {
			if got := mm.AcceptsSerial(tt.serial); got != tt.want {
				t.Errorf("compiled=%v: AcceptsSerial(%q) = %v, want %v", compiled, tt.serial, got, tt.want)
			}
		}
	}

	bad := domain.Model{Manufacturer: "Trimble", Name: "R8", SerialPattern: `[0-9`}
	err := bad.Compile()
	wantCode(t, err, domain.CodeInvalid)
	if bad.AcceptsSerial("1") {
		t.Error("a model whose pattern does not compile should accept no serial")
	}
}

// TestModelAcceptsSerialConcurrent pins that a catalog Model can be shared by
// concurrent decisions: AcceptsSerial on a Model nobody called Compile on must
// not race (run with -race).
func TestModelAcceptsSerialConcurrent(t *testing.T) {
	m := &domain.Model{Manufacturer: "Trimble", Name: "R10", SerialPattern: `[0-9]{10}`}
	var wg sync.WaitGroup
	results := make([]bool, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = m.AcceptsSerial("1234567890")
		}()
	}
	wg.Wait()
	for i, ok := range results {
		if !ok {
			t.Errorf("goroutine %d: AcceptsSerial(1234567890) = false", i)
		}
	}
}

func TestModelKey(t *testing.T) {
	m := domain.Model{Manufacturer: "Trimble", Name: "R12"}
	if got := m.Key(); got != "Trimble||R12" {
		t.Errorf("Key() = %q", got)
	}
	tests := []struct {
		in, man, model string
	}{
		{"Trimble||R12", "Trimble", "R12"},
		{"R12", "", "R12"},
		{"||R12", "", "R12"},
		{"Trimble||", "Trimble", ""},
		{"A||B||C", "A", "B||C"},
		{"Spectra|SP80", "", "Spectra|SP80"},
	}
	for _, tt := range tests {
		man, model := domain.SplitModelKey(tt.in)
		if man != tt.man || model != tt.model {
			t.Errorf("SplitModelKey(%q) = %q, %q, want %q, %q", tt.in, man, model, tt.man, tt.model)
		}
	}
}

func TestPriceList(t *testing.T) {
	l := domain.PriceList{
		ID:       "US-2025",
		Currency: "USD",
		Items: []domain.PriceItem{
			{PartNumber: "88213-10", ListPrice: decimal.RequireFromString("199.00"), DiscountPercent: decimal.RequireFromString("5")},
			{PartNumber: "88416-10", ListPrice: decimal.RequireFromString("249.00")},
		},
	}
	it, ok := l.Item("88213-10")
	if !ok || it.PartNumber != "88213-10" || !it.ListPrice.Equal(decimal.RequireFromString("199")) || !it.DiscountPercent.Equal(decimal.NewFromInt(5)) {
		t.Errorf("Item(88213-10) = %+v, %v", it, ok)
	}
	if it, ok := l.Item("99999-10"); ok || it.PartNumber != "" {
		t.Errorf("Item(99999-10) = %+v, %v, want nothing", it, ok)
	}
	if !l.Holds("88416-10") || l.Holds("88416-1") || l.Holds("") {
		t.Error("Holds disagrees with the list")
	}
}

func TestPromoCodeValidOn(t *testing.T) {
	p := domain.PromoCode{Code: "SPRING", ValidFrom: mustDate(t, "2025-03-01"), ValidTo: mustDate(t, "2025-03-31")}
	for _, tt := range []struct {
		day  string
		want bool
	}{{"2025-02-28", false}, {"2025-03-01", true}, {"2025-03-31", true}, {"2025-04-01", false}} {
		if got := p.ValidOn(mustDate(t, tt.day)); got != tt.want {
			t.Errorf("ValidOn(%s) = %v, want %v", tt.day, got, tt.want)
		}
	}
	open := domain.PromoCode{Code: "OPEN"}
	if !open.ValidOn(mustDate(t, "0001-01-01")) || !open.ValidOn(mustDate(t, "9999-12-31")) {
		t.Error("a code without bounds should be valid every day")
	}
	from := domain.PromoCode{Code: "FROM", ValidFrom: mustDate(t, "2025-03-01")}
	if from.ValidOn(mustDate(t, "2025-02-28")) || !from.ValidOn(mustDate(t, "2099-01-01")) {
		t.Error("a code with only ValidFrom should be valid from that day on")
	}
	until := domain.PromoCode{Code: "UNTIL", ValidTo: mustDate(t, "2025-03-31")}
	if !until.ValidOn(mustDate(t, "2000-01-01")) || until.ValidOn(mustDate(t, "2025-04-01")) {
		t.Error("a code with only ValidTo should be valid until that day")
	}
}
