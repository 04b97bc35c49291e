package rules_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules"
)

// Conditions of the toy scopes as rule files write them: field tests a
// rule may lead with (guards, some reading a field a rule derives), the
// tests that follow them, and effects, some deriving a field a guard reads.
var (
	houseTests = []string{`house.mode == ""`, `house.mode == "eco"`, `house.mode != "comfort"`, `not (house.mode == "eco")`, `house.mode == "comfort"`}
	houseRests = []string{`len(house.rooms) > 1`, `any(house.rooms, .occupied)`, `house.mode != "eco"`, `count(house.rooms, .celsius < 15) >= 1`, `true`, `false`}
	houseSets  = []string{`'"eco"'`, `'"comfort"'`, `'""'`, `'house.mode + "x"'`}
	roomTests  = []string{`room.occupied`, `not room.occupied`, `room.celsius == 10`, `room.name == "kitchen"`, `room.name != "attic"`, `target == 21`, `target == 0`, `target != 5`, `house.mode == "eco"`}
	roomRests  = []string{`warmerThan(room, 18)`, `not warmerThan(room, 12)`, `target > 3`, `room.celsius < 15`, `house.mode == ""`, `len(room.name) > 4`, `true`}
	roomSets   = []string{`21`, `5`, `0`, `target + 1`, `room.celsius`}
)

// ruleFile draws a rule file for the toy scopes whose rules lead with a few
// shared field tests, in runs and apart, in every phase, with derivations
// of the fields the tests read among them.
func ruleFile(t *rapid.T) string {
	var b strings.Builder
	b.WriteString("ruleset: drawn\nrules:\n")
	phases := []string{"normalize", "derive", "validate", "decide"}
	n := rapid.IntRange(1, 24).Draw(t, "rules")
	for i := range n {
		house := rapid.Bool().Draw(t, "house")
		tests, rests, sets, scope := roomTests, roomRests, roomSets, "room"
		target := "target"
		if house {
			tests, rests, sets, scope, target = houseTests, houseRests, houseSets, "house", "mode"
		}
		g := rapid.SampledFrom(tests).Draw(t, "guard")
		var when string
		switch rapid.IntRange(0, 4).Draw(t, "shape") {
		case 0:
			when = g
		case 1:
			when = g + " and " + rapid.SampledFrom(rests).Draw(t, "rest")
		case 2:
			when = g + " and " + rapid.SampledFrom(rests).Draw(t, "rest") + " and " + rapid.SampledFrom(rests).Draw(t, "rest2")
		case 3:
			when = g + " and " + rapid.SampledFrom(rests).Draw(t, "rest") + " or " + g + " and " + rapid.SampledFrom(rests).Draw(t, "rest2")
		default:
			when = rapid.SampledFrom(rests).Draw(t, "unguarded")
		}
		fmt.Fprintf(&b, "  - id: r%d\n    scope: %s\n    phase: %s\n    when: %s\n", i, scope, rapid.SampledFrom(phases).Draw(t, "phase"), when)
		switch rapid.IntRange(0, 2).Draw(t, "effect") {
		case 0:
			fmt.Fprintf(&b, "    deny: {code: C%d, message: \"rule %d\"}\n", i, i)
		case 1:
			fmt.Fprintf(&b, "    hold: {reason: \"rule %d\"}\n", i)
		default:
			fmt.Fprintf(&b, "    set: {%s: %s}\n", target, rapid.SampledFrom(sets).Draw(t, "set"))
		}
	}
	return b.String()
}

// decideRooms is decideHouse, with each room's derived target in the
// decision's line outcomes.
func decideRooms(set *rules.Set, h house) domain.Decision {
	run := set.Begin(8)
	env := houseEnv{House: &h}
	houseScope.Eval(run, &env, rules.Normalize, rules.Validate, -1)
	d := run.Decision()
	for i := range h.Rooms {
		renv := roomEnv{House: &h, Room: &h.Rooms[i]}
		roomScope.Eval(run, &renv, rules.Normalize, rules.Decide, i)
		d.Lines = append(d.Lines, domain.LineOutcome{LineNumber: renv.Target, Derived: append([]string(nil), run.Derived()...)})
	}
	houseScope.Eval(run, &env, rules.Decide, rules.Decide, -1)
	d.ActivationCountry = h.Mode
	return run.Finish()
}

// Rules dispatched on their leading field test (a guard tested once per
// pass and again after a derivation of its field, a run of rules sharing a
// false guard passed over at once, only the rest of a condition evaluated
// when the guard holds), lowered to closures, decide as the rules evaluated
// one by one, in order, on the expr VM: the same violations, hold and
// derived values, and the same trace, bit for bit (which rule fired in
// which pass), whatever the rules and the house.
func TestGuardedDecidesAsRuleByRule(t *testing.T) {
	lang := toyLanguage(t)
	rapid.Check(t, func(t *rapid.T) {
		src := ruleFile(t)
		set, err := lang.Load(fstest.MapFS{"drawn.yaml": {Data: []byte(src)}})
		if err != nil {
			t.Fatalf("%v\n%s", err, src)
		}
		rooms := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) room {
			return room{
				Name:     rapid.SampledFrom([]string{"kitchen", "attic", "hall", ""}).Draw(t, "name"),
				Celsius:  rapid.SampledFrom([]int{10, 14, 15, 19, 25}).Draw(t, "celsius"),
				Occupied: rapid.Bool().Draw(t, "occupied"),
			}
		}), 0, 4).Draw(t, "rooms")
		mode := rapid.SampledFrom([]string{"", "eco", "comfort"}).Draw(t, "mode")
		h := house{Rooms: rooms, Mode: mode}
		got := decideRooms(set, cloneHouse(h))
		want := decideRooms(set.VMOnly(), cloneHouse(h))
		if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b domain.Date) bool { return a == b })); diff != "" {
			t.Fatalf("guarded and lowered, the rules decide otherwise than one by one (-vm +guarded):\n%s\nrules:\n%s", diff, src)
		}
	})
}

func cloneHouse(h house) house {
	h.Rooms = slices.Clone(h.Rooms)
	return h
}
