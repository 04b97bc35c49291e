package orders_test

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules/dataset"
	"github.com/entitle-rules/entitle/rules/orders"
)

// This file is the baseline the engine is measured against (DESIGN.md,
// "Budgets"): the shipped rules of rulesets/10-orders.yaml, 20-lines.yaml,
// 30-rtx.yaml and 40-vrs.yaml written directly in Go, as fast as honest Go
// gets. It reads the same Snapshot and calls the same domain vocabulary
// (Timeline methods, ValidEmail, Model.AcceptsSerial, Duration.After...) the
// rule expressions call, since that vocabulary is shared and not engine
// overhead. It evaluates in the engine's order (order rules of phases
// normalize, derive, validate; then each line through normalize, derive,
// validate and decide, files 20, 30, 40 within a phase; then order decide
// rules) and gives the same decision, violations in the same order with the
// same texts. It builds no trace, no Derived list and no violation RuleID:
// the engine's explanation of a decision is part of what the engine costs.
// TestHandwrittenMatchesEngine keeps the two in step.

// The shipped files' params and tables, as Go constants.
const (
	handMaxOrderLines   = 20  // 10-orders: max_order_lines
	handStartWindowDays = 3   // 20-lines: start_window_days
	handEarliestStart   = 365 // 20-lines: earliest_start_days
	handSwitchWindow    = 60  // 20-lines: switch_window_days
	handBundleModel     = "AG-392"
	handMaxSimDigits    = 20 // 40-vrs: max_sim_digits
)

// handCarriers is 40-vrs.yaml's carriers table, in its order.
var handCarriers = [...]string{
	"T-Mobile Germany",
	"Bell",
	"Rogers",
	"Telekom M2M",
	"Vodafone Germany over third party supplier Horn and Cosifan",
	"Telia Sweden",
	"Vodafone UK",
	"Vodafone UK over third party supplier Wireless Logic",
	"Orange UK over third party supplier Wireless Logic",
	"O2 UK over third party supplier Wireless Logic",
	"Orange Ireland Wireless Logic",
	"Unknown",
	"O2 Ireland Wireless Logic",
}

// handCarrierList is the carriers as the INVALID_CARRIER message lists them.
var handCarrierList = strings.Join(handCarriers[:], "; ")

// handCarrierListed is `carrierName in tables.carriers`: exact, case-sensitive.
func handCarrierListed(s string) bool {
	switch s {
	case "T-Mobile Germany", "Bell", "Rogers", "Telekom M2M",
		"Vodafone Germany over third party supplier Horn and Cosifan", "Telia Sweden",
		"Vodafone UK", "Vodafone UK over third party supplier Wireless Logic",
		"Orange UK over third party supplier Wireless Logic", "O2 UK over third party supplier Wireless Logic",
		"Orange Ireland Wireless Logic", "Unknown", "O2 Ireland Wireless Logic":
		return true
	}
	return false
}

// handCarrierFold is matchFold(tables.carriers, s): the first carrier equal
// to s ignoring case, as listed, or "".
func handCarrierFold(s string) string {
	for _, c := range handCarriers {
		if strings.EqualFold(c, s) {
			return c
		}
	}
	return ""
}

// handBundleRenewals is 20-lines.yaml's bundle_renewals table: original part
// description and replacement parts in preference order.
var handBundleRenewals = [...]struct {
	original string
	parts    []string
}{
	{"Ag CenterPoint RTX on Basic 1 Year, NAV-900 Bundle, CPN Activation - NAM", []string{"128349-10"}},
	{"Ag CenterPoint RTX on Basic 1 Year, NAV-900 Bundle, CPN Activation - NLatAm", []string{"128349-10"}},
	{"Ag CenterPoint RTX on Basic 1 Year, NAV-900 Bundle, CPN Activation - SLatAm", []string{"128349-10"}},
	{"Ag CenterPoint RTX on Basic 1 Year, NAV-900 Bundle, CPN Activation - AUS/NZ", []string{"128357-10"}},
	{"Ag CenterPoint RTX on Basic 1 Year, NAV-900 Bundle, CPN Activation - JP", []string{"128357-10"}},
	{"Ag CenterPoint RTX on Basic 1 Year, NAV-900 Bundle, CPN Activation - CIS/RU", []string{"128357-10"}},
	{"Ag CenterPoint RTX on Basic 1 Year, NAV-900 Bundle, CPN Activation - SE Asia", []string{"128357-10"}},
	{"Ag CenterPoint RTX on Basic 1 Year, NAV-900 Bundle, CPN Activation - NAfrica", []string{"128357-10"}},
	{"Ag CenterPoint RTX on Basic 1 Year, NAV-900 Bundle, CPN Activation - Global", []string{"128357-10"}},
	{"Ag CenterPoint RTX on Basic 1 Year, NAV-900 Bundle, CPN Activation - EU", []string{"128349-10"}},
	{"Ag CenterPoint RTX on Basic 1 Year, AG-392 Bundle, CPN Activation - NAM", []string{"128349-10"}},
	{"Ag CenterPoint RTX on Basic 1 Year, AG-392 Bundle, CPN Activation - NLatAm", []string{"128349-10"}},
	{"Ag CenterPoint RTX on Basic 1 Year, AG-392 Bundle, CPN Activation - SLatAm", []string{"128349-10"}},
	{"Ag CenterPoint RTX on Basic 1 Year, AG-392 Bundle, CPN Activation - CIS/RU", []string{"128357-10"}},
	{"Ag CenterPoint RTX on Basic 1 Year, AG-392 RTK Trade In Only Bundle, CPN Activation - Global", []string{"128357-10"}},
	{"Ag CenterPoint RTX on Basic 1 Year, AG-392 Trade In Only Bundle, CPN Activation - Global", []string{"128357-10"}},
	{"Ag CenterPoint RTX on Basic 1 Year, AG-392 Bundle, CPN Activation - Global", []string{"128357-10"}},
	{"Ag CenterPoint RTX on Basic 1 Year, AG-392 Bundle, CPN Activation - EU", []string{"128349-10"}},
	{"Ag CenterPoint RTX on Basic 1 Year, AG-392 Bundle, CPN Activation - AUS/NZ", []string{"128357-10"}},
	{"Ag Regional CenterPoint RTX 1 Year on Basic PTx Bundle", []string{"88213-10", "88416-10"}},
	{"Ag CenterPoint RTX on Basic 1 Year, NAV-900 Bundle, CPN Activation - EU", []string{"128357-10"}},
	{"Airborne and Land Factory Installed CenterPoint RTX Complete - 16 Months", []string{"133045-30"}},
	{"Airborne and Land Factory Installed CenterPoint RTX - 16 Months", []string{"132670-30"}},
	{"Geospatial Continental FieldPoint RTX 1 Year - Activation Installed", []string{"108524-40"}},
	{"Construction Site CenterPoint RTX 1 Year - Activation Installed", []string{"100731"}},
	{"Geospatial Continental CenterPoint RTX 1 Year - Activation Installed", []string{"95690-20"}},
}

// handScratch is one decision's reusable state, pooled as the engine pools
// its evaluators, so a decision allocates only what it returns.
type handScratch struct {
	serials []handSerial
	n       int
}

// handSerial is what one decision knows about a serial its lines name: the
// store's facts, read only when a rule needs them (the device for VRS lines,
// the trial ledger for trial parts), and its timeline and trial ledger with
// the accepted lines of this order added. Accepted lines wait in pending and
// are merged into a copy of the timeline (tlBuf, reused across decisions)
// only when a later line names the same serial: the snapshot is never
// written, and an order naming each serial once copies nothing.
type handSerial struct {
	key        string
	snap       *orders.Snapshot
	inProgress bool
	timeline   domain.Timeline
	pending    []domain.Subscription
	tlBuf      domain.Timeline
	ownTL      bool

	dev       *domain.Device
	devRead   bool
	trials    []domain.TrialGrant
	trBuf     []domain.TrialGrant
	trialRead bool
	ownTrials bool
}

var handScratches = sync.Pool{New: func() any { return new(handScratch) }}

// serial returns the state of serial, shared by every line naming the device,
// with the lines accepted before merged into its timeline.
func (sc *handScratch) serial(snap *orders.Snapshot, serial string) *handSerial {
	key := domain.SerialKey(serial)
	for i := range sc.serials[:sc.n] {
		if s := &sc.serials[i]; s.key == key {
			s.merge()
			return s
		}
	}
	if sc.n == len(sc.serials) {
		sc.serials = append(sc.serials, handSerial{})
	}
	s := &sc.serials[sc.n]
	sc.n++
	s.key, s.snap, s.inProgress = key, snap, snap.InProgress[key]
	s.timeline, s.pending, s.ownTL = snap.Timelines[key], s.pending[:0], false
	s.dev, s.devRead, s.trials, s.trialRead, s.ownTrials = nil, false, nil, false, false
	return s
}

// device returns the stored device, read once.
func (s *handSerial) device() *domain.Device {
	if !s.devRead {
		s.dev, s.devRead = s.snap.Devices[s.key], true
	}
	return s.dev
}

// ledger returns the trial ledger with this order's trials, read once.
func (s *handSerial) ledger() []domain.TrialGrant {
	if !s.trialRead {
		s.trials, s.trialRead = s.snap.Trials[s.key], true
	}
	return s.trials
}

// merge adds the pending accepted lines to the timeline.
func (s *handSerial) merge() {
	if len(s.pending) == 0 {
		return
	}
	if !s.ownTL {
		s.tlBuf, s.ownTL = append(s.tlBuf[:0], s.timeline...), true
	}
	s.tlBuf = append(s.tlBuf, s.pending...)
	s.timeline, s.pending = s.tlBuf, s.pending[:0]
}

// addPending adds an accepted line to the serial's pending lines and, for a
// trial, to its ledger, as the engine's SerialFacts.addPending does.
func (s *handSerial) addPending(serial string, p *domain.Part, start, end domain.Date, autoRenew bool, now time.Time) {
	s.pending = append(s.pending, domain.Subscription{
		Serial: serial, PartNumber: p.Number, ProductLine: p.ProductLine,
		Start: start, End: end, Kind: p.Kind(), AutoRenew: autoRenew,
	})
	if p.Trial {
		if !s.ownTrials {
			s.trBuf, s.ownTrials = append(s.trBuf[:0], s.ledger()...), true
		}
		s.trBuf = append(s.trBuf, domain.TrialGrant{SerialKey: s.key, ProductLine: p.ProductLine, PartNumber: p.Number, GrantedAt: now})
		s.trials = s.trBuf
	}
}

// hadTrial is the vocabulary's hadTrial: the ledger or the history holds a
// trial of pl.
func (s *handSerial) hadTrial(pl domain.ProductLine) bool {
	for _, g := range s.ledger() {
		if g.ProductLine == pl {
			return true
		}
	}
	return s.timeline.HadKind(pl, domain.Trial)
}

// handOrder is what the order rules read about the header.
type handOrder struct {
	billToFound, billToAutoRenew, creditHold bool
	customerName                             string
	shipToFound                              bool
	shipToCountry                            string
	priceList                                *domain.PriceList
	activationCountry                        string
}

func handViolation(d *domain.Decision, code, field, msg string) {
	d.Violations = append(d.Violations, domain.Violation{Code: code, Field: field, Message: msg})
}

func handLineViolation(d *domain.Decision, i int, code, field, msg string) {
	handViolation(d, code, "lines["+strconv.Itoa(i)+"]."+field, msg)
}

// decideByHand decides req against snap with the shipped rules written in
// Go. See the comment at the top of the file.
func decideByHand(snap *orders.Snapshot, req *domain.OrderRequest) domain.Decision {
	sc := handScratches.Get().(*handScratch)
	defer handScratches.Put(sc)
	var d domain.Decision
	today := domain.Today(snap.Now, domain.Pacific)
	todayUTC := domain.Today(snap.Now, domain.UTC)

	var o handOrder
	if c := snap.BillTo; c != nil {
		if site, ok := c.Site(req.BillToSiteUseID, domain.BillTo); ok {
			o.billToFound, o.billToAutoRenew, o.customerName, o.creditHold = true, site.AutoRenewFlag, c.Name, c.CreditHold
		}
	}
	if c := snap.ShipTo; c != nil {
		if site, ok := c.Site(req.ShipToSiteUseID, domain.ShipTo); ok {
			o.shipToFound, o.shipToCountry = true, site.Country
		}
	}
	o.priceList = snap.PriceList

	// Order, normalize: order.activation-country.
	o.activationCountry = req.ActivationCountry
	if strings.TrimSpace(o.activationCountry) == "" {
		o.activationCountry = o.shipToCountry
	}

	// Order, validate, in 10-orders.yaml's order.
	n := len(req.Lines)
	if n == 0 {
		handViolation(&d, "REQUIRED", "lines", "An order needs at least one line")
	}
	if n > handMaxOrderLines {
		handViolation(&d, "TOO_MANY_LINES", "lines", "An order can have at most "+strconv.Itoa(handMaxOrderLines)+" lines; this one has "+strconv.Itoa(n))
	}
	if handHasDuplicateLine(req.Lines) {
		handViolation(&d, "DUPLICATE_LINE_NUMBER", "lines", "lineNumber must be unique within an order; repeated: "+handDuplicateLines(req.Lines))
	}
	if strings.TrimSpace(req.CustomerPONumber) == "" {
		handViolation(&d, "REQUIRED", "customerPONumber", "customerPONumber is mandatory")
	}
	if strings.TrimSpace(req.CurrencyCode) == "" {
		handViolation(&d, "REQUIRED", "currencyCode", "currencyCode is mandatory")
	}
	if !domain.ValidEmail(req.BillToContactEmail) {
		handViolation(&d, "INVALID_EMAIL", "billToContactEmail", "billToContactEmail is mandatory and must be an e-mail address")
	}
	if !domain.ValidEmail(req.ShipToContactEmail) {
		handViolation(&d, "INVALID_EMAIL", "shipToContactEmail", "shipToContactEmail is mandatory and must be an e-mail address")
	}
	if !o.billToFound {
		handViolation(&d, "UNKNOWN_BILL_TO", "billToSiteUseId", "billToSiteUseId "+strconv.FormatInt(req.BillToSiteUseID, 10)+" is not a bill-to site of your resellers; get one from TAP_GET_CUSTOMERS_API")
	}
	if !o.shipToFound {
		handViolation(&d, "UNKNOWN_SHIP_TO", "shipToSiteUseId", "shipToSiteUseId "+strconv.FormatInt(req.ShipToSiteUseID, 10)+" is not a ship-to site of your resellers or their end customers; get one from TAP_GET_CUSTOMERS_API")
	}
	if o.billToFound && o.priceList == nil {
		handViolation(&d, "NO_PRICE_LIST", "billToSiteUseId", "No price list applies to "+o.customerName+", at customer level or for its country; please contact Customer Care")
	}
	if pl := o.priceList; pl != nil && req.CurrencyCode != "" && strings.ToUpper(req.CurrencyCode) != string(pl.Currency) {
		handViolation(&d, "CURRENCY_MISMATCH", "currencyCode", "currencyCode "+req.CurrencyCode+" does not match the price list currency "+string(pl.Currency))
	}
	if req.PromoCode != "" {
		found := snap.Promo != nil && strings.EqualFold(snap.Promo.Code, req.PromoCode)
		if !found {
			handViolation(&d, "INVALID_PROMO_CODE", "promoCode", "promoCode "+req.PromoCode+" is unknown")
		} else if !snap.Promo.ValidOn(today) {
			handViolation(&d, "INVALID_PROMO_CODE", "promoCode", "promoCode "+req.PromoCode+" is not valid today")
		}
	}

	// Lines, in request order, each through every line phase.
	d.Lines = make([]domain.LineOutcome, n)
	sc.n = 0
	for i := range req.Lines {
		handLine(&d, sc, snap, &o, i, &req.Lines[i], today, todayUTC)
	}

	// Order, decide: order.credit-hold.
	if o.creditHold {
		d.Hold = &domain.Hold{RuleID: "order.credit-hold", Reason: "Customer " + o.customerName + " is on credit hold; Customer Care will release the order"}
	}
	d.Allowed = len(d.Violations) == 0
	d.ActivationCountry = o.activationCountry
	return d
}

func handHasDuplicateLine(ls []domain.LineRequest) bool {
	for i := 1; i < len(ls); i++ {
		for j := 0; j < i; j++ {
			if ls[j].LineNumber == ls[i].LineNumber {
				return true
			}
		}
	}
	return false
}

// handDuplicateLines lists the line numbers that occur more than once, in
// order of their second (and later) occurrence, as the vocabulary's
// duplicates does.
func handDuplicateLines(ls []domain.LineRequest) string {
	var b strings.Builder
	for i := 1; i < len(ls); i++ {
		for j := 0; j < i; j++ {
			if ls[j].LineNumber == ls[i].LineNumber {
				if b.Len() > 0 {
					b.WriteString(", ")
				}
				b.WriteString(strconv.Itoa(ls[i].LineNumber))
				break
			}
		}
	}
	return b.String()
}

// handLine runs the line rules over line i and records its outcome.
func handLine(d *domain.Decision, sc *handScratch, snap *orders.Snapshot, o *handOrder, i int, lr *domain.LineRequest, today, todayUTC domain.Date) {
	before := len(d.Violations)
	p := snap.Parts[lr.PartNumber]
	var m *domain.Model
	if lr.ManufacturerModel != "" {
		m = snap.Models[orders.ModelKey(lr.ManufacturerModel)]
	}
	s := sc.serial(snap, lr.SerialNumber)

	serial := lr.SerialNumber
	start, end := lr.ServiceStartDate, domain.Date{}
	autoRenew, _ := domain.ParseYN(lr.AutoRenewal)
	actDate := lr.ActivationDate
	sso, simFlag, carrier := lr.SSOUserEmailAddress, lr.SimIncludedFlag, lr.CarrierName

	// Normalize: line.service-type-case, line.activation-type-case,
	// vrs.stored-serial, vrs.sim-flag-default, vrs.carrier-spelling.
	serviceType := strings.ToUpper(lr.ServiceType)
	activationType := strings.ToUpper(lr.ActivationType)
	vrs := serviceType == "VRS"
	if vrs {
		if dev := s.device(); dev != nil && serial != dev.Serial {
			serial = dev.Serial
		}
		if simFlag == "" {
			simFlag = "Y"
		} else {
			simFlag = strings.ToUpper(simFlag)
		}
		if carrier != "" && !handCarrierListed(carrier) {
			if c := handCarrierFold(carrier); c != "" {
				carrier = c
			}
		}
	}

	// Derive: line.renewal-start, line.trial-start, line.end-date,
	// line.trial-no-auto-renewal, line.bill-to-no-auto-renewal,
	// line.past-activation-date, line.immediate-activation, vrs.sso-fallback.
	var pl domain.ProductLine
	var other *domain.Subscription // the active subscription of another line, asked below
	if p != nil {
		pl = p.ProductLine
		var c *domain.Subscription
		c, other = s.timeline.Outlook(pl, today) // both questions in one pass
		if c != nil {
			start = c.End.AddDays(1)
		} else if p.Trial {
			start = today
		}
		if !start.IsZero() {
			end = p.Duration.After(start)
		}
		if p.Trial {
			autoRenew = false
		}
	}
	if autoRenew && o.billToFound && !o.billToAutoRenew {
		autoRenew = false
	}
	switch activationType {
	case "SCHEDULED":
		if !actDate.IsZero() && actDate.Before(todayUTC) {
			actDate = todayUTC
		}
	case "IMMEDIATE":
		actDate = todayUTC
	}
	ssoOK := true
	if vrs {
		if ssoOK = domain.ValidEmail(sso); !ssoOK {
			// The client's own latest address, else the store's record of
			// the device (LatestValidSSOEmail returns a valid address or "").
			if own := snap.OwnSSOEmails[s.key]; own != "" {
				sso, ssoOK = own, true
			} else if dev := s.device(); dev != nil {
				if latest := dev.LatestValidSSOEmail(); latest != "" {
					sso, ssoOK = latest, true
				}
			}
		}
	}

	// Validate, 20-lines.yaml.
	if lr.LineNumber <= 0 {
		handLineViolation(d, i, "INVALID_LINE_NUMBER", "lineNumber", "lineNumber must be a positive number")
	}
	if lr.PartNumber == "" {
		handLineViolation(d, i, "REQUIRED", "partNumber", "partNumber is mandatory; get one from TAP_GET_PRODUCTS_API")
	}
	if strings.TrimSpace(serial) == "" {
		handLineViolation(d, i, "REQUIRED", "serialNumber", "serialNumber is mandatory")
	} else if !domain.ValidSerial(serial) {
		handLineViolation(d, i, "INVALID_SERIAL_FORMAT", "serialNumber", "serialNumber "+serial+" must be 1 to 64 letters, digits, '.', '_', '/' or '-'")
	}
	knownType := serviceType == "RTX" || vrs
	if !knownType {
		handLineViolation(d, i, "INVALID_SERVICE_TYPE", "serviceType", "serviceType must be RTX or VRS")
	}
	if lr.AutoRenewal != "Y" && lr.AutoRenewal != "N" {
		handLineViolation(d, i, "INVALID_AUTO_RENEWAL", "autoRenewal", "autoRenewal is mandatory and must be Y or N")
	}
	if lr.ServiceStartDate.IsZero() {
		handLineViolation(d, i, "REQUIRED", "serviceStartDate", "serviceStartDate is mandatory (YYYY-MM-DD, Pacific time)")
	}
	if activationType != "IMMEDIATE" && activationType != "SCHEDULED" {
		handLineViolation(d, i, "INVALID_ACTIVATION_TYPE", "activationType", "activationType must be IMMEDIATE or SCHEDULED")
	}
	if activationType == "SCHEDULED" && actDate.IsZero() {
		handLineViolation(d, i, "REQUIRED", "activationDate", "activationDate is mandatory when activationType is SCHEDULED (YYYY-MM-DD, UTC)")
	}
	if lr.PartNumber != "" && p == nil {
		handLineViolation(d, i, "UNKNOWN_PART", "partNumber", "partNumber "+lr.PartNumber+" is not a known part; get one from TAP_GET_PRODUCTS_API")
	}
	if p != nil {
		if o.priceList != nil && !o.priceList.Holds(p.Number) {
			handLineViolation(d, i, "PART_NOT_IN_PRICE_LIST", "partNumber", "partNumber "+lr.PartNumber+" is not in your price list")
		}
		if knownType && serviceType != string(p.ServiceType) {
			handLineViolation(d, i, "SERVICE_TYPE_MISMATCH", "serviceType", "partNumber "+lr.PartNumber+" is a "+string(p.ServiceType)+" part, not "+serviceType)
		}
	}
	if rs := lr.ServiceStartDate; !rs.IsZero() && rs.After(today.AddDays(handStartWindowDays)) {
		handLineViolation(d, i, "START_DATE_TOO_LATE", "serviceStartDate", "serviceStartDate "+rs.String()+" is more than "+strconv.Itoa(handStartWindowDays)+" days after today ("+today.String()+", Pacific time)")
	}
	if rs := lr.ServiceStartDate; !rs.IsZero() && rs.Before(today.AddDays(-handEarliestStart)) {
		handLineViolation(d, i, "START_DATE_TOO_EARLY", "serviceStartDate", "serviceStartDate "+rs.String()+" is more than "+strconv.Itoa(handEarliestStart)+" days before today ("+today.String()+", Pacific time)")
	}
	if s.inProgress {
		handLineViolation(d, i, "ORDER_IN_PROGRESS", "serialNumber", "Order creation is in progress for the serialNumber, please try after some time")
	}
	if p != nil && p.Trial {
		if s.hadTrial(pl) {
			handLineViolation(d, i, "TRIAL_ALREADY_USED", "partNumber", "Serial "+serial+" already had a trial of "+string(pl)+"; a trial is allowed once per serial and product line")
		}
		if s.timeline.HasPaidActiveOrExpired(pl, today) {
			handLineViolation(d, i, "TRIAL_AFTER_PAID", "partNumber", "Serial "+serial+" has an active or expired paid "+string(pl)+" subscription; a trial is not allowed")
		}
	}
	if p != nil && p.Bundle && s.timeline.HadPart(lr.PartNumber) {
		handLineViolation(d, i, "BUNDLE_ALREADY_USED", "partNumber", "Part "+lr.PartNumber+" ("+p.Description+") came in a bundle with this receiver and cannot be ordered again; order "+handBundleReplacements(p.Description, o.priceList))
	}
	// upper(model.model) in [AG-392]: EqualFold gives the same answer for
	// this ASCII constant without upper-casing the name.
	if m != nil && strings.EqualFold(m.Name, handBundleModel) && s.timeline.UnactivatedBundle() {
		handLineViolation(d, i, "BUNDLE_NOT_ACTIVATED", "serialNumber", "The subscription bundled with this "+m.Name+" receiver was never activated; activate it at start.trimblertx.com before buying the next subscription")
	}
	if p != nil && (m == nil || !m.Agriculture) {
		if other != nil && today.DaysUntil(other.End) >= handSwitchWindow {
			handLineViolation(d, i, "PRODUCT_LINE_SWITCH_TOO_EARLY", "partNumber", "Serial "+serial+" has an active "+string(other.ProductLine)+" subscription until "+other.End.String()+"; a "+string(pl)+" subscription can be ordered in its last "+strconv.Itoa(handSwitchWindow)+" days only")
		}
	}
	if p != nil && !start.IsZero() && !end.IsZero() {
		if ov := s.timeline.OverlapWith(pl, domain.Period{Start: start, End: end}); ov != nil {
			handLineViolation(d, i, "OVERLAPS_SUBSCRIPTION", "serviceStartDate", "Serial "+serial+" already has a "+string(pl)+" subscription from "+ov.Start.String()+" to "+ov.End.String()+"; "+start.String()+" to "+end.String()+" would overlap it")
		}
	}
	if p != nil && p.Redemption && lr.CouponNumber == "" {
		handLineViolation(d, i, "COUPON_REQUIRED", "couponNumber", "couponNumber is mandatory for a redemption order")
	}
	if lr.CouponNumber != "" {
		found := false
		if p != nil {
			if c := snap.Coupons[lr.CouponNumber]; c != nil {
				found = !c.Redeemed && c.PartNumber == p.Number
			}
		}
		if !found {
			handLineViolation(d, i, "INVALID_COUPON", "couponNumber", "couponNumber "+lr.CouponNumber+" is not a valid unredeemed coupon for "+lr.PartNumber)
		}
	}

	// Validate, 30-rtx.yaml.
	if serviceType == "RTX" {
		if strings.TrimSpace(lr.ManufacturerModel) == "" {
			handLineViolation(d, i, "REQUIRED", "manufacturerModel", "manufacturerModel is mandatory for RTX; get one from TAP_GET_MFG_MODELS_API")
		}
		if lr.ManufacturerModel != "" && m == nil {
			handLineViolation(d, i, "UNKNOWN_MODEL", "manufacturerModel", "manufacturerModel "+lr.ManufacturerModel+" is not in the model list; get one from TAP_GET_MFG_MODELS_API")
		}
		if m != nil && p != nil && !p.EligibleFor(m.Name) {
			handLineViolation(d, i, "PART_NOT_ELIGIBLE", "partNumber", "partNumber "+lr.PartNumber+" is not eligible for model "+m.Name)
		}
		if m != nil && serial != "" && !m.AcceptsSerial(serial) {
			handLineViolation(d, i, "INVALID_SERIAL", "serialNumber", "serialNumber "+serial+" is not a valid serial for model "+m.Name)
		}
	}

	// Validate, 40-vrs.yaml.
	if vrs {
		if simFlag != "Y" && simFlag != "N" {
			handLineViolation(d, i, "INVALID_SIM_FLAG", "simIncludedFlag", "simIncludedFlag must be Y or N")
		}
		if strings.TrimSpace(lr.GeoFenceRegion) == "" {
			handLineViolation(d, i, "REQUIRED", "geoFenceRegion", "geoFenceRegion is mandatory for VRS; get one from TAP_GET_PRODUCTS_API")
		}
		if lr.GeoFenceRegion != "" && p != nil && !p.HasRegion(lr.GeoFenceRegion) {
			handLineViolation(d, i, "INVALID_GEOFENCE_REGION", "geoFenceRegion", "geoFenceRegion "+lr.GeoFenceRegion+" is not a region of "+lr.PartNumber+": "+strings.Join(p.Regions, ", "))
		}
		if strings.TrimSpace(lr.DeviceKey) == "" {
			handLineViolation(d, i, "REQUIRED", "deviceKey", "deviceKey is mandatory for VRS")
		}
		if !ssoOK {
			handLineViolation(d, i, "SSO_EMAIL_NOT_FOUND", "ssoUserEmailAddress", "ssoUserEmailAddress not found. Please contact Customer Care")
		}
		switch simFlag {
		case "Y":
			if lr.SimNumber == "" {
				handLineViolation(d, i, "REQUIRED", "simNumber", "simNumber is mandatory when simIncludedFlag is Y")
			} else if !handDigitsOnly(lr.SimNumber) || len(lr.SimNumber) > handMaxSimDigits {
				handLineViolation(d, i, "INVALID_SIM_NUMBER", "simNumber", "simNumber must be digits only, at most "+strconv.Itoa(handMaxSimDigits))
			}
			if carrier == "" {
				handLineViolation(d, i, "REQUIRED", "carrierName", "carrierName is mandatory when simIncludedFlag is Y")
			} else if !handCarrierListed(carrier) {
				handLineViolation(d, i, "INVALID_CARRIER", "carrierName", "carrierName "+carrier+" is not one of: "+handCarrierList)
			}
		case "N":
			if lr.SimNumber != "" || carrier != "" {
				handLineViolation(d, i, "SIM_FIELDS_NOT_ALLOWED", "simIncludedFlag", "simNumber and carrierName must be empty when simIncludedFlag is N")
			}
		}
	}

	var kind domain.SubscriptionKind
	if p != nil {
		kind = p.Kind()
	}
	d.Lines[i] = domain.LineOutcome{
		LineNumber: lr.LineNumber, SerialNumber: serial, PartNumber: lr.PartNumber, ProductLine: pl, Kind: kind,
		ServiceStartDate: start, ServiceEndDate: end, AutoRenewal: autoRenew,
		ActivationType: domain.ActivationType(activationType), ActivationDate: actDate,
		SSOUserEmailAddress: sso, SimIncludedFlag: simFlag, CarrierName: carrier,
	}
	if len(d.Violations) == before && p != nil && !start.IsZero() && !end.IsZero() {
		s.addPending(serial, p, start, end, autoRenew, snap.Now)
	}
}

// handBundleReplacements names the parts that replace a bundle part: for
// each row of the table for its description, the first part the price list
// holds, else the row's first.
func handBundleReplacements(description string, pl *domain.PriceList) string {
	var b strings.Builder
	for _, row := range handBundleRenewals {
		if row.original != description {
			continue
		}
		pick := row.parts[0]
		if pl != nil {
			for _, part := range row.parts {
				if pl.Holds(part) {
					pick = part
					break
				}
			}
		}
		if b.Len() == 0 {
			b.WriteString("one of: ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(pick)
	}
	if b.Len() == 0 {
		return "a renewal part from Customer Care"
	}
	return b.String()
}

func handDigitsOnly(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// handWorld is benchWorld(n) with what the varied requests below need: more
// customers and sites, trial, bundle and redemption parts, agriculture
// models, devices, histories, a trial ledger, an order in progress, promo
// codes and coupons.
func handWorld(tb testing.TB, n int) *dataset.World {
	tb.Helper()
	w := benchWorld(tb, n)
	no := false
	cpPL, cpEnd := "CENTERPOINT", date(tb, "2025-06-01")
	extra := dataset.Dataset{
		Customers: []dataset.CustomerData{
			{ID: "r-auto-off", ClientID: "c1", Name: "Auto Off Reseller", Region: "AMERICA", Country: "US",
				Sites: []dataset.SiteData{{SiteUseID: 531808, Use: "BILL_TO", Address: "c", AutoRenew: &no}, {SiteUseID: 531809, Use: "SHIP_TO", Address: "d"}}},
			{ID: "r-hold", ClientID: "c1", Name: "Held Reseller Ltd", Region: "AMERICA", Country: "US", CreditHold: true,
				Sites: []dataset.SiteData{{SiteUseID: 640001, Use: "BILL_TO", Address: "e"}, {SiteUseID: 640002, Use: "SHIP_TO", Address: "f"}}},
			{ID: "r-nolist", ClientID: "c1", Name: "No List SARL", Region: "EUROPE", Country: "FR",
				Sites: []dataset.SiteData{{SiteUseID: 650001, Use: "BILL_TO", Address: "g"}, {SiteUseID: 650002, Use: "SHIP_TO", Address: "h"}}},
			{ID: "farm", ClientID: "c1", Parent: "r1", Kind: "END_CUSTOMER", Name: "Green Acres Farming", Region: "AMERICA", Country: "CA",
				Sites: []dataset.SiteData{{SiteUseID: 2200001, Use: "SHIP_TO", Address: "i"}}},
			{ID: "other", ClientID: "c2", Name: "Someone Else", Region: "EUROPE", Country: "DE",
				Sites: []dataset.SiteData{{SiteUseID: 777001, Use: "BILL_TO", Address: "j"}, {SiteUseID: 777002, Use: "SHIP_TO", Address: "k"}}},
		},
		Parts: []dataset.PartData{
			{PartNumber: "CP-TRIAL-30", Description: "CenterPoint RTX 30 Day Trial", ServiceType: "RTX", ProductLine: "CENTERPOINT", Duration: "30 DAY", Trial: true},
			{PartNumber: "NAV900-EU-BDL", Description: "Ag CenterPoint RTX on Basic 1 Year, NAV-900 Bundle, CPN Activation - EU", ServiceType: "RTX", ProductLine: "CENTERPOINT", Duration: "1 YEAR", Bundle: true},
			{PartNumber: "PTX-BDL", Description: "Ag Regional CenterPoint RTX 1 Year on Basic PTx Bundle", ServiceType: "RTX", ProductLine: "CENTERPOINT", Duration: "1 YEAR", Bundle: true},
			{PartNumber: "AG392-NAM-BDL", Description: "Ag CenterPoint RTX on Basic 1 Year, AG-392 Bundle, CPN Activation - NAM", ServiceType: "RTX", ProductLine: "CENTERPOINT", Duration: "1 YEAR", Bundle: true},
			{PartNumber: "XB-1", Description: "A bundle nobody listed", ServiceType: "RTX", ProductLine: "CENTERPOINT", Duration: "16 MONTH", Bundle: true},
			{PartNumber: "RDM-1Y", Description: "CenterPoint RTX 1 Year Redemption", ServiceType: "RTX", ProductLine: "CENTERPOINT", Duration: "1 YEAR", Redemption: true},
			{PartNumber: "128349-10", Description: "Ag Regional CenterPoint RTX Fast 1 Year on Basic", ServiceType: "RTX", ProductLine: "CENTERPOINT", Duration: "1 YEAR"},
			{PartNumber: "VRS-2R", Description: "VRS Now 1 Year, two regions", ServiceType: "VRS", ProductLine: "VRS NOW", Duration: "1 YEAR", Regions: []string{"R.GB.SBB(United Kingdom SBB)", "R.US.CO(Colorado)"}},
		},
		Models: []dataset.ModelData{
			{Manufacturer: "Trimble", Model: "NAV-900", Agriculture: true, SerialPattern: "[0-9]{10}"},
			{Manufacturer: "Trimble", Model: "AG-392", Agriculture: true},
		},
		Devices: []dataset.DeviceData{
			{SerialNumber: "TESTApi01", ServiceType: "VRS", SSOEmails: []string{"old.user@example.com", "not-an-email"}},
			{SerialNumber: "VRSNOMAIL", ServiceType: "VRS", SSOEmails: []string{"nobody"}},
		},
		Subscriptions: []dataset.SubscriptionData{
			{SerialNumber: "7000000001", PartNumber: "CP-TRIAL-30", Kind: "TRIAL", Start: date(tb, "2023-01-01"), Status: "CANCELED"},
			{SerialNumber: "7000000002", PartNumber: "NAV900-EU-BDL", Kind: "BUNDLE", Start: date(tb, "2023-05-01"), End: date(tb, "2024-05-01")},
			{SerialNumber: "7000000003", PartNumber: "PTX-BDL", Kind: "BUNDLE", Start: date(tb, "2023-05-01"), End: date(tb, "2024-05-01")},
			{SerialNumber: "7000000004", PartNumber: "AG392-NAM-BDL", Kind: "BUNDLE", Start: date(tb, "2024-01-01"), End: date(tb, "2025-01-01"), Activated: &no},
			{SerialNumber: "7000000005", PartNumber: "RP-1Y", ProductLine: "RANGEPOINT", Start: date(tb, "2024-08-01"), End: date(tb, "2025-08-01")},
			{SerialNumber: "7000000006", PartNumber: "NAV900-EU-BDL", Kind: "BUNDLE", Start: date(tb, "2024-05-01"), End: date(tb, "2025-05-01")},
			{SerialNumber: "7000000007", PartNumber: "132001-10", ProductLine: cpPL, Start: date(tb, "2024-06-01"), End: cpEnd},
			{SerialNumber: "7000000007", PartNumber: "132001-10", ProductLine: cpPL, Start: date(tb, "2025-06-02"), End: date(tb, "2026-06-02")},
			{SerialNumber: "7000000010", PartNumber: "RP-1Y", ProductLine: "RANGEPOINT", Start: date(tb, "2024-06-22"), End: date(tb, "2025-06-22")},
			{SerialNumber: "7000000011", PartNumber: "132001-10", ProductLine: cpPL, Start: date(tb, "2024-06-01"), End: cpEnd, Status: "TERMINATED"},
			{SerialNumber: "7000000012", PartNumber: "132001-10", ProductLine: cpPL, Start: date(tb, "2024-06-01"), End: cpEnd, Status: "CANCELED"},
			{SerialNumber: "7000000013", PartNumber: "XB-1", Kind: "BUNDLE", Start: date(tb, "2023-01-01")},
			{SerialNumber: "7000000014", PartNumber: "132001-10", ProductLine: cpPL, Start: date(tb, "2022-01-01"), End: date(tb, "2023-01-01")},
			{SerialNumber: "TESTApi01", PartNumber: "VRS-1Y", ProductLine: "VRS NOW", Start: date(tb, "2024-05-01"), End: date(tb, "2025-05-01")},
		},
		Trials:     []dataset.TrialData{{SerialNumber: "7000000008", ProductLine: "CENTERPOINT"}},
		InProgress: []string{"7000000009"},
		Promos: []dataset.PromoData{
			{Code: "RTX50", DiscountPercent: "50", ValidFrom: date(tb, "2025-01-01"), ValidTo: date(tb, "2025-12-31")},
			{Code: "OLD10", DiscountPercent: "10", ValidFrom: date(tb, "2024-01-01"), ValidTo: date(tb, "2024-12-31")},
		},
		Coupons: []dataset.CouponData{{Number: "61236403205760", PartNumber: "RDM-1Y"}, {Number: "61236403205761", PartNumber: "RDM-1Y", Redeemed: true}},
	}
	ew, err := extra.Build()
	if err != nil {
		tb.Fatal(err)
	}
	w.Customers = append(w.Customers, ew.Customers...)
	w.Parts = append(w.Parts, ew.Parts...)
	w.Models = append(w.Models, ew.Models...)
	w.Devices = append(w.Devices, ew.Devices...)
	w.Subscriptions = append(w.Subscriptions, ew.Subscriptions...)
	w.Trials = append(w.Trials, ew.Trials...)
	w.InProgress = append(w.InProgress, ew.InProgress...)
	w.Promos = append(w.Promos, ew.Promos...)
	w.Coupons = append(w.Coupons, ew.Coupons...)
	// 128349-10 and 88213-10 stay out of the price list: the first is
	// refused as unpriced, and the PTx bundle names 88416-10 in its place.
	for _, pn := range []string{"CP-TRIAL-30", "NAV900-EU-BDL", "PTX-BDL", "AG392-NAM-BDL", "XB-1", "RDM-1Y", "VRS-2R", "88416-10"} {
		w.PriceLists[0].Items = append(w.PriceLists[0].Items, domain.PriceItem{PartNumber: pn})
	}
	return w
}

// handCase is a request decided both ways: benchOrder(lines) changed by mut,
// against handWorld at now.
type handCase struct {
	name  string
	lines int
	now   time.Time // zero: benchNow
	mut   func(tb testing.TB, r *domain.OrderRequest)
}

// handRTX makes line i an RTX line for serial, part and model.
func handRTX(r *domain.OrderRequest, i int, serial, part, model string) {
	l := &r.Lines[i]
	*l = domain.LineRequest{LineNumber: l.LineNumber, ServiceStartDate: l.ServiceStartDate, PartNumber: part, SerialNumber: serial,
		ServiceType: "RTX", ManufacturerModel: model, AutoRenewal: "Y", ActivationType: "IMMEDIATE"}
}

// handVRS makes line i a VRS line for serial, with the bench's VRS fields.
func handVRS(r *domain.OrderRequest, i int, serial string) {
	l := &r.Lines[i]
	*l = domain.LineRequest{LineNumber: l.LineNumber, ServiceStartDate: l.ServiceStartDate, PartNumber: "VRS-1Y", SerialNumber: serial,
		ServiceType: "VRS", AutoRenewal: "Y", ActivationType: "IMMEDIATE", GeoFenceRegion: "R.GB.SBB(United Kingdom SBB)", DeviceKey: "VRS4567",
		SSOUserEmailAddress: "test123@gmail.com", SimNumber: "8001002000145236", CarrierName: "Telekom M2M"}
}

func handCases() []handCase {
	return []handCase{
		{name: "bench 1 line", lines: 1},
		{name: "bench 20 lines", lines: 20},
		{name: "bench 21 lines", lines: 21},
		{name: "no lines", lines: 1, mut: func(_ testing.TB, r *domain.OrderRequest) { r.Lines = nil }},
		{name: "start 5 days out", lines: 2, mut: func(tb testing.TB, r *domain.OrderRequest) {
			r.Lines[0].ServiceStartDate = date(tb, "2025-04-29")
			handRTX(r, 1, "7100000001", "132001-10", "R12")
			r.Lines[1].ServiceStartDate = date(tb, "2025-04-29")
		}},
		{name: "start 3 days out and a new serial", lines: 1, mut: func(tb testing.TB, r *domain.OrderRequest) {
			handRTX(r, 0, "7100000001", "132001-10", "R12")
			r.Lines[0].ServiceStartDate = date(tb, "2025-04-27")
		}},
		{name: "missing start date", lines: 2, mut: func(_ testing.TB, r *domain.OrderRequest) {
			r.Lines[0].ServiceStartDate = domain.Date{}
			handRTX(r, 1, "7100000001", "132001-10", "R12")
			r.Lines[1].ServiceStartDate = domain.Date{}
		}},
		{name: "DST: today is the Pacific date", lines: 3, now: time.Date(2025, 3, 6, 7, 30, 0, 0, time.UTC), mut: func(tb testing.TB, r *domain.OrderRequest) {
			r.Lines[0].ServiceStartDate = date(tb, "2025-03-09")
			r.Lines[1].ServiceStartDate = date(tb, "2025-03-08")
			handRTX(r, 2, "7100000001", "132001-10", "R12")
			r.Lines[2].ActivationType, r.Lines[2].ActivationDate = "SCHEDULED", date(tb, "2025-03-05")
		}},
		{name: "a trial twice in one order, then a renewal of it", lines: 3, mut: func(tb testing.TB, r *domain.OrderRequest) {
			handRTX(r, 0, "7100000002", "CP-TRIAL-30", "R12")
			r.Lines[0].ServiceStartDate = date(tb, "2025-04-26") // a trial starts today
			handRTX(r, 1, "7100000002", "CP-TRIAL-30", "R12")
			handRTX(r, 2, "7100000002", "132001-10", "R12")
		}},
		{name: "trials against history", lines: 6, mut: func(_ testing.TB, r *domain.OrderRequest) {
			handRTX(r, 0, "7000000001", "CP-TRIAL-30", "R12") // canceled trial
			handRTX(r, 1, "7000000008", "CP-TRIAL-30", "R12") // ledger
			handRTX(r, 2, "5550000000", "CP-TRIAL-30", "R12") // active paid
			handRTX(r, 3, "7000000014", "CP-TRIAL-30", "R12") // expired paid
			handRTX(r, 4, "7000000011", "CP-TRIAL-30", "R12") // terminated paid
			handRTX(r, 5, "7000000006", "CP-TRIAL-30", "R12") // during an active bundle
		}},
		{name: "unknown and unpriced parts", lines: 4, mut: func(_ testing.TB, r *domain.OrderRequest) {
			r.Lines[0].PartNumber = "NOPE-1"
			r.Lines[1].PartNumber = ""
			handRTX(r, 2, "7100000003", "128349-10", "R12")
			handRTX(r, 3, "7100000004", "NOPE-2", "")
		}},
		{name: "VRS carriers and SIMs", lines: 10, mut: func(_ testing.TB, r *domain.OrderRequest) {
			for i := range r.Lines {
				handVRS(r, i, fmt.Sprintf("V-%d", i))
			}
			r.Lines[0].CarrierName = "Verizon"
			r.Lines[1].CarrierName = "bell"
			r.Lines[2].SimIncludedFlag, r.Lines[2].SimNumber = "n", ""
			r.Lines[3].SimIncludedFlag = "N"
			r.Lines[4].SimIncludedFlag = "X"
			r.Lines[5].SimNumber, r.Lines[5].CarrierName = "12ab", ""
			r.Lines[6].SimNumber = "123456789012345678901"
			r.Lines[7].SimIncludedFlag, r.Lines[7].SimNumber = "y", ""
			r.Lines[8].CarrierName = "UNKNOWN"
			r.Lines[9].SimNumber = "12345678901234567890"
		}},
		{name: "VRS geofence, device key, SSO e-mail, stored serial", lines: 8, mut: func(_ testing.TB, r *domain.OrderRequest) {
			for i := range r.Lines {
				handVRS(r, i, fmt.Sprintf("V-%d", i))
			}
			r.Lines[0].GeoFenceRegion = ""
			r.Lines[1].GeoFenceRegion = "R.XX"
			r.Lines[2].GeoFenceRegion, r.Lines[2].PartNumber = "R.XX", "VRS-2R"
			r.Lines[3].DeviceKey = "  "
			r.Lines[4].SerialNumber, r.Lines[4].SSOUserEmailAddress = "testapi01", "not-valid"
			r.Lines[5].SerialNumber, r.Lines[5].SSOUserEmailAddress = "NEW-1", "not-valid"
			r.Lines[6].SerialNumber, r.Lines[6].SSOUserEmailAddress = "vrsnomail", ""
			r.Lines[7].SerialNumber, r.Lines[7].ServiceType = "TESTAPI01", "vrs"
		}},
		{name: "duplicate and bad line numbers", lines: 8, mut: func(_ testing.TB, r *domain.OrderRequest) {
			r.Lines[3].LineNumber = r.Lines[1].LineNumber
			r.Lines[5].LineNumber = r.Lines[1].LineNumber
			r.Lines[6].LineNumber = r.Lines[2].LineNumber
			r.Lines[4].LineNumber = 0
			r.Lines[7].LineNumber = -3
		}},
		{name: "promo codes", lines: 1, mut: func(_ testing.TB, r *domain.OrderRequest) { r.PromoCode = "NOPE" }},
		{name: "expired promo", lines: 1, mut: func(_ testing.TB, r *domain.OrderRequest) { r.PromoCode = "OLD10" }},
		{name: "valid promo any case", lines: 1, mut: func(_ testing.TB, r *domain.OrderRequest) { r.PromoCode = "rtx50" }},
		{name: "missing header fields", lines: 2, mut: func(_ testing.TB, r *domain.OrderRequest) {
			r.CustomerPONumber, r.CurrencyCode = " ", "  "
			r.BillToContactEmail, r.ShipToContactEmail = "nobody", ""
		}},
		{name: "currency mismatch", lines: 1, mut: func(_ testing.TB, r *domain.OrderRequest) { r.CurrencyCode = "EUR" }},
		{name: "currency lower case", lines: 1, mut: func(_ testing.TB, r *domain.OrderRequest) {
			r.CurrencyCode, r.ActivationCountry = "usd", "DE"
		}},
		{name: "unknown sites", lines: 1, mut: func(_ testing.TB, r *domain.OrderRequest) {
			r.BillToSiteUseID, r.ShipToSiteUseID = 777001, 777002
		}},
		{name: "no sites", lines: 1, mut: func(_ testing.TB, r *domain.OrderRequest) { r.BillToSiteUseID, r.ShipToSiteUseID = 0, 0 }},
		{name: "no price list", lines: 1, mut: func(_ testing.TB, r *domain.OrderRequest) {
			r.BillToSiteUseID, r.ShipToSiteUseID = 650001, 650002
		}},
		{name: "end customer ship-to", lines: 2, mut: func(_ testing.TB, r *domain.OrderRequest) { r.ShipToSiteUseID = 2200001 }},
		{name: "credit hold", lines: 2, mut: func(_ testing.TB, r *domain.OrderRequest) {
			r.BillToSiteUseID, r.ShipToSiteUseID = 640001, 640002
		}},
		{name: "credit hold and refused", lines: 2, mut: func(_ testing.TB, r *domain.OrderRequest) {
			r.BillToSiteUseID, r.ShipToSiteUseID = 640001, 640002
			r.Lines[1].PartNumber = "NOPE"
		}},
		{name: "bill-to without auto-renewal", lines: 2, mut: func(_ testing.TB, r *domain.OrderRequest) {
			r.BillToSiteUseID, r.ShipToSiteUseID = 531808, 531809
			r.Lines[1].AutoRenewal = "N"
		}},
		{name: "renewal chains", lines: 5, mut: func(_ testing.TB, r *domain.OrderRequest) {
			handRTX(r, 1, "5550000000", "132001-10", "R12") // renews after line 0
			handRTX(r, 2, "5550000000", "132001-10", "R12") // and after line 1
			handRTX(r, 3, "7000000007", "132001-10", "R12") // after a queued renewal
			handRTX(r, 4, "7000000012", "132001-10", "R12") // a canceled one is not renewed
		}},
		{name: "overlapping a later subscription or a line of the same order", lines: 3, mut: func(tb testing.TB, r *domain.OrderRequest) {
			later := date(tb, "2025-04-26")
			handRTX(r, 0, "7200000001", "132001-10", "R12")
			handRTX(r, 1, "7200000001", "132001-10", "R12")
			r.Lines[0].ServiceStartDate, r.Lines[1].ServiceStartDate = later, later // no active one to queue after
			handRTX(r, 2, "5550000000", "132001-10", "R12")
			r.Lines[2].ServiceStartDate = date(tb, "2023-01-01") // backdated over an expired one
		}},
		{name: "a refused line is not pending", lines: 3, mut: func(_ testing.TB, r *domain.OrderRequest) {
			handRTX(r, 0, "7100000005", "132001-10", "R99")
			handRTX(r, 1, "7100000005", "132001-10", "R12")
			handRTX(r, 2, "7100000005", "CP-TRIAL-30", "R12")
		}},
		{name: "a serial with a space", lines: 2, mut: func(_ testing.TB, r *domain.OrderRequest) {
			r.Lines[0].SerialNumber += " "
		}},
		{name: "service types and flags", lines: 8, mut: func(tb testing.TB, r *domain.OrderRequest) {
			r.Lines[0].ServiceType = "rtx"
			r.Lines[1].ServiceType = "XYZ"
			r.Lines[2].ServiceType = "VRS" // an RTX part
			r.Lines[3].ServiceType = "RTX" // a VRS part
			r.Lines[4].AutoRenewal = "yes"
			r.Lines[5].AutoRenewal = "y"
			r.Lines[6].ServiceType = ""
			r.Lines[7].AutoRenewal = ""
		}},
		{name: "activation types", lines: 6, mut: func(tb testing.TB, r *domain.OrderRequest) {
			r.Lines[0].ActivationType, r.Lines[0].ActivationDate = "scheduled", date(tb, "2025-01-01")
			r.Lines[1].ActivationType, r.Lines[1].ActivationDate = "SCHEDULED", date(tb, "2025-05-26")
			r.Lines[2].ActivationType = "SCHEDULED"
			r.Lines[3].ActivationType = "LATER"
			r.Lines[4].ActivationType, r.Lines[4].ActivationDate = "Immediate", date(tb, "2025-05-26")
			r.Lines[5].ActivationType, r.Lines[5].ActivationDate = "SCHEDULED", date(tb, "2025-04-24")
		}},
		{name: "RTX models and serials", lines: 8, mut: func(_ testing.TB, r *domain.OrderRequest) {
			r.Lines[0].ManufacturerModel = ""
			handRTX(r, 1, "7100000006", "132001-10", "R99")
			handRTX(r, 2, "7100000007", "132001-10", "Trimble||R12")
			handRTX(r, 3, "7100000008", "132001-10", "r2")
			handRTX(r, 4, "7100000009", "132001-10", "NAV-900") // not eligible
			handRTX(r, 5, "ABC", "132001-10", "R12")
			handRTX(r, 6, "", "132001-10", "R12")
			handRTX(r, 7, "   ", "132001-10", "  ")
		}},
		{name: "bundles", lines: 7, mut: func(_ testing.TB, r *domain.OrderRequest) {
			handRTX(r, 0, "7000000002", "NAV900-EU-BDL", "NAV-900")
			handRTX(r, 1, "7000000003", "PTX-BDL", "NAV-900")
			handRTX(r, 2, "7000000013", "XB-1", "NAV-900")
			handRTX(r, 3, "7100000010", "NAV900-EU-BDL", "NAV-900") // never had it
			handRTX(r, 4, "7000000004", "132001-10", "AG-392")      // bundle never activated
			handRTX(r, 5, "7100000011", "AG392-NAM-BDL", "ag-392")  // a pending bundle...
			handRTX(r, 6, "7100000011", "132001-10", "AG-392")      // ...is not activated yet
		}},
		{name: "product-line switch", lines: 4, mut: func(_ testing.TB, r *domain.OrderRequest) {
			handRTX(r, 0, "7000000005", "132001-10", "R12")     // 98 days left: too early
			handRTX(r, 1, "7000000005", "132001-10", "NAV-900") // agriculture: any time
			handRTX(r, 2, "7000000010", "132001-10", "R12")     // 59 days left
			handRTX(r, 3, "7000000005", "132001-10", "R77")     // unknown model: not agriculture
		}},
		{name: "order in progress", lines: 2, mut: func(_ testing.TB, r *domain.OrderRequest) {
			handRTX(r, 0, "7000000009", "132001-10", "R12")
			handVRS(r, 1, "7000000009")
		}},
		{name: "coupons", lines: 5, mut: func(_ testing.TB, r *domain.OrderRequest) {
			handRTX(r, 0, "7100000012", "RDM-1Y", "R12")
			handRTX(r, 1, "7100000013", "RDM-1Y", "R12")
			r.Lines[1].CouponNumber = "61236403205760"
			r.Lines[2].CouponNumber = "61236403205760" // for another part
			handRTX(r, 3, "7100000014", "RDM-1Y", "R12")
			r.Lines[3].CouponNumber = "61236403205761" // redeemed
			r.Lines[4].PartNumber, r.Lines[4].CouponNumber = "NOPE", "61236403205760"
		}},
		{name: "everything at once", lines: 20, mut: func(tb testing.TB, r *domain.OrderRequest) {
			r.PromoCode, r.CurrencyCode = "OLD10", "eur"
			r.Lines[19].LineNumber = 2
			r.Lines[0].ServiceStartDate = date(tb, "2025-05-01")
			handRTX(r, 2, "7100000020", "CP-TRIAL-30", "R12")
			handRTX(r, 4, "7100000020", "CP-TRIAL-30", "R12")
			r.Lines[5].CarrierName = "o2 ireland wireless logic"
			r.Lines[7].SimIncludedFlag = "N"
			handRTX(r, 8, "7000000003", "PTX-BDL", "R2")
			r.Lines[9].SSOUserEmailAddress = "x@"
			handRTX(r, 10, "7000000005", "132001-10", "R12")
			r.Lines[11].ActivationType = "scheduled"
			handRTX(r, 12, "7000000009", "132001-10", "R12")
			r.Lines[13].GeoFenceRegion = "R.US.CO(Colorado)"
			handRTX(r, 14, "7100000020", "132001-10", "R12")
			r.Lines[15].SerialNumber = "vrs0015"
			handRTX(r, 16, "7100000021", "RDM-1Y", "R12")
			r.Lines[17].SimNumber = ""
			handRTX(r, 18, "5550000000", "132001-10", "R12")
		}},
	}
}

// TestHandwrittenMatchesEngine proves the baseline honest: the hand-written
// rules and the engine running the shipped files decide every request alike,
// and the requests make every shipped rule fire at least once, so dropping a
// rule on either side fails the test.
func TestHandwrittenMatchesEngine(t *testing.T) {
	set := loadShipped(t)
	opts := cmp.Options{
		cmpopts.IgnoreFields(domain.Decision{}, "Trace", "RulesetHash"),
		cmpopts.IgnoreFields(domain.LineOutcome{}, "Derived"),
		cmpopts.IgnoreFields(domain.Violation{}, "RuleID"),
		cmp.Comparer(func(a, b domain.Date) bool { return a == b }),
	}
	fired := map[string]bool{}
	for _, c := range handCases() {
		t.Run(c.name, func(t *testing.T) {
			req := benchOrder(c.lines)
			w := benchWorld(t, c.lines)
			if c.mut != nil {
				w = handWorld(t, 20)
				c.mut(t, &req)
			}
			now := c.now
			if now.IsZero() {
				now = benchNow
			}
			snap := snapshotOf(t, w, now, "c1", &req)
			want := orders.Decide(set, snap, &req)
			got := decideByHand(snap, &req)
			if diff := cmp.Diff(want, got, opts); diff != "" {
				t.Errorf("engine (-) and hand-written (+) decide differently:\n%s", diff)
			}
			// Deciding again (scratch reused) gives the same decision.
			if diff := cmp.Diff(got, decideByHand(snap, &req), opts); diff != "" {
				t.Errorf("a second hand-written decision differs:\n%s", diff)
			}
			for _, r := range set.Rules() {
				if _, f := want.Trace.Ran(r.ID); f {
					fired[r.ID] = true
				}
			}
		})
	}
	for _, r := range set.Rules() {
		if !fired[r.ID] {
			t.Errorf("rule %s never fired: add a request that makes it fire, and its hand-written twin", r.ID)
		}
	}
}

// BenchmarkDecideOrderHandwritten is BenchmarkDecideOrder with the rules
// written in Go: the baseline of DESIGN.md's "Budgets".
func BenchmarkDecideOrderHandwritten(b *testing.B) {
	for _, n := range []int{1, 20} {
		req := benchOrder(n)
		snap := snapshotOf(b, benchWorld(b, n), benchNow, "c1", &req)
		b.Run(fmt.Sprintf("lines=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			defer threadCPU(b)()
			for b.Loop() {
				d := decideByHand(snap, &req)
				if !d.Allowed {
					b.Fatal(d.Violations)
				}
			}
		})
	}
}
