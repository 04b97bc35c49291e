package postgres

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5/pgconn"
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
