package domain

import "time"

// AuditEvent records a state change: who did what, what was decided, and under
// which ruleset. The engine writes one in the same transaction as the change.
type AuditEvent struct {
	ID          string
	At          time.Time
	Actor       string // the client id
	Command     string // such as "CreateOrder"
	Subject     string // such as "order:13331"
	Allowed     bool
	Codes       []string
	RulesetHash string
}
