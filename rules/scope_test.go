package rules_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules"
)

// A toy context, a house and its rooms, that is not an order: it registers
// two scopes with the language, and the compiler, the lowering, the
// evaluator and the rule-file tests work for it with no change to rules/.

type room struct {
	Name     string `expr:"name"`
	Celsius  int    `expr:"celsius"`
	Occupied bool   `expr:"occupied"`
}

type window struct {
	Open bool `expr:"open"`
}

type house struct {
	Rooms   []room    `expr:"rooms"`
	Windows []*window `expr:"windows"`
	Mode    string    `expr:"mode"` // derivable
}

type houseEnv struct {
	House *house      `expr:"house"`
	Today domain.Date `expr:"today"`
}

type roomEnv struct {
	House  *house `expr:"house"`
	Room   *room  `expr:"room"`
	Target int    `expr:"target"` // derivable
}

var (
	houseScope = rules.NewScope[houseEnv]("house", rules.ScopeOptions{
		Derivable: []rules.Derivable{{Name: "mode", Path: "house.mode"}},
	})
	roomScope = rules.NewScope[roomEnv]("room", rules.ScopeOptions{
		Item:      "rooms",
		Derivable: []rules.Derivable{{Name: "target", Path: "target"}},
		Functions: []rules.Function{
			rules.Func2("warmerThan", "warmerThan(room, c): the room is above c degrees", func(r *room, c int) bool {
				return r != nil && r.Celsius > c
			}),
		},
	})
)

const toyRules = `ruleset: toy
params:
  max_cold_rooms: 1
rules:
  - id: house.comfort
    scope: house
    phase: derive
    when: any(house.rooms, .occupied)
    set: {mode: '"comfort"'}
  - id: house.too-many-cold
    scope: house
    when: count(house.rooms, .celsius < 15) > params.max_cold_rooms
    deny: {code: TOO_COLD, field: rooms, message: "{{count(house.rooms, .celsius < 15)}} rooms are cold"}
  - id: house.window-open
    scope: house
    when: not none(house.windows, .open) and not all(house.rooms, .celsius >= 15)
    hold: {reason: "close the windows first"}
  - id: room.target
    scope: room
    phase: derive
    when: room.occupied
    set: {target: 21}
  - id: room.heat
    scope: room
    when: room.occupied and not warmerThan(room, 18)
    deny: {code: HEAT, field: celsius, message: "heat the {{room.name}} to {{target}}"}
fixtures:
  home:
    context: toy
    rooms:
      - {name: kitchen, celsius: 20, occupied: true}
      - {name: attic, celsius: 10}
tests:
  - name: a warm occupied house is fine
    fixture: home
    expect: {allowed: true, mode: comfort, notFired: [house.too-many-cold, room.heat]}
  - name: two cold rooms and a cold occupied one
    fixture: home
    rooms:
      - {name: kitchen, celsius: 12, occupied: true}
      - {name: attic, celsius: 10}
    windows: [{open: true}]
    expect:
      deny: [TOO_COLD, HEAT]
      messages: ["rooms: 2 rooms are cold", "rooms[0].celsius: heat the kitchen to 21"]
      hold: true
      fired: [house.comfort, room.target]
      mode: comfort
`

// toyTester runs the toy's rule-file tests: a fixture and a test give rooms
// and windows, a test may expect the derived mode.
type toyTester struct{}

func (toyTester) Context() string { return "toy" }

type toyWorld struct {
	Rooms   []room    `json:"rooms"`
	Windows []*window `json:"windows"`
}

type toyFixture struct{ w toyWorld }

func (toyTester) Fixture(_ context.Context, doc rules.Doc) (rules.Fixture, error) {
	var w toyWorld
	if err := doc.Decode(&w); err != nil {
		return nil, err
	}
	return &toyFixture{w}, nil
}

type toyCase struct {
	h      house
	expect struct {
		Mode string `json:"mode"`
	}
}

func (f *toyFixture) Test(_ context.Context, given, expect rules.Doc) (rules.Case, error) {
	w := f.w
	if err := given.Decode(&w); err != nil {
		return nil, err
	}
	c := &toyCase{h: house{Rooms: w.Rooms, Windows: w.Windows}}
	return c, expect.Decode(&c.expect)
}

func (c *toyCase) Decide(_ context.Context, set *rules.Set) (domain.Decision, error) {
	return decideHouse(set, c.h), nil
}

func (c *toyCase) Check(d *domain.Decision) []string {
	if c.expect.Mode != "" && d.ActivationCountry != c.expect.Mode {
		return []string{"mode: got " + d.ActivationCountry + ", want " + c.expect.Mode}
	}
	return nil
}

// decideHouse is the toy's use case: the house rules, then each room's. The
// derived mode travels in the decision's one free text field, for the test.
func decideHouse(set *rules.Set, h house) domain.Decision {
	run := set.Begin(8)
	env := houseEnv{House: &h}
	houseScope.Eval(run, &env, rules.Normalize, rules.Decide, -1)
	for i := range h.Rooms {
		renv := roomEnv{House: &h, Room: &h.Rooms[i]}
		roomScope.Eval(run, &renv, rules.Normalize, rules.Decide, i)
	}
	run.Decision().ActivationCountry = h.Mode
	return run.Finish()
}

func toyLanguage(t *testing.T) *rules.Language {
	t.Helper()
	lang, err := rules.NewLanguage(houseScope, roomScope)
	if err != nil {
		t.Fatal(err)
	}
	return lang
}

func TestToyScopeCompilesLowersAndRuns(t *testing.T) {
	set, err := toyLanguage(t).Load(fstest.MapFS{"toy.yaml": {Data: []byte(toyRules)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range set.Unlowered() {
		if !strings.Contains(p.Msg, ", message: ") {
			t.Errorf("not lowered: %s", p)
		}
	}
	for name, s := range map[string]*rules.Set{"lowered": set, "vm": set.VMOnly()} {
		results, err := s.RunTests(context.Background(), toyTester{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(results) != 2 {
			t.Fatalf("%s: %d results, want 2", name, len(results))
		}
		for _, r := range results {
			for _, f := range r.Failures {
				t.Errorf("%s: %s: %s", name, r.Name, f)
			}
		}
	}
	// The two ways decide alike, trace included; a nil element of a list
	// fails the rule closed both ways (the wording of the error differs).
	cold := house{Rooms: []room{{Name: "a", Celsius: 3, Occupied: true}, {Name: "b", Celsius: 30}, {Name: "c", Celsius: 1}},
		Windows: []*window{nil, {Open: false}}}
	ruleErrorsAlike := cmp.Transformer("ruleError", func(v domain.Violation) domain.Violation {
		if v.Code == "RULE_ERROR" {
			v.Message = strings.SplitN(v.Message, ":", 2)[0]
		}
		return v
	})
	vm, lowered := decideHouse(set.VMOnly(), cold), decideHouse(set, cold)
	if diff := cmp.Diff(vm, lowered, ruleErrorsAlike); diff != "" {
		t.Errorf("VM (-) and lowered (+) decide differently:\n%s", diff)
	}
	if codes := lowered.Codes(); !slices.Equal(codes, []string{"TOO_COLD", "RULE_ERROR", "HEAT"}) {
		t.Errorf("codes %v, want TOO_COLD, RULE_ERROR (the nil window), HEAT", codes)
	}
}

func TestScopeMistakes(t *testing.T) {
	for name, tc := range map[string]struct {
		scopes []rules.ScopeDef
		want   string
	}{
		"a derivable that is not a field": {[]rules.ScopeDef{rules.NewScope[roomEnv]("r", rules.ScopeOptions{
			Derivable: []rules.Derivable{{Name: "x", Path: "room.nope"}}})}, "room.nope is not a field"},
		"a derivable of a type rules cannot set": {[]rules.ScopeDef{rules.NewScope[houseEnv]("h", rules.ScopeOptions{
			Derivable: []rules.Derivable{{Name: "rooms", Path: "house.rooms"}}})}, "not a bool, int, string or date"},
		"a function declared twice": {[]rules.ScopeDef{rules.NewScope[roomEnv]("r", rules.ScopeOptions{
			Functions: []rules.Function{rules.Func1("addDays", "", func(int) int { return 0 })}})}, "function addDays is declared twice"},
		"two scopes of one name": {[]rules.ScopeDef{houseScope, rules.NewScope[roomEnv]("house", rules.ScopeOptions{})}, `two scopes are named "house"`},
		"no scope":               {nil, "at least one scope"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := rules.NewLanguage(tc.scopes...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewLanguage: %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// Errors in a toy rule file point at the file, line and column, with the
// names rule authors write.
func TestToyCompileErrors(t *testing.T) {
	lang := toyLanguage(t)
	for name, tc := range map[string]struct{ file, want string }{
		"unknown scope": {"ruleset: t\nrules:\n  - id: a\n    scope: kitchen\n    when: true\n    deny: {code: X, message: m}\n",
			`t.yaml:4:12: rule a: scope "kitchen" is not one of house, room`},
		"unknown field of an element": {"ruleset: t\nrules:\n  - id: a\n    scope: house\n    when: any(house.rooms, .colour == 1)\n    deny: {code: X, message: m}\n",
			"t.yaml:5:"},
		"a field the scope cannot derive": {"ruleset: t\nrules:\n  - id: a\n    scope: room\n    when: true\n    set: {mode: '\"x\"'}\n",
			"t.yaml:6:11: rule a: mode cannot be derived in room scope (derivable: target)"},
		"a set of the wrong type": {"ruleset: t\nrules:\n  - id: a\n    scope: room\n    when: true\n    set: {target: '\"x\"'}\n",
			"the expression is of type string, want int"},
		"a function of another scope": {"ruleset: t\nrules:\n  - id: a\n    scope: house\n    when: warmerThan(nil, 1)\n    deny: {code: X, message: m}\n",
			"t.yaml:5:"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := lang.Load(fstest.MapFS{"t.yaml": {Data: []byte(tc.file)}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load: %v\nwant an error containing %q", err, tc.want)
			}
		})
	}
}

// A rule-file test's own mistakes are reported at the test's line and
// column: a misspelt field inside it, an unknown fixture.
func TestRuleFileTestErrorsPointAtTheTest(t *testing.T) {
	const file = `ruleset: t
rules:
  - id: a
    scope: house
    when: true
    deny: {code: X, message: m}
fixtures:
  home:
    rooms: []
tests:
  - name: misspelt
    fixture: home
    rooms:
      - {name: a, celsuis: 3}
    expect: {deny: [X]}
  - name: no such fixture
    fixture: away
    expect: {deny: [X]}
  - name: a common expectation misspelt
    fixture: home
    expect: {denny: [X]}
`
	set, err := toyLanguage(t).Load(fstest.MapFS{"t.yaml": {Data: []byte(file)}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = set.RunTests(context.Background(), toyTester{})
	var le *rules.LoadError
	if !errors.As(err, &le) {
		t.Fatalf("RunTests: %v, want a *rules.LoadError", err)
	}
	got := le.Error()
	for _, want := range []string{
		`t.yaml:14:19: test "misspelt": unknown field "celsuis"`,
		`t.yaml:16:9: test "no such fixture": unknown fixture "away"`,
		`t.yaml:21:14: test "a common expectation misspelt": unknown field "denny"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems:\n%s\nwant one starting %q", got, want)
		}
	}
}

// Rules dispatch on their leading field test, and a derivation is seen by
// the rules after it even when an earlier rule with the same test was
// skipped: the guard is evaluated again after every derivation.
func TestGuardsSeeDerivations(t *testing.T) {
	const file = `ruleset: guards
rules:
  - id: before
    scope: house
    phase: normalize
    when: house.mode == "eco"
    deny: {code: TOO_EARLY, message: "eco before it was set"}
  - id: set-eco
    scope: house
    phase: normalize
    when: house.mode == ""
    set: {mode: '"eco"'}
  - id: after
    scope: house
    phase: normalize
    when: house.mode == "eco" and len(house.rooms) >= 0
    deny: {code: SEEN_ECO, message: "eco"}
  - id: not-guarded-away
    scope: house
    phase: validate
    when: not (house.mode == "comfort")
    deny: {code: NOT_COMFORT, message: "not comfort"}
`
	set, err := toyLanguage(t).Load(fstest.MapFS{"g.yaml": {Data: []byte(file)}})
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*rules.Set{"guarded": set, "vm": set.VMOnly()} {
		d := decideHouse(s, house{})
		if got := d.Codes(); !slices.Equal(got, []string{"SEEN_ECO", "NOT_COMFORT"}) {
			t.Errorf("%s: codes %v, want SEEN_ECO, NOT_COMFORT", name, got)
		}
		if ran, fired := d.Trace.Ran("before"); !ran || fired {
			t.Errorf("%s: before ran=%v fired=%v, want ran and not fired", name, ran, fired)
		}
	}
}
