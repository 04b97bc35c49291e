package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// RunSeats runs the contract of ports.SeatsTx (seeds 000 and 004): accounts
// with their case-insensitive aliases, users with externalIds unique per
// account among live users and usernames unique across the system, licenses
// (seats) and their terms, assignments and the two invariants the store
// keeps itself (one license's periods never overlap; a user holds at most
// one seat of a product on any day), Find's filters, sorts and pages,
// tenancy (another account's ids are CodeNotFound, exactly like ids that do
// not exist), LockAccount, rollback and isolation. See Run for open.
//
// What the contract fixes where ports/seats.go leaves a choice:
//   - Users.Create and Licenses.Create for an account that does not exist
//     are CodeNotFound naming "accountId".
//   - Assignments.Create naming a license or a user of another account (or
//     none) is CodeNotFound naming "licenseId" or "userId"; a ProductID that
//     is not the license's is CodeInvalid naming "productId".
//   - Licenses.SetExpires is refused only by assignments that hold a day
//     after the new end: a cancelled assignment holds no day.
//   - Find breaks ties by id ascending, whichever direction the sort.
//   - A refused write leaves the value handed in as it was (no ID given).
//   - An account round-trips ID, PartnerID, Alias, Title, CreatedAt,
//     Activated and Limits here; RunAccounts holds every other field.
func RunSeats(t *testing.T, open func(t *testing.T) ports.Store) {
	area{
		{"Seats/Accounts", seatsAccounts},
		{"Seats/Users", seatsUsers},
		{"Seats/UsersDelete", seatsUsersDelete},
		{"Seats/Licenses", seatsLicenses},
		{"Seats/AssignmentInvariants", seatsAssignmentInvariants},
		{"Seats/AssignmentDeactivation", seatsAssignmentDeactivation},
		{"Seats/AssignmentTenancy", seatsAssignmentTenancy},
		{"Seats/AssignmentLookups", seatsAssignmentLookups},
		{"Seats/Find", seatsFind},
		{"Seats/LockAccount", seatsLockAccount},
		{"Seats/Rollback", seatsRollback},
		{"Seats/ViewIsReadOnly", seatsViewIsReadOnly},
		{"Seats/Copies", seatsCopies},
	}.run(t, open)
}

// The products of seed 000.
const (
	coPilot = "CoPilot"
	mileOn  = "MileOn"
)

// The fixtures fill every field the store keeps.

func account(partner, alias string) domain.Account {
	return domain.Account{PartnerID: partner, Alias: alias, Title: "Company " + alias, CreatedAt: stamp(), Activated: true,
		Limits: map[string]domain.Limits{"copilot": {Units: 5, Geofences: 2, Users: 50, Triggers: 1}}}
}

func seatUser(accountID int64, externalID string) domain.User {
	return domain.User{AccountID: accountID, ExternalID: externalID, Email: externalID + "@fleet.example",
		FirstName: "First " + externalID, LastName: "Last " + externalID, PhoneNumber: "+1 555 0100",
		CreatedAt: stamp(), UpdatedAt: stamp().Add(time.Minute)}
}

// loginUser is a user who may log in to License Assignments v2.
func loginUser(accountID int64, externalID, username string, roles ...domain.Role) domain.User {
	u := seatUser(accountID, externalID)
	u.Username, u.PasswordHash, u.Roles = username, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", roles
	return u
}

func seats(tb testing.TB, accountID int64, product string, n int, registered, expires string) []domain.License {
	tb.Helper()
	ls := make([]domain.License, n)
	for i := range ls {
		ls[i] = domain.License{AccountID: accountID, ProductID: product, Registered: day(tb, registered),
			Expires: day(tb, expires), CreatedAt: stamp()}
	}
	return ls
}

func assignment(tb testing.TB, l domain.License, u domain.User, from, to string) domain.Assignment {
	tb.Helper()
	return domain.Assignment{AccountID: l.AccountID, LicenseID: l.ID, UserID: u.ID, ProductID: l.ProductID,
		ActivationDate: day(tb, from), DeactivationDate: day(tb, to), LastChanged: stamp()}
}

// newAccount creates a in its own Update and returns it with its ID.
func newAccount(tb testing.TB, s ports.Store, a domain.Account) domain.Account {
	tb.Helper()
	update(tb, s, func(tx ports.Tx) error { return tx.Accounts().Create(tb.Context(), &a) })
	if a.ID <= 0 {
		tb.Fatalf("Accounts.Create gave account %q the ID %d, want a positive number", a.Alias, a.ID)
	}
	return a
}

// newUsers creates us in one Update and returns them with their IDs.
func newUsers(tb testing.TB, s ports.Store, us ...domain.User) []domain.User {
	tb.Helper()
	update(tb, s, func(tx ports.Tx) error {
		for i := range us {
			if err := tx.Users().Create(tb.Context(), &us[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return us
}

func newUser(tb testing.TB, s ports.Store, u domain.User) domain.User {
	tb.Helper()
	return newUsers(tb, s, u)[0]
}

// newSeats creates ls in one Update and returns them with their IDs.
func newSeats(tb testing.TB, s ports.Store, ls []domain.License) []domain.License {
	tb.Helper()
	var out []domain.License
	update(tb, s, func(tx ports.Tx) (err error) {
		out, err = tx.Licenses().Create(tb.Context(), ls)
		return err
	})
	return out
}

// assign creates a in its own Update and returns it with its ID, or the
// error; a refused a must come back as it was.
func assign(tb testing.TB, s ports.Store, a domain.Assignment) (domain.Assignment, error) {
	tb.Helper()
	before := a
	err := s.Update(tb.Context(), func(tx ports.Tx) error { return tx.Assignments().Create(tb.Context(), &a) })
	if err != nil {
		same(tb, "an assignment after a refused Create", before, a)
	}
	return a, err
}

func mustAssign(tb testing.TB, s ports.Store, a domain.Assignment) domain.Assignment {
	tb.Helper()
	a, err := assign(tb, s, a)
	if err != nil {
		tb.Fatalf("Assignments.Create of license %d to user %d: %v", a.LicenseID, a.UserID, err)
	}
	if a.ID <= 0 {
		tb.Fatalf("Assignments.Create gave the ID %d, want a positive number", a.ID)
	}
	return a
}

// wantError fails tb unless err carries code and field.
func wantError(tb testing.TB, what string, err error, code domain.Code, field string) {
	tb.Helper()
	var e *domain.Error
	switch {
	case domain.ErrorCode(err) != code:
		tb.Errorf("%s: error code %q (%v), want %q on field %q", what, domain.ErrorCode(err), err, code, field)
	case !errors.As(err, &e) || e.Field != field:
		tb.Errorf("%s: %v names field %q, want %q", what, err, fieldOf(err), field)
	}
}

func fieldOf(err error) string {
	var e *domain.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

func findAssignments(tb testing.TB, s ports.Store, q domain.AssignmentQuery) []domain.Assignment {
	tb.Helper()
	return read(tb, s, func(tx ports.Tx) ([]domain.Assignment, error) { return tx.Assignments().Find(tb.Context(), q) })
}

func seatsAccounts(t *testing.T, s ports.Store) {
	ctx := t.Context()
	acme := newAccount(t, s, account("partner-a", "acme-fleet"))
	beta := newAccount(t, s, account("partner-a", "Beta"))
	gamma := newAccount(t, s, account("partner-b", "gamma"))
	if !(acme.ID < beta.ID && beta.ID < gamma.ID) {
		t.Errorf("account IDs %d, %d, %d do not increase", acme.ID, beta.ID, gamma.ID)
	}
	get := func(id int64) domain.Account {
		t.Helper()
		return read(t, s, func(tx ports.Tx) (domain.Account, error) { return tx.Accounts().Get(ctx, id) })
	}
	byAlias := func(alias string) (domain.Account, error) {
		var a domain.Account
		err := viewErr(t, s, func(tx ports.Tx) (err error) { a, err = tx.Accounts().ByAlias(ctx, alias); return err })
		return a, err
	}
	same(t, "Get(acme)", acme, get(acme.ID))
	got, err := byAlias("ACME-FLEET")
	if err != nil {
		t.Fatalf("ByAlias(ACME-FLEET): %v", err)
	}
	same(t, "ByAlias(ACME-FLEET), stored as entered", acme, got)

	dup := account("partner-b", "Acme-Fleet")
	err = s.Update(ctx, func(tx ports.Tx) error { return tx.Accounts().Create(ctx, &dup) })
	wantError(t, "Create with another account's alias in another case", err, domain.CodeConflict, "alias")
	if dup.ID != 0 {
		t.Errorf("a refused Create gave the account ID %d", dup.ID)
	}
	taken := beta
	taken.Alias = "ACME-fleet"
	wantError(t, "Put with another account's alias", s.Update(ctx, func(tx ports.Tx) error { return tx.Accounts().Put(ctx, taken) }),
		domain.CodeConflict, "alias")
	same(t, "an account after a refused Put", beta, get(beta.ID))

	beta.Alias, beta.Title, beta.Activated = "Beta-2", "Beta renamed", false
	beta.Limits = map[string]domain.Limits{"mileon": {Users: 3}}
	update(t, s, func(tx ports.Tx) error { return tx.Accounts().Put(ctx, beta) })
	same(t, "Get after Put", beta, get(beta.ID))
	wantError(t, "ByAlias of a former alias", errOf(byAlias("beta")), domain.CodeNotFound, "alias")
	acme.Alias = "ACME-Fleet" // its own alias in another case is no conflict
	update(t, s, func(tx ports.Tx) error { return tx.Accounts().Put(ctx, acme) })
	same(t, "Get after a Put changing the alias's case", acme, get(acme.ID))

	wantCode(t, "Get of an unknown id", viewErr(t, s, func(tx ports.Tx) error { return errOf(tx.Accounts().Get(ctx, gamma.ID+1000)) }), domain.CodeNotFound)
	wantCode(t, "ByAlias of an unknown alias", errOf(byAlias("nobody")), domain.CodeNotFound)
	ghost := account("partner-a", "ghost")
	ghost.ID = gamma.ID + 1000
	wantCode(t, "Put of an unknown id", s.Update(ctx, func(tx ports.Tx) error { return tx.Accounts().Put(ctx, ghost) }), domain.CodeNotFound)

	byPartner := func(partner string, offset, limit int) []domain.Account {
		t.Helper()
		return read(t, s, func(tx ports.Tx) ([]domain.Account, error) {
			return tx.Accounts().ByPartner(ctx, partner, offset, limit)
		})
	}
	same(t, "ByPartner(partner-a)", []domain.Account{acme, beta}, byPartner("partner-a", 0, 0))
	same(t, "ByPartner(partner-a) offset 1", []domain.Account{beta}, byPartner("partner-a", 1, 0))
	same(t, "ByPartner(partner-a) limit 1", []domain.Account{acme}, byPartner("partner-a", 0, 1))
	same(t, "ByPartner(partner-a) offset 2", []domain.Account{}, byPartner("partner-a", 2, 5))
	same(t, "ByPartner(partner-b)", []domain.Account{gamma}, byPartner("partner-b", 0, 0))
	same(t, "ByPartner(nobody)", []domain.Account{}, byPartner("nobody", 0, 0))

	// A data file names its accounts: a given id is kept, a taken one is
	// refused, and the ids assigned afterwards go past it.
	named := account("partner-a", "named")
	named.ID = gamma.ID + 500
	update(t, s, func(tx ports.Tx) error { return tx.Accounts().Create(ctx, &named) })
	same(t, "Get of an account created with its id", named, get(gamma.ID+500))
	again := account("partner-a", "named-again")
	again.ID = named.ID
	wantError(t, "Create with an id in use", s.Update(ctx, func(tx ports.Tx) error { return tx.Accounts().Create(ctx, &again) }),
		domain.CodeConflict, "id")
	negative := account("partner-a", "negative")
	negative.ID = -1
	wantError(t, "Create with a negative id", s.Update(ctx, func(tx ports.Tx) error { return tx.Accounts().Create(ctx, &negative) }),
		domain.CodeInvalid, "id")
	next := newAccount(t, s, account("partner-a", "after-named"))
	if next.ID <= named.ID {
		t.Errorf("the account created after id %d got id %d, want a larger one", named.ID, next.ID)
	}
}

func seatsUsers(t *testing.T, s ports.Store) {
	ctx := t.Context()
	a := newAccount(t, s, account("partner-a", "acme-fleet"))
	b := newAccount(t, s, account("partner-a", "beta"))
	admin := newUser(t, s, loginUser(a.ID, "Driver-7", "Admin@Acme.example", domain.AccountAdmin, domain.UserAdmin))
	truck := newUser(t, s, seatUser(a.ID, "truck-1"))
	van := newUser(t, s, seatUser(a.ID, "van-9"))
	if admin.ID <= 0 || !(admin.ID < truck.ID && truck.ID < van.ID) {
		t.Errorf("user IDs %d, %d, %d are not positive and increasing", admin.ID, truck.ID, van.ID)
	}
	get := func(accountID, id int64) (domain.User, error) {
		var u domain.User
		err := viewErr(t, s, func(tx ports.Tx) (err error) { u, err = tx.Users().Get(ctx, accountID, id); return err })
		return u, err
	}
	byExt := func(accountID int64, ext string) (domain.User, error) {
		var u domain.User
		err := viewErr(t, s, func(tx ports.Tx) (err error) { u, err = tx.Users().ByExternalID(ctx, accountID, ext); return err })
		return u, err
	}
	if got, err := get(a.ID, admin.ID); err != nil {
		t.Errorf("Get: %v", err)
	} else {
		same(t, "Get", admin, got)
	}
	if got, err := byExt(a.ID, "DRIVER-7"); err != nil {
		t.Errorf("ByExternalID(DRIVER-7): %v", err)
	} else {
		same(t, "ByExternalID(DRIVER-7), stored as entered", admin, got)
	}
	wantError(t, "Get of another account's user", errOf(get(b.ID, admin.ID)), domain.CodeNotFound, "userId")
	wantError(t, "Get of an unknown id", errOf(get(a.ID, van.ID+1000)), domain.CodeNotFound, "userId")
	wantError(t, "ByExternalID in another account", errOf(byExt(b.ID, "driver-7")), domain.CodeNotFound, "externalId")

	dup := seatUser(a.ID, "driver-7")
	err := s.Update(ctx, func(tx ports.Tx) error { return tx.Users().Create(ctx, &dup) })
	wantError(t, "Create with a live user's externalId in another case", err, domain.CodeConflict, "externalId")
	if dup.ID != 0 {
		t.Errorf("a refused Create gave the user ID %d", dup.ID)
	}
	other := newUser(t, s, seatUser(b.ID, "driver-7")) // another account may use it
	login := loginUser(b.ID, "boss", "ADMIN@acme.EXAMPLE", domain.UserAdmin)
	err = s.Update(ctx, func(tx ports.Tx) error { return tx.Users().Create(ctx, &login) })
	wantError(t, "Create with another user's username in another case", err, domain.CodeConflict, "username")
	nobody := seatUser(a.ID+b.ID+1000, "lost")
	err = s.Update(ctx, func(tx ports.Tx) error { return tx.Users().Create(ctx, &nobody) })
	wantError(t, "Create in an account that does not exist", err, domain.CodeNotFound, "accountId")

	got := read(t, s, func(tx ports.Tx) (domain.User, error) { return tx.Users().ByUsername(ctx, "admin@ACME.example") })
	same(t, "ByUsername in another case", admin, got)
	wantError(t, "ByUsername of an unknown username", viewErr(t, s, func(tx ports.Tx) error {
		return errOf(tx.Users().ByUsername(ctx, "nobody@acme.example"))
	}), domain.CodeNotFound, "username")
	wantCode(t, "ByUsername of the empty username", viewErr(t, s, func(tx ports.Tx) error {
		return errOf(tx.Users().ByUsername(ctx, ""))
	}), domain.CodeNotFound)

	truck.Email, truck.FirstName, truck.Roles, truck.UpdatedAt = "new@fleet.example", "Renamed", []domain.Role{domain.UserAdmin}, stamp().Add(time.Hour)
	truck.ExternalID = "TRUCK-1b"
	update(t, s, func(tx ports.Tx) error { return tx.Users().Put(ctx, truck) })
	if got, err := byExt(a.ID, "truck-1B"); err != nil {
		t.Errorf("ByExternalID of a changed externalId: %v", err)
	} else {
		same(t, "a user after Put", truck, got)
	}
	wantCode(t, "ByExternalID of a former externalId", errOf(byExt(a.ID, "truck-1")), domain.CodeNotFound)
	clash := van
	clash.ExternalID = "DRIVER-7"
	wantError(t, "Put with another live user's externalId", s.Update(ctx, func(tx ports.Tx) error { return tx.Users().Put(ctx, clash) }),
		domain.CodeConflict, "externalId")
	clash = van
	clash.Username = "admin@acme.example"
	wantError(t, "Put with another user's username", s.Update(ctx, func(tx ports.Tx) error { return tx.Users().Put(ctx, clash) }),
		domain.CodeConflict, "username")
	stray := van
	stray.AccountID = b.ID
	wantError(t, "Put of a user into another account", s.Update(ctx, func(tx ports.Tx) error { return tx.Users().Put(ctx, stray) }),
		domain.CodeNotFound, "userId")
	if got, err := get(a.ID, van.ID); err != nil {
		t.Errorf("Get after refused Puts: %v", err)
	} else {
		same(t, "a user after refused Puts", van, got)
	}

	many := read(t, s, func(tx ports.Tx) (map[string]domain.User, error) {
		return tx.Users().ByExternalIDs(ctx, a.ID, []string{"driver-7", "Van-9", "nobody", "truck-1"})
	})
	same(t, "ByExternalIDs", map[string]domain.User{domain.ExternalKey("driver-7"): admin, domain.ExternalKey("van-9"): van}, many)
	list := func(accountID int64, offset, limit int) []domain.User {
		t.Helper()
		return read(t, s, func(tx ports.Tx) ([]domain.User, error) { return tx.Users().List(ctx, accountID, offset, limit) })
	}
	same(t, "List(a)", []domain.User{admin, truck, van}, list(a.ID, 0, 0))
	same(t, "List(a) offset 1 limit 1", []domain.User{truck}, list(a.ID, 1, 1))
	same(t, "List(a) offset 3", []domain.User{}, list(a.ID, 3, 0))
	same(t, "List(b)", []domain.User{other}, list(b.ID, 0, 0))
	if n := read(t, s, func(tx ports.Tx) (int, error) { return tx.Users().Count(ctx, a.ID) }); n != 3 {
		t.Errorf("Count(a) = %d, want 3", n)
	}
}

// seatsUsersDelete: a deleted user keeps its row, and its externalId and
// username are free again.
func seatsUsersDelete(t *testing.T, s ports.Store) {
	ctx := t.Context()
	a := newAccount(t, s, account("partner-a", "acme-fleet"))
	b := newAccount(t, s, account("partner-a", "beta"))
	admin := newUser(t, s, loginUser(a.ID, "Driver-7", "admin@acme.example", domain.AccountAdmin))
	truck := newUser(t, s, seatUser(a.ID, "truck-1"))
	at := stamp().Add(24 * time.Hour)
	del := func(accountID, id int64) error {
		return s.Update(ctx, func(tx ports.Tx) error { return tx.Users().Delete(ctx, accountID, id, at) })
	}
	wantError(t, "Delete of another account's user", del(b.ID, admin.ID), domain.CodeNotFound, "userId")
	if err := del(a.ID, admin.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantError(t, "Delete of a deleted user", del(a.ID, admin.ID), domain.CodeNotFound, "userId")
	deleted := admin
	deleted.DeletedAt = at
	got := read(t, s, func(tx ports.Tx) (domain.User, error) { return tx.Users().Get(ctx, a.ID, admin.ID) })
	same(t, "Get of a deleted user", deleted, got)
	if got.Live() {
		t.Error("a deleted user is Live")
	}
	wantCode(t, "ByExternalID of a deleted user", viewErr(t, s, func(tx ports.Tx) error {
		return errOf(tx.Users().ByExternalID(ctx, a.ID, "driver-7"))
	}), domain.CodeNotFound)
	wantCode(t, "ByUsername of a deleted user", viewErr(t, s, func(tx ports.Tx) error {
		return errOf(tx.Users().ByUsername(ctx, "admin@acme.example"))
	}), domain.CodeNotFound)
	same(t, "ByExternalIDs without the deleted user", map[string]domain.User{domain.ExternalKey("truck-1"): truck},
		read(t, s, func(tx ports.Tx) (map[string]domain.User, error) {
			return tx.Users().ByExternalIDs(ctx, a.ID, []string{"driver-7", "truck-1"})
		}))
	same(t, "List without the deleted user", []domain.User{truck},
		read(t, s, func(tx ports.Tx) ([]domain.User, error) { return tx.Users().List(ctx, a.ID, 0, 0) }))
	if n := read(t, s, func(tx ports.Tx) (int, error) { return tx.Users().Count(ctx, a.ID) }); n != 1 {
		t.Errorf("Count after a Delete = %d, want 1", n)
	}

	again := newUser(t, s, loginUser(a.ID, "DRIVER-7", "ADMIN@acme.example", domain.UserAdmin))
	if again.ID == admin.ID {
		t.Errorf("a new user with a deleted user's externalId got its ID %d", again.ID)
	}
	got = read(t, s, func(tx ports.Tx) (domain.User, error) { return tx.Users().ByExternalID(ctx, a.ID, "driver-7") })
	same(t, "ByExternalID finds the new user, not the deleted one", again, got)
	got = read(t, s, func(tx ports.Tx) (domain.User, error) { return tx.Users().ByUsername(ctx, "admin@acme.example") })
	same(t, "ByUsername finds the new user, not the deleted one", again, got)
	// The deleted user cannot come back while its externalId is taken.
	wantError(t, "Put of a deleted user's externalId onto a live user", s.Update(ctx, func(tx ports.Tx) error {
		u := truck
		u.ExternalID = "driver-7"
		return tx.Users().Put(ctx, u)
	}), domain.CodeConflict, "externalId")
}

func seatsLicenses(t *testing.T, s ports.Store) {
	ctx := t.Context()
	a := newAccount(t, s, account("partner-a", "acme-fleet"))
	b := newAccount(t, s, account("partner-a", "beta"))
	cp := newSeats(t, s, seats(t, a.ID, coPilot, 3, "2025-01-01", "2025-12-31"))
	mo := newSeats(t, s, seats(t, a.ID, mileOn, 1, "2025-01-01", "2025-06-30"))
	bs := newSeats(t, s, seats(t, b.ID, coPilot, 1, "2025-01-01", "2025-12-31"))
	all := append(slices.Clone(cp), mo...)
	for i, l := range all {
		want := seats(t, a.ID, l.ProductID, 1, "2025-01-01", l.Expires.String())[0]
		want.ID = l.ID
		same(t, fmt.Sprintf("license %d as Create returned it", i), want, l)
		if i > 0 && l.ID <= all[i-1].ID {
			t.Errorf("license IDs %d then %d do not increase", all[i-1].ID, l.ID)
		}
		got := read(t, s, func(tx ports.Tx) (domain.License, error) { return tx.Licenses().Get(ctx, a.ID, l.ID) })
		same(t, "Get", l, got)
	}
	wantError(t, "Get of another account's license", viewErr(t, s, func(tx ports.Tx) error {
		return errOf(tx.Licenses().Get(ctx, b.ID, cp[0].ID))
	}), domain.CodeNotFound, "licenseId")
	nobody := seats(t, a.ID+b.ID+1000, coPilot, 1, "2025-01-01", "2025-12-31")
	wantError(t, "Create in an account that does not exist", s.Update(ctx, func(tx ports.Tx) error {
		return errOf(tx.Licenses().Create(ctx, nobody))
	}), domain.CodeNotFound, "accountId")

	byAccount := func(accountID int64, product, on string) []domain.License {
		t.Helper()
		var d domain.Date
		if on != "" {
			d = day(t, on)
		}
		return read(t, s, func(tx ports.Tx) ([]domain.License, error) {
			return tx.Licenses().ByAccount(ctx, accountID, product, d)
		})
	}
	for _, c := range []struct {
		product, on string
		want        []domain.License
	}{
		{coPilot, "", cp},
		{"", "", all},
		{mileOn, "2025-06-30", mo},     // the last day of its term
		{mileOn, "2025-07-01", nil},    // the day after: the term is over
		{"", "2025-07-01", cp},         // only CoPilot is still owned
		{"", "2024-06-01", all},        // terms that start later end after it
		{coPilot, "2025-12-31", cp},    // the last day
		{"", "2026-01-01", nil},        // every term is over
		{"ActiveTraffic", "", nil},     // no such product
		{"copilot", "2025-01-01", nil}, // products match exactly, case too
		{"", "0001-01-01", all},        // the first date there is
		{"", "9999-12-31", nil},        // the last
	} {
		same(t, fmt.Sprintf("ByAccount(a, %q, %q)", c.product, c.on), c.want, byAccount(a.ID, c.product, c.on))
	}
	same(t, "ByAccount(b)", bs, byAccount(b.ID, "", ""))

	setExpires := func(accountID, id int64, to string) error {
		return s.Update(ctx, func(tx ports.Tx) error { return tx.Licenses().SetExpires(ctx, accountID, id, day(t, to)) })
	}
	if err := setExpires(a.ID, cp[0].ID, "2026-12-31"); err != nil {
		t.Fatalf("SetExpires: %v", err)
	}
	moved := cp[0]
	moved.Expires = day(t, "2026-12-31")
	same(t, "a license after SetExpires", moved, read(t, s, func(tx ports.Tx) (domain.License, error) {
		return tx.Licenses().Get(ctx, a.ID, cp[0].ID)
	}))
	wantError(t, "SetExpires of another account's license", setExpires(b.ID, cp[1].ID, "2025-06-30"), domain.CodeNotFound, "licenseId")
	wantError(t, "SetExpires of an unknown license", setExpires(a.ID, bs[0].ID+1000, "2025-06-30"), domain.CodeNotFound, "licenseId")

	// A term may not end before an assignment of the seat does; a
	// cancelled assignment holds no day and is no obstacle.
	u := newUsers(t, s, seatUser(a.ID, "driver-1"), seatUser(a.ID, "driver-2"))
	mustAssign(t, s, assignment(t, cp[1], u[0], "2025-03-01", "2025-09-30"))
	mustAssign(t, s, assignment(t, cp[2], u[1], "2025-10-01", "2025-09-30"))
	wantCode(t, "SetExpires before an assignment ends", setExpires(a.ID, cp[1].ID, "2025-09-29"), domain.CodeConflict)
	same(t, "a license after a refused SetExpires", cp[1], read(t, s, func(tx ports.Tx) (domain.License, error) {
		return tx.Licenses().Get(ctx, a.ID, cp[1].ID)
	}))
	if err := setExpires(a.ID, cp[1].ID, "2025-09-30"); err != nil {
		t.Errorf("SetExpires to the day the assignment ends: %v", err)
	}
	if err := setExpires(a.ID, cp[2].ID, "2025-06-30"); err != nil {
		t.Errorf("SetExpires before a cancelled assignment: %v", err)
	}
}

// seatsAssignmentInvariants: one license's periods never overlap, and a
// user holds at most one seat of a product on any day; cancelled
// assignments hold no day and never conflict.
func seatsAssignmentInvariants(t *testing.T, s ports.Store) {
	ctx := t.Context()
	a := newAccount(t, s, account("partner-a", "acme-fleet"))
	cp := newSeats(t, s, seats(t, a.ID, coPilot, 2, "2025-01-01", "2025-12-31"))
	mo := newSeats(t, s, seats(t, a.ID, mileOn, 1, "2025-01-01", "2025-12-31"))
	u := newUsers(t, s, seatUser(a.ID, "driver-1"), seatUser(a.ID, "driver-2"), seatUser(a.ID, "driver-3"))

	first := mustAssign(t, s, assignment(t, cp[0], u[0], "2025-01-01", "2025-06-30"))
	same(t, "Get", first, read(t, s, func(tx ports.Tx) (domain.Assignment, error) { return tx.Assignments().Get(ctx, a.ID, first.ID) }))
	for _, c := range []struct {
		what  string
		a     domain.Assignment
		field string // "" when it is allowed
	}{
		{"the same license on the last day of another's period", assignment(t, cp[0], u[1], "2025-06-30", "2025-12-31"), "licenseId"},
		{"the same license inside another's period", assignment(t, cp[0], u[1], "2025-02-01", "2025-02-02"), "licenseId"},
		{"the same license around another's period", assignment(t, cp[0], u[1], "2024-12-31", "2025-07-01"), "licenseId"},
		{"the same user and product on another license", assignment(t, cp[1], u[0], "2025-06-30", "2025-12-31"), "userId"},
		{"the same user and product, one day", assignment(t, cp[1], u[0], "2025-01-01", "2025-01-01"), "userId"},
		{"a cancelled assignment over another's period", assignment(t, cp[0], u[1], "2025-03-01", "2025-02-28"), ""},
		{"a cancelled assignment of the same user", assignment(t, cp[1], u[0], "2025-03-01", "2025-02-28"), ""},
		{"the same user, another product", assignment(t, mo[0], u[0], "2025-01-01", "2025-06-30"), ""},
		{"the same license the day after", assignment(t, cp[0], u[1], "2025-07-01", "2025-12-31"), ""},
		{"the same user and product the day after", assignment(t, cp[1], u[0], "2025-07-01", "2025-12-31"), ""},
		{"a third user on the same license, overlapping the second", assignment(t, cp[0], u[2], "2025-12-31", "2025-12-31"), "licenseId"},
		{"another user of MileOn on the same day", assignment(t, mo[0], u[2], "2025-06-30", "2025-07-01"), "licenseId"},
	} {
		before := findAssignments(t, s, domain.AssignmentQuery{AccountID: a.ID})
		got, err := assign(t, s, c.a)
		if c.field == "" {
			if err != nil {
				t.Errorf("%s: %v, want it stored", c.what, err)
			} else if got.ID <= 0 {
				t.Errorf("%s: stored with ID %d", c.what, got.ID)
			}
			continue
		}
		wantError(t, c.what, err, domain.CodeConflict, c.field)
		same(t, c.what+": the assignments after the refusal", before, findAssignments(t, s, domain.AssignmentQuery{AccountID: a.ID}))
	}
	all := findAssignments(t, s, domain.AssignmentQuery{AccountID: a.ID})
	if err := domain.CheckAssignments(all); err != nil {
		t.Errorf("the stored assignments break an invariant: %v", err)
	}
	if len(all) != 6 {
		t.Errorf("%d assignments stored, want 6", len(all))
	}
}

// seatsAssignmentDeactivation: SetDeactivation moves the end and stamps
// LastChanged; a longer period is held to the invariants as Create is.
func seatsAssignmentDeactivation(t *testing.T, s ports.Store) {
	ctx := t.Context()
	a := newAccount(t, s, account("partner-a", "acme-fleet"))
	b := newAccount(t, s, account("partner-a", "beta"))
	cp := newSeats(t, s, seats(t, a.ID, coPilot, 2, "2025-01-01", "2025-12-31"))
	u := newUsers(t, s, seatUser(a.ID, "driver-1"), seatUser(a.ID, "driver-2"))
	first := mustAssign(t, s, assignment(t, cp[0], u[0], "2025-01-01", "2025-06-30"))
	next := mustAssign(t, s, assignment(t, cp[0], u[1], "2025-07-01", "2025-12-31"))
	cancelled := mustAssign(t, s, assignment(t, cp[1], u[0], "2025-03-01", "2025-02-28"))
	get := func(id int64) domain.Assignment {
		t.Helper()
		return read(t, s, func(tx ports.Tx) (domain.Assignment, error) { return tx.Assignments().Get(ctx, a.ID, id) })
	}
	set := func(accountID, id int64, to string, at time.Time) error {
		return s.Update(ctx, func(tx ports.Tx) error {
			return tx.Assignments().SetDeactivation(ctx, accountID, id, day(t, to), at)
		})
	}
	at := stamp().Add(48 * time.Hour)
	if err := set(a.ID, first.ID, "2025-04-30", at); err != nil {
		t.Fatalf("SetDeactivation: %v", err)
	}
	first.DeactivationDate, first.LastChanged = day(t, "2025-04-30"), at
	same(t, "an assignment after SetDeactivation", first, get(first.ID))

	wantError(t, "SetDeactivation into the next holder's period", set(a.ID, first.ID, "2025-07-01", at.Add(time.Hour)), domain.CodeConflict, "licenseId")
	wantError(t, "SetDeactivation making a cancelled assignment overlap the user's seat", set(a.ID, cancelled.ID, "2025-03-01", at.Add(time.Hour)),
		domain.CodeConflict, "userId")
	wantError(t, "SetDeactivation of another account's assignment", set(b.ID, first.ID, "2025-05-31", at), domain.CodeNotFound, "assignmentId")
	wantError(t, "SetDeactivation of an unknown assignment", set(a.ID, cancelled.ID+1000, "2025-05-31", at), domain.CodeNotFound, "assignmentId")
	same(t, "an assignment after refused SetDeactivations", first, get(first.ID))
	same(t, "a cancelled assignment after a refused SetDeactivation", cancelled, get(cancelled.ID))

	// Releasing ends the period today; releasing a future assignment
	// cancels it; renewing moves the end later.
	if err := set(a.ID, next.ID, "2025-06-30", at); err != nil {
		t.Errorf("SetDeactivation to the day before activation (cancel): %v", err)
	}
	if err := set(a.ID, first.ID, "2025-12-31", at); err != nil {
		t.Errorf("SetDeactivation over a cancelled assignment's period: %v", err)
	}
	if err := domain.CheckAssignments(findAssignments(t, s, domain.AssignmentQuery{AccountID: a.ID})); err != nil {
		t.Errorf("the stored assignments break an invariant: %v", err)
	}
}

// seatsAssignmentTenancy: an assignment names a license and a user of its
// own account, and the license's product.
func seatsAssignmentTenancy(t *testing.T, s ports.Store) {
	ctx := t.Context()
	a := newAccount(t, s, account("partner-a", "acme-fleet"))
	b := newAccount(t, s, account("partner-b", "beta"))
	la := newSeats(t, s, seats(t, a.ID, coPilot, 1, "2025-01-01", "2025-12-31"))[0]
	lb := newSeats(t, s, seats(t, b.ID, coPilot, 1, "2025-01-01", "2025-12-31"))[0]
	ua := newUser(t, s, seatUser(a.ID, "driver-1"))
	ub := newUser(t, s, seatUser(b.ID, "driver-1"))

	theirs := assignment(t, lb, ua, "2025-01-01", "2025-06-30")
	theirs.AccountID = a.ID
	_, err := assign(t, s, theirs)
	wantError(t, "Create with another account's license", err, domain.CodeNotFound, "licenseId")
	theirs = assignment(t, la, ub, "2025-01-01", "2025-06-30")
	_, err = assign(t, s, theirs)
	wantError(t, "Create with another account's user", err, domain.CodeNotFound, "userId")
	wrong := assignment(t, la, ua, "2025-01-01", "2025-06-30")
	wrong.ProductID = mileOn
	_, err = assign(t, s, wrong)
	wantError(t, "Create with a product that is not the license's", err, domain.CodeInvalid, "productId")
	none := assignment(t, la, ua, "2025-01-01", "2025-06-30")
	none.LicenseID = lb.ID + 1000
	_, err = assign(t, s, none)
	wantError(t, "Create with an unknown license", err, domain.CodeNotFound, "licenseId")

	mine := mustAssign(t, s, assignment(t, la, ua, "2025-01-01", "2025-06-30"))
	wantError(t, "Get of another account's assignment", viewErr(t, s, func(tx ports.Tx) error {
		return errOf(tx.Assignments().Get(ctx, b.ID, mine.ID))
	}), domain.CodeNotFound, "assignmentId")
	same(t, "Find(b) sees none of a's assignments", []domain.Assignment{}, findAssignments(t, s, domain.AssignmentQuery{AccountID: b.ID}))
	same(t, "Find(b) by a's license", []domain.Assignment{}, findAssignments(t, s, domain.AssignmentQuery{AccountID: b.ID, LicenseID: la.ID}))
	same(t, "Find(b) by a's user", []domain.Assignment{}, findAssignments(t, s, domain.AssignmentQuery{AccountID: b.ID, UserID: ua.ID}))
	same(t, "ByUser(b, a's user)", []domain.Assignment{}, read(t, s, func(tx ports.Tx) ([]domain.Assignment, error) {
		return tx.Assignments().ByUser(ctx, b.ID, ua.ID, domain.Date{})
	}))
	same(t, "ByProduct(b)", []domain.Assignment{}, read(t, s, func(tx ports.Tx) ([]domain.Assignment, error) {
		return tx.Assignments().ByProduct(ctx, b.ID, coPilot, domain.Date{})
	}))
}

// seatsAssignmentLookups: ByProduct and ByUser return what holds a day on
// or after the day asked, by id.
func seatsAssignmentLookups(t *testing.T, s ports.Store) {
	ctx := t.Context()
	a := newAccount(t, s, account("partner-a", "acme-fleet"))
	cp := newSeats(t, s, seats(t, a.ID, coPilot, 2, "2025-01-01", "2025-12-31"))
	mo := newSeats(t, s, seats(t, a.ID, mileOn, 1, "2025-01-01", "2025-12-31"))
	u := newUsers(t, s, seatUser(a.ID, "driver-1"), seatUser(a.ID, "driver-2"))
	past := mustAssign(t, s, assignment(t, cp[0], u[0], "2025-01-01", "2025-03-31"))
	now := mustAssign(t, s, assignment(t, cp[0], u[1], "2025-04-01", "2025-12-31"))
	cancelled := mustAssign(t, s, assignment(t, cp[1], u[0], "2025-05-01", "2025-04-30"))
	later := mustAssign(t, s, assignment(t, cp[1], u[0], "2025-06-01", "2025-12-31"))
	other := mustAssign(t, s, assignment(t, mo[0], u[0], "2025-01-01", "2025-12-31"))
	_ = cancelled

	byProduct := func(product, on string) []domain.Assignment {
		t.Helper()
		return read(t, s, func(tx ports.Tx) ([]domain.Assignment, error) {
			return tx.Assignments().ByProduct(ctx, a.ID, product, day(t, on))
		})
	}
	byUser := func(u domain.User, on string) []domain.Assignment {
		t.Helper()
		return read(t, s, func(tx ports.Tx) ([]domain.Assignment, error) {
			return tx.Assignments().ByUser(ctx, a.ID, u.ID, day(t, on))
		})
	}
	same(t, "ByProduct(CoPilot, 2025-01-01)", []domain.Assignment{past, now, later}, byProduct(coPilot, "2025-01-01"))
	same(t, "ByProduct(CoPilot, 2025-03-31)", []domain.Assignment{past, now, later}, byProduct(coPilot, "2025-03-31"))
	same(t, "ByProduct(CoPilot, 2025-04-01)", []domain.Assignment{now, later}, byProduct(coPilot, "2025-04-01"))
	same(t, "ByProduct(CoPilot, 2026-01-01)", []domain.Assignment{}, byProduct(coPilot, "2026-01-01"))
	same(t, "ByProduct(MileOn, 2025-04-24)", []domain.Assignment{other}, byProduct(mileOn, "2025-04-24"))
	same(t, "ByUser(driver-1, 2025-04-24)", []domain.Assignment{later, other}, byUser(u[0], "2025-04-24"))
	same(t, "ByUser(driver-1, 2025-03-31)", []domain.Assignment{past, later, other}, byUser(u[0], "2025-03-31"))
	same(t, "ByUser(driver-2, 2025-12-31)", []domain.Assignment{now}, byUser(u[1], "2025-12-31"))
	same(t, "ByUser(driver-2, 2026-01-01)", []domain.Assignment{}, byUser(u[1], "2026-01-01"))

	// The pool a use case computes from the two lookups.
	pool := read(t, s, func(tx ports.Tx) (domain.Pool, error) { return poolOf(ctx, tx, a.ID, coPilot, day(t, "2025-04-24")) })
	if pool.Owned != 2 || pool.Assigned != 1 || !slices.Equal(pool.Free, []int64{cp[1].ID}) || pool.Holder[u[1].ID] != cp[0].ID {
		t.Errorf("the pool on 2025-04-24 is %+v, want 2 owned, 1 assigned (license %d to user %d), license %d free",
			pool, cp[0].ID, u[1].ID, cp[1].ID)
	}
}

// poolOf reads the pool of product on day the way a use case does.
func poolOf(ctx context.Context, tx ports.Tx, accountID int64, product string, on domain.Date) (domain.Pool, error) {
	ls, err := tx.Licenses().ByAccount(ctx, accountID, product, on)
	if err != nil {
		return domain.Pool{}, err
	}
	as, err := tx.Assignments().ByProduct(ctx, accountID, product, on)
	if err != nil {
		return domain.Pool{}, err
	}
	return domain.PoolOn(product, on, ls, as), nil
}

// seatsFind: every filter of seed 004, each sort both ways with ties by id,
// and pages, checked against the same selection made in plain Go.
func seatsFind(t *testing.T, s ports.Store) {
	a := newAccount(t, s, account("partner-a", "acme-fleet"))
	b := newAccount(t, s, account("partner-a", "beta"))
	ls := newSeats(t, s, seats(t, a.ID, coPilot, 4, "2016-01-01", "2026-12-31"))
	us := newUsers(t, s, seatUser(a.ID, "u-1"), seatUser(a.ID, "u-2"), seatUser(a.ID, "u-3"), seatUser(a.ID, "u-4"))
	lb := newSeats(t, s, seats(t, b.ID, coPilot, 1, "2016-01-01", "2026-12-31"))[0]
	ub := newUser(t, s, seatUser(b.ID, "u-1"))
	mustAssign(t, s, assignment(t, lb, ub, "2016-09-05", "2016-09-30"))

	// Periods one after another per license, users rotating, activation
	// dates repeating across licenses so that sorts meet ties.
	starts := []string{"2016-09-05", "2016-09-06", "2016-10-01", "2017-01-01"}
	var stored []domain.Assignment
	for round, start := range starts {
		for i, l := range ls {
			from := day(t, start).AddDays(0)
			to := from.AddDays(0)
			if round == len(starts)-1 {
				to = day(t, "2026-12-31")
			}
			if i == 3 && round == 1 {
				to = from.AddDays(-1) // a cancelled one
			}
			u := us[(i+round)%len(us)]
			stored = append(stored, mustAssign(t, s, assignment(t, l, u, from.String(), to.String())))
		}
	}
	dates := []string{"", "2016-09-05", "2016-09-06", "2016-10-01", "2017-01-01", "2018-01-01"}
	sorts := []domain.AssignmentSort{domain.SortByID, domain.SortByLicenseID, domain.SortByUserID, domain.SortByActivationDate}
	n := 0
	for _, lic := range []int64{0, ls[1].ID, lb.ID} {
		for _, usr := range []int64{0, us[2].ID} {
			for _, from := range dates {
				for _, to := range dates {
					q := domain.AssignmentQuery{AccountID: a.ID, LicenseID: lic, UserID: usr}
					if from != "" {
						q.FromActivationDate = day(t, from)
					}
					if to != "" {
						q.ToActivationDate = day(t, to)
					}
					n++
					srt := sorts[n%len(sorts)]
					q.Sort, q.Descending = srt, n%3 == 0
					same(t, fmt.Sprintf("Find(%+v)", q), selectAssignments(stored, q), findAssignments(t, s, q))
				}
			}
		}
	}
	for _, srt := range sorts {
		for _, desc := range []bool{false, true} {
			for _, page := range [][2]int{{0, 0}, {0, 5}, {5, 5}, {15, 10}, {16, 1}, {1, 2}} {
				q := domain.AssignmentQuery{AccountID: a.ID, Sort: srt, Descending: desc, Offset: page[0], Limit: page[1]}
				same(t, fmt.Sprintf("Find(%+v)", q), selectAssignments(stored, q), findAssignments(t, s, q))
			}
		}
	}
	// The seed's examples, spelled out.
	q := domain.AssignmentQuery{AccountID: a.ID, FromActivationDate: day(t, "2016-09-05"), ToActivationDate: day(t, "2016-09-06")}
	same(t, "activated on or after 2016-09-05 and before 2016-09-06", stored[:4], findAssignments(t, s, q))
	q = domain.AssignmentQuery{AccountID: a.ID, Offset: 1, Limit: 2}
	same(t, "two with an offset of 1", stored[1:3], findAssignments(t, s, q))
	q = domain.AssignmentQuery{AccountID: a.ID, Sort: domain.SortByID, Descending: true, Limit: 1}
	same(t, "the last by id", stored[len(stored)-1:], findAssignments(t, s, q))
}

// selectAssignments is Find in plain Go: the filters, the sort with ties by
// id ascending, the page.
func selectAssignments(all []domain.Assignment, q domain.AssignmentQuery) []domain.Assignment {
	out := []domain.Assignment{}
	for _, a := range all {
		if a.AccountID != q.AccountID || q.LicenseID != 0 && a.LicenseID != q.LicenseID || q.UserID != 0 && a.UserID != q.UserID ||
			!q.FromActivationDate.IsZero() && a.ActivationDate.Before(q.FromActivationDate) ||
			!q.ToActivationDate.IsZero() && !a.ActivationDate.Before(q.ToActivationDate) {
			continue
		}
		out = append(out, a)
	}
	key := func(a *domain.Assignment) int64 {
		switch q.Sort {
		case domain.SortByLicenseID:
			return a.LicenseID
		case domain.SortByUserID:
			return a.UserID
		case domain.SortByActivationDate:
			return int64(domain.Date{}.DaysUntil(a.ActivationDate))
		}
		return a.ID
	}
	slices.SortFunc(out, func(x, y domain.Assignment) int {
		c := cmp.Compare(key(&x), key(&y))
		if q.Descending {
			c = -c
		}
		return cmp.Or(c, cmp.Compare(x.ID, y.ID))
	})
	out = out[min(q.Offset, len(out)):]
	if q.Limit > 0 {
		out = out[:min(q.Limit, len(out))]
	}
	return out
}

// seatsLockAccount: a use case may lock an account in an Update (any id,
// twice) and in a View; a Tx kept past its transaction refuses.
func seatsLockAccount(t *testing.T, s ports.Store) {
	ctx := t.Context()
	a := newAccount(t, s, account("partner-a", "acme-fleet"))
	var kept ports.Tx
	err := s.Update(ctx, func(tx ports.Tx) error {
		kept = tx
		for _, id := range []int64{a.ID, a.ID, a.ID + 1000} {
			if err := tx.LockAccount(ctx, id); err != nil {
				return err
			}
		}
		_, err := tx.Users().Count(ctx, a.ID)
		return err
	})
	if err != nil {
		t.Fatalf("LockAccount in an Update: %v", err)
	}
	if err := s.View(ctx, func(tx ports.Tx) error { return tx.LockAccount(ctx, a.ID) }); err != nil {
		t.Errorf("LockAccount in a View: %v", err)
	}
	if err := kept.LockAccount(ctx, a.ID); err == nil {
		t.Error("LockAccount on a Tx kept past its Update succeeded")
	}
}

// seatWrites writes to every seats repository in tx, and refuses a last
// assignment when refuse is set, returning that refusal.
func seatWrites(ctx context.Context, tb testing.TB, tx ports.Tx, refuse bool) error {
	a := account("partner-r", "rolled-back")
	if err := tx.Accounts().Create(ctx, &a); err != nil {
		return err
	}
	a.Title = "changed"
	if err := tx.Accounts().Put(ctx, a); err != nil {
		return err
	}
	u := loginUser(a.ID, "driver-1", "rolled@back.example", domain.AccountAdmin)
	if err := tx.Users().Create(ctx, &u); err != nil {
		return err
	}
	u.FirstName = "changed"
	if err := tx.Users().Put(ctx, u); err != nil {
		return err
	}
	gone := seatUser(a.ID, "driver-2")
	if err := tx.Users().Create(ctx, &gone); err != nil {
		return err
	}
	if err := tx.Users().Delete(ctx, a.ID, gone.ID, stamp()); err != nil {
		return err
	}
	ls, err := tx.Licenses().Create(ctx, seats(tb, a.ID, coPilot, 2, "2025-01-01", "2025-12-31"))
	if err != nil {
		return err
	}
	if err := tx.Licenses().SetExpires(ctx, a.ID, ls[1].ID, day(tb, "2026-12-31")); err != nil {
		return err
	}
	as := assignment(tb, ls[0], u, "2025-01-01", "2025-06-30")
	if err := tx.Assignments().Create(ctx, &as); err != nil {
		return err
	}
	if err := tx.Assignments().SetDeactivation(ctx, a.ID, as.ID, day(tb, "2025-12-31"), stamp()); err != nil {
		return err
	}
	if refuse {
		again := assignment(tb, ls[1], u, "2025-06-01", "2025-06-30")
		return tx.Assignments().Create(ctx, &again)
	}
	return nil
}

// seatsSeen reports what a read finds of seatWrites: how many things.
func seatsSeen(ctx context.Context, tx ports.Tx) (int, error) {
	n := 0
	as, err := tx.Accounts().ByPartner(ctx, "partner-r", 0, 0)
	if err != nil {
		return 0, err
	}
	n += len(as)
	if _, err := tx.Accounts().ByAlias(ctx, "rolled-back"); err == nil {
		n++
	} else if domain.ErrorCode(err) != domain.CodeNotFound {
		return 0, err
	}
	if _, err := tx.Users().ByUsername(ctx, "rolled@back.example"); err == nil {
		n++
	} else if domain.ErrorCode(err) != domain.CodeNotFound {
		return 0, err
	}
	for _, a := range as {
		us, err := tx.Users().List(ctx, a.ID, 0, 0)
		if err != nil {
			return 0, err
		}
		ls, err := tx.Licenses().ByAccount(ctx, a.ID, "", domain.Date{})
		if err != nil {
			return 0, err
		}
		found, err := tx.Assignments().Find(ctx, domain.AssignmentQuery{AccountID: a.ID})
		if err != nil {
			return 0, err
		}
		n += len(us) + len(ls) + len(found)
	}
	return n, nil
}

// seatsRollback: nothing of an Update that fails stays, whether fn gives up
// on its own or after a refused write; the same writes then succeed.
func seatsRollback(t *testing.T, s ports.Store) {
	ctx := t.Context()
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx ports.Tx) error {
		if err := seatWrites(ctx, t, tx, false); err != nil {
			return err
		}
		if n, err := seatsSeen(ctx, tx); err != nil || n == 0 {
			return fmt.Errorf("the transaction does not read its own writes: %d found, %v", n, err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want fn's error", err)
	}
	if n := read(t, s, func(tx ports.Tx) (int, error) { return seatsSeen(ctx, tx) }); n != 0 {
		t.Errorf("a rolled-back Update left %d things", n)
	}
	err = s.Update(ctx, func(tx ports.Tx) error { return seatWrites(ctx, t, tx, true) })
	wantError(t, "an Update ending with a refused assignment", err, domain.CodeConflict, "userId")
	if n := read(t, s, func(tx ports.Tx) (int, error) { return seatsSeen(ctx, tx) }); n != 0 {
		t.Errorf("an Update that failed on a refused write left %d things", n)
	}
	update(t, s, func(tx ports.Tx) error { return seatWrites(ctx, t, tx, false) })
	// 1 account found twice, 1 user by username and 1 listed, 2 licenses, 1 assignment.
	if n := read(t, s, func(tx ports.Tx) (int, error) { return seatsSeen(ctx, tx) }); n != 7 {
		t.Errorf("the writes made again show %d things, want 7", n)
	}
}

// seatsViewIsReadOnly: every seats write fails inside a View.
func seatsViewIsReadOnly(t *testing.T, s ports.Store) {
	ctx := t.Context()
	a := newAccount(t, s, account("partner-a", "acme-fleet"))
	l := newSeats(t, s, seats(t, a.ID, coPilot, 1, "2025-01-01", "2025-12-31"))[0]
	u := newUser(t, s, seatUser(a.ID, "driver-1"))
	as := mustAssign(t, s, assignment(t, l, u, "2025-01-01", "2025-06-30"))
	for _, w := range []step{
		{"Accounts.Create", func(ctx context.Context, tx ports.Tx) error {
			a := account("p", "x")
			return tx.Accounts().Create(ctx, &a)
		}},
		{"Accounts.Put", func(ctx context.Context, tx ports.Tx) error { return tx.Accounts().Put(ctx, a) }},
		{"Users.Create", func(ctx context.Context, tx ports.Tx) error {
			u := seatUser(a.ID, "x")
			return tx.Users().Create(ctx, &u)
		}},
		{"Users.Put", func(ctx context.Context, tx ports.Tx) error { return tx.Users().Put(ctx, u) }},
		{"Users.Delete", func(ctx context.Context, tx ports.Tx) error { return tx.Users().Delete(ctx, a.ID, u.ID, stamp()) }},
		{"Licenses.Create", func(ctx context.Context, tx ports.Tx) error {
			return errOf(tx.Licenses().Create(ctx, seats(t, a.ID, coPilot, 1, "2025-01-01", "2025-12-31")))
		}},
		{"Licenses.SetExpires", func(ctx context.Context, tx ports.Tx) error {
			return tx.Licenses().SetExpires(ctx, a.ID, l.ID, day(t, "2026-01-01"))
		}},
		{"Assignments.Create", func(ctx context.Context, tx ports.Tx) error {
			x := assignment(t, l, u, "2025-07-01", "2025-07-31")
			return tx.Assignments().Create(ctx, &x)
		}},
		{"Assignments.SetDeactivation", func(ctx context.Context, tx ports.Tx) error {
			return tx.Assignments().SetDeactivation(ctx, a.ID, as.ID, day(t, "2025-05-31"), stamp())
		}},
	} {
		if err := s.View(ctx, func(tx ports.Tx) error { return w.do(ctx, tx) }); err == nil {
			t.Errorf("%s inside View succeeded", w.name)
		}
	}
	same(t, "the account after writes inside Views", a, read(t, s, func(tx ports.Tx) (domain.Account, error) { return tx.Accounts().Get(ctx, a.ID) }))
	same(t, "the users after writes inside Views", []domain.User{u}, read(t, s, func(tx ports.Tx) ([]domain.User, error) {
		return tx.Users().List(ctx, a.ID, 0, 0)
	}))
	same(t, "the licenses after writes inside Views", []domain.License{l}, read(t, s, func(tx ports.Tx) ([]domain.License, error) {
		return tx.Licenses().ByAccount(ctx, a.ID, "", domain.Date{})
	}))
	same(t, "the assignments after writes inside Views", []domain.Assignment{as}, findAssignments(t, s, domain.AssignmentQuery{AccountID: a.ID}))
}

// seatsCopies: neither what a caller put nor what it got shares memory with
// the store (a user's roles, an account's limits).
func seatsCopies(t *testing.T, s ports.Store) {
	ctx := t.Context()
	var id int64
	isolated(t, s, "an account from ByAlias", func() domain.Account { return account("partner-a", "acme-fleet") },
		func(tx ports.Tx, a domain.Account) error { return tx.Accounts().Create(ctx, &a) },
		func(tx ports.Tx) (domain.Account, error) {
			a, err := tx.Accounts().ByAlias(ctx, "acme-fleet")
			id, a.ID = a.ID, 0
			return a, err
		},
		func(a *domain.Account) {
			a.Limits["copilot"] = domain.Limits{Users: 1}
			a.Limits["other"] = domain.Limits{}
		})
	isolated(t, s, "a user from ByExternalID", func() domain.User {
		return loginUser(id, "driver-1", "driver@fleet.example", domain.UserAdmin, domain.AccountAdmin)
	},
		func(tx ports.Tx, u domain.User) error { return tx.Users().Create(ctx, &u) },
		func(tx ports.Tx) (domain.User, error) {
			u, err := tx.Users().ByExternalID(ctx, id, "driver-1")
			u.ID = 0
			return u, err
		},
		func(u *domain.User) { u.Roles[0] = "CHANGED" })
}
