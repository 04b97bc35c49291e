package machine_test

import (
	"testing"

	"github.com/entitle-rules/entitle/fuzz"
)

// Histories the Machine found, shrunk and printed, kept as regression tests
// (each failed before its fix, on the stores named).

// TestRegressionDuplicateExternalID: adding a user whose externalId another
// user of the company holds in another case answered 409 on every store,
// but PostgreSQL said why in words of its own ("another user of the
// account has the externalId ... (compared case-insensitively)"), where
// memory and SQLite say "a user with externalId ... exists in this
// account": the stores must give the same answer.
func TestRegressionDuplicateExternalID(t *testing.T) {
	m := &fuzz.Machine{Targets: targets(t, nil), Strict: true}
	m.Replay(t, []fuzz.Step{
		{Op: "addUser", User: 2, Spell: 1},
		{Op: "addUser", User: 2, Spell: 2},
	})
}
