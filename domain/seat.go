package domain

import "time"

// Role is an Account Manager user role (seed 004).
type Role string

// The roles that may read or write license assignments.
const (
	UserAdmin    Role = "USERADMIN"
	AccountAdmin Role = "ACCOUNTADMIN"
)

// CanRead reports whether r may read assignments (USERADMIN or ACCOUNTADMIN).
func (r Role) CanRead() bool { return r == UserAdmin || r == AccountAdmin }

// CanWrite reports whether r may create, change or delete assignments.
func (r Role) CanWrite() bool { return r == AccountAdmin }

// User is a licensee of an account, identified by its externalId (unique per
// account, compared case-insensitively, stored as entered).
type User struct {
	ID         int64
	AccountID  string
	ExternalID string
	FirstName  string
	LastName   string
	Email      string
}

// ExternalKey returns the key external ids are compared by.
func ExternalKey(externalID string) string { return SerialKey(externalID) }

// License is a product an account owns N seats of.
type License struct {
	ID        int64
	AccountID string
	ProductID string
	Seats     int
}

// Assignment gives one seat of a license to one user from ActivationDate to
// DeactivationDate (seed 004). A deactivation the day before activation is how
// a cancelled assignment looks.
type Assignment struct {
	ID               int64
	AccountID        string
	LicenseID        int64
	UserID           int64
	ActivationDate   Date
	DeactivationDate Date
	LastChanged      time.Time
}

// Validate checks deactivationDate >= activationDate - 1 day. It fails with CodeInvalid.
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

// Overlaps reports whether a and b hold the same license on a common day.
func (a *Assignment) Overlaps(b *Assignment) bool {
	if a.LicenseID != b.LicenseID || a.Cancelled() || b.Cancelled() {
		return false
	}
	return Period{a.ActivationDate, a.DeactivationDate}.Overlaps(Period{b.ActivationDate, b.DeactivationDate})
}

// SeatsInUse counts the assignments of licenseID that hold day.
func SeatsInUse(as []Assignment, licenseID int64, day Date) int {
	n := 0
	for i := range as {
		a := &as[i]
		if a.LicenseID == licenseID && !a.Cancelled() && (Period{a.ActivationDate, a.DeactivationDate}).Contains(day) {
			n++
		}
	}
	return n
}
