package rules

import (
	"unsafe"

	"github.com/expr-lang/expr/ast"

	"github.com/entitle-rules/entitle/rules/internal/lower"
)

// A guard is the leading test of a rule's condition when it is a plain field
// test (`line.serviceType == "VRS" and ...`, `part.trial and ...`, `not
// order.billToFound`), or the test both sides of an `or` lead with. Rules
// sharing a guard are dispatched on it: the guard runs once per pass (again
// after a derivation of the field it reads), and a rule whose guard is false
// is not evaluated at all; it did not fire, as its condition could not hold.
// When the guard holds, only the rest of the condition is evaluated. Most
// rules of a line are about another service type or kind of part, so most
// are skipped this way.
type guard struct {
	key   string // the guard's expression, to share one guard among rules
	fn    func(unsafe.Pointer) bool
	field fieldKey // the field the guard reads: a derivation of it forgets the guard's value
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

// guards is the guard state of one pass: each distinct guard's value, known
// or not yet (it is computed when a rule first needs it and forgotten after
// a derivation of the field it reads).
type guards struct {
	state []uint8 // per guard index: 0 unknown, 1 true, 2 false (Run.eval reads and fills it)
}

func (g *guards) reset(n int) {
	if cap(g.state) < n {
		g.state = make([]uint8, n)
	}
	g.state = g.state[:n]
	clear(g.state)
}
