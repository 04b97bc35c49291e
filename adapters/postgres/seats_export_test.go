package postgres

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/entitle-rules/entitle/domain"
)

// SeatConstraintNames are the constraints errors.go explains, sorted.
func SeatConstraintNames() []string {
	names := make([]string, 0, len(seatConstraints))
	for n := range seatConstraints {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// TranslatePgError is what the store makes of PostgreSQL's error sqlstate
// about constraint.
func TranslatePgError(sqlstate, constraint string) error {
	return translate(context.Background(), &pgconn.PgError{Code: sqlstate, ConstraintName: constraint}, "test")
}

// SeatLookup is a lookup of the seats use cases: its query and arguments.
type SeatLookup struct {
	SQL  string
	Args []any
}

// SeatLookups are the queries behind the pool of a product
// (Licenses.ByAccount, Assignments.ByProduct), a user's assignments
// (Assignments.ByUser) and a user by externalId (Users.ByExternalID), with
// these arguments.
func SeatLookups(accountID, userID int64, productID, externalKey string, on domain.Date) map[string]SeatLookup {
	licSQL, licArgs := licensesByAccount(accountID, productID, on)
	return map[string]SeatLookup{
		"Licenses.ByAccount":    {licSQL, licArgs},
		"Assignments.ByProduct": {qAssignmentsByProduct, []any{accountID, productID, dayArg(on)}},
		"Assignments.ByUser":    {qAssignmentsByUser, []any{accountID, userID, dayArg(on)}},
		"Users.ByExternalID":    {qUserByExternal, []any{accountID, externalKey}},
		"Users.ByExternalIDs":   {qUsersByExternal, []any{accountID, []string{externalKey}}},
		"Accounts.ByAlias":      {qAccountAlias, []any{"ACCT-1"}},
	}
}
