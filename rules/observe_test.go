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
