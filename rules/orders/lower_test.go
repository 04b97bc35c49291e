package orders_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/orders"
	"github.com/entitle-rules/entitle/rulesets"
)

var dateEq = cmp.Comparer(func(a, b domain.Date) bool { return a == b })

// TestLoweringMatchesVM decides every test written in the shipped ruleset
// files twice, with the lowered closures and on the expr VM alone, and
// requires identical decisions, traces included.
func TestLoweringMatchesVM(t *testing.T) {
	set, err := orders.Language().Load(rulesets.FS)
	if err != nil {
		t.Fatal(err)
	}
	// Conditions and derivations run on every decision: every shipped one
	// is lowered. A message runs only when its rule fires and may use the VM.
	for _, p := range set.Unlowered() {
		if !strings.Contains(p.Msg, ", message: ") {
			t.Errorf("%s", p)
		}
	}
	vm := set.VMOnly()
	if len(vm.Unlowered()) == 0 {
		t.Fatal("VMOnly left lowered closures")
	}
	ctx := context.Background()
	results, err := set.RunTests(ctx, tester())
	if err != nil {
		t.Fatal(err)
	}
	vmResults, err := vm.RunTests(ctx, tester())
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(vmResults) || len(results) == 0 {
		t.Fatalf("%d lowered results and %d VM results", len(results), len(vmResults))
	}
	for i := range results {
		if diff := cmp.Diff(vmResults[i].Decision, results[i].Decision, dateEq); diff != "" {
			t.Errorf("%s: lowered and VM decisions differ (-vm +lowered):\n%s", results[i].Name, diff)
		}
	}
}

// TestLoweredNilIsARuleError checks that a lowered closure reading a field
// of a nil subscription fails the rule closed, as the VM does.
func TestLoweredNilIsARuleError(t *testing.T) {
	dir := t.TempDir()
	const file = `ruleset: nil-read
rules:
  - id: reads-nil
    scope: line
    when: activeOn(serial, "NONE", today).endDate > today
    deny: {code: NEVER, message: "unreachable"}
`
	if err := os.WriteFile(dir+"/a.yaml", []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	set, err := orders.Language().Load(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	if un := set.Unlowered(); len(un) != 0 {
		t.Fatalf("the condition should be lowered: %v", un)
	}
	req := domain.OrderRequest{Lines: []domain.LineRequest{{LineNumber: 1, SerialNumber: "S1"}}}
	for name, s := range map[string]*rules.Set{"lowered": set, "vm": set.VMOnly()} {
		d := orders.Decide(s, &orders.Snapshot{}, &req)
		if d.Allowed || len(d.Violations) != 1 || d.Violations[0].Code != "RULE_ERROR" {
			t.Errorf("%s: got %+v, want one RULE_ERROR violation", name, d.Violations)
		}
	}
}
