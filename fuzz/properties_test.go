package fuzz_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/fuzz"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/dataset"
	"github.com/entitle-rules/entitle/rules/orders"
	"github.com/entitle-rules/entitle/rulesets"
)

// rulesetDir lets a rule author check these properties against an edited
// copy of the rule files: go test ./fuzz -args -rulesets=DIR.
var rulesetDir = flag.String("rulesets", "", "check the properties against the *.yaml rule files in `dir` instead of the shipped ones")

var loadRules = sync.OnceValues(func() (*rules.Set, error) {
	if *rulesetDir != "" {
		return orders.Language().Load(os.DirFS(*rulesetDir))
	}
	return orders.Language().Load(rulesets.FS)
})

// ruleSet returns the rules under test, loaded once.
func ruleSet(tb testing.TB) *rules.Set {
	tb.Helper()
	set, err := loadRules()
	if err != nil {
		tb.Fatal(err)
	}
	return set
}

func lineField(i int, field string) string {
	return domain.JoinField("lines["+strconv.Itoa(i)+"]", field)
}

// refused reports whether a violation names line i or one of its fields.
func refused(d *domain.Decision, i int) bool {
	prefix := lineField(i, "")
	for _, v := range d.Violations {
		if v.Field == prefix || strings.HasPrefix(v.Field, prefix+".") {
			return true
		}
	}
	return false
}

func hasViolation(d *domain.Decision, code, field string) bool {
	for _, v := range d.Violations {
		if v.Code == code && v.Field == field {
			return true
		}
	}
	return false
}

// decide decides s with set against its world written into a new memory
// store, as CreateOrder reads a store.
func decide(tb fataler, s *fuzz.Scenario, set *rules.Set) domain.Decision {
	d, err := s.Decide(context.Background(), set, memory.New())
	if err != nil {
		fatal(tb, err)
	}
	return d
}

// decideWorld decides req by client at now with set against w written into
// a new memory store.
func decideWorld(tb fataler, w *dataset.World, now time.Time, client string, req *domain.OrderRequest, set *rules.Set) domain.Decision {
	snap, err := fuzz.WorldSnapshot(context.Background(), memory.New(), w, now, client, req)
	if err != nil {
		fatal(tb, err)
	}
	return orders.Decide(set, snap, req)
}

// fataler is a *testing.T or a *rapid.T.
type fataler interface{ Fatal(args ...any) }

// fatal stops a test; a nil tb (a helper called without one) panics, which
// rapid reports as the failure of the property being checked.
func fatal(tb fataler, err error) {
	if tb == nil {
		panic(err)
	}
	tb.Fatal(err)
}

func partOf(w *dataset.World, number string) *domain.Part {
	for i := range w.Parts {
		if w.Parts[i].Number == number {
			return &w.Parts[i]
		}
	}
	return nil
}

// store follows what the store knows of each serial while an order's lines
// are decided one after the other: its history, then each accepted line.
type store struct {
	timelines map[string]domain.Timeline
	trials    map[string][]domain.ProductLine
}

func newStore(w *dataset.World) *store {
	st := &store{timelines: map[string]domain.Timeline{}, trials: map[string][]domain.ProductLine{}}
	for _, s := range w.Subscriptions {
		k := domain.SerialKey(s.Serial)
		st.timelines[k] = append(st.timelines[k], s)
	}
	for _, g := range w.Trials {
		k := domain.SerialKey(g.SerialKey)
		st.trials[k] = append(st.trials[k], g.ProductLine)
	}
	return st
}

// subscription is the subscription an accepted line creates.
func subscription(l domain.LineOutcome, p *domain.Part) domain.Subscription {
	return domain.Subscription{
		ID: "line-" + strconv.Itoa(l.LineNumber), Serial: l.SerialNumber, PartNumber: l.PartNumber, ProductLine: p.ProductLine,
		Start: l.ServiceStartDate, End: l.ServiceEndDate, Kind: p.Kind(), AutoRenew: l.AutoRenewal,
	}
}

func (st *store) add(l domain.LineOutcome, p *domain.Part) {
	k := domain.SerialKey(l.SerialNumber)
	st.timelines[k] = append(st.timelines[k], subscription(l, p))
	if p.Trial {
		st.trials[k] = append(st.trials[k], p.ProductLine)
	}
}

func (st *store) hadTrial(serial string, pl domain.ProductLine) bool {
	k := domain.SerialKey(serial)
	return slices.Contains(st.trials[k], pl) || st.timelines[k].HadKind(pl, domain.Trial)
}

// explain prints a scenario and its decision for a failure message.
func explain(s *fuzz.Scenario, d *domain.Decision) string {
	var b strings.Builder
	fmt.Fprintf(&b, "now %s, today(PT) %s, client %s\n", s.Now.Format("2006-01-02T15:04:05Z07:00"), s.Today(), s.ClientID)
	for _, dev := range s.Devices {
		fmt.Fprintf(&b, "serial %s (%s):", dev.Device.Serial, dev.Device.ServiceType)
		for _, sub := range dev.Subscriptions {
			fmt.Fprintf(&b, " [%s %s %s %s%s]", sub.ProductLine, sub.Kind, sub.PartNumber, sub.Period(), sub.Ended)
		}
		for _, g := range dev.Trials {
			fmt.Fprintf(&b, " ledger:%s", g.ProductLine)
		}
		b.WriteByte('\n')
	}
	for i, l := range s.Order.Lines {
		fmt.Fprintf(&b, "line[%d] #%d %s %s serial %s start %s", i, l.LineNumber, l.ServiceType, l.PartNumber, l.SerialNumber, l.ServiceStartDate)
		if p := partOf(s.World, l.PartNumber); p != nil {
			fmt.Fprintf(&b, " (%s %s %s)", p.ProductLine, p.Kind(), p.Duration)
		}
		if i < len(d.Lines) {
			fmt.Fprintf(&b, " -> %s..%s", d.Lines[i].ServiceStartDate, d.Lines[i].ServiceEndDate)
		}
		b.WriteByte('\n')
	}
	for _, v := range d.Violations {
		fmt.Fprintf(&b, "violation %s: %s\n", v.RuleID, v)
	}
	return b.String()
}

// A serviceStartDate later than today(PT) + 3 days is refused with
// START_DATE_TOO_LATE on that line's serviceStartDate, and one within the
// window never is, whatever the instant (DST changes and Pacific midnight
// included) and whatever the rules would derive for the line.
func TestPropertyLateStartIsRefused(t *testing.T) {
	set := ruleSet(t)
	rapid.Check(t, func(t *rapid.T) {
		s := fuzz.Options{LateStart: rapid.IntRange(0, 3).Draw(t, "late") > 0}.World().Draw(t, "scenario")
		d := decide(t, &s, set)
		limit := domain.Today(s.Now, domain.Pacific).AddDays(3)
		for i, l := range s.Order.Lines {
			late := l.ServiceStartDate.After(limit)
			if got := hasViolation(&d, "START_DATE_TOO_LATE", lineField(i, "serviceStartDate")); got != late {
				t.Fatalf("line %d starts %s, today(PT)+3 is %s: START_DATE_TOO_LATE on %s is %v, want %v\n%s",
					i, l.ServiceStartDate, limit, lineField(i, "serviceStartDate"), got, late, explain(&s, &d))
			}
		}
		if s.LateLine >= 0 && d.Allowed {
			t.Fatalf("line %d starts late, yet the order is allowed\n%s", s.LateLine, explain(&s, &d))
		}
	})
}

// An accepted line of a product line the serial has live today starts the
// day after the last subscription of the chain active today (queued renewals
// and earlier lines of the order included), and, with nothing queued, the
// day after the active subscription ends.
func TestPropertyRenewalStartsAfterChain(t *testing.T) {
	set := ruleSet(t)
	renewals, queued := 0, 0
	rapid.Check(t, func(t *rapid.T) {
		s := fuzz.World().Draw(t, "scenario")
		d := decide(t, &s, set)
		today := s.Today()
		st := newStore(s.World)
		for i, out := range d.Lines {
			p := partOf(s.World, out.PartNumber)
			if refused(&d, i) || p == nil {
				continue
			}
			tl := st.timelines[domain.SerialKey(out.SerialNumber)]
			if active := tl.ActiveOn(p.ProductLine, today); active != nil {
				renewals++
				chain := tl.ChainEnd(p.ProductLine, today)
				if want := chain.End.AddDays(1); out.ServiceStartDate != want {
					t.Fatalf("line %d renews %s of %s: starts %s, want %s, the day after the chain ends (%s %s)\n%s",
						i, p.ProductLine, out.SerialNumber, out.ServiceStartDate, want, chain.PartNumber, chain.Period(), explain(&s, &d))
				}
				if chain == active {
					if want := active.End.AddDays(1); out.ServiceStartDate != want {
						t.Fatalf("line %d renews %s of %s with nothing queued: starts %s, want %s\n%s",
							i, p.ProductLine, out.SerialNumber, out.ServiceStartDate, want, explain(&s, &d))
					}
				} else {
					queued++
				}
			}
			st.add(out, p)
		}
	})
	t.Logf("renewals checked: %d (%d after a queued renewal)", renewals, queued)
	if renewals == 0 || queued == 0 {
		t.Errorf("the scenarios exercised %d renewals, %d of them after a queued one; the property needs both", renewals, queued)
	}
}

// A trial of a product line the serial already had a trial of (in its
// history in any status, in the trial ledger, or on an accepted earlier line
// of the same order) is refused with TRIAL_ALREADY_USED on its partNumber.
func TestPropertySecondTrialIsRefused(t *testing.T) {
	set := ruleSet(t)
	var seen [3]int // history, ledger only, same order
	rapid.Check(t, func(t *rapid.T) {
		s := fuzz.Options{SecondTrial: rapid.IntRange(0, 3).Draw(t, "second trial") > 0}.World().Draw(t, "scenario")
		d := decide(t, &s, set)
		st := newStore(s.World)
		inHistory := newStore(s.World)
		var seconds []int
		for i, out := range d.Lines {
			p := partOf(s.World, out.PartNumber)
			if p == nil {
				continue
			}
			if p.Trial && st.hadTrial(out.SerialNumber, p.ProductLine) {
				seconds = append(seconds, i)
				if !hasViolation(&d, "TRIAL_ALREADY_USED", lineField(i, "partNumber")) {
					t.Fatalf("line %d orders a second %s trial for %s: want TRIAL_ALREADY_USED on %s\n%s",
						i, p.ProductLine, out.SerialNumber, lineField(i, "partNumber"), explain(&s, &d))
				}
				k := domain.SerialKey(out.SerialNumber)
				switch {
				case inHistory.timelines[k].HadKind(p.ProductLine, domain.Trial):
					seen[0]++
				case inHistory.hadTrial(out.SerialNumber, p.ProductLine):
					seen[1]++
				default:
					seen[2]++
				}
			}
			if !refused(&d, i) {
				st.add(out, p)
			}
		}
		if s.TrialLine >= 0 && !slices.Contains(seconds, s.TrialLine) {
			t.Fatalf("the scenario's second trial is line %d, but replaying the order finds second trials on %v\n%s", s.TrialLine, seconds, explain(&s, &d))
		}
	})
	t.Logf("second trials checked: %d after a trial in the history, %d after a ledger entry only, %d after a line of the same order", seen[0], seen[1], seen[2])
	if seen[0] == 0 || seen[1] == 0 || seen[2] == 0 {
		t.Errorf("the scenarios did not exercise every kind of first trial: %v", seen)
	}
}

// unitRank orders duration units: N DAY <= N MONTH <= N YEAR for every N.
var unitRank = []domain.DurationUnit{domain.Days, domain.Months, domain.Years}

// longer draws a duration at least as long as d: a unit no smaller, N no smaller.
func longer(t *rapid.T, d domain.Duration) domain.Duration {
	t.Helper()
	u := rapid.SampledFrom(unitRank[slices.Index(unitRank, d.Unit):]).Draw(t, "longer unit")
	return domain.Duration{N: d.N + rapid.IntRange(0, 24).Draw(t, "more units"), Unit: u}
}

// withDuration decides s with line i ordering a copy of its part that lasts dur.
func withDuration(s *fuzz.Scenario, set *rules.Set, i int, dur domain.Duration) domain.LineOutcome {
	w := *s.World
	p := *partOf(s.World, s.Order.Lines[i].PartNumber)
	p.Number += "-" + strings.ReplaceAll(dur.String(), " ", "")
	p.Duration = dur
	w.Parts = append(slices.Clone(w.Parts), p)
	w.PriceLists = slices.Clone(w.PriceLists)
	for j := range w.PriceLists {
		w.PriceLists[j].Items = append(slices.Clone(w.PriceLists[j].Items), domain.PriceItem{PartNumber: p.Number})
	}
	req := s.Order
	req.Lines = slices.Clone(req.Lines)
	req.Lines[i].PartNumber = p.Number
	d := decideWorld(nil, &w, s.Now, s.ClientID, &req, set)
	if refused(&d, i) {
		return domain.LineOutcome{}
	}
	return d.Lines[i]
}

// Every accepted line ends on or after it starts, and for a fixed start the
// end date does not decrease as the part's duration grows, in N or in unit.
func TestPropertyEndDates(t *testing.T) {
	set := ruleSet(t)
	rapid.Check(t, func(t *rapid.T) {
		s := fuzz.World().Draw(t, "scenario")
		d := decide(t, &s, set)
		var accepted []int
		for i, l := range d.Lines {
			if refused(&d, i) {
				continue
			}
			accepted = append(accepted, i)
			if l.ServiceStartDate.IsZero() || l.ServiceEndDate.IsZero() || l.ServiceEndDate.Before(l.ServiceStartDate) {
				t.Fatalf("accepted line %d has period %s..%s\n%s", i, l.ServiceStartDate, l.ServiceEndDate, explain(&s, &d))
			}
		}
		if len(accepted) == 0 {
			t.Fatalf("no line accepted\n%s", explain(&s, &d))
		}
		i := rapid.SampledFrom(accepted).Draw(t, "line")
		short := fuzz.Duration().Draw(t, "duration")
		long := longer(t, short)
		a, b := withDuration(&s, set, i, short), withDuration(&s, set, i, long)
		if a.ServiceStartDate.IsZero() || b.ServiceStartDate.IsZero() {
			t.Fatalf("line %d is refused with a part of %s or %s, though accepted with its own part\n%s", i, short, long, explain(&s, &d))
		}
		if a.ServiceStartDate != b.ServiceStartDate {
			t.Fatalf("line %d starts %s with %s but %s with %s: the start depends on the duration\n%s",
				i, a.ServiceStartDate, short, b.ServiceStartDate, long, explain(&s, &d))
		}
		if b.ServiceEndDate.Before(a.ServiceEndDate) {
			t.Fatalf("line %d from %s: %s ends %s, but the longer %s ends %s\n%s",
				i, a.ServiceStartDate, short, a.ServiceEndDate, long, b.ServiceEndDate, explain(&s, &d))
		}
		for _, o := range []domain.LineOutcome{a, b} {
			if o.ServiceEndDate.Before(o.ServiceStartDate) {
				t.Fatalf("line %d ends %s before it starts %s", i, o.ServiceEndDate, o.ServiceStartDate)
			}
		}
	})
}

// nonLetters are the printable ASCII characters that are not letters.
var nonLetters = func() []byte {
	var out []byte
	for c := byte(' '); c <= '~'; c++ {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			out = append(out, c)
		}
	}
	return out
}()

// Serial matching ignores letter case and nothing else: it is symmetric, an
// ASCII serial matches its upper- and lower-case forms, and two serials that
// differ in a character that is not a letter never match.
func TestPropertySerialMatching(t *testing.T) {
	ascii := rapid.OneOf(fuzz.Serial(), rapid.StringMatching(`[ -~]{0,16}`))
	rapid.Check(t, func(t *rapid.T) {
		a := rapid.OneOf(ascii, rapid.String()).Draw(t, "a")
		var b string
		switch rapid.IntRange(0, 2).Draw(t, "b is") {
		case 0:
			b = rapid.OneOf(ascii, rapid.String()).Draw(t, "b")
		case 1:
			b = flipCase(t, a)
		default:
			b = strings.ToUpper(a)
		}
		if ab, ba := domain.SameSerial(a, b), domain.SameSerial(b, a); ab != ba {
			t.Fatalf("SameSerial(%q, %q) = %v, SameSerial(%q, %q) = %v", a, b, ab, b, a, ba)
		}

		s := ascii.Draw(t, "ascii serial")
		for _, v := range []string{strings.ToUpper(s), strings.ToLower(s), flipCase(t, s)} {
			if !domain.SameSerial(s, v) || !domain.SameSerial(v, s) {
				t.Fatalf("SameSerial(%q, %q) = false: they differ only in case", s, v)
			}
		}

		base := []byte(rapid.StringMatching(`[ -~]{1,16}`).Draw(t, "serial"))
		i := rapid.IntRange(0, len(base)-1).Draw(t, "position")
		c1 := rapid.SampledFrom(nonLetters).Draw(t, "character")
		c2 := rapid.SampledFrom(slices.DeleteFunc(slices.Clone(nonLetters), func(c byte) bool { return c == c1 })).Draw(t, "other character")
		base[i] = c1
		x := string(base)
		other := []byte(flipCase(t, x))
		other[i] = c2
		if y := string(other); domain.SameSerial(x, y) || domain.SameSerial(y, x) {
			t.Fatalf("SameSerial(%q, %q) = true, but they differ in %q against %q at %d", x, y, c1, c2, i)
		}
	})
}

// flipCase swaps the case of some ASCII letters of s.
func flipCase(t *rapid.T, s string) string {
	t.Helper()
	b := []byte(s)
	for i, c := range b {
		if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') && rapid.Bool().Draw(t, "flip") {
			b[i] = c ^ 0x20
		}
	}
	return string(b)
}

// Every decision is well formed, and the world with every accepted line's
// subscription and trial added still has no overlapping live subscriptions
// of one serial and product line and no trial granted twice.
func TestPropertyDecisionInvariants(t *testing.T) {
	set := ruleSet(t)
	rapid.Check(t, func(t *rapid.T) {
		o := fuzz.Options{
			LateStart:   rapid.IntRange(0, 3).Draw(t, "late") == 0,
			SecondTrial: rapid.IntRange(0, 3).Draw(t, "second trial") == 0,
			Overlapping: rapid.IntRange(0, 1).Draw(t, "overlapping") == 0,
		}
		s := o.World().Draw(t, "scenario")
		d := decide(t, &s, set)
		if err := fuzz.CheckDecision(d); err != nil {
			t.Fatalf("%v\n%s", err, explain(&s, &d))
		}
		subs := slices.Clone(s.World.Subscriptions)
		grants := slices.Clone(s.World.Trials)
		for i, out := range d.Lines {
			p := partOf(s.World, out.PartNumber)
			if refused(&d, i) || p == nil {
				continue
			}
			subs = append(subs, subscription(out, p))
			if p.Trial {
				grants = append(grants, domain.TrialGrant{SerialKey: domain.SerialKey(out.SerialNumber), ProductLine: p.ProductLine, PartNumber: p.Number})
			}
		}
		if err := fuzz.CheckTimeline(subs); err != nil {
			t.Fatalf("after the accepted lines: %v\n%s", err, explain(&s, &d))
		}
		if err := fuzz.CheckTrialOnce(grants); err != nil {
			t.Fatalf("after the accepted lines: %v\n%s", err, explain(&s, &d))
		}
	})
}

// The scenarios World draws are accepted in full by the shipped rules, so
// the properties above see acceptance and derivation, not only refusals.
func TestPropertyDefaultScenariosAreAccepted(t *testing.T) {
	set := ruleSet(t)
	rapid.Check(t, func(t *rapid.T) {
		s := fuzz.World().Draw(t, "scenario")
		if err := fuzz.CheckTimeline(s.World.Subscriptions); err != nil {
			t.Fatalf("the generated history: %v", err)
		}
		if err := fuzz.CheckTrialOnce(s.World.Trials); err != nil {
			t.Fatalf("the generated ledger: %v", err)
		}
		d := decide(t, &s, set)
		if !d.Allowed {
			t.Fatalf("refused: %v\n%s", d.Codes(), explain(&s, &d))
		}
		for _, dev := range s.Devices {
			for i, l := range d.Lines {
				if dev.Device.ServiceType == domain.VRS && domain.SameSerial(l.SerialNumber, dev.Device.Serial) && l.SerialNumber != dev.Device.Serial {
					t.Fatalf("line %d names %s as %q, want the stored spelling %q\n%s", i, dev.Device.Serial, l.SerialNumber, dev.Device.Serial, explain(&s, &d))
				}
			}
		}
	})
}

// Orders composed from the generators one by one, the way another service's
// test would, are accepted by the shipped rules in full.
func TestPropertyComposedOrderIsAccepted(t *testing.T) {
	set := ruleSet(t)
	rapid.Check(t, func(t *rapid.T) {
		now := fuzz.Now().Draw(t, "now")
		today := domain.Today(now, domain.Pacific)
		cat := fuzz.Catalog().Draw(t, "catalog")
		acct := fuzz.Customer().Draw(t, "customer")
		var devices []fuzz.DeviceHistory
		seen := map[string]bool{}
		for _, serial := range rapid.SliceOfN(fuzz.Serial(), 0, 5).Draw(t, "serials") {
			if k := domain.SerialKey(serial); !seen[k] {
				seen[k] = true
				devices = append(devices, fuzz.History(serial, cat, today).Draw(t, "history of "+serial))
			}
		}
		req := fuzz.Order(cat, acct, today, devices).Draw(t, "order")
		w := fuzz.NewWorld(cat, acct, devices)
		d := decideWorld(t, w, now, acct.Reseller.ClientID, &req, set)
		if err := fuzz.CheckDecision(d); err != nil {
			t.Fatal(err)
		}
		if !d.Allowed {
			t.Fatalf("refused: %v", d.Violations)
		}
	})
}
