package domain

import (
	"slices"
	"time"
)

// Seat licenses (seeds 000 and 004) are one model: a License is one seat of a
// product owned by an account for a term; an Assignment gives one license to
// one user from its activation date to its deactivation date. Because an
// assignment holds exactly one license, and one license's assignments never
// overlap, an account never has more seats in use than it owns on any day:
// the invariant holds by construction, with no count to race on.

// Role is an account user's role (seed 004).
type Role string

// The roles that may read license assignments (seed 004: "GET requires User
// Role of USERADMIN or ACCOUNTADMIN").
const (
	UserAdmin    Role = "USERADMIN"
	AccountAdmin Role = "ACCOUNTADMIN"
)

// CanRead reports whether r may read assignments (USERADMIN or ACCOUNTADMIN).
func (r Role) CanRead() bool { return r == UserAdmin || r == AccountAdmin }

// CanWrite reports whether r may create, change or delete assignments.
func (r Role) CanWrite() bool { return r == AccountAdmin }

// User is a licensee of an account: a driver, a device or a vehicle,
// identified by its ExternalID (seed 000: "the only required field when
// adding a new user"), unique among the account's live users compared
// case-insensitively and stored as entered. A user who may log in (License
// Assignments v2, HTTP Basic) has a Username, unique across the system
// case-insensitively, a PasswordHash (argon2id) and Roles. A deleted user
// keeps its row (its assignments name it) with DeletedAt set, and its
// externalId is free again.
type User struct {
	ID           int64
	AccountID    int64
	ExternalID   string
	Email        string
	FirstName    string
	LastName     string
	PhoneNumber  string
	Username     string
	PasswordHash string
	Roles        []Role
	CreatedAt    time.Time
	UpdatedAt    time.Time
	DeletedAt    time.Time // zero while the user is live
	// FailedLogins counts the wrong passwords given in a row since the last
	// right one; LockedAt is when too many locked the login (seed 002's UWS
	// login: "5 consecutive failed logins lock the contact record"), zero
	// while it is not locked.
	FailedLogins int
	LockedAt     time.Time
}

// Live reports whether the user has not been deleted.
func (u *User) Live() bool { return u.DeletedAt.IsZero() }

// HasRole reports whether u holds one of roles.
func (u *User) HasRole(roles ...Role) bool {
	for _, r := range roles {
		if slices.Contains(u.Roles, r) {
			return true
		}
	}
	return false
}

// ExternalKey returns the key external ids and usernames are compared by.
func ExternalKey(externalID string) string { return SerialKey(externalID) }

// License is one seat of a product owned by an account, for a term from
// Registered to Expires (civil dates, inclusive). A seat taken away from an
// account keeps its row (its assignments name it) with Expires moved to the
// day before it was taken.
type License struct {
	ID         int64
	AccountID  int64
	ProductID  string
	Registered Date
	Expires    Date
	CreatedAt  time.Time
}

// Term returns [Registered, Expires].
func (l *License) Term() Period { return Period{Start: l.Registered, End: l.Expires} }

// OwnedOn reports whether the seat belongs to its account on day.
func (l *License) OwnedOn(day Date) bool {
	return !l.Expires.Before(l.Registered) && l.Term().Contains(day)
}

// Assignment gives one seat (LicenseID) of ProductID to one user from
// ActivationDate to DeactivationDate (inclusive civil dates, seed 004). A
// deactivation the day before activation is how a cancelled assignment
// looks; it holds no day. ProductID repeats the license's product so that
// "one seat of a product per user per day" is a constraint of one table.
type Assignment struct {
	ID               int64
	AccountID        int64
	LicenseID        int64
	UserID           int64
	ProductID        string
	ActivationDate   Date
	DeactivationDate Date
	LastChanged      time.Time
}

// Validate checks that both dates are given and deactivationDate >=
// activationDate - 1 day. It fails with CodeInvalid naming the field.
func (a *Assignment) Validate() error {
	var p Problems
	if a.ActivationDate.IsZero() {
		p.Add("REQUIRED", "activationDate", "activationDate is required (YYYY-MM-DD)")
	}
	if a.DeactivationDate.IsZero() {
		p.Add("REQUIRED", "deactivationDate", "deactivationDate is required (YYYY-MM-DD)")
	}
	if p.Len() == 0 && a.DeactivationDate.Before(a.ActivationDate.AddDays(-1)) {
		p.Add("DATES_REVERSED", "deactivationDate", "deactivationDate %s is more than one day before activationDate %s", a.DeactivationDate, a.ActivationDate)
	}
	return p.Err()
}

// Cancelled reports whether the assignment holds no day (deactivation the day
// before activation).
func (a *Assignment) Cancelled() bool { return a.DeactivationDate.Before(a.ActivationDate) }

// Period returns [ActivationDate, DeactivationDate].
func (a *Assignment) Period() Period {
	return Period{Start: a.ActivationDate, End: a.DeactivationDate}
}

// Holds reports whether the assignment holds its seat on day.
func (a *Assignment) Holds(day Date) bool { return !a.Cancelled() && a.Period().Contains(day) }

// Overlaps reports whether a and b hold the same license on a common day.
func (a *Assignment) Overlaps(b *Assignment) bool {
	if a.LicenseID != b.LicenseID || a.Cancelled() || b.Cancelled() {
		return false
	}
	return a.Period().Overlaps(b.Period())
}

// SameUserProductOverlap reports whether a and b give the same user seats of
// the same product on a common day (one user holds at most one seat of a
// product on any day).
func (a *Assignment) SameUserProductOverlap(b *Assignment) bool {
	if a.UserID != b.UserID || a.ProductID != b.ProductID || a.Cancelled() || b.Cancelled() {
		return false
	}
	return a.Period().Overlaps(b.Period())
}

// SeatsInUse counts the assignments of licenseID that hold day.
func SeatsInUse(as []Assignment, licenseID int64, day Date) int {
	n := 0
	for i := range as {
		if as[i].LicenseID == licenseID && as[i].Holds(day) {
			n++
		}
	}
	return n
}

// CheckAssignments reports the first pair of assignments that break an
// invariant no rule file can switch off: two periods of one license that
// overlap, or one user holding two seats of a product on a common day. It
// fails with CodeConflict naming the later assignment's id.
func CheckAssignments(as []Assignment) error {
	for i := range as {
		for j := i + 1; j < len(as); j++ {
			a, b := &as[i], &as[j]
			if a.Overlaps(b) {
				return Errorf(CodeConflict, "licenseId", "license %d is assigned twice on a common day (assignments %d and %d)", a.LicenseID, a.ID, b.ID)
			}
			if a.SameUserProductOverlap(b) {
				return Errorf(CodeConflict, "userId", "user %d holds two seats of %s on a common day (assignments %d and %d)", a.UserID, a.ProductID, a.ID, b.ID)
			}
		}
	}
	return nil
}

// Pool is an account's seats of one product on one day: what it owns, which
// seats are in use and by whom.
type Pool struct {
	ProductID string
	Day       Date
	Owned     int
	Assigned  int
	// Free are the licenses owned on Day that no assignment holds on Day, by id.
	Free []int64
	// Holder maps a user id to the license the user holds on Day.
	Holder map[int64]int64
}

// PoolOn computes the pool of productID on day from an account's licenses and
// the assignments of those licenses. Assignments of licenses not owned on day
// do not count.
func PoolOn(productID string, day Date, ls []License, as []Assignment) Pool {
	p := Pool{ProductID: productID, Day: day, Holder: map[int64]int64{}}
	owned := map[int64]bool{}
	for i := range ls {
		if ls[i].ProductID == productID && ls[i].OwnedOn(day) {
			owned[ls[i].ID] = true
			p.Owned++
		}
	}
	used := map[int64]bool{}
	for i := range as {
		a := &as[i]
		if owned[a.LicenseID] && a.Holds(day) && !used[a.LicenseID] {
			used[a.LicenseID] = true
			p.Holder[a.UserID] = a.LicenseID
			p.Assigned++
		}
	}
	for i := range ls {
		if owned[ls[i].ID] && !used[ls[i].ID] {
			p.Free = append(p.Free, ls[i].ID)
		}
	}
	slices.Sort(p.Free)
	return p
}

// AssignmentQuery selects an account's assignments (seed 004's filters).
// Zero fields do not filter; Limit 0 means all.
type AssignmentQuery struct {
	AccountID          int64
	LicenseID          int64
	UserID             int64
	FromActivationDate Date // activationDate >= this
	ToActivationDate   Date // activationDate < this
	Sort               AssignmentSort
	Descending         bool
	Offset             int
	Limit              int
}

// AssignmentSort is the field assignments are sorted by; ties break by id.
type AssignmentSort uint8

// The sort fields of seed 004.
const (
	SortByID AssignmentSort = iota
	SortByLicenseID
	SortByUserID
	SortByActivationDate
)
