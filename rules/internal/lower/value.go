package lower

import (
	"reflect"
	"unsafe"

	"github.com/entitle-rules/entitle/domain"
)

// Value is a lowered expression: a closure over the environment pointer and
// the Go type it returns. Fn is a func(unsafe.Pointer) T for the value kinds
// (bool, int, string, domain.Date, []int, []string, []any), a Ptr for a
// struct pointer (Type says which struct), a Slice for a slice of structs or
// struct pointers, or a map[string]struct{} for a constant set.
type Value struct {
	Type reflect.Type
	Fn   any
	// path is the chain of field offsets from the environment when the value
	// is a field path (line.serialNumber is [offset of Line, offset of
	// SerialNumber]); reads along a path are fused into one closure.
	path []uintptr
	name string // the field's name, for a nil on the path
}

// Ptr is the closure of a struct pointer: the pointer, untyped, so one
// closure shape serves every struct type.
type Ptr = func(unsafe.Pointer) unsafe.Pointer

// Slice is the closure of a slice whose elements are structs or struct
// pointers: it returns the slice's header.
type Slice = func(unsafe.Pointer) sliceHeader

// sliceHeader has the layout of every Go slice.
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

type (
	boolFn = func(unsafe.Pointer) bool
	intFn  = func(unsafe.Pointer) int
	strFn  = func(unsafe.Pointer) string
	dateFn = func(unsafe.Pointer) domain.Date
)

var (
	boolType    = reflect.TypeOf(true)
	intType     = reflect.TypeOf(0)
	stringType  = reflect.TypeOf("")
	dateType    = reflect.TypeOf(domain.Date{})
	intsType    = reflect.TypeOf([]int(nil))
	anysType    = reflect.TypeOf([]any(nil))
	stringsType = reflect.TypeOf([]string(nil))
	setType     = reflect.TypeOf(map[string]struct{}(nil))
)

// As returns v's closure as a func returning T, or false when v is of another
// type. A struct pointer's untyped closure is given its type here, so a
// vocabulary function taking *SerialFacts receives one.
func As[T any](v Value) (func(unsafe.Pointer) T, bool) {
	if f, ok := v.Fn.(func(unsafe.Pointer) T); ok {
		return f, true
	}
	want := reflect.TypeFor[T]()
	if want.Kind() == reflect.Pointer && v.Type == want {
		if p, ok := v.Fn.(Ptr); ok {
			// A func returning unsafe.Pointer and one returning *S take
			// and return the same words in the same registers: the closure
			// is used as it is, with no wrapper to call through.
			return *(*func(unsafe.Pointer) T)(unsafe.Pointer(&p)), true
		}
	}
	return nil, false
}

// Make wraps a closure returning T as a Value; a struct pointer result gets
// the untyped Ptr shape, so its fields can be read by offset.
func Make[T any](f func(unsafe.Pointer) T) Value {
	t := reflect.TypeFor[T]()
	if isStructPtr(t) {
		// The same words in the same registers (see As): no wrapper.
		return Value{Type: t, Fn: *(*Ptr)(unsafe.Pointer(&f))}
	}
	return Value{Type: t, Fn: f}
}

func isStructPtr(t reflect.Type) bool {
	return t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct
}

// Binder lowers a call of one vocabulary function, given its lowered
// arguments; false means the arguments are not of the function's types.
type Binder func(args []Value) (Value, bool)

// Bind1 returns the Binder of a one-argument function.
func Bind1[A, R any](f func(A) R) Binder {
	return func(args []Value) (Value, bool) {
		if len(args) != 1 {
			return Value{}, false
		}
		a, ok := As[A](args[0])
		if !ok {
			return Value{}, false
		}
		if la, ok := locOf(args[0]); ok {
			// The field read in line (by hand: see Bind3).
			return Make(func(p unsafe.Pointer) R {
				q := p
				if la.two {
					if q = *(*unsafe.Pointer)(unsafe.Add(p, la.hop)); q == nil {
						nilMember(la.name)
					}
				}
				return f(*(*A)(unsafe.Add(q, la.off)))
			}), true
		}
		return Make(func(p unsafe.Pointer) R { return f(a(p)) }), true
	}
}

// Bind2 returns the Binder of a two-argument function.
func Bind2[A, B, R any](f func(A, B) R) Binder {
	return func(args []Value) (Value, bool) {
		if len(args) != 2 {
			return Value{}, false
		}
		a, ok1 := As[A](args[0])
		b, ok2 := As[B](args[1])
		if !ok1 || !ok2 {
			return Value{}, false
		}
		return Make(func(p unsafe.Pointer) R { return f(a(p), b(p)) }), true
	}
}

// Bind3 returns the Binder of a three-argument function.
func Bind3[A, B, C, R any](f func(A, B, C) R) Binder {
	return func(args []Value) (Value, bool) {
		if len(args) != 3 {
			return Value{}, false
		}
		a, ok1 := As[A](args[0])
		b, ok2 := As[B](args[1])
		c, ok3 := As[C](args[2])
		if !ok1 || !ok2 || !ok3 {
			return Value{}, false
		}
		la, ok1 := locOf(args[0])
		lb, ok2 := locOf(args[1])
		lc, ok3 := locOf(args[2])
		if ok1 && ok2 && ok3 {
			// The fields read in line, by hand: the inliner does not
			// inline a helper into closures of generic functions.
			return Make(func(p unsafe.Pointer) R {
				qa, qb, qc := p, p, p
				if la.two {
					if qa = *(*unsafe.Pointer)(unsafe.Add(p, la.hop)); qa == nil {
						nilMember(la.name)
					}
				}
				if lb.two {
					if qb = *(*unsafe.Pointer)(unsafe.Add(p, lb.hop)); qb == nil {
						nilMember(lb.name)
					}
				}
				if lc.two {
					if qc = *(*unsafe.Pointer)(unsafe.Add(p, lc.hop)); qc == nil {
						nilMember(lc.name)
					}
				}
				return f(*(*A)(unsafe.Add(qa, la.off)), *(*B)(unsafe.Add(qb, lb.off)), *(*C)(unsafe.Add(qc, lc.off)))
			}), true
		}
		return Make(func(p unsafe.Pointer) R { return f(a(p), b(p), c(p)) }), true
	}
}

// Bind4 returns the Binder of a four-argument function.
func Bind4[A, B, C, D, R any](f func(A, B, C, D) R) Binder {
	return func(args []Value) (Value, bool) {
		if len(args) != 4 {
			return Value{}, false
		}
		a, ok1 := As[A](args[0])
		b, ok2 := As[B](args[1])
		c, ok3 := As[C](args[2])
		d, ok4 := As[D](args[3])
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return Value{}, false
		}
		return Make(func(p unsafe.Pointer) R { return f(a(p), b(p), c(p), d(p)) }), true
	}
}
