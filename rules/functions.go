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
	fn2("addDays", "addDays(d, n): the date n days after d", func(d domain.Date, n int) domain.Date { return d.AddDays(n) }),
	fn2("addMonths", "addMonths(d, n): n months after d, clamped at month end", func(d domain.Date, n int) domain.Date { return d.AddMonths(n) }),
	fn2("addYears", "addYears(d, n): n years after d, clamped (Feb 29 + 1 year = Feb 28)", func(d domain.Date, n int) domain.Date { return d.AddYears(n) }),
	fn2("daysBetween", "daysBetween(a, b): days from a to b, negative when b is before a", func(a, b domain.Date) int { return a.DaysUntil(b) }),
	fn1("isSet", "isSet(d): d is a date, not empty", func(d domain.Date) bool { return !d.IsZero() }),
	fn2("endAfter", "endAfter(start, part): the end of part's duration from start, clamped at month end", func(start domain.Date, p *PartFacts) domain.Date {
		if p == nil || p.part == nil {
			return domain.Date{}
		}
		return p.part.Duration.After(start)
	}),
	// Comparison operators on dates (registered as operator overloads).
	fn2("dateBefore", "a < b for dates", func(a, b domain.Date) bool { return a.Before(b) }),
	fn2("dateNotAfter", "a <= b for dates", func(a, b domain.Date) bool { return !a.After(b) }),
	fn2("dateAfter", "a > b for dates", func(a, b domain.Date) bool { return a.After(b) }),
	fn2("dateNotBefore", "a >= b for dates", func(a, b domain.Date) bool { return !a.Before(b) }),
	fn2("dateEqual", "a == b for dates", func(a, b domain.Date) bool { return a == b }),
	fn2("dateNotEqual", "a != b for dates", func(a, b domain.Date) bool { return a != b }),

	// A serial's history.
	fn3("activeOn", "activeOn(serial, productLine, day): the live subscription of that line covering day, or nil", func(s *SerialFacts, pl string, day domain.Date) *SubscriptionFacts {
		return s.view(s.timeline.ActiveOn(domain.ProductLine(pl), day))
	}),
	fn3("renewalOf", "renewalOf(serial, productLine, day): when a subscription of that line is active on day, the one of that line that ends last (queued renewals included), or nil", func(s *SerialFacts, pl string, day domain.Date) *SubscriptionFacts {
		return s.view(s.timeline.ChainEnd(domain.ProductLine(pl), day))
	}),
	fn3("activeOtherLine", "activeOtherLine(serial, productLine, day): the live subscription of another line covering day that ends last, or nil", func(s *SerialFacts, pl string, day domain.Date) *SubscriptionFacts {
		return s.view(s.timeline.ActiveOtherLine(domain.ProductLine(pl), day))
	}),
	fn4("overlapping", "overlapping(serial, productLine, start, end): a live subscription of that line sharing a day with start..end, or nil", func(s *SerialFacts, pl string, start, end domain.Date) *SubscriptionFacts {
		return s.view(s.timeline.OverlapWith(domain.ProductLine(pl), domain.Period{Start: start, End: end}))
	}),
	fn2("hadTrial", "hadTrial(serial, productLine): the trial ledger or history holds a trial of that line, in any status", func(s *SerialFacts, pl string) bool { return s.hadTrial(pl) }),
	fn3("hasPaidActiveOrExpired", "hasPaidActiveOrExpired(serial, productLine, day): a PAID subscription of that line is ACTIVE or EXPIRED on day", func(s *SerialFacts, pl string, day domain.Date) bool {
		return s.timeline.HasPaidActiveOrExpired(domain.ProductLine(pl), day)
	}),
	fn2("hadPart", "hadPart(serial, partNumber): any subscription of the serial, in any status, was of that part", func(s *SerialFacts, part string) bool { return s.timeline.HadPart(part) }),
	fn1("unactivatedBundle", "unactivatedBundle(serial): a live BUNDLE subscription was never activated", func(s *SerialFacts) bool { return s.timeline.UnactivatedBundle() }),

	// The catalog.
	fn2("eligibleFor", "eligibleFor(part, model): the part may be sold for the model", func(p *PartFacts, m *ModelFacts) bool {
		return p != nil && p.part != nil && m != nil && m.model != nil && p.part.EligibleFor(m.model.Name)
	}),
	fn2("fitsSerial", "fitsSerial(model, serial): the serial matches the model's serial pattern", func(m *ModelFacts, serial string) bool {
		return m != nil && m.model != nil && m.model.AcceptsSerial(serial)
	}),
	fn2("hasRegion", "hasRegion(part, region): region is one of the part's geofence regions", func(p *PartFacts, region string) bool {
		return p != nil && p.part != nil && p.part.HasRegion(region)
	}),
	fn2("inPriceList", "inPriceList(order, partNumber): the order's price list holds the part", func(o *OrderFacts, part string) bool {
		return o != nil && o.priceList != nil && o.priceList.Holds(part)
	}),
	fn2("firstInPriceList", "firstInPriceList(order, parts): the first of parts the order's price list holds, else the first listed", func(o *OrderFacts, parts []any) string {
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
	fn1("isEmail", "isEmail(s): s is a bare e-mail address", domain.ValidEmail),
	fn1("validSerial", "validSerial(s): s is 1 to 64 letters, digits, '.', '_', '/' or '-'", domain.ValidSerial),
	fn1("digitsOnly", "digitsOnly(s): s is one or more ASCII digits", digitsOnly),
	fn2("matchFold", "matchFold(list, s): the element of list equal to s ignoring case, as listed, or \"\"", matchFold),
	fn1("duplicates", "duplicates(numbers): the numbers that occur more than once, in order of their second occurrence", duplicates),
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

func fn1[A, R any](name, doc string, f func(A) R) function {
	return function{name: name, doc: doc, typed: f, call: func(args ...any) (any, error) {
		a, err := arg[A](name, args, 0)
		if err != nil {
			return nil, err
		}
		return f(a), nil
	}}
}

func fn2[A, B, R any](name, doc string, f func(A, B) R) function {
	return function{name: name, doc: doc, typed: f, call: func(args ...any) (any, error) {
		a, err := arg[A](name, args, 0)
		if err != nil {
			return nil, err
		}
		b, err := arg[B](name, args, 1)
		if err != nil {
			return nil, err
		}
		return f(a, b), nil
	}}
}

func fn3[A, B, C, R any](name, doc string, f func(A, B, C) R) function {
	return function{name: name, doc: doc, typed: f, call: func(args ...any) (any, error) {
		a, err := arg[A](name, args, 0)
		if err != nil {
			return nil, err
		}
		b, err := arg[B](name, args, 1)
		if err != nil {
			return nil, err
		}
		c, err := arg[C](name, args, 2)
		if err != nil {
			return nil, err
		}
		return f(a, b, c), nil
	}}
}

func fn4[A, B, C, D, R any](name, doc string, f func(A, B, C, D) R) function {
	return function{name: name, doc: doc, typed: f, call: func(args ...any) (any, error) {
		a, err := arg[A](name, args, 0)
		if err != nil {
			return nil, err
		}
		b, err := arg[B](name, args, 1)
		if err != nil {
			return nil, err
		}
		c, err := arg[C](name, args, 2)
		if err != nil {
			return nil, err
		}
		d, err := arg[D](name, args, 3)
		if err != nil {
			return nil, err
		}
		return f(a, b, c, d), nil
	}}
}

// arg converts argument i; a nil interface becomes A's zero value (a nil
// pointer), which every vocabulary function accepts.
func arg[A any](name string, args []any, i int) (A, error) {
	var zero A
	if i >= len(args) {
		return zero, fmt.Errorf("%s: missing argument %d", name, i+1)
	}
	if args[i] == nil {
		return zero, nil
	}
	if v, ok := args[i].(A); ok {
		return v, nil
	}
	// Lists folded from params arrive as []any or typed slices; accept both.
	if _, want := any(zero).([]any); want {
		rv := reflect.ValueOf(args[i])
		if rv.Kind() == reflect.Slice {
			out := make([]any, rv.Len())
			for j := range out {
				out[j] = rv.Index(j).Interface()
			}
			return any(out).(A), nil
		}
	}
	return zero, fmt.Errorf("%s: argument %d is %T, want %T", name, i+1, args[i], zero)
}
