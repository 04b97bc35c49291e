package domain

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// Input limits: what every store can hold and every rule can read, checked
// once, before any store sees a request, so a hostile value gets the same
// refusal (CodeInvalid naming the field) on every store. The README lists
// them.
const (
	// MaxText is the longest text field, in characters, unless a field says
	// otherwise.
	MaxText = 255
	// MaxEmail is the longest e-mail address (RFC 5321's path limit).
	MaxEmail = 254
	// MaxLineNumber is the largest line number (a 32-bit integer, as the
	// stores keep it).
	MaxLineNumber = math.MaxInt32
	// MaxID is the largest numeric id a request may carry (site use ids,
	// order numbers, unique ids): 2^53-1, the largest integer a JSON number
	// holds exactly.
	MaxID = 1<<53 - 1
)

// EarliestDate and LatestDate bound every date a request may carry: a civil
// date outside them is a mistake, not a plan. Policy narrows them further in
// rule files (the earliest sensible service start is a rule parameter).
var (
	EarliestDate = dateOf(1900, time.January, 1)
	LatestDate   = dateOf(9999, time.December, 31)
)

func dateOf(y int, m time.Month, d int) Date {
	date, err := NewDate(y, m, d)
	if err != nil {
		panic(err)
	}
	return date
}

// CheckText records a problem when s is longer than max characters, is not
// valid UTF-8, or holds a control character (NUL, newline, DEL, ...) or
// U+FFFD, the mark of text that was not valid UTF-8 before it was decoded.
func CheckText(p *Problems, field, s string, max int) {
	if !utf8.ValidString(s) {
		p.Add("INVALID_TEXT", field, "%s is not valid UTF-8", field)
		return
	}
	n := 0
	for _, r := range s {
		n++
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError {
			p.Add("INVALID_TEXT", field, "%s holds a control character (%U); send printable text", field, r)
			return
		}
	}
	if n > max {
		p.Add("TOO_LONG", field, "%s is %d characters long; the most is %d", field, n, max)
	}
}

// CheckInt records a problem when n is outside min..max.
func CheckInt(p *Problems, field string, n, min, max int64) {
	if n < min || n > max {
		p.Add("OUT_OF_RANGE", field, "%s %d is out of range (%d to %d)", field, n, min, max)
	}
}

// CheckDate records a problem when d is set and outside EarliestDate ..
// LatestDate.
func CheckDate(p *Problems, field string, d Date) {
	if !d.IsZero() && (d.Before(EarliestDate) || d.After(LatestDate)) {
		p.Add("OUT_OF_RANGE", field, "%s %s is out of range (%s to %s)", field, d, EarliestDate, LatestDate)
	}
}

// CheckInput checks the request against the input limits: every text field,
// number and date, with the seed's field names in the paths. It returns nil
// or an *Error of CodeInvalid listing every problem; the rules decide the
// rest.
func (r *OrderRequest) CheckInput() error {
	var p Problems
	for _, t := range []struct {
		field, s string
		max      int
	}{
		{"customerPONumber", r.CustomerPONumber, MaxText}, {"customerOrderRef", r.CustomerOrderRef, MaxText},
		{"currencyCode", r.CurrencyCode, MaxText}, {"activationCountry", r.ActivationCountry, MaxText},
		{"promoCode", r.PromoCode, MaxText}, {"billToContactEmail", r.BillToContactEmail, MaxEmail},
		{"billToContactPhone", r.BillToContactPhone, MaxText}, {"shipToContactEmail", r.ShipToContactEmail, MaxEmail},
		{"shipToContactPhone", r.ShipToContactPhone, MaxText},
	} {
		CheckText(&p, t.field, t.s, t.max)
	}
	CheckInt(&p, "billToSiteUseId", r.BillToSiteUseID, -MaxID, MaxID)
	CheckInt(&p, "shipToSiteUseId", r.ShipToSiteUseID, -MaxID, MaxID)
	for i := range r.Lines {
		l := &r.Lines[i]
		f := "lines[" + strconv.Itoa(i) + "]."
		CheckInt(&p, f+"lineNumber", int64(l.LineNumber), math.MinInt32, MaxLineNumber)
		CheckDate(&p, f+"serviceStartDate", l.ServiceStartDate)
		CheckDate(&p, f+"activationDate", l.ActivationDate)
		for _, t := range []struct {
			field, s string
			max      int
		}{
			{"partNumber", l.PartNumber, MaxText}, {"serialNumber", l.SerialNumber, MaxText},
			{"serviceType", l.ServiceType, MaxText}, {"manufacturerModel", l.ManufacturerModel, MaxText},
			{"autoRenewal", l.AutoRenewal, MaxText}, {"geoFenceRegion", l.GeoFenceRegion, MaxText},
			{"activationType", l.ActivationType, MaxText}, {"couponNumber", l.CouponNumber, MaxText},
			{"ssoUserEmailAddress", l.SSOUserEmailAddress, MaxEmail}, {"simIncludedFlag", l.SimIncludedFlag, MaxText},
			{"simNumber", l.SimNumber, MaxText}, {"deviceKey", l.DeviceKey, MaxText}, {"carrierName", l.CarrierName, MaxText},
		} {
			CheckText(&p, f+t.field, t.s, t.max)
		}
	}
	return p.Err()
}

// CheckTexts checks query text fields (name, value pairs) against MaxText;
// it returns nil or an *Error of CodeInvalid listing every problem.
func CheckTexts(fieldValues ...string) error {
	var p Problems
	for i := 0; i+1 < len(fieldValues); i += 2 {
		CheckText(&p, fieldValues[i], fieldValues[i+1], MaxText)
	}
	return p.Err()
}
