package rules

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"sync"
	"unsafe"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
	"github.com/shopspring/decimal"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules/internal/lower"
)

// ExplainStep is one rule evaluated by an explained decision, in the order
// the rules ran: whether it fired, the values of the fields its condition
// reads (as they stood when it ran), the values it derived, and the
// violation or hold it produced.
type ExplainStep struct {
	Rule  string `json:"rule"`
	File  string `json:"file"`
	Line  int    `json:"line"`
	Scope string `json:"scope"`
	Phase string `json:"phase"`
	// Item is the line (or other item) the rule ran for; -1 for none.
	Item      int               `json:"item"`
	Fired     bool              `json:"fired"`
	Reads     map[string]any    `json:"reads,omitempty"`
	Derived   map[string]any    `json:"derived,omitempty"`
	Violation *domain.Violation `json:"violation,omitempty"`
	Hold      string            `json:"hold,omitempty"`
	// Error is why the rule could not be evaluated (it then refuses the
	// request with RULE_ERROR, as every decision does).
	Error string `json:"error,omitempty"`
}

// Explanation collects the steps of the decisions made with an Explainer's
// set.
type Explanation struct {
	Steps []ExplainStep
	reads map[*Rule][]readProgram
}

// Explainer returns a copy of s whose decisions are made rule by rule on
// a separate path that records an ExplainStep for every rule evaluated, in
// ex. The decisions are the ones s makes; only slower. Decisions made with
// s itself are untouched: the explanation costs nothing when not asked for.
// The copy and ex are for one goroutine.
func (s *Set) Explainer() (set *Set, ex *Explanation) {
	ex = &Explanation{reads: map[*Rule][]readProgram{}}
	c := *s
	c.explain = ex
	return &c, ex
}

// Explanation returns the explanation an Explainer's set collects, nil for
// any other set: a context deciding the items of a request one decision
// each names the item of their steps (ExplainStep.Item).
func (s *Set) Explanation() *Explanation { return s.explain }

// NameItem sets the Item of the steps recorded from the from-th on to item.
// Nothing happens on a nil Explanation.
func (ex *Explanation) NameItem(from, item int) {
	if ex == nil {
		return
	}
	for i := from; i < len(ex.Steps); i++ {
		ex.Steps[i].Item = item
	}
}

// Len returns how many steps ex holds (0 for nil).
func (ex *Explanation) Len() int {
	if ex == nil {
		return 0
	}
	return len(ex.Steps)
}

// explainPass evaluates the rules of scope si of phases from..to for the
// environment r holds, each on its own (no guards), recording a step for
// each: the same rules fire as on the fast path, since a guard is only the
// leading test of its rule's condition.
func (r *Run) explainPass(si int, from, to Phase) {
	ex := r.set.explain
	sc, env, envPtr, item := r.sc, r.env, r.envPtr, r.item
	for ph := from; ph <= to; ph++ {
		for _, rule := range r.set.byScope[si][ph] {
			sc.fillLazy(envPtr)
			st := ExplainStep{Rule: rule.ID, File: rule.Pos.File, Line: rule.Pos.Line, Scope: rule.Scope, Phase: rule.Phase.String(), Item: item}
			st.Reads = ex.readValues(rule, env)
			nv, hold := len(r.d.Violations), r.d.Hold
			fired, err := true, error(nil)
			if rule.when != nil {
				fired, err = r.evalBool(rule.when, env, envPtr)
			}
			switch {
			case err != nil:
				st.Error = err.Error()
				r.violate(rule, item, "RULE_ERROR", "", fmt.Sprintf("rule %s could not be evaluated: %v", rule.ID, err))
			case fired:
				st.Fired = true
				r.fire(rule)
				for _, s := range rule.sets {
					if st.Derived == nil {
						st.Derived = map[string]any{}
					}
					st.Derived[s.target.name] = derivedValue(s.target, envPtr)
				}
			}
			if len(r.d.Violations) > nv {
				v := r.d.Violations[len(r.d.Violations)-1]
				st.Violation = &v
			}
			if r.d.Hold != nil && hold == nil {
				st.Hold = r.d.Hold.Reason
			}
			ex.Steps = append(ex.Steps, st)
		}
	}
}

func derivedValue(t *settable, envPtr unsafe.Pointer) any {
	dst := lower.Addr(envPtr, t.path)
	if dst == nil {
		return nil
	}
	switch t.typ {
	case dateType:
		return *(*domain.Date)(dst)
	case stringType:
		return *(*string)(dst)
	case boolType:
		return *(*bool)(dst)
	case intType:
		return *(*int)(dst)
	}
	return nil
}

// readProgram is one field path a rule's condition reads, compiled to be
// evaluated on its own.
type readProgram struct {
	path string
	prog *vm.Program
}

// readValues returns the values of the field paths rule's condition reads,
// in env; paths whose value is not a plain value (a struct, a map) are left
// out, their fields being paths of their own.
func (ex *Explanation) readValues(rule *Rule, env any) map[string]any {
	progs, ok := ex.reads[rule]
	if !ok {
		progs = compileReads(rule, env)
		ex.reads[rule] = progs
	}
	if len(progs) == 0 {
		return nil
	}
	out := make(map[string]any, len(progs))
	for _, p := range progs {
		v, err := vmRun(p.prog, env)
		if err != nil {
			continue // a path under a nil: the condition's own evaluation says so
		}
		if v, ok := plainValue(v); ok {
			out[p.path] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

var explainVMs = sync.Pool{New: func() any { return new(vm.VM) }}

func vmRun(p *vm.Program, env any) (v any, err error) {
	m := explainVMs.Get().(*vm.VM)
	defer explainVMs.Put(m)
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return m.Run(p, env)
}

// compileReads lists the field paths (a name, or names joined by dots,
// never through a call) in rule's condition, in the order written, each
// compiled against the environment's type.
func compileReads(rule *Rule, env any) []readProgram {
	if rule.when == nil || rule.when.prog == nil {
		return nil
	}
	var paths []string
	seen := map[string]bool{}
	node := rule.when.prog.Node()
	ast.Walk(&node, &pathCollector{add: func(p string) {
		if !seen[p] {
			seen[p] = true
			paths = append(paths, p)
		}
	}})
	var out []readProgram
	for _, p := range paths {
		prog, err := expr.Compile(p, expr.Env(env))
		if err != nil {
			continue // a name only the rule's vocabulary knows
		}
		out = append(out, readProgram{path: p, prog: prog})
	}
	return out
}

// pathCollector collects the member paths of an expression: identifiers of
// the environment and chains of constant member names after them. A
// method's receiver (serial in serial.activeOn(...)) is a path; the
// method is not.
type pathCollector struct {
	add     func(string)
	callees map[ast.Node]bool
}

func (c *pathCollector) Visit(n *ast.Node) {
	switch x := (*n).(type) {
	case *ast.CallNode:
		if c.callees == nil {
			c.callees = map[ast.Node]bool{}
		}
		c.callees[x.Callee] = true
	case *ast.MemberNode:
		if c.callees[x] {
			return
		}
		if p, ok := memberPath(x); ok {
			c.add(p)
		}
	case *ast.IdentifierNode:
		if !c.callees[x] {
			c.add(x.Value)
		}
	}
}

// memberPath renders a chain of constant member accesses rooted at an
// identifier ("line.part.found"); false for anything else.
func memberPath(n ast.Node) (string, bool) {
	switch x := n.(type) {
	case *ast.IdentifierNode:
		return x.Value, true
	case *ast.MemberNode:
		s, ok := x.Property.(*ast.StringNode)
		if !ok {
			return "", false
		}
		base, ok := memberPath(x.Node)
		if !ok {
			return "", false
		}
		if x.Optional {
			return base + "?." + s.Value, true
		}
		return base + "." + s.Value, true
	}
	return "", false
}

var (
	decimalType = reflect.TypeOf(decimal.Decimal{})
)

// plainValue returns v when it is a value a person reads as one (a
// string, number, bool, date, decimal, or a list of those); false for
// structs, maps and pointers to them.
func plainValue(v any) (any, bool) {
	if v == nil {
		return nil, true
	}
	rv := reflect.ValueOf(v)
	t := rv.Type()
	switch {
	case t == dateType:
		return v, true
	case t == decimalType:
		return v.(decimal.Decimal).String(), true
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return v, true
	case reflect.Pointer:
		if rv.IsNil() {
			return nil, true
		}
		return plainValue(rv.Elem().Interface())
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Struct && t.Elem() != dateType {
			return nil, false
		}
		out := make([]any, 0, rv.Len())
		for i := range rv.Len() {
			e, ok := plainValue(rv.Index(i).Interface())
			if !ok {
				return nil, false
			}
			out = append(out, e)
		}
		return out, true
	}
	return nil, false
}

// FormatValue renders a read or derived value as explain prints it.
func FormatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case string:
		return strconv.Quote(x)
	case []any:
		s := "["
		for i, e := range x {
			if i > 0 {
				s += ", "
			}
			s += FormatValue(e)
		}
		return s + "]"
	case domain.Date:
		if x.IsZero() {
			return "(no date)"
		}
		return x.String()
	}
	return fmt.Sprint(v)
}

// SortedKeys returns m's keys in order, for printing.
func SortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
