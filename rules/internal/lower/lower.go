package lower

import (
	"fmt"
	"reflect"
	"strings"
	"unsafe"

	"github.com/expr-lang/expr/ast"

	"github.com/entitle-rules/entitle/domain"
)

// Func holds a lowered expression. At most one of B, S, D is set, by the
// expression's type; Any is set for every lowered expression.
type Func struct {
	// Safe is true when no field is read from a vocabulary call's result,
	// so the closure cannot meet a nil and needs no recover.
	Safe bool
	B    func(env unsafe.Pointer) bool
	S    func(env unsafe.Pointer) string
	D    func(env unsafe.Pointer) domain.Date
	I    func(env unsafe.Pointer) int
	Any  func(env unsafe.Pointer) any
}

// Lowered reports whether f holds a closure.
func (f Func) Lowered() bool { return f.Any != nil }

// NilMember is what a lowered field read of a nil struct pointer (only a
// vocabulary call can return one) panics with; the evaluator recovers it into
// a rule error, as the VM reports one.
type NilMember struct{ Field string }

func (e NilMember) Error() string { return "cannot fetch " + e.Field + " from nil" }

// Lower returns the closures for n evaluated against an environment of type
// env (a pointer to a struct), calling vocabulary functions through funcs
// and filling lazy fields (see Lazy) before they are read.
// When n has a shape it does not handle, the Func is empty and why names the
// first node that stopped it.
func Lower(n ast.Node, env reflect.Type, funcs map[string]Binder, lazy Lazy) (f Func, why string) {
	c := &lowerer{funcs: funcs, lazy: lazy}
	l, ok := c.node(n, &scope{typ: env})
	if !ok {
		return Func{}, c.why
	}
	f = Func{Safe: !mayBeNil(n, env) && !c.mayPanic}
	switch fn := l.Fn.(type) {
	case boolFn:
		f.B, f.Any = fn, func(p unsafe.Pointer) any { return fn(p) }
	case strFn:
		f.S, f.Any = fn, func(p unsafe.Pointer) any { return fn(p) }
	case dateFn:
		f.D, f.Any = fn, func(p unsafe.Pointer) any { return fn(p) }
	case intFn:
		f.I, f.Any = fn, func(p unsafe.Pointer) any { return fn(p) }
	default:
		return Func{}, "its result, of type " + l.Type.String()
	}
	return f, ""
}

// lowerer lowers one expression and remembers why it could not.
type lowerer struct {
	funcs map[string]Binder
	lazy  Lazy
	why   string
	// mayPanic is set when a closure may meet a nil (an element of a list
	// of pointers), so the evaluator must recover.
	mayPanic bool
}

// fail records the first node that could not be lowered.
func (c *lowerer) fail(n ast.Node) (Value, bool) {
	if c.why == "" {
		c.why = describe(n)
	}
	return Value{}, false
}

func describe(n ast.Node) string {
	s := n.String()
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	t := strings.TrimPrefix(fmt.Sprintf("%T", n), "*ast.")
	return fmt.Sprintf("%s %q (column %d)", t, s, n.Location().From+1)
}

func (c *lowerer) node(n ast.Node, env *scope) (Value, bool) {
	switch x := n.(type) {
	case *ast.BoolNode:
		v := x.Value
		return Value{Type: boolType, Fn: boolFn(func(unsafe.Pointer) bool { return v })}, true
	case *ast.IntegerNode:
		v := x.Value
		return Value{Type: intType, Fn: intFn(func(unsafe.Pointer) int { return v })}, true
	case *ast.StringNode:
		v := x.Value
		return Value{Type: stringType, Fn: strFn(func(unsafe.Pointer) string { return v })}, true
	case *ast.ConstantNode:
		switch v := x.Value.(type) {
		case map[string]struct{}:
			return Value{Type: setType, Fn: v}, true
		case []any:
			return Value{Type: anysType, Fn: func(unsafe.Pointer) []any { return v }}, true
		}
	case *ast.ArrayNode:
		vals := make([]any, len(x.Nodes))
		for i, e := range x.Nodes {
			s, ok := e.(*ast.StringNode)
			if !ok {
				return c.fail(e)
			}
			vals[i] = s.Value
		}
		return Value{Type: anysType, Fn: func(unsafe.Pointer) []any { return vals }}, true
	case *ast.VariableDeclaratorNode:
		// let name = value; expr: the vocabulary is pure, so each use of
		// name evaluates value again instead of needing a slot.
		v, ok := c.node(x.Value, env)
		if !ok {
			return Value{}, false
		}
		return c.node(x.Expr, env.with(x.Name, v))
	case *ast.IdentifierNode:
		if v, ok := env.vars[x.Value]; ok {
			return v, true
		}
		if env.typ == nil {
			return c.fail(n) // inside a predicate, only the element is in reach
		}
		f, ok := fieldByTag(env.typ, x.Value)
		if !ok {
			return c.fail(n)
		}
		return c.readField(Value{path: []uintptr{}}, env.typ.Elem(), f, x.Value, n)
	case *ast.PointerNode:
		if env.elem == nil || x.Name != "" {
			return c.fail(n)
		}
		return Value{Type: env.elem, Fn: Ptr(func(p unsafe.Pointer) unsafe.Pointer { return p }), path: []uintptr{}}, true
	case *ast.MemberNode:
		return c.member(x, env)
	case *ast.UnaryNode:
		return c.unary(x, env)
	case *ast.BinaryNode:
		return c.binary(x, env)
	case *ast.CallNode:
		return c.call(x, env)
	case *ast.BuiltinNode:
		return c.builtin(x, env)
	case *ast.ConditionalNode:
		return c.conditional(x, env)
	}
	return c.fail(n)
}

// scope is what names mean while lowering: the environment type (nil inside
// a predicate), the element type inside a predicate, and the variables of
// enclosing let declarations.
type scope struct {
	typ  reflect.Type
	elem reflect.Type
	vars map[string]Value
}

func (s *scope) with(name string, v Value) *scope {
	vars := make(map[string]Value, len(s.vars)+1)
	for k, w := range s.vars {
		vars[k] = w
	}
	vars[name] = v
	return &scope{typ: s.typ, elem: s.elem, vars: vars}
}

// mayBeNil reports whether n reads a field (without ?.) from a value a
// vocabulary call returned, which may be nil. Environment roots never are.
func mayBeNil(n ast.Node, env reflect.Type) bool {
	found := false
	ast.Walk(&n, visitFunc(func(np *ast.Node) {
		if m, ok := (*np).(*ast.MemberNode); ok && !m.Optional {
			if _, isCall := m.Node.(*ast.CallNode); isCall {
				found = true
			}
			if id, isID := m.Node.(*ast.IdentifierNode); isID {
				if _, root := fieldByTag(env, id.Value); !root {
					found = true // a let variable bound to a call
				}
			}
		}
	}))
	return found
}

type visitFunc func(*ast.Node)

func (f visitFunc) Visit(n *ast.Node) { f(n) }

// fieldByTag finds the field of struct pointer type t whose expr tag (or
// name) is name.
func fieldByTag(t reflect.Type, name string) (reflect.StructField, bool) {
	if t == nil || !isStructPtr(t) {
		return reflect.StructField{}, false
	}
	st := t.Elem()
	for i := 0; i < st.NumField(); i++ {
		f := st.Field(i)
		if !f.IsExported() {
			continue
		}
		if tag := f.Tag.Get("expr"); tag == name || (tag == "" && f.Name == name) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// FieldPath returns the chain of field offsets from a pointer of type env to
// the field named by the dotted path of expr tags ("line.serviceStartDate")
// and that field's type. Every step but the last must be a struct pointer.
func FieldPath(env reflect.Type, path string) ([]uintptr, reflect.Type, bool) {
	var offs []uintptr
	t := env
	parts := strings.Split(path, ".")
	for i, name := range parts {
		f, ok := fieldByTag(t, name)
		if !ok {
			return nil, nil, false
		}
		offs = append(offs, f.Offset)
		if i < len(parts)-1 && !isStructPtr(f.Type) {
			return nil, nil, false
		}
		t = f.Type
	}
	return offs, t, true
}

// Addr returns the address at the end of path from env (see FieldPath), or
// nil when a pointer on the way is nil.
func Addr(env unsafe.Pointer, path []uintptr) unsafe.Pointer {
	p := env
	last := len(path) - 1
	for _, o := range path[:last] {
		if p = *(*unsafe.Pointer)(unsafe.Add(p, o)); p == nil {
			return nil
		}
	}
	return unsafe.Add(p, path[last])
}

// readField returns a closure reading field f of the struct base points to.
// When base is a field path from the environment the whole path is read in
// one closure. A nil pointer on the way (only a vocabulary call can return
// one) panics with NilMember, which the evaluator reports as a rule error.
func (c *lowerer) readField(base Value, owner reflect.Type, f reflect.StructField, name string, at ast.Node) (Value, bool) {
	var path []uintptr
	var bp Ptr
	if base.path != nil {
		path = append(append([]uintptr{}, base.path...), f.Offset)
	} else {
		bp = base.Fn.(Ptr)
	}
	if fill := c.lazy.fill(owner, name); fill != nil {
		return c.lazyField(path, bp, f, name, fill, at)
	}
	switch f.Type {
	case boolType:
		return Value{Type: boolType, Fn: reader[bool](path, bp, f.Offset, name), path: path, name: name}, true
	case intType:
		return Value{Type: intType, Fn: reader[int](path, bp, f.Offset, name), path: path, name: name}, true
	case stringType:
		return Value{Type: stringType, Fn: reader[string](path, bp, f.Offset, name), path: path, name: name}, true
	case dateType:
		return Value{Type: dateType, Fn: reader[domain.Date](path, bp, f.Offset, name), path: path, name: name}, true
	case intsType:
		return Value{Type: intsType, Fn: reader[[]int](path, bp, f.Offset, name)}, true
	case stringsType:
		return Value{Type: stringsType, Fn: reader[[]string](path, bp, f.Offset, name)}, true
	}
	if isStructPtr(f.Type) {
		return Value{Type: f.Type, Fn: Ptr(reader[unsafe.Pointer](path, bp, f.Offset, name)), path: path}, true
	}
	if f.Type.Kind() == reflect.Slice {
		if e := f.Type.Elem(); e.Kind() == reflect.Struct || isStructPtr(e) {
			return Value{Type: f.Type, Fn: Slice(reader[sliceHeader](path, bp, f.Offset, name))}, true
		}
	}
	return c.fail(at)
}

// reader reads a T at the end of path (offsets from the environment, each
// but the last through a pointer), or at off in what base returns.
func reader[T any](path []uintptr, base Ptr, off uintptr, name string) func(unsafe.Pointer) T {
	if path == nil {
		return func(p unsafe.Pointer) T {
			q := base(p)
			if q == nil {
				panic(NilMember{name})
			}
			return *(*T)(unsafe.Add(q, off))
		}
	}
	switch len(path) {
	case 1:
		o0 := path[0]
		return func(p unsafe.Pointer) T { return *(*T)(unsafe.Add(p, o0)) }
	case 2:
		o0, o1 := path[0], path[1]
		return func(p unsafe.Pointer) T {
			q := *(*unsafe.Pointer)(unsafe.Add(p, o0))
			if q == nil {
				panic(NilMember{name})
			}
			return *(*T)(unsafe.Add(q, o1))
		}
	}
	last := len(path) - 1
	return func(p unsafe.Pointer) T {
		for _, o := range path[:last] {
			if p = *(*unsafe.Pointer)(unsafe.Add(p, o)); p == nil {
				panic(NilMember{name})
			}
		}
		return *(*T)(unsafe.Add(p, path[last]))
	}
}

func (c *lowerer) member(x *ast.MemberNode, env *scope) (Value, bool) {
	prop, ok := x.Property.(*ast.StringNode)
	if !ok || x.Optional || x.Method {
		return c.fail(x)
	}
	base, ok := c.node(x.Node, env)
	if !ok {
		return Value{}, false
	}
	if _, ok := base.Fn.(Ptr); !ok {
		return c.fail(x)
	}
	f, ok := fieldByTag(base.Type, prop.Value)
	if !ok {
		return c.fail(x)
	}
	return c.readField(base, base.Type.Elem(), f, prop.Value, x)
}

// LeafField returns the struct type holding the last field of the dotted
// path of expr tags from a pointer of type env, and that field's offset in
// it: what identifies the field whatever pointer reaches it, so a write
// through one path can be matched with a read through another.
func LeafField(env reflect.Type, path string) (owner reflect.Type, off uintptr, ok bool) {
	t := env
	parts := strings.Split(path, ".")
	for i, name := range parts {
		f, found := fieldByTag(t, name)
		if !found {
			return nil, 0, false
		}
		if i == len(parts)-1 {
			return t.Elem(), f.Offset, true
		}
		if !isStructPtr(f.Type) {
			return nil, 0, false
		}
		t = f.Type
	}
	return nil, 0, false
}
