package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/ports/storetest"
)

func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) ports.Store { return openTest(t, filepath.Join(t.TempDir(), "e.db")) })
}

// twoOnOneFile opens two Store instances on one new file, as two
// processes would.
func twoOnOneFile(t *testing.T) (ports.Store, ports.Store) {
	path := filepath.Join(t.TempDir(), "e.db")
	return openTest(t, path), openTest(t, path)
}

// explain returns SQLite's plan for query, one step a string.
func explain(tb testing.TB, c *sql.Conn, name, query string, args []any) []string {
	tb.Helper()
	rows, err := c.QueryContext(tb.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			tb.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return plan
}

// openTest opens the store at path and closes it when the test ends.
func openTest(tb testing.TB, path string) *Store {
	tb.Helper()
	s, err := Open(path, Options{})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// onConn runs fn on one of the pool's connections, outside any transaction
// the store would start.
func onConn(tb testing.TB, s *Store, p *pool, fn func(*sql.Conn)) {
	tb.Helper()
	c, err := p.acquire(tb.Context(), s.closing)
	if err != nil {
		tb.Fatal(err)
	}
	defer p.release(c)
	fn(c.c)
}

// schemaVersions lists the versions recorded in schema_migrations.
func schemaVersions(tb testing.TB, s *Store) []int {
	tb.Helper()
	var vs []int
	onConn(tb, s, s.readers, func(c *sql.Conn) {
		rows, err := c.QueryContext(tb.Context(), "SELECT version FROM schema_migrations ORDER BY version")
		if err != nil {
			tb.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				tb.Fatal(err)
			}
			vs = append(vs, v)
		}
		if err := rows.Err(); err != nil {
			tb.Fatal(err)
		}
	})
	return vs
}

// migratedFrom writes stmts, plain SQL, into a new file at schema version
// (as an older build left it) and returns a Store opened on it by Open,
// which migrates it to the newest version.
func migratedFrom(t *testing.T, version int, stmts ...string) *Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "e.db")
	old, err := open(path, Options{}, version)
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Update(t.Context(), func(ptx ports.Tx) error {
		for _, q := range stmts {
			if _, err := ptx.(*tx).exec(t.Context(), q); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	return openTest(t, path)
}

// A file an older build left at version 1 (no clients, tokens or
// idempotency tables) is migrated by Open to the newest version, and what
// was written before is still there.
func TestMigrationsUpgradeAnOldFile(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "e.db")
	old, err := open(path, Options{}, 1)
	if err != nil {
		t.Fatalf("open at version 1: %v", err)
	}
	dev := domain.Device{Serial: "TESTApi01", ServiceType: domain.VRS, Model: "R12", SSOEmails: []string{"sso@example.com"}}
	o := &domain.Order{ClientID: "client-a", PONumber: "PO-1", Status: domain.OrderSuccess, CreatedAt: time.Date(2025, 4, 24, 10, 28, 10, 0, time.UTC),
		Lines: []domain.OrderLine{{LineNumber: 1, SerialNumber: "TESTApi01", PartNumber: "88213-10"}}}
	if err := old.Update(ctx, func(tx ports.Tx) error {
		if err := tx.Devices().Put(ctx, dev); err != nil {
			return err
		}
		return tx.Orders().Create(ctx, o)
	}); err != nil {
		t.Fatal(err)
	}
	if got := schemaVersions(t, old); !slices.Equal(got, []int{1}) {
		t.Fatalf("versions after open at 1 = %v, want [1]", got)
	}
	err = old.View(ctx, func(tx ports.Tx) error { _, err := tx.Clients().Get(ctx, "c1"); return err })
	if err == nil || !strings.Contains(err.Error(), "no such table") {
		t.Fatalf("Clients().Get at version 1 = %v, want a missing table", err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	s := openTest(t, path)
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	want := make([]int, len(ms))
	for i := range want {
		want[i] = i + 1
	}
	if got := schemaVersions(t, s); !slices.Equal(got, want) || len(want) < 2 {
		t.Fatalf("versions after Open = %v, want %v", got, want)
	}
	var gotDev domain.Device
	var gotOrder domain.Order
	if err := s.View(ctx, func(tx ports.Tx) (err error) {
		if gotDev, err = tx.Devices().BySerial(ctx, "testapi01"); err != nil {
			return err
		}
		gotOrder, err = tx.Orders().Get(ctx, o.UniqueID)
		return err
	}); err != nil {
		t.Fatalf("reading what version 1 wrote: %v", err)
	}
	if d := cmp.Diff(dev, gotDev); d != "" {
		t.Errorf("device after the migration (-want +got):\n%s", d)
	}
	if gotOrder.PONumber != "PO-1" || len(gotOrder.Lines) != 1 || gotOrder.Lines[0].SerialNumber != "TESTApi01" {
		t.Errorf("order after the migration = %+v", gotOrder)
	}
	c := domain.Client{ID: "c1", Name: "TAP", SecretHash: domain.HashSecret("s3cret")}
	if err := s.Update(ctx, func(tx ports.Tx) error { return tx.Clients().Put(ctx, c) }); err != nil {
		t.Fatalf("Clients().Put after the migration: %v", err)
	}
	// The next order continues the numbering version 1 started.
	next := &domain.Order{ClientID: "client-a", Status: domain.OrderSuccess}
	if err := s.Update(ctx, func(tx ports.Tx) error { return tx.Orders().Create(ctx, next) }); err != nil {
		t.Fatal(err)
	}
	if next.UniqueID != o.UniqueID+1 || next.OrderNumber != o.OrderNumber+1 {
		t.Errorf("the order after the migration got %d/%d, want %d/%d", next.UniqueID, next.OrderNumber, o.UniqueID+1, o.OrderNumber+1)
	}
}

// A file whose schema is newer than this build is refused, and left as it
// was: migrations only go forward.
func TestNewerSchemaRefused(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "e.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(ptx ports.Tx) error {
		_, err := ptx.(*tx).exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from_a_newer_build', ?)", instant(time.Now()))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		s, err := Open(path, Options{})
		if err == nil {
			_ = s.Close()
			t.Fatal("Open of a file at schema version 99 succeeded")
		}
		if domain.ErrorCode(err) != domain.CodeInvalid || !strings.Contains(err.Error(), "schema version 99") {
			t.Errorf("Open of a file at schema version 99 = %v (code %q), want %q naming version 99", err, domain.ErrorCode(err), domain.CodeInvalid)
		}
	}
}

// Every connection, the writer's and each reader's, runs with the pragmas
// of the DSN: WAL, synchronous=FULL, the busy timeout, foreign keys; and the
// readers are query_only.
func TestPragmasOnEveryConnection(t *testing.T) {
	ctx := t.Context()
	s, err := Open(filepath.Join(t.TempDir(), "e.db"), Options{BusyTimeout: 1234 * time.Millisecond, ReaderConns: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check := func(who string, c *sql.Conn, queryOnly int) {
		t.Helper()
		want := map[string]any{"journal_mode": "wal", "synchronous": "2", "busy_timeout": "1234", "foreign_keys": "1",
			"query_only": map[int]string{0: "0", 1: "1"}[queryOnly]}
		for name, w := range want {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+name).Scan(&got); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", who, name, err)
			}
			if got != w {
				t.Errorf("%s: PRAGMA %s = %s, want %s", who, name, got, w)
			}
		}
	}
	onConn(t, s, s.writer, func(c *sql.Conn) { check("writer", c, 0) })
	// Hold every reader at once, so each is a connection of its own.
	var held []*conn
	for range cap(s.readers.slots) {
		c, err := s.readers.acquire(ctx, s.closing)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	for i, c := range held {
		check("reader "+string(rune('1'+i)), c.c, 1)
		s.readers.release(c)
	}
}

// The lookups the engine makes are searches of an index, never scans of a
// table, so their cost does not grow with the store (DESIGN.md, Budgets).
// BenchmarkTimeline measures one of them; this pins them all.
func TestLookupsUseIndexes(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "e.db"))
	lookups := map[string]string{
		"Customers.Get": qCustomer, "Customers.BySite": qCustomerBySite, "Customers.ByClient": qCustomersByClient,
		"Catalog.Part": qPart, "Catalog.Model": qModel, "Catalog.Model(any maker)": qModelAnyMaker,
		"Catalog.PriceList": qPriceList, "Catalog.PriceListForCountry": qPriceListForCountry,
		"Catalog.Promo": qPromo, "Catalog.Coupon": qCoupon, "Devices.BySerial": qDevice,
		"Subscriptions.BySerial": qSubsBySerial, "Subscriptions.ByOrder": qSubsByOrder, "Subscriptions.Put overlap": qOverlap,
		"Trials.BySerial": qTrialsBySerial, "Activations.BySerial": qActivationsBySerial, "Audit.List(subject)": qAuditAbout,
		"Orders.Get": qOrder, "Orders.ByOrderNumber": qOrderByNumber, "Orders.InProgress": qInProgress,
		"Orders.Pending": qPending, "Orders.Create holder": qHolder, "Clients.Get": qClient, "Clients.Token": qToken,
		"Idempotency.Get": qIdem, "Idempotency.Purge": qPurgeIdem,
	}
	for _, q := range []domain.OrderQuery{
		{ClientID: "c"}, {ClientID: "c", UniqueID: 1}, {ClientID: "c", SerialKey: "S"}, {ClientID: "c", PONumber: "P"},
		{ClientID: "c", UniqueID: 1, SerialKey: "S", PONumber: "P"}, {ClientID: "c", SerialKey: "S", PONumber: "P"},
	} {
		query, _ := findQuery(q)
		lookups["Orders.Find("+queryString(q)+")"] = query
	}
	onConn(t, s, s.readers, func(c *sql.Conn) {
		for name, query := range lookups {
			plan := explain(t, c, name, query, make([]any, strings.Count(query, "?")))
			for _, step := range plan {
				// Pending walks the partial index of in-progress orders,
				// which holds nothing else; Trials.BySerial sorts the few
				// grants of one serial (one per product line at most) into
				// the order they were recorded.
				scan := strings.HasPrefix(step, "SCAN ") && step != "SCAN CONSTANT ROW" &&
					!strings.HasSuffix(step, "USING COVERING INDEX order_serials_pending")
				if scan || (strings.Contains(step, "TEMP B-TREE") && name != "Trials.BySerial") {
					t.Errorf("%s does not stay on an index: %s", name, strings.Join(plan, "; "))
				}
			}
		}
	})
}

func queryString(q domain.OrderQuery) string {
	var parts []string
	if q.UniqueID != 0 {
		parts = append(parts, "uniqueId")
	}
	if q.SerialKey != "" {
		parts = append(parts, "serial")
	}
	if q.PONumber != "" {
		parts = append(parts, "PO")
	}
	return strings.Join(append([]string{"client"}, parts...), ", ")
}

// Each constraint the schema backs an invariant with is explained as sqlrow
// explains it, whatever SQLite's message calls it: written with plain SQL
// that skips every check in Go, a violation comes back with the field and
// code of the invariant.
func TestConstraintsExplained(t *testing.T) {
	ctx := t.Context()
	s := openTest(t, filepath.Join(t.TempDir(), "e.db"))
	setup := []string{
		`INSERT INTO customers (id, client_id, parent_id, kind, name, region, country, price_list_id, active, created_at,
			discount_percent, credit_hold, sites) VALUES ('A', 'c', '', 1, 'A', '', '', '', 1, '', '', 0, '[]')`,
		`INSERT INTO customer_sites (site_use_id, site_use, customer_id) VALUES (100, 1, 'A')`,
		`INSERT INTO price_lists (id, currency, countries, items) VALUES ('PL', 'USD', '[]', '[]')`,
		`INSERT INTO price_list_countries (country, price_list_id) VALUES ('US', 'PL')`,
		`INSERT INTO trials (serial_key, serial, product_line, order_id, part_number, granted_at) VALUES ('X1', 'x1', 'CP', 0, 'T', '')`,
		`INSERT INTO orders (unique_id, order_number, client_id, customer_id, ship_to_customer_id, bill_to_customer, ship_to_customer,
			po_number, customer_order_ref, currency, promo_code, activation_country, bill_to_site_use_id, ship_to_site_use_id,
			bill_to_email, bill_to_phone, ship_to_email, ship_to_phone, status, hold_reason, created_at, total, ruleset_hash, lines)
			VALUES (1, 1, 'c', '', '', '', '', '', '', '', '', '', 0, 0, '', '', '', '', 'ORDER_CREATION_INPROGRESS', '', '', '0', '', 'null'),
			(2, 2, 'c', '', '', '', '', '', '', '', '', '', 0, 0, '', '', '', '', 'ORDER_CREATION_INPROGRESS', '', '', '0', '', 'null')`,
		`INSERT INTO order_serials (order_id, serial_key, in_progress) VALUES (1, 'X1', 1)`,
		`INSERT INTO tokens (hash, client_id, expires_at) VALUES ('h', 'c', '')`,
		`INSERT INTO idempotency (client_id, idem_key, request_hash, status, body, created_at) VALUES ('c', 'k', '', 0, x'', '')`,
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
	for _, c := range []struct {
		name, sql, field string
		code             domain.Code
	}{
		{"a site of another customer", `INSERT INTO customer_sites (site_use_id, site_use, customer_id) VALUES (100, 1, 'B')`,
			"sites", domain.CodeConflict},
		{"a country of another list", `INSERT INTO price_list_countries (country, price_list_id) VALUES ('US', 'PL2')`,
			"countries", domain.CodeConflict},
		{"a subscription ending before it starts", `INSERT INTO subscriptions (id, serial, serial_key, part_number, product_line,
			start_date, end_date, kind, ended, auto_renew, order_id, line, activated, created_at)
			VALUES ('S1', 'X1', 'X1', 'P', 'CP', '2025-12-31', '2025-12-30', 'PAID', '', 0, 0, 0, 0, '')`,
			"serviceEndDate", domain.CodeInvalid},
		{"a second trial", `INSERT INTO trials (serial_key, serial, product_line, order_id, part_number, granted_at)
			VALUES ('X1', 'X1', 'CP', 0, 'T', '')`, "serialNumber", domain.CodeConflict},
		{"a second in-progress order", `INSERT INTO order_serials (order_id, serial_key, in_progress) VALUES (2, 'X1', 1)`,
			"serialNumber", domain.CodeConflict},
		{"a second token", `INSERT INTO tokens (hash, client_id, expires_at) VALUES ('h', 'd', '')`, "token", domain.CodeConflict},
		{"a second record", `INSERT INTO idempotency (client_id, idem_key, request_hash, status, body, created_at)
			VALUES ('c', 'k', 'other', 0, x'', '')`, "Idempotency-Key", domain.CodeConflict},
	} {
		err := s.Update(ctx, func(ptx ports.Tx) error {
			t := ptx.(*tx)
			_, err := t.exec(ctx, c.sql)
			return t.Fail(ctx, err, "write")
		})
		var de *domain.Error
		if !errors.As(err, &de) || de.Code != c.code || de.Field != c.field {
			t.Errorf("%s: %v, want %q on %s", c.name, err, c.code, c.field)
		}
	}
}
