package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/entitle-rules/entitle/domain"
)

// fixtureSpec is a named world ruleset tests decide against.
type fixtureSpec struct {
	Dataset  `json:",inline"`
	Now      time.Time `json:"now"`
	ClientID string    `json:"clientId"`
	// Order is the base request tests start from and override.
	Order domain.OrderRequest `json:"order"`

	pos Pos
}

// ruleTest is a test written beside the rules: a fixture, changes to it, an
// order, and what the decision must be.
type ruleTest struct {
	Name    string    `json:"name"`
	Fixture string    `json:"fixture"`
	Now     time.Time `json:"now,omitzero"`
	// With adds history to the fixture's world for this test only.
	With Dataset `json:"with"`
	// Order overrides the fixture's order: header fields replace, and Lines
	// replace the base lines (each line starting from the base's first line).
	Order map[string]any `json:"order"`
	// RepeatLines, when > 0, makes the order that many copies of its first
	// line, numbered 1..N. Each copy's serial is RepeatSerial formatted with
	// its number (a printf format such as "12345678%02d"), else the first
	// line's serial with "-N" appended.
	RepeatLines  int        `json:"repeatLines,omitempty"`
	RepeatSerial string     `json:"repeatSerial,omitempty"`
	Expect       expectSpec `json:"expect"`

	pos    Pos
	req    domain.OrderRequest
	world  *World
	now    time.Time
	client string
}

type expectSpec struct {
	Allowed  *bool    `json:"allowed"`
	Deny     []string `json:"deny"`     // the violation codes, in order; [] for none
	Messages []string `json:"messages"` // each must be a substring of some violation's "field: message"
	Hold     *bool    `json:"hold"`
	// ActivationCountry is the order's activation country after the rules.
	ActivationCountry *string          `json:"activationCountry"`
	Fired             []string         `json:"fired"`    // rule ids that must have fired
	NotFired          []string         `json:"notFired"` // rule ids that must have run and not fired
	Lines             []map[string]any `json:"lines"`    // per line: field -> expected value
}

func readFixtures(root *node, into map[string]*fixtureSpec, ps *problems) {
	fs := root.field("fixtures")
	if fs == nil {
		return
	}
	if fs.kind != mapNode {
		ps.add(fs.pos, "fixtures: want a mapping of names to fixtures")
		return
	}
	for i, k := range fs.keys {
		name, _ := k.str()
		if prev, dup := into[name]; dup {
			ps.add(k.pos, "fixture %q is already defined at %s", name, prev.pos)
			continue
		}
		spec := &fixtureSpec{pos: k.pos}
		if err := yaml.NodeToValue(fs.vals[i].raw, spec, yaml.Strict()); err != nil {
			ps.add(fs.vals[i].pos, "fixture %s: %s", name, yamlMsg(err))
			continue
		}
		if _, err := spec.Dataset.Build(); err != nil {
			ps.add(fs.vals[i].pos, "fixture %s: %v", name, err)
			continue
		}
		into[name] = spec
	}
}

func yamlMsg(err error) string {
	return strings.Join(strings.Fields(firstLine(yaml.FormatError(err, false, false))), " ")
}

func readTests(ts *node, set *Set, fixtures map[string]*fixtureSpec, ps *problems) []*ruleTest {
	if ts.kind != seqNode {
		ps.add(ts.pos, "tests: want a list of tests")
		return nil
	}
	var out []*ruleTest
	for _, tn := range ts.items {
		t := &ruleTest{pos: tn.pos}
		if err := yaml.NodeToValue(tn.raw, t, yaml.Strict()); err != nil {
			ps.add(tn.pos, "test: %s", yamlMsg(err))
			continue
		}
		if t.Name == "" {
			ps.add(tn.pos, "a test needs a name")
			continue
		}
		fx := fixtures[t.Fixture]
		if fx == nil {
			ps.add(tn.pos, "test %q: unknown fixture %q", t.Name, t.Fixture)
			continue
		}
		if err := t.prepare(fx); err != nil {
			ps.add(tn.pos, "test %q: %v", t.Name, err)
			continue
		}
		for _, id := range append(append([]string{}, t.Expect.Fired...), t.Expect.NotFired...) {
			if !slices.Contains(set.ruleIDs, id) {
				ps.add(tn.pos, "test %q: expects rule %q, which does not exist", t.Name, id)
			}
		}
		out = append(out, t)
	}
	return out
}

// prepare builds the test's world and request from its fixture.
func (t *ruleTest) prepare(fx *fixtureSpec) error {
	t.now, t.client = fx.Now, fx.ClientID
	if !t.Now.IsZero() {
		t.now = t.Now
	}
	ds := fx.Dataset
	ds.Customers = append(slices.Clone(ds.Customers), t.With.Customers...)
	ds.PriceLists = append(slices.Clone(ds.PriceLists), t.With.PriceLists...)
	ds.Parts = append(slices.Clone(ds.Parts), t.With.Parts...)
	ds.Models = append(slices.Clone(ds.Models), t.With.Models...)
	ds.Devices = append(slices.Clone(ds.Devices), t.With.Devices...)
	ds.Subscriptions = append(slices.Clone(ds.Subscriptions), t.With.Subscriptions...)
	ds.Trials = append(slices.Clone(ds.Trials), t.With.Trials...)
	ds.Promos = append(slices.Clone(ds.Promos), t.With.Promos...)
	ds.Coupons = append(slices.Clone(ds.Coupons), t.With.Coupons...)
	ds.InProgress = append(slices.Clone(ds.InProgress), t.With.InProgress...)
	w, err := ds.Build()
	if err != nil {
		return fmt.Errorf("with: %v", err)
	}
	t.world = w

	req, err := overrideOrder(fx.Order, t.Order)
	if err != nil {
		return err
	}
	if t.RepeatLines > 0 {
		if len(req.Lines) == 0 {
			return fmt.Errorf("repeatLines needs an order with a line")
		}
		base := req.Lines[0]
		req.Lines = make([]domain.LineRequest, t.RepeatLines)
		for i := range req.Lines {
			req.Lines[i] = base
			req.Lines[i].LineNumber = i + 1
			if t.RepeatSerial != "" {
				req.Lines[i].SerialNumber = fmt.Sprintf(t.RepeatSerial, i+1)
			} else {
				req.Lines[i].SerialNumber = base.SerialNumber + "-" + strconv.Itoa(i+1)
			}
		}
	}
	t.req = req
	return nil
}

// overrideOrder applies a test's order overrides to the fixture's request by
// round-tripping through YAML, so overrides use the seed's field names.
func overrideOrder(base domain.OrderRequest, over map[string]any) (domain.OrderRequest, error) {
	if len(over) == 0 {
		base.Lines = slices.Clone(base.Lines)
		return base, nil
	}
	b, err := yaml.Marshal(base)
	if err != nil {
		return base, err
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		return base, err
	}
	var baseLine map[string]any
	if ls, ok := m["lines"].([]any); ok && len(ls) > 0 {
		baseLine, _ = ls[0].(map[string]any)
	}
	for k, v := range over {
		if k != "lines" {
			m[k] = v
			continue
		}
		ls, ok := v.([]any)
		if !ok {
			return base, fmt.Errorf("order.lines: want a list")
		}
		lines := make([]any, len(ls))
		for i, l := range ls {
			lm, ok := l.(map[string]any)
			if !ok {
				return base, fmt.Errorf("order.lines[%d]: want a mapping", i)
			}
			merged := map[string]any{}
			for bk, bv := range baseLine {
				merged[bk] = bv
			}
			for lk, lv := range lm {
				merged[lk] = lv
			}
			lines[i] = merged
		}
		m["lines"] = lines
	}
	b, err = yaml.Marshal(m)
	if err != nil {
		return base, err
	}
	var out domain.OrderRequest
	if err := yaml.UnmarshalWithOptions(b, &out, yaml.Strict()); err != nil {
		return base, fmt.Errorf("order: %s", yamlMsg(err))
	}
	return out, nil
}

// TestResult is the outcome of one test written in a ruleset file.
type TestResult struct {
	Name     string
	Pos      Pos
	Failures []string // empty when the test passed
	Decision domain.Decision
}

// Passed reports whether the test passed.
func (r TestResult) Passed() bool { return len(r.Failures) == 0 }

// RunTests parses the tests and fixtures written in the set's files and runs
// every test, in file order. Problems in how a test or fixture is written are
// returned as a *LoadError (file:line:col), beside the results of the tests
// that could run.
func (s *Set) RunTests() ([]TestResult, error) {
	var ps problems
	fixtures := map[string]*fixtureSpec{}
	var testNodes []*node
	for _, name := range s.files {
		root := parseYAML(name, s.sources[name], &ps)
		if root == nil || root.kind != mapNode {
			continue
		}
		readFixtures(root, fixtures, &ps)
		if ts := root.field("tests"); ts != nil {
			testNodes = append(testNodes, ts)
		}
	}
	var tests []*ruleTest
	for _, ts := range testNodes {
		tests = append(tests, readTests(ts, s, fixtures, &ps)...)
	}
	out := make([]TestResult, 0, len(tests))
	for _, t := range tests {
		snap := t.world.Snapshot(t.now, t.client, &t.req)
		d := s.Decide(snap, &t.req)
		out = append(out, TestResult{Name: t.Name, Pos: t.pos, Decision: d, Failures: t.check(&d)})
	}
	return out, ps.err()
}

// Coverage reports, for each rule, whether the set's tests saw it fire and
// saw it run without firing. A rule never seen both ways is untested on one side.
func (s *Set) Coverage(results []TestResult) map[string][2]bool {
	cov := make(map[string][2]bool, len(s.rules))
	for _, id := range s.ruleIDs {
		cov[id] = [2]bool{}
	}
	for _, r := range results {
		for _, st := range r.Decision.Trace.Steps {
			id := s.ruleIDs[st.Rule]
			c := cov[id]
			if st.Fired {
				c[0] = true
			} else {
				c[1] = true
			}
			cov[id] = c
		}
	}
	return cov
}

func (t *ruleTest) check(d *domain.Decision) []string {
	var fails []string
	e := t.Expect
	if e.Allowed != nil && d.Allowed != *e.Allowed {
		fails = append(fails, fmt.Sprintf("allowed: got %v, want %v (violations: %v)", d.Allowed, *e.Allowed, d.Violations))
	}
	if e.Deny != nil {
		if got := d.Codes(); !slices.Equal(got, e.Deny) {
			fails = append(fails, fmt.Sprintf("deny: got %v, want %v (violations: %v)", got, e.Deny, d.Violations))
		}
	}
	for _, m := range e.Messages {
		found := false
		for _, v := range d.Violations {
			found = found || strings.Contains(v.Field+": "+v.Message, m)
		}
		if !found {
			fails = append(fails, fmt.Sprintf("no violation says %q (violations: %v)", m, d.Violations))
		}
	}
	if e.ActivationCountry != nil && d.ActivationCountry != *e.ActivationCountry {
		fails = append(fails, fmt.Sprintf("activationCountry: got %q, want %q", d.ActivationCountry, *e.ActivationCountry))
	}
	if e.Hold != nil && (d.Hold != nil) != *e.Hold {
		fails = append(fails, fmt.Sprintf("hold: got %v, want %v", d.Hold, *e.Hold))
	}
	for _, id := range e.Fired {
		if _, fired := d.Trace.Ran(id); !fired {
			fails = append(fails, fmt.Sprintf("rule %s did not fire", id))
		}
	}
	for _, id := range e.NotFired {
		if ran, fired := d.Trace.Ran(id); !ran || fired {
			fails = append(fails, fmt.Sprintf("rule %s: want run and not fired, got ran=%v fired=%v", id, ran, fired))
		}
	}
	for i, want := range e.Lines {
		if i >= len(d.Lines) {
			fails = append(fails, fmt.Sprintf("lines[%d]: the order has %d lines", i, len(d.Lines)))
			continue
		}
		for k, v := range want {
			got, ok := lineField(&d.Lines[i], k)
			if !ok {
				fails = append(fails, fmt.Sprintf("lines[%d].%s: not a line field", i, k))
				continue
			}
			if w := fmt.Sprint(v); got != w {
				fails = append(fails, fmt.Sprintf("lines[%d].%s: got %q, want %q", i, k, got, w))
			}
		}
	}
	return fails
}

func lineField(l *domain.LineOutcome, name string) (string, bool) {
	switch name {
	case "serviceStartDate":
		return l.ServiceStartDate.String(), true
	case "serviceEndDate":
		return l.ServiceEndDate.String(), true
	case "activationDate":
		return l.ActivationDate.String(), true
	case "activationType":
		return string(l.ActivationType), true
	case "autoRenewal":
		return domain.YN(l.AutoRenewal), true
	case "serialNumber":
		return l.SerialNumber, true
	case "carrierName":
		return l.CarrierName, true
	case "ssoUserEmailAddress":
		return l.SSOUserEmailAddress, true
	case "simIncludedFlag":
		return l.SimIncludedFlag, true
	case "kind":
		return string(l.Kind), true
	}
	return "", false
}
