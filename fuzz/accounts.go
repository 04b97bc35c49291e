package fuzz

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"pgregory.net/rapid"

	"github.com/entitle-rules/entitle/domain"
)

// Accounts (seeds 002 and 003): generators of GPS-Trace accounts with block
// histories, client plans, ThingSpace account names and managed-billing
// operation sequences, and the checkers of the invariants no rule file can
// switch off.

// The app ids of seed 003.
const (
	AppForguard = "b901da51-ce00-4af2-b978-8d0fca8ae1ea"
	AppRuhavik  = "5a5ca87f-7cbe-4540-ab5d-77bf4bf69884"
	AppPetovik  = "962e19f0-6b4a-4f81-a3fe-4b657689b6f9"
)

// Apps are seed 003's apps.
var Apps = []string{AppForguard, AppRuhavik, AppPetovik}

// Codes of the account problems the checkers report.
const (
	ProblemTwoLiveLinks = "TWO_LIVE_LINKS" // an account managed by two primaries for one service at once
	ProblemBlockedState = "BLOCKED_STATE"  // BlockedAt disagrees with the reference
)

// BlockHistory returns up to max block and unblock records from around
// from: some before it (history), some after (scheduled), in any order,
// with repeated instants now and then.
func BlockHistory(from time.Time, max int) *rapid.Generator[[]domain.BlockRecord] {
	return rapid.Custom(func(t *rapid.T) []domain.BlockRecord {
		n := rapid.IntRange(0, max).Draw(t, "records")
		out := make([]domain.BlockRecord, n)
		for i := range out {
			out[i] = domain.BlockRecord{Blocked: rapid.Bool().Draw(t, "blocked"),
				At: from.Add(time.Duration(rapid.IntRange(-48, 48).Draw(t, "hours")) * time.Hour)}
		}
		return out
	})
}

// GPSAccount returns a GPS-Trace account of partner with id at instant now:
// a type (mostly Forguard, type 10), activated or not, attached or not, reg
// apps, a plan and limits per app now and then, premium subscriptions, and a
// block history around now.
func GPSAccount(partner string, id int64, now time.Time) *rapid.Generator[domain.Account] {
	return rapid.Custom(func(t *rapid.T) domain.Account {
		created := now.Add(-time.Duration(rapid.IntRange(1, 1000).Draw(t, "age")) * time.Hour)
		a := domain.Account{ID: id, PartnerID: partner, Alias: fmt.Sprintf("gps-%d", id), Title: fmt.Sprintf("Account %d", id),
			CreatedAt: created, AddedAt: created,
			Type:      rapid.SampledFrom([]domain.AccountType{domain.AccountManaged, domain.AccountManaged, domain.AccountPartner, domain.AccountSelfRegistered}).Draw(t, "type"),
			Activated: rapid.IntRange(0, 3).Draw(t, "activated") > 0,
			Attached:  rapid.Bool().Draw(t, "attached"),
			RegApps:   rapid.SliceOfNDistinct(rapid.SampledFrom(Apps), 1, 3, func(s string) string { return s }).Draw(t, "regApps"),
		}
		if a.Activated {
			a.ActivatedAt = created
		}
		if a.Attached {
			a.AttachedAt = created
		}
		a.Plans, a.Limits = map[string]string{}, map[string]domain.Limits{}
		for _, app := range a.RegApps {
			if chance(t, 2, "plan") {
				a.Plans[app] = fmt.Sprintf("plan-%s", app[:4])
			}
			if chance(t, 2, "limits") {
				a.Limits[app] = domain.Limits{Units: rapid.IntRange(0, 100).Draw(t, "units"), Users: rapid.IntRange(0, 10).Draw(t, "users")}
			}
			if chance(t, 3, "premium") {
				a.Premium = append(a.Premium, domain.AppSubscription{AppID: app, Active: true,
					Type:           rapid.SampledFrom([]string{"custom", "google", "ios-store", "paypal", "td-paypal", "stripe", "td-stripe", "space"}).Draw(t, "subType"),
					SubscriptionID: "basic.yearly", Expiry: now.AddDate(1, 0, 0)})
			}
		}
		if a.Activated {
			a.Blocks = BlockHistory(now, 6).Draw(t, "blocks")
		}
		return a
	})
}

// ClientPlan returns a client plan of partner for one of seed 003's apps.
func ClientPlan(partner string) *rapid.Generator[domain.ClientPlan] {
	return rapid.Custom(func(t *rapid.T) domain.ClientPlan {
		return domain.ClientPlan{ID: rapid.StringMatching(`[0-9a-f]{20}`).Draw(t, "id"), PartnerID: partner,
			AppID: rapid.SampledFrom(Apps).Draw(t, "app"), Name: "plan",
			Quotas: domain.PlanQuotas{Units: rapid.IntRange(0, 50).Draw(t, "units"), Geofences: rapid.IntRange(0, 50).Draw(t, "geofences")}}
	})
}

// BillingAccountName returns ThingSpace account names: mostly of the form
// 10 digits, '-', 5 digits, and sometimes one digit short or long, another
// separator, surrounding space or non-ASCII digits.
func BillingAccountName() *rapid.Generator[string] {
	return rapid.OneOf(
		rapid.StringMatching(`[0-9]{10}-[0-9]{5}`),
		rapid.StringMatching(`[0-9]{10}-[0-9]{5}`),
		rapid.StringMatching(`[0-9]{9,11}[-_][0-9]{4,6}`),
		rapid.StringMatching(` [0-9]{10}-[0-9]{5}`),
		rapid.StringMatching(`[٠-٩]{10}-[0-9]{5}`),
	)
}

// ManagedOpKind is a managed-billing operation.
type ManagedOpKind uint8

// The managed-billing operations a state machine draws.
const (
	OpAddManaged ManagedOpKind = iota // a primary adds accounts
	OpProvision                       // a managed account provisions its link
	OpCancel                          // a managed account cancels its link
)

func (k ManagedOpKind) String() string { return [...]string{"add", "provision", "cancel"}[k] }

// ManagedOp is one managed-billing operation: Primary (an index into the
// run's primaries) adds Managed (indexes into its managed accounts), or
// Managed[0] provisions or cancels naming Primary, with the TxId of the
// TxFrom-th add so far (a stale or wrong one now and then).
type ManagedOp struct {
	Kind    ManagedOpKind
	Primary int
	Managed []int
	TxFrom  int
}

func (o ManagedOp) String() string {
	return fmt.Sprintf("%s primary %d managed %v tx %d", o.Kind, o.Primary, o.Managed, o.TxFrom)
}

// ManagedOps returns sequences of up to max operations by primaries
// primaries on managed accounts.
func ManagedOps(primaries, managed, max int) *rapid.Generator[[]ManagedOp] {
	return rapid.Custom(func(t *rapid.T) []ManagedOp {
		n := rapid.IntRange(1, max).Draw(t, "ops")
		ops := make([]ManagedOp, n)
		for i := range ops {
			op := ManagedOp{Kind: rapid.SampledFrom([]ManagedOpKind{OpAddManaged, OpAddManaged, OpProvision, OpCancel}).Draw(t, "kind"),
				Primary: rapid.IntRange(0, primaries-1).Draw(t, "primary"),
				TxFrom:  rapid.IntRange(0, 8).Draw(t, "tx")}
			if op.Kind == OpAddManaged {
				op.Managed = rapid.SliceOfN(rapid.IntRange(0, managed-1), 1, 4).Draw(t, "managed")
			} else {
				op.Managed = []int{rapid.IntRange(0, managed-1).Draw(t, "managed")}
			}
			ops[i] = op
		}
		return ops
	})
}

// CheckManagedLinks checks that no account is managed by two primaries for
// one service at once: at most one live link per (managed, service),
// account names compared case-insensitively.
func CheckManagedLinks(links []domain.ManagedLink) error {
	var p domain.Problems
	live := map[string]domain.ManagedLink{}
	for _, l := range links {
		if !l.State.Live() {
			continue
		}
		k := strings.ToLower(l.Managed) + "\x00" + l.Service
		if o, ok := live[k]; ok {
			p.Add(ProblemTwoLiveLinks, "managedAccList", "%s is managed for %s by %s (link %d) and %s (link %d)", l.Managed, l.Service, o.Primary, o.ID, l.Primary, l.ID)
			continue
		}
		live[k] = l
	}
	return p.Err()
}

// BlockedReference is whether records say an account is blocked at t,
// computed apart from domain.Account.BlockedAt: the records sorted by
// instant (stably, so of records at one instant the later-stored is last),
// the last at or before t decides; none, not blocked.
func BlockedReference(records []domain.BlockRecord, t time.Time) bool {
	sorted := slices.Clone(records)
	slices.SortStableFunc(sorted, func(a, b domain.BlockRecord) int { return a.At.Compare(b.At) })
	blocked := false
	for _, r := range sorted {
		if r.At.After(t) {
			break
		}
		blocked = r.Blocked
	}
	return blocked
}

// CheckBlocked checks a's BlockedAt against BlockedReference at each of
// instants.
func CheckBlocked(a *domain.Account, instants ...time.Time) error {
	var p domain.Problems
	for _, t := range instants {
		if got, want := a.BlockedAt(t), BlockedReference(a.Blocks, t); got != want {
			p.Add(ProblemBlockedState, "blocked", "account %d at %s: BlockedAt %v, the records say %v", a.ID, t.UTC().Format(time.RFC3339), got, want)
		}
	}
	return p.Err()
}
