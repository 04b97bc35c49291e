package domain

import (
	"strconv"
	"strings"
)

// Decision is what a ruleset decided about a request: allowed or not, every
// violation, the values the rules derived per line, a hold, the trace of which
// rules ran and fired, and the hash of the ruleset that decided. It is
// reproducible from its inputs and that hash.
type Decision struct {
	Allowed    bool
	Violations []Violation
	// ActivationCountry is the order's activation country after the rules
	// ran (rule 10: empty means the ship-to site's country).
	ActivationCountry string
	Lines             []LineOutcome
	Hold              *Hold
	Trace             Trace
	RulesetHash       string
}

// Codes returns the codes of the violations, in order.
func (d *Decision) Codes() []string {
	out := make([]string, len(d.Violations))
	for i, v := range d.Violations {
		out[i] = v.Code
	}
	return out
}

// Err returns nil when the decision allows the request, else an *Error of
// CodeInvalid carrying every violation.
func (d *Decision) Err() error {
	if d.Allowed {
		return nil
	}
	return &Error{Code: CodeInvalid, Message: "the order was refused", Violations: d.Violations}
}

// Violation is one reason a request was refused.
type Violation struct {
	RuleID  string `json:"rule,omitempty"`  // the rule that fired, "" for a structural check
	Code    string `json:"code"`            // machine-readable, such as TOO_MANY_LINES
	Field   string `json:"field,omitempty"` // the path of the field at fault, such as lines[2].serviceStartDate
	Message string `json:"message"`         // worded for a person
}

// String formats v as "field: message (CODE)".
func (v Violation) String() string {
	var b strings.Builder
	if v.Field != "" {
		b.WriteString(v.Field)
		b.WriteString(": ")
	}
	b.WriteString(v.Message)
	if v.Code != "" {
		b.WriteString(" (")
		b.WriteString(v.Code)
		b.WriteString(")")
	}
	return b.String()
}

// Hold says an order is created ORDER_ON_HOLD, and why.
type Hold struct {
	RuleID string `json:"rule"`
	Reason string `json:"reason"`
}

// LineOutcome is a line's values after the rules ran: what was asked, with
// every derivation applied.
type LineOutcome struct {
	LineNumber          int
	SerialNumber        string
	PartNumber          string
	ProductLine         ProductLine
	Kind                SubscriptionKind
	ServiceStartDate    Date
	ServiceEndDate      Date
	AutoRenewal         bool
	ActivationType      ActivationType
	ActivationDate      Date
	SSOUserEmailAddress string
	SimIncludedFlag     string
	CarrierName         string
	// Derived lists the fields rules set on this line, as "field<-rule-id".
	Derived []string
}

// Trace records which rules a decision evaluated and which of them fired, at
// the cost of a bit per rule: a pass is one evaluation of a scope's rules
// (of phases From..To, in phase then file order) for one item (a line's
// index, or -1), and Fired holds one bit per rule per pass. Rules is the rule
// set's rules by index; it is shared, not copied, per decision.
type Trace struct {
	Rules  []TraceRule
	Passes []TracePass
	Fired  []uint64 // pass p's bits are Fired[p*Words() : (p+1)*Words()]
}

// TraceRule is a rule as the trace knows it.
type TraceRule struct {
	ID    string
	Scope uint8 // the index of its scope in the rule language
	Phase uint8
}

// TracePass is one evaluation of a scope's rules of phases From..To.
type TracePass struct {
	Scope    uint8
	Item     int16 // the line (or other item) index; -1 for none
	From, To uint8
}

// TraceStep is one rule evaluation.
type TraceStep struct {
	Rule  uint16
	Line  int16
	Fired bool
}

// Words returns how many uint64 words each pass's bits take.
func (t Trace) Words() int { return (len(t.Rules) + 63) / 64 }

// fired reports whether rule r fired in pass p.
func (t Trace) fired(p, r int) bool {
	w := t.Words()
	i := p*w + r/64
	return i < len(t.Fired) && t.Fired[i]&(1<<(r%64)) != 0
}

// covers reports whether pass p evaluated rule r.
func (t Trace) covers(p, r int) bool {
	ps, tr := t.Passes[p], t.Rules[r]
	return ps.Scope == tr.Scope && ps.From <= tr.Phase && tr.Phase <= ps.To
}

// Steps returns every rule evaluation in the order they ran.
func (t Trace) Steps() []TraceStep {
	var out []TraceStep
	for p, ps := range t.Passes {
		for ph := int(ps.From); ph <= int(ps.To); ph++ {
			for r, tr := range t.Rules {
				if tr.Scope == ps.Scope && int(tr.Phase) == ph {
					out = append(out, TraceStep{Rule: uint16(r), Line: ps.Item, Fired: t.fired(p, r)})
				}
			}
		}
	}
	return out
}

// FiredRules returns the ids of the rules that fired, in order, with the
// line index for line rules ("line.renewal-start[0]").
func (t Trace) FiredRules() []string {
	var out []string
	for _, s := range t.Steps() {
		if s.Fired {
			out = append(out, t.label(s))
		}
	}
	return out
}

// Ran reports whether rule id was evaluated at least once, and whether it
// fired at least once.
func (t Trace) Ran(id string) (ran, fired bool) {
	for r, tr := range t.Rules {
		if tr.ID != id {
			continue
		}
		for p := range t.Passes {
			if t.covers(p, r) {
				ran = true
				fired = fired || t.fired(p, r)
			}
		}
	}
	return ran, fired
}

// String renders the trace one evaluation per line: "+ id[line]" fired,
// "- id[line]" did not.
func (t Trace) String() string {
	var b strings.Builder
	for _, s := range t.Steps() {
		if s.Fired {
			b.WriteString("+ ")
		} else {
			b.WriteString("- ")
		}
		b.WriteString(t.label(s))
		b.WriteByte('\n')
	}
	return b.String()
}

func (t Trace) label(s TraceStep) string {
	id := t.Rules[s.Rule].ID
	if s.Line < 0 {
		return id
	}
	return id + "[" + strconv.Itoa(int(s.Line)) + "]"
}
