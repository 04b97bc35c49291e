package access_test

import (
	"context"
	"crypto/rand"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/access"
	"pgregory.net/rapid"
)

// The example data set's managed-billing credentials (seed 002's accounts).
const (
	billingClient = "billing-client"
	billingSecret = "example-billing-secret-change-me"
	otherBilling  = "other-billing"
	otherSecret   = "other-billing-secret-0001"
	loginPW       = "example-password-change-me"
	gpsPartner    = "gps-partner"
)

// billing is a memory store with two managed-billing clients, seed 002's
// primary and one managed account of the first with a login each, an
// account of the second client with a login, and a GPS-Trace partner.
type billing struct {
	s       *access.Service
	store   ports.Store
	primary domain.Account
	managed domain.Account
	other   domain.Account
	pUser   domain.User // primary@example.com
	mUser   domain.User // managed1@example.com
}

func newBilling(t *testing.T, now *time.Time) *billing {
	t.Helper()
	ctx := context.Background()
	mem := memory.New()
	t.Cleanup(func() { mem.Close() })
	s, err := access.New(access.Options{Store: mem, Clock: ports.ClockFunc(func() time.Time { return *now }), Random: rand.Reader,
		Hashing: access.Params{Memory: 64, Time: 1, Threads: 1}, KeepExpired: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	x := &billing{s: s, store: mem}
	hash := func(pw string) string {
		h, err := s.HashPassword(pw)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	err = mem.Update(ctx, func(tx ports.Tx) error {
		for _, c := range []domain.Client{
			{ID: billingClient, Name: "ThingSpace example", SecretHash: hash(billingSecret)},
			{ID: otherBilling, Name: "Another ThingSpace client", SecretHash: hash(otherSecret)},
			{ID: gpsPartner, Name: "GPS-Trace partner", APIKeyHash: domain.HashSecret("gps-partner-api-key-0001")},
		} {
			if err := tx.Clients().Put(ctx, c); err != nil {
				return err
			}
		}
		x.primary = domain.Account{PartnerID: billingClient, Alias: "1234567890-00001", Title: "Primary", Activated: true, CreatedAt: *now,
			Services: []string{"Location"}, SKUs: []string{"TS-LOC-COARSE-CellID-Aggr"}}
		x.managed = domain.Account{PartnerID: billingClient, Alias: "1223334444-00001", Title: "Managed 1", Activated: true, CreatedAt: *now,
			Services: []string{"Location"}}
		x.other = domain.Account{PartnerID: otherBilling, Alias: "9999999999-00001", Title: "Other", Activated: true, CreatedAt: *now,
			Services: []string{"Location"}}
		for _, a := range []*domain.Account{&x.primary, &x.managed, &x.other} {
			if err := tx.Accounts().Create(ctx, a); err != nil {
				return err
			}
		}
		x.pUser = domain.User{AccountID: x.primary.ID, ExternalID: "primary", Username: "primary@example.com", PasswordHash: hash(loginPW),
			Roles: []domain.Role{domain.AccountAdmin}, CreatedAt: *now, UpdatedAt: *now}
		x.mUser = domain.User{AccountID: x.managed.ID, ExternalID: "managed1", Username: "managed1@example.com", PasswordHash: hash(loginPW),
			CreatedAt: *now, UpdatedAt: *now}
		oUser := domain.User{AccountID: x.other.ID, ExternalID: "other", Username: "other@example.com", PasswordHash: hash(loginPW),
			CreatedAt: *now, UpdatedAt: *now}
		for _, u := range []*domain.User{&x.pUser, &x.mUser, &oUser} {
			if err := tx.Users().Create(ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// bearer issues a billing bearer for clientID and returns its Principal.
func (x *billing) bearer(t *testing.T, clientID, secret string) domain.Principal {
	t.Helper()
	ctx := context.Background()
	tok, _, err := x.s.IssueBillingBearer(ctx, clientID, secret)
	if err != nil {
		t.Fatal(err)
	}
	p, err := x.s.Bearer(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (x *billing) user(t *testing.T, u domain.User) domain.User {
	t.Helper()
	ctx := context.Background()
	var got domain.User
	if err := x.store.View(ctx, func(tx ports.Tx) error {
		var err error
		got, err = tx.Users().Get(ctx, u.AccountID, u.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

// block appends a block (or unblock) record at at to the account.
func (x *billing) block(t *testing.T, id int64, blocked bool, at time.Time) {
	t.Helper()
	ctx := context.Background()
	if err := x.store.Update(ctx, func(tx ports.Tx) error {
		a, err := tx.Accounts().Get(ctx, id)
		if err != nil {
			return err
		}
		a.Blocks = append(a.Blocks, domain.BlockRecord{Blocked: blocked, At: at})
		return tx.Accounts().Put(ctx, a)
	}); err != nil {
		t.Fatal(err)
	}
}

// The ThingSpace OAuth grant: a client's key and secret buy a bearer of kind
// BillingBearer for one hour, stored by hash; refusals are alike and cost
// one check each.
func TestIssueBillingBearer(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
	x := newBilling(t, &now)
	tok, expires, err := x.s.IssueBillingBearer(ctx, billingClient, billingSecret)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) < 43 || !expires.Equal(now.Add(time.Hour)) {
		t.Errorf("token %q expires %v; want 256 bits for one hour", tok, expires)
	}
	if st := storedToken(t, x.store, tok); st.ClientID != billingClient || st.Kind != domain.BillingBearer || st.AccountID != 0 || !st.ExpiresAt.Equal(expires) {
		t.Errorf("stored %+v", st)
	}
	p, err := x.s.Bearer(ctx, tok)
	if want := domain.PartnerPrincipal(billingClient, domain.BillingBearer); err != nil || !samePrincipal(p, want) {
		t.Errorf("Bearer = %+v, %v; want %+v", p, err, want)
	}
	for _, tc := range []struct {
		name, id, secret string
		checks           int64
	}{
		{"a wrong secret", billingClient, "wrong-secret-wrong", 1},
		{"another client's secret", billingClient, otherSecret, 1},
		{"an unknown client", "nobody", billingSecret, 1},
		{"a partner with an apiKey and no secret", gpsPartner, "gps-partner-api-key-0001", 1},
		{"no secret", billingClient, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := x.s.Checks()
			_, _, err := x.s.IssueBillingBearer(ctx, tc.id, tc.secret)
			if domain.ErrorCode(err) != domain.CodeUnauthenticated {
				t.Errorf("IssueBillingBearer: %v, want CodeUnauthenticated", err)
			}
			if n := x.s.Checks() - before; n != tc.checks {
				t.Errorf("%d secret checks, want %d", n, tc.checks)
			}
		})
	}
	if _, _, err := x.s.IssueBillingBearer(ctx, billingClient+"\x00", billingSecret); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("an id with a NUL: %v, want CodeInvalid", err)
	}
}

// Seed 002's session login: a login of one of the bearer's partner's
// accounts gets a session of kind Session naming the account and the user,
// expiring 20 minutes later; Session turns it into the login's Principal.
func TestSessionLogin(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
	x := newBilling(t, &now)
	b := x.bearer(t, billingClient, billingSecret)
	for _, name := range []string{"primary@example.com", "PRIMARY@example.com"} {
		tok, err := x.s.SessionLogin(ctx, b, name, loginPW)
		if err != nil {
			t.Fatalf("SessionLogin(%q): %v", name, err)
		}
		st := storedToken(t, x.store, tok)
		if st.Kind != domain.Session || st.ClientID != billingClient || st.AccountID != x.primary.ID || st.UserID != x.pUser.ID ||
			!st.ExpiresAt.Equal(now.Add(access.SessionIdle)) || access.SessionIdle != 20*time.Minute {
			t.Errorf("stored %+v", st)
		}
		p, err := x.s.Session(ctx, b, tok)
		want := domain.Principal{Partner: billingClient, Account: strconv.FormatInt(x.primary.ID, 10), User: strconv.FormatInt(x.pUser.ID, 10),
			Roles: []domain.Role{domain.AccountAdmin}, Credential: domain.Session}
		if err != nil || !samePrincipal(p, want) {
			t.Errorf("Session = %+v, %v; want %+v", p, err, want)
		}
	}
	// The managed account logs in with its own login (provision, cancel).
	tok, err := x.s.SessionLogin(ctx, b, "managed1@example.com", loginPW)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := x.s.Session(ctx, b, tok); err != nil || p.Account != strconv.FormatInt(x.managed.ID, 10) {
		t.Errorf("the managed account's session: %+v, %v", p, err)
	}
}

// Every refused login but a locked one costs one password check, against
// the decoy when the login is none of the bearer's partner's, and the
// answer never tells an unknown username from a wrong password or from
// another partner's login.
func TestSessionLoginRefusals(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
	x := newBilling(t, &now)
	b := x.bearer(t, billingClient, billingSecret)
	for _, tc := range []struct {
		name, user, pass string
		checks           int64
	}{
		{"a wrong password", "primary@example.com", "guess-guess-guess", 1},
		{"an unknown username", "nobody@example.com", loginPW, 1},
		{"another partner's login with its right password", "other@example.com", loginPW, 1},
		{"no password", "primary@example.com", "", 0},
		{"a username with a NUL", "primary@example.com\x00", loginPW, 0},
		{"an over-long password", "primary@example.com", strings.Repeat("p", domain.MaxText+1), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := x.s.Checks()
			_, err := x.s.SessionLogin(ctx, b, tc.user, tc.pass)
			if err != access.ErrLogin || domain.ErrorCode(err) != domain.CodeUnauthenticated {
				t.Errorf("SessionLogin: %v, want ErrLogin", err)
			}
			if n := x.s.Checks() - before; n != tc.checks {
				t.Errorf("%d password checks, want %d", n, tc.checks)
			}
		})
	}
	// Only the other client's bearer reaches its login.
	ob := x.bearer(t, otherBilling, otherSecret)
	if _, err := x.s.SessionLogin(ctx, ob, "other@example.com", loginPW); err != nil {
		t.Errorf("the other client's own login: %v", err)
	}
	if _, err := x.s.SessionLogin(ctx, ob, "primary@example.com", loginPW); err != access.ErrLogin {
		t.Errorf("the other client's bearer with the primary's login: %v, want ErrLogin", err)
	}
	// Another partner's wrong guesses never count against a login it cannot reach.
	for range access.MaxFailedLogins + 1 {
		_, _ = x.s.SessionLogin(ctx, ob, "primary@example.com", "guess-guess-guess")
	}
	if u := x.user(t, x.pUser); u.FailedLogins != 1 || !u.LockedAt.IsZero() {
		t.Errorf("after another partner's guesses the login has %d failures, locked at %v; want the 1 of this test, unlocked", u.FailedLogins, u.LockedAt)
	}
	// Only a billing bearer logs in.
	for _, p := range []domain.Principal{
		domain.PartnerPrincipal(billingClient, domain.ClientCredentials),
		domain.PartnerPrincipal(billingClient, domain.Session),
		{Credential: domain.BillingBearer},
	} {
		if _, err := x.s.SessionLogin(ctx, p, "primary@example.com", loginPW); err != access.ErrBillingBearer {
			t.Errorf("SessionLogin with %+v: %v, want ErrBillingBearer", p, err)
		}
	}
}

// Five wrong passwords in a row lock the login, exactly: four leave it
// open, a right one sets the count back to zero, the fifth locks it, and
// from then on every try is refused, the right password too, without a
// check, until it is unlocked.
func TestSessionLoginLocksAfterFive(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
	x := newBilling(t, &now)
	b := x.bearer(t, billingClient, billingSecret)
	wrong := func(want error) {
		t.Helper()
		if _, err := x.s.SessionLogin(ctx, b, "primary@example.com", "guess-guess-guess"); err != want {
			t.Fatalf("a wrong password: %v, want %v", err, want)
		}
	}
	for i := 1; i < access.MaxFailedLogins; i++ {
		wrong(access.ErrLogin)
		if u := x.user(t, x.pUser); u.FailedLogins != i || !u.LockedAt.IsZero() {
			t.Fatalf("after %d wrong: %d failures, locked at %v", i, u.FailedLogins, u.LockedAt)
		}
	}
	if _, err := x.s.SessionLogin(ctx, b, "primary@example.com", loginPW); err != nil {
		t.Fatalf("the right password after 4 wrong: %v", err)
	}
	if u := x.user(t, x.pUser); u.FailedLogins != 0 {
		t.Fatalf("a right password left %d failures", u.FailedLogins)
	}
	for range access.MaxFailedLogins - 1 {
		wrong(access.ErrLogin)
	}
	now = now.Add(time.Minute)
	wrong(access.ErrLoginLocked)
	if u := x.user(t, x.pUser); u.FailedLogins != access.MaxFailedLogins || !u.LockedAt.Equal(now) {
		t.Fatalf("after 5 wrong: %d failures, locked at %v; want 5 at %v", u.FailedLogins, u.LockedAt, now)
	}
	if !strings.Contains(access.ErrLoginLocked.Error(), "locked") || domain.ErrorCode(access.ErrLoginLocked) != domain.CodeForbidden {
		t.Errorf("ErrLoginLocked = %v", access.ErrLoginLocked)
	}
	before := x.s.Checks()
	for _, pw := range []string{loginPW, "guess-guess-guess"} {
		if _, err := x.s.SessionLogin(ctx, b, "primary@example.com", pw); err != access.ErrLoginLocked {
			t.Errorf("a locked login with %q: %v, want ErrLoginLocked", pw, err)
		}
	}
	if n := x.s.Checks() - before; n != 0 {
		t.Errorf("a locked login checked %d passwords", n)
	}
	if u := x.user(t, x.pUser); u.FailedLogins != access.MaxFailedLogins {
		t.Errorf("tries on a locked login counted: %d failures", u.FailedLogins)
	}
	// The other logins of the account are not locked.
	if _, err := x.s.SessionLogin(ctx, b, "managed1@example.com", loginPW); err != nil {
		t.Errorf("another login: %v", err)
	}
	if err := x.s.UnlockLogin(ctx, "Primary@Example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := x.s.SessionLogin(ctx, b, "primary@example.com", loginPW); err != nil {
		t.Errorf("after UnlockLogin: %v", err)
	}
	if u := x.user(t, x.pUser); u.FailedLogins != 0 || !u.LockedAt.IsZero() {
		t.Errorf("after unlocking: %d failures, locked at %v", u.FailedLogins, u.LockedAt)
	}
	if err := x.s.UnlockLogin(ctx, "nobody@example.com"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("UnlockLogin of an unknown username: %v, want CodeNotFound", err)
	}
}

// Racing wrong passwords each count until the lock, and the lock stops the
// count at exactly MaxFailedLogins: of 16 at once, 4 are told the password
// is wrong and 12 that the login is locked.
func TestSessionLoginLockRace(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
	x := newBilling(t, &now)
	b := x.bearer(t, billingClient, billingSecret)
	const n = 16
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = x.s.SessionLogin(ctx, b, "primary@example.com", "guess-guess-guess") })
	}
	wg.Wait()
	var wrongs, locked int
	for _, err := range errs {
		switch err {
		case access.ErrLogin:
			wrongs++
		case access.ErrLoginLocked:
			locked++
		default:
			t.Errorf("a racing wrong password: %v", err)
		}
	}
	if u := x.user(t, x.pUser); wrongs != access.MaxFailedLogins-1 || locked != n-wrongs || u.FailedLogins != access.MaxFailedLogins || u.LockedAt.IsZero() {
		t.Errorf("%d wrong, %d locked, %d failures stored, locked at %v; want 4, 12, 5, locked", wrongs, locked, u.FailedLogins, u.LockedAt)
	}
}

// A session lives while it is used: each use moves its expiry to 20 minutes
// later; 20 idle minutes end it, with an error of its own.
func TestSessionSlidesAndExpires(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
	now := start
	x := newBilling(t, &now)
	b := x.bearer(t, billingClient, billingSecret)
	tok, err := x.s.SessionLogin(ctx, b, "primary@example.com", loginPW)
	if err != nil {
		t.Fatal(err)
	}
	// Used every 19 minutes for an hour and a half: it never expires
	// (the bearer is renewed, as it lives one hour).
	for i := 1; i <= 5; i++ {
		now = start.Add(time.Duration(i) * 19 * time.Minute)
		if i == 3 {
			b = x.bearer(t, billingClient, billingSecret)
		}
		if _, err := x.s.Session(ctx, b, tok); err != nil {
			t.Fatalf("used after %v: %v", now.Sub(start), err)
		}
		if st := storedToken(t, x.store, tok); !st.ExpiresAt.Equal(now.Add(20 * time.Minute)) {
			t.Fatalf("after a use at %v it expires %v", now, st.ExpiresAt)
		}
	}
	last := now
	now = last.Add(20*time.Minute - time.Nanosecond)
	if _, err := x.s.Session(ctx, b, tok); err != nil {
		t.Fatalf("a use just before 20 idle minutes: %v", err)
	}
	now = now.Add(20 * time.Minute)
	_, err = x.s.Session(ctx, b, tok)
	if !errors.Is(err, access.ErrSessionExpired) || domain.ErrorCode(err) != domain.CodeUnauthenticated {
		t.Fatalf("after 20 idle minutes: %v, want ErrSessionExpired", err)
	}
	// An expired session stays expired: using it does not revive it.
	if _, err := x.s.Session(ctx, b, tok); err != access.ErrSessionExpired {
		t.Errorf("used again: %v", err)
	}
	if _, err := x.s.SessionLogin(ctx, b, "primary@example.com", loginPW); err != nil {
		t.Errorf("logging in again: %v", err)
	}
}

// A session is checked with the request's bearer: another client's bearer,
// a token of another kind, an unknown token and a deleted login's session
// are refused as invalid, not expired.
func TestSessionRefusals(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
	x := newBilling(t, &now)
	b := x.bearer(t, billingClient, billingSecret)
	ob := x.bearer(t, otherBilling, otherSecret)
	tok, err := x.s.SessionLogin(ctx, b, "primary@example.com", loginPW)
	if err != nil {
		t.Fatal(err)
	}
	bearerTok, _, err := x.s.IssueBillingBearer(ctx, billingClient, billingSecret)
	if err != nil {
		t.Fatal(err)
	}
	accessTok, err := x.s.IssueAccessToken(ctx, billingClient, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		bearer domain.Principal
		token  string
		want   error
	}{
		{"another client's bearer", ob, tok, access.ErrSessionInvalid},
		{"a bearer token as the session", b, bearerTok, access.ErrSessionInvalid},
		{"an access token as the session", b, accessTok, access.ErrSessionInvalid},
		{"an unknown token", b, "bcce3ea6-fe4f-4952-bacf-eadd80718e83", access.ErrSessionInvalid},
		{"no token", b, " ", access.ErrSessionInvalid},
		{"a store API principal", domain.PartnerPrincipal(billingClient, domain.ClientCredentials), tok, access.ErrBillingBearer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := x.s.Session(ctx, tc.bearer, tc.token); err != tc.want {
				t.Errorf("Session: %v, want %v", err, tc.want)
			}
		})
	}
	if st := storedToken(t, x.store, tok); !st.ExpiresAt.Equal(now.Add(access.SessionIdle)) {
		t.Errorf("refused uses moved the session's expiry to %v", st.ExpiresAt)
	}
	if err := x.store.Update(ctx, func(tx ports.Tx) error { return tx.Users().Delete(ctx, x.primary.ID, x.pUser.ID, now) }); err != nil {
		t.Fatal(err)
	}
	if _, err := x.s.Session(ctx, b, tok); err != access.ErrSessionInvalid {
		t.Errorf("the session of a deleted login: %v, want ErrSessionInvalid", err)
	}
}

// A blocked account's credentials are refused while the block lasts, on
// issue and on use, whenever they were issued; a scheduled block takes
// effect at its instant with nothing running, and an unblock restores them.
func TestBlockedAccountsAreRefused(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
	now := start
	x := newBilling(t, &now)
	b := x.bearer(t, billingClient, billingSecret)
	session, err := x.s.SessionLogin(ctx, b, "primary@example.com", loginPW)
	if err != nil {
		t.Fatal(err)
	}
	// Seats' credentials of the same account: apiKey + alias, HTTP Basic.
	const key = "billing-client-api-key-01"
	if err := x.store.Update(ctx, func(tx ports.Tx) error {
		c, err := tx.Clients().Get(ctx, billingClient)
		if err != nil {
			return err
		}
		c.APIKeyHash = domain.HashSecret(key)
		return tx.Clients().Put(ctx, c)
	}); err != nil {
		t.Fatal(err)
	}
	acctTok, _, err := x.s.IssueAPIKeyToken(ctx, key, x.primary.Alias)
	if err != nil {
		t.Fatal(err)
	}
	partnerTok, _, err := x.s.IssueAPIKeyToken(ctx, key, "")
	if err != nil {
		t.Fatal(err)
	}
	// Blocked from 10 minutes on (a scheduled block), unblocked an hour later.
	blockAt := start.Add(10 * time.Minute)
	x.block(t, x.primary.ID, true, blockAt)
	x.block(t, x.primary.ID, false, blockAt.Add(time.Hour))

	works := func(when string) {
		t.Helper()
		if _, err := x.s.Session(ctx, b, session); err != nil {
			t.Errorf("%s: the session: %v", when, err)
		}
		if _, err := x.s.SessionLogin(ctx, b, "primary@example.com", loginPW); err != nil {
			t.Errorf("%s: a login: %v", when, err)
		}
		if _, err := x.s.Bearer(ctx, acctTok); err != nil {
			t.Errorf("%s: the account's apiKey token: %v", when, err)
		}
		if _, _, err := x.s.IssueAPIKeyToken(ctx, key, x.primary.Alias); err != nil {
			t.Errorf("%s: a new account token: %v", when, err)
		}
		if _, err := x.s.BasicUser(ctx, "primary@example.com", loginPW); err != nil {
			t.Errorf("%s: HTTP Basic: %v", when, err)
		}
	}
	refused := func(when string) {
		t.Helper()
		if _, err := x.s.Session(ctx, b, session); err != access.ErrAccountBlocked {
			t.Errorf("%s: the session: %v, want ErrAccountBlocked", when, err)
		}
		if _, err := x.s.SessionLogin(ctx, b, "primary@example.com", loginPW); err != access.ErrAccountBlocked {
			t.Errorf("%s: a login: %v, want ErrAccountBlocked", when, err)
		}
		if _, err := x.s.Bearer(ctx, acctTok); err != access.ErrAccountBlocked {
			t.Errorf("%s: the account's apiKey token: %v, want ErrAccountBlocked", when, err)
		}
		if _, _, err := x.s.IssueAPIKeyToken(ctx, key, x.primary.Alias); err != access.ErrAccountBlocked {
			t.Errorf("%s: a new account token: %v, want ErrAccountBlocked", when, err)
		}
		if _, err := x.s.BasicUser(ctx, "primary@example.com", loginPW); err != access.ErrAccountBlocked {
			t.Errorf("%s: HTTP Basic: %v, want ErrAccountBlocked", when, err)
		}
		// A wrong password learns nothing of the block.
		if _, err := x.s.SessionLogin(ctx, b, "primary@example.com", "guess-guess-guess"); err != access.ErrLogin {
			t.Errorf("%s: a wrong password: %v, want ErrLogin", when, err)
		}
		if _, err := x.s.BasicUser(ctx, "primary@example.com", "guess-guess-guess"); domain.ErrorCode(err) != domain.CodeUnauthenticated {
			t.Errorf("%s: a wrong HTTP Basic password: %v", when, err)
		}
		// The partner, its other accounts and their logins go on.
		if _, err := x.s.Bearer(ctx, partnerTok); err != nil {
			t.Errorf("%s: the partner's token: %v", when, err)
		}
		if _, err := x.s.SessionLogin(ctx, b, "managed1@example.com", loginPW); err != nil {
			t.Errorf("%s: another account's login: %v", when, err)
		}
	}
	now = blockAt.Add(-time.Nanosecond)
	works("just before the scheduled block")
	now = blockAt
	refused("at the scheduled instant")
	now = blockAt.Add(59 * time.Minute)
	// The session was not used for 59 minutes: it has expired, which is
	// told before the block.
	if _, err := x.s.Session(ctx, b, session); err != access.ErrSessionExpired {
		t.Errorf("a session idle through the block: %v, want ErrSessionExpired", err)
	}
	now = blockAt.Add(time.Hour)
	b = x.bearer(t, billingClient, billingSecret)
	if session, err = x.s.SessionLogin(ctx, b, "primary@example.com", loginPW); err != nil {
		t.Fatalf("after the unblock: %v", err)
	}
	// The apiKey token issued at the start lived its hour; a new one works.
	if acctTok, _, err = x.s.IssueAPIKeyToken(ctx, key, x.primary.Alias); err != nil {
		t.Fatalf("a new account token after the unblock: %v", err)
	}
	works("after the unblock")
	// Wrong passwords in refused() counted as failures; the logins since
	// reset them.
	if u := x.user(t, x.pUser); u.FailedLogins != 0 {
		t.Errorf("%d failures after a right password", u.FailedLogins)
	}
}

// Seed 003's X-AccessToken: issued for a partner with an expiry; an expired
// one is told from an unknown one (TOKEN_EXPIRED against INVALID_TOKEN),
// also after PurgeTokens while Options.KeepExpired lasts.
func TestAccessToken(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
	now := start
	x := newBilling(t, &now)
	expires := start.Add(48 * time.Hour)
	tok, err := x.s.IssueAccessToken(ctx, gpsPartner, expires)
	if err != nil {
		t.Fatal(err)
	}
	if st := storedToken(t, x.store, tok); st.Kind != domain.AccessToken || st.ClientID != gpsPartner || st.AccountID != 0 || !st.ExpiresAt.Equal(expires) {
		t.Errorf("stored %+v", st)
	}
	p, err := x.s.AccessToken(ctx, tok)
	if want := domain.PartnerPrincipal(gpsPartner, domain.AccessToken); err != nil || !samePrincipal(p, want) {
		t.Errorf("AccessToken = %+v, %v; want %+v", p, err, want)
	}
	bearerTok, _, err := x.s.IssueBillingBearer(ctx, billingClient, billingSecret)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, token string }{
		{"no token", ""},
		{"an unknown token", "not-a-token-of-anyone"},
		{"a billing bearer", bearerTok},
		{"the token in another case", strings.ToUpper(tok)},
	} {
		if _, err := x.s.AccessToken(ctx, tc.token); err != access.ErrTokenInvalid {
			t.Errorf("%s: %v, want ErrTokenInvalid", tc.name, err)
		}
	}
	// An access token is no bearer of another API.
	if p, err := x.s.Bearer(ctx, tok); err != nil || p.Credential != domain.AccessToken {
		t.Errorf("Bearer(access token) = %+v, %v; its kind must say what it is", p, err)
	}
	now = expires.Add(-time.Nanosecond)
	if _, err := x.s.AccessToken(ctx, tok); err != nil {
		t.Errorf("just before its expiry: %v", err)
	}
	now = expires
	if _, err := x.s.AccessToken(ctx, tok); err != access.ErrTokenExpired {
		t.Errorf("at its expiry: %v, want ErrTokenExpired", err)
	}
	// Kept a day after its expiry (KeepExpired), then purged.
	now = expires.Add(23 * time.Hour)
	if _, err := x.s.PurgeTokens(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := x.s.AccessToken(ctx, tok); err != access.ErrTokenExpired {
		t.Errorf("after a purge within KeepExpired: %v, want ErrTokenExpired", err)
	}
	now = expires.Add(25 * time.Hour)
	if n, err := x.s.PurgeTokens(ctx); err != nil || n == 0 {
		t.Fatalf("PurgeTokens = %d, %v", n, err)
	}
	if _, err := x.s.AccessToken(ctx, tok); err != access.ErrTokenInvalid {
		t.Errorf("after its purge: %v, want ErrTokenInvalid", err)
	}
}

func TestIssueAccessTokenRefusals(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
	x := newBilling(t, &now)
	for _, tc := range []struct {
		name, partner string
		expires       time.Time
		code          domain.Code
		field         string
	}{
		{"an expiry in the past", gpsPartner, now.Add(-time.Second), domain.CodeInvalid, "expires"},
		{"an expiry of now", gpsPartner, now, domain.CodeInvalid, "expires"},
		{"no partner", "", now.Add(time.Hour), domain.CodeInvalid, "partner"},
		{"a partner with a NUL", "gps\x00partner", now.Add(time.Hour), domain.CodeInvalid, "partner"},
		{"an unknown partner", "nobody", now.Add(time.Hour), domain.CodeNotFound, "partner"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := x.s.IssueAccessToken(ctx, tc.partner, tc.expires)
			de, ok := err.(*domain.Error)
			if !ok || de.Code != tc.code {
				t.Fatalf("IssueAccessToken: %v, want %s", err, tc.code)
			}
			field := de.Field
			if len(de.Violations) > 0 {
				field = de.Violations[0].Field
			}
			if field != tc.field {
				t.Errorf("the error names %q, want %q: %v", field, tc.field, err)
			}
		})
	}
	if _, err := access.New(access.Options{Store: x.store, Clock: ports.ClockFunc(time.Now), Random: rand.Reader, KeepExpired: -time.Second}); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("a negative KeepExpired: %v", err)
	}
}

// Property: for any sequence of right and wrong passwords, a login is
// refused as locked exactly from the MaxFailedLogins-th wrong password of an
// unbroken run on, whatever comes after; before that every right password
// opens a session and resets the run; the stored failures are the run's
// length. The model is the seed's sentence, the system is SessionLogin.
func TestSessionLoginLockProperty(t *testing.T) {
	ctx := context.Background()
	rapid.Check(t, func(rt *rapid.T) {
		now := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
		x := newBilling(t, &now)
		b := x.bearer(t, billingClient, billingSecret)
		tries := rapid.SliceOfN(rapid.Bool(), 1, 14).Draw(rt, "right")
		run, locked := 0, false
		for i, right := range tries {
			now = now.Add(time.Second)
			pw := "guess-guess-guess"
			if right {
				pw = loginPW
			}
			_, err := x.s.SessionLogin(ctx, b, "primary@example.com", pw)
			var want error
			switch {
			case locked:
				want = access.ErrLoginLocked
			case right:
				run = 0
			default:
				run++
				want = access.ErrLogin
				if run == access.MaxFailedLogins {
					locked, want = true, access.ErrLoginLocked
				}
			}
			if err != want {
				rt.Fatalf("try %d (right %v): %v, want %v", i+1, right, err, want)
			}
			if u := x.user(t, x.pUser); u.FailedLogins != run || u.LockedAt.IsZero() == locked {
				rt.Fatalf("after try %d: %d failures, locked at %v; want %d, locked %v", i+1, u.FailedLogins, u.LockedAt, run, locked)
			}
		}
	})
}
