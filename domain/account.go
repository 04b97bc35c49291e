package domain

import (
	"regexp"
	"time"
)

// Account is a partner's customer account: an Account Manager company (seed
// 000) that owns seats, a License Assignments account (seed 004), and the
// state the account operations (seeds 002, 003) act on. Its ID is the
// number the seeds show (accountId, id); Alias is the name an Account
// Manager partner gets when it creates the company and later authenticates
// with, unique across the system compared case-insensitively.
type Account struct {
	ID        int64
	PartnerID string
	Alias     string
	Title     string
	CreatedAt time.Time
	Activated bool
	// Blocks are the dated block and unblock records, oldest first; whether the
	// account is blocked at an instant is a pure function of them.
	Blocks []BlockRecord
	// Plans maps an app id to the client (tariff) plan id of that app.
	Plans map[string]string
	// Limits maps an app id to that app's limits.
	Limits map[string]Limits
}

// BlockRecord says the account is blocked (or unblocked) from At on.
type BlockRecord struct {
	Blocked bool
	At      time.Time
}

// BlockedAt reports whether the account is blocked at instant t: the latest
// record at or before t decides. A scheduled block shows before it takes effect
// (ScheduledBlock) and takes effect at its instant with no background job.
func (a *Account) BlockedAt(t time.Time) bool {
	blocked := false
	var latest time.Time
	for _, r := range a.Blocks {
		if !r.At.After(t) && !r.At.Before(latest) {
			blocked, latest = r.Blocked, r.At
		}
	}
	return blocked
}

// ScheduledBlock returns the earliest future block instant after now, if any.
func (a *Account) ScheduledBlock(now time.Time) (time.Time, bool) {
	var next time.Time
	for _, r := range a.Blocks {
		if r.Blocked && r.At.After(now) && (next.IsZero() || r.At.Before(next)) {
			next = r.At
		}
	}
	return next, !next.IsZero()
}

// ScheduleBlock records a block at at. Only activated accounts can be blocked,
// and at cannot be before now. It fails with CodeInvalid.
func (a *Account) ScheduleBlock(at, now time.Time) error {
	if !a.Activated {
		return Errorf(CodeInvalid, "blocked", "only activated accounts can be blocked")
	}
	if at.Before(now) {
		return Errorf(CodeInvalid, "blocked_at", "blocked_at %s is in the past", at.UTC().Format(time.RFC3339))
	}
	a.Blocks = append(a.Blocks, BlockRecord{Blocked: true, At: at})
	return nil
}

// UserLimit returns the smallest users limit set for any of the account's
// apps (seed 003's "user" limit), or 0 when none is set.
func (a *Account) UserLimit() int {
	n := 0
	for _, l := range a.Limits {
		if l.Users > 0 && (n == 0 || l.Users < n) {
			n = l.Users
		}
	}
	return n
}

// Limits are an account's per-app allowances (seed 003).
type Limits struct {
	Units     int
	Geofences int
	Users     int
	Triggers  int
}

// ManagedAccountName is the form of a managed-billing account name: 10 digits,
// a hyphen, 5 digits (seed 002).
var ManagedAccountName = regexp.MustCompile(`^[0-9]{10}-[0-9]{5}$`)

// ManagedLinkState is the state of a managed-billing link.
type ManagedLinkState string

// The link states.
const (
	LinkAdded     ManagedLinkState = "ADDED"
	LinkActivated ManagedLinkState = "ACTIVATED"
	LinkCanceled  ManagedLinkState = "CANCELED"
)

// ManagedLink ties a managed account to a primary account for one service SKU.
type ManagedLink struct {
	Primary string
	Managed string
	Service string // "Location"
	SKU     string
	TxID    string
	State   ManagedLinkState
}
