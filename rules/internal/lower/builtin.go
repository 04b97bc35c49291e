package lower

import (
	"reflect"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/expr-lang/expr/ast"
)

func (c *lowerer) builtin(x *ast.BuiltinNode, env *scope) (Value, bool) {
	switch x.Name {
	case "all", "any", "none", "one", "count":
		return c.quantifier(x, env)
	}
	if len(x.Arguments) != 1 {
		return c.fail(x)
	}
	a, ok := c.node(x.Arguments[0], env)
	if !ok {
		return Value{}, false
	}
	switch x.Name {
	case "len":
		switch f := a.Fn.(type) {
		case strFn:
			// expr's len counts runes.
			return Value{Type: intType, Fn: intFn(func(p unsafe.Pointer) int { return utf8.RuneCountInString(f(p)) })}, true
		case func(unsafe.Pointer) []int:
			return Value{Type: intType, Fn: intFn(func(p unsafe.Pointer) int { return len(f(p)) })}, true
		case func(unsafe.Pointer) []string:
			return Value{Type: intType, Fn: intFn(func(p unsafe.Pointer) int { return len(f(p)) })}, true
		case Slice:
			return Value{Type: intType, Fn: intFn(func(p unsafe.Pointer) int { return f(p).len })}, true
		}
	case "upper", "lower", "trim":
		f, ok := a.Fn.(strFn)
		if !ok {
			return c.fail(x)
		}
		op := map[string]func(string) string{"upper": strings.ToUpper, "lower": strings.ToLower, "trim": strings.TrimSpace}[x.Name]
		return Value{Type: stringType, Fn: strFn(func(p unsafe.Pointer) string { return op(f(p)) })}, true
	}
	return c.fail(x)
}

// quantifier lowers all, any, none, one and count over a list of structs
// (order.lines) whose predicate reads only the element: `count(order.lines,
// .kind == "TRIAL")`. A predicate that also reads the environment runs on
// the VM.
func (c *lowerer) quantifier(x *ast.BuiltinNode, env *scope) (Value, bool) {
	if len(x.Arguments) != 2 {
		return c.fail(x)
	}
	list, ok := c.node(x.Arguments[0], env)
	if !ok {
		return Value{}, false
	}
	items, ok := list.Fn.(Slice)
	if !ok {
		return c.fail(x)
	}
	closure, ok := x.Arguments[1].(*ast.PredicateNode)
	if !ok {
		return c.fail(x)
	}
	et := list.Type.Elem()
	byPointer := isStructPtr(et)
	if byPointer {
		c.mayPanic = true // a nil element fails the rule, as on the VM
	} else {
		et = reflect.PointerTo(et)
	}
	size := et.Elem().Size()
	pv, ok := c.node(closure.Node, &scope{elem: et})
	if !ok {
		return Value{}, false
	}
	pred, ok := pv.Fn.(boolFn)
	if !ok {
		return c.fail(x)
	}
	// elem returns the address of element i of the slice h.
	elem := func(h sliceHeader, i int) unsafe.Pointer {
		if byPointer {
			e := *(*unsafe.Pointer)(unsafe.Add(h.data, uintptr(i)*unsafe.Sizeof(uintptr(0))))
			if e == nil {
				panic(NilMember{Field: "an element of the list"})
			}
			return e
		}
		return unsafe.Add(h.data, uintptr(i)*size)
	}
	count := func(p unsafe.Pointer, stopAt int) int {
		h := items(p)
		n := 0
		for i := 0; i < h.len; i++ {
			if pred(elem(h, i)) {
				if n++; n == stopAt {
					break
				}
			}
		}
		return n
	}
	var f any
	switch x.Name {
	case "count":
		f = intFn(func(p unsafe.Pointer) int { return count(p, -1) })
	case "any":
		f = boolFn(func(p unsafe.Pointer) bool { return count(p, 1) == 1 })
	case "none":
		f = boolFn(func(p unsafe.Pointer) bool { return count(p, 1) == 0 })
	case "one":
		f = boolFn(func(p unsafe.Pointer) bool { return count(p, 2) == 1 })
	case "all":
		f = boolFn(func(p unsafe.Pointer) bool {
			h := items(p)
			for i := 0; i < h.len; i++ {
				if !pred(elem(h, i)) {
					return false
				}
			}
			return true
		})
	}
	if x.Name == "count" {
		return Value{Type: intType, Fn: f}, true
	}
	return Value{Type: boolType, Fn: f}, true
}

// call binds a vocabulary function to its lowered arguments.
func (c *lowerer) call(x *ast.CallNode, env *scope) (Value, bool) {
	id, ok := x.Callee.(*ast.IdentifierNode)
	if !ok {
		return c.fail(x)
	}
	bind := c.funcs[id.Value]
	if bind == nil {
		return c.fail(x)
	}
	args := make([]Value, len(x.Arguments))
	for i, a := range x.Arguments {
		if args[i], ok = c.node(a, env); !ok {
			return Value{}, false
		}
	}
	v, ok := bind(args)
	if !ok {
		return c.fail(x)
	}
	return v, true
}
