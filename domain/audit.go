package domain

import "time"

// AuditEvent records a state change: who did what, what was decided, and under
// which ruleset. The engine writes one in the same transaction as the change.
type AuditEvent struct {
	ID      string
	At      time.Time
	Actor   string // the client id
	Command string // such as "CreateOrder"
	Subject string // such as "order:13331"
	// AccountID is the account the change belongs to (0 for none, such as
	// an order or a client): a company's users, seats, assignments, blocks
	// and managed links are filed under it, so an account's trail reads in
	// one query even after its users are deleted.
	AccountID   int64
	Allowed     bool
	Codes       []string
	RulesetHash string
}
