package domain

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DecisionRecord is one entry of the decision log: a decision a use case
// made, written in the transaction of its effects (a refusal's record is all
// its transaction writes). Request and State are JSON, in the shape the
// deciding context reads back (the request as the use case took it, and the
// facts the rules saw), so the decision can be made again, under the same
// rules or another set, against exactly the state it saw.
type DecisionRecord struct {
	ID      string
	At      time.Time // when the decision was made (UTC)
	Context string    // the deciding context: orders, seats or accounts
	Command string    // the decision's kind within it, such as CreateOrder
	// Partner and Account name the principal that asked ("" for none), so
	// a partner reads only its own subtree's decisions.
	Partner     string
	Account     string
	Actor       string // who asked, as the audit log names them
	RulesetHash string
	Outcome     DecisionOutcome
	Request     []byte // JSON
	State       []byte // JSON
}

// DecisionOutcome is what a logged decision came to: allowed or not, its
// violations, a hold, and the values the rules derived, each by a field
// path ("lines[0].serviceStartDate") with its value as text. Replaying a
// record compares outcomes.
type DecisionOutcome struct {
	Allowed    bool              `json:"allowed"`
	Violations []Violation       `json:"violations,omitempty"`
	Hold       *Hold             `json:"hold,omitempty"`
	Derived    map[string]string `json:"derived,omitempty"`
}

// Codes returns the codes of the outcome's violations, in order.
func (o DecisionOutcome) Codes() []string {
	out := make([]string, len(o.Violations))
	for i, v := range o.Violations {
		out[i] = v.Code
	}
	return out
}

// RuleIDs returns the ids of the rules behind the outcome's violations and
// hold, in order, without repeats.
func (o DecisionOutcome) RuleIDs() []string {
	var out []string
	add := func(id string) {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for _, v := range o.Violations {
		add(v.RuleID)
	}
	if o.Hold != nil {
		add(o.Hold.RuleID)
	}
	return out
}

// OutcomeOf returns the outcome of d: its violations, hold and, for each
// line, the values the rules derive (start, end and activation dates, the
// kind, auto-renewal, the activation country). A context adds what is its
// own to Derived.
func OutcomeOf(d *Decision) DecisionOutcome {
	o := DecisionOutcome{Allowed: d.Allowed, Violations: slices.Clone(d.Violations), Hold: d.Hold}
	if len(d.Lines) == 0 && d.ActivationCountry == "" {
		return o
	}
	o.Derived = make(map[string]string, 1+6*len(d.Lines))
	if d.ActivationCountry != "" {
		o.Derived["activationCountry"] = d.ActivationCountry
	}
	for i := range d.Lines {
		l := &d.Lines[i]
		p := "lines[" + strconv.Itoa(i) + "]."
		o.Derived[p+"serviceStartDate"] = l.ServiceStartDate.String()
		o.Derived[p+"serviceEndDate"] = l.ServiceEndDate.String()
		o.Derived[p+"activationDate"] = l.ActivationDate.String()
		o.Derived[p+"kind"] = string(l.Kind)
		o.Derived[p+"autoRenewal"] = yn(l.AutoRenewal)
		o.Derived[p+"serialNumber"] = l.SerialNumber
	}
	return o
}

func yn(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}

// DecisionFilter selects logged decisions for DecisionsTx.List: every
// non-zero field must match. Records come oldest first (in the order they
// were appended), PageSize at a time (DefaultDecisionPage when 0, at most
// MaxDecisionPage); PageToken is the NextPageToken of the page before.
type DecisionFilter struct {
	From, To  time.Time // At >= From, At < To
	Code      string    // a violation's code
	Rule      string    // a violation's (or the hold's) rule id
	Partner   string    // the principal's partner
	Account   string    // the principal's account
	Context   string
	PageSize  int
	PageToken string
}

// Decision log page sizes.
const (
	DefaultDecisionPage = 100
	MaxDecisionPage     = 1000
)

// Size returns the page size f asks for, bounded.
func (f DecisionFilter) Size() int {
	switch {
	case f.PageSize <= 0:
		return DefaultDecisionPage
	case f.PageSize > MaxDecisionPage:
		return MaxDecisionPage
	}
	return f.PageSize
}

// Matches reports whether r passes f's filters (not its paging): the
// reference a store's query must agree with.
func (f DecisionFilter) Matches(r *DecisionRecord) bool {
	switch {
	case !f.From.IsZero() && r.At.Before(f.From):
	case !f.To.IsZero() && !r.At.Before(f.To):
	case f.Partner != "" && r.Partner != f.Partner:
	case f.Account != "" && r.Account != f.Account:
	case f.Context != "" && r.Context != f.Context:
	case f.Code != "" && !slices.Contains(r.Outcome.Codes(), f.Code):
	case f.Rule != "" && !slices.Contains(r.Outcome.RuleIDs(), f.Rule):
	default:
		return true
	}
	return false
}

// AddPart adds to o the decision d of one part of a request, named by
// path (managedAccList[2], items[0]): its violations, their fields under
// path, and whether it was allowed, as Derived[path+".allowed"].
func (o *DecisionOutcome) AddPart(path string, d *Decision) {
	for _, v := range d.Violations {
		v.Field = JoinField(path, v.Field)
		o.Violations = append(o.Violations, v)
	}
	if o.Derived == nil {
		o.Derived = map[string]string{}
	}
	o.Derived[path+".allowed"] = strconv.FormatBool(d.Allowed)
}

// SetInputs encodes req and state as r's Request and State, as JSON. It
// fails with CodeInternal, naming r.Context, when one cannot be encoded.
func (r *DecisionRecord) SetInputs(req, state any) error {
	rb, err := json.Marshal(req)
	if err != nil {
		return Wrap(err, CodeInternal, "%s: the request cannot be logged", r.Context)
	}
	sb, err := json.Marshal(state)
	if err != nil {
		return Wrap(err, CodeInternal, "%s: the facts cannot be logged", r.Context)
	}
	r.Request, r.State = rb, sb
	return nil
}

// DecodeState decodes r's State into state, for a decision of the context
// named context. It fails with CodeInvalid for a record of another context
// or a State that does not decode.
func (r *DecisionRecord) DecodeState(context string, state any) error {
	if r.Context != context {
		return Errorf(CodeInvalid, "context", "decision %s is of %s, not %s", r.ID, r.Context, context)
	}
	if err := json.Unmarshal(r.State, state); err != nil {
		return Wrap(err, CodeInvalid, "decision %s: the logged state does not decode", r.ID)
	}
	return nil
}

// DecisionList is the text a SQL store keeps of a list of codes or rule
// ids so that one can be found with a substring test: ",A,B,".
func DecisionList(items []string) string {
	if len(items) == 0 {
		return ""
	}
	return "," + strings.Join(items, ",") + ","
}

// DecisionID makes a decision record's id from the instant of the
// decision and 8 random bytes: 32 hex digits, the instant's nanoseconds
// first, so ids sort by time and a store's index on them grows at its end
// (an append, not a write into a random page) while ids stay unique.
func DecisionID(at time.Time, random [8]byte) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(at.UnixNano()))
	copy(b[8:], random[:])
	return hex.EncodeToString(b[:])
}
