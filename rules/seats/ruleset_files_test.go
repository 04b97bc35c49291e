package seats_test

import (
	"context"
	"testing"

	"github.com/entitle-rules/entitle/rules/seats"
	"github.com/entitle-rules/entitle/rulesets"
)

// TestShippedRulesets loads the shipped rule files in the seats language and
// runs every test written inside the seats file, one subtest each, so `go
// test` runs what `entitle check` runs.
func TestShippedRulesets(t *testing.T) {
	set, err := seats.Language().Load(rulesets.FS)
	if err != nil {
		t.Fatalf("loading the shipped rulesets:\n%v", err)
	}
	results, err := set.RunTests(context.Background(), seats.Tester(seats.TesterOptions{}))
	if err != nil {
		t.Errorf("the tests in the shipped rulesets are malformed:\n%v", err)
	}
	if len(results) < 20 {
		t.Fatalf("the seats rule file holds %d tests", len(results))
	}
	for _, r := range results {
		t.Run(r.Name, func(t *testing.T) {
			for _, f := range r.Failures {
				t.Errorf("%s: %s", r.Pos, f)
			}
		})
	}
}
