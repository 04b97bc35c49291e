package postgres_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/shopspring/decimal"

	"github.com/entitle-rules/entitle/adapters/internal/pgtest"
	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/ports/storetest"
)

// dsnEnv names the database the tests use. Unset, they skip; set, a
// database they cannot reach fails them, so CI cannot pass by skipping.
const dsnEnv = "ENTITLE_POSTGRES_DSN"

func testDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		tb.Skipf("%s is not set; set it to a PostgreSQL 15+ database (postgres://user@host:5432/db?sslmode=disable) to test the PostgreSQL store", dsnEnv)
	}
	return dsn
}

// freshSchema names a schema no test has used and drops it, with everything
// in it, when tb ends.
func freshSchema(tb testing.TB, dsn string) string { return pgtest.Schema(tb, dsn) }

// openStore opens a Store on schema, closed when tb ends.
func openStore(tb testing.TB, dsn string, opts postgres.Options) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(tb.Context(), dsn, opts)
	if err != nil {
		tb.Fatalf("Open(%s, schema %s): %v", dsnEnv, opts.Schema, err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// rawConn is a plain connection whose search_path is schema, for writing
// what the Store would never write.
func rawConn(tb testing.TB, dsn, schema string) *pgx.Conn {
	tb.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	conn, err := pgx.ConnectConfig(tb.Context(), cfg)
	if err != nil {
		tb.Fatalf("connecting to %s: %v", dsnEnv, err)
	}
	tb.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func TestStoreContract(t *testing.T) {
	dsn := testDSN(t)
	storetest.Run(t, func(t *testing.T) ports.Store {
		return openStore(t, dsn, postgres.Options{Schema: freshSchema(t, dsn)})
	})
}

func day(tb testing.TB, s string) domain.Date {
	tb.Helper()
	d, err := domain.ParseDate(s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// TestMigrations: a database an older entitle left at version 1 gains the
// newer tables and keeps its data; one left at version 2 keeps its sites'
// owners through the rename of customer_sites.use to site_use; one migrated
// by a newer entitle is
// refused; instances starting together on an empty schema migrate it once;
// and btree_gist lives outside entitle's schemas, so dropping one leaves
// another's exclusion constraint working.
func TestMigrations(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	latest := postgres.LatestVersion()
	if latest < 3 {
		t.Fatalf("LatestVersion() = %d, want at least 3", latest)
	}
	versions := func(conn *pgx.Conn) []int {
		t.Helper()
		rows, err := conn.Query(ctx, "SELECT version FROM schema_migrations ORDER BY version")
		if err != nil {
			t.Fatal(err)
		}
		vs, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			t.Fatal(err)
		}
		return vs
	}
	upTo := func(n int) []int {
		var vs []int
		for v := 1; v <= n; v++ {
			vs = append(vs, v)
		}
		return vs
	}

	t.Run("version 1 migrates to the latest keeping data", func(t *testing.T) {
		schema := freshSchema(t, dsn)
		if err := postgres.MigrateTo(ctx, dsn, schema, 1); err != nil {
			t.Fatalf("MigrateTo(1): %v", err)
		}
		conn := rawConn(t, dsn, schema)
		if got := versions(conn); !slices.Equal(got, []int{1}) {
			t.Fatalf("versions after MigrateTo(1) = %v, want [1]", got)
		}
		var clients bool
		if err := conn.QueryRow(ctx, "SELECT to_regclass('clients') IS NOT NULL").Scan(&clients); err != nil || clients {
			t.Fatalf("a version-1 schema has a clients table (%v): the test no longer builds an old database", err)
		}
		// What an entitle of version 1 wrote, in its own columns.
		if _, err := conn.Exec(ctx, `INSERT INTO devices (serial_key, serial, service_type, manufacturer, model, sso_emails)
			VALUES ('TESTAPI01', 'TESTApi01', 'VRS', 'Trimble', 'R12', '{a@example.com}')`); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, `INSERT INTO subscriptions (id, serial, serial_key, part_number, product_line, start_date,
				end_date, kind, ended, auto_renew, order_id, line, activated, created_at)
			VALUES ('S1', 'TESTApi01', 'TESTAPI01', '88213-10', 'CENTERPOINT', '2025-04-24', '2026-04-24', 'PAID', '', true, 13331, 1, true, now())`); err != nil {
			t.Fatal(err)
		}

		s := openStore(t, dsn, postgres.Options{Schema: schema})
		if got := versions(conn); !slices.Equal(got, upTo(latest)) {
			t.Errorf("versions after Open = %v, want %v", got, upTo(latest))
		}
		err := s.View(ctx, func(tx ports.Tx) error {
			d, err := tx.Devices().BySerial(ctx, "testapi01")
			if err != nil {
				return err
			}
			tl, err := tx.Subscriptions().BySerial(ctx, "TestAPI01")
			if err != nil {
				return err
			}
			if d.Serial != "TESTApi01" || len(tl) != 1 || tl[0].ID != "S1" || tl[0].End != day(t, "2026-04-24") {
				t.Errorf("after migrating: device %+v, timeline %+v; want TESTApi01 and S1 to 2026-04-24", d, tl)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		c := domain.Client{ID: "c1", Name: "client", SecretHash: domain.HashSecret("s")}
		if err := s.Update(ctx, func(tx ports.Tx) error { return tx.Clients().Put(ctx, c) }); err != nil {
			t.Fatalf("Clients.Put after migrating: %v", err)
		}
		// Opening again finds nothing to do.
		openStore(t, dsn, postgres.Options{Schema: schema})
		if got := versions(conn); !slices.Equal(got, upTo(latest)) {
			t.Errorf("versions after a second Open = %v, want %v", got, upTo(latest))
		}
	})

	t.Run("version 2's site uses keep their owners as site_use", func(t *testing.T) {
		schema := freshSchema(t, dsn)
		if err := postgres.MigrateTo(ctx, dsn, schema, 2); err != nil {
			t.Fatalf("MigrateTo(2): %v", err)
		}
		conn := rawConn(t, dsn, schema)
		// What an entitle of version 2 wrote: the site's use in the column "use".
		if _, err := conn.Exec(ctx, `INSERT INTO customers (id, client_id, parent_id, kind, name, region, country, price_list_id,
				active, created_at, discount_percent, credit_hold, sites)
			VALUES ('R1', 'c1', '', 1, 'Reseller', 'AMERICA', 'US', '', true, now(), '', false,
				'[{"siteUseId":531807,"use":1,"address":"Westminster CO","region":"AMERICA","country":"US","autoRenewFlag":true}]');
			INSERT INTO customer_sites (site_use_id, use, customer_id) VALUES (531807, 1, 'R1')`); err != nil {
			t.Fatal(err)
		}
		s := openStore(t, dsn, postgres.Options{Schema: schema})
		var cols []string
		rows, err := conn.Query(ctx, `SELECT column_name FROM information_schema.columns
			WHERE table_schema = $1 AND table_name = 'customer_sites' ORDER BY column_name`, schema)
		if err == nil {
			cols, err = pgx.CollectRows(rows, pgx.RowTo[string])
		}
		if err != nil || !slices.Equal(cols, []string{"customer_id", "site_use", "site_use_id"}) {
			t.Errorf("customer_sites columns after migrating = %v (%v), want customer_id, site_use, site_use_id", cols, err)
		}
		err = s.View(ctx, func(tx ports.Tx) error {
			c, err := tx.Customers().BySite(ctx, 531807, domain.BillTo)
			if err == nil && (c.ID != "R1" || len(c.Sites) != 1 || c.Sites[0].Use != domain.BillTo) {
				t.Errorf("BySite(531807, BILL_TO) after migrating = %+v, want R1 with its bill-to site", c)
			}
			return err
		})
		if err != nil {
			t.Fatalf("BySite after migrating: %v", err)
		}
		// The renamed column still backs the one-owner rule.
		err = s.Update(ctx, func(tx ports.Tx) error {
			return tx.Customers().Put(ctx, domain.Customer{ID: "R2", ClientID: "c2",
				Sites: []domain.Site{{SiteUseID: 531807, Use: domain.BillTo}}})
		})
		if domain.ErrorCode(err) != domain.CodeConflict {
			t.Errorf("R2 taking R1's bill-to site after migrating: %v, want %q", err, domain.CodeConflict)
		}
	})

	t.Run("a newer schema is refused", func(t *testing.T) {
		schema := freshSchema(t, dsn)
		openStore(t, dsn, postgres.Options{Schema: schema})
		conn := rawConn(t, dsn, schema)
		if _, err := conn.Exec(ctx, "INSERT INTO schema_migrations (version) VALUES ($1)", latest+1); err != nil {
			t.Fatal(err)
		}
		s, err := postgres.Open(ctx, dsn, postgres.Options{Schema: schema})
		if err == nil {
			s.Close()
			t.Fatal("Open of a schema at a newer version succeeded")
		}
		if !errors.Is(err, postgres.ErrNewerSchema) || domain.ErrorCode(err) != domain.CodeInternal {
			t.Errorf("Open of a newer schema = %v (code %q), want ErrNewerSchema with code %q", err, domain.ErrorCode(err), domain.CodeInternal)
		}
	})

	t.Run("instances starting together migrate once", func(t *testing.T) {
		schema := freshSchema(t, dsn)
		const instances = 6
		var wg sync.WaitGroup
		for range instances {
			wg.Go(func() {
				s, err := postgres.Open(ctx, dsn, postgres.Options{Schema: schema})
				if err != nil {
					t.Errorf("Open: %v", err)
					return
				}
				s.Close()
			})
		}
		wg.Wait()
		if got := versions(rawConn(t, dsn, schema)); !slices.Equal(got, upTo(latest)) {
			t.Errorf("versions = %v, want %v", got, upTo(latest))
		}
	})

	t.Run("btree_gist outlives a dropped schema", func(t *testing.T) {
		gone, kept := freshSchema(t, dsn), freshSchema(t, dsn)
		openStore(t, dsn, postgres.Options{Schema: gone}).Close()
		s := openStore(t, dsn, postgres.Options{Schema: kept})
		conn := rawConn(t, dsn, kept)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{gone}.Sanitize()+" CASCADE"); err != nil {
			t.Fatal(err)
		}
		var where string
		if err := conn.QueryRow(ctx, `SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
			WHERE e.extname = 'btree_gist'`).Scan(&where); err != nil {
			t.Fatalf("btree_gist is gone after dropping an entitle schema: %v", err)
		}
		if strings.HasPrefix(where, "entitle_test_") {
			t.Errorf("btree_gist lives in %s, a schema a test drops", where)
		}
		put := func(id, start, end string) error {
			return s.Update(ctx, func(tx ports.Tx) error {
				return tx.Subscriptions().Put(ctx, domain.Subscription{ID: id, Serial: "X1", ProductLine: "CENTERPOINT",
					Start: day(t, start), End: day(t, end), Kind: domain.Paid})
			})
		}
		if err := put("S1", "2025-01-01", "2025-12-31"); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, `INSERT INTO subscriptions (id, serial, serial_key, part_number, product_line, start_date,
				end_date, kind, ended, auto_renew, order_id, line, activated, created_at)
			VALUES ('S2', 'X1', 'X1', 'P', 'CENTERPOINT', '2025-06-01', '2026-05-31', 'PAID', '', false, 0, 0, false, now())`); sqlState(err) != "23P01" {
			t.Errorf("an overlap written after another schema was dropped: %v, want exclusion_violation (23P01)", err)
		}
	})
}

// sqlState returns err's SQLSTATE, or "" when it is not PostgreSQL's.
func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// TestConstraintsBackTheInvariants writes, with plain SQL that skips every
// check in Go, what each invariant forbids: the database refuses it.
func TestConstraintsBackTheInvariants(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	schema := freshSchema(t, dsn)
	s := openStore(t, dsn, postgres.Options{Schema: schema})
	err := s.Update(ctx, func(tx ports.Tx) error {
		sub := domain.Subscription{ID: "S1", Serial: "TESTApi01", PartNumber: "88213-10", ProductLine: "CENTERPOINT",
			Start: day(t, "2025-01-01"), End: day(t, "2025-12-31"), Kind: domain.Paid}
		if err := tx.Subscriptions().Put(ctx, sub); err != nil {
			return err
		}
		if err := tx.Trials().Record(ctx, domain.TrialGrant{SerialKey: "TESTAPI01", ProductLine: "CENTERPOINT", PartNumber: "T"}); err != nil {
			return err
		}
		return tx.Orders().Create(ctx, &domain.Order{ClientID: "c1", Status: domain.OrderInProgress,
			Lines: []domain.OrderLine{{LineNumber: 1, SerialNumber: "TESTApi01"}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	conn := rawConn(t, dsn, schema)
	const subscription = `INSERT INTO subscriptions (id, serial, serial_key, part_number, product_line, start_date, end_date,
		kind, ended, auto_renew, order_id, line, activated, created_at) VALUES `
	for _, c := range []struct {
		name, sql, state string
	}{
		{"an overlapping live subscription, serial in another case", subscription +
			`('S2', 'testapi01', 'TESTAPI01', 'P', 'CENTERPOINT', '2025-12-31', '2026-12-30', 'PAID', '', false, 0, 0, false, now())`, "23P01"},
		{"a subscription ending before it starts", subscription +
			`('S3', 'X', 'X', 'P', 'CENTERPOINT', '2025-12-31', '2025-12-30', 'PAID', '', false, 0, 0, false, now())`, "23514"},
		{"a second trial of the serial and line", `INSERT INTO trial_grants (serial_key, product_line, given_key, order_id, part_number, granted_at)
			VALUES ('TESTAPI01', 'CENTERPOINT', 'testapi01', 0, 'T', now())`, "23505"},
		{"a second in-progress order for the serial", `WITH o AS (INSERT INTO orders (client_id, customer_id, ship_to_customer_id,
				bill_to_customer, ship_to_customer, po_number, customer_order_ref, currency, promo_code, activation_country,
				bill_to_site_use_id, ship_to_site_use_id, bill_to_email, bill_to_phone, ship_to_email, ship_to_phone, status,
				hold_reason, created_at, total, ruleset_hash, lines)
			VALUES ('c2', '', '', '', '', '', '', '', '', '', 0, 0, '', '', '', '', 'ORDER_CREATION_INPROGRESS', '', now(), 0, '', '[]')
			RETURNING unique_id)
			INSERT INTO order_serials (order_id, serial_key, in_progress) SELECT unique_id, 'TESTAPI01', true FROM o`, "23505"},
	} {
		if _, err := conn.Exec(ctx, c.sql); sqlState(err) != c.state {
			t.Errorf("%s: %v, want SQLSTATE %s", c.name, err, c.state)
		}
	}
	// What the constraints allow: a cancelled subscription may overlap, and
	// the day after the first ends is free.
	for _, row := range []string{
		`('S4', 'TESTApi01', 'TESTAPI01', 'P', 'CENTERPOINT', '2025-06-01', '2026-05-31', 'PAID', 'CANCELED', false, 0, 0, false, now())`,
		`('S5', 'TESTApi01', 'TESTAPI01', 'P', 'CENTERPOINT', '2026-01-01', '2026-12-31', 'PAID', '', false, 0, 0, false, now())`,
	} {
		if _, err := conn.Exec(ctx, subscription+row); err != nil {
			t.Errorf("%s: %v", row, err)
		}
	}
	tl, err := func() (tl domain.Timeline, err error) {
		err = s.View(ctx, func(tx ports.Tx) error { tl, err = tx.Subscriptions().BySerial(ctx, "testapi01"); return err })
		return tl, err
	}()
	if err != nil {
		t.Fatal(err)
	}
	if a, b := tl.Overlapping(); a != nil || len(tl) != 3 {
		t.Errorf("timeline = %+v: want S1, S4 (cancelled) and S5 with no live overlap (got %v and %v)", tl, a, b)
	}
}

// TestCancelledAndClosed: an abandoned context and a closed store are
// CodeUnavailable, and nothing is written.
func TestCancelledAndClosed(t *testing.T) {
	dsn := testDSN(t)
	s := openStore(t, dsn, postgres.Options{Schema: freshSchema(t, dsn)})
	ctx, cancel := context.WithCancel(t.Context())
	err := s.Update(ctx, func(tx ports.Tx) error {
		if err := tx.Devices().Put(ctx, domain.Device{Serial: "X1"}); err != nil {
			return err
		}
		cancel()
		return nil
	})
	if domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Errorf("Update whose context ended before the commit = %v, want %q", err, domain.CodeUnavailable)
	}
	err = s.View(t.Context(), func(tx ports.Tx) error {
		_, err := tx.Devices().BySerial(t.Context(), "X1")
		return err
	})
	if domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("the abandoned Update's device: %v, want %q", err, domain.CodeNotFound)
	}
	if err := s.View(ctx, func(ports.Tx) error { return nil }); domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Errorf("View with a cancelled context = %v, want %q", err, domain.CodeUnavailable)
	}
	var kept ports.Tx
	if err := s.View(t.Context(), func(tx ports.Tx) error { kept = tx; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := kept.Devices().BySerial(t.Context(), "X1"); domain.ErrorCode(err) != domain.CodeInternal {
		t.Errorf("a Tx used after its View = %v, want %q", err, domain.CodeInternal)
	}
	if _, err := postgres.Open(t.Context(), "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", postgres.Options{}); domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Errorf("Open of an unreachable database = %v, want %q", err, domain.CodeUnavailable)
	}
	if _, err := postgres.Open(t.Context(), "postgres://%zz", postgres.Options{}); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("Open of a DSN that does not parse = %v, want %q", err, domain.CodeInvalid)
	}
}

// TestDecimalsKeepTheirDigits: an amount stored as 1999.00 comes back with
// its two decimals, in a numeric column and inside jsonb alike, not as 1999.
func TestDecimalsKeepTheirDigits(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	s := openStore(t, dsn, postgres.Options{Schema: freshSchema(t, dsn)})
	price := decimal.RequireFromString("1999.00")
	o := &domain.Order{ClientID: "c1", Status: domain.OrderSuccess, Total: decimal.RequireFromString("1749.130"),
		Lines: []domain.OrderLine{{LineNumber: 1, SerialNumber: "X1", UnitPrice: price, NetPrice: decimal.RequireFromString("0.000001")}}}
	if err := s.Update(ctx, func(tx ports.Tx) error { return tx.Orders().Create(ctx, o) }); err != nil {
		t.Fatal(err)
	}
	var got domain.Order
	if err := s.View(ctx, func(tx ports.Tx) (err error) { got, err = tx.Orders().Get(ctx, o.UniqueID); return err }); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		want, got decimal.Decimal
	}{
		{"total", o.Total, got.Total},
		{"unit price", price, got.Lines[0].UnitPrice},
		{"net price", o.Lines[0].NetPrice, got.Lines[0].NetPrice},
	} {
		if !c.got.Equal(c.want) || c.got.Exponent() != c.want.Exponent() {
			t.Errorf("%s = %s (exponent %d), want %s (exponent %d)", c.name, c.got.StringFixed(-c.got.Exponent()), c.got.Exponent(),
				c.want.StringFixed(-c.want.Exponent()), c.want.Exponent())
		}
	}
}
