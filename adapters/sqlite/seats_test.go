package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/ports/storetest"
)

// Two Store instances on one file, as two processes would open it: their
// writers take turns on the file's lock, so the seat races hold across
// them as they do within one.
func TestSeatRacesAcrossTwoStores(t *testing.T) {
	storetest.RunSeatRaces(t, twoOnOneFile)
}

// The seat lookups and the overlap triggers' searches stay on an index:
// they cost the same at 10k and 1M assignments (BenchmarkSeatLookups).
func TestSeatLookupsUseIndexes(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "e.db"))
	// The triggers' searches, as SELECTs with their NEW values as arguments.
	triggerLicense := `SELECT 1 FROM assignments WHERE license_id = ? AND deactivation >= ? AND activation <= ? AND deactivation >= activation`
	triggerUser := `SELECT 1 FROM assignments WHERE user_id = ? AND product_id = ?
		AND activation <= ? AND deactivation >= ? AND deactivation >= activation`
	lookups := map[string]string{
		"Accounts.Get": qAccount, "Accounts.ByAlias": qAccountByAlias, "Accounts.ByPartner": qAccountsByPartnr,
		"Users.Get": qUser, "Users.ByExternalID": qUserByExternalID, "Users.ByExternalIDs": qUsersByExternalIDs,
		"Users.ByUsername": qUserByUsername, "Users.List": qUsers, "Users.Count": qCountUsers,
		"Licenses.Get": qLicense, "Licenses.ByAccount(product)": qLicensesOf, "Licenses.ByAccount": qLicensesAll,
		"Licenses.SetExpires holder": qHeldAfter, "Assignments.Get": qAssignment,
		"Assignments.ByProduct": qAssignmentsByProduct, "Assignments.ByUser": qAssignmentsByUser,
		"Clients.ByAPIKey": qClientByAPIKey, "trigger: license overlap": triggerLicense, "trigger: user overlap": triggerUser,
	}
	day := domain.DateOf(time.Date(2016, 9, 5, 0, 0, 0, 0, time.UTC))
	// The index each lookup must use: the most selective one its filter allows.
	wantIndex := map[string]string{
		"trigger: license overlap": "assignments_by_license (license_id=? AND deactivation>?)",
		"trigger: user overlap":    "assignments_by_user (user_id=? AND product_id=? AND deactivation>?)",
		"Assignments.ByUser":       "assignments_by_user (user_id=?)",
		"Assignments.ByProduct":    "assignments_by_product (account_id=? AND product_id=? AND deactivation>?)",
	}
	for _, c := range []struct {
		q     domain.AssignmentQuery
		index string
	}{
		{domain.AssignmentQuery{AccountID: 1}, "assignments_by_account"},
		{domain.AssignmentQuery{AccountID: 1, LicenseID: 2}, "assignments_by_license (license_id=?)"},
		{domain.AssignmentQuery{AccountID: 1, LicenseID: 2, UserID: 3, Sort: domain.SortByUserID}, "assignments_by_license (license_id=?)"},
		{domain.AssignmentQuery{AccountID: 1, UserID: 3}, "assignments_by_user (user_id=?)"},
		{domain.AssignmentQuery{AccountID: 1, FromActivationDate: day, ToActivationDate: day.AddDays(1)}, "assignments_by_activation"},
		{domain.AssignmentQuery{AccountID: 1, FromActivationDate: day, Sort: domain.SortByActivationDate, Descending: true},
			"assignments_by_activation"},
		{domain.AssignmentQuery{AccountID: 1, Sort: domain.SortByUserID, Limit: 10, Offset: 5}, "assignments_"},
	} {
		name := fmt.Sprintf("Assignments.Find(%+v)", c.q)
		lookups[name], wantIndex[name] = findQueryOf(t, c.q), c.index
	}
	// The lookups whose few rows (one user's, one product's live
	// assignments, one account's seats) are sorted by id after an index
	// found them, and Find sorting an account's assignments by a field no
	// index orders.
	sorts := map[string]bool{"Assignments.ByProduct": true, "Assignments.ByUser": true, "Licenses.ByAccount(product)": true}
	onConn(t, s, s.readers, func(c *sql.Conn) {
		for name, query := range lookups {
			plan := explain(t, c, name, query, make([]any, strings.Count(query, "?")))
			if index, ok := wantIndex[name]; ok && !strings.Contains(strings.Join(plan, "; "), index) {
				t.Errorf("%s does not use %s: %s", name, index, strings.Join(plan, "; "))
			}
			for _, step := range plan {
				scan := strings.HasPrefix(step, "SCAN ") && !strings.HasPrefix(step, "SCAN json_each")
				sorted := strings.Contains(step, "TEMP B-TREE") && !sorts[name] && !strings.HasPrefix(name, "Assignments.Find")
				if scan || sorted {
					t.Errorf("%s does not stay on an index: %s", name, strings.Join(plan, "; "))
				}
			}
		}
	})
}

// findQueryOf is the query Assignments.Find runs for q.
func findQueryOf(tb testing.TB, q domain.AssignmentQuery) string {
	tb.Helper()
	var query string
	s := openTest(tb, filepath.Join(tb.TempDir(), "find.db"))
	err := s.View(tb.Context(), func(ptx ports.Tx) error {
		t := ptx.(*tx)
		if _, err := t.Assignments().Find(tb.Context(), q); err != nil {
			return err
		}
		for text := range t.c.stmts {
			if strings.HasPrefix(text, qFindBase) {
				query = text
			}
		}
		return nil
	})
	if err != nil || query == "" {
		tb.Fatalf("Find(%+v) ran no query of its own: %v", q, err)
	}
	return query
}

// Written with plain SQL that skips every check in Go, a write breaking a
// seat invariant comes back with the field and code of that invariant.
func TestSeatConstraintsExplained(t *testing.T) {
	ctx := t.Context()
	s := openTest(t, filepath.Join(t.TempDir(), "e.db"))
	setup := []string{
		`INSERT INTO accounts (id, partner_id, alias, alias_key, title, created_at, activated, limits)
			VALUES (1, 'p', 'acme', 'ACME', '', '', 1, 'null'), (2, 'p', 'beta', 'BETA', '', '', 1, 'null')`,
		`INSERT INTO seat_users (id, account_id, external_id, external_key, email, first_name, last_name, phone, username,
			username_key, password_hash, roles, created_at, updated_at, deleted_at)
			VALUES (1, 1, 'd1', 'D1', '', '', '', '', 'a@x', 'A@X', '', 'null', '', '', ''),
			       (2, 1, 'd2', 'D2', '', '', '', '', '', '', '', 'null', '', '', ''),
			       (3, 2, 'd1', 'D1', '', '', '', '', '', '', '', 'null', '', '', '')`,
		`INSERT INTO licenses (id, account_id, product_id, registered, expires, created_at)
			VALUES (1, 1, 'CoPilot', '2025-01-01', '2025-12-31', ''), (2, 1, 'CoPilot', '2025-01-01', '2025-12-31', ''),
			       (3, 2, 'CoPilot', '2025-01-01', '2025-12-31', '')`,
		`INSERT INTO assignments (id, account_id, license_id, user_id, product_id, activation, deactivation, last_changed)
			VALUES (1, 1, 1, 1, 'CoPilot', '2025-01-01', '2025-06-30', ''), (2, 1, 1, 2, 'CoPilot', '2025-07-01', '2025-12-31', '')`,
		`INSERT INTO clients (id, name, secret_hash, api_key_hash) VALUES ('p', '', '', 'k')`,
	}
	if err := s.Update(ctx, func(ptx ports.Tx) error {
		for _, q := range setup {
			if _, err := ptx.(*tx).exec(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	insert := `INSERT INTO assignments (account_id, license_id, user_id, product_id, activation, deactivation, last_changed) VALUES `
	for _, c := range []struct {
		name, sql, field string
		code             domain.Code
	}{
		{"an alias in another case", `INSERT INTO accounts (partner_id, alias, alias_key, title, created_at, activated, limits)
			VALUES ('q', 'Acme', 'ACME', '', '', 1, 'null')`, "alias", domain.CodeConflict},
		{"a live user's externalId", `INSERT INTO seat_users (account_id, external_id, external_key, email, first_name, last_name,
			phone, username, username_key, password_hash, roles, created_at, updated_at, deleted_at)
			VALUES (1, 'D1', 'D1', '', '', '', '', '', '', '', 'null', '', '', '')`, "externalId", domain.CodeConflict},
		{"a live user's username", `INSERT INTO seat_users (account_id, external_id, external_key, email, first_name, last_name,
			phone, username, username_key, password_hash, roles, created_at, updated_at, deleted_at)
			VALUES (2, 'x', 'X', '', '', '', '', 'A@x', 'A@X', '', 'null', '', '', '')`, "username", domain.CodeConflict},
		{"another client's apiKey", `INSERT INTO clients (id, name, secret_hash, api_key_hash) VALUES ('q', '', '', 'k')`,
			"apiKey", domain.CodeConflict},
		{"the license on a common day", insert + `(1, 1, 2, 'CoPilot', '2025-06-30', '2025-07-31', '')`, "licenseId", domain.CodeConflict},
		{"the user's product on a common day", insert + `(1, 2, 1, 'CoPilot', '2025-06-01', '2025-06-01', '')`, "userId", domain.CodeConflict},
		{"a longer period over the next one", `UPDATE assignments SET deactivation = '2025-07-01' WHERE id = 1`, "licenseId", domain.CodeConflict},
		{"a cancelled period anywhere", insert + `(1, 1, 2, 'CoPilot', '2025-03-01', '2025-02-28', '')`, "", ""},
		{"a deactivation two days before activation", insert + `(1, 2, 2, 'CoPilot', '2025-08-03', '2025-08-01', '')`,
			"deactivationDate", domain.CodeInvalid},
	} {
		err := s.Update(ctx, func(ptx ports.Tx) error {
			t := ptx.(*tx)
			_, err := t.exec(ctx, c.sql)
			return t.Fail(ctx, err, "write")
		})
		if c.code == "" {
			if err != nil {
				t.Errorf("%s: %v, want it written", c.name, err)
			}
			continue
		}
		var de *domain.Error
		if !errors.As(err, &de) || de.Code != c.code || de.Field != c.field {
			t.Errorf("%s: %v, want %q on %s", c.name, err, c.code, c.field)
		}
	}
	// Another account's license or user is refused by the foreign keys,
	// whatever the repository checks.
	for _, q := range []string{
		insert + `(1, 3, 2, 'CoPilot', '2026-02-01', '2026-02-28', '')`,
		insert + `(1, 2, 3, 'CoPilot', '2026-02-01', '2026-02-28', '')`,
		insert + `(1, 2, 2, 'MileOn', '2026-02-01', '2026-02-28', '')`,
	} {
		err := s.Update(ctx, func(ptx ports.Tx) error { _, err := ptx.(*tx).exec(ctx, q); return err })
		if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
			t.Errorf("%s: %v, want a foreign key's refusal", q, err)
		}
	}
}

// A file made before the seats keeps its clients and tokens: their tokens
// were client_credentials tokens of no one account, and they have no apiKey.
func TestSeatsMigrationKeepsTokens(t *testing.T) {
	ctx := t.Context()
	s := migratedFrom(t, 3,
		`INSERT INTO clients (id, name, secret_hash) VALUES ('tap', 'TAP', 'h')`,
		`INSERT INTO tokens (hash, client_id, expires_at) VALUES ('t', 'tap', '2025-04-24T10:28:10.000000000Z')`,
	)
	var (
		c   domain.Client
		tok domain.Token
	)
	if err := s.View(ctx, func(tx ports.Tx) (err error) {
		if c, err = tx.Clients().Get(ctx, "tap"); err != nil {
			return err
		}
		tok, err = tx.Clients().Token(ctx, "t")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if c.APIKeyHash != "" || c.SecretHash != "h" {
		t.Errorf("the client after the migration = %+v, want its secret and no apiKey", c)
	}
	if tok.Kind != domain.ClientCredentials || tok.AccountID != 0 || tok.ClientID != "tap" {
		t.Errorf("the token after the migration = %+v, want a client_credentials token of no account", tok)
	}
}
