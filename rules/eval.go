package rules

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/expr-lang/expr/vm"

	"github.com/entitle-rules/entitle/domain"
)

// Snapshot is the state one order decision reads: what the store knows that
// matters to it. The engine builds it inside a transaction; tests and
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
	Promo      *domain.PromoCode
	Coupons    map[string]*domain.Coupon
}

// ModelKey is the key of Snapshot.Models: the model name in upper case. A
// "Manufacturer||Model" value keys by its model part.
func ModelKey(manufacturerModel string) string {
	_, m := domain.SplitModelKey(manufacturerModel)
	return strings.ToUpper(strings.TrimSpace(m))
}

// Decide runs the set's rules over req against snap and returns the decision.
// It is pure: the same snapshot, request and set give the same decision.
// Nothing is compiled while deciding.
func (s *Set) Decide(snap *Snapshot, req *domain.OrderRequest) domain.Decision {
	ev := evaluators.Get().(*evaluator)
	defer evaluators.Put(ev)
	return ev.decide(s, snap, req)
}

var evaluators = sync.Pool{New: func() any { return &evaluator{} }}

// evaluator holds the scratch space of one decision, reused across decisions
// so allocations stay flat in the number of lines.
type evaluator struct {
	vm      vm.VM
	set     *Set
	order   OrderFacts
	orderEv OrderEnv
	lineEv  LineEnv
	lines   []LineFacts
	part    PartFacts
	model   ModelFacts
	serials []*SerialFacts
	nSerial int
	d       *domain.Decision
	lineBad bool
}

func (ev *evaluator) decide(set *Set, snap *Snapshot, req *domain.OrderRequest) domain.Decision {
	n := len(req.Lines)
	d := domain.Decision{RulesetHash: set.hash}
	d.Trace.Rules = set.ruleIDs
	d.Trace.Steps = make([]domain.TraceStep, 0, len(set.rules)*(n+1))
	d.Lines = make([]domain.LineOutcome, n)
	ev.set, ev.d = set, &d

	today := domain.Today(snap.Now, domain.Pacific)
	todayUTC := domain.Today(snap.Now, domain.UTC)
	ev.fillOrder(snap, req)
	ev.orderEv = OrderEnv{Order: &ev.order, Today: today, TodayUTC: todayUTC}
	for ph := Normalize; ph < Decide; ph++ {
		for _, r := range set.byPhase[ScopeOrder][ph] {
			ev.run(r, &ev.orderEv, unsafe.Pointer(&ev.orderEv), -1)
		}
	}

	if cap(ev.lines) < n {
		ev.lines = make([]LineFacts, n)
	}
	ev.lines = ev.lines[:n]
	ev.nSerial = 0
	for i := range req.Lines {
		lf := &ev.lines[i]
		ev.fillLine(lf, i, &req.Lines[i], snap)
		sf := ev.serialFacts(snap, lf.SerialNumber)
		ev.lineEv = LineEnv{Order: &ev.order, Line: lf, Part: &ev.part, Model: &ev.model, Serial: sf, Today: today, TodayUTC: todayUTC}
		ev.lineBad = false
		for ph := Normalize; ph < numPhases; ph++ {
			for _, r := range set.byPhase[ScopeLine][ph] {
				ev.run(r, &ev.lineEv, unsafe.Pointer(&ev.lineEv), i)
			}
		}
		d.Lines[i] = outcome(lf, &ev.part)
		if !ev.lineBad && ev.part.part != nil {
			sf.addPending(lf, ev.part.part, snap.Now)
		}
	}

	for _, r := range set.byPhase[ScopeOrder][Decide] {
		ev.run(r, &ev.orderEv, unsafe.Pointer(&ev.orderEv), -1)
	}
	d.Allowed = len(d.Violations) == 0
	d.ActivationCountry = ev.order.ActivationCountry
	ev.set, ev.d = nil, nil
	return d
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
	if pl := snap.PriceList; pl != nil {
		o.PriceListFound, o.PriceListCurrency, o.priceList = true, string(pl.Currency), pl
	}
	if p := snap.Promo; p != nil && strings.EqualFold(p.Code, req.PromoCode) {
		o.PromoFound = true
		o.PromoValid = p.ValidOn(domain.Today(snap.Now, domain.Pacific))
	}
}

func (ev *evaluator) fillLine(lf *LineFacts, i int, lr *domain.LineRequest, snap *Snapshot) {
	derived := lf.derived[:0]
	autoRenew, _ := domain.ParseYN(lr.AutoRenewal)
	*lf = LineFacts{
		Index: i, LineNumber: lr.LineNumber,
		RequestedStartDate: lr.ServiceStartDate, ServiceStartDate: lr.ServiceStartDate,
		PartNumber: lr.PartNumber, SerialNumber: lr.SerialNumber, ServiceType: lr.ServiceType,
		ManufacturerModel: lr.ManufacturerModel, AutoRenewalFlag: lr.AutoRenewal, AutoRenewal: autoRenew,
		GeoFenceRegion: lr.GeoFenceRegion, ActivationType: lr.ActivationType, ActivationDate: lr.ActivationDate,
		CouponNumber: lr.CouponNumber, SSOUserEmail: lr.SSOUserEmailAddress, SimIncludedFlag: lr.SimIncludedFlag,
		SimNumber: lr.SimNumber, DeviceKey: lr.DeviceKey, CarrierName: lr.CarrierName,
		derived: derived,
	}
	ev.part = PartFacts{}
	if p := snap.Parts[lr.PartNumber]; p != nil {
		ev.part = PartFacts{
			Found: true, PartNumber: p.Number, Description: p.Description,
			ServiceType: string(p.ServiceType), ProductLine: string(p.ProductLine),
			DurationValue: p.Duration.N, DurationUnit: string(p.Duration.Unit),
			Trial: p.Trial, Bundle: p.Bundle, Redemption: p.Redemption,
			InPriceList: snap.PriceList != nil && snap.PriceList.Holds(p.Number),
			Regions:     p.Regions, part: p,
		}
		lf.Kind, lf.ProductLine = string(p.Kind()), string(p.ProductLine)
		if c := snap.Coupons[lr.CouponNumber]; c != nil && lr.CouponNumber != "" {
			lf.CouponFound = !c.Redeemed && c.PartNumber == p.Number
		}
	}
	ev.model = ModelFacts{}
	if lr.ManufacturerModel != "" {
		if m := snap.Models[ModelKey(lr.ManufacturerModel)]; m != nil {
			ev.model = ModelFacts{Found: true, Manufacturer: m.Manufacturer, Model: m.Name, Agriculture: m.Agriculture, model: m}
		}
	}
}

// serialFacts returns the facts of serial, shared by every line of the order
// that names the same device.
func (ev *evaluator) serialFacts(snap *Snapshot, serial string) *SerialFacts {
	key := domain.SerialKey(serial)
	for _, sf := range ev.serials[:ev.nSerial] {
		if sf.key == key {
			return sf
		}
	}
	if ev.nSerial == len(ev.serials) {
		ev.serials = append(ev.serials, &SerialFacts{})
	}
	sf := ev.serials[ev.nSerial]
	ev.nSerial++
	views, own := sf.views, sf.own
	*sf = SerialFacts{key: key, trials: snap.Trials[key], OrderInProgress: snap.InProgress[key], views: views, own: own}
	if dev := snap.Devices[key]; dev != nil {
		sf.Known, sf.StoredSerial, sf.LatestSSOEmail = true, dev.Serial, dev.LatestValidSSOEmail()
	}
	sf.setTimeline(snap.Timelines[key]) // never written: addPending copies it first
	return sf
}

// addPending adds an accepted line to the serial's timeline so later lines of
// the same order see it: a second trial of a line is refused, a second renewal
// starts after the first.
func (s *SerialFacts) addPending(lf *LineFacts, p *domain.Part, now time.Time) {
	if lf.ServiceStartDate.IsZero() || lf.ServiceEndDate.IsZero() {
		return
	}
	sub := domain.Subscription{
		Serial: lf.SerialNumber, PartNumber: p.Number, ProductLine: p.ProductLine,
		Start: lf.ServiceStartDate, End: lf.ServiceEndDate, Kind: p.Kind(), AutoRenew: lf.AutoRenewal,
	}
	if !s.owned {
		// The first pending line copies the snapshot's timeline into a
		// buffer this SerialFacts owns and reuses across decisions.
		s.own = append(s.own[:0], s.timeline...)
		s.owned = true
	}
	s.own = append(s.own, sub)
	s.setTimeline(s.own)
	if p.Trial {
		s.trials = append(s.trials[:len(s.trials):len(s.trials)], domain.TrialGrant{SerialKey: s.key, ProductLine: p.ProductLine, PartNumber: p.Number, GrantedAt: now})
	}
}

func outcome(lf *LineFacts, pf *PartFacts) domain.LineOutcome {
	return domain.LineOutcome{
		LineNumber: lf.LineNumber, SerialNumber: lf.SerialNumber, PartNumber: lf.PartNumber,
		ProductLine: domain.ProductLine(pf.ProductLine), Kind: domain.SubscriptionKind(lf.Kind),
		ServiceStartDate: lf.ServiceStartDate, ServiceEndDate: lf.ServiceEndDate, AutoRenewal: lf.AutoRenewal,
		ActivationType: domain.ActivationType(strings.ToUpper(lf.ActivationType)), ActivationDate: lf.ActivationDate,
		SSOUserEmailAddress: lf.SSOUserEmail, SimIncludedFlag: lf.SimIncludedFlag, CarrierName: lf.CarrierName,
		Derived: append([]string(nil), lf.derived...),
	}
}

// run evaluates one rule and applies its effect when it fires. A rule that
// fails at run time (a nil subscription dereferenced, say) refuses the
// request: entitle fails closed.
func (ev *evaluator) run(r *Rule, env any, envPtr unsafe.Pointer, line int) {
	fired, err := ev.evalBool(r.when, env, envPtr)
	ev.d.Trace.Steps = append(ev.d.Trace.Steps, domain.TraceStep{Rule: r.index, Line: int16(line), Fired: fired && err == nil})
	if err != nil {
		ev.violate(r, line, "RULE_ERROR", "", fmt.Sprintf("rule %s could not be evaluated: %v", r.ID, err))
		return
	}
	if !fired {
		return
	}
	switch {
	case r.deny != nil:
		field := ""
		if r.deny.field != nil {
			field = ev.render(r.deny.field, env, envPtr)
		}
		ev.violate(r, line, r.deny.code, field, ev.render(r.deny.message, env, envPtr))
	case r.hold != nil:
		if ev.d.Hold == nil {
			ev.d.Hold = &domain.Hold{RuleID: r.ID, Reason: ev.render(r.hold, env, envPtr)}
		}
	default:
		for _, s := range r.sets {
			if err := ev.assign(s.target.field(ev.lineEv.Line, &ev.order), s.value, env, envPtr); err != nil {
				ev.violate(r, line, "RULE_ERROR", s.target.name, fmt.Sprintf("rule %s could not derive %s: %v", r.ID, s.target.name, err))
				continue
			}
			if s.target.scope == ScopeLine {
				lf := ev.lineEv.Line
				lf.derived = append(lf.derived, s.label)
			}
		}
	}
}

// assign evaluates p into the field dst points to, through the typed closure
// when p was lowered, so no value is boxed.
func (ev *evaluator) assign(dst any, p *program, env any, envPtr unsafe.Pointer) (err error) {
	defer recoverNil(&err)
	switch d := dst.(type) {
	case *domain.Date:
		if p.fast.d != nil {
			*d = p.fast.d(envPtr)
			return nil
		}
	case *string:
		if p.fast.s != nil {
			*d = p.fast.s(envPtr)
			return nil
		}
	case *bool:
		if p.fast.b != nil {
			*d = p.fast.b(envPtr)
			return nil
		}
	}
	v, err := ev.vm.Run(p.prog, env)
	if err != nil {
		return err
	}
	switch d := dst.(type) {
	case *domain.Date:
		*d, _ = v.(domain.Date)
	case *string:
		*d, _ = v.(string)
	case *bool:
		*d, _ = v.(bool)
	}
	return nil
}

// recoverNil turns a lowered closure's read of a nil subscription into the
// error the VM would have returned.
func recoverNil(err *error) {
	if r := recover(); r != nil {
		e, ok := r.(errNilMember)
		if !ok {
			panic(r)
		}
		*err = e
	}
}

func (ev *evaluator) violate(r *Rule, line int, code, field, msg string) {
	if line >= 0 {
		field = domain.JoinField("lines["+strconv.Itoa(line)+"]", field)
		ev.lineBad = true
	}
	ev.d.Violations = append(ev.d.Violations, domain.Violation{RuleID: r.ID, Code: code, Field: field, Message: msg})
}

func (ev *evaluator) evalBool(p *program, env any, envPtr unsafe.Pointer) (b bool, err error) {
	if p.fast.b != nil {
		if p.fast.safe {
			return p.fast.b(envPtr), nil
		}
		defer recoverNil(&err)
		return p.fast.b(envPtr), nil
	}
	v, err := ev.vm.Run(p.prog, env)
	if err != nil {
		return false, err
	}
	b, _ = v.(bool)
	return b, nil
}

func (ev *evaluator) eval(p *program, env any, envPtr unsafe.Pointer) (v any, err error) {
	if p.fast.anyv != nil {
		defer recoverNil(&err)
		return p.fast.anyv(envPtr), nil
	}
	return ev.vm.Run(p.prog, env)
}

func (ev *evaluator) render(t *template, env any, envPtr unsafe.Pointer) string {
	if len(t.holes) == 0 {
		return t.lits[0]
	}
	var b strings.Builder
	for i, h := range t.holes {
		b.WriteString(t.lits[i])
		v, err := ev.eval(h, env, envPtr)
		if err != nil {
			fmt.Fprintf(&b, "<%v>", err)
			continue
		}
		writeValue(&b, v)
	}
	b.WriteString(t.lits[len(t.lits)-1])
	return b.String()
}

func writeValue(b *strings.Builder, v any) {
	switch x := v.(type) {
	case string:
		b.WriteString(x)
	case []string:
		b.WriteString(strings.Join(x, ", "))
	case []int:
		for i, n := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Itoa(n))
		}
	case []any:
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeValue(b, e)
		}
	case nil:
	default:
		fmt.Fprint(b, x)
	}
}
