package rules

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/expr-lang/expr"

	"github.com/entitle-rules/entitle/domain"
)

// function is one word of the rule vocabulary: a typed Go function. The
// compiler registers it with expr (typed, so a wrong argument fails at load)
// and the lowering compiler calls typed directly.
type function struct {
	name  string
	doc   string
	typed any // a Go func value
	call  func(args ...any) (any, error)
}

var dateType = reflect.TypeOf(domain.Date{})

// vocabulary lists every function rule expressions may call. rulesets/README.md
// documents the same list.
var vocabulary = []function{
	// Dates.
	fn("addDays", "addDays(d, n): the date n days after d", func(d domain.Date, n int) domain.Date { return d.AddDays(n) }),
	fn("addMonths", "addMonths(d, n): n months after d, clamped at month end", func(d domain.Date, n int) domain.Date { return d.AddMonths(n) }),
	fn("addYears", "addYears(d, n): n years after d, clamped (Feb 29 + 1 year = Feb 28)", func(d domain.Date, n int) domain.Date { return d.AddYears(n) }),
	fn("daysBetween", "daysBetween(a, b): days from a to b, negative when b is before a", func(a, b domain.Date) int { return a.DaysUntil(b) }),
	fn("isSet", "isSet(d): d is a date, not empty", func(d domain.Date) bool { return !d.IsZero() }),
	fn("endAfter", "endAfter(start, part): the end of part's duration from start, clamped at month end", func(start domain.Date, p *PartFacts) domain.Date {
		if p == nil || p.part == nil {
			return domain.Date{}
		}
		return p.part.Duration.After(start)
	}),
	// Comparison operators on dates (registered as operator overloads).
	fn("dateBefore", "a < b for dates", func(a, b domain.Date) bool { return a.Before(b) }),
	fn("dateNotAfter", "a <= b for dates", func(a, b domain.Date) bool { return !a.After(b) }),
	fn("dateAfter", "a > b for dates", func(a, b domain.Date) bool { return a.After(b) }),
	fn("dateNotBefore", "a >= b for dates", func(a, b domain.Date) bool { return !a.Before(b) }),
	fn("dateEqual", "a == b for dates", func(a, b domain.Date) bool { return a == b }),
	fn("dateNotEqual", "a != b for dates", func(a, b domain.Date) bool { return a != b }),

	// A serial's history.
	fn("activeOn", "activeOn(serial, productLine, day): the live subscription of that line covering day, or nil", func(s *SerialFacts, pl string, day domain.Date) *SubscriptionFacts {
		return s.view(s.timeline.ActiveOn(domain.ProductLine(pl), day))
	}),
	fn("renewalOf", "renewalOf(serial, productLine, day): when a subscription of that line is active on day, the one of that line that ends last (queued renewals included), or nil", func(s *SerialFacts, pl string, day domain.Date) *SubscriptionFacts {
		return s.view(s.timeline.ChainEnd(domain.ProductLine(pl), day))
	}),
	fn("activeOtherLine", "activeOtherLine(serial, productLine, day): the live subscription of another line covering day that ends last, or nil", func(s *SerialFacts, pl string, day domain.Date) *SubscriptionFacts {
		return s.view(s.timeline.ActiveOtherLine(domain.ProductLine(pl), day))
	}),
	fn("overlapping", "overlapping(serial, productLine, start, end): a live subscription of that line sharing a day with start..end, or nil", func(s *SerialFacts, pl string, start, end domain.Date) *SubscriptionFacts {
		return s.view(s.timeline.OverlapWith(domain.ProductLine(pl), domain.Period{Start: start, End: end}))
	}),
	fn("hadTrial", "hadTrial(serial, productLine): the trial ledger or history holds a trial of that line, in any status", func(s *SerialFacts, pl string) bool { return s.hadTrial(pl) }),
	fn("hasPaidActiveOrExpired", "hasPaidActiveOrExpired(serial, productLine, day): a PAID subscription of that line is ACTIVE or EXPIRED on day", func(s *SerialFacts, pl string, day domain.Date) bool {
		return s.timeline.HasPaidActiveOrExpired(domain.ProductLine(pl), day)
	}),
	fn("hadPart", "hadPart(serial, partNumber): any subscription of the serial, in any status, was of that part", func(s *SerialFacts, part string) bool { return s.timeline.HadPart(part) }),
	fn("unactivatedBundle", "unactivatedBundle(serial): a live BUNDLE subscription was never activated", func(s *SerialFacts) bool { return s.timeline.UnactivatedBundle() }),

	// The catalog.
	fn("eligibleFor", "eligibleFor(part, model): the part may be sold for the model", func(p *PartFacts, m *ModelFacts) bool {
		return p != nil && p.part != nil && m != nil && m.model != nil && p.part.EligibleFor(m.model.Name)
	}),
	fn("fitsSerial", "fitsSerial(model, serial): the serial matches the model's serial pattern", func(m *ModelFacts, serial string) bool {
		return m != nil && m.model != nil && m.model.AcceptsSerial(serial)
	}),
	fn("hasRegion", "hasRegion(part, region): region is one of the part's geofence regions", func(p *PartFacts, region string) bool {
		return p != nil && p.part != nil && p.part.HasRegion(region)
	}),
	fn("inPriceList", "inPriceList(order, partNumber): the order's price list holds the part", func(o *OrderFacts, part string) bool {
		return o != nil && o.priceList != nil && o.priceList.Holds(part)
	}),
	fn("firstInPriceList", "firstInPriceList(order, parts): the first of parts the order's price list holds, else the first listed", func(o *OrderFacts, parts []any) string {
		first := ""
		for _, p := range parts {
			s, ok := p.(string)
			if !ok {
				continue
			}
			if first == "" {
				first = s
			}
			if o != nil && o.priceList != nil && o.priceList.Holds(s) {
				return s
			}
		}
		return first
	}),

	// Strings and lists.
	fn("isEmail", "isEmail(s): s is a bare e-mail address", domain.ValidEmail),
	fn("validSerial", "validSerial(s): s is 1 to 64 letters, digits, '.', '_', '/' or '-'", domain.ValidSerial),
	fn("digitsOnly", "digitsOnly(s): s is one or more ASCII digits", digitsOnly),
	fn("matchFold", "matchFold(list, s): the element of list equal to s ignoring case, as listed, or \"\"", matchFold),
	fn("duplicates", "duplicates(numbers): the numbers that occur more than once, in order of their second occurrence", duplicates),
}

// operators overloads comparisons for dates.
var operators = [][2]string{
	{"<", "dateBefore"}, {"<=", "dateNotAfter"}, {">", "dateAfter"}, {">=", "dateNotBefore"},
	{"==", "dateEqual"}, {"!=", "dateNotEqual"},
}

func digitsOnly(s string) bool {
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

func matchFold(list []any, s string) string {
	for _, v := range list {
		if e, ok := v.(string); ok && strings.EqualFold(e, s) {
			return e
		}
	}
	return ""
}

func duplicates(ns []int) []int {
	var out []int
	for i, n := range ns {
		for _, m := range ns[:i] {
			if m == n {
				out = append(out, n)
				break
			}
		}
	}
	return out
}

// exprOptions returns the expr options every rule expression compiles with.
func exprOptions() []expr.Option {
	opts := make([]expr.Option, 0, len(vocabulary)+len(operators)+4)
	for _, f := range vocabulary {
		opts = append(opts, expr.Function(f.name, f.call, f.typed))
	}
	for _, op := range operators {
		opts = append(opts, expr.Operator(op[0], op[1]))
	}
	// Time comes from the environment (today, todayUTC), never from the clock.
	opts = append(opts, expr.DisableBuiltin("now"), expr.DisableBuiltin("date"), expr.DisableBuiltin("timezone"))
	return opts
}

// fn binds a typed Go function into the vocabulary. The expr VM calls it
// through reflection, converting each argument to the parameter's type; the
// lowering compiler calls f itself, so shipped rules never pay for that.
func fn(name, doc string, f any) function {
	v := reflect.ValueOf(f)
	t := v.Type()
	return function{name: name, doc: doc, typed: f, call: func(args ...any) (any, error) {
		if len(args) != t.NumIn() {
			return nil, fmt.Errorf("%s: want %d arguments, got %d", name, t.NumIn(), len(args))
		}
		in := make([]reflect.Value, len(args))
		for i, a := range args {
			x, err := arg(name, a, t.In(i), i)
			if err != nil {
				return nil, err
			}
			in[i] = x
		}
		return v.Call(in)[0].Interface(), nil
	}}
}

// arg converts argument i to type want; a nil interface becomes want's zero
// value (a nil pointer), which every vocabulary function accepts, and lists
// folded from params, []any or typed, are accepted where []any is wanted.
func arg(name string, a any, want reflect.Type, i int) (reflect.Value, error) {
	if a == nil {
		return reflect.Zero(want), nil
	}
	v := reflect.ValueOf(a)
	if v.Type().AssignableTo(want) {
		return v, nil
	}
	if want == anysType && v.Kind() == reflect.Slice {
		out := make([]any, v.Len())
		for j := range out {
			out[j] = v.Index(j).Interface()
		}
		return reflect.ValueOf(out), nil
	}
	return reflect.Value{}, fmt.Errorf("%s: argument %d is %T, want %s", name, i+1, a, want)
}
