package domain_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/entitle-rules/entitle/domain"
)

// assignment builds an assignment of license lic from act to deact (YYYY-MM-DD; "" for none).
func assignment(tb testing.TB, lic int64, act, deact string) domain.Assignment {
	tb.Helper()
	a := domain.Assignment{AccountID: 1, LicenseID: lic, UserID: 7, ProductID: "CoPilot"}
	if act != "" {
		a.ActivationDate = mustDate(tb, act)
	}
	if deact != "" {
		a.DeactivationDate = mustDate(tb, deact)
	}
	return a
}

func TestAssignmentValidate(t *testing.T) {
	tests := []struct {
		name      string
		act       string
		deact     string
		wantCodes []string // violation codes; nil means valid
		wantField []string
	}{
		{"one year", "2018-06-11", "2019-06-10", nil, nil},
		{"one day", "2018-06-11", "2018-06-11", nil, nil},
		// Seed 004's example: "activationDate": "2018-06-11",
		// "deactivationDate": "2018-06-10" (a cancelled assignment).
		{"seed 004 example, the day before", "2018-06-11", "2018-06-10", nil, nil},
		{"two days before", "2018-06-11", "2018-06-09", []string{"DATES_REVERSED"}, []string{"deactivationDate"}},
		{"a year before", "2018-06-11", "2017-06-11", []string{"DATES_REVERSED"}, []string{"deactivationDate"}},
		{"no activation", "", "2018-06-10", []string{"REQUIRED"}, []string{"activationDate"}},
		{"no deactivation", "2018-06-11", "", []string{"REQUIRED"}, []string{"deactivationDate"}},
		{"neither date", "", "", []string{"REQUIRED", "REQUIRED"}, []string{"activationDate", "deactivationDate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := assignment(t, 1, tt.act, tt.deact)
			err := a.Validate()
			if tt.wantCodes == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			wantCode(t, err, domain.CodeInvalid)
			var de *domain.Error
			errors.As(err, &de)
			var codes, fields []string
			for _, v := range de.Violations {
				codes = append(codes, v.Code)
				fields = append(fields, v.Field)
			}
			if diff := cmp.Diff(tt.wantCodes, codes); diff != "" {
				t.Errorf("violation codes mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantField, fields); diff != "" {
				t.Errorf("violation fields mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAssignmentValidateMessage(t *testing.T) {
	a := assignment(t, 1, "2018-06-11", "2018-06-09")
	want := "the request is invalid: deactivationDate: deactivationDate 2018-06-09 is more than one day before activationDate 2018-06-11 (DATES_REVERSED)"
	if err := a.Validate(); err == nil || err.Error() != want {
		t.Errorf("Validate() = %v,\nwant %s", err, want)
	}
}

func TestAssignmentCancelled(t *testing.T) {
	tests := []struct {
		act, deact string
		want       bool
	}{
		{"2018-06-11", "2018-06-10", true},
		{"2018-06-11", "2018-06-11", false},
		{"2018-06-11", "2019-06-10", false},
	}
	for _, tt := range tests {
		a := assignment(t, 1, tt.act, tt.deact)
		if got := a.Cancelled(); got != tt.want {
			t.Errorf("%s..%s Cancelled() = %v, want %v", tt.act, tt.deact, got, tt.want)
		}
	}
}

func TestAssignmentOverlaps(t *testing.T) {
	base := assignment(t, 1, "2025-01-01", "2025-06-30")
	tests := []struct {
		name string
		b    domain.Assignment
		want bool
	}{
		{"same license, overlapping", assignment(t, 1, "2025-06-01", "2025-12-31"), true},
		{"same license, touching on the last day", assignment(t, 1, "2025-06-30", "2025-12-31"), true},
		{"same license, the day after", assignment(t, 1, "2025-07-01", "2025-12-31"), false},
		{"same license, before", assignment(t, 1, "2024-01-01", "2024-12-31"), false},
		{"another license, same days", assignment(t, 2, "2025-01-01", "2025-06-30"), false},
		{"same license, cancelled inside", assignment(t, 1, "2025-03-01", "2025-02-28"), false},
	}
	for _, tt := range tests {
		if got := base.Overlaps(&tt.b); got != tt.want {
			t.Errorf("%s: Overlaps = %v, want %v", tt.name, got, tt.want)
		}
		if got := tt.b.Overlaps(&base); got != tt.want {
			t.Errorf("%s (reversed): Overlaps = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSeatsInUse(t *testing.T) {
	as := []domain.Assignment{
		assignment(t, 1, "2025-01-01", "2025-06-30"),
		assignment(t, 1, "2025-06-01", "2025-12-31"),
		assignment(t, 1, "2025-06-15", "2025-06-14"), // cancelled
		assignment(t, 2, "2025-01-01", "2025-12-31"),
	}
	tests := []struct {
		lic  int64
		day  string
		want int
	}{
		{1, "2024-12-31", 0},
		{1, "2025-01-01", 1},
		{1, "2025-06-01", 2},
		{1, "2025-06-15", 2},
		{1, "2025-06-30", 2},
		{1, "2025-07-01", 1},
		{1, "2026-01-01", 0},
		{2, "2025-06-15", 1},
		{3, "2025-06-15", 0},
	}
	for _, tt := range tests {
		if got := domain.SeatsInUse(as, tt.lic, mustDate(t, tt.day)); got != tt.want {
			t.Errorf("SeatsInUse(license %d, %s) = %d, want %d", tt.lic, tt.day, got, tt.want)
		}
	}
}

func TestRole(t *testing.T) {
	tests := []struct {
		role        domain.Role
		read, write bool
	}{
		{domain.UserAdmin, true, false},
		{domain.AccountAdmin, true, true},
		{"USER", false, false},
		{"accountadmin", false, false},
		{"", false, false},
	}
	for _, tt := range tests {
		if got := tt.role.CanRead(); got != tt.read {
			t.Errorf("%q.CanRead() = %v, want %v", tt.role, got, tt.read)
		}
		if got := tt.role.CanWrite(); got != tt.write {
			t.Errorf("%q.CanWrite() = %v, want %v", tt.role, got, tt.write)
		}
	}
}

// license builds a license of CoPilot from reg to exp (YYYY-MM-DD).
func license(tb testing.TB, id int64, reg, exp string) domain.License {
	tb.Helper()
	return domain.License{ID: id, AccountID: 1, ProductID: "CoPilot", Registered: mustDate(tb, reg), Expires: mustDate(tb, exp)}
}

func TestLicenseOwnedOn(t *testing.T) {
	tests := []struct {
		name     string
		reg, exp string
		day      string
		want     bool
	}{
		{"the first day", "2018-06-11", "2019-06-10", "2018-06-11", true},
		{"the last day", "2018-06-11", "2019-06-10", "2019-06-10", true},
		{"the day before", "2018-06-11", "2019-06-10", "2018-06-10", false},
		{"the day after", "2018-06-11", "2019-06-10", "2019-06-11", false},
		{"one day", "2018-06-11", "2018-06-11", "2018-06-11", true},
		// A seat taken away the day it was registered: expiry the day before.
		{"retired the day it was registered", "2018-06-11", "2018-06-10", "2018-06-11", false},
		{"retired, the day before", "2018-06-11", "2018-06-10", "2018-06-10", false},
	}
	for _, tt := range tests {
		l := license(t, 1, tt.reg, tt.exp)
		if got := l.OwnedOn(mustDate(t, tt.day)); got != tt.want {
			t.Errorf("%s: OwnedOn(%s) = %v, want %v", tt.name, tt.day, got, tt.want)
		}
	}
}

func TestAssignmentHolds(t *testing.T) {
	tests := []struct {
		name       string
		act, deact string
		day        string
		want       bool
	}{
		{"the activation day", "2018-06-11", "2019-06-10", "2018-06-11", true},
		{"the deactivation day", "2018-06-11", "2019-06-10", "2019-06-10", true},
		{"after", "2018-06-11", "2019-06-10", "2019-06-11", false},
		{"before", "2018-06-11", "2019-06-10", "2018-06-10", false},
		// Seed 004's example: activation 2018-06-11, deactivation 2018-06-10.
		{"seed 004's cancelled assignment, its activation day", "2018-06-11", "2018-06-10", "2018-06-11", false},
		{"seed 004's cancelled assignment, its deactivation day", "2018-06-11", "2018-06-10", "2018-06-10", false},
	}
	for _, tt := range tests {
		a := assignment(t, 1, tt.act, tt.deact)
		if got := a.Holds(mustDate(t, tt.day)); got != tt.want {
			t.Errorf("%s: Holds(%s) = %v, want %v", tt.name, tt.day, got, tt.want)
		}
	}
}

func TestSameUserProductOverlap(t *testing.T) {
	base := assignment(t, 1, "2018-06-11", "2019-06-10") // user 7, CoPilot
	other := func(lic, user int64, product, act, deact string) domain.Assignment {
		a := assignment(t, lic, act, deact)
		a.UserID, a.ProductID = user, product
		return a
	}
	tests := []struct {
		name string
		b    domain.Assignment
		want bool
	}{
		{"same user and product, another license, overlapping", other(2, 7, "CoPilot", "2019-01-01", "2019-12-31"), true},
		{"same user and product, touching on the last day", other(2, 7, "CoPilot", "2019-06-10", "2019-12-31"), true},
		{"same user and product, the day after", other(2, 7, "CoPilot", "2019-06-11", "2019-12-31"), false},
		{"same user, another product", other(2, 7, "MileOn", "2018-06-11", "2019-06-10"), false},
		{"another user, same product", other(2, 8, "CoPilot", "2018-06-11", "2019-06-10"), false},
		{"same user and product, seed 004's cancelled shape inside", other(2, 7, "CoPilot", "2018-07-01", "2018-06-30"), false},
	}
	for _, tt := range tests {
		if got := base.SameUserProductOverlap(&tt.b); got != tt.want {
			t.Errorf("%s: SameUserProductOverlap = %v, want %v", tt.name, got, tt.want)
		}
		if got := tt.b.SameUserProductOverlap(&base); got != tt.want {
			t.Errorf("%s (reversed): SameUserProductOverlap = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCheckAssignments(t *testing.T) {
	withUser := func(a domain.Assignment, id, user int64) domain.Assignment {
		a.ID, a.UserID = id, user
		return a
	}
	tests := []struct {
		name      string
		as        []domain.Assignment
		wantField string // "" for no conflict
		wantMsg   string
	}{
		{"none", nil, "", ""},
		{"one license, one user after another", []domain.Assignment{
			withUser(assignment(t, 1, "2018-01-01", "2018-06-10"), 1, 7),
			withUser(assignment(t, 1, "2018-06-11", "2019-06-10"), 2, 8),
		}, "", ""},
		{"seed 004's cancelled assignment beside the one that replaced it", []domain.Assignment{
			withUser(assignment(t, 1, "2018-06-11", "2018-06-10"), 1, 7),
			withUser(assignment(t, 1, "2018-06-11", "2019-06-10"), 2, 8),
		}, "", ""},
		{"one license twice on a day", []domain.Assignment{
			withUser(assignment(t, 1, "2018-01-01", "2018-06-11"), 1, 7),
			withUser(assignment(t, 1, "2018-06-11", "2019-06-10"), 2, 8),
		}, "licenseId", "license 1 is assigned twice on a common day (assignments 1 and 2)"},
		{"one user, two seats of a product", []domain.Assignment{
			withUser(assignment(t, 1, "2018-06-11", "2019-06-10"), 1, 7),
			withUser(assignment(t, 2, "2018-12-01", "2019-12-01"), 2, 7),
		}, "userId", "user 7 holds two seats of CoPilot on a common day (assignments 1 and 2)"},
	}
	for _, tt := range tests {
		err := domain.CheckAssignments(tt.as)
		if tt.wantField == "" {
			if err != nil {
				t.Errorf("%s: CheckAssignments = %v, want nil", tt.name, err)
			}
			continue
		}
		wantCode(t, err, domain.CodeConflict)
		var de *domain.Error
		if errors.As(err, &de) && (de.Field != tt.wantField || de.Message != tt.wantMsg) {
			t.Errorf("%s: got %s: %s, want %s: %s", tt.name, de.Field, de.Message, tt.wantField, tt.wantMsg)
		}
	}
}

func TestPoolOn(t *testing.T) {
	ls := []domain.License{
		license(t, 3, "2018-01-01", "2018-12-31"),
		license(t, 1, "2018-01-01", "2018-12-31"),
		license(t, 2, "2018-01-01", "2018-12-31"),
		license(t, 4, "2018-01-01", "2018-06-10"), // expired before the day
		license(t, 5, "2018-06-12", "2019-06-11"), // registered after it
		{ID: 6, AccountID: 1, ProductID: "MileOn", Registered: mustDate(t, "2018-01-01"), Expires: mustDate(t, "2018-12-31")},
	}
	user := func(a domain.Assignment, user int64) domain.Assignment {
		a.UserID = user
		return a
	}
	as := []domain.Assignment{
		user(assignment(t, 2, "2018-06-11", "2018-12-31"), 7),
		user(assignment(t, 1, "2018-06-11", "2018-06-10"), 8), // seed 004's cancelled shape: license 1 stays free
		user(assignment(t, 3, "2018-01-01", "2018-06-10"), 9), // ended the day before
		user(assignment(t, 4, "2018-01-01", "2018-06-10"), 10),
	}
	day := mustDate(t, "2018-06-11")
	got := domain.PoolOn("CoPilot", day, ls, as)
	want := domain.Pool{ProductID: "CoPilot", Day: day, Owned: 3, Assigned: 1, Free: []int64{1, 3}, Holder: map[int64]int64{7: 2}}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b domain.Date) bool { return a == b })); diff != "" {
		t.Errorf("PoolOn (-want +got):\n%s", diff)
	}
	// The day after license 5 is registered it is owned, and free.
	got = domain.PoolOn("CoPilot", mustDate(t, "2018-06-12"), ls, as)
	if got.Owned != 4 || got.Assigned != 1 || !slices.Equal(got.Free, []int64{1, 3, 5}) {
		t.Errorf("PoolOn(2018-06-12) = %+v", got)
	}
	if got := domain.PoolOn("MileOn", day, ls, as); got.Owned != 1 || got.Assigned != 0 || !slices.Equal(got.Free, []int64{6}) {
		t.Errorf("PoolOn(MileOn) = %+v", got)
	}
	// Assigned never exceeds owned, even when the assignments given hold
	// one license twice (which the stores refuse).
	dup := append(slices.Clone(as), user(assignment(t, 2, "2018-06-01", "2018-06-30"), 11))
	if got := domain.PoolOn("CoPilot", day, ls, dup); got.Assigned != 1 || got.Owned != 3 {
		t.Errorf("PoolOn with a license held twice = %+v", got)
	}
}
