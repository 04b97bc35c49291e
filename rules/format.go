package rules

import (
	"reflect"
	"strings"
)

// The rule file format as Go types. The compiler reads a file node by node
// (to keep every position for its errors), so these types are not what it
// decodes into; they are what it accepts, written once: the keys the
// compiler allows come from their json tags, and the JSON Schema editors
// check the files with (rulesets/schema) is generated from them. The doc
// tags are the schema's descriptions; schema:"required" marks what a file
// must give, schema:"open" a mapping to which a context adds keys of its
// own (a test's request, its own expectations).

// FileFormat is a rule file.
type FileFormat struct {
	Ruleset     string         `json:"ruleset" schema:"required" doc:"The name of the ruleset the file holds."`
	Context     string         `json:"context,omitempty" doc:"The context the file's rules belong to (seats, accounts); none for the store API's."`
	Description string         `json:"description,omitempty" doc:"What the file decides, for people."`
	Params      map[string]any `json:"params,omitempty" doc:"Named values the expressions read as params.NAME, folded in at compile time."`
	Tables      map[string]any `json:"tables,omitempty" doc:"Named lists and mappings the expressions read as tables.NAME, folded in at compile time."`
	Rules       []RuleFormat   `json:"rules,omitempty" doc:"The rules, evaluated phase by phase (normalize, derive, validate, decide), in file order within a phase."`
	Fixtures    map[string]any `json:"fixtures,omitempty" doc:"Named worlds the tests start from; what one holds is its context's (context: names it)."`
	Tests       []TestFormat   `json:"tests,omitempty" schema:"open" doc:"Tests of the rules, run by entitle check and before a reload goes into force."`
}

// RuleFormat is one rule: a condition and one effect (deny, set or hold).
type RuleFormat struct {
	ID          string                `json:"id" schema:"required" pattern:"^[a-z0-9][a-z0-9._-]*$" doc:"The rule's id: lower-case letters, digits, '.', '_' and '-', unique in the ruleset."`
	Description string                `json:"description,omitempty" doc:"Why the rule exists, for people."`
	Scope       string                `json:"scope" schema:"required" doc:"The scope the rule is written in (order, line, seats, plan...): what its expressions see."`
	Phase       string                `json:"phase,omitempty" enum:"normalize,derive,validate,decide" doc:"When the rule runs; derive for a set, else validate, by default."`
	When        Expression            `json:"when" schema:"required" doc:"The condition, an expr expression of type bool (true to always fire)."`
	Deny        *DenyFormat           `json:"deny,omitempty" doc:"Refuse the request with a code, the field at fault and a message."`
	Set         map[string]Expression `json:"set,omitempty" doc:"Derive fields: each derivable field of the scope with the expression of its new value."`
	Hold        *HoldFormat           `json:"hold,omitempty" doc:"Accept the request but hold it for a person, with a reason."`
}

// DenyFormat is a deny effect.
type DenyFormat struct {
	Code    string `json:"code" schema:"required" pattern:"^[A-Z][A-Z0-9_]*$" doc:"The refusal's code, in UPPER_SNAKE_CASE."`
	Field   string `json:"field,omitempty" doc:"The request's field at fault (lines[2].serviceStartDate is prefixed for item scopes); {{ expressions }} allowed."`
	Message string `json:"message" schema:"required" doc:"A message a person can act on; {{ expressions }} are filled in when the rule fires."`
}

// HoldFormat is a hold effect: its reason, written as text or as
// {reason: text}.
type HoldFormat struct {
	Reason string `json:"reason" schema:"required" doc:"Why the request waits for a person; {{ expressions }} allowed."`
}

// TestFormat is a test written beside the rules. Keys other than these are
// the context's: the test's request (order, call...) and what else it
// expects.
type TestFormat struct {
	Name    string        `json:"name" schema:"required" doc:"The test's name, which entitle check -run matches."`
	Fixture string        `json:"fixture" schema:"required" doc:"The fixture the test starts from."`
	Expect  *ExpectFormat `json:"expect,omitempty" schema:"open" doc:"What the decision must be; allowed, deny, messages, hold, fired and notFired are the language's, other keys the context's."`
}

// Expression is an expr expression as a rule file writes it: text, or a bare
// true, false or number.
type Expression string

// formatKeys returns the json names of the fields of T, in order.
func formatKeys[T any]() []string {
	t := reflect.TypeFor[T]()
	keys := make([]string, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		keys = append(keys, name)
	}
	return keys
}

var (
	fileKeys = formatKeys[FileFormat]()
	ruleKeys = formatKeys[RuleFormat]()
	denyKeys = formatKeys[DenyFormat]()
	holdKeys = formatKeys[HoldFormat]()
)
