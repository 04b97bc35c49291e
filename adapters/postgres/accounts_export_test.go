package postgres

import (
	"slices"

	"github.com/entitle-rules/entitle/domain"
)

// AccountConstraintNames are the constraints of migration 0008 errors.go
// explains, sorted.
func AccountConstraintNames() []string {
	names := make([]string, 0, len(accountConstraints))
	for n := range accountConstraints {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// AccountLookups are the queries behind Accounts.Count for q and the
// managed-link lookups of managed and primary, with their arguments.
func AccountLookups(q domain.AccountQuery, managed, primary, txID string) map[string]SeatLookup {
	countSQL, countArgs := accountCount(q)
	return map[string]SeatLookup{
		"Accounts.Count":         {countSQL, countArgs},
		"ManagedLinks.Live":      {qLiveLink, []any{managed, "Location"}},
		"ManagedLinks.ByTxID":    {qLinksByTx, []any{txID}},
		"ManagedLinks.ByPrimary": {qLinksOfWith, []any{primary, "Location", []string{"ADDED"}}},
	}
}
