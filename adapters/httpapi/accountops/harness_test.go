package accountops_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/google/go-cmp/cmp"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/httpapi/accountops"
	"github.com/entitle-rules/entitle/adapters/internal/pgtest"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/adapters/sqlite"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/access"
	"github.com/entitle-rules/entitle/rules/accounts"
	"github.com/entitle-rules/entitle/rulesets"
)

// The harness: the account operations API over a store holding seed 003's
// accounts of two partners, at a fixed, movable instant (four days before
// the seed's blocked_at). Every answer is checked against the OpenAPI
// document.

var (
	start   = time.Date(2025, 5, 20, 12, 0, 0, 0, time.UTC)
	created = time.Date(2025, 1, 10, 9, 30, 0, 0, time.UTC)
)

// seedBlockedAt is seed 003's blocked_at: 2025-05-24 21:00 UTC.
const seedBlockedAt = 1748120400

// The app ids of seed 003.
const (
	forguard = "b901da51-ce00-4af2-b978-8d0fca8ae1ea"
	ruhavik  = "5a5ca87f-7cbe-4540-ab5d-77bf4bf69884"
)

// accountsOf are the accounts: gps-partner's Forguard account 11111 (the
// seed's block examples), its account 111111 with Ruhavik and Forguard (the
// seed's plan example and premium subscription), a Forguard account never
// activated, a second Forguard account, and another partner's account.
func accountsOf() []domain.Account {
	return []domain.Account{
		{ID: 11111, PartnerID: "gps-partner", Alias: "forguard-11111", Title: "Forguard 11111", Description: "a fleet",
			Type: domain.AccountManaged, Activated: true, ActivatedAt: created, AddedAt: created, CreatedAt: created,
			RegApps: []string{forguard}, Plans: map[string]string{forguard: "52ffXXXXXXXXXXXXdc89"},
			Limits: map[string]domain.Limits{forguard: {Units: 10, Geofences: 15, Users: 1, Triggers: 10}}},
		{ID: 111111, PartnerID: "gps-partner", Alias: "ruhavik-111111", Title: "Ruhavik 111111", Type: domain.AccountSelfRegistered,
			Activated: true, ActivatedAt: created, Attached: true, AttachedAt: created, AddedAt: created, CreatedAt: created,
			RegApps: []string{ruhavik, forguard}, LinkApp: ruhavik, ServiceApps: []string{ruhavik},
			Limits: map[string]domain.Limits{ruhavik: {Units: 3, Geofences: 5, Users: 2, Triggers: 4, UnitExtraFields: 6, UnitNotifySettings: 7}},
			Premium: []domain.AppSubscription{{AppID: ruhavik, Active: true, Type: "td-stripe", SubscriptionID: "td-basic.yearly",
				Expiry: time.Date(2026, 5, 20, 0, 0, 0, 0, time.UTC), OrderID: "ord-1", AutoRenew: true}}},
		{ID: 22222, PartnerID: "gps-partner", Alias: "forguard-22222", Title: "Not activated", Type: domain.AccountManaged,
			CreatedAt: created, RegApps: []string{forguard}},
		{ID: 44444, PartnerID: "gps-partner", Alias: "forguard-44444", Title: "Forguard 44444", Type: domain.AccountManaged,
			Activated: true, ActivatedAt: created, CreatedAt: created, RegApps: []string{forguard}},
		{ID: 33333, PartnerID: "other-gps", Alias: "forguard-33333", Title: "Another partner's", Type: domain.AccountManaged,
			Activated: true, ActivatedAt: created, CreatedAt: created, RegApps: []string{forguard}},
	}
}

var shippedRules = sync.OnceValues(func() (*rules.Set, error) { return accounts.Language().Load(rulesets.FS) })

type harness struct {
	tb     testing.TB
	now    atomic.Int64
	store  ports.Store
	access *access.Service
	api    *httpapi.Server
	srv    *httptest.Server
	spec   *spec
	// bare skips the OpenAPI check of each answer (benchmarks time the
	// server, not the checker).
	bare bool
	ids  atomic.Int64
	// The partners' X-AccessTokens.
	token, rival string
}

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
	err := store.Update(ctx, func(tx ports.Tx) error {
		for _, c := range []domain.Client{{ID: "gps-partner", Name: "GPS-Trace partner"}, {ID: "other-gps", Name: "Another partner"}} {
			if err := tx.Clients().Put(ctx, c); err != nil {
				return err
			}
		}
		for _, a := range accountsOf() {
			if err := tx.Accounts().Create(ctx, &a); err != nil {
				return err
			}
		}
		for _, p := range []domain.ClientPlan{
			{ID: "52ffXXXXXXXXXXXXdc89", PartnerID: "gps-partner", AppID: forguard, Name: "Forguard basic", Description: "30 units",
				Quotas: domain.PlanQuotas{Units: 30, Geofences: 50, UnitStorage: 204800}, Modules: []string{"geofence", "notifications"}},
			{ID: "6a00aaaaaaaaaaaaaa01", PartnerID: "gps-partner", AppID: forguard, Name: "Forguard pro",
				Quotas: domain.PlanQuotas{Units: 100, Geofences: 200, UnitStorage: 409600}},
			{ID: "6a00bbbbbbbbbbbbbb02", PartnerID: "other-gps", AppID: forguard, Name: "Another partner's"},
		} {
			if err := tx.Plans().Put(ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	h.serve(limits)
	if h.token, err = h.access.IssueAccessToken(ctx, "gps-partner", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		tb.Fatal(err)
	}
	if h.rival, err = h.access.IssueAccessToken(ctx, "other-gps", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		tb.Fatal(err)
	}
	return h
}

func (h *harness) serve(limits httpapi.Limits) {
	h.tb.Helper()
	clock := ports.ClockFunc(func() time.Time { return time.Unix(0, h.now.Load()).UTC() })
	set, err := shippedRules()
	if err != nil {
		h.tb.Fatal(err)
	}
	ids := ports.IDsFunc(func() string { return "id-" + strconv.FormatInt(h.ids.Add(1), 10) })
	svc, err := accounts.New(accounts.Options{Store: h.store, Rules: set, Clock: clock, IDs: ids})
	if err != nil {
		h.tb.Fatal(err)
	}
	if h.access, err = access.New(access.Options{Store: h.store, Clock: clock, Random: rand.Reader}); err != nil {
		h.tb.Fatal(err)
	}
	h.api = httpapi.New(httpapi.Options{Store: h.store, Clock: clock, Access: h.access, Limits: limits})
	accountops.Register(h.api, svc)
	h.srv = httptest.NewServer(h.api)
	h.tb.Cleanup(h.srv.Close)
}

func (h *harness) advance(d time.Duration) { h.now.Add(int64(d)) }

func (h *harness) setNow(t time.Time) { h.now.Store(t.UnixNano()) }

type reply struct {
	status int
	header http.Header
	raw    string
	body   any
}

func (r reply) obj() map[string]any { m, _ := r.body.(map[string]any); return m }

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
	hr.Header.Set("Accept", "application/json")
	if r.token != "" {
		hr.Header.Set("X-AccessToken", r.token)
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
	if !h.bare {
		h.spec.check(h.tb, hr, resp.StatusCode, resp.Header, b)
	}
	return out
}

func (h *harness) get(token, path string) reply {
	h.tb.Helper()
	return h.do(req{method: http.MethodGet, path: path, token: token})
}

func (h *harness) send(method, token, path, body string) reply {
	h.tb.Helper()
	return h.do(req{method: method, path: path, token: token, body: body})
}

// check compares an answer with its status and want, the expected body as
// JSON text; "<any>" in want stands for any value.
func check(tb testing.TB, r reply, status int, want string) {
	tb.Helper()
	if r.status != status {
		tb.Errorf("status %d, want %d; body %s", r.status, status, r.raw)
	}
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		tb.Fatalf("the expected body is not JSON: %v\n%s", err, want)
	}
	if d := cmp.Diff(w, normalize(w, r.body)); d != "" {
		tb.Errorf("body mismatch (-want +got):\n%s\nraw: %s", d, r.raw)
	}
}

func normalize(want, got any) any {
	switch w := want.(type) {
	case string:
		if w == "<any>" {
			return w
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return got
		}
		out := make(map[string]any, len(g))
		for k, v := range g {
			if wv, ok := w[k]; ok {
				out[k] = normalize(wv, v)
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
				out[i] = normalize(w[i], v)
			} else {
				out[i] = v
			}
		}
		return out
	}
	return got
}

// errorBody is the envelope of one refusal.
func errorBody(code, field, message string) string {
	ext := map[string]string{"code": code}
	if field != "" {
		ext["field"] = field
	}
	b, _ := json.Marshal(map[string]any{"errors": []any{map[string]any{"message": message, "extensions": ext}}})
	return string(b)
}

// testStores opens each store a test runs on: memory, SQLite, and
// PostgreSQL when ENTITLE_POSTGRES_DSN is set (a database that cannot be
// reached then fails the test, never skips it). The second value opens
// another Store on the same database (nil but for PostgreSQL).
func testStores() map[string]func(*testing.T) (ports.Store, func() ports.Store) {
	stores := map[string]func(*testing.T) (ports.Store, func() ports.Store){
		"memory": func(*testing.T) (ports.Store, func() ports.Store) { return memory.New(), nil },
		"sqlite": func(t *testing.T) (ports.Store, func() ports.Store) {
			s, err := sqlite.Open(filepath.Join(t.TempDir(), "entitle.db"), sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return s, nil
		},
	}
	if dsn := os.Getenv("ENTITLE_POSTGRES_DSN"); dsn != "" {
		stores["postgres"] = func(t *testing.T) (ports.Store, func() ports.Store) {
			schema := pgtest.Schema(t, dsn)
			open := func() ports.Store {
				s, err := postgres.Open(context.Background(), dsn, postgres.Options{Schema: schema})
				if err != nil {
					t.Fatalf("ENTITLE_POSTGRES_DSN is set but the store does not open: %v", err)
				}
				return s
			}
			return open(), open
		}
	}
	return stores
}

// spec checks real answers against the OpenAPI document: an answer of a
// documented operation must be one of its documented statuses with the
// documented headers and body; any other answer must be the Error
// envelope. The seed's path without /partner is checked as its /partner
// twin.
type spec struct {
	doc    *openapi3.T
	router routers.Router
	prefix string
	mu     sync.Mutex
	seen   map[string]bool
}

var parsedSpec = sync.OnceValues(func() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(accountops.OpenAPI())
	if err != nil {
		return nil, err
	}
	return doc, doc.Validate(loader.Context)
})

func loadSpec(tb testing.TB) *spec {
	tb.Helper()
	doc, err := parsedSpec()
	if err != nil {
		tb.Fatalf("openapi.yaml: %v", err)
	}
	bare := *doc
	bare.Servers = nil
	router, err := legacy.NewRouter(&bare)
	if err != nil {
		tb.Fatal(err)
	}
	return &spec{doc: doc, router: router, prefix: doc.Servers[0].URL, seen: map[string]bool{}}
}

func (s *spec) check(tb testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	tb.Helper()
	rel := req.Clone(context.Background())
	path := req.URL.EscapedPath()
	if strings.HasPrefix(path, "/accounts/") {
		path = s.prefix + path
	}
	rel.URL.Path = strings.TrimPrefix(path, s.prefix)
	rel.URL.RawPath = ""
	route, params, err := s.router.FindRoute(rel)
	// ROUTE_NOT_FOUND answers paths no operation has, though the router
	// may match them to one (/partner/accounts to /accounts/{id}).
	if err != nil || !strings.HasPrefix(path, s.prefix+"/") || status == http.StatusNotFound {
		s.checkError(tb, req, status, body)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: rel, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: status, Header: header, Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		tb.Errorf("%s %s: the %d answer is not the documented one: %v\nbody: %s", req.Method, req.URL.Path, status, err, body)
		return
	}
	if status >= 400 {
		s.checkError(tb, req, status, body)
	}
	s.mu.Lock()
	s.seen[route.Method+" "+route.Path+" "+strconv.Itoa(status)] = true
	s.mu.Unlock()
}

// statusOf is the document's table of error codes and statuses.
var statusOf = map[string]int{
	"FAILED_VALIDATION": 400, "INVALID_PAYLOAD": 400, "INVALID_QUERY": 400, "TOKEN_EXPIRED": 401, "FORBIDDEN": 403,
	"INVALID_TOKEN": 403, "ROUTE_NOT_FOUND": 404, "REQUEST_IN_PROGRESS": 409, "IDEMPOTENCY_KEY_REUSED": 422,
	"CONTENT_TOO_LARGE": 413, "UNSUPPORTED_MEDIA_TYPE": 415, "REQUESTS_EXCEEDED": 429, "INTERNAL_SERVER_ERROR": 500,
	"SERVICE_UNAVAILABLE": 503,
}

// checkError checks an error answer is the envelope, every item's code
// mapping to the answer's status.
func (s *spec) checkError(tb testing.TB, req *http.Request, status int, body []byte) {
	tb.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		tb.Errorf("%s %s: %d answer is not JSON: %q", req.Method, req.URL.Path, status, body)
		return
	}
	if err := s.doc.Components.Schemas["Error"].Value.VisitJSON(v); err != nil {
		tb.Errorf("%s %s: the %d answer is not the Error envelope: %v\nbody: %s", req.Method, req.URL.Path, status, err, body)
		return
	}
	for _, e := range v.(map[string]any)["errors"].([]any) {
		code, _ := e.(map[string]any)["extensions"].(map[string]any)["code"].(string)
		if want := statusOf[code]; want != status {
			tb.Errorf("%s %s: error code %s in a %d answer; the document maps it to %d", req.Method, req.URL.Path, code, status, want)
		}
	}
}

func (s *spec) operations() []string {
	var out []string
	for path, item := range s.doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, method+" "+path)
		}
	}
	slices.Sort(out)
	return out
}

func (s *spec) succeeded(op string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.seen {
		if strings.HasPrefix(k, op+" 2") {
			return true
		}
	}
	return false
}

// TestOpenAPIDocument: every error code the document lists has its status
// in the description a reader sees, and the test's table agrees.
func TestOpenAPIDocument(t *testing.T) {
	s := loadSpec(t)
	enum := s.doc.Components.Schemas["Error"].Value.Properties["errors"].Value.Items.Value.Properties["extensions"].Value.Properties["code"].Value.Enum
	for _, c := range enum {
		code := c.(string)
		if !strings.Contains(s.doc.Info.Description, code+" "+strconv.Itoa(statusOf[code])) {
			t.Errorf("the description does not map %s to %d", code, statusOf[code])
		}
	}
	if len(enum) != len(statusOf) {
		t.Errorf("the document lists %d error codes, the test %d", len(enum), len(statusOf))
	}
}
