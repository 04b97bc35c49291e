package rules

import (
	"reflect"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/expr-lang/expr/ast"

	"github.com/entitle-rules/entitle/domain"
)

// The lowering compiler turns a checked expression tree into typed Go
// closures over the environment pointer, so the common rule shapes (a field
// compared with a constant, membership in a table, a vocabulary call) run
// with no interface boxing and no by-name lookups. It handles the node kinds
// below; an expression with any other node keeps running on the expr VM, and
// a test runs every shipped rule both ways and compares the decisions.
//
// Field reads use offsets computed once, at load, from the environment
// structs' reflect types; the environment is always an *OrderEnv or *LineEnv
// the evaluator owns, so every pointer read is to a live object.

// fastFunc holds a lowered expression. At most one of b, s, d is set, by the
// expression's type; anyv is set for every lowered expression.
type fastFunc struct {
	// safe is true when no field is read from a vocabulary call's result,
	// so the closure cannot meet a nil and needs no recover.
	safe bool
	b    func(env unsafe.Pointer) bool
	s    func(env unsafe.Pointer) string
	d    func(env unsafe.Pointer) domain.Date
	anyv func(env unsafe.Pointer) any
}

// errNilMember is what a lowered field read of a nil subscription panics
// with; the evaluator recovers it into a rule error, as the VM reports one.
type errNilMember struct{ field string }

func (e errNilMember) Error() string { return "cannot fetch " + e.field + " from nil" }

// lowered is a closure and the Go type it returns: bool, int, string,
// domain.Date, []int, []any, a set (map[string]struct{}), or a struct pointer
// (returned as unsafe.Pointer, typ says which).
type lowered struct {
	typ reflect.Type
	fn  any
	// path is the chain of field offsets from the environment when the value
	// is a field path (line.serialNumber is [offset of Line, offset of
	// SerialNumber]); reads along a path are fused into one closure.
	path []uintptr
}

var (
	intType     = reflect.TypeOf(0)
	intsType    = reflect.TypeOf([]int(nil))
	anysType    = reflect.TypeOf([]any(nil))
	stringsType = reflect.TypeOf([]string(nil))
	setType     = reflect.TypeOf(map[string]struct{}(nil))
)

type (
	boolFn = func(unsafe.Pointer) bool
	intFn  = func(unsafe.Pointer) int
	strFn  = func(unsafe.Pointer) string
	dateFn = func(unsafe.Pointer) domain.Date
	ptrFn  = func(unsafe.Pointer) unsafe.Pointer
)

// lower returns the closures for n evaluated against env (an *OrderEnv or
// *LineEnv), or an empty fastFunc when n has a shape it does not handle.
func lower(n ast.Node, env reflect.Type) fastFunc {
	l, ok := lowerNode(n, &scope{typ: env})
	if !ok {
		return fastFunc{}
	}
	f := fastFunc{safe: !mayBeNil(n)}
	switch fn := l.fn.(type) {
	case boolFn:
		f.b, f.anyv = fn, func(p unsafe.Pointer) any { return fn(p) }
	case strFn:
		f.s, f.anyv = fn, func(p unsafe.Pointer) any { return fn(p) }
	case dateFn:
		f.d, f.anyv = fn, func(p unsafe.Pointer) any { return fn(p) }
	case intFn:
		f.anyv = func(p unsafe.Pointer) any { return fn(p) }
	default:
		return fastFunc{}
	}
	return f
}

func lowerNode(n ast.Node, env *scope) (lowered, bool) {
	switch x := n.(type) {
	case *ast.BoolNode:
		v := x.Value
		return lowered{typ: boolType, fn: boolFn(func(unsafe.Pointer) bool { return v })}, true
	case *ast.IntegerNode:
		v := x.Value
		return lowered{typ: intType, fn: intFn(func(unsafe.Pointer) int { return v })}, true
	case *ast.StringNode:
		v := x.Value
		return lowered{typ: stringType, fn: strFn(func(unsafe.Pointer) string { return v })}, true
	case *ast.ConstantNode:
		switch v := x.Value.(type) {
		case map[string]struct{}:
			return lowered{typ: setType, fn: v}, true
		case []any:
			return lowered{typ: anysType, fn: func(unsafe.Pointer) []any { return v }}, true
		}
	case *ast.ArrayNode:
		vals := make([]any, len(x.Nodes))
		for i, e := range x.Nodes {
			s, ok := e.(*ast.StringNode)
			if !ok {
				return lowered{}, false
			}
			vals[i] = s.Value
		}
		return lowered{typ: anysType, fn: func(unsafe.Pointer) []any { return vals }}, true
	case *ast.VariableDeclaratorNode:
		// let name = value; expr: the vocabulary is pure, so each use of
		// name evaluates value again instead of needing a slot.
		v, ok := lowerNode(x.Value, env)
		if !ok {
			return lowered{}, false
		}
		return lowerNode(x.Expr, env.with(x.Name, v))
	case *ast.IdentifierNode:
		if v, ok := env.vars[x.Value]; ok {
			return v, true
		}
		f, ok := fieldByTag(env.typ, x.Value)
		if !ok {
			return lowered{}, false
		}
		return readField(lowered{path: []uintptr{}}, f, x.Value)
	case *ast.MemberNode:
		return lowerMember(x, env)
	case *ast.UnaryNode:
		return lowerUnary(x, env)
	case *ast.BinaryNode:
		return lowerBinary(x, env)
	case *ast.CallNode:
		return lowerCall(x, env)
	case *ast.BuiltinNode:
		return lowerBuiltin(x, env)
	case *ast.ConditionalNode:
		return lowerConditional(x, env)
	}
	return lowered{}, false
}

// scope is what names mean while lowering: the environment type, and the
// variables of enclosing let declarations.
type scope struct {
	typ  reflect.Type
	vars map[string]lowered
}

func (s *scope) with(name string, v lowered) *scope {
	vars := make(map[string]lowered, len(s.vars)+1)
	for k, w := range s.vars {
		vars[k] = w
	}
	vars[name] = v
	return &scope{typ: s.typ, vars: vars}
}

// mayBeNil reports whether n reads a field (without ?.) from a value a
// vocabulary call returned, which may be nil. Environment roots never are.
func mayBeNil(n ast.Node) bool {
	found := false
	ast.Walk(&n, visitFunc(func(np *ast.Node) {
		if m, ok := (*np).(*ast.MemberNode); ok && !m.Optional {
			if _, isCall := m.Node.(*ast.CallNode); isCall {
				found = true
			}
			if id, isID := m.Node.(*ast.IdentifierNode); isID && !isRoot(id.Value) {
				found = true // a let variable bound to a call
			}
		}
	}))
	return found
}

func isRoot(name string) bool {
	switch name {
	case "order", "line", "part", "model", "serial", "today", "todayUTC":
		return true
	}
	return false
}

type visitFunc func(*ast.Node)

func (f visitFunc) Visit(n *ast.Node) { f(n) }

// fieldByTag finds the field of struct pointer type t whose expr tag (or
// name) is name.
func fieldByTag(t reflect.Type, name string) (reflect.StructField, bool) {
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
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

// readField returns a closure reading field f of the struct base points to.
// When base is a field path from the environment the whole path is read in
// one closure. A nil pointer on the way (only a vocabulary call can return
// one) panics with errNilMember, which the evaluator reports as a rule error.
func readField(base lowered, f reflect.StructField, name string) (lowered, bool) {
	var path []uintptr
	var bp ptrFn
	if base.path != nil {
		path = append(append([]uintptr{}, base.path...), f.Offset)
	} else {
		bp = base.fn.(ptrFn)
	}
	switch f.Type {
	case boolType:
		return lowered{typ: boolType, fn: reader[bool](path, bp, f.Offset, name)}, true
	case intType:
		return lowered{typ: intType, fn: reader[int](path, bp, f.Offset, name)}, true
	case stringType:
		return lowered{typ: stringType, fn: reader[string](path, bp, f.Offset, name)}, true
	case dateType:
		return lowered{typ: dateType, fn: reader[domain.Date](path, bp, f.Offset, name)}, true
	case intsType:
		return lowered{typ: intsType, fn: reader[[]int](path, bp, f.Offset, name)}, true
	case stringsType:
		return lowered{typ: stringsType, fn: reader[[]string](path, bp, f.Offset, name)}, true
	}
	if f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct {
		return lowered{typ: f.Type, fn: ptrFn(reader[unsafe.Pointer](path, bp, f.Offset, name)), path: path}, true
	}
	return lowered{}, false
}

// reader reads a T at the end of path (offsets from the environment, each
// but the last through a pointer), or at off in what base returns.
func reader[T any](path []uintptr, base ptrFn, off uintptr, name string) func(unsafe.Pointer) T {
	if path == nil {
		return func(p unsafe.Pointer) T {
			q := base(p)
			if q == nil {
				panic(errNilMember{name})
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
				panic(errNilMember{name})
			}
			return *(*T)(unsafe.Add(q, o1))
		}
	}
	last := len(path) - 1
	return func(p unsafe.Pointer) T {
		for _, o := range path[:last] {
			if p = *(*unsafe.Pointer)(unsafe.Add(p, o)); p == nil {
				panic(errNilMember{name})
			}
		}
		return *(*T)(unsafe.Add(p, path[last]))
	}
}

func lowerMember(x *ast.MemberNode, env *scope) (lowered, bool) {
	prop, ok := x.Property.(*ast.StringNode)
	if !ok || x.Optional || x.Method {
		return lowered{}, false
	}
	base, ok := lowerNode(x.Node, env)
	if !ok {
		return lowered{}, false
	}
	if _, ok := base.fn.(ptrFn); !ok {
		return lowered{}, false
	}
	f, ok := fieldByTag(base.typ, prop.Value)
	if !ok {
		return lowered{}, false
	}
	return readField(base, f, prop.Value)
}

func lowerUnary(x *ast.UnaryNode, env *scope) (lowered, bool) {
	v, ok := lowerNode(x.Node, env)
	if !ok {
		return lowered{}, false
	}
	switch x.Operator {
	case "not", "!":
		if f, ok := v.fn.(boolFn); ok {
			return lowered{typ: boolType, fn: boolFn(func(p unsafe.Pointer) bool { return !f(p) })}, true
		}
	case "-":
		if f, ok := v.fn.(intFn); ok {
			return lowered{typ: intType, fn: intFn(func(p unsafe.Pointer) int { return -f(p) })}, true
		}
	}
	return lowered{}, false
}

func lowerBinary(x *ast.BinaryNode, env *scope) (lowered, bool) {
	if x.Operator == "??" {
		return lowerCoalesce(x, env)
	}
	if x.Operator == "==" || x.Operator == "!=" {
		if l, ok := lowerNilCompare(x, env); ok {
			return l, true
		}
	}
	a, ok := lowerNode(x.Left, env)
	if !ok {
		return lowered{}, false
	}
	b, ok := lowerNode(x.Right, env)
	if !ok {
		return lowered{}, false
	}
	switch x.Operator {
	case "and", "&&", "or", "||":
		l, ok1 := a.fn.(boolFn)
		r, ok2 := b.fn.(boolFn)
		if !ok1 || !ok2 {
			return lowered{}, false
		}
		if x.Operator == "and" || x.Operator == "&&" {
			return lowered{typ: boolType, fn: boolFn(func(p unsafe.Pointer) bool { return l(p) && r(p) })}, true
		}
		return lowered{typ: boolType, fn: boolFn(func(p unsafe.Pointer) bool { return l(p) || r(p) })}, true
	case "in":
		l, ok1 := a.fn.(strFn)
		set, ok2 := b.fn.(map[string]struct{})
		if !ok1 || !ok2 {
			return lowered{}, false
		}
		return lowered{typ: boolType, fn: boolFn(func(p unsafe.Pointer) bool { _, in := set[l(p)]; return in })}, true
	case "==", "!=":
		eq, ok := equalConst(x, a, b)
		if !ok {
			eq, ok = equality(a, b)
		}
		if !ok {
			return lowered{}, false
		}
		if x.Operator == "!=" {
			return lowered{typ: boolType, fn: boolFn(func(p unsafe.Pointer) bool { return !eq(p) })}, true
		}
		return lowered{typ: boolType, fn: eq}, true
	case "<", "<=", ">", ">=":
		l, ok1 := a.fn.(intFn)
		r, ok2 := b.fn.(intFn)
		if !ok1 || !ok2 {
			return lowered{}, false
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
		return lowered{typ: boolType, fn: f}, true
	case "+":
		if l, ok := a.fn.(strFn); ok {
			if r, ok := b.fn.(strFn); ok {
				return lowered{typ: stringType, fn: strFn(func(p unsafe.Pointer) string { return l(p) + r(p) })}, true
			}
		}
		if l, ok := a.fn.(intFn); ok {
			if r, ok := b.fn.(intFn); ok {
				return lowered{typ: intType, fn: intFn(func(p unsafe.Pointer) int { return l(p) + r(p) })}, true
			}
		}
	case "-":
		if l, ok := a.fn.(intFn); ok {
			if r, ok := b.fn.(intFn); ok {
				return lowered{typ: intType, fn: intFn(func(p unsafe.Pointer) int { return l(p) - r(p) })}, true
			}
		}
	}
	return lowered{}, false
}

// equalConst compares a value with a string or integer literal without a
// call for the literal: most conditions are of this shape.
func equalConst(x *ast.BinaryNode, a, b lowered) (boolFn, bool) {
	v, lit := a, x.Right
	if _, isLit := x.Right.(*ast.StringNode); !isLit {
		if _, isLit := x.Right.(*ast.IntegerNode); !isLit {
			v, lit = b, x.Left
		}
	}
	switch c := lit.(type) {
	case *ast.StringNode:
		if f, ok := v.fn.(strFn); ok {
			k := c.Value
			return func(p unsafe.Pointer) bool { return f(p) == k }, true
		}
	case *ast.IntegerNode:
		if f, ok := v.fn.(intFn); ok {
			k := c.Value
			return func(p unsafe.Pointer) bool { return f(p) == k }, true
		}
	}
	return nil, false
}

// equality compares two lowered values of one comparable kind.
func equality(a, b lowered) (boolFn, bool) {
	switch l := a.fn.(type) {
	case boolFn:
		if r, ok := b.fn.(boolFn); ok {
			return func(p unsafe.Pointer) bool { return l(p) == r(p) }, true
		}
	case intFn:
		if r, ok := b.fn.(intFn); ok {
			return func(p unsafe.Pointer) bool { return l(p) == r(p) }, true
		}
	case strFn:
		if r, ok := b.fn.(strFn); ok {
			return func(p unsafe.Pointer) bool { return l(p) == r(p) }, true
		}
	}
	return nil, false
}

// lowerNilCompare handles `call(...) == nil` and `!= nil` on struct pointers.
func lowerNilCompare(x *ast.BinaryNode, env *scope) (lowered, bool) {
	other := x.Left
	if _, isNil := x.Right.(*ast.NilNode); !isNil {
		if _, isNil := x.Left.(*ast.NilNode); !isNil {
			return lowered{}, false
		}
		other = x.Right
	}
	v, ok := lowerNode(other, env)
	if !ok {
		return lowered{}, false
	}
	f, ok := v.fn.(ptrFn)
	if !ok {
		return lowered{}, false
	}
	if x.Operator == "==" {
		return lowered{typ: boolType, fn: boolFn(func(p unsafe.Pointer) bool { return f(p) == nil })}, true
	}
	return lowered{typ: boolType, fn: boolFn(func(p unsafe.Pointer) bool { return f(p) != nil })}, true
}

// lowerCoalesce handles `x?.field ?? fallback`.
func lowerCoalesce(x *ast.BinaryNode, env *scope) (lowered, bool) {
	chain, ok := x.Left.(*ast.ChainNode)
	if !ok {
		return lowered{}, false
	}
	m, ok := chain.Node.(*ast.MemberNode)
	if !ok || !m.Optional {
		return lowered{}, false
	}
	prop, ok := m.Property.(*ast.StringNode)
	if !ok {
		return lowered{}, false
	}
	base, ok := lowerNode(m.Node, env)
	if !ok {
		return lowered{}, false
	}
	bp, ok := base.fn.(ptrFn)
	if !ok {
		return lowered{}, false
	}
	f, ok := fieldByTag(base.typ, prop.Value)
	if !ok {
		return lowered{}, false
	}
	read, ok := readField(base, f, prop.Value)
	if !ok {
		return lowered{}, false
	}
	alt, ok := lowerNode(x.Right, env)
	if !ok {
		return lowered{}, false
	}
	switch r := read.fn.(type) {
	case dateFn:
		if a, ok := alt.fn.(dateFn); ok {
			return lowered{typ: dateType, fn: dateFn(func(p unsafe.Pointer) domain.Date {
				if bp(p) == nil {
					return a(p)
				}
				return r(p)
			})}, true
		}
	case strFn:
		if a, ok := alt.fn.(strFn); ok {
			return lowered{typ: stringType, fn: strFn(func(p unsafe.Pointer) string {
				if bp(p) == nil {
					return a(p)
				}
				return r(p)
			})}, true
		}
	}
	return lowered{}, false
}

func lowerConditional(x *ast.ConditionalNode, env *scope) (lowered, bool) {
	c, ok := lowerNode(x.Cond, env)
	if !ok {
		return lowered{}, false
	}
	cond, ok := c.fn.(boolFn)
	if !ok {
		return lowered{}, false
	}
	a, ok1 := lowerNode(x.Exp1, env)
	b, ok2 := lowerNode(x.Exp2, env)
	if !ok1 || !ok2 {
		return lowered{}, false
	}
	switch l := a.fn.(type) {
	case strFn:
		if r, ok := b.fn.(strFn); ok {
			return lowered{typ: stringType, fn: strFn(func(p unsafe.Pointer) string {
				if cond(p) {
					return l(p)
				}
				return r(p)
			})}, true
		}
	case dateFn:
		if r, ok := b.fn.(dateFn); ok {
			return lowered{typ: dateType, fn: dateFn(func(p unsafe.Pointer) domain.Date {
				if cond(p) {
					return l(p)
				}
				return r(p)
			})}, true
		}
	case boolFn:
		if r, ok := b.fn.(boolFn); ok {
			return lowered{typ: boolType, fn: boolFn(func(p unsafe.Pointer) bool {
				if cond(p) {
					return l(p)
				}
				return r(p)
			})}, true
		}
	}
	return lowered{}, false
}

func lowerBuiltin(x *ast.BuiltinNode, env *scope) (lowered, bool) {
	if len(x.Arguments) != 1 {
		return lowered{}, false
	}
	a, ok := lowerNode(x.Arguments[0], env)
	if !ok {
		return lowered{}, false
	}
	switch x.Name {
	case "len":
		switch f := a.fn.(type) {
		case strFn:
			// expr's len counts runes.
			return lowered{typ: intType, fn: intFn(func(p unsafe.Pointer) int { return utf8.RuneCountInString(f(p)) })}, true
		case func(unsafe.Pointer) []int:
			return lowered{typ: intType, fn: intFn(func(p unsafe.Pointer) int { return len(f(p)) })}, true
		case func(unsafe.Pointer) []string:
			return lowered{typ: intType, fn: intFn(func(p unsafe.Pointer) int { return len(f(p)) })}, true
		}
	case "upper", "lower", "trim":
		f, ok := a.fn.(strFn)
		if !ok {
			return lowered{}, false
		}
		op := map[string]func(string) string{"upper": strings.ToUpper, "lower": strings.ToLower, "trim": strings.TrimSpace}[x.Name]
		return lowered{typ: stringType, fn: strFn(func(p unsafe.Pointer) string { return op(f(p)) })}, true
	}
	return lowered{}, false
}

// lowerCall binds a vocabulary function to its lowered arguments.
func lowerCall(x *ast.CallNode, env *scope) (lowered, bool) {
	id, ok := x.Callee.(*ast.IdentifierNode)
	if !ok {
		return lowered{}, false
	}
	var fn *function
	for i := range vocabulary {
		if vocabulary[i].name == id.Value {
			fn = &vocabulary[i]
		}
	}
	if fn == nil {
		return lowered{}, false
	}
	args := make([]lowered, len(x.Arguments))
	for i, a := range x.Arguments {
		if args[i], ok = lowerNode(a, env); !ok {
			return lowered{}, false
		}
	}
	ft := reflect.TypeOf(fn.typed)
	if ft.NumIn() != len(args) {
		return lowered{}, false
	}
	for i := range args {
		if args[i].typ != ft.In(i) && !(ft.In(i) == anysType && args[i].typ == anysType) {
			return lowered{}, false
		}
	}
	switch f := fn.typed.(type) {
	case func(domain.Date, int) domain.Date:
		a, b := args[0].fn.(dateFn), args[1].fn.(intFn)
		return lowered{typ: dateType, fn: dateFn(func(p unsafe.Pointer) domain.Date { return f(a(p), b(p)) })}, true
	case func(domain.Date, domain.Date) int:
		a, b := args[0].fn.(dateFn), args[1].fn.(dateFn)
		return lowered{typ: intType, fn: intFn(func(p unsafe.Pointer) int { return f(a(p), b(p)) })}, true
	case func(domain.Date, domain.Date) bool:
		a, b := args[0].fn.(dateFn), args[1].fn.(dateFn)
		return lowered{typ: boolType, fn: boolFn(func(p unsafe.Pointer) bool { return f(a(p), b(p)) })}, true
	case func(domain.Date) bool:
		a := args[0].fn.(dateFn)
		return lowered{typ: boolType, fn: boolFn(func(p unsafe.Pointer) bool { return f(a(p)) })}, true
	case func(domain.Date, *PartFacts) domain.Date:
		a, b := args[0].fn.(dateFn), args[1].fn.(ptrFn)
		return lowered{typ: dateType, fn: dateFn(func(p unsafe.Pointer) domain.Date { return f(a(p), (*PartFacts)(b(p))) })}, true
	case func(*SerialFacts, string, domain.Date) *SubscriptionFacts:
		a, b, c := args[0].fn.(ptrFn), args[1].fn.(strFn), args[2].fn.(dateFn)
		return lowered{typ: ft.Out(0), fn: ptrFn(func(p unsafe.Pointer) unsafe.Pointer {
			return unsafe.Pointer(f((*SerialFacts)(a(p)), b(p), c(p)))
		})}, true
	case func(*SerialFacts, string, domain.Date, domain.Date) *SubscriptionFacts:
		a, b, c, d := args[0].fn.(ptrFn), args[1].fn.(strFn), args[2].fn.(dateFn), args[3].fn.(dateFn)
		return lowered{typ: ft.Out(0), fn: ptrFn(func(p unsafe.Pointer) unsafe.Pointer {
			return unsafe.Pointer(f((*SerialFacts)(a(p)), b(p), c(p), d(p)))
		})}, true
	case func(*SerialFacts, string, domain.Date) bool:
		a, b, c := args[0].fn.(ptrFn), args[1].fn.(strFn), args[2].fn.(dateFn)
		return lowered{typ: boolType, fn: boolFn(func(p unsafe.Pointer) bool { return f((*SerialFacts)(a(p)), b(p), c(p)) })}, true
	case func(*SerialFacts, string) bool:
		a, b := args[0].fn.(ptrFn), args[1].fn.(strFn)
		return lowered{typ: boolType, fn: boolFn(func(p unsafe.Pointer) bool { return f((*SerialFacts)(a(p)), b(p)) })}, true
	case func(*SerialFacts) bool:
		a := args[0].fn.(ptrFn)
		return lowered{typ: boolType, fn: boolFn(func(p unsafe.Pointer) bool { return f((*SerialFacts)(a(p))) })}, true
	case func(*PartFacts, *ModelFacts) bool:
		a, b := args[0].fn.(ptrFn), args[1].fn.(ptrFn)
		return lowered{typ: boolType, fn: boolFn(func(p unsafe.Pointer) bool { return f((*PartFacts)(a(p)), (*ModelFacts)(b(p))) })}, true
	case func(*ModelFacts, string) bool:
		a, b := args[0].fn.(ptrFn), args[1].fn.(strFn)
		return lowered{typ: boolType, fn: boolFn(func(p unsafe.Pointer) bool { return f((*ModelFacts)(a(p)), b(p)) })}, true
	case func(*PartFacts, string) bool:
		a, b := args[0].fn.(ptrFn), args[1].fn.(strFn)
		return lowered{typ: boolType, fn: boolFn(func(p unsafe.Pointer) bool { return f((*PartFacts)(a(p)), b(p)) })}, true
	case func(*OrderFacts, string) bool:
		a, b := args[0].fn.(ptrFn), args[1].fn.(strFn)
		return lowered{typ: boolType, fn: boolFn(func(p unsafe.Pointer) bool { return f((*OrderFacts)(a(p)), b(p)) })}, true
	case func(string) bool:
		a := args[0].fn.(strFn)
		return lowered{typ: boolType, fn: boolFn(func(p unsafe.Pointer) bool { return f(a(p)) })}, true
	case func([]any, string) string:
		a, b := args[0].fn.(func(unsafe.Pointer) []any), args[1].fn.(strFn)
		return lowered{typ: stringType, fn: strFn(func(p unsafe.Pointer) string { return f(a(p), b(p)) })}, true
	case func([]int) []int:
		a := args[0].fn.(func(unsafe.Pointer) []int)
		return lowered{typ: intsType, fn: func(p unsafe.Pointer) []int { return f(a(p)) }}, true
	}
	return lowered{}, false
}
