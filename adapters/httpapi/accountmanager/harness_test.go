package accountmanager_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/httpapi/accountmanager"
	"github.com/entitle-rules/entitle/adapters/internal/pgtest"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/adapters/sqlite"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/access"
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

var loadData = sync.OnceValues(func() (*dataset.Dataset, error) {
	b, err := os.ReadFile("../../cmd/entitle/example.yaml")
	if err != nil {
		return nil, err
	}
	ds, err := dataset.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("example.yaml: %w", err)
	}
	rival, err := dataset.Parse([]byte(rivalData))
	if err != nil {
		return nil, fmt.Errorf("rivalData: %w", err)
	}
	return ds.Merge(rival), nil
})

var shippedRules = sync.OnceValues(func() (*rules.Set, error) { return seats.Language().Load(rulesets.FS) })

type harness struct {
	tb    testing.TB
	now   atomic.Int64
	store ports.Store
	svc   *seats.Service
	api   *httpapi.Server
	srv   *httptest.Server
	spec  *spec
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
	acc, err := access.New(access.Options{Store: h.store, Clock: clock, Random: rand.Reader})
	if err != nil {
		tb.Fatal(err)
	}
	h.api = httpapi.New(httpapi.Options{Store: h.store, Clock: clock, Access: acc, Limits: limits})
	accountmanager.Register(h.api, h.svc)
	h.srv = httptest.NewServer(h.api)
	tb.Cleanup(h.srv.Close)
	return h
}

func (h *harness) advance(d time.Duration) { h.now.Add(int64(d)) }

// reply is an answer: status, headers, raw body, and the body decoded.
type reply struct {
	status int
	header http.Header
	raw    string
	body   any
}

// obj returns the body as a JSON object (nil when it is not one).
func (r reply) obj() map[string]any { m, _ := r.body.(map[string]any); return m }

// req describes a request.
type req struct {
	method, path, token, body string
	contentType               string // "" with a body: application/json
	header                    map[string]string
}

// do sends r and checks the answer against the OpenAPI document.
func (h *harness) do(r req) reply {
	h.tb.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr, err := http.NewRequest(r.method, h.srv.URL+r.path, body)
	if err != nil {
		h.tb.Fatal(err)
	}
	if r.body != "" || r.contentType != "" {
		ct := r.contentType
		if ct == "" {
			ct = "application/json"
		}
		hr.Header.Set("Content-Type", ct)
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	resp, err := h.srv.Client().Do(hr)
	if err != nil {
		h.tb.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.tb.Fatal(err)
	}
	out := reply{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	if err := json.Unmarshal(b, &out.body); err != nil {
		h.tb.Errorf("%s %s: the answer is not JSON (%v): %q", r.method, r.path, err, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		h.tb.Errorf("%s %s: Content-Type %q", r.method, r.path, ct)
	}
	h.spec.check(h.tb, hr, resp.StatusCode, resp.Header, b)
	return out
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
	tok, _ := r.obj()["token"].(string)
	if r.status != http.StatusOK || tok == "" {
		h.tb.Fatalf("authenticate %s %s: %d %s", key, alias, r.status, r.raw)
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

// check compares an answer with its status and want, the expected body as
// JSON text. In want, "<id>" stands for a positive whole number and
// "<any>" for any value; every other value is compared exactly.
func check(tb testing.TB, r reply, status int, want string) {
	tb.Helper()
	if r.status != status {
		tb.Errorf("status %d, want %d; body %s", r.status, status, r.raw)
	}
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		tb.Fatalf("the expected body is not JSON: %v\n%s", err, want)
	}
	got := normalize(tb, w, r.body)
	if d := cmp.Diff(w, got); d != "" {
		tb.Errorf("body mismatch (-want +got):\n%s\nraw: %s", d, r.raw)
	}
}

// normalize returns got with the values want marks "<id>" or "<any>"
// replaced by the marks, when they fit.
func normalize(tb testing.TB, want, got any) any {
	switch w := want.(type) {
	case string:
		switch w {
		case "<any>":
			return w
		case "<id>":
			if n, ok := got.(float64); ok && n > 0 && n == float64(int64(n)) {
				return w
			}
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return got
		}
		out := make(map[string]any, len(g))
		for k, v := range g {
			if wv, ok := w[k]; ok {
				out[k] = normalize(tb, wv, v)
			} else {
				out[k] = v
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok {
			return got
		}
		out := make([]any, len(g))
		for i, v := range g {
			if i < len(w) {
				out[i] = normalize(tb, w[i], v)
			} else {
				out[i] = v
			}
		}
		return out
	}
	return got
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

// testStores opens each store a test runs on: memory, SQLite, and
// PostgreSQL when ENTITLE_POSTGRES_DSN is set (a database that cannot be
// reached then fails the test, never skips it).
func testStores() map[string]func(*testing.T) ports.Store {
	stores := map[string]func(*testing.T) ports.Store{
		"memory": func(*testing.T) ports.Store { return memory.New() },
		"sqlite": func(t *testing.T) ports.Store {
			s, err := sqlite.Open(filepath.Join(t.TempDir(), "entitle.db"), sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
	if dsn := os.Getenv("ENTITLE_POSTGRES_DSN"); dsn != "" {
		stores["postgres"] = func(t *testing.T) ports.Store {
			s, err := postgres.Open(t.Context(), dsn, postgres.Options{Schema: pgtest.Schema(t, dsn)})
			if err != nil {
				t.Fatalf("ENTITLE_POSTGRES_DSN is set but the store does not open: %v", err)
			}
			return s
		}
	}
	return stores
}
