package fuzz

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"pgregory.net/rapid"

	"github.com/entitle-rules/entitle/domain"
)

// Seats (seeds 000 and 004): generators of accounts, users, licenses and
// assignment histories, and the checkers of the invariants no rule file can
// switch off.

// SeatProducts are the products the shipped seats rule file sells.
var SeatProducts = []string{"CoPilot", "MileOn"}

// Codes of the seat problems the checkers report.
const (
	ProblemSeatOverlap      = "SEAT_OVERLAP"       // one license held twice on a day, or one user two seats of a product
	ProblemOverAssigned     = "OVER_ASSIGNED"      // more seats of a product in use than owned on a day
	ProblemUnownedSeat      = "UNOWNED_SEAT"       // an assignment holds a day its license is not owned
	ProblemForeignSeat      = "FOREIGN_SEAT"       // an assignment of another account's or product's license
	ProblemDatesReversed    = "DATES_REVERSED"     // deactivation more than one day before activation
	ProblemDuplicateExtID   = "DUPLICATE_EXTERNAL" // two live users of an account share an externalId (case-insensitively)
	ProblemCrossTenantRead  = "CROSS_TENANT_READ"  // a principal read another account's record
	ProblemLicenseNoAccount = "LICENSE_NO_ACCOUNT" // a license without account or product
)

// ExternalID returns externalIds as fleets use them (driver ids, e-mail
// addresses, vehicle numbers), in mixed case and with non-ASCII letters, so
// that case-insensitive matching is exercised: printable, 1 to 64
// characters.
func ExternalID() *rapid.Generator[string] {
	return rapid.OneOf(
		rapid.StringMatching(`[Dd]river-[0-9]{1,4}`),
		rapid.StringMatching(`[a-zA-Z]{1,8}@[a-z]{1,6}\.(com|DE|io)`),
		rapid.StringMatching(`(TRUCK|Truck|truck) [0-9]{1,3}`),
		rapid.StringMatching(`[ÄÖÜäöüßéÉ]{1,3}-[0-9]{1,2}`),
		rapid.StringMatching(`[0-9]{10}`),
	)
}

// SeatAccount returns a company of partner with id: an alias drawn from
// letters, digits and '-', a title, and now and then a users limit (seed
// 003's user limit).
func SeatAccount(partner string, id int64) *rapid.Generator[domain.Account] {
	return rapid.Custom(func(t *rapid.T) domain.Account {
		a := domain.Account{ID: id, PartnerID: partner, Activated: true,
			Alias:     rapid.StringMatching(`[a-z][a-z0-9]{2,10}(-[a-z0-9]{1,6})?`).Draw(t, "alias"),
			Title:     rapid.SampledFrom(resellerNames[:]).Draw(t, "title"),
			CreatedAt: time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)}
		if chance(t, 3, "users limit") {
			a.Limits = map[string]domain.Limits{"copilot": {Users: rapid.IntRange(1, 20).Draw(t, "users")}}
		}
		return a
	})
}

// SeatUsers returns from min to max live users of account, numbered from
// firstID, whose externalIds differ case-insensitively (as the stores
// require), with optional e-mail addresses and names.
func SeatUsers(account, firstID int64, min, max int) *rapid.Generator[[]domain.User] {
	return rapid.Custom(func(t *rapid.T) []domain.User {
		n := rapid.IntRange(min, max).Draw(t, "users")
		seen := map[string]bool{}
		var out []domain.User
		for len(out) < n {
			ext := ExternalID().Draw(t, "externalId")
			if seen[domain.ExternalKey(ext)] {
				continue
			}
			seen[domain.ExternalKey(ext)] = true
			u := domain.User{ID: firstID + int64(len(out)), AccountID: account, ExternalID: ext}
			if rapid.Bool().Draw(t, "email") {
				u.Email = email(t)
			}
			out = append(out, u)
		}
		return out
	})
}

// SeatLicenses returns from 0 to max seats of the products for account,
// numbered from firstID, whose terms include today or lie around it (a
// seat may have expired or start later).
func SeatLicenses(account, firstID int64, today domain.Date, max int) *rapid.Generator[[]domain.License] {
	return rapid.Custom(func(t *rapid.T) []domain.License {
		n := rapid.IntRange(0, max).Draw(t, "licenses")
		out := make([]domain.License, n)
		for i := range out {
			reg := Date(today.AddDays(-400), today.AddDays(30)).Draw(t, "registered")
			exp := Date(reg, reg.AddDays(730)).Draw(t, "expires")
			out[i] = domain.License{ID: firstID + int64(i), AccountID: account, ProductID: rapid.SampledFrom(SeatProducts).Draw(t, "product"),
				Registered: reg, Expires: exp}
		}
		return out
	})
}

// AssignmentHistory returns a history of assignments of ls to users, as
// days went by: each draws a license and a user and a period within the
// license's term, and keeps it only when no invariant breaks (one license
// held once a day, one seat of a product per user a day), so the history
// is one the stores accept. Some are cancelled (seed 004's shape, the
// deactivation the day before the activation). Ids count from firstID.
func AssignmentHistory(ls []domain.License, users []domain.User, firstID int64) *rapid.Generator[[]domain.Assignment] {
	return rapid.Custom(func(t *rapid.T) []domain.Assignment {
		var out []domain.Assignment
		tries := rapid.IntRange(0, 3*len(ls)).Draw(t, "tries")
		if len(ls) == 0 || len(users) == 0 {
			return out
		}
		for range tries {
			l := rapid.SampledFrom(ls).Draw(t, "license")
			u := rapid.SampledFrom(users).Draw(t, "user")
			if l.Expires.Before(l.Registered) || u.AccountID != l.AccountID {
				continue
			}
			act := Date(l.Registered, l.Expires).Draw(t, "activation")
			deact := Date(act, l.Expires).Draw(t, "deactivation")
			if chance(t, 5, "cancelled") {
				deact = act.AddDays(-1)
			}
			a := domain.Assignment{ID: firstID + int64(len(out)), AccountID: l.AccountID, LicenseID: l.ID, UserID: u.ID, ProductID: l.ProductID,
				ActivationDate: act, DeactivationDate: deact}
			if domain.CheckAssignments(append(slices.Clone(out), a)) == nil {
				out = append(out, a)
			}
		}
		return out
	})
}

// SeatOpKind is what a SeatOp does.
type SeatOpKind uint8

// The seat operations a state machine draws.
const (
	OpAssign   SeatOpKind = iota // assign seats to users (one or bulk)
	OpRelease                    // release users' seats
	OpDelete                     // delete a user (its assignments end today)
	OpSetSeats                   // the partner sets the seats owned (raise or lower)
	OpAddUser                    // add a user
	OpNextDay                    // the clock moves on by Days days
)

func (k SeatOpKind) String() string {
	return [...]string{"assign", "release", "delete", "set-seats", "add-user", "next-day"}[k]
}

// SeatOp is one operation on an account's seats.
type SeatOp struct {
	Kind        SeatOpKind
	Account     int    // which of the accounts of the run
	ProductID   string // assign, release, set-seats
	ExternalIDs []string
	Seats       int // set-seats
	Days        int // next-day
}

func (o SeatOp) String() string {
	return fmt.Sprintf("%s account %d %s %v seats=%d days=%d", o.Kind, o.Account, o.ProductID, o.ExternalIDs, o.Seats, o.Days)
}

// opWeights makes assigning the most frequent operation, so seats run out
// and change hands.
var opWeights = []SeatOpKind{OpAssign, OpAssign, OpAssign, OpRelease, OpDelete, OpSetSeats, OpSetSeats, OpAddUser, OpAddUser, OpNextDay}

// SeatOps returns sequences of up to max operations on accounts accounts,
// naming users from the pool of externalIds given (so operations repeat
// users, name another account's users, or users deleted before).
func SeatOps(accounts int, externalIDs []string, max int) *rapid.Generator[[]SeatOp] {
	return rapid.Custom(func(t *rapid.T) []SeatOp {
		n := rapid.IntRange(1, max).Draw(t, "ops")
		ops := make([]SeatOp, n)
		for i := range ops {
			op := SeatOp{Kind: rapid.SampledFrom(opWeights).Draw(t, "kind"),
				Account:   rapid.IntRange(0, accounts-1).Draw(t, "account"),
				ProductID: rapid.SampledFrom(SeatProducts).Draw(t, "product")}
			switch op.Kind {
			case OpAssign, OpRelease:
				op.ExternalIDs = rapid.SliceOfN(rapid.SampledFrom(externalIDs), 1, 6).Draw(t, "externalIds")
			case OpDelete, OpAddUser:
				op.ExternalIDs = []string{rapid.SampledFrom(externalIDs).Draw(t, "externalId")}
			case OpSetSeats:
				op.Seats = rapid.IntRange(0, 6).Draw(t, "seats")
			case OpNextDay:
				op.Days = rapid.IntRange(1, 400).Draw(t, "days")
			}
			ops[i] = op
		}
		return ops
	})
}

// CheckSeats checks an account's licenses and assignments (of every
// product): no license held twice on a day and no user holding two seats of
// a product (domain.CheckAssignments); no assignment of another account's or
// product's license, or with its deactivation more than a day before its
// activation; no assignment holding a day its license is not owned; and so
// never more seats of a product in use than owned on any day. The days
// checked are those where the count in use can rise above the count owned:
// every activation, and every day after a license expires.
func CheckSeats(ls []domain.License, as []domain.Assignment) error {
	var p domain.Problems
	if err := domain.CheckAssignments(as); err != nil {
		p.Add(ProblemSeatOverlap, "", "%v", err)
	}
	byID := make(map[int64]*domain.License, len(ls))
	for i := range ls {
		if ls[i].AccountID == 0 || ls[i].ProductID == "" {
			p.Add(ProblemLicenseNoAccount, "licenses["+strconv.Itoa(i)+"]", "license %d has no account or product", ls[i].ID)
		}
		byID[ls[i].ID] = &ls[i]
	}
	var days []domain.Date
	for i := range as {
		a := &as[i]
		f := "assignments[" + strconv.Itoa(i) + "]"
		days = append(days, a.ActivationDate)
		l := byID[a.LicenseID]
		if l == nil || l.AccountID != a.AccountID || l.ProductID != a.ProductID {
			p.Add(ProblemForeignSeat, f, "assignment %d holds license %d, not one of account %d's %s seats", a.ID, a.LicenseID, a.AccountID, a.ProductID)
			continue
		}
		if a.DeactivationDate.Before(a.ActivationDate.AddDays(-1)) {
			p.Add(ProblemDatesReversed, f, "assignment %d runs %s", a.ID, a.Period())
		}
		if !a.Cancelled() && (a.ActivationDate.Before(l.Registered) || a.DeactivationDate.After(l.Expires)) {
			p.Add(ProblemUnownedSeat, f, "assignment %d holds %s, outside license %d's term %s", a.ID, a.Period(), l.ID, l.Term())
		}
	}
	for _, l := range ls {
		days = append(days, l.Expires.AddDays(1))
	}
	for _, d := range days {
		for _, product := range productsOf(ls) {
			pool := domain.PoolOn(product, d, ls, as)
			used := 0
			for i := range as {
				if as[i].ProductID == product && as[i].Holds(d) {
					used++
				}
			}
			if used > pool.Owned {
				p.Add(ProblemOverAssigned, "", "%d seats of %s in use on %s, %d owned", used, product, d, pool.Owned)
			}
		}
	}
	return p.Err()
}

// CheckTenancy checks that every user and assignment a principal of account
// read is account's own.
func CheckTenancy(account int64, users []domain.User, as []domain.Assignment) error {
	var p domain.Problems
	for _, u := range users {
		if u.AccountID != account {
			p.Add(ProblemCrossTenantRead, "users", "account %d read user %d of account %d", account, u.ID, u.AccountID)
		}
	}
	for _, a := range as {
		if a.AccountID != account {
			p.Add(ProblemCrossTenantRead, "assignments", "account %d read assignment %d of account %d", account, a.ID, a.AccountID)
		}
	}
	return p.Err()
}

func productsOf(ls []domain.License) []string {
	var out []string
	for _, l := range ls {
		if !slices.Contains(out, l.ProductID) {
			out = append(out, l.ProductID)
		}
	}
	slices.Sort(out)
	return out
}

// CheckExternalIDs checks that no two live users of an account share an
// externalId compared case-insensitively.
func CheckExternalIDs(users []domain.User) error {
	var p domain.Problems
	seen := map[string]int64{}
	for _, u := range users {
		if !u.Live() {
			continue
		}
		k := strconv.FormatInt(u.AccountID, 10) + "\x00" + domain.ExternalKey(u.ExternalID)
		if prev, dup := seen[k]; dup {
			p.Add(ProblemDuplicateExtID, "externalId", "users %d and %d of account %d are both %q", prev, u.ID, u.AccountID, strings.ToLower(u.ExternalID))
			continue
		}
		seen[k] = u.ID
	}
	return p.Err()
}
