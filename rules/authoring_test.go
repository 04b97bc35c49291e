package rules_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/entitle-rules/entitle/rules"
)

// The pet scope reads a house through a function that finds something and
// answers nil when there is nothing (coldest), and names a request field the
// facts call otherwise (cat_name).
type petEnv struct {
	House *house `expr:"house"`
}

var petScope = rules.NewScope[petEnv]("pet", rules.ScopeOptions{
	Fields: []string{"cat_name"},
	Functions: []rules.Function{
		rules.Func1("coldest", "coldest(house): the coldest room, or nil for a house without rooms", func(h *house) *room {
			if h == nil || len(h.Rooms) == 0 {
				return nil
			}
			c := &h.Rooms[0]
			for i := range h.Rooms {
				if h.Rooms[i].Celsius < c.Celsius {
					c = &h.Rooms[i]
				}
			}
			return c
		}),
	},
})

func petRule(when, effect string) string {
	return "ruleset: t\nrules:\n  - id: a\n    scope: pet\n    when: " + when + "\n    " + effect + "\n"
}

// TestAuthoringCompileErrors: a deny field the scope does not know, and a
// read of a result that may be nil, are compile errors at their position;
// the ways of making sure a result is not nil compile.
func TestAuthoringCompileErrors(t *testing.T) {
	lang := rules.MustLanguage(petScope)
	for name, tc := range map[string]struct{ file, want string }{
		"a misspelt deny field": {petRule("true", "deny: {code: X, field: \"rooms[0].celsuis\", message: m}"),
			`t.yaml:6:38: rule a: deny field "rooms[0].celsuis": celsuis is not a field of the pet scope (did you mean celsius?)`},
		"a deny field that is no name": {petRule("true", "deny: {code: X, field: \"rooms[x]\", message: m}"),
			`t.yaml:6:29: rule a: deny field "rooms[x]": "rooms[x]" is not a field name`},
		"a field of a result that may be nil": {petRule("coldest(house).celsius < 10", "deny: {code: X, message: m}"),
			"t.yaml:5:26: coldest(house) may be nil here: reading .celsius of it would fail"},
		"in a message, with a when that does not make sure": {petRule("len(house.rooms) > 0", `deny: {code: X, message: "{{coldest(house).name}} is cold"}`),
			"t.yaml:6:48: coldest(house) may be nil here: reading .name of it would fail"},
		"made sure of another result": {petRule("coldest(nil) != nil and coldest(house).celsius < 10", "deny: {code: X, message: m}"),
			"coldest(house) may be nil here"},
		"made sure only on one side of or": {petRule("coldest(house) != nil or coldest(house).celsius < 10", "deny: {code: X, message: m}"),
			"coldest(house) may be nil here"},
		"in a folded message, on its second line": {"ruleset: t\nrules:\n  - id: a\n    scope: pet\n    when: true\n    deny:\n      code: X\n      message: >-\n        the house is cold\n        in the {{coldest(house).name}}\n",
			"t.yaml:10:33: coldest(house) may be nil here"},
		"in a literal condition, on its second line": {"ruleset: t\nrules:\n  - id: a\n    scope: pet\n    when: |-\n      true and\n        coldest(house).celsius < 3\n    deny: {code: X, message: m}\n",
			"t.yaml:7:24: coldest(house) may be nil here"},
		"a let of it, not made sure": {petRule("let c = coldest(house); c.celsius < 10", "deny: {code: X, message: m}"),
			"c may be nil here"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := lang.Load(fstest.MapFS{"t.yaml": {Data: []byte(tc.file)}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load: %v\nwant an error containing %q", err, tc.want)
			}
		})
	}
	for name, file := range map[string]string{
		"a field of the facts":         petRule("true", "deny: {code: X, field: \"rooms[2].celsius\", message: m}"),
		"a request's own name":         petRule("true", "deny: {code: X, field: cat_name, message: m}"),
		"a field with holes":           petRule("true", `deny: {code: X, field: "rooms[{{len(house.rooms)}}].nme", message: m}`),
		"made sure before and":         petRule("coldest(house) != nil and coldest(house).celsius < 10", "deny: {code: X, message: m}"),
		"made sure before or":          petRule("coldest(house) == nil or coldest(house).celsius < 10", "deny: {code: X, message: m}"),
		"made sure in the condition":   petRule(`"(coldest(house) != nil ? coldest(house).celsius : 20) < 10"`, "deny: {code: X, message: m}"),
		"made sure in the else":        petRule(`"(coldest(house) == nil ? 20 : coldest(house).celsius) < 10"`, "deny: {code: X, message: m}"),
		"a let made sure":              petRule("let c = coldest(house); c != nil and c.celsius < 10", "deny: {code: X, message: m}"),
		"optional chaining":            petRule("(coldest(house)?.celsius ?? 20) < 10", "deny: {code: X, message: m}"),
		"made sure by the rule's when": petRule("len(house.rooms) > 0 and coldest(house) != nil", `deny: {code: X, field: rooms, message: "{{coldest(house).name}} is cold"}`),
	} {
		if _, err := lang.Load(fstest.MapFS{"t.yaml": {Data: []byte(file)}}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestSnippet(t *testing.T) {
	src := []byte("ruleset: t\n\twhen: a.b\nx")
	for _, tc := range []struct {
		pos  rules.Pos
		want string
	}{
		{rules.Pos{Line: 2, Col: 8}, "\twhen: a.b\n\t      ^"},
		{rules.Pos{Line: 1, Col: 1}, "ruleset: t\n^"},
		{rules.Pos{Line: 4, Col: 1}, ""},
		{rules.Pos{Line: 0, Col: 1}, ""},
	} {
		if got := rules.Snippet(src, tc.pos); got != tc.want {
			t.Errorf("Snippet(%v) = %q, want %q", tc.pos, got, tc.want)
		}
	}
}

const brokenHouse = `ruleset: toy
rules:
  - id: house.open-window
    scope: house
    when: any(house.windows, .open)
    deny: {code: OPEN, field: windows, message: a window is open}
  - id: room.cold
    scope: room
    when: room.celsius < 10
    deny: {code: COLD, field: celsius, message: cold}
fixtures:
  home:
    context: toy
    rooms: [{name: kitchen, celsius: 20}]
tests:
  - {name: a nil window, fixture: home, windows: [null], expect: {allowed: true}}
  - {name: two nil windows, fixture: home, windows: [null, null], expect: {allowed: true}}
  - {name: cold a, fixture: home, rooms: [{name: a, celsius: 5}], expect: {allowed: true}}
  - {name: cold b, fixture: home, rooms: [{name: b, celsius: 5}], expect: {allowed: true}}
  - {name: cold and wrong, fixture: home, rooms: [{name: c, celsius: 5}], expect: {allowed: true, deny: []}}
  - {name: warm, fixture: home, expect: {allowed: true, notFired: [room.cold]}}
`

// TestFailuresAndCoverage: a rule failing at run time is one failure,
// placed at its condition, with every test it broke; tests failing with the
// same words are one failure; coverage counts each rule's two branches.
func TestFailuresAndCoverage(t *testing.T) {
	set, err := toyLanguage(t).Load(fstest.MapFS{"h.yaml": {Data: []byte(brokenHouse)}})
	if err != nil {
		t.Fatal(err)
	}
	results, err := set.RunMatching(t.Context(), func(name string) bool { return name != "warm" }, toyTester{})
	if err != nil || len(results) != 5 {
		t.Fatalf("%d results, %v", len(results), err)
	}
	fails := set.Failures(results)
	type got struct {
		pos   string
		rule  string
		tests int
	}
	var gots []got
	for _, f := range fails {
		gots = append(gots, got{f.Pos.String(), f.RuleID, len(f.Tests)})
	}
	want := []got{{"h.yaml:5:11", "house.open-window", 2}, {"h.yaml:18:5", "", 2}, {"h.yaml:20:5", "", 1}}
	if len(gots) != len(want) {
		t.Fatalf("failures %+v, want %+v", gots, want)
	}
	for i := range want {
		if gots[i] != want[i] {
			t.Errorf("failure %d: %+v, want %+v", i, gots[i], want[i])
		}
	}
	if m := fails[0].Message; !strings.HasPrefix(m, "rule house.open-window could not be evaluated") || strings.Contains(m, "\n") {
		t.Errorf("the rule's failure reads %q", m)
	}
	cov := set.CoverageOf(results)
	if cov.Branches != 4 || cov.Covered != 3 || cov.Percent != 75 {
		t.Errorf("coverage %+v, want 3 of 4 branches", cov)
	}
	for _, rc := range cov.Rules {
		if rc.ID == "room.cold" && !(rc.Fired && rc.NotFired) {
			t.Errorf("room.cold: %+v", rc)
		}
	}
}
