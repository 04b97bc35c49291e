package rules

import (
	"slices"
	"unsafe"

	"github.com/expr-lang/expr/ast"

	"github.com/entitle-rules/entitle/rules/internal/lower"
)

// A guard is the leading test of a rule's condition when it is a plain field
// test (`line.serviceType == "VRS" and ...`, `part.trial and ...`, `not
// order.billToFound`), or the test both sides of an `or` lead with. Rules
// sharing a guard are dispatched on it (see plan): a run of them is passed
// over at once when the guard is false, none evaluated; each did not fire,
// as its condition could not hold. When the guard holds, only the rest of
// each condition is evaluated. Most rules of a line are about another
// service type or kind of part, so most are skipped this way.
type guard struct {
	key   string // the guard's expression, to share one guard among rules
	fn    func(unsafe.Pointer) bool
	field fieldKey // the field the guard reads: a derivation of it ends a block (see plan)
}

// leadingGuard returns the guard of condition n in an environment of type
// sc, or nil, and the rest of the condition: what decides it when the guard
// holds (nil when the guard is the whole condition).
func leadingGuard(n ast.Node, sc *scopeInfo) (*guard, ast.Node) {
	g, rest, ok := splitGuard(n)
	if !ok {
		return nil, nil
	}
	f, _ := lower.Lower(g, sc.env, nil, sc.lazy)
	if f.B == nil || !f.Safe {
		return nil, nil
	}
	owner, off, ok := lower.LeafField(sc.env, dotted(fieldOf(g)))
	if !ok {
		return nil, nil
	}
	return &guard{key: g.String(), fn: f.B, field: fieldKey{owner, off}}, rest
}

// splitGuard returns the leading field test of n and what remains of n
// when the test holds (nil: nothing, n holds). `g and a and b` leads with g
// and leaves `a and b`; `g and a or g and b` leads with g and leaves `a or
// b`: when g is false both sides are, without evaluating a or b, and when
// it holds, reading it again gives true.
func splitGuard(n ast.Node) (g, rest ast.Node, ok bool) {
	if b, isBin := n.(*ast.BinaryNode); isBin {
		switch b.Operator {
		case "and", "&&":
			g, rest, ok := splitGuard(b.Left)
			if !ok {
				return nil, nil, false
			}
			if rest == nil {
				return g, b.Right, true
			}
			return g, &ast.BinaryNode{Operator: b.Operator, Left: rest, Right: b.Right}, true
		case "or", "||":
			gl, rl, ok1 := splitGuard(b.Left)
			gr, rr, ok2 := splitGuard(b.Right)
			if !ok1 || !ok2 || gl.String() != gr.String() {
				return nil, nil, false
			}
			if rl == nil || rr == nil {
				return gl, nil, true
			}
			return gl, &ast.BinaryNode{Operator: b.Operator, Left: rl, Right: rr}, true
		}
	}
	if !isFieldTest(n) {
		return nil, nil, false
	}
	return n, nil, true
}

// fieldOf returns the field path a field test reads.
func fieldOf(n ast.Node) ast.Node {
	switch x := n.(type) {
	case *ast.UnaryNode:
		return x.Node
	case *ast.BinaryNode:
		if isFieldPath(x.Left) {
			return x.Left
		}
		return x.Right
	}
	return n
}

// dotted returns the field path n as rule authors write it (line.serviceType).
func dotted(n ast.Node) string {
	switch x := n.(type) {
	case *ast.IdentifierNode:
		return x.Value
	case *ast.MemberNode:
		return dotted(x.Node) + "." + x.Property.(*ast.StringNode).Value
	}
	return ""
}

// isFieldTest reports whether n is a field path, its negation, or a field
// path compared (==, !=) with a literal.
func isFieldTest(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.UnaryNode:
		return (x.Operator == "not" || x.Operator == "!") && isFieldPath(x.Node)
	case *ast.BinaryNode:
		if x.Operator != "==" && x.Operator != "!=" {
			return false
		}
		return (isFieldPath(x.Left) && isLiteral(x.Right)) || (isLiteral(x.Left) && isFieldPath(x.Right))
	}
	return isFieldPath(n)
}

func isFieldPath(n ast.Node) bool {
	for {
		switch x := n.(type) {
		case *ast.IdentifierNode:
			return true
		case *ast.MemberNode:
			if x.Optional || x.Method {
				return false
			}
			if _, ok := x.Property.(*ast.StringNode); !ok {
				return false
			}
			n = x.Node
		default:
			return false
		}
	}
}

func isLiteral(n ast.Node) bool {
	switch n.(type) {
	case *ast.StringNode, *ast.IntegerNode, *ast.BoolNode:
		return true
	}
	return false
}

// A plan is a scope's rules as Run.eval runs them: per phase, one closure
// compiled from the rules, in order, with no loop and no per-rule dispatch.
// Consecutive rules that lead with the same guard form a block, compiled as
// `if guard { rules }`: when the guard is false none of them is evaluated
// (each was, and did not fire: its condition could not hold). A block ends
// after a rule deriving the field its guard reads, so the rules after it
// see the guard tested again. Rules without a guard are one closure each,
// calling their condition and firing.
type plan struct {
	phases [numPhases]prog // nil: no rule in the phase
}

// prog runs compiled rules in the environment at p.
type prog func(r *Run, p unsafe.Pointer)

// step is a rule whose condition needs Run.step: a closure that may meet a
// nil, the VM, or a guard that is the whole condition. cond is the
// condition's closure (after the guard, when there is one; nil with a guard
// when the guard is all of it, nil without one when the condition runs on
// the VM).
type step struct {
	cond  func(unsafe.Pointer) bool
	rule  *Rule
	guard int32 // index into the set's guards, -1 for none
}

// run evaluates the rules of phases from..to of plan pl in the environment
// at p, in order, firing those whose condition holds.
func (r *Run) run(pl *plan, from, to Phase, p unsafe.Pointer) {
	for ph := from; ph <= to; ph++ {
		if f := pl.phases[ph]; f != nil {
			f(r, p)
		}
	}
}

// indexRuns compiles the plan of every scope.
func (s *Set) indexRuns() {
	s.indexForgets() // the guards each rule's derivations make stale
	s.plans = make([]plan, len(s.byScope))
	for si := range s.byScope {
		for ph, rs := range s.byScope[si] {
			var parts []prog
			for i := 0; i < len(rs); {
				g := rs[i].guard
				j := i + 1
				if g >= 0 {
					for j < len(rs) && rs[j].guard == g && !slices.Contains(rs[j-1].forget, g) {
						j++
					}
				}
				parts = append(parts, s.block(rs[i:j]))
				i = j
			}
			s.plans[si].phases[ph] = seq(parts)
		}
	}
}

// block compiles rules sharing a guard (or one rule without a guard).
func (s *Set) block(rs []*Rule) prog {
	if rs[0].guard < 0 {
		return rule(rs[0])
	}
	g := s.guards[rs[0].guard].fn
	if len(rs) == 1 {
		r := rs[0]
		switch {
		case r.rest == nil:
			return func(run *Run, p unsafe.Pointer) {
				if g(p) {
					run.fire(r)
				}
			}
		case r.restSafe:
			c := r.rest
			return func(run *Run, p unsafe.Pointer) {
				if g(p) && c(p) {
					run.fire(r)
				}
			}
		}
	}
	parts := make([]prog, len(rs))
	for i, r := range rs {
		parts[i] = rule(r)
	}
	body := seq(parts)
	return func(run *Run, p unsafe.Pointer) {
		if g(p) {
			body(run, p)
		}
	}
}

// rule compiles one rule, past its guard when it has one.
func rule(r *Rule) prog {
	st := &step{rule: r, guard: int32(r.guard)}
	switch {
	case r.guard >= 0 && r.rest == nil:
		return func(run *Run, _ unsafe.Pointer) { run.fire(r) }
	case r.guard >= 0:
		st.cond = r.rest
		if r.restSafe {
			c := r.rest
			return func(run *Run, p unsafe.Pointer) {
				if c(p) {
					run.fire(r)
				}
			}
		}
	case r.when.fast.B != nil:
		st.cond = r.when.fast.B
		if r.when.fast.Safe {
			c := r.when.fast.B
			return func(run *Run, p unsafe.Pointer) {
				if c(p) {
					run.fire(r)
				}
			}
		}
	}
	return func(run *Run, _ unsafe.Pointer) { run.step(st) }
}

// seq compiles parts run one after the other: one closure calling up to
// eight, a tree of them for more.
func seq(parts []prog) prog {
	switch len(parts) {
	case 0:
		return nil
	case 1:
		return parts[0]
	case 2:
		a, b := parts[0], parts[1]
		return func(r *Run, p unsafe.Pointer) { a(r, p); b(r, p) }
	case 3:
		a, b, c := parts[0], parts[1], parts[2]
		return func(r *Run, p unsafe.Pointer) { a(r, p); b(r, p); c(r, p) }
	case 4:
		a, b, c, d := parts[0], parts[1], parts[2], parts[3]
		return func(r *Run, p unsafe.Pointer) { a(r, p); b(r, p); c(r, p); d(r, p) }
	case 5:
		a, b, c, d, e := parts[0], parts[1], parts[2], parts[3], parts[4]
		return func(r *Run, p unsafe.Pointer) { a(r, p); b(r, p); c(r, p); d(r, p); e(r, p) }
	case 6:
		a, b, c, d, e, f := parts[0], parts[1], parts[2], parts[3], parts[4], parts[5]
		return func(r *Run, p unsafe.Pointer) {
			a(r, p)
			b(r, p)
			c(r, p)
			d(r, p)
			e(r, p)
			f(r, p)
		}
	case 7, 8:
		a, b, c, d, e, f, g := parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], parts[6]
		if len(parts) == 7 {
			return func(r *Run, p unsafe.Pointer) {
				a(r, p)
				b(r, p)
				c(r, p)
				d(r, p)
				e(r, p)
				f(r, p)
				g(r, p)
			}
		}
		h := parts[7]
		return func(r *Run, p unsafe.Pointer) {
			a(r, p)
			b(r, p)
			c(r, p)
			d(r, p)
			e(r, p)
			f(r, p)
			g(r, p)
			h(r, p)
		}
	}
	// Eight at a time, then a sequence of those.
	var chunks []prog
	for len(parts) > 0 {
		n := min(8, len(parts))
		chunks = append(chunks, seq(parts[:n]))
		parts = parts[n:]
	}
	return seq(chunks)
}
