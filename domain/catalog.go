package domain

import (
	"regexp"
	"strings"
	"sync"

	"github.com/shopspring/decimal"
)

// ServiceType is the kind of correction service a part delivers.
type ServiceType string

// The service types.
const (
	RTX ServiceType = "RTX"
	VRS ServiceType = "VRS"
)

// ParseServiceType returns RTX or VRS (case-insensitively). It fails with CodeInvalid.
func ParseServiceType(s string) (ServiceType, error) {
	switch strings.ToUpper(s) {
	case "RTX":
		return RTX, nil
	case "VRS":
		return VRS, nil
	}
	return "", Errorf(CodeInvalid, "serviceType", "serviceType %q is not RTX or VRS", s)
}

// ProductLine groups parts whose subscriptions follow one another
// (CENTERPOINT, RANGEPOINT, VIEWPOINT, FIELDPOINT, TPS - RTK 900 MHZ, XFILL).
type ProductLine string

// DurationUnit is the unit of measure of a part's duration.
type DurationUnit string

// The duration units.
const (
	Days   DurationUnit = "DAY"
	Months DurationUnit = "MONTH"
	Years  DurationUnit = "YEAR"
)

// Duration is a part's service length, such as 1 YEAR or 16 MONTH.
type Duration struct {
	N    int
	Unit DurationUnit
}

// ParseDurationUnit accepts DAY(S), MONTH(S), YEAR(S) and the abbreviations
// D, M, Y, case-insensitively. It fails with CodeInvalid.
func ParseDurationUnit(s string) (DurationUnit, error) {
	switch strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(s)), "S") {
	case "DAY", "D":
		return Days, nil
	case "MONTH", "M", "MO":
		return Months, nil
	case "YEAR", "Y", "YR":
		return Years, nil
	}
	return "", Errorf(CodeInvalid, "", "duration unit %q is not DAY, MONTH or YEAR", s)
}

// Valid reports whether d is a positive length in a known unit.
func (d Duration) Valid() bool {
	return d.N > 0 && (d.Unit == Days || d.Unit == Months || d.Unit == Years)
}

// After returns the end date of a service of length d starting on start,
// clamped at month end: 2025-04-24 + 1 YEAR is 2026-04-24 (seed 001's sample),
// 2024-01-31 + 1 MONTH is 2024-02-29.
func (d Duration) After(start Date) Date {
	switch d.Unit {
	case Days:
		return start.AddDays(d.N)
	case Months:
		return start.AddMonths(d.N)
	case Years:
		return start.AddYears(d.N)
	}
	return start
}

// InDays returns d as a whole number of days counted from start.
func (d Duration) InDays(start Date) int { return start.DaysUntil(d.After(start)) }

// String formats d as "12 MONTH".
func (d Duration) String() string {
	return itoa(d.N) + " " + string(d.Unit)
}

// Part is a sellable service item.
type Part struct {
	Number      string
	Description string
	ServiceType ServiceType
	ProductLine ProductLine
	Duration    Duration
	Trial       bool // a trial part: once per lifetime per serial and product line
	Bundle      bool // sold attached to a receiver; cannot be ordered again for that serial
	Redemption  bool // a redemption part: every line needs a couponNumber
	// Models lists the model names the part is eligible for (RTX). Empty means any.
	Models []string
	// Regions lists the geofence regions the part may be ordered for (VRS).
	Regions []string
	// ActivationMethod is how its passcode is delivered: OTA or EMAIL.
	ActivationMethod ActivationMethod
}

// EligibleFor reports whether the part may be sold for model (case-insensitive).
func (p *Part) EligibleFor(model string) bool {
	if len(p.Models) == 0 {
		return true
	}
	for _, m := range p.Models {
		if strings.EqualFold(m, model) {
			return true
		}
	}
	return false
}

// HasRegion reports whether region is one of the part's geofence regions.
func (p *Part) HasRegion(region string) bool {
	for _, r := range p.Regions {
		if strings.EqualFold(r, region) {
			return true
		}
	}
	return false
}

// Kind returns the subscription kind an order of this part creates.
func (p *Part) Kind() SubscriptionKind {
	switch {
	case p.Trial:
		return Trial
	case p.Bundle:
		return Bundle
	}
	return Paid
}

// Model is a receiver model of a manufacturer.
type Model struct {
	Manufacturer string
	Name         string
	// Agriculture receivers may switch product line at any time (seed 001,
	// the 60-day window applies to non-agriculture receivers only).
	Agriculture bool
	// SerialPattern is an anchored regular expression RTX serials of this model
	// must match; "" accepts any serial.
	SerialPattern string

	serialRE *regexp.Regexp
}

// ModelKeySeparator joins manufacturer and model in the store API ("Trimble||R12").
const ModelKeySeparator = "||"

// Key returns "Manufacturer||Model".
func (m *Model) Key() string { return m.Manufacturer + ModelKeySeparator + m.Name }

// Compile checks SerialPattern. It fails with CodeInvalid.
func (m *Model) Compile() error {
	if m.SerialPattern == "" {
		m.serialRE = nil
		return nil
	}
	re, err := compiledPattern(m.SerialPattern)
	if err != nil {
		return Wrap(err, CodeInvalid, "model %s: serial pattern %q does not compile", m.Key(), m.SerialPattern)
	}
	m.serialRE = re
	return nil
}

// AcceptsSerial reports whether serial fits the model's serial pattern.
func (m *Model) AcceptsSerial(serial string) bool {
	if m.SerialPattern == "" {
		return serial != ""
	}
	re := m.serialRE
	if re == nil {
		// Not compiled by its loader: compile without writing to m, so
		// concurrent readers of a shared Model never race.
		var err error
		if re, err = compiledPattern(m.SerialPattern); err != nil {
			return false
		}
	}
	return re.MatchString(serial)
}

// patterns memoizes serial patterns compiled for models whose Compile was not
// called (a Model read back from a store); compiling is pure, so sharing the
// result is safe.
var patterns sync.Map // string -> *regexp.Regexp

func compiledPattern(p string) (*regexp.Regexp, error) {
	if re, ok := patterns.Load(p); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile("^(?:" + p + ")$")
	if err != nil {
		return nil, err
	}
	patterns.Store(p, re)
	return re, nil
}

// SplitModelKey splits "Trimble||R12" into its manufacturer and model; a value
// without the separator is taken as a model name alone.
func SplitModelKey(s string) (manufacturer, model string) {
	if i := strings.Index(s, ModelKeySeparator); i >= 0 {
		return s[:i], s[i+len(ModelKeySeparator):]
	}
	return "", s
}

// PriceList is a list of part prices in one currency, assigned to customers or
// mapped to countries.
type PriceList struct {
	ID        string
	Currency  Currency
	Countries []string // the countries whose customers without a list use it
	Items     []PriceItem
}

// PriceItem is a part's list price and standard item discount.
type PriceItem struct {
	PartNumber      string
	ListPrice       decimal.Decimal
	DiscountPercent decimal.Decimal
}

// Item returns the price of partNumber and whether the list holds it.
func (l *PriceList) Item(partNumber string) (PriceItem, bool) {
	for _, it := range l.Items {
		if it.PartNumber == partNumber {
			return it, true
		}
	}
	return PriceItem{}, false
}

// Holds reports whether the list prices partNumber.
func (l *PriceList) Holds(partNumber string) bool {
	_, ok := l.Item(partNumber)
	return ok
}

// PromoCode is an order-level discount code.
type PromoCode struct {
	Code            string
	DiscountPercent decimal.Decimal
	ValidFrom       Date // Pacific civil dates
	ValidTo         Date
}

// ValidOn reports whether the code may be used on day.
func (p *PromoCode) ValidOn(day Date) bool {
	return (p.ValidFrom.IsZero() || !day.Before(p.ValidFrom)) && (p.ValidTo.IsZero() || !day.After(p.ValidTo))
}

// Coupon is a single-use redemption code for a part.
type Coupon struct {
	Number     string
	PartNumber string
	Redeemed   bool
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var buf [20]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		buf[i] = '-'
	}
	return string(buf[i:])
}
