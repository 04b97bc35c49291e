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

// TestLoweredNilIsARuleError: reading a field of a subscription the
// vocabulary may answer nil for is a compile error at its position (issue
// 13, item 5); made sure with != nil, the condition compiles, is lowered, and
// decides alike on the VM, without a RULE_ERROR. A nil the compiler cannot
// see (a nil element of a list) still fails the rule closed at run time on
// both paths: rules' TestToyScopeCompilesLowersAndRuns, the nil window.
func TestLoweredNilIsARuleError(t *testing.T) {
	load := func(when string) (*rules.Set, error) {
		dir := t.TempDir()
		file := "ruleset: nil-read\nrules:\n  - id: reads-nil\n    scope: line\n    when: " + when + "\n    deny: {code: NEVER, message: \"unreachable\"}\n"
		if err := os.WriteFile(dir+"/a.yaml", []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		return orders.Language().Load(os.DirFS(dir))
	}
	if _, err := load(`activeOn(serial, "NONE", today).endDate > today`); err == nil ||
		!strings.Contains(err.Error(), `a.yaml:5:43: activeOn(serial, "NONE", today) may be nil here`) {
		t.Errorf("an unchecked nil read compiled: %v", err)
	}
	set, err := load(`activeOn(serial, "NONE", today) != nil and activeOn(serial, "NONE", today).endDate > today`)
	if err != nil {
		t.Fatal(err)
	}
	if un := set.Unlowered(); len(un) != 0 {
		t.Fatalf("the condition should be lowered: %v", un)
	}
	req := domain.OrderRequest{Lines: []domain.LineRequest{{LineNumber: 1, SerialNumber: "S1"}}}
	for name, s := range map[string]*rules.Set{"lowered": set, "vm": set.VMOnly()} {
		d := orders.Decide(s, &orders.Snapshot{}, &req)
		if !d.Allowed || len(d.Violations) != 0 {
			t.Errorf("%s: got %+v, want no violation", name, d.Violations)
		}
	}
}
