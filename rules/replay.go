package rules

import (
	"slices"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/domain"
)

// Redecider makes a logged decision again under set, against the state the
// record saw, and returns the decision and its outcome (domain.OutcomeOf
// and what the context adds). Each context has one (orders.Redecide, ...).
type Redecider func(set *Set, rec *domain.DecisionRecord) (domain.Decision, domain.DecisionOutcome, error)

// Change is a logged decision that another rule set decides otherwise:
// what it was, what it would be, and how it differs.
type Change struct {
	ID      string    `json:"id"`
	At      time.Time `json:"at"`
	Context string    `json:"context"`
	Command string    `json:"command"`
	Partner string    `json:"partner,omitempty"`
	// Kinds says how the outcome differs: "allowed->refused",
	// "refused->allowed", "codes" (other violation codes), "derived" (other
	// derived values), "hold".
	Kinds []string `json:"kinds"`
	// Rules are the rules behind the difference: those whose violation or
	// hold appears on one side only, and those deriving a changed value.
	Rules   []string               `json:"rules"`
	Before  domain.DecisionOutcome `json:"before"`
	After   domain.DecisionOutcome `json:"after"`
	Derived []DerivedChange        `json:"derived,omitempty"`
}

// DerivedChange is one derived value that differs.
type DerivedChange struct {
	Field  string `json:"field"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// ReplayReport is what replaying a decision log under a rule set found:
// how many decisions it replayed, those that would change, how many
// changes each rule is behind, and the records that could not be replayed.
type ReplayReport struct {
	Hash     string         `json:"hash"` // of the set replayed under
	Replayed int            `json:"replayed"`
	Changed  []Change       `json:"changed"`
	PerRule  map[string]int `json:"perRule"`
	Failed   []ReplayFailed `json:"failed,omitempty"`
}

// ReplayFailed is a record replay could not decide again, and why.
type ReplayFailed struct {
	ID    string `json:"id"`
	Error string `json:"error"`
}

// NewReplayReport returns an empty report of replaying under set.
func NewReplayReport(set *Set) *ReplayReport {
	return &ReplayReport{Hash: set.Hash(), Changed: []Change{}, PerRule: map[string]int{}}
}

// Add decides rec again with redecide under set and records whether the
// outcome changed.
func (r *ReplayReport) Add(set *Set, rec *domain.DecisionRecord, redecide Redecider) {
	r.Merge(ReplayRecord(set, rec, redecide))
}

// Replayed is what deciding one logged decision again came to: a change,
// a failure, or neither. ReplayRecord makes it, Merge adds it to a report;
// records may be replayed concurrently and merged in order.
type Replayed struct {
	change *Change
	failed *ReplayFailed
}

// ReplayRecord decides rec again with redecide under set and compares the
// outcome with the logged one. It is safe for concurrent use when redecide
// is (the contexts' are).
func ReplayRecord(set *Set, rec *domain.DecisionRecord, redecide Redecider) Replayed {
	d, after, err := redecide(set, rec)
	if err != nil {
		return Replayed{failed: &ReplayFailed{ID: rec.ID, Error: err.Error()}}
	}
	c, changed := CompareOutcomes(rec.Outcome, after, &d)
	if !changed {
		return Replayed{}
	}
	c.ID, c.At, c.Context, c.Command, c.Partner = rec.ID, rec.At, rec.Context, rec.Command, rec.Partner
	return Replayed{change: &c}
}

// Merge adds one replayed record to r.
func (r *ReplayReport) Merge(x Replayed) {
	r.Replayed++
	switch {
	case x.failed != nil:
		r.Failed = append(r.Failed, *x.failed)
	case x.change != nil:
		r.Changed = append(r.Changed, *x.change)
		for _, id := range x.change.Rules {
			r.PerRule[id]++
		}
	}
}

// CompareOutcomes reports how after differs from before (nothing when they
// are the same decision); d, the decision after came from, names the rules
// deriving a changed value.
func CompareOutcomes(before, after domain.DecisionOutcome, d *domain.Decision) (Change, bool) {
	c := Change{Before: before, After: after, Kinds: []string{}, Rules: []string{}}
	switch {
	case before.Allowed && !after.Allowed:
		c.Kinds = append(c.Kinds, "allowed->refused")
	case !before.Allowed && after.Allowed:
		c.Kinds = append(c.Kinds, "refused->allowed")
	}
	addRule := func(id string) {
		if id != "" && !slices.Contains(c.Rules, id) {
			c.Rules = append(c.Rules, id)
		}
	}
	if !slices.Equal(violationKeys(before.Violations), violationKeys(after.Violations)) {
		c.Kinds = append(c.Kinds, "codes")
		bk, ak := violationKeys(before.Violations), violationKeys(after.Violations)
		for i, k := range bk {
			if !slices.Contains(ak, k) {
				addRule(before.Violations[i].RuleID)
			}
		}
		for i, k := range ak {
			if !slices.Contains(bk, k) {
				addRule(after.Violations[i].RuleID)
			}
		}
	}
	if holdOf(before.Hold) != holdOf(after.Hold) {
		c.Kinds = append(c.Kinds, "hold")
		if before.Hold != nil {
			addRule(before.Hold.RuleID)
		}
		if after.Hold != nil {
			addRule(after.Hold.RuleID)
		}
	}
	for _, k := range SortedKeys(union(before.Derived, after.Derived)) {
		b, a := before.Derived[k], after.Derived[k]
		if a == b {
			continue
		}
		c.Derived = append(c.Derived, DerivedChange{Field: k, Before: b, After: a})
		for _, id := range derivingRules(d, k) {
			addRule(id)
		}
	}
	if len(c.Derived) > 0 {
		c.Kinds = append(c.Kinds, "derived")
	}
	if len(c.Rules) == 0 && len(c.Kinds) > 0 {
		c.Rules = append(c.Rules, "(no rule: a value the rules no longer derive)")
	}
	return c, len(c.Kinds) > 0
}

// violationKeys are the violations as compared: code and field, in order.
func violationKeys(vs []domain.Violation) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Code + "@" + v.Field
	}
	return out
}

func holdOf(h *domain.Hold) string {
	if h == nil {
		return ""
	}
	return h.RuleID + ":" + h.Reason
}

func union(a, b map[string]string) map[string]string {
	out := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// derivingRules returns the rules of d that derived the value at path
// ("lines[0].serviceStartDate"), from the lines' derivation labels.
func derivingRules(d *domain.Decision, path string) []string {
	if d == nil || !strings.HasPrefix(path, "lines[") {
		return nil
	}
	end := strings.Index(path, "]")
	if end < 0 || end+2 > len(path) {
		return nil
	}
	i := 0
	for _, ch := range path[len("lines["):end] {
		if ch < '0' || ch > '9' {
			return nil
		}
		i = i*10 + int(ch-'0')
	}
	if i >= len(d.Lines) {
		return nil
	}
	field := path[end+2:]
	var out []string
	for _, label := range d.Lines[i].Derived {
		if f, id, ok := strings.Cut(label, "<-"); ok && f == field {
			out = append(out, id)
		}
	}
	return out
}
