package postgres_test

import (
	"slices"
	"testing"

	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/ports"
)

// TestMigration9FilesAuditEventsUnderAccounts: events written before 0009
// are filed under the account their subject names, a deleted user's, an
// assignment's and a managed-billing link's (its primary) included; an
// order's, and an unknown user's, stay under none.
func TestMigration9FilesAuditEventsUnderAccounts(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	schema := freshSchema(t, dsn)
	if err := postgres.MigrateTo(ctx, dsn, schema, 8); err != nil {
		t.Fatal(err)
	}
	conn := rawConn(t, dsn, schema)
	const at = `'2025-04-24T17:00:00Z'`
	stmts := []string{
		`INSERT INTO accounts (id, partner_id, alias, alias_key, title, created_at, activated, blocks, plans, limits)
		VALUES (7, 'p', 'acme', 'ACME', 'Acme', ` + at + `, true, '[]', '{}', '{}'), (8, 'p', 'other', 'OTHER', 'Other', ` + at + `, true, '[]', '{}', '{}')`,
		`INSERT INTO seat_users (id, account_id, external_id, external_key, email, first_name, last_name, phone_number, username,
			username_key, password_hash, roles, created_at, updated_at, deleted_at)
		VALUES (1, 7, 'd1', 'D1', '', '', '', '', '', '', '', '{}', ` + at + `, ` + at + `, ` + at + `),
		       (2, 8, 'd2', 'D2', '', '', '', '', '', '', '', '{}', ` + at + `, ` + at + `, NULL)`,
		`INSERT INTO licenses (id, account_id, product_id, registered, expires, created_at) VALUES (1, 7, 'CoPilot', '2025-01-01', '2030-12-31', ` + at + `)`,
		`INSERT INTO assignments (id, account_id, license_id, user_id, product_id, activation, deactivation, last_changed)
		VALUES (1, 7, 1, 1, 'CoPilot', '2025-04-24', '2025-04-24', ` + at + `)`,
		`INSERT INTO managed_links (id, primary_name, managed_name, service, sku, tx_id, state, created_at, updated_at)
		VALUES (1, 'acme', 'other', 'Location', 'S', 'tx1', 'ADDED', ` + at + `, ` + at + `)`,
	}
	for _, e := range [][2]string{{"e1", "account:7"}, {"e2", "user:1"}, {"e3", "assignment:1"}, {"e4", "user:2"},
		{"e5", "order:13331"}, {"e6", "user:99"}, {"e7", "managedlink:1"}, {"e8", "txid:tx1"}} {
		stmts = append(stmts, `INSERT INTO audit_events (id, at, actor, command, subject, allowed, codes, ruleset_hash)
			VALUES ('`+e[0]+`', `+at+`, 'p', 'C', '`+e[1]+`', true, '{}', 'h')`)
	}
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s := openStore(t, dsn, postgres.Options{Schema: schema})
	for _, c := range []struct {
		account int64
		want    []string
	}{{7, []string{"e8", "e7", "e3", "e2", "e1"}}, {8, []string{"e4"}}, {0, []string{"e6", "e5"}}} {
		var got []string
		var total int
		err := s.View(ctx, func(tx ports.Tx) error {
			es, n, err := tx.Audit().ByAccount(ctx, c.account, 0, 0)
			for _, e := range es {
				got = append(got, e.ID)
			}
			total = n
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, c.want) || total != len(c.want) {
			t.Errorf("account %d: events %q (total %d), want %q", c.account, got, total, c.want)
		}
	}
}
