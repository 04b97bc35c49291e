package dataset_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/adapters/sqlite"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/dataset"
	"github.com/entitle-rules/entitle/rules/internal/secret"
)

// eachStore runs test on a new memory store and a new SQLite file: the
// seats part of a file loads alike on both (the SQL stores' constraints
// included).
func eachStore(t *testing.T, test func(*testing.T, func(*testing.T) ports.Store)) {
	for name, open := range map[string]func(*testing.T) ports.Store{
		"memory": func(t *testing.T) ports.Store {
			s := memory.New()
			t.Cleanup(func() { s.Close() })
			return s
		},
		"sqlite": func(t *testing.T) ports.Store {
			s, err := sqlite.Open(filepath.Join(t.TempDir(), "entitle.db"), sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	} {
		t.Run(name, func(t *testing.T) { test(t, open) })
	}
}

// seatState is everything the seats part of a store holds for the aliases
// given, as one comparable text.
func seatState(t *testing.T, store ports.Store, aliases ...string) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	err := store.View(ctx, func(tx ports.Tx) error {
		for _, alias := range aliases {
			a, err := tx.Accounts().ByAlias(ctx, alias)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "account %+v\n", a)
			us, err := tx.Users().List(ctx, a.ID, 0, 0)
			if err != nil {
				return err
			}
			for _, u := range us {
				fmt.Fprintf(&b, "user %+v\n", u)
			}
			ls, err := tx.Licenses().ByAccount(ctx, a.ID, "", domain.Date{})
			if err != nil {
				return err
			}
			for _, l := range ls {
				fmt.Fprintf(&b, "license %+v\n", l)
			}
			as, err := tx.Assignments().Find(ctx, domain.AssignmentQuery{AccountID: a.ID})
			if err != nil {
				return err
			}
			for _, x := range as {
				fmt.Fprintf(&b, "assignment %+v\n", x)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// loadTwice loads ds into a new memory store: a load refused with
// CodeInvalid or CodeConflict writes no company, any other failure fails
// t, and loading a loaded data set again changes nothing dump (given the
// store and the data set's company aliases) shows.
func loadTwice(t *testing.T, ds *dataset.Dataset, dump func(store ports.Store, aliases []string) string) {
	t.Helper()
	store := memory.New()
	defer store.Close()
	var aliases []string
	for _, c := range ds.Companies {
		aliases = append(aliases, c.Alias)
	}
	ctx := context.Background()
	_, err := ds.Load(ctx, store)
	switch domain.ErrorCode(err) {
	case "":
	case domain.CodeInvalid, domain.CodeConflict:
		if n := companies(t, store, aliases); n != 0 {
			t.Fatalf("a refused load (%v) wrote %d companies", err, n)
		}
		return
	default:
		t.Fatalf("Load: %v, want success, CodeInvalid or CodeConflict", err)
	}
	first := dump(store, aliases)
	if _, err := ds.Load(ctx, store); err != nil {
		t.Fatalf("loading again: %v", err)
	}
	if again := dump(store, aliases); again != first {
		t.Fatalf("loading again changed the store:\n%s\nthen\n%s", first, again)
	}
}

// companies counts the aliases a store knows.
func companies(t testing.TB, store ports.Store, aliases []string) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	_ = store.View(ctx, func(tx ports.Tx) error {
		for _, a := range aliases {
			if _, err := tx.Accounts().ByAlias(ctx, a); err == nil {
				n++
			}
		}
		return nil
	})
	return n
}

func load(t *testing.T, store ports.Store, data string) error {
	t.Helper()
	ds, err := dataset.Parse([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ds.Load(context.Background(), store)
	return err
}

// pool returns the seats of product acme-fleet owns and uses on day.
func pool(t *testing.T, store ports.Store, alias, product, day string) domain.Pool {
	t.Helper()
	ctx := context.Background()
	d, err := domain.ParseDate(day)
	if err != nil {
		t.Fatal(err)
	}
	var p domain.Pool
	err = store.View(ctx, func(tx ports.Tx) error {
		a, err := tx.Accounts().ByAlias(ctx, alias)
		if err != nil {
			return err
		}
		ls, err := tx.Licenses().ByAccount(ctx, a.ID, product, domain.Date{})
		if err != nil {
			return err
		}
		as, err := tx.Assignments().ByProduct(ctx, a.ID, product, domain.Date{})
		if err != nil {
			return err
		}
		p = domain.PoolOn(product, d, ls, as)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The seats sections load into a store, and loading them again changes
// nothing: the same ids, the same password hash (hashed once), the same
// seats and assignment.
func TestLoadSeatsIsRepeatable(t *testing.T) { eachStore(t, testLoadSeatsIsRepeatable) }

func testLoadSeatsIsRepeatable(t *testing.T, open func(*testing.T) ports.Store) {
	ctx := context.Background()
	store := open(t)
	if err := load(t, store, seatsFile); err != nil {
		t.Fatal(err)
	}
	first := seatState(t, store, "acme-fleet", "other-co")
	if err := load(t, store, seatsFile); err != nil {
		t.Fatal(err)
	}
	if again := seatState(t, store, "acme-fleet", "other-co"); again != first {
		t.Errorf("loading again changed the store:\n%s\nthen\n%s", first, again)
	}
	err := store.View(ctx, func(tx ports.Tx) error {
		c, err := tx.Clients().ByAPIKey(ctx, domain.HashSecret("example-api-key-change-me"))
		if err != nil || c.ID != "fleet-partner" || c.SecretHash != "" {
			t.Errorf("the partner by its apiKey: %+v, %v", c, err)
		}
		admin, err := tx.Users().ByUsername(ctx, "ADMIN@acme.example")
		if err != nil {
			return err
		}
		if ok, legacy := secret.Check(admin.PasswordHash, "example-password-change-me"); !ok || legacy || strings.Contains(admin.PasswordHash, "example-password") {
			t.Errorf("the admin's password is stored as %q", admin.PasswordHash)
		}
		if !slices.Equal(admin.Roles, []domain.Role{domain.AccountAdmin}) || admin.Email != "admin@acme.example" {
			t.Errorf("admin %+v", admin)
		}
		// externalIds are per company: other-co has its own driver-7.
		acme, _ := tx.Accounts().ByAlias(ctx, "acme-fleet")
		other, _ := tx.Accounts().ByAlias(ctx, "other-co")
		d1, err1 := tx.Users().ByExternalID(ctx, acme.ID, "DRIVER-7")
		d2, err2 := tx.Users().ByExternalID(ctx, other.ID, "driver-7")
		if err1 != nil || err2 != nil || d1.ID == d2.ID || d1.ExternalID != "Driver-7" || d1.PhoneNumber != "+1 555 0100" {
			t.Errorf("the two driver-7s: %+v %v, %+v %v", d1, err1, d2, err2)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if p := pool(t, store, "acme-fleet", "CoPilot", "2025-06-01"); p.Owned != 5 || p.Assigned != 1 || len(p.Free) != 4 {
		t.Errorf("CoPilot on 2025-06-01: %+v; want 5 owned, 1 assigned", p)
	}
	if p := pool(t, store, "acme-fleet", "MileOn", "2025-06-01"); p.Owned != 3 || p.Assigned != 0 {
		t.Errorf("MileOn: %+v", p)
	}
	if p := pool(t, store, "acme-fleet", "CoPilot", "2026-01-01"); p.Owned != 0 {
		t.Errorf("CoPilot after its term: %+v", p)
	}
}

// A licenses line states the seats owned: loading a larger number tops up,
// a smaller one retires the newest free seats, and one below the seats in
// use is refused with nothing written.
func TestLoadSeatsTopsUpAndRetires(t *testing.T) { eachStore(t, testLoadSeatsTopsUpAndRetires) }

func testLoadSeatsTopsUpAndRetires(t *testing.T, open func(*testing.T) ports.Store) {
	store := open(t)
	if err := load(t, store, seatsFile); err != nil {
		t.Fatal(err)
	}
	with := func(seats int, expires string) string {
		return strings.Replace(seatsFile, "seats: 5, registered: 2025-01-01, expires: 2025-12-31",
			fmt.Sprintf("seats: %d, registered: 2025-01-01, expires: %s", seats, expires), 1)
	}
	held := pool(t, store, "acme-fleet", "CoPilot", "2025-06-01").Holder
	if err := load(t, store, with(7, "2025-12-31")); err != nil {
		t.Fatal(err)
	}
	if p := pool(t, store, "acme-fleet", "CoPilot", "2025-06-01"); p.Owned != 7 || p.Assigned != 1 {
		t.Errorf("after topping up to 7: %+v", p)
	}
	// Down to 2, with a renewal: the held seat stays, the newest free ones go.
	if err := load(t, store, with(2, "2026-12-31")); err != nil {
		t.Fatal(err)
	}
	p := pool(t, store, "acme-fleet", "CoPilot", "2026-06-01")
	if p.Owned != 2 || p.Assigned != 0 || len(p.Free) != 2 {
		t.Errorf("after retiring to 2 and renewing to 2026-12-31: %+v", p)
	}
	now := pool(t, store, "acme-fleet", "CoPilot", "2025-06-01")
	if !maps(now.Holder, held) || now.Owned != 2 {
		t.Errorf("the holder lost its seat: %v, was %v", now.Holder, held)
	}
	before := seatState(t, store, "acme-fleet")
	err := load(t, store, with(0, "2026-12-31"))
	if de, ok := err.(*domain.Error); !ok || de.Code != domain.CodeConflict || de.Field != "licenses[0].seats" ||
		!strings.Contains(de.Message, "release 1 first") {
		t.Errorf("retiring a held seat: %v, want CodeConflict on licenses[0].seats", err)
	}
	if after := seatState(t, store, "acme-fleet"); after != before {
		t.Errorf("a refused load wrote:\n%s\nthen\n%s", before, after)
	}
	// The same line again, now stable.
	if err := load(t, store, with(2, "2026-12-31")); err != nil {
		t.Fatal(err)
	}
	if after := seatState(t, store, "acme-fleet"); after != before {
		t.Errorf("reloading the same seats changed:\n%s\nthen\n%s", before, after)
	}
}

func maps(a, b map[int64]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// A changed password is hashed again; fields of a known user change in
// place.
func TestLoadSeatsUpdatesUsers(t *testing.T) { eachStore(t, testLoadSeatsUpdatesUsers) }

func testLoadSeatsUpdatesUsers(t *testing.T, open func(*testing.T) ports.Store) {
	ctx := context.Background()
	store := open(t)
	if err := load(t, store, seatsFile); err != nil {
		t.Fatal(err)
	}
	get := func() domain.User {
		var u domain.User
		if err := store.View(ctx, func(tx ports.Tx) error {
			var err error
			u, err = tx.Users().ByUsername(ctx, "admin@acme.example")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return u
	}
	old := get()
	changed := strings.Replace(strings.Replace(seatsFile, "example-password-change-me", "a-new-password-0001", 1), "roles: [ACCOUNTADMIN]", "roles: [USERADMIN]", 1)
	if err := load(t, store, changed); err != nil {
		t.Fatal(err)
	}
	u := get()
	if u.ID != old.ID || u.PasswordHash == old.PasswordHash || !slices.Equal(u.Roles, []domain.Role{domain.UserAdmin}) {
		t.Errorf("after the change %+v, before %+v", u, old)
	}
	if ok, _ := secret.Check(u.PasswordHash, "a-new-password-0001"); !ok {
		t.Error("the new password does not check")
	}
}

// What a file names must exist: the partner of a company, the company of a
// user, the user of an assignment, a free seat for it. Each refusal names
// the entry at fault and writes nothing.
func TestLoadSeatsRefusals(t *testing.T) { eachStore(t, testLoadSeatsRefusals) }

func testLoadSeatsRefusals(t *testing.T, open func(*testing.T) ports.Store) {
	for _, tc := range []struct {
		name, data, field string
		code              domain.Code
	}{
		{"a company of an unknown partner", "companies: [{alias: a, partner: nobody}]", "companies[0].partner", domain.CodeInvalid},
		{"a user of an unknown company", "users: [{company: nowhere, externalId: u}]", "users[0].company", domain.CodeInvalid},
		{"seats of an unknown company", "licenses: [{company: nowhere, productId: P, seats: 1, registered: 2025-01-01, expires: 2025-12-31}]",
			"licenses[0].company", domain.CodeInvalid},
		{"an assignment of an unknown user", seatsFile + "  - {company: acme-fleet, productId: CoPilot, externalId: nobody, activationDate: 2025-02-01, deactivationDate: 2025-02-28}\n",
			"assignments[1].externalId", domain.CodeInvalid},
		{"an assignment past the seats' term", seatsFile + "  - {company: acme-fleet, productId: MileOn, externalId: driver-7, activationDate: 2025-02-01, deactivationDate: 2025-02-28}\n",
			"assignments[1]", domain.CodeConflict},
		{"a company whose id is another's", "clients: [{id: p, apiKey: aaaaaaaaaaaaaaaaaaaa}]\ncompanies: [{alias: a, partner: p}, {id: 1, alias: b, partner: p}]",
			"companies[1].id", domain.CodeConflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := open(t)
			err := load(t, store, tc.data)
			de, ok := err.(*domain.Error)
			if !ok || de.Code != tc.code || de.Field != tc.field {
				t.Fatalf("Load: %v, want %s on %s", err, tc.code, tc.field)
			}
			ctx := context.Background()
			_ = store.View(ctx, func(tx ports.Tx) error {
				for _, partner := range []string{"fleet-partner", "p"} {
					if as, _ := tx.Accounts().ByPartner(ctx, partner, 0, 0); len(as) != 0 {
						t.Errorf("a refused load wrote %d companies of %s", len(as), partner)
					}
				}
				return nil
			})
		})
	}
}

// Two users of one company cannot both hold one product from the file when
// there is one seat: the second assignment finds none free.
func TestLoadSeatsAssignsFreeSeatsOnly(t *testing.T) { eachStore(t, testLoadSeatsAssignsFreeSeatsOnly) }

func testLoadSeatsAssignsFreeSeatsOnly(t *testing.T, open func(*testing.T) ports.Store) {
	store := open(t)
	data := `
clients: [{id: p, apiKey: aaaaaaaaaaaaaaaaaaaa}]
companies: [{alias: co, partner: p}]
users: [{company: co, externalId: a}, {company: co, externalId: b}]
licenses: [{company: co, productId: MileOn, seats: 1, registered: 2025-01-01, expires: 2025-12-31}]
assignments:
  - {company: co, productId: MileOn, externalId: a, activationDate: 2025-01-01, deactivationDate: 2025-03-31}
  - {company: co, productId: MileOn, externalId: b, activationDate: 2025-04-01, deactivationDate: 2025-12-31}
`
	if err := load(t, store, data); err != nil {
		t.Fatalf("two users one after the other on one seat: %v", err)
	}
	if p := pool(t, store, "co", "MileOn", "2025-04-01"); p.Assigned != 1 || p.Owned != 1 {
		t.Errorf("%+v", p)
	}
	overlapping := strings.Replace(data, "activationDate: 2025-04-01", "activationDate: 2025-03-31", 1)
	store2 := open(t)
	if err := load(t, store2, overlapping); domain.ErrorCode(err) != domain.CodeConflict || !strings.Contains(err.Error(), "assignments[1]") {
		t.Errorf("two users on one seat on 2025-03-31: %v, want CodeConflict naming assignments[1]", err)
	}
}

// A company the file numbers keeps its number on every store, and the
// companies created later are numbered past it.
func TestLoadSeatsKeepsCompanyIDs(t *testing.T) { eachStore(t, testLoadSeatsKeepsCompanyIDs) }

func testLoadSeatsKeepsCompanyIDs(t *testing.T, open func(t *testing.T) ports.Store) {
	store := open(t)
	if err := load(t, store, "clients: [{id: p, apiKey: aaaaaaaaaaaaaaaaaaaa}]\ncompanies: [{id: 1248457, alias: a, partner: p}, {alias: b, partner: p}]"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err := store.View(ctx, func(tx ports.Tx) error {
		a, err := tx.Accounts().ByAlias(ctx, "a")
		if err != nil {
			return err
		}
		b, err := tx.Accounts().ByAlias(ctx, "b")
		if err != nil {
			return err
		}
		if a.ID != 1248457 || b.ID <= a.ID {
			t.Errorf("companies a and b are accounts %d and %d, want 1248457 and a larger one", a.ID, b.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
