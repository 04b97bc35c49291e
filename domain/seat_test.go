package domain_test

import (
	"errors"
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
