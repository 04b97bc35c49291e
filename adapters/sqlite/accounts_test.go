package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/ports/storetest"
)

// Two Store instances on one file, as two processes would open it: the
// managed-billing and block races hold across them as within one.
func TestAccountRacesAcrossTwoStores(t *testing.T) {
	storetest.RunAccountRaces(t, twoOnOneFile)
}

// The accounts lookups stay on an index: Live on managed_links_live (the
// partial index the invariant is), the others on their own.
func TestAccountLookupsUseIndexes(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "e.db"))
	wantIndex := map[string]string{
		"ManagedLinks.Live":      "managed_links_live (managed=? AND service=?)",
		"ManagedLinks.ByTxID":    "managed_links_by_tx (tx_id=?)",
		"ManagedLinks.ByPrimary": "managed_links_by_primary (primary_name=? AND service=?)",
		"ManagedLinks.SetState":  "INTEGER PRIMARY KEY",
		"Accounts.Count":         "accounts_by_partner (partner_id=?)",
		"Plans.Get":              "PRIMARY KEY (partner_id=? AND id=?)",
		"Plans.ByPartner":        "PRIMARY KEY (partner_id=?)",
	}
	lookups := map[string]struct {
		query string
		args  []any
	}{
		"ManagedLinks.Live":      {qLiveLink, []any{"m", "Location"}},
		"ManagedLinks.ByTxID":    {qLinksByTx, []any{"tx"}},
		"ManagedLinks.ByPrimary": {qLinksByPrimary, []any{"p", "Location", `["ADDED"]`}},
		"ManagedLinks.SetState":  {qLinkOf, []any{1}},
		"Accounts.Count":         {qCountAccounts, []any{"p", true, nil, "app"}},
		"Plans.Get":              {qPlan, []any{"p", "id"}},
		"Plans.ByPartner":        {qPlansByPartner, []any{"p", "", ""}},
	}
	onConn(t, s, s.readers, func(c *sql.Conn) {
		for name, l := range lookups {
			steps := explain(t, c, name, l.query, l.args)
			plan := strings.Join(steps, "; ")
			if !strings.Contains(plan, wantIndex[name]) {
				t.Errorf("%s does not use %s: %s", name, wantIndex[name], plan)
			}
			for _, step := range steps {
				if strings.HasPrefix(step, "SCAN ") && !strings.HasPrefix(step, "SCAN json_each") || strings.Contains(step, "TEMP B-TREE") {
					t.Errorf("%s does not stay on an index: %s", name, plan)
				}
			}
		}
	})
}

// Written with plain SQL that skips every check in Go, a second live link
// or a state that does not exist comes back with its field and code; a
// cancelled link holds nothing. Through the repository, the conflict names
// the primary that holds the account.
func TestAccountConstraintsExplained(t *testing.T) {
	ctx := t.Context()
	s := openTest(t, filepath.Join(t.TempDir(), "e.db"))
	insert := `INSERT INTO managed_links (primary_name, managed, service, sku, tx_id, state, created_at, updated_at) VALUES `
	if err := s.Update(ctx, func(ptx ports.Tx) error {
		_, err := ptx.(*tx).exec(ctx, insert+`('1234567890-00001', '1223334444-00001', 'Location', 'S', 'tx-1', 'ADDED', '2025-04-24T10:28:10.000000000Z', '2025-04-24T10:28:10.000000000Z')`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, sql, field string
		code             domain.Code
	}{
		{"a second live link from another primary", insert + `('9876543210-00001', '1223334444-00001', 'Location', 'S', 'tx-2', 'ACTIVATED', '2025-04-24T10:28:10.000000000Z', '2025-04-24T10:28:10.000000000Z')`,
			"managedAccList", domain.CodeConflict},
		{"a state that does not exist", insert + `('9876543210-00001', '2334445555-00001', 'Location', 'S', 'tx-2', 'PENDING', '2025-04-24T10:28:10.000000000Z', '2025-04-24T10:28:10.000000000Z')`,
			"state", domain.CodeInvalid},
		{"a cancelled link beside the live one", insert + `('9876543210-00001', '1223334444-00001', 'Location', 'S', 'tx-3', 'CANCELED', '2025-04-24T10:28:10.000000000Z', '2025-04-24T10:28:10.000000000Z')`,
			"", ""},
		{"the cancelled link made live", `UPDATE managed_links SET state = 'ADDED' WHERE tx_id = 'tx-3'`,
			"managedAccList", domain.CodeConflict},
		{"a live link of another service", insert + `('9876543210-00001', '1223334444-00001', 'Tracking', 'S', 'tx-4', 'ADDED', '2025-04-24T10:28:10.000000000Z', '2025-04-24T10:28:10.000000000Z')`,
			"", ""},
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
	for name, write := range map[string]func(ports.Tx) error{
		"Create": func(tx ports.Tx) error {
			l := domain.ManagedLink{Primary: "9876543210-00001", Managed: "1223334444-00001", Service: "Location", TxID: "tx-5"}
			return tx.ManagedLinks().Create(ctx, &l)
		},
		"SetState": func(tx ports.Tx) error {
			ls, err := tx.ManagedLinks().ByTxID(ctx, "tx-3")
			if err != nil || len(ls) != 1 {
				return fmt.Errorf("the cancelled link: %v %v", ls, err)
			}
			return tx.ManagedLinks().SetState(ctx, ls[0].ID, domain.LinkActivated, ls[0].UpdatedAt)
		},
	} {
		err := s.Update(ctx, write)
		var de *domain.Error
		if !errors.As(err, &de) || de.Code != domain.CodeConflict || de.Field != "managedAccList" ||
			!strings.Contains(de.Message, "by 1234567890-00001 (transaction tx-1)") {
			t.Errorf("%s of a second live link: %v, want a conflict on managedAccList naming 1234567890-00001 and tx-1", name, err)
		}
	}
}

// A file made before the accounts keeps its accounts, users and tokens:
// an account has no seed 003 fields, no blocks, plans or services; a user
// no failed logins and no lock; a token no login.
func TestAccountsMigrationKeepsSeats(t *testing.T) {
	ctx := t.Context()
	s := migratedFrom(t, 5,
		`INSERT INTO accounts (id, partner_id, alias, alias_key, title, created_at, activated, limits)
		VALUES (7, 'p', 'acme', 'ACME', 'Acme', '2025-04-24T10:28:10.000000000Z', 1, '{"copilot":{"users":50}}')`,
		`INSERT INTO seat_users (id, account_id, external_id, external_key, email, first_name, last_name, phone, username,
		username_key, password_hash, roles, created_at, updated_at, deleted_at)
		VALUES (1, 7, 'd1', 'D1', '', '', '', '', 'a@x', 'A@X', 'h', 'null', '2025-04-24T10:28:10.000000000Z',
		'2025-04-24T10:28:10.000000000Z', '')`,
		`INSERT INTO clients (id, name, secret_hash) VALUES ('p', 'P', 'h')`,
		`INSERT INTO tokens (hash, client_id, kind, account_id, expires_at) VALUES ('t', 'p', 2, 7, '2025-04-24T10:28:10.000000000Z')`,
	)
	var (
		a   domain.Account
		u   domain.User
		tok domain.Token
	)
	if err := s.View(ctx, func(tx ports.Tx) (err error) {
		if a, err = tx.Accounts().Get(ctx, 7); err != nil {
			return err
		}
		if u, err = tx.Users().ByUsername(ctx, "a@x"); err != nil {
			return err
		}
		tok, err = tx.Clients().Token(ctx, "t")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if a.Alias != "acme" || a.Limits["copilot"].Users != 50 || len(a.Blocks)+len(a.Plans)+len(a.RegApps)+len(a.Services)+len(a.SKUs)+
		len(a.Premium) != 0 || !a.UpdatedAt.IsZero() || !a.ActivatedAt.IsZero() || a.Attached || a.Type != domain.AccountSelfRegistered {
		t.Errorf("the account after the migration = %+v, want its seats fields and nothing of seeds 002 and 003", a)
	}
	if u.FailedLogins != 0 || !u.LockedAt.IsZero() || u.PasswordHash != "h" {
		t.Errorf("the user after the migration = %+v, want no failed logins and no lock", u)
	}
	if tok.UserID != 0 || tok.AccountID != 7 || tok.Kind != domain.APIKey {
		t.Errorf("the token after the migration = %+v, want its account and no login", tok)
	}
}
