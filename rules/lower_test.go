package rules

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rulesets"
)

// onVM returns a copy of s whose expressions all run on the expr VM.
func onVM(s *Set) *Set {
	c := *s
	c.rules = nil
	c.byPhase = [2][numPhases][]*Rule{}
	for _, r := range s.rules {
		rc := *r
		rc.when = vmOnly(r.when)
		rc.sets = nil
		for _, se := range r.sets {
			se.value = vmOnly(se.value)
			rc.sets = append(rc.sets, se)
		}
		if r.deny != nil {
			d := *r.deny
			d.field, d.message = vmTemplate(d.field), vmTemplate(d.message)
			rc.deny = &d
		}
		rc.hold = vmTemplate(r.hold)
		c.rules = append(c.rules, &rc)
		c.byPhase[rc.Scope][rc.Phase] = append(c.byPhase[rc.Scope][rc.Phase], &rc)
	}
	return &c
}

func vmOnly(p *program) *program {
	if p == nil {
		return nil
	}
	c := *p
	c.fast = fastFunc{}
	return &c
}

func vmTemplate(t *template) *template {
	if t == nil {
		return nil
	}
	c := *t
	c.holes = nil
	for _, h := range t.holes {
		c.holes = append(c.holes, vmOnly(h))
	}
	return &c
}

var dateEq = cmp.Comparer(func(a, b domain.Date) bool { return a == b })

// TestLoweringMatchesVM decides every test written in the shipped ruleset
// files twice, with the lowered closures and on the expr VM alone, and
// requires identical decisions, traces included.
func TestLoweringMatchesVM(t *testing.T) {
	set, err := Load(rulesets.FS)
	if err != nil {
		t.Fatal(err)
	}
	lowered := 0
	for _, r := range set.rules {
		if r.when.fast.b != nil {
			lowered++
		}
	}
	if lowered != len(set.rules) {
		t.Errorf("%d of %d shipped conditions are lowered; every shipped rule shape should be", lowered, len(set.rules))
	}
	vm := onVM(set)
	results, err := set.RunTests()
	if err != nil {
		t.Fatal(err)
	}
	vmResults, err := vm.RunTests()
	if err != nil {
		t.Fatal(err)
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
	set, err := Load(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	if set.rules[0].when.fast.b == nil || set.rules[0].when.fast.safe {
		t.Fatal("the condition should be lowered and marked as able to meet a nil")
	}
	req := domain.OrderRequest{Lines: []domain.LineRequest{{LineNumber: 1, SerialNumber: "S1"}}}
	for name, s := range map[string]*Set{"lowered": set, "vm": onVM(set)} {
		d := s.Decide(&Snapshot{}, &req)
		if d.Allowed || len(d.Violations) != 1 || d.Violations[0].Code != "RULE_ERROR" {
			t.Errorf("%s: got %+v, want one RULE_ERROR violation", name, d.Violations)
		}
	}
}
