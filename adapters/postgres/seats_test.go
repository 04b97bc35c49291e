package postgres_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/dataset"
)

// What is particular to the PostgreSQL seats store (seats.go, migration
// 0007): the invariants are constraints that hold for writers taking no
// lock, a refused seat write leaves the transaction usable, and
// LockAccount serializes Updates across Stores without a round trip of its
// own. The behaviour every store shares is ports/storetest's.

var seatNow = time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)

// seatRows is what seatFixture stored: two accounts, users and seats.
type seatRows struct {
	acme, other domain.Account
	// u1, u2 are acme's users, ou other's.
	u1, u2, ou domain.User
	// cp1, cp2 are acme's CoPilot seats, mo its MileOn seat, ocp other's
	// CoPilot seat.
	cp1, cp2, mo, ocp domain.License
	// a1 gives cp1 to u1 for 2025.
	a1 domain.Assignment
}

// seatFixture stores seats in s.
func seatFixture(t *testing.T, s ports.Store) seatRows {
	t.Helper()
	ctx := t.Context()
	var f seatRows
	err := s.Update(ctx, func(tx ports.Tx) error {
		f.acme = domain.Account{PartnerID: "fleet-partner", Alias: "Acme-Fleet", Title: "Acme", CreatedAt: seatNow,
			Limits: map[string]domain.Limits{"copilot": {Users: 10}}, Plans: map[string]string{"copilot": "basic"}}
		f.other = domain.Account{PartnerID: "other-partner", Alias: "other", Title: "Other", CreatedAt: seatNow}
		for _, a := range []*domain.Account{&f.acme, &f.other} {
			if err := tx.Accounts().Create(ctx, a); err != nil {
				return err
			}
		}
		f.u1 = domain.User{AccountID: f.acme.ID, ExternalID: "Driver-1", Username: "admin@acme.example",
			Roles: []domain.Role{domain.AccountAdmin}, CreatedAt: seatNow, UpdatedAt: seatNow}
		f.u2 = domain.User{AccountID: f.acme.ID, ExternalID: "Driver-2", CreatedAt: seatNow, UpdatedAt: seatNow}
		f.ou = domain.User{AccountID: f.other.ID, ExternalID: "Driver-1", CreatedAt: seatNow, UpdatedAt: seatNow}
		for _, u := range []*domain.User{&f.u1, &f.u2, &f.ou} {
			if err := tx.Users().Create(ctx, u); err != nil {
				return err
			}
		}
		term := func(account int64, product string) domain.License {
			return domain.License{AccountID: account, ProductID: product, Registered: day(t, "2025-01-01"),
				Expires: day(t, "2025-12-31"), CreatedAt: seatNow}
		}
		ls, err := tx.Licenses().Create(ctx, []domain.License{term(f.acme.ID, "CoPilot"), term(f.acme.ID, "CoPilot"),
			term(f.acme.ID, "MileOn"), term(f.other.ID, "CoPilot")})
		if err != nil {
			return err
		}
		f.cp1, f.cp2, f.mo, f.ocp = ls[0], ls[1], ls[2], ls[3]
		f.a1 = domain.Assignment{AccountID: f.acme.ID, LicenseID: f.cp1.ID, UserID: f.u1.ID,
			ActivationDate: day(t, "2025-01-01"), DeactivationDate: day(t, "2025-12-31"), LastChanged: seatNow}
		return tx.Assignments().Create(ctx, &f.a1)
	})
	if err != nil {
		t.Fatalf("storing the seats fixture: %v", err)
	}
	return f
}

// TestSeatConstraintsHoldWithoutLocks writes, with plain SQL that takes no
// advisory lock and skips every check in Go, what each seat invariant
// forbids: the database refuses it. Then a Store's writer that takes no
// lock meets an overlapping row another transaction has not committed yet:
// it waits for it and is refused with CodeConflict once it commits.
func TestSeatConstraintsHoldWithoutLocks(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	schema := freshSchema(t, dsn)
	s := openStore(t, dsn, postgres.Options{Schema: schema})
	f := seatFixture(t, s)
	conn := rawConn(t, dsn, schema)
	const assign = `INSERT INTO assignments (account_id, license_id, user_id, product_id, activation, deactivation, last_changed)
		VALUES ($1, $2, $3, $4, $5, $6, now())`
	const user = `INSERT INTO seat_users (account_id, external_id, external_key, email, first_name, last_name, phone_number,
		username, username_key, password_hash, roles, created_at, updated_at) VALUES ($1, $2, $3, '', '', '', '', $4, $5, '', '{}', now(), now())`
	for _, c := range []struct {
		name  string
		sql   string
		args  []any
		state string
	}{
		{"a second user of the license on a common day", assign,
			[]any{f.acme.ID, f.cp1.ID, f.u2.ID, "CoPilot", "2025-12-31", "2026-01-31"}, "23P01"},
		{"the user's second seat of the product on a common day", assign,
			[]any{f.acme.ID, f.cp2.ID, f.u1.ID, "CoPilot", "2025-06-01", "2025-06-01"}, "23P01"},
		{"deactivation two days before activation", assign,
			[]any{f.acme.ID, f.cp2.ID, f.u2.ID, "CoPilot", "2025-06-03", "2025-06-01"}, "23514"},
		{"another account's seat", assign,
			[]any{f.acme.ID, f.ocp.ID, f.u2.ID, "CoPilot", "2026-06-01", "2026-06-30"}, "23503"},
		{"another account's user", assign,
			[]any{f.acme.ID, f.cp2.ID, f.ou.ID, "CoPilot", "2026-06-01", "2026-06-30"}, "23503"},
		{"a product the seat is not of", assign,
			[]any{f.acme.ID, f.cp2.ID, f.u2.ID, "MileOn", "2026-06-01", "2026-06-30"}, "23503"},
		{"a live user's externalId in another case", user,
			[]any{f.acme.ID, "DRIVER-1", "DRIVER-1", "", ""}, "23505"},
		{"a live user's username in another case", user,
			[]any{f.other.ID, "someone", "SOMEONE", "Admin@Acme.Example", "ADMIN@ACME.EXAMPLE"}, "23505"},
		{"an alias in another case", `INSERT INTO accounts (partner_id, alias, alias_key, title, created_at, activated, blocks, plans, limits)
			VALUES ('p', 'ACME-fleet', 'ACME-FLEET', '', now(), false, '[]', '{}', '{}')`, nil, "23505"},
		{"an apiKey hash twice", `INSERT INTO clients (id, name, secret_hash, api_key_hash) VALUES ('a', '', '', 'h'), ('b', '', '', 'h')`, nil, "23505"},
	} {
		if _, err := conn.Exec(ctx, c.sql, c.args...); sqlState(err) != c.state {
			t.Errorf("%s: %v, want SQLSTATE %s", c.name, err, c.state)
		}
	}
	// What the constraints allow: a cancelled assignment overlaps anything,
	// the day after the last one ends is free, another product is another
	// seat, and a deleted user's externalId is free again.
	for _, c := range []struct {
		name string
		sql  string
		args []any
	}{
		{"a cancelled assignment inside another", assign, []any{f.acme.ID, f.cp1.ID, f.u2.ID, "CoPilot", "2025-06-01", "2025-05-31"}},
		{"the day after", assign, []any{f.acme.ID, f.cp1.ID, f.u2.ID, "CoPilot", "2026-01-01", "2026-01-31"}},
		{"another product on the same days", assign, []any{f.acme.ID, f.mo.ID, f.u1.ID, "MileOn", "2025-01-01", "2025-12-31"}},
		{"the externalId of a deleted user", `UPDATE seat_users SET deleted_at = now() WHERE id = $1`, []any{f.u2.ID}},
		{"", user, []any{f.acme.ID, "driver-2", "DRIVER-2", "", ""}},
	} {
		if _, err := conn.Exec(ctx, c.sql, c.args...); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}

	// A writer outside the Store holds an uncommitted seat; the Store's
	// Update, taking no lock, waits on it and is refused once it commits.
	s2 := openStore(t, named(dsn, schema), postgres.Options{Schema: schema})
	held, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Rollback(context.Background())
	if _, err := held.Exec(ctx, assign, f.acme.ID, f.cp2.ID, f.u2.ID, "CoPilot", "2025-03-01", "2025-03-31"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- s2.Update(ctx, func(tx ports.Tx) error {
			u, err := tx.Users().ByExternalID(ctx, f.acme.ID, "driver-2")
			if err != nil {
				return err
			}
			return tx.Assignments().Create(ctx, &domain.Assignment{AccountID: f.acme.ID, LicenseID: f.cp2.ID, UserID: u.ID,
				ActivationDate: day(t, "2025-03-15"), DeactivationDate: day(t, "2025-04-15"), LastChanged: seatNow})
		})
	}()
	waitForLockWait(t, rawConn(t, dsn, schema), schema)
	if err := held.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	err = <-done
	if de := asDomain(err); de == nil || de.Code != domain.CodeConflict || de.Field != "licenseId" {
		t.Errorf("an overlapping seat written while another transaction held one: %v, want %s on licenseId", err, domain.CodeConflict)
	}
}

func asDomain(err error) *domain.Error {
	var de *domain.Error
	if errors.As(err, &de) {
		return de
	}
	return nil
}

// constraintWant is what a violation of a constraint must translate to.
type constraintWant struct {
	state, field string
	code         domain.Code
}

// checkConstraintsExplained checks that names, the constraints errors.go
// explains, are the ones want knows, that each exists in a freshly
// migrated schema as a constraint or an index, and that its SQLSTATE is
// translated to the code and field want gives, with a message.
func checkConstraintsExplained(t *testing.T, names []string, want map[string]constraintWant) {
	t.Helper()
	dsn := testDSN(t)
	ctx := t.Context()
	schema := freshSchema(t, dsn)
	openStore(t, dsn, postgres.Options{Schema: schema})
	conn := rawConn(t, dsn, schema)
	if len(names) != len(want) {
		t.Errorf("errors.go explains %v; the test knows %d constraints", names, len(want))
	}
	for _, name := range names {
		w, ok := want[name]
		if !ok {
			t.Errorf("errors.go explains %s, which the test does not know", name)
			continue
		}
		var exists bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
				WHERE n.nspname = $1 AND c.conname = $2)
			OR EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
				WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind = 'i')`, schema, name).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if !exists {
			t.Errorf("schema has no constraint or index %s", name)
		}
		de := asDomain(postgres.TranslatePgError(w.state, name))
		if de == nil || de.Code != w.code || de.Field != w.field || de.Message == "" {
			t.Errorf("SQLSTATE %s on %s = %+v, want %s on %s with a message", w.state, name, de, w.code, w.field)
		}
	}
}

// TestSeatConstraintsAreExplained: every constraint errors.go explains
// exists in the migrated schema under that name, and a violation of it
// that reaches the store (a racing writer) is translated with its code and
// the request field at fault.
func TestSeatConstraintsAreExplained(t *testing.T) {
	checkConstraintsExplained(t, postgres.SeatConstraintNames(), map[string]constraintWant{
		"accounts_pkey":                       {"23505", "id", domain.CodeConflict},
		"accounts_alias_key":                  {"23505", "alias", domain.CodeConflict},
		"seat_users_external_key":             {"23505", "externalId", domain.CodeConflict},
		"seat_users_username_key":             {"23505", "username", domain.CodeConflict},
		"seat_users_account_id_fkey":          {"23503", "accountId", domain.CodeNotFound},
		"licenses_account_id_fkey":            {"23503", "accountId", domain.CodeNotFound},
		"assignments_license":                 {"23503", "licenseId", domain.CodeNotFound},
		"assignments_user":                    {"23503", "userId", domain.CodeNotFound},
		"assignments_dates_valid":             {"23514", "deactivationDate", domain.CodeInvalid},
		"assignments_license_no_overlap":      {"23P01", "licenseId", domain.CodeConflict},
		"assignments_user_product_no_overlap": {"23P01", "userId", domain.CodeConflict},
		"clients_api_key_hash":                {"23505", "apiKey", domain.CodeConflict},
	})
}

// TestRefusedSeatWritesKeepTheTransaction: PostgreSQL aborts a transaction
// at its first refused statement, but a bulk assignment answers item by
// item and commits the items that pass. Every refusal of the seat
// repositories, inside one Update, is answered with its code and field and
// leaves the transaction usable; what passed commits.
func TestRefusedSeatWritesKeepTheTransaction(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	s := openStore(t, dsn, postgres.Options{Schema: freshSchema(t, dsn)})
	f := seatFixture(t, s)
	a := func(license, user int64, from, to string) *domain.Assignment {
		return &domain.Assignment{AccountID: f.acme.ID, LicenseID: license, UserID: user,
			ActivationDate: day(t, from), DeactivationDate: day(t, to), LastChanged: seatNow}
	}
	var kept domain.Assignment
	err := s.Update(ctx, func(tx ports.Tx) error {
		if err := tx.LockAccount(ctx, f.acme.ID); err != nil {
			return err
		}
		for _, c := range []struct {
			name  string
			write func() error
			code  domain.Code
			field string
		}{
			{"the seat is someone else's on a common day", func() error {
				return tx.Assignments().Create(ctx, a(f.cp1.ID, f.u2.ID, "2025-12-31", "2026-01-31"))
			}, domain.CodeConflict, "licenseId"},
			{"the user holds another seat of the product", func() error {
				return tx.Assignments().Create(ctx, a(f.cp2.ID, f.u1.ID, "2025-02-01", "2025-02-01"))
			}, domain.CodeConflict, "userId"},
			{"another account's seat", func() error {
				return tx.Assignments().Create(ctx, a(f.ocp.ID, f.u2.ID, "2025-02-01", "2025-02-28"))
			}, domain.CodeNotFound, "licenseId"},
			{"another account's user", func() error {
				return tx.Assignments().Create(ctx, a(f.cp2.ID, f.ou.ID, "2025-02-01", "2025-02-28"))
			}, domain.CodeNotFound, "userId"},
			{"a seat that does not exist", func() error {
				return tx.Assignments().Create(ctx, a(1<<40, f.u2.ID, "2025-02-01", "2025-02-28"))
			}, domain.CodeNotFound, "licenseId"},
			{"a product the seat is not of", func() error {
				x := a(f.cp2.ID, f.u2.ID, "2025-02-01", "2025-02-28")
				x.ProductID = "MileOn"
				return tx.Assignments().Create(ctx, x)
			}, domain.CodeInvalid, "productId"},
			{"a live externalId in another case", func() error {
				return tx.Users().Create(ctx, &domain.User{AccountID: f.acme.ID, ExternalID: "DRIVER-1"})
			}, domain.CodeConflict, "externalId"},
			{"a username in another case, in another account", func() error {
				return tx.Users().Create(ctx, &domain.User{AccountID: f.other.ID, ExternalID: "x", Username: "ADMIN@acme.example"})
			}, domain.CodeConflict, "username"},
			{"a user of an account that does not exist", func() error {
				return tx.Users().Create(ctx, &domain.User{AccountID: 1 << 40, ExternalID: "x"})
			}, domain.CodeNotFound, "accountId"},
			{"renaming a user to a live externalId", func() error {
				u := f.u2
				u.ExternalID = "driver-1"
				return tx.Users().Put(ctx, u)
			}, domain.CodeConflict, "externalId"},
			{"putting another account's user", func() error {
				u := f.ou
				u.AccountID = f.acme.ID
				return tx.Users().Put(ctx, u)
			}, domain.CodeNotFound, "userId"},
			{"an alias in another case", func() error {
				return tx.Accounts().Create(ctx, &domain.Account{PartnerID: "p", Alias: "ACME-FLEET"})
			}, domain.CodeConflict, "alias"},
			{"renaming an account to a taken alias", func() error {
				o := f.other
				o.Alias = "acme-fleet"
				return tx.Accounts().Put(ctx, o)
			}, domain.CodeConflict, "alias"},
			{"an account id taken", func() error {
				return tx.Accounts().Create(ctx, &domain.Account{ID: f.acme.ID, PartnerID: "p", Alias: "new"})
			}, domain.CodeConflict, "id"},
			{"seats for an account that does not exist", func() error {
				_, err := tx.Licenses().Create(ctx, []domain.License{{AccountID: f.acme.ID, ProductID: "CoPilot",
					Registered: day(t, "2025-01-01"), Expires: day(t, "2025-12-31")}, {AccountID: 1 << 40, ProductID: "CoPilot",
					Registered: day(t, "2025-01-01"), Expires: day(t, "2025-12-31")}})
				return err
			}, domain.CodeNotFound, "accountId"},
			{"a seat's term ending before its assignment", func() error {
				return tx.Licenses().SetExpires(ctx, f.acme.ID, f.cp1.ID, day(t, "2025-06-30"))
			}, domain.CodeConflict, "expires"},
			{"another account's seat's term", func() error {
				return tx.Licenses().SetExpires(ctx, f.acme.ID, f.ocp.ID, day(t, "2025-06-30"))
			}, domain.CodeNotFound, "licenseId"},
			{"deactivation two days before activation", func() error {
				return tx.Assignments().SetDeactivation(ctx, f.acme.ID, f.a1.ID, day(t, "2024-12-30"), seatNow)
			}, domain.CodeInvalid, ""},
			{"another account's assignment", func() error {
				return tx.Assignments().SetDeactivation(ctx, f.other.ID, f.a1.ID, day(t, "2025-06-30"), seatNow)
			}, domain.CodeNotFound, "assignmentId"},
		} {
			err := c.write()
			de := asDomain(err)
			if de == nil || de.Code != c.code || de.Field != c.field {
				t.Errorf("%s: %v, want %s on %q", c.name, err, c.code, c.field)
			}
		}
		// Extending a1 into a seat given after it is refused too.
		later := a(f.cp1.ID, f.u2.ID, "2026-01-01", "2026-01-31")
		if err := tx.Assignments().Create(ctx, later); err != nil {
			return err
		}
		if err := tx.Assignments().SetDeactivation(ctx, f.acme.ID, f.a1.ID, day(t, "2026-01-15"), seatNow); domain.ErrorCode(err) != domain.CodeConflict {
			t.Errorf("extending an assignment over the next one on its seat: %v, want %s", err, domain.CodeConflict)
		}
		// After every refusal, the transaction still writes.
		kept = *a(f.cp2.ID, f.u2.ID, "2025-02-01", "2025-02-28")
		if err := tx.Assignments().Create(ctx, &kept); err != nil {
			return err
		}
		return tx.Assignments().SetDeactivation(ctx, f.acme.ID, f.a1.ID, day(t, "2025-06-30"), seatNow.Add(time.Hour))
	})
	if err != nil {
		t.Fatalf("the Update after its refusals: %v", err)
	}
	err = s.View(ctx, func(tx ports.Tx) error {
		as, err := tx.Assignments().Find(ctx, domain.AssignmentQuery{AccountID: f.acme.ID})
		if err != nil {
			return err
		}
		if len(as) != 3 || as[0].ID != f.a1.ID || as[0].DeactivationDate != day(t, "2025-06-30") ||
			!as[0].LastChanged.Equal(seatNow.Add(time.Hour)) || as[2].ID != kept.ID || as[2].ProductID != "CoPilot" {
			t.Errorf("acme's assignments after the Update = %+v, want a1 ending 2025-06-30, the January one and the kept one", as)
		}
		n, err := tx.Users().Count(ctx, f.acme.ID)
		if err == nil && n != 2 {
			t.Errorf("acme has %d users, want 2: a refused user was written", n)
		}
		ls, err := tx.Licenses().ByAccount(ctx, f.acme.ID, "", domain.Date{})
		if err == nil && len(ls) != 3 {
			t.Errorf("acme has %d licenses, want 3: refused seats were written", len(ls))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLockAccountAcrossStores: an Update that locks an account waits, in
// another Store on the same database, for the Update holding it, and then
// reads what that one committed; an Update locking another account does not
// wait; a wait its context ends is CodeUnavailable. The lock costs no round
// trip of its own.
func TestLockAccountAcrossStores(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	s1, conn := lockedStore(t, postgres.Options{})
	schema := schemaOf(t, conn)
	s2 := openStore(t, named(dsn, schema), postgres.Options{Schema: schema})
	f := seatFixture(t, s1)

	locked, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	// A failing test still ends the holder's transaction, or closing the
	// Store would wait for it forever.
	defer free()
	first := make(chan error, 1)
	go func() {
		first <- s1.Update(ctx, func(tx ports.Tx) error {
			if err := tx.LockAccount(ctx, f.acme.ID); err != nil {
				return err
			}
			if err := tx.Users().Create(ctx, &domain.User{AccountID: f.acme.ID, ExternalID: "Driver-3"}); err != nil {
				return err
			}
			close(locked)
			<-release
			return nil
		})
	}()
	<-locked
	// Another account is not held up.
	if err := s2.Update(ctx, func(tx ports.Tx) error {
		if err := tx.LockAccount(ctx, f.other.ID); err != nil {
			return err
		}
		_, err := tx.Users().Count(ctx, f.other.ID)
		return err
	}); err != nil {
		t.Fatalf("locking another account: %v", err)
	}
	// A waiter whose context ends gives up with CodeUnavailable.
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	err := s2.Update(short, func(tx ports.Tx) error {
		if err := tx.LockAccount(short, f.acme.ID); err != nil {
			return err
		}
		_, err := tx.Users().Count(short, f.acme.ID)
		return err
	})
	cancel()
	if domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Errorf("waiting for a held account past the context's end: %v, want %s", err, domain.CodeUnavailable)
	}
	seen := make(chan int, 1)
	second := make(chan error, 1)
	go func() {
		second <- s2.Update(ctx, func(tx ports.Tx) error {
			if err := tx.LockAccount(ctx, f.acme.ID); err != nil {
				return err
			}
			n, err := tx.Users().Count(ctx, f.acme.ID)
			seen <- n
			return err
		})
	}()
	waitForLockWait(t, conn, schema)
	free()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	if n := <-seen; n != 3 {
		t.Errorf("the waiting Update counted %d users, want 3: the holder's user, committed before it read", n)
	}

	// The lock travels with the next statement.
	cs, counts, err := postgres.OpenCounting(ctx, dsn, postgres.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	trips := func(lock bool) int64 {
		before := counts.RoundTrips()
		if err := cs.Update(ctx, func(tx ports.Tx) error {
			if lock {
				if err := tx.LockAccount(ctx, f.acme.ID); err != nil {
					return err
				}
				if err := tx.LockAccount(ctx, f.acme.ID); err != nil {
					return err
				}
			}
			_, err := tx.Users().Count(ctx, f.acme.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return counts.RoundTrips() - before
	}
	trips(true) // prepare the statements
	if with, without := trips(true), trips(false); with != without {
		t.Errorf("an Update that locks its account takes %d round trips, one that does not %d", with, without)
	}
}

// TestAccountsKeepWhatTheyHold: an account's blocks, plans and limits, and
// an id it was created with, come back as written, and ids given after an
// explicit one stay above it.
func TestAccountsKeepWhatTheyHold(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	s := openStore(t, dsn, postgres.Options{Schema: freshSchema(t, dsn)})
	at := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	given := domain.Account{ID: 1248457, PartnerID: "p", Alias: "Given", Title: "Given", CreatedAt: seatNow, Activated: true,
		Blocks: []domain.BlockRecord{{Blocked: true, At: at}, {Blocked: false, At: at.Add(time.Hour)}},
		Plans:  map[string]string{"ruhavik": "plan-1"},
		Limits: map[string]domain.Limits{"ruhavik": {Units: 5, Geofences: 6, Users: 7, Triggers: 8}}}
	next := domain.Account{PartnerID: "p", Alias: "Next", CreatedAt: seatNow}
	err := s.Update(ctx, func(tx ports.Tx) error {
		if err := tx.Accounts().Create(ctx, &given); err != nil {
			return err
		}
		return tx.Accounts().Create(ctx, &next)
	})
	if err != nil {
		t.Fatal(err)
	}
	if next.ID <= given.ID {
		t.Errorf("the account created after id %d got id %d", given.ID, next.ID)
	}
	err = s.View(ctx, func(tx ports.Tx) error {
		got, err := tx.Accounts().ByAlias(ctx, "GIVEN")
		if err != nil {
			return err
		}
		if got.ID != given.ID || len(got.Blocks) != 2 || !got.Blocks[1].At.Equal(given.Blocks[1].At) || got.Blocks[1].Blocked ||
			got.Plans["ruhavik"] != "plan-1" || got.Limits["ruhavik"] != given.Limits["ruhavik"] || got.UserLimit() != 7 ||
			!got.Activated || !got.CreatedAt.Equal(seatNow) {
			t.Errorf("ByAlias(GIVEN) = %+v, want %+v", got, given)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// named is dsn with the application_name waitForLockWait finds a schema's
// connections by.
func named(dsn, schema string) string {
	if strings.Contains(dsn, "?") {
		return dsn + "&application_name=" + schema
	}
	return dsn + "?application_name=" + schema
}

// TestExampleDataLoadsTwice: the example data set (a partner with an
// apiKey, a company with seats of two products, an account admin) loads
// into PostgreSQL, and loading it again changes no row.
func TestExampleDataLoadsTwice(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	schema := freshSchema(t, dsn)
	s := openStore(t, dsn, postgres.Options{Schema: schema})
	text, err := os.ReadFile("../cmd/entitle/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ds, err := dataset.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	conn := rawConn(t, dsn, schema)
	rows := func() string {
		t.Helper()
		var out string
		if err := conn.QueryRow(ctx, `SELECT concat_ws(' | ',
			(SELECT string_agg(to_jsonb(a)::text, ',' ORDER BY id) FROM accounts a),
			(SELECT string_agg((to_jsonb(u) - 'password_hash')::text, ',' ORDER BY id) FROM seat_users u),
			(SELECT string_agg(to_jsonb(l)::text, ',' ORDER BY id) FROM licenses l),
			(SELECT string_agg(to_jsonb(x)::text, ',' ORDER BY id) FROM assignments x),
			(SELECT string_agg(id || ':' || api_key_hash, ',' ORDER BY id) FROM clients))`).Scan(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if _, err := ds.Load(ctx, s); err != nil {
		t.Fatalf("the first load: %v", err)
	}
	first := rows()
	if !strings.Contains(first, `"alias": "acme-fleet"`) || !strings.Contains(first, `"product_id": "MileOn"`) {
		t.Fatalf("after loading the example: %s; want the company acme-fleet and its MileOn seats", first)
	}
	if _, err := ds.Load(ctx, s); err != nil {
		t.Fatalf("the second load: %v", err)
	}
	if again := rows(); again != first {
		t.Errorf("loading the example again changed the seats:\nbefore %s\nafter  %s", first, again)
	}
	err = s.View(ctx, func(tx ports.Tx) error {
		c, err := tx.Clients().ByAPIKey(ctx, domain.HashSecret("example-api-key-change-me"))
		if err != nil {
			return err
		}
		a, err := tx.Accounts().ByAlias(ctx, "ACME-FLEET")
		if err != nil {
			return err
		}
		if a.PartnerID != c.ID {
			t.Errorf("acme-fleet belongs to %q, the apiKey to %q", a.PartnerID, c.ID)
		}
		u, err := tx.Users().ByUsername(ctx, "Admin@Acme.Example")
		if err == nil && (u.AccountID != a.ID || !u.HasRole(domain.AccountAdmin)) {
			t.Errorf("the admin user = %+v, want an ACCOUNTADMIN of acme-fleet", u)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
