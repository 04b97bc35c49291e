package lower

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/expr-lang/expr"

	"github.com/entitle-rules/entitle/domain"
)

type inner struct {
	N    int         `expr:"n"`
	Name string      `expr:"name"`
	Day  domain.Date `expr:"day"`
}

type env struct {
	In    *inner  `expr:"box"`
	Items []inner `expr:"items"`
	Flag  bool    `expr:"flag"`
}

// A struct pointer travels untyped between closures and is given its type
// again at a vocabulary call: Bind2 of func(*inner, int) bool receives the
// same pointer the environment holds.
func TestBindGivesPointersTheirType(t *testing.T) {
	e := &env{In: &inner{N: 7}}
	var seen *inner
	bind := Bind2(func(p *inner, k int) bool { seen = p; return p.N > k })
	in := Value{Type: reflect.TypeFor[*inner](), Fn: Ptr(func(p unsafe.Pointer) unsafe.Pointer { return unsafe.Pointer((*env)(p).In) })}
	k := Make(func(unsafe.Pointer) int { return 5 })
	v, ok := bind([]Value{in, k})
	if !ok {
		t.Fatal("Bind2 refused its own argument types")
	}
	if got := v.Fn.(func(unsafe.Pointer) bool)(unsafe.Pointer(e)); !got || seen != e.In {
		t.Errorf("call = %v with %p, want true with %p", got, seen, e.In)
	}
	if _, ok := bind([]Value{k, in}); ok {
		t.Error("Bind2 took arguments of the wrong types")
	}
	if _, ok := bind([]Value{in}); ok {
		t.Error("Bind2 took one argument")
	}
	// A struct pointer result keeps the untyped shape, so fields can be read.
	r := Make(func(p unsafe.Pointer) *inner { return (*env)(p).In })
	if _, ok := r.Fn.(Ptr); !ok || r.Type != reflect.TypeFor[*inner]() {
		t.Errorf("Make of a struct pointer gave %T of %v", r.Fn, r.Type)
	}
}

// A vocabulary call whose operands are fields reads them in line (Bind1,
// Bind3) and answers as the same call through the operands' closures; a
// nil pointer on the way panics with NilMember, as the closures do.
func TestBindReadsFieldsInLine(t *testing.T) {
	day, _ := domain.NewDate(2025, 4, 24)
	funcs := map[string]Binder{
		"one":   Bind1(func(d domain.Date) bool { return d == day }),
		"three": Bind3(func(e *inner, s string, b bool) string { return fmt.Sprint(e.N, s, b) }),
	}
	for _, src := range []string{`one(box.day)`, `three(box, box.name, flag)`, `three(box, box.name + "", flag)`} {
		prog, err := expr.Compile(src, expr.Env(&env{}), expr.Function("one", func(...any) (any, error) { return nil, nil }, new(func(domain.Date) bool)),
			expr.Function("three", func(...any) (any, error) { return nil, nil }, new(func(*inner, string, bool) string)))
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		f, why := Lower(prog.Node(), reflect.TypeFor[*env](), funcs, nil)
		if !f.Lowered() {
			t.Fatalf("%s: not lowered: %s", src, why)
		}
		e := &env{In: &inner{N: 3, Name: "x", Day: day}, Flag: true}
		want := map[string]any{`one(box.day)`: true}[src]
		if want == nil {
			want = "3xtrue"
		}
		if got := f.Any(unsafe.Pointer(e)); got != want {
			t.Errorf("%s = %v, want %v", src, got, want)
		}
		func() {
			defer func() {
				if _, ok := recover().(NilMember); !ok {
					t.Errorf("%s on a nil box: no NilMember panic", src)
				}
			}()
			f.Any(unsafe.Pointer(&env{}))
		}()
	}
}

func TestFieldPathAndAddr(t *testing.T) {
	e := &env{In: &inner{}}
	path, typ, ok := FieldPath(reflect.TypeFor[*env](), "box.name")
	if !ok || typ != stringType {
		t.Fatalf("FieldPath(box.name) = %v, %v, %v", path, typ, ok)
	}
	*(*string)(Addr(unsafe.Pointer(e), path)) = "set"
	if e.In.Name != "set" {
		t.Errorf("Addr wrote elsewhere: %+v", e.In)
	}
	if Addr(unsafe.Pointer(&env{}), path) != nil {
		t.Error("Addr through a nil pointer should be nil")
	}
	for _, bad := range []string{"box.nope", "flag.n", "nope"} {
		if _, _, ok := FieldPath(reflect.TypeFor[*env](), bad); ok {
			t.Errorf("FieldPath(%s) found a field", bad)
		}
	}
}

// Lower says which node it could not take, and lowers quantifiers whose
// predicate reads only the element.
func TestLowerReportsWhy(t *testing.T) {
	for src, want := range map[string]string{
		"any(items, .n > 3) and flag":       "",
		"count(items, .name == \"a\") == 2": "",
		"any(items, .n > box.n)":            `IdentifierNode "box"`,
		"items[0].n == 1":                   "MemberNode",
	} {
		prog, err := expr.Compile(src, expr.Env(&env{}))
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		f, why := Lower(prog.Node(), reflect.TypeFor[*env](), nil, nil)
		if want == "" {
			if !f.Lowered() || why != "" {
				t.Errorf("%s: not lowered: %s", src, why)
			}
			continue
		}
		if f.Lowered() || !strings.Contains(why, want) {
			t.Errorf("%s: lowered=%v why=%q, want it kept on the VM naming %s", src, f.Lowered(), why, want)
		}
	}
	prog, _ := expr.Compile("count(items, .n > 3)", expr.Env(&env{}))
	f, _ := Lower(prog.Node(), reflect.TypeFor[*env](), nil, nil)
	e := &env{Items: []inner{{N: 1}, {N: 4}, {N: 9}}}
	if got := f.I(unsafe.Pointer(e)); got != 2 {
		t.Errorf("count = %d, want 2", got)
	}
}

// The fused shapes (a field against a literal, a negated field, short and
// long constant sets, and / or chains, a string against its case change, a
// trimmed string against "") decide as expr does.
func TestFusedShapesMatchExpr(t *testing.T) {
	long := `["a", "bb", "ccc", "dddd", "eeeee", "ffffff", "g", "hh", "iii", "Telekom M2M"]`
	srcs := []string{
		`box.name == "x"`, `box.name != "x"`, `"x" == box.name`, `box.n == 7`, `box.n != 7`, `flag == true`, `flag != false`,
		`not flag`, `not (box.name in ["x", "y"])`, `box.name in ["x", "y"]`, `box.name in ` + long, `not (box.name in ` + long + `)`,
		`flag and box.n == 7 and box.name != ""`, `flag or box.n == 7 or box.name == "x"`, `flag and box.n == 7 or box.name == "iii"`,
		`flag and box.n > 1 and box.n < 9 and box.name != "" and len(box.name) > 0`,
		`box.name != upper(box.name)`, `upper(box.name) == box.name`, `box.name == lower(box.name)`, `lower(box.name) != box.name`,
		`trim(box.name) == ""`, `"" != trim(box.name)`, `trim(upper(box.name)) == ""`,
	}
	envs := []*env{
		{In: &inner{N: 7, Name: "x"}, Flag: true}, {In: &inner{N: 1, Name: "iii"}}, {In: &inner{Name: "Telekom M2M"}, Flag: true},
		{In: &inner{Name: "y", N: 7}}, {In: &inner{Name: ""}}, {In: &inner{Name: " \t\r\n\v\f "}}, {In: &inner{Name: " \u00a0\u2003"}},
		{In: &inner{Name: "\u00a0x"}}, {In: &inner{Name: "Ab"}}, {In: &inner{Name: "ÉCOLE"}}, {In: &inner{Name: "école"}}, {In: &inner{Name: "ß"}}, {In: &inner{Name: "VRS"}},
	}
	for _, src := range srcs {
		prog, err := expr.Compile(src, expr.Env(&env{}))
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		f, why := Lower(prog.Node(), reflect.TypeFor[*env](), nil, nil)
		if f.B == nil {
			t.Fatalf("%s: not lowered: %s", src, why)
		}
		for _, e := range envs {
			want, err := expr.Run(prog, e)
			if err != nil {
				t.Fatalf("%s: %v", src, err)
			}
			if got := f.B(unsafe.Pointer(e)); got != want {
				t.Errorf("%s on %+v: lowered %v, expr %v", src, *e.In, got, want)
			}
		}
	}
}
