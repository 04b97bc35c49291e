package rules

import (
	"unsafe"

	"github.com/expr-lang/expr/ast"

	"github.com/entitle-rules/entitle/rules/internal/lower"
)

// A guard is the leading test of a rule's condition when it is a plain field
// test (`line.serviceType == "VRS" and ...`, `part.trial and ...`, `not
// order.billToFound`). Rules sharing a guard are dispatched on it: the guard
// runs once per pass (again after a derivation), and a rule whose guard is
// false is not evaluated at all; it did not fire, as its condition could not
// hold. Most rules of a line are about another service type or kind of
// part, so most are skipped this way.
type guard struct {
	key string // the guard's expression, to share one guard among rules
	fn  func(unsafe.Pointer) bool
}

// leadingGuard returns the guard of condition n in an environment of type
// sc, or nil.
func leadingGuard(n ast.Node, sc *scopeInfo) *guard {
	for {
		b, ok := n.(*ast.BinaryNode)
		if !ok || (b.Operator != "and" && b.Operator != "&&") {
			break
		}
		n = b.Left
	}
	if !isFieldTest(n) {
		return nil
	}
	f, _ := lower.Lower(n, sc.env, nil)
	if f.B == nil || !f.Safe {
		return nil
	}
	return &guard{key: n.String(), fn: f.B}
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
// a derivation, which may change the field it reads).
type guards struct {
	state []uint8 // per guard index: 0 unknown, 1 true, 2 false
}

func (g *guards) reset(n int) {
	if cap(g.state) < n {
		g.state = make([]uint8, n)
	}
	g.state = g.state[:n]
	clear(g.state)
}

// holds reports whether guard i holds for the environment at envPtr.
func (g *guards) holds(i int, gd *guard, envPtr unsafe.Pointer) bool {
	switch g.state[i] {
	case 1:
		return true
	case 2:
		return false
	}
	if gd.fn(envPtr) {
		g.state[i] = 1
		return true
	}
	g.state[i] = 2
	return false
}
