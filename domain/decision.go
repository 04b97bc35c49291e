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
	RuleID  string // the rule that fired, "" for a structural check
	Code    string // machine-readable, such as TOO_MANY_LINES
	Field   string // the path of the field at fault, such as lines[2].serviceStartDate
	Message string // worded for a person
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
	RuleID string
	Reason string
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

// Trace records, in order, each rule evaluation: which rule, on which line
// (-1 for the order), and whether it fired. Rules is the ruleset's rule ids,
// indexed by TraceStep.Rule; it is shared, not copied, per decision.
type Trace struct {
	Rules []string
	Steps []TraceStep
}

// TraceStep is one rule evaluation.
type TraceStep struct {
	Rule  uint16
	Line  int16
	Fired bool
}

// Fired returns the ids of the rules that fired, in order, with the line
// index for line rules ("line.renewal-start[0]").
func (t Trace) Fired() []string {
	var out []string
	for _, s := range t.Steps {
		if s.Fired {
			out = append(out, t.label(s))
		}
	}
	return out
}

// Ran reports whether rule id was evaluated at least once.
func (t Trace) Ran(id string) (ran, fired bool) {
	for _, s := range t.Steps {
		if int(s.Rule) < len(t.Rules) && t.Rules[s.Rule] == id {
			ran = true
			fired = fired || s.Fired
		}
	}
	return ran, fired
}

// String renders the trace one evaluation per line: "+ id[line]" fired,
// "- id[line]" did not.
func (t Trace) String() string {
	var b strings.Builder
	for _, s := range t.Steps {
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
	id := "?"
	if int(s.Rule) < len(t.Rules) {
		id = t.Rules[s.Rule]
	}
	if s.Line < 0 {
		return id
	}
	return id + "[" + strconv.Itoa(int(s.Line)) + "]"
}
