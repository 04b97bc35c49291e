package orders

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules"
)

// Snapshot is the state one order decision reads: what the store knows that
// matters to it. LoadSnapshot builds it inside a transaction; tests and
// benchmarks build it by hand. Deciding never changes it.
type Snapshot struct {
	Now time.Time
	// BillTo is the reseller owning the bill-to site, nil when no reseller of
	// the calling client has it. ShipTo owns the ship-to site.
	BillTo     *domain.Customer
	ShipTo     *domain.Customer
	PriceList  *domain.PriceList // the customer's list, else the country's; nil when none
	Parts      map[string]*domain.Part
	Models     map[string]*domain.Model // keyed by ModelKey(name)
	Devices    map[string]*domain.Device
	Timelines  map[string]domain.Timeline
	Trials     map[string][]domain.TrialGrant
	InProgress map[string]bool
	// OwnSSOEmails is, by serial key, the latest valid SSO e-mail the calling
	// client's own orders gave for the serial: what the fallback of rule 8
	// reads before the store's device record. Another client's e-mails never
	// appear here.
	OwnSSOEmails map[string]string
	Promo        *domain.PromoCode
	Coupons      map[string]*domain.Coupon
}

// ModelKey is the key of Snapshot.Models: the model name in upper case. A
// "Manufacturer||Model" value keys by its model part.
func ModelKey(manufacturerModel string) string {
	_, m := domain.SplitModelKey(manufacturerModel)
	return strings.ToUpper(strings.TrimSpace(m))
}

// Decide runs set's order and line rules over req against snap and returns
// the decision. It is pure: the same snapshot, request and set give the same
// decision. Nothing is compiled while deciding. The order's normalize to
// validate rules run first and see the lines as sent (order.lines, for
// any/all/count); then each line's rules run, in order, each line seeing the
// lines accepted before it as pending history of its serial; then the
// order's decide rules run and see the lines as derived.
func Decide(set *rules.Set, snap *Snapshot, req *domain.OrderRequest) domain.Decision {
	ev := evaluators.Get().(*evaluator)
	defer evaluators.Put(ev)
	return ev.decide(set, snap, req)
}

var evaluators = sync.Pool{New: func() any { return &evaluator{} }}

// evaluator holds the facts of one decision, reused across decisions so
// allocations stay flat in the number of lines.
type evaluator struct {
	order   OrderFacts
	orderEv OrderEnv
	lineEv  LineEnv
	lines   []LineFacts
	// parts and models are the facts of the parts and models the order's
	// lines name, each made once per decision and shared by the lines
	// naming it (rules never write them); noPart and noModel stand for none.
	parts   []PartFacts
	models  []ModelFacts
	noPart  PartFacts
	noModel ModelFacts
	serials []*SerialFacts
	nSerial int
	same    []int // shareDerived's scratch
	firsts  []int
}

func (ev *evaluator) decide(set *rules.Set, snap *Snapshot, req *domain.OrderRequest) domain.Decision {
	n := len(req.Lines)
	run := set.Begin(2 + n) // the order before the lines, each line, the order after
	d := run.Decision()
	d.Lines = make([]domain.LineOutcome, n)

	today := domain.Today(snap.Now, domain.Pacific)
	todayUTC := domain.Today(snap.Now, domain.UTC)
	if cap(ev.lines) < n {
		ev.lines = make([]LineFacts, n)
	}
	ev.lines = ev.lines[:n]
	for i := range req.Lines {
		ev.fillLine(&ev.lines[i], i, &req.Lines[i], snap)
	}
	ev.fillOrder(snap, req)
	ev.orderEv = OrderEnv{Order: &ev.order, Today: today, TodayUTC: todayUTC}
	orderScope.Eval(run, &ev.orderEv, rules.Normalize, rules.Validate, -1)

	ev.nSerial = 0
	ev.parts, ev.models = ev.parts[:0], ev.models[:0]
	for i := range req.Lines {
		lf := &ev.lines[i]
		pf, mf := ev.catalog(lf, &req.Lines[i], snap)
		sf := ev.serialFacts(snap, lf.SerialNumber)
		// Field by field: the memo is kept from line to line (its answers
		// are keyed by their argument), not cleared.
		le := &ev.lineEv
		le.Order, le.Line, le.Part, le.Model, le.Serial, le.Today, le.TodayUTC = &ev.order, lf, pf, mf, sf, today, todayUTC
		lineScope.Eval(run, &ev.lineEv, rules.Normalize, rules.Decide, i)
		lf.derived = append(lf.derived, run.Derived()...)
		setOutcome(&d.Lines[i], lf, pf)
		if !run.Denied() && lf.part != nil {
			sf.addPending(lf, lf.part, snap.Now)
		}
	}

	ev.shareDerived(d)
	orderScope.Eval(run, &ev.orderEv, rules.Decide, rules.Decide, -1)
	d.ActivationCountry = ev.order.ActivationCountry
	return run.Finish()
}

func (ev *evaluator) fillOrder(snap *Snapshot, req *domain.OrderRequest) {
	o := &ev.order
	nums := o.LineNumbers[:0]
	for i := range req.Lines {
		nums = append(nums, req.Lines[i].LineNumber)
	}
	*o = OrderFacts{
		LineCount: len(req.Lines), LineNumbers: nums,
		CustomerPONumber: req.CustomerPONumber, CustomerOrderRef: req.CustomerOrderRef,
		CurrencyCode: req.CurrencyCode, PromoCode: req.PromoCode,
		BillToSiteUseID: int(req.BillToSiteUseID), ShipToSiteUseID: int(req.ShipToSiteUseID),
		BillToContactEmail: req.BillToContactEmail, ShipToContactEmail: req.ShipToContactEmail,
		ActivationCountry: req.ActivationCountry,
	}
	if c := snap.BillTo; c != nil {
		if site, ok := c.Site(req.BillToSiteUseID, domain.BillTo); ok {
			o.BillToFound, o.BillToAutoRenew = true, site.AutoRenewFlag
			o.CustomerName, o.CreditHold = c.Name, c.CreditHold
		}
	}
	if c := snap.ShipTo; c != nil {
		if site, ok := c.Site(req.ShipToSiteUseID, domain.ShipTo); ok {
			o.ShipToFound, o.ShipToCountry = true, site.Country
		}
	}
	o.Lines = ev.lines
	if pl := snap.PriceList; pl != nil {
		o.PriceListFound, o.PriceListCurrency, o.priceList = true, string(pl.Currency), pl
	}
	if p := snap.Promo; p != nil && strings.EqualFold(p.Code, req.PromoCode) {
		o.PromoFound = true
		o.PromoValid = p.ValidOn(domain.Today(snap.Now, domain.Pacific))
	}
}

func (ev *evaluator) fillLine(lf *LineFacts, i int, lr *domain.LineRequest, snap *Snapshot) {
	autoRenew, _ := domain.ParseYN(lr.AutoRenewal)
	// Field by field, every field (TestFillLineSetsEveryField), rather than
	// a struct literal copied in one piece.
	lf.Index, lf.LineNumber = i, lr.LineNumber
	lf.RequestedStartDate, lf.ServiceStartDate, lf.ServiceEndDate = lr.ServiceStartDate, lr.ServiceStartDate, domain.Date{}
	lf.PartNumber, lf.SerialNumber, lf.ServiceType = lr.PartNumber, lr.SerialNumber, lr.ServiceType
	lf.ManufacturerModel, lf.AutoRenewalFlag, lf.AutoRenewal = lr.ManufacturerModel, lr.AutoRenewal, autoRenew
	lf.GeoFenceRegion, lf.ActivationType, lf.ActivationDate = lr.GeoFenceRegion, lr.ActivationType, lr.ActivationDate
	lf.CouponNumber, lf.SSOUserEmail, lf.SimIncludedFlag = lr.CouponNumber, lr.SSOUserEmailAddress, lr.SimIncludedFlag
	lf.SimNumber, lf.DeviceKey, lf.CarrierName = lr.SimNumber, lr.DeviceKey, lr.CarrierName
	lf.Kind, lf.ProductLine, lf.CouponFound = "", "", false
	lf.derived, lf.part = lf.derived[:0], nil
	if p := snap.Parts[lr.PartNumber]; p != nil {
		lf.part = p
		lf.Kind, lf.ProductLine = string(p.Kind()), string(p.ProductLine)
		if c := snap.Coupons[lr.CouponNumber]; c != nil && lr.CouponNumber != "" {
			lf.CouponFound = !c.Redeemed && c.PartNumber == p.Number
		}
	}
}

// catalog returns the part and model facts of line lr, whose part fillLine
// looked up: made at the first line naming that part (model), shared by the
// next ones.
func (ev *evaluator) catalog(lf *LineFacts, lr *domain.LineRequest, snap *Snapshot) (*PartFacts, *ModelFacts) {
	pf, mf := &ev.noPart, &ev.noModel
	if p := lf.part; p != nil {
		pf = nil
		for k := range ev.parts {
			if ev.parts[k].part == p {
				pf = &ev.parts[k]
				break
			}
		}
		if pf == nil {
			ev.parts = append(ev.parts, PartFacts{
				Found: true, PartNumber: p.Number, Description: p.Description,
				ServiceType: string(p.ServiceType), ProductLine: string(p.ProductLine),
				DurationValue: p.Duration.N, DurationUnit: string(p.Duration.Unit),
				Trial: p.Trial, Bundle: p.Bundle, Redemption: p.Redemption,
				InPriceList: snap.PriceList != nil && snap.PriceList.Holds(p.Number),
				Regions:     p.Regions, part: p,
			})
			pf = &ev.parts[len(ev.parts)-1]
		}
	}
	if lr.ManufacturerModel != "" {
		if m := snap.Models[ModelKey(lr.ManufacturerModel)]; m != nil {
			mf = nil
			for k := range ev.models {
				if ev.models[k].model == m {
					mf = &ev.models[k]
					break
				}
			}
			if mf == nil {
				ev.models = append(ev.models, ModelFacts{Found: true, Manufacturer: m.Manufacturer, Model: m.Name, Agriculture: m.Agriculture, model: m})
				mf = &ev.models[len(ev.models)-1]
			}
		}
	}
	return pf, mf
}

// serialFacts returns the facts of serial, shared by every line of the order
// that names the same device.
func (ev *evaluator) serialFacts(snap *Snapshot, serial string) *SerialFacts {
	key := domain.SerialKey(serial)
	for _, sf := range ev.serials[:ev.nSerial] {
		if sf.key == key {
			sf.merge()
			return sf
		}
	}
	if ev.nSerial == len(ev.serials) {
		ev.serials = append(ev.serials, &SerialFacts{})
	}
	sf := ev.serials[ev.nSerial]
	ev.nSerial++
	// Field by field, not a struct literal: the buffers (views, own,
	// pending) are kept, and the remembered answers are only marked stale.
	sf.key, sf.OrderInProgress = key, snap.InProgress[key]
	sf.snap, sf.trials, sf.trialsRead = snap, nil, false // the ledger is read when a rule asks
	sf.owned, sf.pending = false, sf.pending[:0]
	// The device is read when a rule asks (readDevice); the timeline is
	// never written: addPending copies it first.
	sf.Known, sf.StoredSerial, sf.LatestSSOEmail, sf.deviceRead = false, "", "", false
	sf.setTimeline(snap.Timelines[key])
	return sf
}

// addPending records an accepted line so later lines of the same order see
// it in the serial's timeline: a second trial of a line is refused, a second
// renewal starts after the first. It is merged (merge) only when a later
// line names the serial: an order naming each serial once copies nothing.
func (s *SerialFacts) addPending(lf *LineFacts, p *domain.Part, now time.Time) {
	if lf.ServiceStartDate.IsZero() || lf.ServiceEndDate.IsZero() {
		return
	}
	s.pending = append(s.pending, domain.Subscription{
		Serial: lf.SerialNumber, PartNumber: p.Number, ProductLine: p.ProductLine,
		Start: lf.ServiceStartDate, End: lf.ServiceEndDate, Kind: p.Kind(), AutoRenew: lf.AutoRenewal,
	})
	if p.Trial {
		tr := s.ledger()
		s.trials = append(tr[:len(tr):len(tr)], domain.TrialGrant{SerialKey: s.key, ProductLine: p.ProductLine, PartNumber: p.Number, GrantedAt: now})
	}
}

// merge adds the pending lines to the timeline rules read.
func (s *SerialFacts) merge() {
	if len(s.pending) == 0 {
		return
	}
	if !s.owned {
		// The first merge copies the snapshot's timeline into a buffer this
		// SerialFacts owns and reuses across decisions.
		s.own = append(s.own[:0], s.timeline...)
		s.owned = true
	}
	s.own = append(s.own, s.pending...)
	s.pending = s.pending[:0]
	s.setTimeline(s.own)
}

// setOutcome fills o, a line's outcome just allocated (zero), from the
// line's facts; field by field, what the decision returns is written once.
func setOutcome(o *domain.LineOutcome, lf *LineFacts, pf *PartFacts) {
	o.LineNumber, o.SerialNumber, o.PartNumber = lf.LineNumber, lf.SerialNumber, lf.PartNumber
	o.ProductLine, o.Kind = domain.ProductLine(pf.ProductLine), domain.SubscriptionKind(lf.Kind)
	o.ServiceStartDate, o.ServiceEndDate, o.AutoRenewal = lf.ServiceStartDate, lf.ServiceEndDate, lf.AutoRenewal
	o.ActivationType, o.ActivationDate = domain.ActivationType(strings.ToUpper(lf.ActivationType)), lf.ActivationDate
	o.SSOUserEmailAddress, o.SimIncludedFlag, o.CarrierName = lf.SSOUserEmail, lf.SimIncludedFlag, lf.CarrierName
}

// shareDerived gives each line's outcome its derived labels, copied into one
// array for the whole decision; lines whose labels are the same (the same
// rules derived the same fields) share one copy. Each list is capped, so an
// append to one never writes into another.
func (ev *evaluator) shareDerived(d *domain.Decision) {
	// same[i] is the first line with line i's labels; only the firsts are
	// copied. Lines are compared with the firsts only, a few lists.
	same, firsts, total := ev.same[:0], ev.firsts[:0], 0
	for i := range ev.lines {
		labels := ev.lines[i].derived
		first := i
		for _, j := range firsts {
			if slices.Equal(ev.lines[j].derived, labels) {
				first = j
				break
			}
		}
		if first == i && len(labels) > 0 {
			firsts = append(firsts, i)
			total += len(labels)
		}
		same = append(same, first)
	}
	ev.same, ev.firsts = same, firsts
	if total == 0 {
		return
	}
	all := make([]string, 0, total)
	for i := range ev.lines {
		n := len(ev.lines[i].derived)
		switch {
		case n == 0:
		case same[i] < i:
			d.Lines[i].Derived = d.Lines[same[i]].Derived
		default:
			all = append(all, ev.lines[i].derived...)
			d.Lines[i].Derived = all[len(all)-n : len(all) : len(all)]
		}
	}
}
