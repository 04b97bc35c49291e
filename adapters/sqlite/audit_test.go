package sqlite

import (
	"testing"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// TestAuditMigrationFilesEventsUnderAccounts: events written before 0008
// are filed under the account their subject names, a deleted user's, an
// assignment's and a managed-billing link's (its primary) included; an
// order's, and an unknown user's, stay under none.
func TestAuditMigrationFilesEventsUnderAccounts(t *testing.T) {
	ctx := t.Context()
	const at = `'2025-04-24T10:28:10.000000000Z'`
	event := func(id, subject string) string {
		return `INSERT INTO audit (id, at, actor, command, subject, allowed, codes, ruleset_hash)
			VALUES ('` + id + `', ` + at + `, 'p', 'C', '` + subject + `', 1, '[]', 'h')`
	}
	s := migratedFrom(t, 7,
		`INSERT INTO accounts (id, partner_id, alias, alias_key, title, created_at, activated, limits)
		VALUES (7, 'p', 'acme', 'ACME', 'Acme', `+at+`, 1, 'null'), (8, 'p', 'other', 'OTHER', 'Other', `+at+`, 1, 'null')`,
		`INSERT INTO seat_users (id, account_id, external_id, external_key, email, first_name, last_name, phone, username,
		username_key, password_hash, roles, created_at, updated_at, deleted_at)
		VALUES (1, 7, 'd1', 'D1', '', '', '', '', '', '', '', 'null', `+at+`, `+at+`, `+at+`),
		       (2, 8, 'd2', 'D2', '', '', '', '', '', '', '', 'null', `+at+`, `+at+`, '')`,
		`INSERT INTO licenses (id, account_id, product_id, registered, expires, created_at) VALUES (1, 7, 'CoPilot', '2025-01-01', '2030-12-31', `+at+`)`,
		`INSERT INTO assignments (id, account_id, license_id, user_id, product_id, activation, deactivation, last_changed)
		VALUES (1, 7, 1, 1, 'CoPilot', '2025-04-24', '2025-04-24', `+at+`)`,
		event("e1", "account:7"), event("e2", "user:1"), event("e3", "assignment:1"),
		`INSERT INTO managed_links (id, primary_name, managed, service, sku, tx_id, state, created_at, updated_at)
		VALUES (1, 'acme', 'other', 'Location', 'S', 'tx1', 'ADDED', `+at+`, `+at+`)`,
		event("e4", "user:2"), event("e5", "order:13331"), event("e6", "user:99"),
		event("e7", "managedlink:1"), event("e8", "txid:tx1"),
	)
	ids := func(account int64) (out []string, total int) {
		t.Helper()
		err := s.View(ctx, func(tx ports.Tx) error {
			es, n, err := tx.Audit().ByAccount(ctx, account, 0, 0)
			for _, e := range es {
				out = append(out, e.ID)
			}
			total = n
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out, total
	}
	for _, c := range []struct {
		account int64
		want    []string
	}{{7, []string{"e8", "e7", "e3", "e2", "e1"}}, {8, []string{"e4"}}, {0, []string{"e6", "e5"}}} {
		got, n := ids(c.account)
		if len(got) != len(c.want) || n != len(c.want) {
			t.Errorf("account %d: events %q (total %d), want %q", c.account, got, n, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("account %d: events %q, want %q", c.account, got, c.want)
				break
			}
		}
	}
	// The column reads back on List too.
	var es []domain.AuditEvent
	if err := s.View(ctx, func(tx ports.Tx) (err error) { es, err = tx.Audit().List(ctx, "user:1"); return err }); err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].AccountID != 7 {
		t.Errorf(`List("user:1") = %+v, want one event of account 7`, es)
	}
}
