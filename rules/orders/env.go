package orders

import (
	"unsafe"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules"
)

// The environments below are what the store API's rule expressions see. Their expr tags are
// the seed's own field names, so renaming a Go field never breaks a rule
// file. Fields are plain Go kinds (string, int, bool) and domain.Date, never
// named string types: expr's fast comparison opcodes assert concrete kinds.

// OrderEnv is the environment of order-scope rules.
type OrderEnv struct {
	Order    *OrderFacts `expr:"order"`
	Today    domain.Date `expr:"today"`    // today's civil date in America/Los_Angeles
	TodayUTC domain.Date `expr:"todayUTC"` // today's civil date in UTC
}

// LineEnv is the environment of line-scope rules: the order, one line, and
// what is known about that line's part, model and serial.
type LineEnv struct {
	Order    *OrderFacts  `expr:"order"`
	Line     *LineFacts   `expr:"line"`
	Part     *PartFacts   `expr:"part"`
	Model    *ModelFacts  `expr:"model"`
	Serial   *SerialFacts `expr:"serial"`
	Today    domain.Date  `expr:"today"`
	TodayUTC domain.Date  `expr:"todayUTC"`

	// memo remembers the string tests of the lines (isEmail of a line's SSO
	// address is asked by two rules), by argument.
	memo rules.Memo
}

// OrderFacts is the order header as sent, with what the store knows about it.
type OrderFacts struct {
	LineCount          int    `expr:"lineCount"`
	LineNumbers        []int  `expr:"lineNumbers"`
	CustomerPONumber   string `expr:"customerPONumber"`
	CustomerOrderRef   string `expr:"customerOrderRef"`
	CurrencyCode       string `expr:"currencyCode"`
	PromoCode          string `expr:"promoCode"`
	BillToSiteUseID    int    `expr:"billToSiteUseId"`
	ShipToSiteUseID    int    `expr:"shipToSiteUseId"`
	BillToContactEmail string `expr:"billToContactEmail"`
	ShipToContactEmail string `expr:"shipToContactEmail"`
	// ActivationCountry may be derived (rule 10: empty means the ship-to country).
	ActivationCountry string `expr:"activationCountry"`

	BillToFound       bool   `expr:"billToFound"`     // the bill-to site belongs to a reseller of the caller
	ShipToFound       bool   `expr:"shipToFound"`     // the ship-to site belongs to the caller's reseller or its end customer
	CustomerName      string `expr:"customerName"`    // the bill-to reseller
	ShipToCountry     string `expr:"shipToCountry"`   // the ship-to site's country
	BillToAutoRenew   bool   `expr:"billToAutoRenew"` // the bill-to site allows auto-renewal
	CreditHold        bool   `expr:"creditHold"`      // the customer is on credit hold
	PriceListFound    bool   `expr:"priceListFound"`  // a price list applies (customer's, else country's)
	PriceListCurrency string `expr:"priceListCurrency"`
	PromoFound        bool   `expr:"promoFound"` // the promo code exists
	PromoValid        bool   `expr:"promoValid"` // ... and may be used today

	// Lines are the order's lines: as sent in the order's rules before the
	// lines' own (normalize to validate), as derived in its decide rules.
	// Rules quantify over them: count(order.lines, .kind == "TRIAL").
	Lines []LineFacts `expr:"lines"`

	priceList *domain.PriceList
}

// LineFacts is one order line. Fields marked derivable may be set by rules.
type LineFacts struct {
	Index              int         `expr:"index"` // 0-based position in the request
	LineNumber         int         `expr:"lineNumber"`
	RequestedStartDate domain.Date `expr:"requestedStartDate"` // serviceStartDate as sent
	ServiceStartDate   domain.Date `expr:"serviceStartDate"`   // derivable
	ServiceEndDate     domain.Date `expr:"serviceEndDate"`     // derivable
	PartNumber         string      `expr:"partNumber"`
	SerialNumber       string      `expr:"serialNumber"` // derivable (the stored spelling)
	ServiceType        string      `expr:"serviceType"`
	ManufacturerModel  string      `expr:"manufacturerModel"`
	AutoRenewalFlag    string      `expr:"autoRenewalFlag"` // as sent: "Y" or "N"
	AutoRenewal        bool        `expr:"autoRenewal"`     // derivable
	GeoFenceRegion     string      `expr:"geoFenceRegion"`
	ActivationType     string      `expr:"activationType"` // derivable
	ActivationDate     domain.Date `expr:"activationDate"` // derivable (UTC civil date)
	CouponNumber       string      `expr:"couponNumber"`
	SSOUserEmail       string      `expr:"ssoUserEmailAddress"` // derivable
	SimIncludedFlag    string      `expr:"simIncludedFlag"`     // derivable
	SimNumber          string      `expr:"simNumber"`
	DeviceKey          string      `expr:"deviceKey"`
	CarrierName        string      `expr:"carrierName"` // derivable
	Kind               string      `expr:"kind"`        // PAID, TRIAL or BUNDLE, from the part
	ProductLine        string      `expr:"productLine"` // from the part
	CouponFound        bool        `expr:"couponFound"` // the coupon exists, for this part, unredeemed

	derived []string
	part    *domain.Part // the catalog's part, looked up once per line
}

// PartFacts is the catalog's part for a line; Found is false for an unknown
// part number, and then every other field is empty.
type PartFacts struct {
	Found         bool     `expr:"found"`
	PartNumber    string   `expr:"partNumber"`
	Description   string   `expr:"partDescription"`
	ServiceType   string   `expr:"serviceType"`
	ProductLine   string   `expr:"productLine"`
	DurationValue int      `expr:"durationValue"`
	DurationUnit  string   `expr:"durationUnit"`
	Trial         bool     `expr:"trial"`
	Bundle        bool     `expr:"bundle"`
	Redemption    bool     `expr:"redemption"`
	InPriceList   bool     `expr:"inPriceList"`
	Regions       []string `expr:"regions"`

	part *domain.Part
}

// ModelFacts is the catalog's model named by a line's manufacturerModel.
type ModelFacts struct {
	Found        bool   `expr:"found"`
	Manufacturer string `expr:"manufacturer"`
	Model        string `expr:"model"`
	Agriculture  bool   `expr:"agriculture"`

	model *domain.Model
}

// SerialFacts is what the store knows about a line's serial: the device, its
// subscription timeline (with the earlier lines of this order added), its
// trial ledger, and whether an order for it is in progress. The device's
// fields are read from the snapshot when a rule first reads one (they are
// lazy in the line scope), as is the trial ledger.
type SerialFacts struct {
	Known           bool   `expr:"known"`        // the device is in the store
	StoredSerial    string `expr:"storedSerial"` // its stored spelling ("" when unknown)
	LatestSSOEmail  string `expr:"latestSsoUserEmailAddress"`
	OrderInProgress bool   `expr:"orderInProgress"`

	key        string
	timeline   domain.Timeline
	views      []SubscriptionFacts
	built      []bool // views[i] is made
	viewsOK    bool   // views is sized for timeline
	memo       [numMemos]memo
	trials     []domain.TrialGrant // the trial ledger, once trialsRead, with this order's trials
	trialsRead bool
	deviceRead bool // Known, StoredSerial and LatestSSOEmail are read (readDevice)
	snap       *Snapshot
	own        domain.Timeline // the timeline plus this order's lines, once one is merged
	owned      bool
	pending    []domain.Subscription // this order's accepted lines, not merged yet
}

// SubscriptionFacts is a subscription as rules see it.
type SubscriptionFacts struct {
	PartNumber  string      `expr:"partNumber"`
	ProductLine string      `expr:"productLine"`
	StartDate   domain.Date `expr:"startDate"`
	EndDate     domain.Date `expr:"endDate"`
	Kind        string      `expr:"kind"`
	AutoRenewal bool        `expr:"autoRenewal"`
	Activated   bool        `expr:"activated"`
}

func (s *SerialFacts) view(sub *domain.Subscription) *SubscriptionFacts {
	if sub == nil || len(s.timeline) == 0 {
		return nil
	}
	// sub points into s.timeline: its index is its offset.
	i := int((uintptr(unsafe.Pointer(sub)) - uintptr(unsafe.Pointer(&s.timeline[0]))) / unsafe.Sizeof(*sub))
	if i < 0 || i >= len(s.timeline) || &s.timeline[i] != sub {
		return nil
	}
	if !s.viewsOK {
		// Views are made one by one, when a rule first reads one.
		n := len(s.timeline)
		if cap(s.views) < n {
			s.views = make([]SubscriptionFacts, n)
		}
		if cap(s.built) < n {
			s.built = make([]bool, n)
		}
		s.views, s.built = s.views[:n], s.built[:n]
		clear(s.built)
		s.viewsOK = true
	}
	if !s.built[i] {
		s.views[i] = SubscriptionFacts{
			PartNumber: sub.PartNumber, ProductLine: string(sub.ProductLine),
			StartDate: sub.Start, EndDate: sub.End, Kind: string(sub.Kind),
			AutoRenewal: sub.AutoRenew, Activated: sub.Activated,
		}
		s.built[i] = true
	}
	return &s.views[i]
}

// setTimeline installs tl; views and remembered answers are dropped.
func (s *SerialFacts) setTimeline(tl domain.Timeline) {
	s.timeline, s.viewsOK = tl, false
	for i := range s.memo {
		s.memo[i].ok = false
	}
}

// The history questions rules ask several times per line, remembered per
// serial until its timeline changes: one answer each, for the last
// arguments.
const (
	memoRenewal = iota
	memoActiveOther
	memoOverlap
	numMemos
)

type memo struct {
	ok   bool
	pl   string
	a, b domain.Date
	sub  *domain.Subscription
}

// recall returns the remembered answer to question q for (pl, a, b), if the
// last question q had these arguments.
func (s *SerialFacts) recall(q int, pl string, a, b domain.Date) (*domain.Subscription, bool) {
	m := &s.memo[q]
	return m.sub, m.ok && m.pl == pl && m.a == a && m.b == b
}

// keep remembers sub as the answer to question q for (pl, a, b) and returns
// its view.
func (s *SerialFacts) keep(q int, pl string, a, b domain.Date, sub *domain.Subscription) *SubscriptionFacts {
	s.memo[q] = memo{ok: true, pl: pl, a: a, b: b, sub: sub}
	return s.view(sub)
}

// outlook answers renewalOf or activeOtherLine (q) for (pl, day) with one
// pass over the timeline that answers both, and remembers both: a renewal's
// rules ask both of one line and day.
func (s *SerialFacts) outlook(q int, pl string, day domain.Date) *SubscriptionFacts {
	if sub, ok := s.recall(q, pl, day, domain.Date{}); ok {
		return s.view(sub)
	}
	chain, other := s.timeline.Outlook(domain.ProductLine(pl), day)
	s.memo[memoRenewal] = memo{ok: true, pl: pl, a: day, sub: chain}
	s.memo[memoActiveOther] = memo{ok: true, pl: pl, a: day, sub: other}
	return s.view(s.memo[q].sub)
}

func (s *SerialFacts) hadTrial(pl string) bool {
	trials := s.ledger()
	for i := range trials {
		if string(trials[i].ProductLine) == pl {
			return true
		}
	}
	return s.timeline.HadKind(domain.ProductLine(pl), domain.Trial)
}

// ledger returns the serial's trial ledger with this order's trials, read
// from the snapshot when first asked for: only trial parts need it.
func (s *SerialFacts) ledger() []domain.TrialGrant {
	if !s.trialsRead {
		s.trials, s.trialsRead = s.snap.Trials[s.key], true
	}
	return s.trials
}

// readDevice fills the device's facts, once: the latest valid SSO e-mail the
// client's own orders gave, else the device record's.
func (s *SerialFacts) readDevice() {
	if s.deviceRead {
		return
	}
	s.deviceRead = true
	if own := s.snap.OwnSSOEmails[s.key]; own != "" {
		s.LatestSSOEmail = own
	}
	if dev := s.snap.Devices[s.key]; dev != nil {
		s.Known, s.StoredSerial = true, dev.Serial
		if s.LatestSSOEmail == "" {
			s.LatestSSOEmail = dev.LatestValidSSOEmail()
		}
	}
}
