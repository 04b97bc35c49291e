package rules

import (
	"fmt"
	"reflect"

	"github.com/expr-lang/expr/ast"
)

// A function of the vocabulary that finds something (renewalOf, activeOn,
// overlapping) answers nil when there is nothing: "no renewal" is the answer
// most rules test for, so the vocabulary keeps it rather than return an
// empty value whose dates would read as real ones. Reading a field of such a
// result where it may be nil would fail at run time, as a RULE_ERROR in
// every request that meets it; the compiler refuses it instead, at its
// position, unless the expression has made sure it is not nil:
//
//   - the rule's when holds `X != nil` as one of its and-ed conditions (for
//     the rule's effects: set, deny field and message, hold);
//   - `X != nil and X.f`, `X == nil or X.f`, `X != nil ? X.f : ...`,
//     `X == nil ? ... : X.f` inside the expression;
//   - `let v = X; v != nil ? v.f : ...` for a name bound to it;
//   - `X?.f`, which is nil when X is.
//
// X is compared as written (renewalOf(serial, part.productLine, today)).

// nilDeref is a field read of a result that may be nil.
type nilDeref struct {
	at  int // rune offset of the read in the expression
	msg string
}

// nilDerefs returns the reads of n that may meet a nil, given the
// expressions known not to be nil.
func nilDerefs(n ast.Node, known map[string]bool) []nilDeref {
	w := &nilWalker{}
	w.walk(n, known, nil)
	return w.out
}

type nilWalker struct{ out []nilDeref }

// mayBeNil reports whether n is a result that can be nil: a call of the
// vocabulary (or a builtin such as find) returning a pointer, or a name let
// bound to one.
func mayBeNil(n ast.Node, lets map[string]bool) bool {
	switch v := n.(type) {
	case *ast.CallNode, *ast.BuiltinNode:
		t := n.Type()
		return t != nil && t.Kind() == reflect.Pointer
	case *ast.IdentifierNode:
		return lets[v.Value]
	}
	return false
}

// with returns known and the keys, in a new map when there are keys.
func with(known map[string]bool, keys []string) map[string]bool {
	if len(keys) == 0 {
		return known
	}
	out := make(map[string]bool, len(known)+len(keys))
	for k := range known {
		out[k] = true
	}
	for _, k := range keys {
		out[k] = true
	}
	return out
}

// nonNilIfTrue lists the expressions n being true proves not nil: the
// operands of its and-ed `X != nil`.
func nonNilIfTrue(n ast.Node) []string {
	switch v := n.(type) {
	case *ast.BinaryNode:
		switch v.Operator {
		case "and", "&&":
			return append(nonNilIfTrue(v.Left), nonNilIfTrue(v.Right)...)
		case "!=":
			return nilOperand(v)
		}
	case *ast.UnaryNode:
		if v.Operator == "not" || v.Operator == "!" {
			return nonNilIfFalse(v.Node)
		}
	}
	return nil
}

// nonNilIfFalse lists the expressions n being false proves not nil: the
// operands of its or-ed `X == nil`.
func nonNilIfFalse(n ast.Node) []string {
	switch v := n.(type) {
	case *ast.BinaryNode:
		switch v.Operator {
		case "or", "||":
			return append(nonNilIfFalse(v.Left), nonNilIfFalse(v.Right)...)
		case "==":
			return nilOperand(v)
		}
	case *ast.UnaryNode:
		if v.Operator == "not" || v.Operator == "!" {
			return nonNilIfTrue(v.Node)
		}
	}
	return nil
}

// nilOperand returns the operand compared with nil, as written.
func nilOperand(b *ast.BinaryNode) []string {
	if _, ok := b.Right.(*ast.NilNode); ok {
		return []string{b.Left.String()}
	}
	if _, ok := b.Left.(*ast.NilNode); ok {
		return []string{b.Right.String()}
	}
	return nil
}

func (w *nilWalker) walk(n ast.Node, known, lets map[string]bool) {
	switch v := n.(type) {
	case nil:
	case *ast.MemberNode:
		if !v.Optional && mayBeNil(v.Node, lets) && !known[v.Node.String()] {
			w.out = append(w.out, nilDeref{at: v.Location().From, msg: fmt.Sprintf(
				"%s may be nil here: reading .%s of it would fail; make sure first (%[1]s != nil in the rule's when, or `%[1]s != nil and ...`), or write %[1]s?.%[2]s",
				v.Node.String(), propertyName(v.Property))})
		}
		w.walk(v.Node, known, lets)
		w.walk(v.Property, known, lets)
	case *ast.BinaryNode:
		w.walk(v.Left, known, lets)
		switch v.Operator {
		case "and", "&&":
			w.walk(v.Right, with(known, nonNilIfTrue(v.Left)), lets)
		case "or", "||":
			w.walk(v.Right, with(known, nonNilIfFalse(v.Left)), lets)
		default:
			w.walk(v.Right, known, lets)
		}
	case *ast.ConditionalNode:
		w.walk(v.Cond, known, lets)
		w.walk(v.Exp1, with(known, nonNilIfTrue(v.Cond)), lets)
		w.walk(v.Exp2, with(known, nonNilIfFalse(v.Cond)), lets)
	case *ast.VariableDeclaratorNode:
		w.walk(v.Value, known, lets)
		inner := lets
		if mayBeNil(v.Value, lets) != lets[v.Name] {
			inner = make(map[string]bool, len(lets)+1)
			for k, b := range lets {
				inner[k] = b
			}
			inner[v.Name] = mayBeNil(v.Value, lets)
		}
		// A name bound again hides what was known of the old one.
		if known[v.Name] {
			known = with(nil, nil)
		}
		w.walk(v.Expr, known, inner)
	case *ast.UnaryNode:
		w.walk(v.Node, known, lets)
	case *ast.ChainNode:
		w.walk(v.Node, known, lets)
	case *ast.SliceNode:
		w.walk(v.Node, known, lets)
		w.walk(v.From, known, lets)
		w.walk(v.To, known, lets)
	case *ast.CallNode:
		w.walk(v.Callee, known, lets)
		for _, a := range v.Arguments {
			w.walk(a, known, lets)
		}
	case *ast.BuiltinNode:
		for _, a := range v.Arguments {
			w.walk(a, known, lets)
		}
	case *ast.PredicateNode:
		w.walk(v.Node, known, lets)
	case *ast.SequenceNode:
		for _, x := range v.Nodes {
			w.walk(x, known, lets)
		}
	case *ast.ArrayNode:
		for _, x := range v.Nodes {
			w.walk(x, known, lets)
		}
	case *ast.MapNode:
		for _, x := range v.Pairs {
			w.walk(x, known, lets)
		}
	case *ast.PairNode:
		w.walk(v.Key, known, lets)
		w.walk(v.Value, known, lets)
	}
}

func propertyName(n ast.Node) string {
	if s, ok := n.(*ast.StringNode); ok {
		return s.Value
	}
	return n.String()
}
