package rules_test

import (
	"slices"
	"testing"
	"testing/fstest"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules"
)

// A shed whose weight is worked out only when a rule reads it.
type shed struct {
	Kind    string `expr:"kind"`
	Weight  int    `expr:"weight"` // lazy
	weighed int    // how many times fill did the work
	asked   int    // how many times fill was called
}

func (s *shed) weigh() {
	s.asked++
	if s.weighed > 0 {
		return
	}
	s.weighed++
	s.Weight = 40
}

type shedEnv struct {
	Shed *shed  `expr:"shed"`
	Mode string `expr:"mode"` // derivable
}

var shedScope = rules.NewScope[shedEnv]("shed", rules.ScopeOptions{
	Context:   "sheds",
	Derivable: []rules.Derivable{{Name: "mode", Path: "mode"}},
	Lazy:      []rules.LazyFacts{rules.Lazy((*shed).weigh, "weight")},
})

const shedRules = `ruleset: sheds
context: sheds
rules:
  - id: heavy
    scope: shed
    when: shed.kind == "brick" and shed.weight > 30
    deny: {code: HEAVY, message: "{{shed.weight}} tonnes"}
  - id: either
    scope: shed
    when: shed.kind == "brick" and shed.weight > 100 or shed.kind == "brick" and mode == ""
    set: {mode: '"checked"'}
  - id: after-either
    scope: shed
    phase: decide
    when: mode == "checked"
    deny: {code: CHECKED, message: checked}
`

// A lazy field is filled only when a rule reads it (not for a wooden shed,
// whose rules are guarded away), once, and the VM sees it filled too. A
// rule whose sides of an or share a leading test is guarded by it.
func TestLazyFieldsAreFilledWhenRead(t *testing.T) {
	lang, err := rules.NewLanguage(shedScope)
	if err != nil {
		t.Fatal(err)
	}
	set, err := lang.Load(fstest.MapFS{"s.yaml": {Data: []byte(shedRules)}})
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*rules.Set{"lowered": set, "vm": set.VMOnly()} {
		wood := &shed{Kind: "wood"}
		d := decideShed(s, wood)
		if len(d.Violations) != 0 || (name == "lowered" && wood.asked != 0) {
			t.Errorf("%s: wooden shed: %v, weighed asked %d times, want no violation and (lowered) never", name, d.Codes(), wood.asked)
		}
		brick := &shed{Kind: "brick"}
		d = decideShed(s, brick)
		if got := d.Codes(); !slices.Equal(got, []string{"HEAVY", "CHECKED"}) {
			t.Errorf("%s: brick shed: %v, want HEAVY, CHECKED", name, got)
		}
		if brick.weighed != 1 || d.Violations[0].Message != "40 tonnes" {
			t.Errorf("%s: weighed %d times, message %q", name, brick.weighed, d.Violations[0].Message)
		}
	}
}

func decideShed(set *rules.Set, s *shed) domain.Decision {
	run := set.Begin(1)
	env := shedEnv{Shed: s}
	shedScope.Eval(run, &env, rules.Normalize, rules.Decide, -1)
	return run.Finish()
}

// A test of one string asked by two rules about the same field is computed
// once when the environment has a Memo, and the answers are the VM's.
type memoEnv struct {
	Name string `expr:"name"`
	memo rules.Memo
}

var longCalls int

var memoScope = rules.NewScope[memoEnv]("named", rules.ScopeOptions{
	Context: "names",
	Functions: []rules.Function{rules.Func1("isLong", "isLong(s): more than 3 bytes", func(s string) bool {
		longCalls++
		return len(s) > 3
	})},
})

func TestMemoComputesATestOnce(t *testing.T) {
	lang, err := rules.NewLanguage(memoScope)
	if err != nil {
		t.Fatal(err)
	}
	const file = `ruleset: names
context: names
rules:
  - {id: long, scope: named, when: isLong(name), deny: {code: LONG, message: long}}
  - {id: short, scope: named, when: not isLong(name), deny: {code: SHORT, message: short}}
  - {id: again, scope: named, when: isLong(name) and name != "", deny: {code: AGAIN, message: again}}
`
	set, err := lang.Load(fstest.MapFS{"n.yaml": {Data: []byte(file)}})
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*rules.Set{"lowered": set, "vm": set.VMOnly()} {
		for _, tc := range []struct {
			name string
			want []string
		}{{"abcdef", []string{"LONG", "AGAIN"}}, {"ab", []string{"SHORT"}}} {
			longCalls = 0
			run := s.Begin(1)
			memoScope.Eval(run, &memoEnv{Name: tc.name}, rules.Normalize, rules.Decide, -1)
			d := run.Finish()
			if got := d.Codes(); !slices.Equal(got, tc.want) {
				t.Errorf("%s, %s: %v, want %v", name, tc.name, got, tc.want)
			}
			if name == "lowered" && longCalls != 1 {
				t.Errorf("%s: isLong computed %d times, want once", tc.name, longCalls)
			}
		}
	}
}
