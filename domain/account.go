package domain

import (
	"regexp"
	"slices"
	"time"
)

// Account is a partner's customer account, one for every API: an Account
// Manager company (seed 000) that owns seats, a License Assignments account
// (seed 004), a ThingSpace billing account (seed 002), a GPS-Trace account
// (seed 003). Its ID is the number the seeds show (accountId, id). Alias is
// its name across APIs, unique across the system compared
// case-insensitively: the alias an Account Manager partner gets when it
// creates the company, and the ThingSpace account name ("1234567890-00001",
// ManagedAccountName) of seed 002.
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

	// Seed 003's account object.
	Description string
	LinkApp     string    // the app the account registered itself through; "" for none
	RegApps     []string  // the apps the account has access to
	ServiceApps []string  // the apps in which service mode is enabled
	UpdatedAt   time.Time // the last change
	ActivatedAt time.Time // ack: when the account was activated; zero while it is not
	Attached    bool      // linked by a partner
	AttachedAt  time.Time // zero when not attached
	AddedAt     time.Time // added_time
	Type        AccountType
	// Premium are the account's premium subscriptions (seed 003's GET
	// /partner/accounts/{id}/subscriptions; Ruhavik only).
	Premium []AppSubscription

	// Seed 002: the services the account is registered for ("Location") and
	// the managed-billing SKUs it bought as a primary account.
	Services []string
	SKUs     []string
}

// AccountType is seed 003's account type: 10 managed by a partner
// (Forguard), 20 a partner account, 0 (null on the wire) a Ruhavik or
// Petovik account.
type AccountType int

// The account types of seed 003.
const (
	AccountSelfRegistered AccountType = 0
	AccountManaged        AccountType = 10
	AccountPartner        AccountType = 20
)

// AppSubscription is a premium subscription of an account in one app (seed
// 003).
type AppSubscription struct {
	AppID          string
	Active         bool
	Type           string // custom, google, ios-store, paypal, td_paypal, stripe, td_stripe, space
	SubscriptionID string // e.g. "td-basic.yearly"
	Expiry         time.Time
	OrderID        string
	AutoRenew      bool
}

// ClientPlan is a partner's client (tariff) plan of one app (seed 003).
type ClientPlan struct {
	ID          string
	PartnerID   string
	AppID       string
	Name        string
	Description string
	Quotas      PlanQuotas
	Modules     []string
}

// PlanQuotas are what a client plan allows.
type PlanQuotas struct {
	Units       int
	Geofences   int
	UnitStorage int
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

// Limits are an account's per-app allowances (seed 003: unit, geofence,
// user, triggers, unit_extra_fields, unit_notify_settings).
type Limits struct {
	Units              int
	Geofences          int
	Users              int
	Triggers           int
	UnitExtraFields    int
	UnitNotifySettings int
}

// ManagedAccountName is the form of a managed-billing account name: 10 digits,
// a hyphen, 5 digits (seed 002).
var ManagedAccountName = regexp.MustCompile(`^[0-9]{10}-[0-9]{5}$`)

// ManagedLinkState is the state of a managed-billing link.
type ManagedLinkState string

// The link states: added by the primary, activated (provisioned) by the
// managed account, cancelled by the managed account. Seed 002's list filter
// ADD shows added and cancelled links, PROVISION activated ones.
const (
	LinkAdded     ManagedLinkState = "ADDED"
	LinkActivated ManagedLinkState = "ACTIVATED"
	LinkCanceled  ManagedLinkState = "CANCELED"
)

// Live reports whether a link in state s holds its managed account: an
// account is managed by at most one primary per service at a time.
func (s ManagedLinkState) Live() bool { return s == LinkAdded || s == LinkActivated }

// ManagedLink ties a managed account to a primary account for one service
// and SKU (seed 002). Primary and Managed are account names (Account.Alias);
// TxID is the add request's transaction id, which provision and cancel must
// name.
type ManagedLink struct {
	ID        int64
	Primary   string
	Managed   string
	Service   string // "Location"
	SKU       string
	TxID      string
	State     ManagedLinkState
	CreatedAt time.Time
	UpdatedAt time.Time
}

// AccountQuery selects a partner's accounts for seed 003's count. A nil
// filter does not filter.
type AccountQuery struct {
	PartnerID string
	Attached  *bool  // is_attached
	AppID     string // has access to the app (RegApps); "" for any
	Activated *bool  // activated
}

// Matches reports whether a is one of q's accounts.
func (q *AccountQuery) Matches(a *Account) bool {
	if a.PartnerID != q.PartnerID {
		return false
	}
	if q.Attached != nil && a.Attached != *q.Attached {
		return false
	}
	if q.Activated != nil && a.Activated != *q.Activated {
		return false
	}
	return q.AppID == "" || slices.Contains(a.RegApps, q.AppID)
}

// CancelScheduled removes the block records after now: scheduled blocks
// that have not taken effect. Records at or before now are history and stay,
// so the state at every instant up to now is unchanged. It returns how many
// it removed.
func (a *Account) CancelScheduled(now time.Time) int {
	n := len(a.Blocks)
	a.Blocks = slices.DeleteFunc(a.Blocks, func(r BlockRecord) bool { return r.At.After(now) })
	return n - len(a.Blocks)
}

// Unblock ends a block from now on: scheduled blocks are cancelled, and an
// unblock record at now is appended when the account is blocked at now. It
// reports whether the records changed (a cancelled schedule counts); an
// account neither blocked nor scheduled gets none (unblocking it is
// harmless).
func (a *Account) Unblock(now time.Time) bool {
	cancelled := a.CancelScheduled(now) > 0
	if !a.BlockedAt(now) {
		return cancelled
	}
	a.Blocks = append(a.Blocks, BlockRecord{Blocked: false, At: now})
	return true
}

// Block blocks the account from now on (seed 003's set-blocked true), as
// ScheduleBlock(now, now) does, after cancelling scheduled blocks (they would
// change nothing). It reports whether the records changed: blocking an
// account blocked at now appends nothing, but a schedule it cancelled must
// still be stored. CodeInvalid for an account that is not activated.
func (a *Account) Block(now time.Time) (bool, error) {
	if !a.Activated {
		return false, Errorf(CodeInvalid, "blocked", "only activated accounts can be blocked")
	}
	cancelled := a.CancelScheduled(now) > 0
	if a.BlockedAt(now) {
		return cancelled, nil
	}
	a.Blocks = append(a.Blocks, BlockRecord{Blocked: true, At: now})
	return true, nil
}

// Reschedule replaces the account's scheduled blocks with one at at (seed
// 003's set-blocked-at: an account has one blocked_at). Errors as
// ScheduleBlock's, and then nothing changes.
func (a *Account) Reschedule(at, now time.Time) error {
	kept := a.Blocks
	a.Blocks = slices.Clone(a.Blocks)
	a.CancelScheduled(now)
	if err := a.ScheduleBlock(at, now); err != nil {
		a.Blocks = kept
		return err
	}
	return nil
}

// HasApp reports whether the account has access to the app (RegApps).
func (a *Account) HasApp(appID string) bool { return appID != "" && slices.Contains(a.RegApps, appID) }
