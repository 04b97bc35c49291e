package rules

import (
	"fmt"
	"reflect"
	"strings"
	"unsafe"

	"github.com/expr-lang/expr"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules/internal/lower"
)

// Function is one word of the rule vocabulary: a typed Go function, bound
// once for both ways an expression runs. The expr checker sees its
// signature (so a wrong argument fails at load), the expr VM calls it through
// reflection, and the lowering compiler calls it directly with typed
// arguments. Make one with Func1 to Func4.
type Function struct {
	Name string
	Doc  string // "name(args): what it returns", as rulesets/README.md lists it

	typed any // the Go func value
	call  func(args ...any) (any, error)
	bind  lower.Binder
	// bindNot binds the negation of a function returning bool, so `not
	// f(x)` is one call.
	bindNot lower.Binder
	test    func(string) bool // the function, when it is a test of one string (see Memo)
}

// Func1 binds a one-argument Go function into the vocabulary. Arguments and
// results are plain kinds (bool, int, string, domain.Date, []int, []any) or
// pointers to the environment's fact structs.
func Func1[A, R any](name, doc string, f func(A) R) Function {
	fn := newFunction(name, doc, f, lower.Bind1(f))
	fn.test, _ = any(f).(func(string) bool)
	if g, ok := any(f).(func(A) bool); ok {
		fn.bindNot = lower.Bind1(func(a A) bool { return !g(a) })
	}
	return fn
}

// Func2 binds a two-argument Go function; see Func1.
func Func2[A, B, R any](name, doc string, f func(A, B) R) Function {
	fn := newFunction(name, doc, f, lower.Bind2(f))
	if g, ok := any(f).(func(A, B) bool); ok {
		fn.bindNot = lower.Bind2(func(a A, b B) bool { return !g(a, b) })
	}
	return fn
}

// Func3 binds a three-argument Go function; see Func1.
func Func3[A, B, C, R any](name, doc string, f func(A, B, C) R) Function {
	fn := newFunction(name, doc, f, lower.Bind3(f))
	if g, ok := any(f).(func(A, B, C) bool); ok {
		fn.bindNot = lower.Bind3(func(a A, b B, c C) bool { return !g(a, b, c) })
	}
	return fn
}

// Func4 binds a four-argument Go function; see Func1.
func Func4[A, B, C, D, R any](name, doc string, f func(A, B, C, D) R) Function {
	return newFunction(name, doc, f, lower.Bind4(f))
}

// newFunction makes the VM's entry to f: it converts each argument to the
// parameter's type (a nil interface becomes a nil pointer, which every
// vocabulary function accepts; a list folded from params is accepted where
// []any is wanted).
func newFunction(name, doc string, f any, bind lower.Binder) Function {
	v := reflect.ValueOf(f)
	t := v.Type()
	return Function{Name: name, Doc: doc, typed: f, bind: bind, call: func(args ...any) (any, error) {
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

var anysType = reflect.TypeOf([]any(nil))

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

// core is the vocabulary every scope has: dates and strings.
var core = []Function{
	Func2("addDays", "addDays(d, n): the date n days after d", func(d domain.Date, n int) domain.Date { return d.AddDays(n) }),
	Func2("addMonths", "addMonths(d, n): n months after d, clamped at month end", func(d domain.Date, n int) domain.Date { return d.AddMonths(n) }),
	Func2("addYears", "addYears(d, n): n years after d, clamped (Feb 29 + 1 year = Feb 28)", func(d domain.Date, n int) domain.Date { return d.AddYears(n) }),
	Func2("daysBetween", "daysBetween(a, b): days from a to b, negative when b is before a", func(a, b domain.Date) int { return a.DaysUntil(b) }),
	Func1("isSet", "isSet(d): d is a date, not empty", func(d domain.Date) bool { return !d.IsZero() }),
	// Comparison operators on dates (registered as operator overloads).
	Func2("dateBefore", "a < b for dates", func(a, b domain.Date) bool { return a.Before(b) }),
	Func2("dateNotAfter", "a <= b for dates", func(a, b domain.Date) bool { return !a.After(b) }),
	Func2("dateAfter", "a > b for dates", func(a, b domain.Date) bool { return a.After(b) }),
	Func2("dateNotBefore", "a >= b for dates", func(a, b domain.Date) bool { return !a.Before(b) }),
	Func2("dateEqual", "a == b for dates", func(a, b domain.Date) bool { return a == b }),
	Func2("dateNotEqual", "a != b for dates", func(a, b domain.Date) bool { return a != b }),

	Func1("isEmail", "isEmail(s): s is a bare e-mail address", domain.ValidEmail),
	Func1("digitsOnly", "digitsOnly(s): s is one or more ASCII digits", digitsOnly),
	Func2("matchFold", "matchFold(list, s): the element of list equal to s ignoring case, as listed, or \"\"", matchFold),
	Func1("duplicates", "duplicates(numbers): the numbers that occur more than once, in order of their second occurrence", duplicates),
}

// operators overloads comparisons for dates.
var operators = [][2]string{
	{"<", "dateBefore"}, {"<=", "dateNotAfter"}, {">", "dateAfter"}, {">=", "dateNotBefore"},
	{"==", "dateEqual"}, {"!=", "dateNotEqual"},
}

// IsOperator reports whether f implements an operator on dates rather than a
// function rule authors call by name.
func (f Function) IsOperator() bool {
	for _, op := range operators {
		if op[1] == f.Name {
			return true
		}
	}
	return false
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

// exprOptions returns the expr options the expressions of a scope with
// vocabulary funcs compile with.
func exprOptions(funcs []Function) []expr.Option {
	opts := make([]expr.Option, 0, len(funcs)+len(operators)+3)
	for _, f := range funcs {
		opts = append(opts, expr.Function(f.Name, f.call, f.typed))
	}
	for _, op := range operators {
		opts = append(opts, expr.Operator(op[0], op[1]))
	}
	// Time comes from the environment (today, todayUTC), never from the clock.
	opts = append(opts, expr.DisableBuiltin("now"), expr.DisableBuiltin("date"), expr.DisableBuiltin("timezone"))
	return opts
}

// Memo remembers, in an environment, the last answer of each of the
// vocabulary's tests of one string (isEmail, validSerial...): two rules
// asking the same question about the same field of a line compute it once.
// A context gives its environment struct a Memo field (unexported) to have
// them remembered; the functions are pure, so an answer is reused only for
// the same argument, and a fresh environment (one per line) starts empty.
type Memo struct {
	slots [memoSlots]memoSlot
}

const memoSlots = 8

type memoSlot struct {
	arg     string
	ok, val bool
}

var memoType = reflect.TypeFor[Memo]()

// memoBinder binds test (its negation when not) through the Memo slot at
// off in the environment.
func memoBinder(off uintptr, test func(string) bool, not bool) lower.Binder {
	return func(args []lower.Value) (lower.Value, bool) {
		if len(args) != 1 {
			return lower.Value{}, false
		}
		a, ok := lower.As[string](args[0])
		if !ok {
			return lower.Value{}, false
		}
		return lower.Make(func(p unsafe.Pointer) bool {
			s := a(p)
			m := (*memoSlot)(unsafe.Add(p, off))
			if !m.ok || m.arg != s {
				m.arg, m.val, m.ok = s, test(s), true
			}
			return m.val != not
		}), true
	}
}
