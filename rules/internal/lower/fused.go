package lower

import (
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/expr-lang/expr/ast"
)

// The closures below fuse the commonest leaf shapes of a condition (a field
// compared with a literal, a field's negation, membership in a short
// constant list) and chains of and / or into one closure each, so a
// condition costs a call per test instead of one per node. Each reads a
// field path as reader does, panicking with NilMember on a nil pointer.

// fieldAt returns the address of the field at the end of path (one or two
// offsets) from p.
func fieldAt(p unsafe.Pointer, o0, o1 uintptr, two bool, name string) unsafe.Pointer {
	if !two {
		return unsafe.Add(p, o0)
	}
	q := *(*unsafe.Pointer)(unsafe.Add(p, o0))
	if q == nil {
		panic(NilMember{name})
	}
	return unsafe.Add(q, o1)
}

// fusable reports whether v is a field path short enough to fuse, and its
// offsets.
func fusable(v Value) (o0, o1 uintptr, two, ok bool) {
	switch len(v.path) {
	case 1:
		return v.path[0], 0, false, true
	case 2:
		return v.path[0], v.path[1], true, true
	}
	return 0, 0, false, false
}

// eqField compares the field v reads with the constant k (!= when neg).
func eqField[T comparable](v Value, k T, neg bool) (boolFn, bool) {
	o0, o1, two, ok := fusable(v)
	if !ok {
		return nil, false
	}
	name := v.name
	switch {
	case !two && !neg:
		return func(p unsafe.Pointer) bool { return *(*T)(unsafe.Add(p, o0)) == k }, true
	case !two && neg:
		return func(p unsafe.Pointer) bool { return *(*T)(unsafe.Add(p, o0)) != k }, true
	case two && !neg:
		return func(p unsafe.Pointer) bool {
			q := *(*unsafe.Pointer)(unsafe.Add(p, o0))
			if q == nil {
				panic(NilMember{name})
			}
			return *(*T)(unsafe.Add(q, o1)) == k
		}, true
	default:
		return func(p unsafe.Pointer) bool {
			q := *(*unsafe.Pointer)(unsafe.Add(p, o0))
			if q == nil {
				panic(NilMember{name})
			}
			return *(*T)(unsafe.Add(q, o1)) != k
		}, true
	}
}

// shortString is the longest literal compared byte by byte, in line, rather
// than through the runtime's memequal: the literals of rules are short codes
// ("VRS", "Y", "").
const shortString = 16

// eqStr reports whether s == k, for a short k.
func eqStr(s, k string) bool {
	if len(s) != len(k) {
		return false
	}
	for i := 0; i < len(k); i++ {
		if s[i] != k[i] {
			return false
		}
	}
	return true
}

// eqShortString compares the string field v reads with the short literal
// k (!= when neg).
func eqShortString(v Value, k string, neg bool) (boolFn, bool) {
	o0, o1, two, ok := fusable(v)
	if !ok {
		return nil, false
	}
	name := v.name
	switch {
	case !two && !neg:
		return func(p unsafe.Pointer) bool { return eqStr(*(*string)(unsafe.Add(p, o0)), k) }, true
	case !two && neg:
		return func(p unsafe.Pointer) bool { return !eqStr(*(*string)(unsafe.Add(p, o0)), k) }, true
	case two && !neg:
		return func(p unsafe.Pointer) bool {
			q := *(*unsafe.Pointer)(unsafe.Add(p, o0))
			if q == nil {
				panic(NilMember{name})
			}
			return eqStr(*(*string)(unsafe.Add(q, o1)), k)
		}, true
	default:
		return func(p unsafe.Pointer) bool {
			q := *(*unsafe.Pointer)(unsafe.Add(p, o0))
			if q == nil {
				panic(NilMember{name})
			}
			return !eqStr(*(*string)(unsafe.Add(q, o1)), k)
		}, true
	}
}

// literalCompare lowers `field == literal` and `field != literal` (either
// side) into one closure.
func literalCompare(x *ast.BinaryNode, a, b Value) (boolFn, bool) {
	v, lit := a, x.Right
	if !isLit(x.Right) {
		v, lit = b, x.Left
	}
	neg := x.Operator == "!="
	switch c := lit.(type) {
	case *ast.StringNode:
		if _, ok := v.Fn.(strFn); ok {
			if len(c.Value) <= shortString {
				return eqShortString(v, c.Value, neg)
			}
			return eqField(v, c.Value, neg)
		}
	case *ast.IntegerNode:
		if _, ok := v.Fn.(intFn); ok {
			return eqField(v, c.Value, neg)
		}
	case *ast.BoolNode:
		if _, ok := v.Fn.(boolFn); ok {
			return eqField(v, c.Value, neg)
		}
	}
	return nil, false
}

func isLit(n ast.Node) bool {
	switch n.(type) {
	case *ast.StringNode, *ast.IntegerNode, *ast.BoolNode:
		return true
	}
	return false
}

// notField lowers `not field` for a bool field path.
func notField(v Value) (boolFn, bool) {
	if _, ok := v.Fn.(boolFn); !ok {
		return nil, false
	}
	return eqField(v, false, false)
}

// shortSet is the most members a constant set may have to be tested by
// comparing with each in turn rather than by hashing.
const shortSet = 8

// inSet lowers `s in set` (not in, when neg) for a constant set.
func inSet(v Value, set map[string]struct{}, neg bool) boolFn {
	f := v.Fn.(strFn)
	if len(set) > shortSet {
		// Members grouped by length: most strings are ruled out by their
		// length alone, the rest are compared with the few of theirs, with
		// no hashing (a table of carriers has a dozen long names).
		byLen := map[int][]string{}
		longest := 0
		for k := range set {
			byLen[len(k)] = append(byLen[len(k)], k)
			longest = max(longest, len(k))
		}
		if longest > 256 {
			if neg {
				return func(p unsafe.Pointer) bool { _, in := set[f(p)]; return !in }
			}
			return func(p unsafe.Pointer) bool { _, in := set[f(p)]; return in }
		}
		table := make([][]string, longest+1)
		for n, ks := range byLen {
			table[n] = ks
		}
		if neg {
			return func(p unsafe.Pointer) bool { return !inTable(table, f(p)) }
		}
		return func(p unsafe.Pointer) bool { return inTable(table, f(p)) }
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	o0, o1, two, ok := fusable(v)
	name := v.name
	switch {
	case ok && neg:
		return func(p unsafe.Pointer) bool { return !member(keys, *(*string)(fieldAt(p, o0, o1, two, name))) }
	case ok:
		return func(p unsafe.Pointer) bool { return member(keys, *(*string)(fieldAt(p, o0, o1, two, name))) }
	case neg:
		return func(p unsafe.Pointer) bool { return !member(keys, f(p)) }
	}
	return func(p unsafe.Pointer) bool { return member(keys, f(p)) }
}

// inTable reports whether s is in a set grouped by length.
func inTable(table [][]string, s string) bool {
	return len(s) < len(table) && member(table[len(s)], s)
}

func member(keys []string, s string) bool {
	for _, k := range keys {
		if len(s) != len(k) {
			continue
		}
		// Short codes (RTX, Y, IMMEDIATE) byte by byte, in line.
		if len(k) <= shortString && eqStr(s, k) || len(k) > shortString && s == k {
			return true
		}
	}
	return false
}

// operands returns the operands of a chain of one logical operator
// (`a and b and c` is ((a and b) and c)), left to right.
func operands(n ast.Node, and bool) []ast.Node {
	if b, ok := n.(*ast.BinaryNode); ok && isLogic(b.Operator, and) {
		return append(operands(b.Left, and), operands(b.Right, and)...)
	}
	return []ast.Node{n}
}

func isLogic(op string, and bool) bool {
	if and {
		return op == "and" || op == "&&"
	}
	return op == "or" || op == "||"
}

// chain lowers a chain of and (or) into one closure, evaluating left to
// right and stopping at the first false (true) operand, as expr does.
func (c *lowerer) chain(x *ast.BinaryNode, env *scope, and bool) (Value, bool) {
	ns := operands(x, and)
	fs := make([]boolFn, len(ns))
	for i, n := range ns {
		v, ok := c.node(n, env)
		if !ok {
			return c.fail(x)
		}
		f, ok := v.Fn.(boolFn)
		if !ok {
			return c.fail(x)
		}
		fs[i] = f
	}
	var f boolFn
	if and {
		switch len(fs) {
		case 2:
			a, b := fs[0], fs[1]
			f = func(p unsafe.Pointer) bool { return a(p) && b(p) }
		case 3:
			a, b, d := fs[0], fs[1], fs[2]
			f = func(p unsafe.Pointer) bool { return a(p) && b(p) && d(p) }
		case 4:
			a, b, d, e := fs[0], fs[1], fs[2], fs[3]
			f = func(p unsafe.Pointer) bool { return a(p) && b(p) && d(p) && e(p) }
		default:
			f = func(p unsafe.Pointer) bool {
				for _, g := range fs {
					if !g(p) {
						return false
					}
				}
				return true
			}
		}
	} else {
		switch len(fs) {
		case 2:
			a, b := fs[0], fs[1]
			f = func(p unsafe.Pointer) bool { return a(p) || b(p) }
		case 3:
			a, b, d := fs[0], fs[1], fs[2]
			f = func(p unsafe.Pointer) bool { return a(p) || b(p) || d(p) }
		default:
			f = func(p unsafe.Pointer) bool {
				for _, g := range fs {
					if g(p) {
						return true
					}
				}
				return false
			}
		}
	}
	return Value{Type: boolType, Fn: f}, true
}

// caseCompare lowers `s != upper(s)` and `s == upper(s)` (either side, or
// lower) for the same string expression s into one closure that reads s
// once and looks for a letter the case change would change, with no new
// string: what a normalize rule tests on every line (`line.serviceType !=
// upper(line.serviceType)`). A string that is not ASCII is compared with
// its case change as expr does.
func (c *lowerer) caseCompare(x *ast.BinaryNode, env *scope) (boolFn, bool) {
	call, other := x.Right, x.Left
	if _, ok := call.(*ast.BuiltinNode); !ok {
		call, other = x.Left, x.Right
	}
	b, ok := call.(*ast.BuiltinNode)
	if !ok || (b.Name != "upper" && b.Name != "lower") || len(b.Arguments) != 1 || b.Arguments[0].String() != other.String() {
		return nil, false
	}
	v, ok := c.node(other, env)
	if !ok {
		return nil, false
	}
	f, ok := v.Fn.(strFn)
	if !ok {
		return nil, false
	}
	changes := upperChanges
	if b.Name == "lower" {
		changes = lowerChanges
	}
	if x.Operator == "==" {
		return func(p unsafe.Pointer) bool { return !changes(f(p)) }, true
	}
	return func(p unsafe.Pointer) bool { return changes(f(p)) }, true
}

// upperChanges reports whether strings.ToUpper(s) != s.
func upperChanges(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return strings.ToUpper(s) != s
		}
		if 'a' <= c && c <= 'z' {
			return true
		}
	}
	return false
}

// lowerChanges reports whether strings.ToLower(s) != s.
func lowerChanges(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return strings.ToLower(s) != s
		}
		if 'A' <= c && c <= 'Z' {
			return true
		}
	}
	return false
}

// blankCompare lowers `trim(s) == ""` and `trim(s) != ""` (either side)
// into one closure that looks for a byte TrimSpace would keep, with no
// call for trim or the comparison: the rules of a line test five fields
// for blanks.
func (c *lowerer) blankCompare(x *ast.BinaryNode, env *scope) (boolFn, bool) {
	call, lit := x.Left, x.Right
	if _, ok := lit.(*ast.StringNode); !ok {
		call, lit = x.Right, x.Left
	}
	k, ok := lit.(*ast.StringNode)
	b, ok2 := call.(*ast.BuiltinNode)
	if !ok || !ok2 || k.Value != "" || b.Name != "trim" || len(b.Arguments) != 1 {
		return nil, false
	}
	v, ok := c.node(b.Arguments[0], env)
	if !ok {
		return nil, false
	}
	f, ok := v.Fn.(strFn)
	if !ok {
		return nil, false
	}
	o0, o1, two, fused := fusable(v)
	name := v.name
	switch {
	case fused && x.Operator == "==":
		return func(p unsafe.Pointer) bool { return blank(*(*string)(fieldAt(p, o0, o1, two, name))) }, true
	case fused:
		return func(p unsafe.Pointer) bool { return !blank(*(*string)(fieldAt(p, o0, o1, two, name))) }, true
	case x.Operator == "==":
		return func(p unsafe.Pointer) bool { return blank(f(p)) }, true
	}
	return func(p unsafe.Pointer) bool { return !blank(f(p)) }, true
}

// blank reports whether strings.TrimSpace(s) == "".
func blank(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= utf8.RuneSelf:
			return strings.TrimSpace(s[i:]) == ""
		case c != ' ' && (c < '\t' || c > '\r'):
			return false
		}
	}
	return true
}
