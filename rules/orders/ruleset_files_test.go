package orders_test

import (
	"context"
	"testing"

	"github.com/entitle-rules/entitle/rules/orders"
	"github.com/entitle-rules/entitle/rulesets"
)

// TestShippedRulesets loads the shipped rule files and runs every test written
// inside them, one subtest each, so `go test` runs what `entitle check` runs.
func TestShippedRulesets(t *testing.T) {
	set, err := orders.Language().Load(rulesets.FS)
	if err != nil {
		t.Fatalf("loading the shipped rulesets:\n%v", err)
	}
	results, err := set.RunTests(context.Background(), tester())
	if err != nil {
		t.Errorf("the tests in the shipped rulesets are malformed:\n%v", err)
	}
	if len(results) == 0 {
		t.Fatal("the shipped rulesets hold no tests")
	}
	for _, r := range results {
		t.Run(r.Name, func(t *testing.T) {
			for _, f := range r.Failures {
				t.Errorf("%s: %s", r.Pos, f)
			}
		})
	}
}
