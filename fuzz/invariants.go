package fuzz

import (
	"strconv"
	"strings"

	"github.com/entitle-rules/entitle/domain"
)

// The checkers below hold whatever the policy: no ruleset may switch them off.
// Each reports every problem it finds as one *domain.Error of
// domain.CodeInvalid whose Violations name the code and field of each; nil
// means the invariant holds.

// Codes of the problems the checkers report.
const (
	ProblemMissingDate        = "MISSING_DATE"            // a subscription without a start or an end
	ProblemEndBeforeStart     = "END_BEFORE_START"        // a period ending before it starts
	ProblemOverlap            = "OVERLAP"                 // two live subscriptions of one serial and product line share a day
	ProblemIncompleteGrant    = "INCOMPLETE_GRANT"        // a trial grant without serial key or product line
	ProblemDuplicateGrant     = "DUPLICATE_GRANT"         // two trial grants of one serial key and product line
	ProblemAllowedMismatch    = "ALLOWED_MISMATCH"        // Allowed disagrees with the violations
	ProblemViolationNoCode    = "VIOLATION_WITHOUT_CODE"  // a violation without a code
	ProblemViolationNoField   = "VIOLATION_WITHOUT_FIELD" // a violation without a field path
	ProblemLineEndBeforeStart = "LINE_END_BEFORE_START"   // a line outcome ending before it starts
)

// CheckTimeline checks a device's subscriptions: every one has a start and an
// end, no end is before its start, and no two live subscriptions (neither
// CANCELED nor TERMINATED) of one product line share a day. Subscriptions of
// different serials (by domain.SerialKey) never conflict, so the
// subscriptions of a whole store may be checked at once.
func CheckTimeline(tl domain.Timeline) error {
	var p domain.Problems
	for i := range tl {
		s := &tl[i]
		f := "[" + strconv.Itoa(i) + "]"
		switch {
		case s.Start.IsZero() || s.End.IsZero():
			p.Add(ProblemMissingDate, f, "subscription %s of %s has period %s; it needs both dates", s.ID, s.Serial, s.Period())
		case s.End.Before(s.Start):
			p.Add(ProblemEndBeforeStart, f+".end", "subscription %s of %s ends %s, before it starts %s", s.ID, s.Serial, s.End, s.Start)
		}
	}
	for i := range tl {
		a := &tl[i]
		if !a.Live() {
			continue
		}
		for j := i + 1; j < len(tl); j++ {
			b := &tl[j]
			if b.Live() && a.ProductLine == b.ProductLine && domain.SameSerial(a.Serial, b.Serial) && a.Period().Overlaps(b.Period()) {
				p.Add(ProblemOverlap, "["+strconv.Itoa(j)+"]",
					"live %s subscriptions of %s overlap: [%d] %s (%s %s) and [%d] %s (%s %s)",
					a.ProductLine, a.Serial, i, a.Period(), a.Kind, a.PartNumber, j, b.Period(), b.Kind, b.PartNumber)
			}
		}
	}
	return p.Err()
}

// CheckTrialOnce checks a trial ledger: every grant names a serial key and a
// product line, and no serial key (compared as domain.SerialKey) holds two
// grants of one product line.
func CheckTrialOnce(grants []domain.TrialGrant) error {
	var p domain.Problems
	first := map[string]int{}
	for i, g := range grants {
		f := "[" + strconv.Itoa(i) + "]"
		if g.SerialKey == "" || g.ProductLine == "" {
			p.Add(ProblemIncompleteGrant, f, "trial grant %q of %q needs a serial key and a product line", g.SerialKey, g.ProductLine)
			continue
		}
		k := domain.SerialKey(g.SerialKey) + "\x00" + string(g.ProductLine)
		if j, dup := first[k]; dup {
			p.Add(ProblemDuplicateGrant, f, "serial %s was granted a %s trial twice: grants [%d] and [%d]", g.SerialKey, g.ProductLine, j, i)
			continue
		}
		first[k] = i
	}
	return p.Err()
}

// CheckDecision checks a decision's shape: it is allowed exactly when it has
// no violations, every violation has a code and a field path, and every line
// outcome with both dates ends on or after its start.
func CheckDecision(d domain.Decision) error {
	var p domain.Problems
	if d.Allowed != (len(d.Violations) == 0) {
		p.Add(ProblemAllowedMismatch, "allowed", "allowed is %v with %d violations: %s", d.Allowed, len(d.Violations), violationList(d.Violations))
	}
	for i, v := range d.Violations {
		f := "violations[" + strconv.Itoa(i) + "]"
		if v.Code == "" {
			p.Add(ProblemViolationNoCode, f+".code", "violation %q of rule %q has no code", v.String(), v.RuleID)
		}
		if v.Field == "" {
			p.Add(ProblemViolationNoField, f+".field", "violation %q of rule %q has no field", v.String(), v.RuleID)
		}
	}
	for i, l := range d.Lines {
		if !l.ServiceStartDate.IsZero() && !l.ServiceEndDate.IsZero() && l.ServiceEndDate.Before(l.ServiceStartDate) {
			p.Add(ProblemLineEndBeforeStart, "lines["+strconv.Itoa(i)+"].serviceEndDate",
				"line %d (%s for %s) ends %s, before it starts %s", l.LineNumber, l.PartNumber, l.SerialNumber, l.ServiceEndDate, l.ServiceStartDate)
		}
	}
	return p.Err()
}

func violationList(vs []domain.Violation) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = v.String()
	}
	return strings.Join(s, "; ")
}
