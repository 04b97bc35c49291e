package orders_test

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/entitle-rules/entitle/rules/orders"
	"github.com/entitle-rules/entitle/rulesets"
)

// An order-scope rule can quantify over the lines: "at most 5 trial lines
// per order", written by a rule author beside the shipped files, with its
// tests, lowered to Go like the shipped rules.
const trialLimit = `ruleset: trial-limit
params:
  max_trial_lines: 5
rules:
  - id: order.max-trial-lines
    scope: order
    when: count(order.lines, .kind == "TRIAL") > params.max_trial_lines
    deny:
      code: TOO_MANY_TRIALS
      field: lines
      message: "at most {{params.max_trial_lines}} trial lines per order; this one has {{count(order.lines, .kind == 'TRIAL')}}"
tests:
  - name: six trial lines are refused
    fixture: tap
    repeatLines: 6
    repeatSerial: "55500000%02d"
    order: {lines: [{partNumber: CP-TRIAL-30}]}
    expect:
      fired: [order.max-trial-lines]
      messages: ["lines: at most 5 trial lines per order; this one has 6"]
  - name: five trial lines pass this rule
    fixture: tap
    repeatLines: 5
    repeatSerial: "55500000%02d"
    order: {lines: [{partNumber: CP-TRIAL-30}]}
    expect: {notFired: [order.max-trial-lines]}
  - name: paid lines do not count
    fixture: tap
    repeatLines: 7
    repeatSerial: "55500000%02d"
    expect: {notFired: [order.max-trial-lines]}
`

func TestOrderRulesQuantifyOverLines(t *testing.T) {
	files := fstest.MapFS{"90-trial-limit.yaml": {Data: []byte(trialLimit)}}
	shipped, err := fs.Glob(rulesets.FS, "*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range shipped {
		b, err := fs.ReadFile(rulesets.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = &fstest.MapFile{Data: b}
	}
	set, err := orders.Language().Load(files)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range set.Unlowered() {
		if strings.Contains(p.Msg, "order.max-trial-lines, when") {
			t.Errorf("the quantifier is not lowered: %s", p)
		}
	}
	ran := 0
	for _, s := range []string{"lowered", "vm"} {
		use := set
		if s == "vm" {
			use = set.VMOnly()
		}
		results, err := use.RunTests(context.Background(), tester())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range results {
			if strings.Contains(r.Pos.File, "trial-limit") {
				ran++
			}
			for _, f := range r.Failures {
				t.Errorf("%s: %s: %s: %s", s, r.Pos, r.Name, f)
			}
		}
	}
	if ran != 6 {
		t.Errorf("%d trial-limit tests ran, want 3 each way", ran)
	}
}

// A misspelt field in a test's order override is reported at its own line
// and column in the rule file, not in a merged document.
func TestRuleTestErrorsPointAtTheTest(t *testing.T) {
	const file = `ruleset: extra
rules: []
tests:
  - name: a misspelt line field
    fixture: tap
    order:
      lines:
        - {serialNumbr: "1234567890"}
    expect: {allowed: true}
`
	files := fstest.MapFS{"90-extra.yaml": {Data: []byte(file)}}
	for _, name := range []string{"00-fixtures.yaml", "10-orders.yaml"} {
		b, err := fs.ReadFile(rulesets.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = &fstest.MapFile{Data: b}
	}
	set, err := orders.Language().Load(files)
	if err != nil {
		t.Fatal(err)
	}
	_, err = set.RunTests(context.Background(), tester())
	if err == nil || !strings.Contains(err.Error(), `90-extra.yaml:8:12: test "a misspelt line field": unknown field "serialNumbr"`) {
		t.Errorf("RunTests: %v\nwant the misspelt field at 90-extra.yaml:8:12", err)
	}
}
