package httpapi_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/access"
)

// The example data set's public accounts credentials (example.yaml).
const (
	exampleBillingClient = "billing-client"
	exampleBillingSecret = "example-billing-secret-change-me"
	examplePrimaryLogin  = "primary@example.com"
	exampleAccessToken   = "example-access-token-change-me"
)

func addrRequest(target, addr string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, nil)
	r.RemoteAddr = addr
	return r
}

// billingBearer issues the example's billing bearer and returns it.
func billingBearer(t *testing.T, k *kit) string {
	t.Helper()
	tok, _, err := k.s.IssueBillingBearer(addrRequest("/api/ts/v1/oauth2/token", "192.0.2.200:1"), exampleBillingClient, exampleBillingSecret)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// login opens a session of username with the bearer, from addr.
func login(k *kit, bearerTok, username, password, addr string) (string, error) {
	r := addrRequest("/api/m2m/v1/session/login", addr)
	r.Header.Set("Authorization", "Bearer "+bearerTok)
	r, err := k.s.AuthenticateBillingBearer(r)
	if err != nil {
		return "", err
	}
	return k.s.SessionLogin(r, username, password)
}

func billingRequest(bearerTok, session string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/api/subsc/v1/managedaccounts/actions/add", nil)
	if bearerTok != "" {
		r.Header.Set("Authorization", "Bearer "+bearerTok)
	}
	if session != "" {
		r.Header.Set("VZ-M2M-Token", session)
	}
	return r
}

func (k *kit) accountID(t *testing.T, alias string) int64 {
	t.Helper()
	ctx := context.Background()
	var a domain.Account
	if err := k.store.View(ctx, func(tx ports.Tx) error {
		var err error
		a, err = tx.Accounts().ByAlias(ctx, alias)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// Seed 002's credentials, end to end through the kit: the OAuth bearer,
// the session login with it, and every managed-billing call with both.
func TestManagedBillingCredentials(t *testing.T) {
	k := newSeatsKit(t, httpapi.Limits{})
	tok, expires, err := k.s.IssueBillingBearer(addrRequest("/api/ts/v1/oauth2/token", "192.0.2.1:1"), exampleBillingClient, exampleBillingSecret)
	if err != nil || !expires.Equal(time.Unix(0, k.now.Load()).Add(time.Hour)) {
		t.Fatalf("IssueBillingBearer = %q, %v, %v", tok, expires, err)
	}
	session, err := login(k, tok, examplePrimaryLogin, examplePassword, "192.0.2.1:2")
	if err != nil {
		t.Fatal(err)
	}
	r, err := k.s.AuthenticateBilling(billingRequest(tok, session))
	p, ok := httpapi.PrincipalFrom(r.Context())
	primary := strconv.FormatInt(k.accountID(t, "1234567890-00001"), 10)
	if err != nil || !ok || p.Partner != exampleBillingClient || p.Account != primary || p.User == "" || p.Credential != domain.Session {
		t.Fatalf("AuthenticateBilling = %+v, %v", p, err)
	}
	// Each managed account logs in with its own login.
	for i, alias := range []string{"1223334444-00001", "2334445555-00001", "3445556666-00001"} {
		s, err := login(k, tok, "managed"+strconv.Itoa(i+1)+"@example.com", examplePassword, "192.0.2.1:3")
		if err != nil {
			t.Fatalf("managed login %d: %v", i+1, err)
		}
		r, err := k.s.AuthenticateBilling(billingRequest(tok, s))
		if p, _ := httpapi.PrincipalFrom(r.Context()); err != nil || p.Account != strconv.FormatInt(k.accountID(t, alias), 10) {
			t.Errorf("the session of %s: %+v, %v", alias, p, err)
		}
	}
	storeTok := storeToken(t, k)
	for name, tc := range map[string]struct {
		req  *http.Request
		want error
	}{
		"no session":                          {billingRequest(tok, ""), access.ErrSessionInvalid},
		"an unknown session":                  {billingRequest(tok, "bcce3ea6-fe4f-4952-bacf-eadd80718e83"), access.ErrSessionInvalid},
		"the bearer as the session":           {billingRequest(tok, tok), access.ErrSessionInvalid},
		"the example's access token":          {billingRequest(tok, exampleAccessToken), access.ErrSessionInvalid},
		"no bearer":                           {billingRequest("", session), nil},
		"a store API token as the bearer":     {billingRequest(storeTok, session), nil},
		"the session as the bearer":           {billingRequest(session, session), nil},
		"a store API token to the login page": {nil, nil},
	} {
		t.Run(name, func(t *testing.T) {
			if tc.req == nil {
				if _, err := login(k, storeTok, examplePrimaryLogin, examplePassword, "192.0.2.1:4"); domain.ErrorCode(err) != domain.CodeUnauthenticated {
					t.Errorf("a session login with a store API token: %v", err)
				}
				return
			}
			r, err := k.s.AuthenticateBilling(tc.req)
			if _, ok := httpapi.PrincipalFrom(r.Context()); ok {
				t.Error("a refused request has a principal")
			}
			if tc.want != nil && err != tc.want {
				t.Errorf("AuthenticateBilling: %v, want %v", err, tc.want)
			}
			if de, ok := err.(*domain.Error); tc.want == nil && (!ok || de.Code != domain.CodeUnauthenticated || de.Field != "Authorization") {
				t.Errorf("AuthenticateBilling: %v, want CodeUnauthenticated naming Authorization", err)
			}
		})
	}
	// Used within 20 minutes the session lives on; 20 idle minutes end it.
	k.now.Add(int64(19 * time.Minute))
	if _, err := k.s.AuthenticateBilling(billingRequest(tok, session)); err != nil {
		t.Fatalf("after 19 minutes: %v", err)
	}
	k.now.Add(int64(19 * time.Minute))
	if _, err := k.s.AuthenticateBilling(billingRequest(tok, session)); err != nil {
		t.Fatalf("19 minutes after its last use: %v", err)
	}
	k.now.Add(int64(20 * time.Minute))
	tok = billingBearer(t, k) // the first bearer lived its hour
	if _, err := k.s.AuthenticateBilling(billingRequest(tok, session)); !errors.Is(err, access.ErrSessionExpired) {
		t.Fatalf("after 20 idle minutes: %v, want ErrSessionExpired", err)
	}
}

// The bearer's grant is slowed as /oauth/token is, per client id and per
// address; the session login per username and per address, on top of the
// login's own lock after 5 wrong passwords.
func TestManagedBillingGuessingIsSlowed(t *testing.T) {
	k := newSeatsKit(t, httpapi.Limits{TokenPerAddress: 1, TokenPerAddressBurst: 50})
	grant := func(secret, addr string) error {
		_, _, err := k.s.IssueBillingBearer(addrRequest("/api/ts/v1/oauth2/token", addr), exampleBillingClient, secret)
		return err
	}
	for i := range 5 {
		if err := grant("guess-guess-guess", "192.0.2."+strconv.Itoa(i+1)+":1"); domain.ErrorCode(err) != domain.CodeUnauthenticated {
			t.Fatalf("wrong secret %d: %v", i+1, err)
		}
	}
	err := grant(exampleBillingSecret, "192.0.2.99:1")
	if d, ok := httpapi.RetryAfter(err); domain.ErrorCode(err) != domain.CodeRateLimited || !ok || d != time.Second {
		t.Fatalf("the client id after five wrong secrets: %v (retry after %v)", err, d)
	}
	k.now.Add(int64(time.Second))
	if err := grant(exampleBillingSecret, "192.0.2.99:1"); err != nil {
		t.Fatalf("the right secret after the wait: %v", err)
	}

	tok := billingBearer(t, k)
	for i := range 5 {
		_, err := login(k, tok, examplePrimaryLogin, "guess-guess-guess", "198.51.100."+strconv.Itoa(i+1)+":1")
		if want := map[bool]error{false: access.ErrLogin, true: access.ErrLoginLocked}[i == 4]; err != want {
			t.Fatalf("wrong password %d: %v, want %v", i+1, err, want)
		}
	}
	// The username waits, whatever the address and the case of the name.
	_, err = login(k, tok, "PRIMARY@example.com", examplePassword, "198.51.100.99:1")
	if d, ok := httpapi.RetryAfter(err); domain.ErrorCode(err) != domain.CodeRateLimited || !ok || d != time.Second {
		t.Fatalf("after five wrong passwords: %v (retry after %v)", err, d)
	}
	// After the wait, the store's lock holds on every server: the right
	// password is refused as locked.
	k.now.Add(int64(time.Second))
	if _, err := login(k, tok, examplePrimaryLogin, examplePassword, "198.51.100.99:1"); err != access.ErrLoginLocked {
		t.Fatalf("the right password on a locked login: %v, want ErrLoginLocked", err)
	}
	// One address guessing five usernames waits too, even for a right one.
	for i := range 5 {
		if _, err := login(k, tok, "nobody"+strconv.Itoa(i)+"@example.com", examplePassword, "203.0.113.7:1"); err != access.ErrLogin {
			t.Fatalf("unknown username %d: %v", i+1, err)
		}
	}
	if _, err := login(k, tok, "managed1@example.com", examplePassword, "203.0.113.7:2"); domain.ErrorCode(err) != domain.CodeRateLimited {
		t.Fatalf("an address after five unknown usernames: %v", err)
	}
	if _, err := login(k, tok, "managed1@example.com", examplePassword, "203.0.113.8:1"); err != nil {
		t.Fatalf("another address: %v", err)
	}
	// SessionLogin needs AuthenticateBillingBearer first.
	if _, err := k.s.SessionLogin(addrRequest("/api/m2m/v1/session/login", "203.0.113.9:1"), "managed1@example.com", examplePassword); err != access.ErrBillingBearer {
		t.Errorf("SessionLogin without a bearer: %v, want ErrBillingBearer", err)
	}
}

// A blocked account's session is refused while the block lasts.
func TestManagedBillingBlockedAccount(t *testing.T) {
	k := newSeatsKit(t, httpapi.Limits{})
	tok := billingBearer(t, k)
	session, err := login(k, tok, "managed1@example.com", examplePassword, "192.0.2.1:1")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Unix(0, k.now.Load())
	if err := k.store.Update(ctx, func(tx ports.Tx) error {
		a, err := tx.Accounts().ByAlias(ctx, "1223334444-00001")
		if err != nil {
			return err
		}
		a.Blocks = append(a.Blocks, domain.BlockRecord{Blocked: true, At: now.Add(time.Minute)})
		return tx.Accounts().Put(ctx, a)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.s.AuthenticateBilling(billingRequest(tok, session)); err != nil {
		t.Fatalf("before the scheduled block: %v", err)
	}
	k.now.Add(int64(time.Minute))
	if _, err := k.s.AuthenticateBilling(billingRequest(tok, session)); err != access.ErrAccountBlocked {
		t.Fatalf("at the scheduled block: %v, want ErrAccountBlocked", err)
	}
	if _, err := login(k, tok, "managed1@example.com", examplePassword, "192.0.2.1:1"); err != access.ErrAccountBlocked {
		t.Fatalf("a login of a blocked account: %v, want ErrAccountBlocked", err)
	}
}

// Seed 003's X-AccessToken: the example partner's token admits it; an
// expired token is TOKEN_EXPIRED's error, an unknown one INVALID_TOKEN's.
func TestAuthenticateAccessToken(t *testing.T) {
	k := newSeatsKit(t, httpapi.Limits{})
	req := func(tok string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/partner/accounts/count", nil)
		if tok != "" {
			r.Header.Set("X-AccessToken", tok)
		}
		return r
	}
	r, err := k.s.AuthenticateAccessToken(req(exampleAccessToken))
	p, ok := httpapi.PrincipalFrom(r.Context())
	if err != nil || !ok || p.Partner != "gps-partner" || p.Account != "" || p.Credential != domain.AccessToken {
		t.Fatalf("AuthenticateAccessToken = %+v, %v", p, err)
	}
	clock := ports.ClockFunc(func() time.Time { return time.Unix(0, k.now.Load()) })
	acc, err := access.New(access.Options{Store: k.store, Clock: clock, Random: rand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	short, err := acc.IssueAccessToken(context.Background(), "gps-partner", clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.s.AuthenticateAccessToken(req(short)); err != nil {
		t.Fatalf("a fresh token: %v", err)
	}
	k.now.Add(int64(time.Hour))
	for name, tc := range map[string]struct {
		tok  string
		want error
	}{
		"an expired token":          {short, access.ErrTokenExpired},
		"an unknown token":          {"not-a-token-of-anyone", access.ErrTokenInvalid},
		"no token":                  {"", access.ErrTokenInvalid},
		"a billing bearer as token": {billingBearer(t, k), access.ErrTokenInvalid},
	} {
		r, err := k.s.AuthenticateAccessToken(req(tc.tok))
		if _, ok := httpapi.PrincipalFrom(r.Context()); err != tc.want || ok {
			t.Errorf("%s: %v, want %v and no principal", name, err, tc.want)
		}
	}
	if _, err := k.s.AuthenticateAccessToken(req(exampleAccessToken)); err != nil {
		t.Errorf("the example's token (expires 2099): %v", err)
	}
}

// A blocked company's seats credentials are refused through the kit too: a
// new account token, one issued before the block, HTTP Basic; the partner's
// own token goes on. The refusal is CodeForbidden (403), not a wrong
// password, so it never slows the login down.
func TestBlockedCompanyCredentials(t *testing.T) {
	k := newSeatsKit(t, httpapi.Limits{})
	before, _, err := k.s.IssueAPIKeyToken(apiKeyRequest("192.0.2.1:1"), exampleAPIKey, exampleAlias)
	if err != nil {
		t.Fatal(err)
	}
	partner, _, err := k.s.IssueAPIKeyToken(apiKeyRequest("192.0.2.1:1"), exampleAPIKey, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := k.store.Update(ctx, func(tx ports.Tx) error {
		a, err := tx.Accounts().ByAlias(ctx, exampleAlias)
		if err != nil {
			return err
		}
		a.Blocks = append(a.Blocks, domain.BlockRecord{Blocked: true, At: time.Unix(0, k.now.Load())})
		return tx.Accounts().Put(ctx, a)
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := k.s.IssueAPIKeyToken(apiKeyRequest("192.0.2.1:1"), exampleAPIKey, exampleAlias); err != access.ErrAccountBlocked {
		t.Errorf("a new account token: %v, want ErrAccountBlocked", err)
	}
	if _, err := k.s.AuthenticateBearer(bearer(before), domain.APIKey); err != access.ErrAccountBlocked {
		t.Errorf("a token issued before the block: %v, want ErrAccountBlocked", err)
	}
	if _, err := k.s.AuthenticateBearer(bearer(partner), domain.APIKey); err != nil {
		t.Errorf("the partner's token: %v", err)
	}
	for i := range 6 {
		if _, err := k.s.AuthenticateBasic(basic(exampleAdmin, examplePassword, "192.0.2.9:1")); err != access.ErrAccountBlocked || domain.ErrorCode(err) != domain.CodeForbidden {
			t.Fatalf("HTTP Basic %d: %v, want ErrAccountBlocked", i+1, err)
		}
	}
}
