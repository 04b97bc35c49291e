package accounts_test

import (
	"context"
	"testing"

	"github.com/entitle-rules/entitle/rules/accounts"
	"github.com/entitle-rules/entitle/rulesets"
)

// TestShippedRulesets loads the shipped rule files in the accounts language
// and runs every test written inside the accounts file, one subtest each, so
// `go test` runs what `entitle check` runs; every rule is seen firing and
// not firing.
func TestShippedRulesets(t *testing.T) {
	set, err := accounts.Language().Load(rulesets.FS)
	if err != nil {
		t.Fatalf("loading the shipped rulesets:\n%v", err)
	}
	results, err := set.RunTests(context.Background(), accounts.Tester(accounts.TesterOptions{}))
	if err != nil {
		t.Errorf("the tests in the shipped rulesets are malformed:\n%v", err)
	}
	if len(results) < 30 {
		t.Fatalf("the accounts rule file holds %d tests", len(results))
	}
	for _, r := range results {
		t.Run(r.Name, func(t *testing.T) {
			for _, f := range r.Failures {
				t.Errorf("%s: %s", r.Pos, f)
			}
		})
	}
	for id, c := range set.Coverage(results) {
		if !c[0] || !c[1] {
			t.Errorf("rule %s: seen firing %v, seen not firing %v", id, c[0], c[1])
		}
	}
}
