package rules_test

import (
	"fmt"
	"testing"
	"testing/fstest"
	"time"

	"github.com/entitle-rules/entitle/rules"
)

// An observed set tells its observer of each decision: the context of the
// scope evaluated, a duration, and the outcome; the set it was made from
// tells no one, and both decide alike.
func TestObservedSetTellsOfEachDecision(t *testing.T) {
	set, err := rules.MustLanguage(bedScope).Load(fstest.MapFS{"50-garden.yaml": {Data: []byte(gardenRules)}})
	if err != nil {
		t.Fatal(err)
	}
	var told []string
	observed := set.Observed(func(context string, elapsed time.Duration, allowed bool) {
		told = append(told, fmt.Sprintf("%s allowed=%v timed=%v", context, allowed, elapsed > 0))
	})
	decide := func(s *rules.Set, plants int) bool {
		run := s.Begin(1)
		bedScope.Eval(run, &bedEnv{Bed: &bed{Plants: plants}}, rules.Normalize, rules.Decide, -1)
		return run.Finish().Allowed
	}
	if !decide(observed, 3) || decide(observed, 11) || !decide(set, 3) || decide(set, 11) {
		t.Error("the observed set and its original decide differently")
	}
	want := "[garden allowed=true timed=true garden allowed=false timed=true]"
	if fmt.Sprint(told) != want {
		t.Errorf("the observer was told %v, want %s", told, want)
	}
	if observed.Hash() != set.Hash() {
		t.Error("the observed set has another hash")
	}
}

// A Live observed once keeps telling of decisions after a Swap: a reloaded
// rule set is measured like the one it replaced.
func TestLiveObserveOutlivesSwap(t *testing.T) {
	load := func(max int) *rules.Set {
		src := fmt.Sprintf("ruleset: garden\ncontext: garden\nrules:\n  - id: bed.crowded\n    scope: bed\n    when: bed.plants > %d\n    deny: {code: CROWDED, message: too many plants}\n", max)
		set, err := rules.MustLanguage(bedScope).Load(fstest.MapFS{"50-garden.yaml": {Data: []byte(src)}})
		if err != nil {
			t.Fatal(err)
		}
		return set
	}
	live := rules.NewLive(load(10))
	told := 0
	live.Observe(func(string, time.Duration, bool) { told++ })
	decide := func(plants int) bool {
		run := live.Set().Begin(1)
		bedScope.Eval(run, &bedEnv{Bed: &bed{Plants: plants}}, rules.Normalize, rules.Decide, -1)
		return run.Finish().Allowed
	}
	if !decide(5) {
		t.Fatal("5 plants refused under a limit of 10")
	}
	next := load(4)
	live.Swap(next)
	if decide(5) {
		t.Error("5 plants allowed after swapping in a limit of 4")
	}
	if told != 2 {
		t.Errorf("the observer was told of %d decisions, want 2 (one before the swap, one after)", told)
	}
	if live.Set().Hash() != next.Hash() {
		t.Error("the observed set in force has another hash than the set swapped in")
	}
}
