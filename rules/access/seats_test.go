package access_test

import (
	"context"
	"crypto/rand"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/access"
)

// seats is a memory store with two Account Manager partners, a company of
// each, and users of acme-fleet: an admin who logs in, a user admin, a
// driver who cannot log in, and a deleted user.
type seats struct {
	s       *access.Service
	store   ports.Store
	byAlias *atomic.Int64 // Accounts().ByAlias calls
	acme    domain.Account
	other   domain.Account
	admin   domain.User
	gone    domain.User
}

const (
	fleetKey = "example-api-key-change-me"
	otherKey = "another-partners-api-key"
	adminPW  = "example-password-change-me"
)

func newSeats(t *testing.T, now *time.Time) *seats {
	t.Helper()
	ctx := context.Background()
	mem := memory.New()
	t.Cleanup(func() { mem.Close() })
	x := &seats{byAlias: new(atomic.Int64)}
	x.store = countingStore{Store: mem, byAlias: x.byAlias}
	s, err := access.New(access.Options{Store: x.store, Clock: ports.ClockFunc(func() time.Time { return *now }), Random: rand.Reader,
		TokenTTL: time.Hour, Hashing: access.Params{Memory: 64, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	x.s = s
	hash := func(pw string) string {
		h, err := s.HashPassword(pw)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	err = mem.Update(ctx, func(tx ports.Tx) error {
		for _, c := range []domain.Client{
			{ID: "fleet-partner", Name: "Fleet partner", APIKeyHash: domain.HashSecret(fleetKey)},
			{ID: "other-partner", Name: "Other partner", APIKeyHash: domain.HashSecret(otherKey)},
			{ID: "tap-client", Name: "A store API client"},
		} {
			if err := tx.Clients().Put(ctx, c); err != nil {
				return err
			}
		}
		x.acme = domain.Account{PartnerID: "fleet-partner", Alias: "acme-fleet", Title: "Acme Fleet", Activated: true, CreatedAt: *now}
		x.other = domain.Account{PartnerID: "other-partner", Alias: "other-co", Title: "Other Co", Activated: true, CreatedAt: *now}
		for _, a := range []*domain.Account{&x.acme, &x.other} {
			if err := tx.Accounts().Create(ctx, a); err != nil {
				return err
			}
		}
		x.admin = domain.User{AccountID: x.acme.ID, ExternalID: "acme-admin", Username: "admin@acme.example",
			PasswordHash: hash(adminPW), Roles: []domain.Role{domain.AccountAdmin}, CreatedAt: *now, UpdatedAt: *now}
		users := domain.User{AccountID: x.acme.ID, ExternalID: "user-admin", Username: "users@acme.example",
			PasswordHash: hash("users-password-0001"), Roles: []domain.Role{domain.UserAdmin}, CreatedAt: *now, UpdatedAt: *now}
		driver := domain.User{AccountID: x.acme.ID, ExternalID: "driver-7", CreatedAt: *now, UpdatedAt: *now}
		x.gone = domain.User{AccountID: x.acme.ID, ExternalID: "gone", Username: "gone@acme.example",
			PasswordHash: hash("gone-password-0001"), Roles: []domain.Role{domain.AccountAdmin}, CreatedAt: *now, UpdatedAt: *now}
		for _, u := range []*domain.User{&x.admin, &users, &driver, &x.gone} {
			if err := tx.Users().Create(ctx, u); err != nil {
				return err
			}
		}
		return tx.Users().Delete(ctx, x.acme.ID, x.gone.ID, *now)
	})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// countingStore counts the alias lookups its transactions make.
type countingStore struct {
	ports.Store
	byAlias *atomic.Int64
}

func (s countingStore) View(ctx context.Context, fn func(ports.Tx) error) error {
	return s.Store.View(ctx, func(tx ports.Tx) error { return fn(countingTx{tx, s.byAlias}) })
}

func (s countingStore) Update(ctx context.Context, fn func(ports.Tx) error) error {
	return s.Store.Update(ctx, func(tx ports.Tx) error { return fn(countingTx{tx, s.byAlias}) })
}

type countingTx struct {
	ports.Tx
	n *atomic.Int64
}

func (t countingTx) Accounts() ports.Accounts { return countingAccounts{t.Tx.Accounts(), t.n} }

type countingAccounts struct {
	ports.Accounts
	n *atomic.Int64
}

func (a countingAccounts) ByAlias(ctx context.Context, alias string) (domain.Account, error) {
	a.n.Add(1)
	return a.Accounts.ByAlias(ctx, alias)
}

func storedToken(t *testing.T, store ports.Store, tok string) domain.Token {
	t.Helper()
	ctx := context.Background()
	var got domain.Token
	if err := store.View(ctx, func(tx ports.Tx) error {
		var err error
		got, err = tx.Clients().Token(ctx, domain.HashSecret(tok))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

// Seed 000: apiKey alone buys a partner-scope token; apiKey and the alias of
// one of the partner's companies an account-scope token. Each names its
// kind and scope, is stored by hash only, and expires after the TTL.
func TestAPIKeyTokens(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
	x := newSeats(t, &now)
	tok, expires, err := x.s.IssueAPIKeyToken(ctx, fleetKey, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) < 43 || !expires.Equal(now.Add(time.Hour)) {
		t.Errorf("token %q expires %v; want 256 bits for an hour", tok, expires)
	}
	if st := storedToken(t, x.store, tok); st.ClientID != "fleet-partner" || st.Kind != domain.APIKey || st.AccountID != 0 || !st.ExpiresAt.Equal(expires) {
		t.Errorf("stored %+v", st)
	}
	p, err := x.s.Bearer(ctx, tok)
	if want := (domain.Principal{Partner: "fleet-partner", Credential: domain.APIKey}); err != nil || !samePrincipal(p, want) {
		t.Errorf("Bearer(partner token) = %+v, %v; want %+v", p, err, want)
	}
	acmeID := strconv.FormatInt(x.acme.ID, 10)
	if !p.ReachesAccount("fleet-partner", acmeID) || p.ReachesAccount("other-partner", strconv.FormatInt(x.other.ID, 10)) {
		t.Errorf("the partner token reaches the wrong subtree: %+v", p)
	}
	// The alias matches case-insensitively, as aliases compare.
	for _, alias := range []string{"acme-fleet", "ACME-Fleet"} {
		tok, _, err := x.s.IssueAPIKeyToken(ctx, fleetKey, alias)
		if err != nil {
			t.Fatalf("alias %q: %v", alias, err)
		}
		if st := storedToken(t, x.store, tok); st.Kind != domain.APIKey || st.AccountID != x.acme.ID {
			t.Errorf("alias %q: stored %+v", alias, st)
		}
		p, err := x.s.Bearer(ctx, tok)
		if want := (domain.Principal{Partner: "fleet-partner", Account: acmeID, Credential: domain.APIKey}); err != nil || !samePrincipal(p, want) {
			t.Errorf("Bearer(account token) = %+v, %v; want %+v", p, err, want)
		}
		if p.ReachesAccount("fleet-partner", acmeID+"0") {
			t.Error("an account token reaches another account of its partner")
		}
	}
	now = expires
	if _, err := x.s.Bearer(ctx, tok); domain.ErrorCode(err) != domain.CodeUnauthenticated {
		t.Errorf("an expired apiKey token: %v, want CodeUnauthenticated", err)
	}
}

func samePrincipal(a, b domain.Principal) bool {
	return a.Partner == b.Partner && a.Account == b.Account && a.User == b.User && a.Credential == b.Credential && slices.Equal(a.Roles, b.Roles)
}

// Every refused apiKey gets the same answer, "Invalid apiKey value sent",
// whether the key is unknown or the alias names no company or another
// partner's: the answer never tells whether an alias exists, and an unknown
// key reads the alias as a known key does.
func TestAPIKeyRefusals(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
	x := newSeats(t, &now)
	for _, tc := range []struct {
		name, key, alias string
		aliasReads       int64
	}{
		{"an unknown key", "not-a-key-of-anyone", "", 0},
		{"an unknown key with a real alias", "not-a-key-of-anyone", "acme-fleet", 1},
		{"an unknown key with an unknown alias", "not-a-key-of-anyone", "no-such-co", 1},
		{"another partner's company", fleetKey, "other-co", 1},
		{"a company that does not exist", fleetKey, "no-such-co", 1},
		{"the other key with acme's alias", otherKey, "acme-fleet", 1},
		{"no key", "", "acme-fleet", 0},
		{"a key with a NUL", fleetKey + "\x00", "", 0},
		{"an over-long key", strings.Repeat("k", domain.MaxText+1), "", 0},
		{"the key in another case", strings.ToUpper(fleetKey), "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := x.byAlias.Load()
			_, _, err := x.s.IssueAPIKeyToken(ctx, tc.key, tc.alias)
			de, ok := err.(*domain.Error)
			if !ok || de.Code != domain.CodeUnauthenticated || de.Message != access.InvalidAPIKey || err.Error() != "apiKey: Invalid apiKey value sent" {
				t.Errorf("IssueAPIKeyToken: %v; want CodeUnauthenticated %q", err, access.InvalidAPIKey)
			}
			if got := x.byAlias.Load() - before; got != tc.aliasReads {
				t.Errorf("%d alias reads, want %d", got, tc.aliasReads)
			}
		})
	}
	_, _, err := x.s.IssueAPIKeyToken(ctx, fleetKey, "acme\x00fleet")
	if de, ok := err.(*domain.Error); !ok || de.Code != domain.CodeInvalid || len(de.Violations) != 1 || de.Violations[0].Field != "alias" {
		t.Errorf("an alias with a NUL: %v, want CodeInvalid naming alias", err)
	}
	// The store API's client credentials never give an apiKey token: the
	// tap-client has no apiKey, and its id is not a key.
	if _, _, err := x.s.IssueAPIKeyToken(ctx, "tap-client", ""); domain.ErrorCode(err) != domain.CodeUnauthenticated {
		t.Errorf("a client id as apiKey: %v", err)
	}
}

// Seed 004: an account user's HTTP Basic login names the account, the user
// and the user's roles.
func TestBasicUser(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
	x := newSeats(t, &now)
	for _, name := range []string{"admin@acme.example", "Admin@ACME.example"} {
		before := x.s.Checks()
		p, err := x.s.BasicUser(ctx, name, adminPW)
		want := domain.Principal{Partner: "fleet-partner", Account: strconv.FormatInt(x.acme.ID, 10), User: strconv.FormatInt(x.admin.ID, 10),
			Roles: []domain.Role{domain.AccountAdmin}, Credential: domain.BasicUser}
		if err != nil || !samePrincipal(p, want) {
			t.Errorf("BasicUser(%q) = %+v, %v; want %+v", name, p, err, want)
		}
		if n := x.s.Checks() - before; n != 1 {
			t.Errorf("%d password checks, want 1", n)
		}
	}
	p, err := x.s.BasicUser(ctx, "users@acme.example", "users-password-0001")
	if err != nil || !p.HasRole(domain.UserAdmin) || p.HasRole(domain.AccountAdmin) {
		t.Errorf("the user admin: %+v, %v", p, err)
	}
	// The principal's roles are its own copy.
	p.Roles[0] = domain.AccountAdmin
	if again, _ := x.s.BasicUser(ctx, "users@acme.example", "users-password-0001"); again.HasRole(domain.AccountAdmin) {
		t.Error("changing a principal's roles changed the next login's")
	}
}

// An unknown username, a deleted user, a user without a password and a
// wrong password are refused alike, and each costs one password check (the
// unknown ones against the decoy): usernames cannot be told apart by the
// answer or by the work done.
func TestBasicUserRefusals(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
	x := newSeats(t, &now)
	for _, tc := range []struct {
		name, user, pass string
		checks           int64
	}{
		{"a wrong password", "admin@acme.example", "guess-guess-guess", 1},
		{"the password in another case", "admin@acme.example", strings.ToUpper(adminPW), 1},
		{"an unknown username", "nobody@acme.example", adminPW, 1},
		{"a deleted user", "gone@acme.example", "gone-password-0001", 1},
		{"a driver's externalId, who has no login", "driver-7", adminPW, 1},
		{"no password", "admin@acme.example", "", 0},
		{"no username", "", adminPW, 0},
		{"a username with a NUL", "admin@acme.example\x00", adminPW, 0},
		{"an over-long password", "admin@acme.example", strings.Repeat("p", domain.MaxText+1), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := x.s.Checks()
			_, err := x.s.BasicUser(ctx, tc.user, tc.pass)
			if domain.ErrorCode(err) != domain.CodeUnauthenticated || err.Error() != "Authorization: unknown username or wrong password" {
				t.Errorf("BasicUser: %v, want CodeUnauthenticated", err)
			}
			if n := x.s.Checks() - before; n != tc.checks {
				t.Errorf("%d password checks, want %d", n, tc.checks)
			}
		})
	}
}

// A password a data file gave as a bare SHA-256 works, and is then stored
// with argon2id.
func TestBasicUserUpgradesLegacyPasswords(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
	x := newSeats(t, &now)
	legacy := domain.User{AccountID: x.acme.ID, ExternalID: "old", Username: "old@acme.example", PasswordHash: domain.HashSecret("old-password-0001"),
		Roles: []domain.Role{domain.UserAdmin}}
	if err := x.store.Update(ctx, func(tx ports.Tx) error { return tx.Users().Create(ctx, &legacy) }); err != nil {
		t.Fatal(err)
	}
	stored := func() string {
		var u domain.User
		if err := x.store.View(ctx, func(tx ports.Tx) error {
			var err error
			u, err = tx.Users().Get(ctx, x.acme.ID, legacy.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return u.PasswordHash
	}
	if _, err := x.s.BasicUser(ctx, "old@acme.example", "wrong-password-01"); domain.ErrorCode(err) != domain.CodeUnauthenticated {
		t.Fatalf("a wrong password: %v", err)
	}
	if h := stored(); h != legacy.PasswordHash {
		t.Errorf("a wrong password changed the stored hash to %q", h)
	}
	if _, err := x.s.BasicUser(ctx, "old@acme.example", "old-password-0001"); err != nil {
		t.Fatal(err)
	}
	if h := stored(); !strings.HasPrefix(h, "$argon2id$") {
		t.Errorf("after a login the password is stored as %q", h)
	}
	if _, err := x.s.BasicUser(ctx, "old@acme.example", "old-password-0001"); err != nil {
		t.Errorf("the upgraded password: %v", err)
	}
}

// A token stored before tokens had a kind is a store API token.
func TestBearerOfAKindlessToken(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
	x := newSeats(t, &now)
	err := x.store.Update(ctx, func(tx ports.Tx) error {
		return tx.Clients().PutToken(ctx, domain.Token{Hash: domain.HashSecret("old-token"), ClientID: "tap-client", ExpiresAt: now.Add(time.Minute)})
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := x.s.Bearer(ctx, "old-token")
	if want := domain.PartnerPrincipal("tap-client", domain.ClientCredentials); err != nil || !samePrincipal(p, want) {
		t.Errorf("Bearer = %+v, %v; want %+v", p, err, want)
	}
}

func TestHashPassword(t *testing.T) {
	now := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
	x := newSeats(t, &now)
	h1, err1 := x.s.HashPassword(adminPW)
	h2, err2 := x.s.HashPassword(adminPW)
	if err1 != nil || err2 != nil || h1 == h2 || !strings.HasPrefix(h1, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(h1, adminPW) {
		t.Errorf("HashPassword = %q, %q (%v, %v); want two salted argon2id hashes with the service's costs", h1, h2, err1, err2)
	}
	for _, bad := range []string{"", "short", "eleven-char", "twelve-chars\x00"} {
		if _, err := x.s.HashPassword(bad); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Errorf("HashPassword(%q): %v, want CodeInvalid", bad, err)
		}
	}
	if _, err := x.s.HashPassword("twelve-chars"); err != nil {
		t.Errorf("a 12-character password: %v", err)
	}
}
