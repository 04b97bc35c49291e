package rules

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	"github.com/entitle-rules/entitle/domain"
)

// The tests written in rule files are the language's; what a fixture holds
// and how a test decides are the context's. A test is a mapping:
//
//	- name: a 21-line order is refused       # the language's
//	  fixture: tap                           # the language's
//	  order: {...}                           # the context's (the test's "given")
//	  expect:
//	    deny: [TOO_MANY_LINES]               # the language's: allowed, deny, messages, hold, fired, notFired
//	    lines: [{serviceStartDate: ...}]     # the context's
//
// A fixture is a named mapping under `fixtures:`, read by the Tester of the
// context it names with `context:` (which may be left out when one Tester
// runs the tests).

// Tester runs the tests written in rule files for one context.
type Tester interface {
	// Context is the name fixtures give in `context:`.
	Context() string
	// Fixture prepares a fixture from its mapping (without `context`).
	Fixture(ctx context.Context, doc Doc) (Fixture, error)
}

// Fixture is a prepared fixture: the world its tests start from.
type Fixture interface {
	// Test prepares one test: given holds the test's keys other than name,
	// fixture and expect; expect holds expect's keys other than the
	// language's own.
	Test(ctx context.Context, given, expect Doc) (Case, error)
}

// Case is one prepared test.
type Case interface {
	// Decide decides the test's request with set, reading its world through
	// the same path the context's use case reads a store.
	Decide(ctx context.Context, set *Set) (domain.Decision, error)
	// Check returns what the decision got wrong against the context's own
	// expectations.
	Check(d *domain.Decision) []string
}

// Doc is a part of a rule file handed to a context to decode: a fixture, a
// test's inputs or its expectations. Errors decoding it carry the position in
// the file.
type Doc struct {
	n *node
}

// Pos returns where the part starts in its file.
func (d Doc) Pos() Pos {
	if d.n == nil {
		return Pos{}
	}
	return d.n.pos
}

// Empty reports whether the part holds nothing.
func (d Doc) Empty() bool { return d.n == nil || (d.n.kind == mapNode && len(d.n.keys) == 0) }

// Has reports whether the part is a mapping with key.
func (d Doc) Has(key string) bool { return d.n != nil && d.n.field(key) != nil }

// Field returns the value under key of a mapping, or an empty Doc.
func (d Doc) Field(key string) Doc {
	if d.n == nil {
		return Doc{}
	}
	if v := d.n.field(key); v != nil {
		return Doc{v}
	}
	return Doc{}
}

// Without returns the mapping without the named keys.
func (d Doc) Without(keys ...string) Doc {
	if d.n == nil || d.n.kind != mapNode {
		return d
	}
	out := &node{pos: d.n.pos, kind: mapNode}
	var values []*ast.MappingValueNode
	for i, k := range d.n.keys {
		name, _ := k.str()
		if slices.Contains(keys, name) {
			continue
		}
		out.keys = append(out.keys, k)
		out.vals = append(out.vals, d.n.vals[i])
		values = append(values, mappingValue(d.n.raw, i))
	}
	out.raw = ast.Mapping(token.New("{", "{", &token.Position{Line: d.n.pos.Line, Column: d.n.pos.Col}), true, values...)
	return Doc{out}
}

// mappingValue returns the i-th key/value pair of a mapping node.
func mappingValue(raw ast.Node, i int) *ast.MappingValueNode {
	switch m := raw.(type) {
	case *ast.MappingNode:
		return m.Values[i]
	case *ast.MappingValueNode:
		return m
	}
	return nil
}

// Decode decodes the part into v strictly: an unknown field or a value of
// the wrong type is an error at its line and column (a *LoadError).
func (d Doc) Decode(v any) (err error) {
	if d.Empty() {
		return nil
	}
	defer func() {
		// The YAML decoder panics on a few malformed inputs; they are
		// mistakes in the file, reported at the part's position.
		if r := recover(); r != nil {
			err = &LoadError{Problems: []Problem{{Pos: d.n.pos, Msg: fmt.Sprintf("cannot be decoded: %v", r)}}}
		}
	}()
	if err := yaml.NodeToValue(d.n.raw, v, yaml.Strict()); err != nil {
		pos := d.n.pos
		msg := err.Error()
		if e, ok := err.(interface{ GetToken() *token.Token }); ok && e.GetToken() != nil {
			p := e.GetToken().Position
			pos = Pos{File: pos.File, Line: p.Line, Col: p.Column}
		}
		if e, ok := err.(interface{ GetMessage() string }); ok {
			msg = e.GetMessage()
		}
		return &LoadError{Problems: []Problem{{Pos: pos, Msg: firstLine(msg)}}}
	}
	return nil
}

// ExpectFormat is what every test may expect of a decision, under a test's
// expect (the context adds its own keys beside these).
type ExpectFormat struct {
	Allowed  *bool    `json:"allowed" doc:"Whether the request is allowed."`
	Deny     []string `json:"deny" doc:"The codes of the violations, in order; [] for none."`
	Messages []string `json:"messages" doc:"Texts each of which some violation's 'field: message' contains."`
	Hold     *bool    `json:"hold" doc:"Whether the request is held for a person."`
	Fired    []string `json:"fired" doc:"Ids of rules that must have fired."`
	NotFired []string `json:"notFired" doc:"Ids of rules that must have run and not fired."`
}

// expectSpec is the language's part of a test's expectations.
type expectSpec = ExpectFormat

var expectKeys = formatKeys[expectSpec]()

// TestResult is the outcome of one test written in a ruleset file.
type TestResult struct {
	Name     string
	Pos      Pos
	Failures []string // empty when the test passed
	Decision domain.Decision
}

// Passed reports whether the test passed.
func (r TestResult) Passed() bool { return len(r.Failures) == 0 }

type fixtureRef struct {
	pos    Pos
	doc    Doc
	tester Tester
	fx     Fixture
	err    error
}

// RunTests parses the tests and fixtures written in the set's files and runs
// every test, in file order, with the Tester of its fixture's context.
// Problems in how a test or fixture is written are returned as a *LoadError
// (file:line:col, at the test's own position), beside the results of the
// tests that could run.
func (s *Set) RunTests(ctx context.Context, testers ...Tester) ([]TestResult, error) {
	return s.RunMatching(ctx, nil, testers...)
}

// RunMatching runs, as RunTests does, the tests whose name match accepts
// (every test when match is nil); the fixtures are prepared only for the
// tests that run.
func (s *Set) RunMatching(ctx context.Context, match func(name string) bool, testers ...Tester) ([]TestResult, error) {
	var ps problems
	fixtures := map[string]*fixtureRef{}
	var testNodes []*node
	for _, name := range s.files {
		root := parseYAML(name, s.sources[name], &ps)
		if root == nil || root.kind != mapNode {
			continue
		}
		fileCtx, _ := root.field("context").str()
		s.readFixtures(root, fileCtx, fixtures, testers, &ps)
		if ts := root.field("tests"); ts != nil {
			testNodes = append(testNodes, ts)
		}
	}
	var out []TestResult
	for _, ts := range testNodes {
		if ts.kind != seqNode {
			ps.add(ts.pos, "tests: want a list of tests")
			continue
		}
		for _, tn := range ts.items {
			if match != nil && tn.kind == mapNode {
				if name, _ := tn.field("name").str(); name != "" && !match(name) {
					continue
				}
			}
			if r, ok := s.runTest(ctx, tn, fixtures, &ps); ok {
				out = append(out, r)
			}
		}
	}
	return out, ps.err()
}

func (s *Set) readFixtures(root *node, fileCtx string, into map[string]*fixtureRef, testers []Tester, ps *problems) {
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
		body := fs.vals[i]
		if body.kind != mapNode {
			ps.add(body.pos, "fixture %s: want a mapping", name)
			continue
		}
		ctxName, _ := body.field("context").str()
		if ctxName == "" {
			ctxName = fileCtx
		}
		t := s.testerFor(ctxName, testers)
		if t == nil {
			var names []string
			for _, c := range testers {
				names = append(names, c.Context())
			}
			ps.add(body.pos, "fixture %s: no tester for context %q (have: %s); name one with context:", name, ctxName, strings.Join(names, ", "))
			continue
		}
		into[name] = &fixtureRef{pos: k.pos, doc: Doc{body}.Without("context"), tester: t}
	}
}

// testerFor returns the tester of the context a fixture names, else the
// context its file declares; a fixture of neither (in a file of the store
// API's, which came before contexts were declared) is read by the only
// tester given, or by the only tester of a context no scope of the language
// declares.
func (s *Set) testerFor(ctxName string, testers []Tester) Tester {
	if ctxName != "" {
		for _, c := range testers {
			if c.Context() == ctxName {
				return c
			}
		}
		return nil
	}
	if len(testers) == 1 {
		return testers[0]
	}
	var found Tester
	declared := s.lang.Contexts()
	for _, c := range testers {
		if c.Context() != "" && slices.Contains(declared, c.Context()) {
			continue
		}
		if found != nil {
			return nil
		}
		found = c
	}
	return found
}

// addErr reports err at pos, or at its own positions when it has them.
func addErr(ps *problems, pos Pos, prefix string, err error) {
	var le *LoadError
	if errors.As(err, &le) {
		for _, p := range le.Problems {
			ps.add(p.Pos, "%s%s", prefix, p.Msg)
		}
		return
	}
	ps.add(pos, "%s%v", prefix, err)
}

func (s *Set) runTest(ctx context.Context, tn *node, fixtures map[string]*fixtureRef, ps *problems) (TestResult, bool) {
	if tn.kind != mapNode {
		ps.add(tn.pos, "a test is a mapping with name, fixture and expect")
		return TestResult{}, false
	}
	name, _ := tn.field("name").str()
	if name == "" {
		ps.add(tn.pos, "a test needs a name")
		return TestResult{}, false
	}
	prefix := fmt.Sprintf("test %q: ", name)
	fxName, _ := tn.field("fixture").str()
	ref := fixtures[fxName]
	if ref == nil {
		ps.add(tn.pos, "%sunknown fixture %q", prefix, fxName)
		return TestResult{}, false
	}
	if ref.fx == nil && ref.err == nil {
		ref.fx, ref.err = ref.tester.Fixture(ctx, ref.doc)
		if ref.err != nil {
			addErr(ps, ref.pos, "fixture "+fxName+": ", ref.err)
		}
	}
	if ref.err != nil {
		return TestResult{}, false
	}
	exp := Doc{tn}.Field("expect")
	var common expectSpec
	if err := exp.Without(exp.keysExcept(expectKeys)...).Decode(&common); err != nil {
		addErr(ps, tn.pos, prefix, err)
		return TestResult{}, false
	}
	for _, id := range append(slices.Clone(common.Fired), common.NotFired...) {
		if !slices.Contains(s.ruleIDs, id) {
			ps.add(tn.pos, "%sexpects rule %q, which does not exist", prefix, id)
		}
	}
	c, err := ref.fx.Test(ctx, Doc{tn}.Without("name", "fixture", "expect"), exp.Without(expectKeys...))
	if err != nil {
		addErr(ps, tn.pos, prefix, err)
		return TestResult{}, false
	}
	d, err := c.Decide(ctx, s)
	if err != nil {
		addErr(ps, tn.pos, prefix, err)
		return TestResult{}, false
	}
	fails := common.check(&d)
	fails = append(fails, c.Check(&d)...)
	return TestResult{Name: name, Pos: tn.pos, Decision: d, Failures: fails}, true
}

// Keys returns the keys of a mapping, in file order.
func (d Doc) Keys() []string { return d.keysExcept(nil) }

// keysExcept returns the keys of a mapping that are not in keep.
func (d Doc) keysExcept(keep []string) []string {
	if d.n == nil {
		return nil
	}
	var out []string
	for _, k := range d.n.keys {
		if name, _ := k.str(); !slices.Contains(keep, name) {
			out = append(out, name)
		}
	}
	return out
}

func (e *expectSpec) check(d *domain.Decision) []string {
	var fails []string
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
	return fails
}

// Coverage reports, for each rule, whether the set's tests saw it fire and
// saw it run without firing. A rule never seen both ways is untested on one side.
func (s *Set) Coverage(results []TestResult) map[string][2]bool {
	cov := make(map[string][2]bool, len(s.rules))
	for _, id := range s.ruleIDs {
		cov[id] = [2]bool{}
	}
	for _, r := range results {
		for _, st := range r.Decision.Trace.Steps() {
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

// CoverageReport is how much of a set's rules its tests exercised: each rule
// has two branches, seen firing and seen running without firing.
type CoverageReport struct {
	Branches int            `json:"branches"` // twice the rules
	Covered  int            `json:"covered"`  // the branches some test saw
	Percent  float64        `json:"percent"`  // 100 * Covered / Branches (100 for no rules)
	Rules    []RuleCoverage `json:"rules"`    // in file order
}

// RuleCoverage is what the tests saw of one rule.
type RuleCoverage struct {
	ID       string `json:"id"`
	Pos      Pos    `json:"-"`
	Fired    bool   `json:"fired"`    // some test saw it fire
	NotFired bool   `json:"notFired"` // some test saw it run and not fire
}

// CoverageOf reports the branches of the set's rules that results saw.
func (s *Set) CoverageOf(results []TestResult) CoverageReport {
	cov := s.Coverage(results)
	rep := CoverageReport{Branches: 2 * len(s.rules), Percent: 100, Rules: make([]RuleCoverage, 0, len(s.rules))}
	for _, r := range s.rules {
		c := cov[r.ID]
		rep.Rules = append(rep.Rules, RuleCoverage{ID: r.ID, Pos: r.Pos, Fired: c[0], NotFired: c[1]})
		for _, b := range c {
			if b {
				rep.Covered++
			}
		}
	}
	if rep.Branches > 0 {
		rep.Percent = 100 * float64(rep.Covered) / float64(rep.Branches)
	}
	return rep
}

// Failure is one cause of failed tests: a rule that could not be evaluated
// (RULE_ERROR) in every test it broke, or one failure the tests share word
// for word. One bug is reported once, with the tests it broke.
type Failure struct {
	Pos     Pos    // the rule's position for a rule error, else the first test's
	RuleID  string // the rule that failed, "" when the failure is a test's expectation
	Message string
	Tests   []TestResult // the tests it broke, in run order
}

// Failures groups the failures of results by cause, in order of first
// appearance: a test whose decision holds a RULE_ERROR is counted under
// that rule (and its expectations, which the error broke, are not repeated);
// the other failed tests are grouped when what they got wrong reads the
// same, word for word.
func (s *Set) Failures(results []TestResult) []Failure {
	var out []Failure
	at := map[string]int{}
	add := func(key string, f Failure, r TestResult) {
		i, ok := at[key]
		if !ok {
			i = len(out)
			at[key] = i
			out = append(out, f)
		}
		out[i].Tests = append(out[i].Tests, r)
	}
	for _, r := range results {
		if r.Passed() {
			continue
		}
		ruleErr := false
		seen := map[string]bool{}
		for _, v := range r.Decision.Violations {
			if v.Code != "RULE_ERROR" || v.RuleID == "" {
				continue
			}
			ruleErr = true
			// One rule failing is one cause, whatever the values it met
			// (expr's message names them: "array length is 2").
			key := "rule\x00" + v.RuleID
			if seen[key] {
				continue // the same rule failing on several items of one test
			}
			seen[key] = true
			add(key, Failure{Pos: s.failedAt(v, r.Pos), RuleID: v.RuleID, Message: exprPosRE.ReplaceAllString(firstLine(v.Message), "")}, r)
		}
		if ruleErr {
			continue
		}
		msg := strings.Join(r.Failures, "; ")
		add("test\x00"+msg, Failure{Pos: r.Pos, Message: msg}, r)
	}
	return out
}

// exprPosRE matches the position inside an expression expr appends to its
// run-time errors; the failure is placed at the expression instead.
var exprPosRE = regexp.MustCompile(` \(\d+:\d+\)$`)

// failedAt returns where the rule a RULE_ERROR names failed: the
// expression of the field it could not derive, else its condition, else
// the rule, else the test.
func (s *Set) failedAt(v domain.Violation, test Pos) Pos {
	rule := s.rule(v.RuleID)
	switch {
	case rule == nil:
		return test
	case strings.Contains(v.Message, " could not derive "):
		for _, se := range rule.sets {
			if strings.HasSuffix(v.Field, se.target.name) {
				return se.value.pos
			}
		}
	case rule.when != nil:
		return rule.when.pos
	}
	return rule.Pos
}

// rule returns the rule with id, or nil.
func (s *Set) rule(id string) *Rule {
	for _, r := range s.rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}
