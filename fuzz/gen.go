package fuzz

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/dataset"
	"github.com/entitle-rules/entitle/rules/orders"
)

// The generators below draw values the shipped rulesets accept: an order
// drawn by Order or World passes every rule unless an Options knob asks for a
// refusal. That way a property sees derivations (renewal starts, end dates,
// spellings) as well as refusals, instead of orders refused for a typo.

// productLines are the product lines generated catalogs sell, with the prefix
// of their part numbers and the name their descriptions use.
var productLines = [...]struct {
	pl     domain.ProductLine
	prefix string
	title  string
}{
	{"CENTERPOINT", "CP", "CenterPoint"},
	{"RANGEPOINT", "RP", "RangePoint"},
	{"VIEWPOINT", "VP", "ViewPoint"},
}

// modelPool holds receiver models; whether each is an agriculture one and
// its serial pattern are drawn. AG-392 is the model rule 13 names.
var modelPool = [...][2]string{
	{"Trimble", "R12"}, {"Trimble", "R2"}, {"Trimble", "NAV-900"}, {"Trimble", "AG-392"},
	{"Trimble", "Ag482"}, {"Trimble", "SPS986"}, {"Spectra", "SP100"},
}

// serialPatterns all accept the 10-digit RTX serials RTXSerial draws, so a
// model never refuses a generated serial; "" accepts any serial.
var serialPatterns = [...]string{"", "[0-9]{10}", "[0-9]{8,12}", "[0-9]+"}

var (
	geofenceRegions = [...]string{"R.US.CO(Colorado)", "R.GB.SBB(United Kingdom SBB)", "R.AU.NSW(New South Wales)", "R.DE.BY(Bavaria)"}
	// carrierNames are carriers of the shipped vrs ruleset's carriers table.
	carrierNames  = [...]string{"T-Mobile Germany", "Bell", "Rogers", "Telekom M2M", "Telia Sweden", "Vodafone UK", "Unknown"}
	countries     = [...]string{"US", "CA", "GB", "DE", "AU", "BR"}
	currencies    = [...]string{"USD", "CAD", "GBP", "EUR", "AUD"}
	resellerNames = [...]string{"Trimble Reseller Americas", "Green Acres Farming", "Northern Survey Supply", "Precision Ag Partners", "Geo Instruments GmbH"}
	units         = [...]domain.DurationUnit{domain.Days, domain.Months, domain.Years}
)

// invalidEmail is an SSO e-mail the rules replace with the device's latest
// valid stored one.
const invalidEmail = "not-an-email"

// promoCode is the promo code World puts in the catalog, valid around today.
const promoCode = "SAVE10"

// startWindowDays is the shipped start window (rule 2): a serviceStartDate up
// to today(PT) + 3 days is accepted.
const startWindowDays = 3

// chance draws a label that is true about once in n draws; it shrinks to
// false, so a minimal counterexample keeps only the rare features it needs.
func chance(t *rapid.T, n int, label string) bool {
	t.Helper()
	return rapid.IntRange(0, n-1).Draw(t, label) == n-1
}

// Date returns dates from min to max, both included. The bounds may be given
// in either order; both must be real dates (not the zero Date).
func Date(min, max domain.Date) *rapid.Generator[domain.Date] {
	if max.Before(min) {
		min, max = max, min
	}
	span := min.DaysUntil(max)
	return rapid.Custom(func(t *rapid.T) domain.Date {
		return min.AddDays(rapid.IntRange(0, span).Draw(t, "days after min"))
	})
}

// Now returns UTC instants from 2020 to 2035, as an injected clock reads
// them. A third lies within a day and a half of a Pacific daylight-saving
// change and a third within three hours of Pacific midnight, where the
// Pacific date (service dates) and the UTC date (activation dates) differ.
func Now() *rapid.Generator[time.Time] {
	return rapid.Custom(func(t *rapid.T) time.Time {
		pacific := domain.Pacific.Location()
		year := rapid.IntRange(2020, 2035).Draw(t, "year")
		switch rapid.IntRange(0, 2).Draw(t, "near") {
		case 1:
			// DST starts the second Sunday of March and ends the first Sunday
			// of November, at 02:00 local time.
			change := sunday(year, time.March, 2, pacific)
			if rapid.Bool().Draw(t, "autumn") {
				change = sunday(year, time.November, 1, pacific)
			}
			off := rapid.IntRange(-36*3600, 36*3600).Draw(t, "seconds from the DST change")
			return change.Add(time.Duration(off) * time.Second).UTC()
		case 2:
			day := rapid.IntRange(0, 364).Draw(t, "day of year")
			midnight := time.Date(year, time.January, 1+day, 0, 0, 0, 0, pacific)
			off := rapid.IntRange(-3*3600, 3*3600).Draw(t, "seconds from Pacific midnight")
			return midnight.Add(time.Duration(off) * time.Second).UTC()
		}
		start := time.Date(year, time.January, 1, 0, 0, 0, 0, time.UTC)
		off := rapid.Int64Range(0, 365*86400-1).Draw(t, "seconds into the year")
		return start.Add(time.Duration(off) * time.Second)
	})
}

// sunday returns 02:00 local time on the nth Sunday of month.
func sunday(year int, month time.Month, nth int, loc *time.Location) time.Time {
	first := time.Date(year, month, 1, 2, 0, 0, 0, loc)
	days := (7-int(first.Weekday()))%7 + 7*(nth-1)
	return time.Date(year, month, 1+days, 2, 0, 0, 0, loc)
}

// RTXSerial returns 10-digit RTX receiver serials.
func RTXSerial() *rapid.Generator[string] {
	return rapid.StringMatching(`[0-9]{10}`)
}

// VRSSerial returns mixed-case VRS serials such as "TESTApi01" or "vrs-12":
// letters, an optional dash, digits.
func VRSSerial() *rapid.Generator[string] {
	return rapid.StringMatching(`[A-Za-z]{2,6}-?[0-9]{1,5}`)
}

// Serial returns RTX serials (RTXSerial) and VRS serials (VRSSerial).
func Serial() *rapid.Generator[string] {
	return rapid.OneOf(RTXSerial(), VRSSerial())
}

// ServiceTypeOf returns the service type of a serial drawn by Serial: RTX for
// 10 digits, VRS otherwise.
func ServiceTypeOf(serial string) domain.ServiceType {
	if len(serial) != 10 {
		return domain.VRS
	}
	for i := 0; i < len(serial); i++ {
		if serial[i] < '0' || serial[i] > '9' {
			return domain.VRS
		}
	}
	return domain.RTX
}

// uniqueSerial draws a serial of type st whose key is not in used, and adds it.
func uniqueSerial(t *rapid.T, st domain.ServiceType, used map[string]bool) string {
	t.Helper()
	var s string
	if st == domain.RTX {
		s = RTXSerial().Draw(t, "RTX serial")
	} else {
		s = VRSSerial().Draw(t, "VRS serial")
	}
	// Shrinking drives serials towards one value; step aside deterministically.
	for used[domain.SerialKey(s)] {
		if st == domain.RTX {
			n, _ := strconv.ParseInt(s, 10, 64)
			s = fmt.Sprintf("%010d", (n+1)%10_000_000_000)
		} else {
			s += "7"
		}
	}
	used[domain.SerialKey(s)] = true
	return s
}

// Duration returns part durations: 1-730 DAY, 1-36 MONTH or 1-5 YEAR.
func Duration() *rapid.Generator[domain.Duration] {
	return rapid.Custom(func(t *rapid.T) domain.Duration {
		u := rapid.SampledFrom(units[:]).Draw(t, "unit")
		longest := map[domain.DurationUnit]int{domain.Days: 730, domain.Months: 36, domain.Years: 5}[u]
		return domain.Duration{N: rapid.IntRange(1, longest).Draw(t, "n"), Unit: u}
	})
}

// Offering is a generated catalog: parts of the product lines CENTERPOINT,
// RANGEPOINT and VIEWPOINT, receiver models, and the price list holding every
// part.
type Offering struct {
	Parts     []domain.Part
	Models    []domain.Model
	PriceList domain.PriceList
}

// Part returns the part numbered number, or nil.
func (o *Offering) Part(number string) *domain.Part {
	for i := range o.Parts {
		if o.Parts[i].Number == number {
			return &o.Parts[i]
		}
	}
	return nil
}

// Catalog returns catalogs in which every product line has one or two paid
// RTX parts, maybe a paid VRS part, one trial part (RTX or VRS) and maybe an
// RTX bundle part, with DAY, MONTH and YEAR durations; one to four models,
// agriculture or not, with and without serial patterns, every model accepting
// 10-digit serials; and one price list, in one currency, for one to three
// countries, holding every part. There is at least one paid VRS part.
func Catalog() *rapid.Generator[Offering] {
	return rapid.Custom(func(t *rapid.T) Offering {
		var o Offering
		picked := rapid.SliceOfNDistinct(rapid.IntRange(0, len(modelPool)-1), 1, 4, rapid.ID[int]).Draw(t, "models")
		names := make([]string, 0, len(picked))
		for _, i := range picked {
			m := domain.Model{
				Manufacturer:  modelPool[i][0],
				Name:          modelPool[i][1],
				Agriculture:   rapid.Bool().Draw(t, "agriculture"),
				SerialPattern: rapid.SampledFrom(serialPatterns[:]).Draw(t, "serial pattern"),
			}
			if err := m.Compile(); err != nil {
				t.Fatalf("fuzz: serial pattern of %s: %v", m.Key(), err)
			}
			o.Models = append(o.Models, m)
			names = append(names, m.Name)
		}
		hasVRS := false
		for _, ln := range productLines {
			for k := range rapid.IntRange(1, 2).Draw(t, "paid RTX parts") {
				o.Parts = append(o.Parts, drawPart(t, ln.pl, ln.prefix, ln.title, domain.RTX, domain.Paid, k+1, names))
			}
			if rapid.Bool().Draw(t, "paid VRS part") || (!hasVRS && ln.pl == "VIEWPOINT") {
				o.Parts = append(o.Parts, drawPart(t, ln.pl, ln.prefix, ln.title, domain.VRS, domain.Paid, 1, names))
				hasVRS = true
			}
			st := rapid.SampledFrom([]domain.ServiceType{domain.RTX, domain.VRS}).Draw(t, "trial service type")
			o.Parts = append(o.Parts, drawPart(t, ln.pl, ln.prefix, ln.title, st, domain.Trial, 1, names))
			if rapid.Bool().Draw(t, "bundle part") {
				o.Parts = append(o.Parts, drawPart(t, ln.pl, ln.prefix, ln.title, domain.RTX, domain.Bundle, 1, names))
			}
		}
		cur := rapid.SampledFrom(currencies[:]).Draw(t, "currency")
		o.PriceList = domain.PriceList{
			ID:        "pl-" + strings.ToLower(cur),
			Currency:  domain.Currency(cur),
			Countries: rapid.SliceOfNDistinct(rapid.SampledFrom(countries[:]), 1, 3, rapid.ID[string]).Draw(t, "price list countries"),
		}
		for _, p := range o.Parts {
			cents := rapid.Int64Range(0, 500000).Draw(t, "list price in cents")
			if p.Trial || p.Bundle {
				cents = 0
			}
			o.PriceList.Items = append(o.PriceList.Items, domain.PriceItem{
				PartNumber:      p.Number,
				ListPrice:       decimal.New(cents, -2),
				DiscountPercent: decimal.NewFromInt(int64(rapid.IntRange(0, 30).Draw(t, "item discount percent"))),
			})
		}
		return o
	})
}

// drawPart draws the k-th part of a kind and service type in a product line.
func drawPart(t *rapid.T, pl domain.ProductLine, prefix, title string, st domain.ServiceType, kind domain.SubscriptionKind, k int, models []string) domain.Part {
	t.Helper()
	p := domain.Part{ServiceType: st, ProductLine: pl, ActivationMethod: domain.OTA}
	var code, what string
	switch kind {
	case domain.Trial:
		p.Trial, code, what = true, "TRIAL", "Trial"
		p.Duration = rapid.SampledFrom([]domain.Duration{
			{N: 7, Unit: domain.Days}, {N: 30, Unit: domain.Days}, {N: 90, Unit: domain.Days}, {N: 1, Unit: domain.Months}, {N: 3, Unit: domain.Months},
		}).Draw(t, "trial duration")
	case domain.Bundle:
		p.Bundle, code, what = true, "BDL", "Bundle"
		p.Duration = rapid.SampledFrom([]domain.Duration{{N: 1, Unit: domain.Years}, {N: 16, Unit: domain.Months}}).Draw(t, "bundle duration")
	default:
		code, what = string(st), "Subscription"
		p.Duration = Duration().Draw(t, "duration")
	}
	p.Number = fmt.Sprintf("%s-%s%d", prefix, code, k)
	p.Description = fmt.Sprintf("%s %s %s %s", title, st, p.Duration, what)
	if st == domain.VRS {
		p.ActivationMethod = domain.Email
		p.Regions = rapid.SliceOfNDistinct(rapid.SampledFrom(geofenceRegions[:]), 1, 3, rapid.ID[string]).Draw(t, "geofence regions")
	} else if rapid.Bool().Draw(t, "model-specific part") {
		p.Models = rapid.SliceOfNDistinct(rapid.SampledFrom(models), 1, len(models), rapid.ID[string]).Draw(t, "eligible models")
	}
	return p
}

// Account is a generated reseller with its end customers. All belong to one
// client (the reseller's ClientID).
type Account struct {
	Reseller     domain.Customer
	EndCustomers []domain.Customer
}

// Customers returns the reseller then its end customers.
func (a *Account) Customers() []domain.Customer {
	return append([]domain.Customer{a.Reseller}, a.EndCustomers...)
}

// BillToSites returns the reseller's bill-to sites.
func (a *Account) BillToSites() []domain.Site {
	var out []domain.Site
	for _, s := range a.Reseller.Sites {
		if s.Use == domain.BillTo {
			out = append(out, s)
		}
	}
	return out
}

// ShipToSites returns the ship-to sites of the reseller and of its end
// customers: every site an order billed to the reseller may ship to.
func (a *Account) ShipToSites() []domain.Site {
	var out []domain.Site
	for _, c := range a.Customers() {
		for _, s := range c.Sites {
			if s.Use == domain.ShipTo {
				out = append(out, s)
			}
		}
	}
	return out
}

// Customer returns active resellers of one client with one or two bill-to
// sites (auto-renewal allowed or not) and one or two ship-to sites, and zero
// to two end customers with ship-to sites of their own. Site use ids are
// unique; about one reseller in ten is on credit hold (orders go ON_HOLD, and
// are still allowed). The reseller has no price list of its own: its country's
// applies unless the caller sets PriceListID.
func Customer() *rapid.Generator[Account] {
	return rapid.Custom(func(t *rapid.T) Account {
		n := rapid.IntRange(1, 999).Draw(t, "client number")
		next := int64(rapid.IntRange(100000, 8999999).Draw(t, "first site use id"))
		site := func(use domain.SiteUse, c *domain.Customer) domain.Site {
			next++
			return domain.Site{
				SiteUseID: next, Use: use, Region: c.Region, Country: c.Country,
				Address:       fmt.Sprintf("%d %s St", rapid.IntRange(1, 9999).Draw(t, "street number"), use),
				AutoRenewFlag: use == domain.BillTo && rapid.Bool().Draw(t, "bill-to allows auto-renewal"),
			}
		}
		r := domain.Customer{
			ID: fmt.Sprintf("reseller-%d", n), ClientID: fmt.Sprintf("client-%d", n), Kind: domain.Reseller,
			Name:       rapid.SampledFrom(resellerNames[:]).Draw(t, "reseller name"),
			Region:     rapid.SampledFrom(domain.Regions).Draw(t, "region"),
			Country:    rapid.SampledFrom(countries[:]).Draw(t, "country"),
			Active:     true,
			CreatedAt:  time.Date(2020, time.January, 1, 0, 0, 0, 0, time.UTC),
			CreditHold: chance(t, 10, "credit hold"),
		}
		for range rapid.IntRange(1, 2).Draw(t, "bill-to sites") {
			r.Sites = append(r.Sites, site(domain.BillTo, &r))
		}
		for range rapid.IntRange(1, 2).Draw(t, "ship-to sites") {
			r.Sites = append(r.Sites, site(domain.ShipTo, &r))
		}
		a := Account{Reseller: r}
		for k := range rapid.IntRange(0, 2).Draw(t, "end customers") {
			e := domain.Customer{
				ID: fmt.Sprintf("%s-end-%d", r.ID, k+1), ClientID: r.ClientID, ParentID: r.ID, Kind: domain.EndCustomer,
				Name: fmt.Sprintf("End Customer %d of %s", k+1, r.Name), Region: r.Region,
				Country: rapid.SampledFrom(countries[:]).Draw(t, "end customer country"), Active: true, CreatedAt: r.CreatedAt,
			}
			for range rapid.IntRange(1, 2).Draw(t, "end customer ship-to sites") {
				e.Sites = append(e.Sites, site(domain.ShipTo, &e))
			}
			a.EndCustomers = append(a.EndCustomers, e)
		}
		return a
	})
}

// DeviceHistory is a serial's generated past: the device as stored, its
// subscriptions, and its trial ledger.
type DeviceHistory struct {
	Device        domain.Device
	Subscriptions domain.Timeline
	Trials        []domain.TrialGrant
}

// historyOptions steers genHistory.
type historyOptions struct {
	trial       *domain.Part       // a trial part the history must hold a subscription of
	ledger      domain.ProductLine // a product line the ledger must hold a trial of
	overlapping bool               // allow live future subscriptions no chain active today leads to
}

// History returns the past of serial as of today (a Pacific civil date): for
// each product line of cat with parts of the serial's service type
// (ServiceTypeOf), zero to four subscriptions of its parts laid end to end,
// chained (each starting the day after the previous one ends) or with gaps,
// from up to about four years ago. Periods of one product line never overlap;
// kinds are PAID, TRIAL (at most one per product line) and BUNDLE (always
// activated); about one in three is CANCELED or TERMINATED. A live
// subscription starts after today only as a queued renewal: chained to a live
// one active today, the way the rules create them. The ledger holds a grant
// for every product line with a trial subscription, and sometimes one whose
// subscription is gone. VRS devices carry SSO e-mails, valid or not.
func History(serial string, cat Offering, today domain.Date) *rapid.Generator[DeviceHistory] {
	return rapid.Custom(func(t *rapid.T) DeviceHistory {
		return genHistory(t, serial, &cat, today, historyOptions{})
	})
}

func genHistory(t *rapid.T, serial string, cat *Offering, today domain.Date, ho historyOptions) DeviceHistory {
	t.Helper()
	st := ServiceTypeOf(serial)
	h := DeviceHistory{Device: domain.Device{Serial: serial, ServiceType: st}}
	if st == domain.VRS {
		for range rapid.IntRange(0, 2).Draw(t, "SSO e-mails") {
			e := invalidEmail
			if rapid.IntRange(0, 3).Draw(t, "valid SSO e-mail") > 0 {
				e = email(t)
			}
			h.Device.SSOEmails = append(h.Device.SSOEmails, e)
		}
	} else if len(cat.Models) > 0 {
		m := rapid.SampledFrom(cat.Models).Draw(t, "device model")
		h.Device.Manufacturer, h.Device.Model = m.Manufacturer, m.Name
	}
	key := domain.SerialKey(serial)
	trialOf := map[domain.ProductLine]string{}
	for _, ln := range productLines {
		var parts []*domain.Part
		for i := range cat.Parts {
			if p := &cat.Parts[i]; p.ProductLine == ln.pl && p.ServiceType == st && !p.Redemption {
				parts = append(parts, p)
			}
		}
		if len(parts) == 0 {
			continue
		}
		forced := ho.trial != nil && ho.trial.ProductLine == ln.pl
		count := rapid.IntRange(0, 4).Draw(t, "subscriptions of "+string(ln.pl))
		if forced && count == 0 {
			count = 1
		}
		cursor := today.AddDays(-rapid.IntRange(0, 1500).Draw(t, "days before today of the first start"))
		var prev *domain.Subscription
		reachesToday := false // prev is live and active today or queued after such a chain
		for k := 0; k < count; k++ {
			if prev != nil {
				gap := 0
				if !rapid.Bool().Draw(t, "chained") {
					gap = rapid.IntRange(1, 400).Draw(t, "days between subscriptions")
				}
				cursor = prev.End.AddDays(1 + gap)
			}
			var p *domain.Part
			if forced && k == 0 {
				p = ho.trial
			} else {
				choices := make([]*domain.Part, 0, len(parts))
				for _, q := range parts {
					if !q.Trial || trialOf[ln.pl] == "" {
						choices = append(choices, q)
					}
				}
				if len(choices) == 0 {
					break // only the trial part, used already
				}
				p = rapid.SampledFrom(choices).Draw(t, "part")
			}
			var ended domain.SubscriptionStatus
			switch rapid.IntRange(0, 5).Draw(t, "status") {
			case 4:
				ended = domain.Canceled
			case 5:
				ended = domain.Terminated
			}
			s := domain.Subscription{
				ID: fmt.Sprintf("%s/%s/%d", key, ln.pl, k+1), Serial: serial, PartNumber: p.Number, ProductLine: ln.pl,
				Start: cursor, End: p.Duration.After(cursor), Kind: p.Kind(), Ended: ended,
				AutoRenew: !p.Trial && rapid.Bool().Draw(t, "auto-renew"), Activated: true,
			}
			queued := prev != nil && prev.Live() && reachesToday && s.Start == prev.End.AddDays(1)
			if s.Live() && s.Start.After(today) && !queued && !ho.overlapping {
				// The rules renew only from a chain active today; a live
				// subscription nothing active leads to is where they let a new
				// one overlap it (Options.Overlapping).
				break
			}
			reachesToday = s.Live() && (s.Period().Contains(today) || (s.Start.After(today) && queued))
			h.Subscriptions = append(h.Subscriptions, s)
			prev = &s
			if p.Trial {
				trialOf[ln.pl] = p.Number
			}
		}
	}
	for _, ln := range productLines {
		part, had := trialOf[ln.pl]
		if had || ho.ledger == ln.pl || chance(t, 6, "ledger-only trial of "+string(ln.pl)) {
			h.Trials = append(h.Trials, domain.TrialGrant{
				SerialKey: key, ProductLine: ln.pl, PartNumber: part,
				GrantedAt: time.Date(2020, time.January, 1, 0, 0, 0, 0, time.UTC),
			})
		}
	}
	return h
}

// email draws a valid e-mail address.
func email(t *rapid.T) string {
	t.Helper()
	return fmt.Sprintf("%s%d@%s",
		rapid.SampledFrom([]string{"user", "ops", "field.crew", "survey"}).Draw(t, "mailbox"),
		rapid.IntRange(0, 999).Draw(t, "mailbox number"),
		rapid.SampledFrom([]string{"example.com", "farm.example.org", "survey.example.net"}).Draw(t, "mail domain"))
}

// Options are the knobs of Order and World. The zero value draws orders the
// shipped rules accept in full.
type Options struct {
	// MinLines and MaxLines bound the number of order lines; zero means 1
	// and 20 (the shipped maximum).
	MinLines, MaxLines int
	// LateStart moves one line's serviceStartDate 4 to 400 days past today
	// (Pacific), beyond the shipped 3-day window: the rules refuse it with
	// START_DATE_TOO_LATE. Scenario.LateLine says which (World only).
	LateStart bool
	// SecondTrial adds a trial line for a serial that already had a trial of
	// that product line: in its history (in any status), only in the trial
	// ledger, or on an earlier line of the same order. The rules refuse it
	// with TRIAL_ALREADY_USED. Scenario.TrialLine says which (World only).
	SecondTrial bool
	// Overlapping also draws what rule 3 cannot queue after an active
	// subscription: a serviceStartDate up to 30 days before today, a live
	// subscription starting after today that nothing active today leads to,
	// and a second line for a serial and product line whose first line
	// starts after today. The shipped rules refuse such lines
	// (OVERLAPS_SUBSCRIPTION) rather than grant overlapping periods; the
	// scenario is then no longer accepted in full.
	Overlapping bool
}

func (o Options) lineBounds() (int, int) {
	lo, hi := o.MinLines, o.MaxLines
	if lo <= 0 {
		lo = 1
	}
	if hi <= 0 {
		hi = 20
	}
	return lo, max(lo, hi)
}

// Order returns orders of one to twenty lines against cat, billed to a
// bill-to site of acct and shipped to one of its ship-to sites, decided on
// today (a Pacific civil date), which the shipped rules accept; see
// Options.Order.
func Order(cat Offering, acct Account, today domain.Date, devices []DeviceHistory) *rapid.Generator[domain.OrderRequest] {
	return Options{}.Order(cat, acct, today, devices)
}

// Order returns orders against cat and acct. Each line orders a part of the
// price list for a serial of devices (each used by at most one line, unless a
// line renews the product line an earlier line of the same serial renewed)
// or for a new serial, with a serviceStartDate from today to today + 3 days,
// RTX lines with an eligible model, VRS lines with geofence region, device
// key, SSO e-mail (an invalid one only when the device has a valid one
// stored), SIM flag, SIM number and carrier; serials, service types,
// activation types, SIM flags and carriers are sometimes spelled in another
// case. A part is chosen only where the shipped rules accept it given the
// serial's history and the order's earlier lines (trial once, no trial after
// paid, no bundle twice, the product-line switch window, AG-392 bundles
// activated), and about half the lines renew a product line active today.
// The header carries the price list's currency and valid contact e-mails.
// LateStart and SecondTrial apply to World only.
func (o Options) Order(cat Offering, acct Account, today domain.Date, devices []DeviceHistory) *rapid.Generator[domain.OrderRequest] {
	return rapid.Custom(func(t *rapid.T) domain.OrderRequest {
		lo, hi := o.lineBounds()
		n := rapid.IntRange(lo, hi).Draw(t, "lines")
		used := map[string]bool{}
		for _, d := range devices {
			used[domain.SerialKey(d.Device.Serial)] = true
		}
		req := header(t, &cat, &acct)
		req.Lines = o.drawLines(t, &cat, today, devices, n, used)
		numberLines(t, req.Lines)
		return req
	})
}

// header draws an order header for acct, in cat's price list currency.
func header(t *rapid.T, cat *Offering, acct *Account) domain.OrderRequest {
	t.Helper()
	if len(acct.BillToSites()) == 0 || len(acct.ShipToSites()) == 0 {
		t.Fatalf("fuzz: account %s needs a bill-to and a ship-to site", acct.Reseller.ID)
	}
	cur := string(cat.PriceList.Currency)
	req := domain.OrderRequest{
		CustomerPONumber:   fmt.Sprintf("PO%06d", rapid.IntRange(0, 999999).Draw(t, "PO number")),
		CurrencyCode:       rapid.SampledFrom([]string{cur, strings.ToLower(cur)}).Draw(t, "currency code"),
		BillToSiteUseID:    rapid.SampledFrom(acct.BillToSites()).Draw(t, "bill-to site").SiteUseID,
		ShipToSiteUseID:    rapid.SampledFrom(acct.ShipToSites()).Draw(t, "ship-to site").SiteUseID,
		BillToContactEmail: email(t),
		ShipToContactEmail: email(t),
	}
	if rapid.Bool().Draw(t, "customer order ref") {
		req.CustomerOrderRef = fmt.Sprintf("Order%08d", rapid.IntRange(0, 99999999).Draw(t, "order ref"))
	}
	if rapid.Bool().Draw(t, "activation country") {
		req.ActivationCountry = rapid.SampledFrom(countries[:]).Draw(t, "activation country code")
	}
	if rapid.Bool().Draw(t, "contact phones") {
		req.BillToContactPhone, req.ShipToContactPhone = "+1 303 555 0100", "+1 303 555 0101"
	}
	return req
}

// numberLines gives the lines distinct positive line numbers.
func numberLines(t *rapid.T, lines []domain.LineRequest) {
	t.Helper()
	nums := rapid.SliceOfNDistinct(rapid.IntRange(1, 999), len(lines), len(lines), rapid.ID[int]).Draw(t, "line numbers")
	if rapid.Bool().Draw(t, "numbered 1..n") {
		for i := range nums {
			nums[i] = i + 1
		}
	}
	for i := range lines {
		lines[i].LineNumber = nums[i]
	}
}

// serialState is what the rules will know about a serial while an order's
// lines are decided: its history plus the order's earlier accepted lines.
type serialState struct {
	serial   string // the stored spelling, or the first one sent for a new serial
	st       domain.ServiceType
	device   *domain.Device // nil for a serial the store does not know
	timeline domain.Timeline
	trials   []domain.ProductLine
	// repeat is the product line later lines of this serial may order too:
	// the one its first line renewed with a paid part ("" for none).
	repeat domain.ProductLine
}

func newState(d *DeviceHistory) *serialState {
	s := &serialState{serial: d.Device.Serial, st: ServiceTypeOf(d.Device.Serial), device: &d.Device,
		timeline: slices.Clone(d.Subscriptions)}
	for _, g := range d.Trials {
		s.trials = append(s.trials, g.ProductLine)
	}
	return s
}

func freshState(t *rapid.T, st domain.ServiceType, used map[string]bool) *serialState {
	t.Helper()
	return &serialState{serial: uniqueSerial(t, st, used), st: st}
}

// choice is a part (and for RTX a model) a serial may order, with the period
// the rules will derive for it.
type choice struct {
	part       *domain.Part
	model      *domain.Model
	start, end domain.Date
	renewal    bool // the product line is active today: the rules move the start
}

// accepts mirrors the shipped line rules that depend on a serial's history
// (rules 4, 5, 6 and 13 of DESIGN.md).
func (s *serialState) accepts(p *domain.Part, m *domain.Model, today domain.Date) bool {
	pl := p.ProductLine
	if p.Trial && (slices.Contains(s.trials, pl) || s.timeline.HadKind(pl, domain.Trial) || s.timeline.HasPaidActiveOrExpired(pl, today)) {
		return false
	}
	if p.Bundle && s.timeline.HadPart(p.Number) {
		return false
	}
	if m != nil && strings.EqualFold(m.Name, "AG-392") && s.timeline.UnactivatedBundle() {
		return false
	}
	if m == nil || !m.Agriculture {
		if other := s.timeline.ActiveOtherLine(pl, today); other != nil && today.DaysUntil(other.End) >= 60 {
			return false
		}
	}
	return true
}

// period returns the period the rules derive for p ordered with requested as
// serviceStartDate (rules 3, 5 and 11).
func (s *serialState) period(p *domain.Part, requested, today domain.Date) (domain.Date, domain.Date) {
	start := requested
	if chain := s.timeline.ChainEnd(p.ProductLine, today); chain != nil {
		start = chain.End.AddDays(1)
	} else if p.Trial {
		start = today
	}
	return start, p.Duration.After(start)
}

// overlaps reports whether [start, end] overlaps a live subscription of pl.
func (s *serialState) overlaps(pl domain.ProductLine, start, end domain.Date) bool {
	for i := range s.timeline {
		if x := &s.timeline[i]; x.ProductLine == pl && x.Live() && x.Period().Overlaps(domain.Period{Start: start, End: end}) {
			return true
		}
	}
	return false
}

// choices lists what s may order on a line with requested as start.
func (o Options) choices(cat *Offering, s *serialState, requested, today domain.Date) []choice {
	var out []choice
	try := func(p *domain.Part, m *domain.Model) {
		if !s.accepts(p, m, today) {
			return
		}
		start, end := s.period(p, requested, today)
		if !o.Overlapping && s.overlaps(p.ProductLine, start, end) {
			return
		}
		out = append(out, choice{part: p, model: m, start: start, end: end, renewal: s.timeline.ActiveOn(p.ProductLine, today) != nil})
	}
	for i := range cat.Parts {
		p := &cat.Parts[i]
		if p.ServiceType != s.st || p.Redemption || !cat.PriceList.Holds(p.Number) {
			continue
		}
		if s.st == domain.VRS {
			try(p, nil)
			continue
		}
		for j := range cat.Models {
			if m := &cat.Models[j]; p.EligibleFor(m.Name) && m.AcceptsSerial(s.serial) {
				try(p, m)
			}
		}
	}
	return out
}

// requestedStart draws a line's serviceStartDate.
func (o Options) requestedStart(t *rapid.T, today domain.Date) domain.Date {
	t.Helper()
	earliest := today
	if o.Overlapping {
		earliest = today.AddDays(-30)
	}
	return Date(earliest, today.AddDays(startWindowDays)).Draw(t, "serviceStartDate")
}

// drawLines draws n accepted lines.
func (o Options) drawLines(t *rapid.T, cat *Offering, today domain.Date, devices []DeviceHistory, n int, used map[string]bool) []domain.LineRequest {
	t.Helper()
	free := make([]int, len(devices))
	for i := range free {
		free[i] = i
	}
	var states []*serialState
	lines := make([]domain.LineRequest, 0, n)
	for len(lines) < n {
		if len(states) > 0 && chance(t, 4, "repeat a serial") {
			s := rapid.SampledFrom(states).Draw(t, "repeated serial")
			if s.repeat != "" {
				requested := o.requestedStart(t, today)
				var same []choice
				for _, c := range o.choices(cat, s, requested, today) {
					if c.part.ProductLine == s.repeat && c.part.Kind() == domain.Paid {
						same = append(same, c)
					}
				}
				if len(same) > 0 {
					c := rapid.SampledFrom(same).Draw(t, "repeat part")
					lines = append(lines, o.fill(t, s, c, requested, today))
					continue
				}
			}
		}
		var s *serialState
		if len(free) > 0 && rapid.IntRange(0, 3).Draw(t, "known serial") > 0 {
			k := rapid.IntRange(0, len(free)-1).Draw(t, "device")
			s = newState(&devices[free[k]])
			free = slices.Delete(free, k, k+1)
		} else {
			s = freshState(t, rapid.SampledFrom([]domain.ServiceType{domain.RTX, domain.VRS}).Draw(t, "service type"), used)
		}
		requested := o.requestedStart(t, today)
		cs := o.choices(cat, s, requested, today)
		if len(cs) == 0 {
			// Nothing fits this history (another product line active for
			// months on a non-agriculture receiver, say): order for a new
			// serial, which any part of its service type fits.
			for _, st := range []domain.ServiceType{s.st, domain.RTX, domain.VRS} {
				if s = freshState(t, st, used); len(o.choices(cat, s, requested, today)) > 0 {
					break
				}
			}
			if cs = o.choices(cat, s, requested, today); len(cs) == 0 {
				t.Fatalf("fuzz: the catalog has no part a new serial may order")
			}
		}
		var renewals []choice
		for _, c := range cs {
			if c.renewal {
				renewals = append(renewals, c)
			}
		}
		if len(renewals) > 0 && rapid.Bool().Draw(t, "renew") {
			cs = renewals
		}
		c := rapid.SampledFrom(cs).Draw(t, "part")
		if c.part.Kind() == domain.Paid && (c.renewal || o.Overlapping) {
			s.repeat = c.part.ProductLine
		}
		states = append(states, s)
		lines = append(lines, o.fill(t, s, c, requested, today))
	}
	return lines
}

// fill draws the fields of a line ordering c for s, and records the
// subscription the rules will add to the serial's timeline.
func (o Options) fill(t *rapid.T, s *serialState, c choice, requested, today domain.Date) domain.LineRequest {
	t.Helper()
	p := c.part
	l := domain.LineRequest{
		ServiceStartDate: requested,
		PartNumber:       p.Number,
		SerialNumber:     s.serial,
		ServiceType:      spell(t, string(p.ServiceType), "serviceType spelling"),
		AutoRenewal:      rapid.SampledFrom([]string{"Y", "N"}).Draw(t, "autoRenewal"),
		ActivationType:   spell(t, string(rapid.SampledFrom([]domain.ActivationType{domain.Immediate, domain.Scheduled}).Draw(t, "activationType")), "activationType spelling"),
	}
	if strings.EqualFold(l.ActivationType, string(domain.Scheduled)) {
		l.ActivationDate = Date(today.AddDays(-30), today.AddDays(60)).Draw(t, "activationDate")
	}
	if p.ServiceType == domain.RTX {
		l.ManufacturerModel = c.model.Name
		if rapid.Bool().Draw(t, "manufacturer||model") {
			l.ManufacturerModel = c.model.Key()
		}
	} else {
		if s.device != nil || len(s.timeline) > 0 {
			// The rules answer with the stored spelling whatever case is sent.
			l.SerialNumber = spell(t, s.serial, "serial spelling")
		}
		l.GeoFenceRegion = rapid.SampledFrom(p.Regions).Draw(t, "geoFenceRegion")
		l.DeviceKey = fmt.Sprintf("DK%05d", rapid.IntRange(0, 99999).Draw(t, "deviceKey"))
		l.SSOUserEmailAddress = email(t)
		if s.device != nil && s.device.LatestValidSSOEmail() != "" && chance(t, 3, "invalid SSO e-mail") {
			l.SSOUserEmailAddress = invalidEmail
		}
		l.SimIncludedFlag = rapid.SampledFrom([]string{"", "Y", "y", "N", "n"}).Draw(t, "simIncludedFlag")
		if !strings.EqualFold(l.SimIncludedFlag, "N") {
			l.SimNumber = rapid.StringMatching(`[0-9]{1,20}`).Draw(t, "simNumber")
			l.CarrierName = spell(t, rapid.SampledFrom(carrierNames[:]).Draw(t, "carrierName"), "carrierName spelling")
		}
	}
	s.timeline = append(s.timeline, domain.Subscription{
		Serial: s.serial, PartNumber: p.Number, ProductLine: p.ProductLine,
		Start: c.start, End: c.end, Kind: p.Kind(),
	})
	if p.Trial {
		s.trials = append(s.trials, p.ProductLine)
	}
	return l
}

// spell returns s as given, in upper case, in lower case, or with the case
// of its letters swapped.
func spell(t *rapid.T, s, label string) string {
	t.Helper()
	switch rapid.IntRange(0, 5).Draw(t, label) {
	case 3:
		return strings.ToUpper(s)
	case 4:
		return strings.ToLower(s)
	case 5:
		return strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z':
				return r - 'a' + 'A'
			case r >= 'A' && r <= 'Z':
				return r - 'A' + 'a'
			}
			return r
		}, s)
	}
	return s
}

// Scenario is the input of one order decision: a world, the instant, the
// calling client and the order, with the generated values the world was
// built from.
type Scenario struct {
	World    *dataset.World
	Now      time.Time
	ClientID string
	Order    domain.OrderRequest

	Catalog Offering
	Account Account
	// Devices are the serials the world knows, with their histories.
	Devices []DeviceHistory
	// LateLine is the index of the line Options.LateStart moved past the
	// start window, or -1.
	LateLine int
	// TrialLine is the index of the line Options.SecondTrial made a second
	// trial, or -1.
	TrialLine int
}

// Today returns the Pacific civil date of s.Now, the "today" of service dates.
func (s *Scenario) Today() domain.Date { return domain.Today(s.Now, domain.Pacific) }

// Snapshot writes the world into store (a new, empty one) and reads back
// what the decision reads, as CreateOrder reads it (orders.LoadSnapshot).
func (s *Scenario) Snapshot(ctx context.Context, store ports.Store) (*orders.Snapshot, error) {
	return WorldSnapshot(ctx, store, s.World, s.Now, s.ClientID, &s.Order)
}

// Decide decides s.Order with set against the world written into store (a
// new, empty one).
func (s *Scenario) Decide(ctx context.Context, set *rules.Set, store ports.Store) (domain.Decision, error) {
	snap, err := s.Snapshot(ctx, store)
	if err != nil {
		return domain.Decision{}, err
	}
	return orders.Decide(set, snap, &s.Order), nil
}

// WorldSnapshot writes w into store (a new, empty one) and reads the
// snapshot a decision on req by client at now reads.
func WorldSnapshot(ctx context.Context, store ports.Store, w *dataset.World, now time.Time, client string, req *domain.OrderRequest) (*orders.Snapshot, error) {
	if err := store.Update(ctx, func(tx ports.Tx) error { return w.Apply(ctx, tx) }); err != nil {
		return nil, err
	}
	var snap *orders.Snapshot
	err := store.View(ctx, func(tx ports.Tx) error {
		var err error
		snap, err = orders.LoadSnapshot(ctx, tx, domain.PartnerPrincipal(client, domain.ClientCredentials), req, now)
		return err
	})
	return snap, err
}

// NewWorld returns the world holding cat (its price list, parts and models),
// the account's customers, and the devices with their subscriptions and
// trial ledgers. The price list applies to the reseller: when the reseller
// has no PriceListID, the world's copy of the list also maps the reseller's
// country. The world's slices are its own, so a test may change them.
func NewWorld(cat Offering, acct Account, devices []DeviceHistory) *dataset.World {
	pl := cat.PriceList
	pl.Items = slices.Clone(pl.Items)
	pl.Countries = slices.Clone(pl.Countries)
	if c := acct.Reseller.Country; acct.Reseller.PriceListID == "" && !slices.Contains(pl.Countries, c) {
		pl.Countries = append(pl.Countries, c)
	}
	w := &dataset.World{
		Customers:  acct.Customers(),
		PriceLists: []domain.PriceList{pl},
		Parts:      slices.Clone(cat.Parts),
		Models:     slices.Clone(cat.Models),
	}
	for _, d := range devices {
		w.Devices = append(w.Devices, d.Device)
		w.Subscriptions = append(w.Subscriptions, d.Subscriptions...)
		w.Trials = append(w.Trials, d.Trials...)
	}
	return w
}

// World returns scenarios the shipped rules accept in full; see Options.World.
func World() *rapid.Generator[Scenario] { return Options{}.World() }

// World returns scenarios: now (Now), a catalog (Catalog) whose price list
// applies to the reseller (as its own list or its country's; see NewWorld),
// an account (Customer),
// device histories (History) for some of the serials, and an order (Order)
// by the reseller's client, plus the lines the LateStart and SecondTrial
// knobs add. The world also holds the promo code SAVE10, valid from 30 days
// before today to 30 after, which some orders use.
func (o Options) World() *rapid.Generator[Scenario] {
	return rapid.Custom(func(t *rapid.T) Scenario {
		now := Now().Draw(t, "now")
		today := domain.Today(now, domain.Pacific)
		cat := Catalog().Draw(t, "catalog")
		acct := Customer().Draw(t, "customer")
		if rapid.Bool().Draw(t, "customer price list") {
			acct.Reseller.PriceListID = cat.PriceList.ID
		}

		// mode: 0 the history had the trial, 1 only the ledger, 2 an earlier line.
		mode, extra := -1, 0
		if o.SecondTrial {
			mode = rapid.IntRange(0, 2).Draw(t, "where the first trial is")
			extra = 1 + mode/2
		}
		lo, hi := o.lineBounds()
		n := rapid.IntRange(max(lo, extra), max(hi, extra)).Draw(t, "lines")
		used := map[string]bool{}
		var devices []DeviceHistory
		for range rapid.IntRange(0, n-extra).Draw(t, "known serials") {
			st := rapid.SampledFrom([]domain.ServiceType{domain.RTX, domain.VRS}).Draw(t, "service type")
			devices = append(devices, genHistory(t, uniqueSerial(t, st, used), &cat, today, historyOptions{overlapping: o.Overlapping}))
		}
		s := Scenario{Now: now, ClientID: acct.Reseller.ClientID, Catalog: cat, Account: acct, LateLine: -1, TrialLine: -1}
		s.Order = header(t, &cat, &acct)
		lines := o.drawLines(t, &cat, today, devices, n-extra, used)

		firstTrial := -1
		if o.SecondTrial {
			var trials []*domain.Part
			for i := range cat.Parts {
				if cat.Parts[i].Trial {
					trials = append(trials, &cat.Parts[i])
				}
			}
			p := rapid.SampledFrom(trials).Draw(t, "second trial part")
			serial := uniqueSerial(t, p.ServiceType, used)
			st := &serialState{serial: serial, st: p.ServiceType}
			if mode < 2 {
				ho := historyOptions{overlapping: o.Overlapping}
				if mode == 0 {
					ho.trial = p
				} else {
					ho.ledger = p.ProductLine
				}
				devices = append(devices, genHistory(t, serial, &cat, today, ho))
				st = newState(&devices[len(devices)-1])
			}
			var models []*domain.Model
			for i := range cat.Models {
				if m := &cat.Models[i]; p.EligibleFor(m.Name) && m.AcceptsSerial(serial) {
					models = append(models, m)
				}
			}
			trialLine := func() domain.LineRequest {
				c := choice{part: p}
				if p.ServiceType == domain.RTX {
					c.model = rapid.SampledFrom(models).Draw(t, "second trial model")
				}
				requested := Date(today, today.AddDays(startWindowDays)).Draw(t, "trial serviceStartDate")
				c.start, c.end = st.period(p, requested, today)
				return o.fill(t, st, c, requested, today)
			}
			if mode == 2 {
				firstTrial = rapid.IntRange(0, len(lines)).Draw(t, "first trial line")
				lines = slices.Insert(lines, firstTrial, trialLine())
			}
			s.TrialLine = rapid.IntRange(firstTrial+1, len(lines)).Draw(t, "second trial line")
			lines = slices.Insert(lines, s.TrialLine, trialLine())
		}
		if o.LateStart {
			var candidates []int
			for i := range lines {
				if i != firstTrial {
					candidates = append(candidates, i)
				}
			}
			s.LateLine = rapid.SampledFrom(candidates).Draw(t, "late line")
			lines[s.LateLine].ServiceStartDate = today.AddDays(startWindowDays + 1 + rapid.IntRange(0, 400).Draw(t, "days past the window"))
		}
		numberLines(t, lines)
		s.Order.Lines = lines
		s.Devices = devices

		s.World = NewWorld(cat, acct, devices)
		s.World.Promos = []domain.PromoCode{{Code: promoCode, DiscountPercent: decimal.NewFromInt(10), ValidFrom: today.AddDays(-30), ValidTo: today.AddDays(30)}}
		if chance(t, 4, "promo code") {
			s.Order.PromoCode = spell(t, promoCode, "promo code spelling")
		}
		return s
	})
}
