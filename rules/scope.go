package rules

import (
	"fmt"
	"io/fs"
	"reflect"
	"slices"
	"sort"
	"strings"
	"unsafe"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules/internal/lower"
)

// ScopeOptions declares what rules of one scope see and may do.
type ScopeOptions struct {
	// Context names the context the scope belongs to ("seats"). Rules of a
	// scope with a context live in files that declare it (`context: seats`
	// at the top of the file), so a language built without that context
	// leaves those files out instead of failing on scopes it does not know
	// (Set.Skipped lists them). A scope without one belongs to the files
	// that declare no context (the store API's, which came first).
	Context string
	// Item, when set, says the scope is evaluated once per element of a list
	// of the request ("lines"): a violation's field is then prefixed with
	// Item[i], so a refusal names lines[3].serviceStartDate.
	Item string
	// Derivable lists the fields a set effect may derive.
	Derivable []Derivable
	// Fields lists the names a deny's field may use beyond those of the
	// scope's facts (their expr tags), its Item and its Derivable fields:
	// the request's own names where the facts name a thing otherwise
	// (app_id for a fact's appId). A literal deny field using any other
	// name is a compile error.
	Fields []string
	// Functions is the scope's vocabulary beyond the language's own (dates,
	// e-mail and digit checks, list helpers).
	Functions []Function
	// Lazy declares facts worked out only when a rule reads them (see
	// LazyFacts).
	Lazy []LazyFacts
}

// LazyFacts declares fields of a fact struct that a context fills only when
// a rule reads one of them (a store lookup most rules never need). Make it
// with Lazy.
type LazyFacts struct {
	typ    reflect.Type // the struct
	fields []string
	fill   func(unsafe.Pointer)
}

// Lazy declares the fields (by expr tag) of the fact struct T that fill
// works out: a rule reading one of them calls fill first, with the struct
// (so fill must be idempotent, and cheap once done). T is reached from the
// environment by a pointer field of it; rules running on the expr VM see
// every lazy struct of their environment filled.
func Lazy[T any](fill func(*T), fields ...string) LazyFacts {
	return LazyFacts{typ: reflect.TypeFor[T](), fields: fields, fill: func(p unsafe.Pointer) { fill((*T)(p)) }}
}

// Derivable is a field rules may derive: its name in a set effect and its
// dotted path of expr tags in the environment ("line.serviceStartDate").
// The field is a bool, int, string or domain.Date.
type Derivable struct {
	Name string
	Path string
}

// Scope is a registered environment of type E: rules written with
// `scope: <name>` are type-checked against E at load and evaluated against an
// *E by Eval. A context makes its scopes once, with NewScope, and lists them
// in a Language. A Scope is immutable and safe for concurrent use.
type Scope[E any] struct{ *scopeInfo }

// scopeInfo is a scope without its type parameter, as the compiler sees it.
type scopeInfo struct {
	name    string
	context string
	env     reflect.Type // *E
	item    string
	fields  []string // the names a deny's field may use beyond the facts'
	derived []*settable
	funcs   []Function
	binders map[string]lower.Binder
	lazy    lower.Lazy
	// lazyAt are the offsets of the environment's pointer fields to lazy
	// structs, with their fill, so the VM sees them filled.
	lazyAt []lazyField
	err    error // a mistake in the declaration, reported by NewLanguage
}

type lazyField struct {
	off  uintptr
	fill func(unsafe.Pointer)
}

// fillLazy fills every lazy struct of the environment at envPtr, before the
// expr VM, which reads fields by reflection, runs.
func (s *scopeInfo) fillLazy(envPtr unsafe.Pointer) {
	for _, l := range s.lazyAt {
		if p := *(*unsafe.Pointer)(unsafe.Add(envPtr, l.off)); p != nil {
			l.fill(p)
		}
	}
}

func (s *scopeInfo) info() *scopeInfo { return s }

// Name returns the scope's name as rule files write it.
func (s *scopeInfo) Name() string { return s.name }

// ScopeDef is any Scope[E], as a Language lists it.
type ScopeDef interface {
	info() *scopeInfo
}

// settable is a field a set effect may derive, at a path of offsets from
// the environment.
type settable struct {
	name string
	typ  reflect.Type
	path []uintptr
	leaf fieldKey // the field written, as guards name what they read
}

// fieldKey names a field by the struct type holding it and its offset.
type fieldKey struct {
	owner reflect.Type
	off   uintptr
}

// NewScope declares a scope named name whose environment is E, a struct
// whose exported fields carry expr tags with the names rule authors write.
// Mistakes in the declaration (a derivable path that is not a field, a
// function name used twice) are reported by NewLanguage.
func NewScope[E any](name string, o ScopeOptions) *Scope[E] {
	s := &scopeInfo{name: name, context: o.Context, env: reflect.TypeFor[*E](), item: o.Item, fields: o.Fields}
	var errs []string
	if o.Context != "" && !identRE.MatchString(o.Context) {
		errs = append(errs, fmt.Sprintf("context %q is not a name (letters, digits and _)", o.Context))
	}
	if reflect.TypeFor[E]().Kind() != reflect.Struct {
		errs = append(errs, "the environment is not a struct")
	}
	s.funcs = append(append([]Function{}, core...), o.Functions...)
	s.binders = make(map[string]lower.Binder, len(s.funcs))
	for _, f := range s.funcs {
		if _, dup := s.binders[f.Name]; dup {
			errs = append(errs, fmt.Sprintf("function %s is declared twice", f.Name))
		}
		s.binders[f.Name] = f.bind
		if f.bindNot != nil {
			s.binders["!"+f.Name] = f.bindNot
		}
	}
	// Tests of one string are remembered in the environment's Memo, if it
	// has one, a slot each.
	if st := s.env.Elem(); st.Kind() == reflect.Struct {
		for i, slot := 0, 0; i < st.NumField() && slot < memoSlots; i++ {
			if st.Field(i).Type != memoType {
				continue
			}
			for _, f := range s.funcs {
				if f.test != nil && slot < memoSlots {
					off := st.Field(i).Offset + uintptr(slot)*unsafe.Sizeof(memoSlot{})
					s.binders[f.Name] = memoBinder(off, f.test, false)
					s.binders["!"+f.Name] = memoBinder(off, f.test, true)
					slot++
				}
			}
			break
		}
	}
	for _, lz := range o.Lazy {
		if s.lazy == nil {
			s.lazy = lower.Lazy{}
		}
		lf := lower.LazyFields{Fields: map[string]bool{}, Fill: lz.fill}
		for _, name := range lz.fields {
			if _, _, ok := lower.LeafField(reflect.PointerTo(lz.typ), name); !ok {
				errs = append(errs, fmt.Sprintf("lazy %s: %s is not a field of it", lz.typ, name))
			}
			lf.Fields[name] = true
		}
		s.lazy[lz.typ] = lf
		found := false
		for i := 0; i < s.env.Elem().NumField(); i++ {
			if f := s.env.Elem().Field(i); f.Type == reflect.PointerTo(lz.typ) {
				s.lazyAt, found = append(s.lazyAt, lazyField{off: f.Offset, fill: lz.fill}), true
			}
		}
		if !found {
			errs = append(errs, fmt.Sprintf("lazy %s: no field of the environment points to it", lz.typ))
		}
	}
	for _, d := range o.Derivable {
		path, typ, ok := lower.FieldPath(s.env, d.Path)
		if !ok {
			errs = append(errs, fmt.Sprintf("derivable %s: %s is not a field of the environment", d.Name, d.Path))
			continue
		}
		switch typ {
		case boolType, stringType, intType, dateType:
		default:
			errs = append(errs, fmt.Sprintf("derivable %s: %s is a %s, not a bool, int, string or date", d.Name, d.Path, typ))
			continue
		}
		owner, off, _ := lower.LeafField(s.env, d.Path)
		s.derived = append(s.derived, &settable{name: d.Name, typ: typ, path: path, leaf: fieldKey{owner, off}})
	}
	if len(errs) > 0 {
		s.err = fmt.Errorf("rules: scope %s: %s", name, strings.Join(errs, "; "))
	}
	return &Scope[E]{s}
}

var (
	boolType   = reflect.TypeOf(true)
	stringType = reflect.TypeOf("")
	intType    = reflect.TypeOf(0)
	dateType   = reflect.TypeOf(domain.Date{})
)

// Eval runs the rules of this scope whose phase is from..to (inclusive)
// against env, in phase then file order, recording each in run's trace and
// applying the effects of those that fire. item is the element's index for
// an item scope, -1 otherwise. After Eval, run.Denied and run.Derived tell
// what this call did.
func (s *Scope[E]) Eval(run *Run, env *E, from, to Phase, item int) {
	run.eval(s.scopeInfo, env, unsafe.Pointer(env), from, to, item)
}

func (s *scopeInfo) settable(name string) *settable {
	for _, t := range s.derived {
		if t.name == name {
			return t
		}
	}
	return nil
}

func (s *scopeInfo) settableNames() string {
	names := make([]string, len(s.derived))
	for i, t := range s.derived {
		names[i] = t.name
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// Language is the set of scopes rule files may be written in: the registry
// every context adds its scopes to. The compiler, the lowering and the
// evaluator work for any scope it holds. A Language is immutable and safe for
// concurrent use.
type Language struct {
	scopes []*scopeInfo
}

// NewLanguage returns the language of the given scopes. It fails when two
// scopes share a name or a scope's declaration is wrong.
func NewLanguage(scopes ...ScopeDef) (*Language, error) {
	l := &Language{}
	seen := map[string]bool{}
	for _, sd := range scopes {
		s := sd.info()
		if s.err != nil {
			return nil, s.err
		}
		if seen[s.name] {
			return nil, fmt.Errorf("rules: two scopes are named %q", s.name)
		}
		seen[s.name] = true
		l.scopes = append(l.scopes, s)
	}
	if len(l.scopes) == 0 {
		return nil, fmt.Errorf("rules: a language needs at least one scope")
	}
	return l, nil
}

// MustLanguage is NewLanguage for declarations known to be right (a
// context's own scopes); it panics on an error.
func MustLanguage(scopes ...ScopeDef) *Language {
	l, err := NewLanguage(scopes...)
	if err != nil {
		panic(err)
	}
	return l
}

// Scopes returns the names of the language's scopes, in registration order.
func (l *Language) Scopes() []string {
	names := make([]string, len(l.scopes))
	for i, s := range l.scopes {
		names[i] = s.name
	}
	return names
}

// Contexts returns the names of the contexts the language's scopes belong
// to (ScopeOptions.Context), sorted, each once; "" stands for the scopes
// declared without one (the store API's). Load leaves out files of any
// other context.
func (l *Language) Contexts() []string {
	var out []string
	for _, s := range l.scopes {
		if !slices.Contains(out, s.context) {
			out = append(out, s.context)
		}
	}
	sort.Strings(out)
	return out
}

// contextList names the language's contexts for a message.
func (l *Language) contextList() string {
	names := l.Contexts()
	for i, n := range names {
		if n == "" {
			names[i] = "the files without a context"
		}
	}
	return strings.Join(names, ", ")
}

// hasContext reports whether a scope of the language belongs to context.
func (l *Language) hasContext(context string) bool {
	for _, s := range l.scopes {
		if s.context == context {
			return true
		}
	}
	return false
}

// scopesOf returns the names of the language's scopes of context.
func (l *Language) scopesOf(context string) []string {
	var out []string
	for _, s := range l.scopes {
		if s.context == context {
			out = append(out, s.name)
		}
	}
	return out
}

// Functions returns every function rule expressions of some scope may call,
// by name, each once.
func (l *Language) Functions() []Function {
	seen := map[string]bool{}
	var out []Function
	for _, s := range l.scopes {
		for _, f := range s.funcs {
			if !seen[f.Name] {
				seen[f.Name] = true
				out = append(out, f)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (l *Language) scope(name string) *scopeInfo {
	for _, s := range l.scopes {
		if s.name == name {
			return s
		}
	}
	return nil
}

// Load reads every *.yaml and *.yml file at the root of fsys, in name order,
// and compiles it. A file that declares a context none of the language's
// scopes belongs to (`context: seats` in a language of the store API's
// scopes only) is left out and listed by Set.Skipped, unless one of its
// rules is written in a scope the language knows: that is an error, as a
// rule of a loaded context is never dropped. Every expression is type-checked against its scope's
// environment; every problem in every file is reported at once as a
// *LoadError whose lines read file:line:col: message.
func (l *Language) Load(fsys fs.FS) (*Set, error) {
	names, files, err := readFiles(fsys)
	if err != nil {
		return nil, err
	}
	return l.Compile(names, files)
}
