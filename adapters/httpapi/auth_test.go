package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/access"
	"github.com/entitle-rules/entitle/rules/dataset"
)

// The example data set's public seats credentials (adapters/cmd/entitle/example.yaml),
// the ones the README walkthrough uses.
const (
	exampleAPIKey   = "example-api-key-change-me"
	exampleAlias    = "acme-fleet"
	exampleAdmin    = "admin@acme.example"
	examplePassword = "example-password-change-me"
)

// newSeatsKit is a kit holding the example data set.
func newSeatsKit(t *testing.T, lim httpapi.Limits) *kit {
	t.Helper()
	k := newKitLimits(t, lim)
	b, err := os.ReadFile("../cmd/entitle/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ds, err := dataset.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ds.Load(context.Background(), k.store); err != nil {
		t.Fatal(err)
	}
	return k
}

func (k *kit) acmeID(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	var a domain.Account
	if err := k.store.View(ctx, func(tx ports.Tx) error {
		var err error
		a, err = tx.Accounts().ByAlias(ctx, exampleAlias)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return strconv.FormatInt(a.ID, 10)
}

func apiKeyRequest(addr string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/api/v1/authenticate", nil)
	r.RemoteAddr = addr
	return r
}

func bearer(tok string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

func storeToken(t *testing.T, k *kit) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"c1"}, "client_secret": {"s3cret"}}.Encode()
	rec := k.serve(http.MethodPost, "/oauth/token", form, "Content-Type", "application/x-www-form-urlencoded")
	var answer struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil || answer.AccessToken == "" {
		t.Fatalf("POST /oauth/token: %d %s", rec.Code, rec.Body)
	}
	return answer.AccessToken
}

// A token works only on the API it was issued for: an Account Manager
// authToken is refused by the store API (Authenticate) and a store API
// token by the Account Manager (AuthenticateBearer with domain.APIKey).
func TestBearerKinds(t *testing.T) {
	k := newSeatsKit(t, httpapi.Limits{})
	storeTok := storeToken(t, k)
	partnerTok, expires, err := k.s.IssueAPIKeyToken(apiKeyRequest("192.0.2.1:1"), exampleAPIKey, "")
	if err != nil {
		t.Fatal(err)
	}
	if !expires.Equal(k.s.Now().Add(time.Hour)) {
		t.Errorf("the authToken expires %v", expires)
	}
	accountTok, _, err := k.s.IssueAPIKeyToken(apiKeyRequest("192.0.2.1:1"), exampleAPIKey, exampleAlias)
	if err != nil {
		t.Fatal(err)
	}
	acme := k.acmeID(t)
	for _, tc := range []struct {
		name  string
		tok   string
		auth  func(*http.Request) (*http.Request, error)
		want  domain.Principal
		valid bool
	}{
		{"a store token on the store API", storeTok, k.s.Authenticate, domain.Principal{Partner: "c1", Credential: domain.ClientCredentials}, true},
		{"a partner authToken on the store API", partnerTok, k.s.Authenticate, domain.Principal{}, false},
		{"an account authToken on the store API", accountTok, k.s.Authenticate, domain.Principal{}, false},
		{"a partner authToken on the Account Manager", partnerTok, apiKeyOnly(k), domain.Principal{Partner: "fleet-partner", Credential: domain.APIKey}, true},
		{"an account authToken on the Account Manager", accountTok, apiKeyOnly(k), domain.Principal{Partner: "fleet-partner", Account: acme, Credential: domain.APIKey}, true},
		{"a store token on the Account Manager", storeTok, apiKeyOnly(k), domain.Principal{}, false},
		{"any kind: a store token", storeTok, anyKind(k), domain.Principal{Partner: "c1", Credential: domain.ClientCredentials}, true},
		{"any kind: an authToken", accountTok, anyKind(k), domain.Principal{Partner: "fleet-partner", Account: acme, Credential: domain.APIKey}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tc.auth(bearer(tc.tok))
			p, ok := httpapi.PrincipalFrom(r.Context())
			if !tc.valid {
				if domain.ErrorCode(err) != domain.CodeUnauthenticated || err.Error() != "Authorization: Access Token Invalid" || ok {
					t.Errorf("%v (principal %+v), want CodeUnauthenticated and no principal", err, p)
				}
				return
			}
			if err != nil || !ok || p.Partner != tc.want.Partner || p.Account != tc.want.Account || p.Credential != tc.want.Credential {
				t.Errorf("%+v, %v; want %+v", p, err, tc.want)
			}
		})
	}
}

func apiKeyOnly(k *kit) func(*http.Request) (*http.Request, error) {
	return func(r *http.Request) (*http.Request, error) { return k.s.AuthenticateBearer(r, domain.APIKey) }
}

func anyKind(k *kit) func(*http.Request) (*http.Request, error) {
	return func(r *http.Request) (*http.Request, error) { return k.s.AuthenticateBearer(r) }
}

// POST /authenticate is slowed like /oauth/token: per address, and after
// five refused keys in a row from one address each try waits, 1 s, 2 s, ...
func TestAPIKeyGuessingIsSlowed(t *testing.T) {
	k := newSeatsKit(t, httpapi.Limits{TokenPerAddress: 1, TokenPerAddressBurst: 20})
	try := func(key, alias, addr string) error {
		_, _, err := k.s.IssueAPIKeyToken(apiKeyRequest(addr), key, alias)
		return err
	}
	for i := range 5 {
		err := try("guess-guess-guess", "", "192.0.2.1:1000")
		if domain.ErrorCode(err) != domain.CodeUnauthenticated || err.Error() != "apiKey: "+access.InvalidAPIKey {
			t.Fatalf("wrong key %d: %v", i+1, err)
		}
	}
	// The sixth try from that address waits, even with the right key; another
	// address does not.
	err := try(exampleAPIKey, exampleAlias, "192.0.2.1:1001")
	if d, ok := httpapi.RetryAfter(err); domain.ErrorCode(err) != domain.CodeRateLimited || !ok || d != time.Second {
		t.Fatalf("after five wrong keys: %v (retry after %v), want a one-second wait", err, d)
	}
	if err := try(exampleAPIKey, exampleAlias, "192.0.2.2:1000"); err != nil {
		t.Fatalf("another address: %v", err)
	}
	// Another partner's alias counts as a wrong key.
	k.now.Add(int64(time.Second))
	if err := try(exampleAPIKey, "nobody-s-company", "192.0.2.1:1000"); domain.ErrorCode(err) != domain.CodeUnauthenticated {
		t.Fatalf("an unknown alias after the wait: %v", err)
	}
	k.now.Add(int64(time.Second))
	if err := try(exampleAPIKey, "", "192.0.2.1:1000"); domain.ErrorCode(err) != domain.CodeRateLimited {
		t.Fatalf("one second into a two-second wait: %v", err)
	}
	k.now.Add(int64(time.Second))
	if err := try(exampleAPIKey, "", "192.0.2.1:1000"); err != nil {
		t.Fatalf("the right key after the wait: %v", err)
	}
	// One address gets its burst, then one a second.
	for i := range 20 {
		if err := try(exampleAPIKey, "", "198.51.100.7:1"); err != nil {
			t.Fatalf("request %d of the burst: %v", i+1, err)
		}
	}
	err = try(exampleAPIKey, "", "198.51.100.7:2")
	if de, ok := err.(*domain.Error); !ok || de.Code != domain.CodeRateLimited || de.Message != "too many authenticate requests from this address; retry later" {
		t.Fatalf("past the burst: %v", err)
	}
	k.now.Add(int64(time.Second))
	if err := try(exampleAPIKey, "", "198.51.100.7:2"); err != nil {
		t.Fatalf("a second later: %v", err)
	}
}

func basic(user, pass, addr string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/api/v2/licenseAssignments", nil)
	r.SetBasicAuth(user, pass)
	r.RemoteAddr = addr
	return r
}

// Seed 004: the example's account admin logs in with HTTP Basic and gets
// its account, user and roles; bad credentials are refused alike.
func TestAuthenticateBasic(t *testing.T) {
	k := newSeatsKit(t, httpapi.Limits{})
	r, err := k.s.AuthenticateBasic(basic(exampleAdmin, examplePassword, "192.0.2.1:1"))
	p, ok := httpapi.PrincipalFrom(r.Context())
	if err != nil || !ok || p.Partner != "fleet-partner" || p.Account != k.acmeID(t) || p.User == "" ||
		!p.HasRole(domain.AccountAdmin) || p.Credential != domain.BasicUser {
		t.Fatalf("AuthenticateBasic = %+v, %v", p, err)
	}
	noAuth := httptest.NewRequest(http.MethodGet, "/api/v2/licenseAssignments", nil)
	bearerOnly := bearer("some-token")
	for name, req := range map[string]*http.Request{
		"a wrong password":         basic(exampleAdmin, "guess-guess-guess", "192.0.2.2:1"),
		"an unknown username":      basic("nobody@acme.example", examplePassword, "192.0.2.3:1"),
		"no credentials":           noAuth,
		"a bearer token":           bearerOnly,
		"an empty password":        basic(exampleAdmin, "", "192.0.2.4:1"),
		"a NUL in the username":    basic(exampleAdmin+"\x00", examplePassword, "192.0.2.5:1"),
		"a partner apiKey as user": basic("fleet-partner", exampleAPIKey, "192.0.2.6:1"),
	} {
		r, err := k.s.AuthenticateBasic(req)
		if _, ok := httpapi.PrincipalFrom(r.Context()); domain.ErrorCode(err) != domain.CodeUnauthenticated || ok {
			t.Errorf("%s: %v, want CodeUnauthenticated and no principal", name, err)
		}
	}
	rec := httptest.NewRecorder()
	httpapi.SetBasicChallenge(rec)
	if got := rec.Header().Get("WWW-Authenticate"); got != `Basic realm="entitle", charset="UTF-8"` {
		t.Errorf("WWW-Authenticate %q", got)
	}
}

// Password guessing is slowed per username and per address, before any
// password is checked; a right password clears both.
func TestBasicGuessingIsSlowed(t *testing.T) {
	k := newSeatsKit(t, httpapi.Limits{})
	try := func(user, pass, addr string) error {
		_, err := k.s.AuthenticateBasic(basic(user, pass, addr))
		return err
	}
	// Five wrong passwords for the admin, from five addresses.
	for i := range 5 {
		if err := try(exampleAdmin, "guess-guess-guess", "192.0.2."+strconv.Itoa(i+1)+":1"); domain.ErrorCode(err) != domain.CodeUnauthenticated {
			t.Fatalf("wrong password %d: %v", i+1, err)
		}
	}
	// The username waits, whatever the address, the case of the name or
	// the spaces around it.
	err := try(" ADMIN@acme.example ", examplePassword, "192.0.2.99:1")
	if d, ok := httpapi.RetryAfter(err); domain.ErrorCode(err) != domain.CodeRateLimited || !ok || d != time.Second {
		t.Fatalf("after five wrong passwords: %v (retry after %v)", err, d)
	}
	k.now.Add(int64(time.Second))
	if err := try(exampleAdmin, examplePassword, "192.0.2.99:1"); err != nil {
		t.Fatalf("the right password after the wait: %v", err)
	}
	if err := try(exampleAdmin, "guess-guess-guess", "192.0.2.99:1"); domain.ErrorCode(err) != domain.CodeUnauthenticated {
		t.Fatalf("a success forgets the failures: %v", err)
	}
	// One address trying five usernames waits too, even for the right one.
	for i := range 5 {
		if err := try("user"+strconv.Itoa(i)+"@acme.example", "guess-guess-guess", "203.0.113.9:1"); domain.ErrorCode(err) != domain.CodeUnauthenticated {
			t.Fatalf("unknown username %d: %v", i+1, err)
		}
	}
	if err := try(exampleAdmin, examplePassword, "203.0.113.9:2"); domain.ErrorCode(err) != domain.CodeRateLimited {
		t.Fatalf("an address after five unknown usernames: %v", err)
	}
}

// The request rate is kept per partner for partner-wide principals and per
// account for account-scoped ones.
func TestRatePerAccount(t *testing.T) {
	k := newSeatsKit(t, httpapi.Limits{PerClient: 1, PerClientBurst: 1})
	partnerTok, _, err := k.s.IssueAPIKeyToken(apiKeyRequest("192.0.2.1:1"), exampleAPIKey, "")
	if err != nil {
		t.Fatal(err)
	}
	accountTok, _, err := k.s.IssueAPIKeyToken(apiKeyRequest("192.0.2.1:1"), exampleAPIKey, exampleAlias)
	if err != nil {
		t.Fatal(err)
	}
	auth := func(tok string) error {
		_, err := k.s.AuthenticateBearer(bearer(tok), domain.APIKey)
		return err
	}
	if err := auth(partnerTok); err != nil {
		t.Fatal(err)
	}
	if err := auth(accountTok); err != nil {
		t.Errorf("the account's first request after its partner's: %v", err)
	}
	if err := auth(partnerTok); domain.ErrorCode(err) != domain.CodeRateLimited {
		t.Errorf("the partner's second request: %v, want CodeRateLimited", err)
	}
	if _, err := k.s.AuthenticateBasic(basic(exampleAdmin, examplePassword, "192.0.2.1:1")); domain.ErrorCode(err) != domain.CodeRateLimited {
		t.Errorf("the account's user, sharing the account's rate: %v, want CodeRateLimited", err)
	}
}
