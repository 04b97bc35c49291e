package lower

import (
	"unsafe"

	"github.com/expr-lang/expr/ast"

	"github.com/entitle-rules/entitle/domain"
)

func (c *lowerer) unary(x *ast.UnaryNode, env *scope) (Value, bool) {
	v, ok := c.node(x.Node, env)
	if !ok {
		return c.fail(x)
	}
	switch x.Operator {
	case "not", "!":
		if in, ok := x.Node.(*ast.BinaryNode); ok && in.Operator == "in" {
			if f, ok := c.membership(in, env, true); ok {
				return Value{Type: boolType, Fn: f}, true
			}
		}
		if f, ok := notField(v); ok {
			return Value{Type: boolType, Fn: f}, true
		}
		if call, ok := x.Node.(*ast.CallNode); ok {
			if f, ok := c.negatedCall(call, env); ok {
				return Value{Type: boolType, Fn: f}, true
			}
		}
		if f, ok := v.Fn.(boolFn); ok {
			return Value{Type: boolType, Fn: boolFn(func(p unsafe.Pointer) bool { return !f(p) })}, true
		}
	case "-":
		if f, ok := v.Fn.(intFn); ok {
			return Value{Type: intType, Fn: intFn(func(p unsafe.Pointer) int { return -f(p) })}, true
		}
	}
	return c.fail(x)
}

func (c *lowerer) binary(x *ast.BinaryNode, env *scope) (Value, bool) {
	if x.Operator == "??" {
		return c.coalesce(x, env)
	}
	if isLogic(x.Operator, true) || isLogic(x.Operator, false) {
		return c.chain(x, env, isLogic(x.Operator, true))
	}
	if x.Operator == "==" || x.Operator == "!=" {
		if l, ok := c.nilCompare(x, env); ok {
			return l, true
		}
		if f, ok := c.caseCompare(x, env); ok {
			return Value{Type: boolType, Fn: f}, true
		}
		if f, ok := c.blankCompare(x, env); ok {
			return Value{Type: boolType, Fn: f}, true
		}
	}
	a, ok := c.node(x.Left, env)
	if !ok {
		return c.fail(x)
	}
	b, ok := c.node(x.Right, env)
	if !ok {
		return c.fail(x)
	}
	switch x.Operator {
	case "and", "&&", "or", "||":
		l, ok1 := a.Fn.(boolFn)
		r, ok2 := b.Fn.(boolFn)
		if !ok1 || !ok2 {
			return c.fail(x)
		}
		if x.Operator == "and" || x.Operator == "&&" {
			return Value{Type: boolType, Fn: boolFn(func(p unsafe.Pointer) bool { return l(p) && r(p) })}, true
		}
		return Value{Type: boolType, Fn: boolFn(func(p unsafe.Pointer) bool { return l(p) || r(p) })}, true
	case "in":
		_, ok1 := a.Fn.(strFn)
		set, ok2 := b.Fn.(map[string]struct{})
		if !ok1 || !ok2 {
			return c.fail(x)
		}
		return Value{Type: boolType, Fn: inSet(a, set, false)}, true
	case "==", "!=":
		if f, ok := literalCompare(x, a, b); ok {
			return Value{Type: boolType, Fn: f}, true
		}
		eq, ok := equalConst(x, a, b)
		if !ok {
			eq, ok = equality(a, b)
		}
		if !ok {
			return c.fail(x)
		}
		if x.Operator == "!=" {
			return Value{Type: boolType, Fn: boolFn(func(p unsafe.Pointer) bool { return !eq(p) })}, true
		}
		return Value{Type: boolType, Fn: eq}, true
	case "<", "<=", ">", ">=":
		l, ok1 := a.Fn.(intFn)
		r, ok2 := b.Fn.(intFn)
		if !ok1 || !ok2 {
			return c.fail(x)
		}
		var f boolFn
		switch x.Operator {
		case "<":
			f = func(p unsafe.Pointer) bool { return l(p) < r(p) }
		case "<=":
			f = func(p unsafe.Pointer) bool { return l(p) <= r(p) }
		case ">":
			f = func(p unsafe.Pointer) bool { return l(p) > r(p) }
		default:
			f = func(p unsafe.Pointer) bool { return l(p) >= r(p) }
		}
		return Value{Type: boolType, Fn: f}, true
	case "+":
		if l, ok := a.Fn.(strFn); ok {
			if r, ok := b.Fn.(strFn); ok {
				return Value{Type: stringType, Fn: strFn(func(p unsafe.Pointer) string { return l(p) + r(p) })}, true
			}
		}
		if l, ok := a.Fn.(intFn); ok {
			if r, ok := b.Fn.(intFn); ok {
				return Value{Type: intType, Fn: intFn(func(p unsafe.Pointer) int { return l(p) + r(p) })}, true
			}
		}
	case "-":
		if l, ok := a.Fn.(intFn); ok {
			if r, ok := b.Fn.(intFn); ok {
				return Value{Type: intType, Fn: intFn(func(p unsafe.Pointer) int { return l(p) - r(p) })}, true
			}
		}
	}
	return c.fail(x)
}

// equalConst compares a value with a string or integer literal without a
// call for the literal: most conditions are of this shape.
func equalConst(x *ast.BinaryNode, a, b Value) (boolFn, bool) {
	v, lit := a, x.Right
	if _, isLit := x.Right.(*ast.StringNode); !isLit {
		if _, isLit := x.Right.(*ast.IntegerNode); !isLit {
			v, lit = b, x.Left
		}
	}
	switch c := lit.(type) {
	case *ast.StringNode:
		if f, ok := v.Fn.(strFn); ok {
			k := c.Value
			return func(p unsafe.Pointer) bool { return f(p) == k }, true
		}
	case *ast.IntegerNode:
		if f, ok := v.Fn.(intFn); ok {
			k := c.Value
			return func(p unsafe.Pointer) bool { return f(p) == k }, true
		}
	}
	return nil, false
}

// equality compares two lowered values of one comparable kind.
func equality(a, b Value) (boolFn, bool) {
	switch l := a.Fn.(type) {
	case boolFn:
		if r, ok := b.Fn.(boolFn); ok {
			return func(p unsafe.Pointer) bool { return l(p) == r(p) }, true
		}
	case intFn:
		if r, ok := b.Fn.(intFn); ok {
			return func(p unsafe.Pointer) bool { return l(p) == r(p) }, true
		}
	case strFn:
		if r, ok := b.Fn.(strFn); ok {
			return func(p unsafe.Pointer) bool { return l(p) == r(p) }, true
		}
	}
	return nil, false
}

// nilCompare handles `call(...) == nil` and `!= nil` on struct pointers.
func (c *lowerer) nilCompare(x *ast.BinaryNode, env *scope) (Value, bool) {
	other := x.Left
	if _, isNil := x.Right.(*ast.NilNode); !isNil {
		if _, isNil := x.Left.(*ast.NilNode); !isNil {
			return Value{}, false
		}
		other = x.Right
	}
	v, ok := c.node(other, env)
	if !ok {
		return Value{}, false
	}
	f, ok := v.Fn.(Ptr)
	if !ok {
		return Value{}, false
	}
	if x.Operator == "==" {
		return Value{Type: boolType, Fn: boolFn(func(p unsafe.Pointer) bool { return f(p) == nil })}, true
	}
	return Value{Type: boolType, Fn: boolFn(func(p unsafe.Pointer) bool { return f(p) != nil })}, true
}

// coalesce handles `x?.field ?? fallback`.
func (c *lowerer) coalesce(x *ast.BinaryNode, env *scope) (Value, bool) {
	chain, ok := x.Left.(*ast.ChainNode)
	if !ok {
		return c.fail(x)
	}
	m, ok := chain.Node.(*ast.MemberNode)
	if !ok || !m.Optional {
		return c.fail(x)
	}
	prop, ok := m.Property.(*ast.StringNode)
	if !ok {
		return c.fail(x)
	}
	base, ok := c.node(m.Node, env)
	if !ok {
		return c.fail(x)
	}
	bp, ok := base.Fn.(Ptr)
	if !ok {
		return c.fail(x)
	}
	f, ok := fieldByTag(base.Type, prop.Value)
	if !ok {
		return c.fail(x)
	}
	read, ok := c.readField(base, base.Type.Elem(), f, prop.Value, m)
	if !ok {
		return c.fail(x)
	}
	alt, ok := c.node(x.Right, env)
	if !ok {
		return c.fail(x)
	}
	switch r := read.Fn.(type) {
	case dateFn:
		if a, ok := alt.Fn.(dateFn); ok {
			return Value{Type: dateType, Fn: dateFn(func(p unsafe.Pointer) domain.Date {
				if bp(p) == nil {
					return a(p)
				}
				return r(p)
			})}, true
		}
	case strFn:
		if a, ok := alt.Fn.(strFn); ok {
			return Value{Type: stringType, Fn: strFn(func(p unsafe.Pointer) string {
				if bp(p) == nil {
					return a(p)
				}
				return r(p)
			})}, true
		}
	}
	return c.fail(x)
}

func (c *lowerer) conditional(x *ast.ConditionalNode, env *scope) (Value, bool) {
	cv, ok := c.node(x.Cond, env)
	if !ok {
		return c.fail(x)
	}
	cond, ok := cv.Fn.(boolFn)
	if !ok {
		return c.fail(x)
	}
	a, ok1 := c.node(x.Exp1, env)
	b, ok2 := c.node(x.Exp2, env)
	if !ok1 || !ok2 {
		return c.fail(x)
	}
	switch l := a.Fn.(type) {
	case strFn:
		if r, ok := b.Fn.(strFn); ok {
			return Value{Type: stringType, Fn: strFn(func(p unsafe.Pointer) string {
				if cond(p) {
					return l(p)
				}
				return r(p)
			})}, true
		}
	case dateFn:
		if r, ok := b.Fn.(dateFn); ok {
			return Value{Type: dateType, Fn: dateFn(func(p unsafe.Pointer) domain.Date {
				if cond(p) {
					return l(p)
				}
				return r(p)
			})}, true
		}
	case boolFn:
		if r, ok := b.Fn.(boolFn); ok {
			return Value{Type: boolType, Fn: boolFn(func(p unsafe.Pointer) bool {
				if cond(p) {
					return l(p)
				}
				return r(p)
			})}, true
		}
	}
	return c.fail(x)
}

// membership lowers `s in set` (not in, when neg) for a constant set, or
// reports false for another shape.
func (c *lowerer) membership(x *ast.BinaryNode, env *scope, neg bool) (boolFn, bool) {
	a, ok := c.node(x.Left, env)
	if !ok {
		return nil, false
	}
	b, ok := c.node(x.Right, env)
	if !ok {
		return nil, false
	}
	_, ok1 := a.Fn.(strFn)
	set, ok2 := b.Fn.(map[string]struct{})
	if !ok1 || !ok2 {
		return nil, false
	}
	return inSet(a, set, neg), true
}

// negatedCall lowers `not f(args)` through the negation the vocabulary binds
// for a function returning bool (its binder under "!" + name), so the test
// and its negation are one call.
func (c *lowerer) negatedCall(x *ast.CallNode, env *scope) (boolFn, bool) {
	id, ok := x.Callee.(*ast.IdentifierNode)
	if !ok {
		return nil, false
	}
	bind := c.funcs["!"+id.Value]
	if bind == nil {
		return nil, false
	}
	args := make([]Value, len(x.Arguments))
	for i, a := range x.Arguments {
		if args[i], ok = c.node(a, env); !ok {
			return nil, false
		}
	}
	v, ok := bind(args)
	if !ok {
		return nil, false
	}
	f, ok := v.Fn.(boolFn)
	return f, ok
}
