package lower

import (
	"reflect"
	"unsafe"

	"github.com/expr-lang/expr/ast"

	"github.com/entitle-rules/entitle/domain"
)

// Lazy lists, by struct type, fields that are worked out only when an
// expression reads one: a closure reading such a field first calls Fill with
// the struct's address. Fill must be idempotent (it is called before every
// read) and cheap once it has run.
type Lazy map[reflect.Type]LazyFields

// LazyFields are the lazy fields of one struct type, by expr tag, and what
// fills them.
type LazyFields struct {
	Fields map[string]bool
	Fill   func(unsafe.Pointer)
}

func (l Lazy) fill(owner reflect.Type, name string) func(unsafe.Pointer) {
	if lf, ok := l[owner]; ok && lf.Fields[name] {
		return lf.Fill
	}
	return nil
}

// lazyField reads a lazy field: the struct's address (at the end of path, or
// what base returns), filled, then the field. The value carries no path, so
// no fused closure reads the field without filling it.
func (c *lowerer) lazyField(path []uintptr, base Ptr, f reflect.StructField, name string, fill func(unsafe.Pointer), at ast.Node) (Value, bool) {
	var st Ptr
	if path == nil {
		st = func(p unsafe.Pointer) unsafe.Pointer {
			q := base(p)
			if q == nil {
				panic(NilMember{name})
			}
			return q
		}
	} else {
		steps := path[:len(path)-1]
		st = func(p unsafe.Pointer) unsafe.Pointer {
			for _, o := range steps {
				if p = *(*unsafe.Pointer)(unsafe.Add(p, o)); p == nil {
					panic(NilMember{name})
				}
			}
			return p
		}
	}
	off := f.Offset
	switch f.Type {
	case boolType:
		return Value{Type: boolType, Fn: lazyReader[bool](st, off, fill)}, true
	case intType:
		return Value{Type: intType, Fn: lazyReader[int](st, off, fill)}, true
	case stringType:
		return Value{Type: stringType, Fn: lazyReader[string](st, off, fill)}, true
	case dateType:
		return Value{Type: dateType, Fn: lazyReader[domain.Date](st, off, fill)}, true
	}
	return c.fail(at)
}

func lazyReader[T any](st Ptr, off uintptr, fill func(unsafe.Pointer)) func(unsafe.Pointer) T {
	return func(p unsafe.Pointer) T {
		q := st(p)
		fill(q)
		return *(*T)(unsafe.Add(q, off))
	}
}
