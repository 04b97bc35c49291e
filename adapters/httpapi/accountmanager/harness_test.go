package accountmanager_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/httpapi/accountmanager"
	"github.com/entitle-rules/entitle/adapters/httpapi/internal/apitest"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/adapters/sqlite"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/dataset"
	"github.com/entitle-rules/entitle/rules/seats"
	"github.com/entitle-rules/entitle/rulesets"
)

// The harness: the Account Manager API over a store, the shipped seats
// rules, the example data set and a second partner, at a fixed, movable
// instant. Every answer is checked against the OpenAPI document.

// start is 2025-04-24 17:00 UTC.
var start = time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)

const (
	apiKey      = "example-api-key-change-me" // fleet-partner's, in example.yaml
	rivalAPIKey = "rival-api-key-change-me"
	tapClient   = "tap-client"
	tapSecret   = "example-secret-change-me"
)

// rivalData is a second partner with a company of its own.
const rivalData = `
clients:
  - {id: rival-partner, name: Rival partner, apiKey: ` + rivalAPIKey + `}
companies:
  - {alias: rival-fleet, title: Rival Fleet, partner: rival-partner}
users:
  - {company: rival-fleet, externalId: rival-driver}
licenses:
  - {company: rival-fleet, productId: CoPilot, seats: 2, registered: 2025-01-01, expires: 2030-12-31}
`

var loadData = sync.OnceValues(func() (*dataset.Dataset, error) { return apitest.ExampleData(rivalData) })

var shippedRules = sync.OnceValues(func() (*rules.Set, error) { return seats.Language().Load(rulesets.FS) })

type harness struct {
	tb     testing.TB
	now    atomic.Int64
	store  ports.Store
	svc    *seats.Service
	api    *httpapi.Server
	srv    *httptest.Server
	spec   *apitest.Spec
	client *apitest.Client
}

// newHarness serves the API over store (nil: a new memory store) with the
// rule files in rulesFS (nil: the shipped ones).
func newHarness(tb testing.TB, store ports.Store, rulesFS fs.FS) *harness {
	tb.Helper()
	return newHarnessWith(tb, store, rulesFS, httpapi.Limits{})
}

// newHarnessWith is newHarness with the server's limits.
func newHarnessWith(tb testing.TB, store ports.Store, rulesFS fs.FS, limits httpapi.Limits) *harness {
	tb.Helper()
	if store == nil {
		store = memory.New()
	}
	h := &harness{tb: tb, store: store, spec: loadSpec(tb)}
	tb.Cleanup(func() { h.store.Close() })
	h.now.Store(start.UnixNano())
	clock := ports.ClockFunc(func() time.Time { return time.Unix(0, h.now.Load()).UTC() })
	set, err := shippedRules()
	if rulesFS != nil {
		set, err = seats.Language().Load(rulesFS)
	}
	if err != nil {
		tb.Fatal(err)
	}
	ds, err := loadData()
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := ds.Load(context.Background(), h.store); err != nil {
		tb.Fatal(err)
	}
	if h.svc, err = seats.New(seats.Options{Store: h.store, Rules: set, Clock: clock}); err != nil {
		tb.Fatal(err)
	}
	h.api, _, h.srv = apitest.Serve(tb, h.store, clock, limits, func(api *httpapi.Server) { accountmanager.Register(api, h.svc) })
	h.client = &apitest.Client{Server: h.srv, Spec: h.spec}
	return h
}

func (h *harness) advance(d time.Duration) { h.now.Add(int64(d)) }

type reply = apitest.Reply

// req describes a request.
type req struct {
	method, path, token, body string
	contentType               string // "" with a body: application/json
	header                    map[string]string
}

// do sends r and checks the answer against the OpenAPI document.
func (h *harness) do(r req) reply {
	h.tb.Helper()
	hdr := http.Header{}
	if r.token != "" {
		hdr.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		hdr.Set(k, v)
	}
	return h.client.Do(h.tb, apitest.Request{Method: r.method, Path: r.path, Body: r.body, ContentType: r.contentType, Header: hdr})
}

func (h *harness) post(token, path, body string) reply {
	h.tb.Helper()
	return h.do(req{method: http.MethodPost, path: path, token: token, body: body})
}

func (h *harness) get(token, path string) reply {
	h.tb.Helper()
	return h.do(req{method: http.MethodGet, path: path, token: token})
}

func (h *harness) put(token, path, body string) reply {
	h.tb.Helper()
	return h.do(req{method: http.MethodPut, path: path, token: token, body: body})
}

func (h *harness) del(token, path, body string) reply {
	h.tb.Helper()
	return h.do(req{method: http.MethodDelete, path: path, token: token, body: body})
}

// authenticate gets a token: partner scope with alias "", else account scope.
func (h *harness) authenticate(key, alias string) string {
	h.tb.Helper()
	body := map[string]string{"apiKey": key}
	if alias != "" {
		body["alias"] = alias
	}
	b, _ := json.Marshal(body)
	r := h.post("", "/api/v1/authenticate", string(b))
	tok, _ := r.Obj()["token"].(string)
	if r.Status != http.StatusOK || tok == "" {
		h.tb.Fatalf("authenticate %s %s: %d %s", key, alias, r.Status, r.Raw)
	}
	return tok
}

// storeToken gets a store API (client_credentials) token.
func (h *harness) storeToken() string {
	h.tb.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {tapClient}, "client_secret": {tapSecret}}
	resp, err := h.srv.Client().PostForm(h.srv.URL+"/oauth/token", form)
	if err != nil {
		h.tb.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		h.tb.Fatalf("a store API token: %v", err)
	}
	return tok.AccessToken
}

// check compares an answer with its status and want (apitest.Check).
func check(tb testing.TB, r reply, status int, want string) {
	tb.Helper()
	apitest.Check(tb, r, status, want)
}

// errorBody is the envelope of an error answer, with any requestId.
func errorBody(code, field, message string) string {
	e := map[string]any{"code": code, "message": message, "requestId": "<id>"}
	if field != "" {
		e["field"] = field
	}
	b, _ := json.Marshal(map[string]any{"error": e})
	return string(b)
}

// drivers open the stores the tests run on.
var drivers = apitest.Drivers{
	Memory: func() ports.Store { return memory.New() },
	SQLite: func(path string) (ports.Store, error) { return sqlite.Open(path, sqlite.Options{}) },
	Postgres: func(ctx context.Context, dsn, schema string) (ports.Store, error) {
		return postgres.Open(ctx, dsn, postgres.Options{Schema: schema})
	},
}
