package managedbilling_test

import (
	"context"
	b64 "encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/httpapi/internal/apitest"
	"github.com/entitle-rules/entitle/adapters/httpapi/managedbilling"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/adapters/sqlite"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/access"
	"github.com/entitle-rules/entitle/rules/accounts"
	"github.com/entitle-rules/entitle/rules/dataset"
	"github.com/entitle-rules/entitle/rulesets"
)

// The harness: the managed-billing API over a store holding seed 002's
// accounts, with their UWS logins, at a fixed, movable instant. Every
// answer is checked against the OpenAPI document.

// start is 2025-05-20 12:00 UTC.
var start = time.Date(2025, 5, 20, 12, 0, 0, 0, time.UTC)

const (
	sku          = "TS-LOC-COARSE-CellID-Aggr"
	clientID     = "billing-client"
	clientSecret = "example-billing-secret-change-me"
	rivalID      = "rival-billing"
	rivalSecret  = "rival-billing-secret-change-me"
	password     = "example-password-change-me"
)

// The accounts: seed 002's primary and its three managed accounts, a second
// primary of the same client, an account not registered for Location, and
// another client's primary.
const (
	primary   = "1234567890-00001"
	managed1  = "1223334444-00001"
	managed2  = "2334445555-00001"
	managed3  = "3445556666-00001"
	primary2  = "5556667777-00001"
	unreg     = "4445556666-00001"
	rivalPrim = "7778889999-00001"
)

// logins maps each account to its UWS login.
var logins = map[string]string{
	primary: "primary@example.com", managed1: "managed1@example.com", managed2: "managed2@example.com",
	managed3: "managed3@example.com", primary2: "primary2@example.com", unreg: "unreg@example.com",
	rivalPrim: "rival@example.com",
}

var data = sync.OnceValues(func() (*dataset.Dataset, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "clients:\n  - {id: %s, name: ThingSpace client, secret: %s}\n  - {id: %s, name: Another client, secret: %s}\ncompanies:\n",
		clientID, clientSecret, rivalID, rivalSecret)
	names := []string{primary, managed1, managed2, managed3, primary2, unreg, rivalPrim}
	for _, n := range names {
		partner := clientID
		if n == rivalPrim {
			partner = rivalID
		}
		fmt.Fprintf(&b, "  - {alias: %q, title: Account %s, partner: %s, createdAt: 2025-01-01T00:00:00Z}\n", n, n, partner)
	}
	b.WriteString("users:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  - {company: %q, externalId: uws, username: %s, password: %s}\n", n, logins[n], password)
	}
	return dataset.Parse([]byte(b.String()))
})

var shippedRules = sync.OnceValues(func() (*rules.Set, error) { return accounts.Language().Load(rulesets.FS) })

type harness struct {
	tb     testing.TB
	now    atomic.Int64
	store  ports.Store
	access *access.Service
	api    *httpapi.Server
	srv    *httptest.Server
	spec   *apitest.Spec
	// bare skips the OpenAPI check of each answer (benchmarks time the
	// server, not the checker).
	bare bool
	txs  atomic.Int64
}

// newHarness serves the API over store with the kit's default limits.
func newHarness(tb testing.TB, store ports.Store) *harness {
	tb.Helper()
	return newHarnessWith(tb, store, httpapi.Limits{})
}

func newHarnessWith(tb testing.TB, store ports.Store, limits httpapi.Limits) *harness {
	tb.Helper()
	h := &harness{tb: tb, store: store, spec: loadSpec(tb)}
	tb.Cleanup(func() { h.store.Close() })
	h.now.Store(start.UnixNano())
	ctx := context.Background()
	ds, err := data()
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := ds.Load(ctx, store); err != nil {
		tb.Fatal(err)
	}
	// Seed 002's fields the data file does not carry yet.
	err = store.Update(ctx, func(tx ports.Tx) error {
		for _, n := range []string{primary, managed1, managed2, managed3, primary2, rivalPrim} {
			a, err := tx.Accounts().ByAlias(ctx, n)
			if err != nil {
				return err
			}
			a.Services = []string{"Location"}
			if n == primary || n == primary2 || n == rivalPrim {
				a.SKUs = []string{sku}
			}
			if err := tx.Accounts().Put(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return h.serve(limits)
}

// serve starts a server over h.store (a second one shares it).
func (h *harness) serve(limits httpapi.Limits) *harness {
	h.tb.Helper()
	clock := ports.ClockFunc(func() time.Time { return time.Unix(0, h.now.Load()).UTC() })
	set, err := shippedRules()
	if err != nil {
		h.tb.Fatal(err)
	}
	ids := ports.IDsFunc(func() string { return fmt.Sprintf("2c90bd28-ece4-42ef-9f02-%012d", h.txs.Add(1)) })
	svc, err := accounts.New(accounts.Options{Store: h.store, Rules: set, Clock: clock, IDs: ids})
	if err != nil {
		h.tb.Fatal(err)
	}
	h.api, h.access, h.srv = apitest.Serve(h.tb, h.store, clock, limits, func(api *httpapi.Server) { managedbilling.Register(api, svc) })
	return h
}

func (h *harness) advance(d time.Duration) { h.now.Add(int64(d)) }

type reply = apitest.Reply

type req struct {
	method, path, bearer, session, body string
	contentType                         string // "" with a body: application/json
	header                              map[string]string
}

// do sends r and checks the answer against the OpenAPI document.
func (h *harness) do(r req) reply {
	h.tb.Helper()
	hdr := http.Header{}
	if r.bearer != "" {
		hdr.Set("Authorization", "Bearer "+r.bearer)
	}
	if r.session != "" {
		hdr.Set("VZ-M2M-Token", r.session)
	}
	for k, v := range r.header {
		hdr.Set(k, v)
	}
	c := apitest.Client{Server: h.srv, Spec: h.spec, Bare: h.bare}
	return c.Do(h.tb, apitest.Request{Method: r.method, Path: r.path, Body: r.body, ContentType: r.contentType, Header: hdr})
}

// bearer gets an OAuth bearer for id:secret.
func (h *harness) bearer(id, secret string) string {
	h.tb.Helper()
	r := h.token(id, secret, "grant_type=client_credentials")
	tok, _ := r.Obj()["access_token"].(string)
	if r.Status != 200 || tok == "" {
		h.tb.Fatalf("a bearer for %s: %d %s", id, r.Status, r.Raw)
	}
	return tok
}

func (h *harness) token(id, secret, form string) reply {
	h.tb.Helper()
	hdr := map[string]string{}
	if id != "" {
		hdr["Authorization"] = "Basic " + basic(id, secret)
	}
	return h.do(req{method: http.MethodPost, path: managedbilling.TokenPath, body: form, contentType: "application/x-www-form-urlencoded", header: hdr})
}

func basic(id, secret string) string {
	return base64(id + ":" + secret)
}

// login starts a session of the account's UWS login under bearer.
func (h *harness) login(bearer, account string) string {
	h.tb.Helper()
	r := h.loginAs(bearer, logins[account], password)
	tok, _ := r.Obj()["sessionToken"].(string)
	if r.Status != 200 || tok == "" {
		h.tb.Fatalf("a session of %s: %d %s", account, r.Status, r.Raw)
	}
	return tok
}

func (h *harness) loginAs(bearer, username, pass string) reply {
	h.tb.Helper()
	b, _ := json.Marshal(map[string]string{"username": username, "password": pass})
	return h.do(req{method: http.MethodPost, path: managedbilling.LoginPath, bearer: bearer, body: string(b)})
}

func (h *harness) post(bearer, session, path, body string) reply {
	h.tb.Helper()
	return h.do(req{method: http.MethodPost, path: managedbilling.Prefix + path, bearer: bearer, session: session, body: body})
}

func (h *harness) get(bearer, session, path string) reply {
	h.tb.Helper()
	return h.do(req{method: http.MethodGet, path: managedbilling.Prefix + path, bearer: bearer, session: session})
}

// link is a provision or cancel body.
func link(account, primary, tx string) string {
	return `{"accountName": "` + account + `", "paccountName": "` + primary + `", "serviceName": "Location", "type": "` + sku + `", "TxId": "` + tx + `"}`
}

// check compares an answer with its status and want (apitest.Check).
func check(tb testing.TB, r reply, status int, want string) {
	tb.Helper()
	apitest.Check(tb, r, status, want)
}

func errorBody(code, message string) string {
	b, _ := json.Marshal(map[string]string{"errorCode": code, "errorMessage": message})
	return string(b)
}

// theFault is the gateway's answer to a bad bearer.
const theFault = `{"fault": {"code": "900901", "message": "Invalid Credentials", "description": "<any>"}}`

// drivers open the stores the tests run on.
var drivers = apitest.Drivers{
	Memory: func() ports.Store { return memory.New() },
	SQLite: func(path string) (ports.Store, error) { return sqlite.Open(path, sqlite.Options{}) },
	Postgres: func(ctx context.Context, dsn, schema string) (ports.Store, error) {
		return postgres.Open(ctx, dsn, postgres.Options{Schema: schema})
	},
}

// accountID returns the id of the account named alias.
func (h *harness) account(alias string) domain.Account {
	h.tb.Helper()
	var a domain.Account
	if err := h.store.View(context.Background(), func(tx ports.Tx) (err error) {
		a, err = tx.Accounts().ByAlias(context.Background(), alias)
		return err
	}); err != nil {
		h.tb.Fatal(err)
	}
	return a
}

// loadSpec loads the document: any answer under the API's paths that no
// operation documents (an unknown path or method) must be its Error body.
func loadSpec(tb testing.TB) *apitest.Spec {
	tb.Helper()
	return apitest.LoadSpec(tb, managedbilling.OpenAPI(), apitest.SpecOptions{})
}

func base64(s string) string { return b64.StdEncoding.EncodeToString([]byte(s)) }
