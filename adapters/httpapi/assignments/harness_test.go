package assignments_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/httpapi/assignments"
	"github.com/entitle-rules/entitle/adapters/internal/pgtest"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/adapters/sqlite"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/access"
	"github.com/entitle-rules/entitle/rules/dataset"
	"github.com/entitle-rules/entitle/rules/seats"
	"github.com/entitle-rules/entitle/rulesets"
)

// The harness: License Assignments v2 over a store holding the example data
// set and the companies below, at a fixed instant. Every answer is checked
// against the OpenAPI document.

var start = time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)

// The users who log in (passwords are public test values).
const (
	password     = "correct-horse-battery"
	accountAdmin = "admin@v2.example"  // ACCOUNTADMIN of v2-fleet
	userAdmin    = "users@v2.example"  // USERADMIN of v2-fleet
	driver       = "driver@v2.example" // no role, v2-fleet
	rivalAdmin   = "admin@rival.example"
)

// v2Data is a company with a history of assignments shaped like seed 004's
// examples: two activated on 2016-09-05, one on 2016-09-06, a later one of
// the same user, and the seed's own cancelled one (deactivation 2018-06-10,
// the day before activation 2018-06-11, last changed 2018-06-11T12:00Z).
const v2Data = `
clients:
  - {id: rival-partner, name: Rival partner, apiKey: rival-api-key-change-me}
companies:
  - {alias: v2-fleet, title: V2 Fleet, partner: fleet-partner}
  - {alias: rival-fleet, title: Rival Fleet, partner: rival-partner}
users:
  - {company: v2-fleet, externalId: v2-admin, username: ` + accountAdmin + `, password: ` + password + `, roles: [ACCOUNTADMIN]}
  - {company: v2-fleet, externalId: v2-users, username: ` + userAdmin + `, password: ` + password + `, roles: [USERADMIN]}
  - {company: v2-fleet, externalId: v2-driver, username: ` + driver + `, password: ` + password + `}
  - {company: v2-fleet, externalId: u-a}
  - {company: v2-fleet, externalId: u-b}
  - {company: v2-fleet, externalId: u-c}
  - {company: rival-fleet, externalId: rival-admin, username: ` + rivalAdmin + `, password: ` + password + `, roles: [ACCOUNTADMIN]}
  - {company: rival-fleet, externalId: r-a}
licenses:
  - {company: v2-fleet, productId: CoPilot, seats: 3, registered: 2016-01-01, expires: 2030-12-31}
  - {company: v2-fleet, productId: MileOn, seats: 2, registered: 2016-01-01, expires: 2030-12-31}
  - {company: rival-fleet, productId: CoPilot, seats: 1, registered: 2016-01-01, expires: 2030-12-31}
assignments:
  - {company: v2-fleet, productId: CoPilot, externalId: u-a, activationDate: 2016-09-05, deactivationDate: 2016-12-31}
  - {company: v2-fleet, productId: CoPilot, externalId: u-b, activationDate: 2016-09-05, deactivationDate: 2030-12-31}
  - {company: v2-fleet, productId: MileOn, externalId: u-a, activationDate: 2016-09-06, deactivationDate: 2030-12-31}
  - {company: v2-fleet, productId: CoPilot, externalId: u-a, activationDate: 2017-01-01, deactivationDate: 2030-12-31}
  - {company: v2-fleet, productId: MileOn, externalId: u-c, activationDate: 2018-06-11, deactivationDate: 2018-06-10, lastChangedDate: 2018-06-11T12:00:00Z}
  - {company: v2-fleet, productId: CoPilot, externalId: u-c, activationDate: 2019-03-01, deactivationDate: 2030-12-31}
  - {company: rival-fleet, productId: CoPilot, externalId: r-a, activationDate: 2016-09-05, deactivationDate: 2030-12-31}
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
	more, err := dataset.Parse([]byte(v2Data))
	if err != nil {
		return nil, fmt.Errorf("v2Data: %w", err)
	}
	return ds.Merge(more), nil
})

type harness struct {
	tb    testing.TB
	store ports.Store
	api   *httpapi.Server
	srv   *httptest.Server
	spec  *spec
	// v2 and rival are the companies' ids; all their assignments, by id.
	v2, rival int64
	all       []domain.Assignment
}

func newHarness(tb testing.TB, store ports.Store) *harness {
	tb.Helper()
	return newHarnessWith(tb, store, httpapi.Limits{})
}

// newHarnessWith is newHarness with the server's limits.
func newHarnessWith(tb testing.TB, store ports.Store, limits httpapi.Limits) *harness {
	tb.Helper()
	if store == nil {
		store = memory.New()
	}
	h := &harness{tb: tb, store: store, spec: loadSpec(tb)}
	tb.Cleanup(func() { h.store.Close() })
	clock := ports.ClockFunc(func() time.Time { return start })
	set, err := seats.Language().Load(rulesets.FS)
	if err != nil {
		tb.Fatal(err)
	}
	ds, err := loadData()
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	if _, err := ds.Load(ctx, h.store); err != nil {
		tb.Fatal(err)
	}
	svc, err := seats.New(seats.Options{Store: h.store, Rules: set, Clock: clock})
	if err != nil {
		tb.Fatal(err)
	}
	acc, err := access.New(access.Options{Store: h.store, Clock: clock, Random: rand.Reader})
	if err != nil {
		tb.Fatal(err)
	}
	h.api = httpapi.New(httpapi.Options{Store: h.store, Clock: clock, Access: acc, Limits: limits})
	assignments.Register(h.api, svc)
	h.srv = httptest.NewServer(h.api)
	tb.Cleanup(h.srv.Close)
	err = h.store.View(ctx, func(tx ports.Tx) error {
		for _, c := range []struct {
			alias string
			id    *int64
		}{{"v2-fleet", &h.v2}, {"rival-fleet", &h.rival}} {
			a, err := tx.Accounts().ByAlias(ctx, c.alias)
			if err != nil {
				return err
			}
			*c.id = a.ID
			as, err := tx.Assignments().Find(ctx, domain.AssignmentQuery{AccountID: a.ID})
			if err != nil {
				return err
			}
			h.all = append(h.all, as...)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	slices.SortFunc(h.all, func(a, b domain.Assignment) int { return int(a.ID - b.ID) })
	return h
}

type reply struct {
	status int
	header http.Header
	raw    string
	body   any
}

// get sends GET path with HTTP Basic user:password ("" user: none).
func (h *harness) get(user, path string) reply {
	h.tb.Helper()
	return h.do(http.MethodGet, path, user, "")
}

func (h *harness) do(method, path, user, body string) reply {
	h.tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.tb.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	return h.send(req)
}

func (h *harness) send(req *http.Request) reply {
	h.tb.Helper()
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.tb.Fatal(err)
	}
	out := reply{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	if req.Method != http.MethodHead {
		if err := json.Unmarshal(b, &out.body); err != nil {
			h.tb.Errorf("%s %s: the answer is not JSON (%v): %q", req.Method, req.URL, err, b)
		}
		h.spec.check(h.tb, req, resp.StatusCode, resp.Header, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		h.tb.Errorf("%s %s: Content-Type %q", req.Method, req.URL, ct)
	}
	return out
}

// wire is an assignment as the seed writes it, in the seed's field order.
func wire(a domain.Assignment) string {
	return fmt.Sprintf(`{"licenseId":%d,"userId":%d,"activationDate":"%s","deactivationDate":"%s","accountId":%d,"id":%d,"lastChangedDate":"%s"}`,
		a.LicenseID, a.UserID, a.ActivationDate, a.DeactivationDate, a.AccountID, a.ID, a.LastChanged.UTC().Format("2006-01-02T15:04:05.000Z"))
}

func wireList(as []domain.Assignment) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = wire(a)
	}
	return "[" + strings.Join(parts, ",") + "]\n"
}

// errorBody is the error envelope, compared after its requestId is checked
// and dropped.
func checkError(tb testing.TB, r reply, status int, code, field, message string) {
	tb.Helper()
	e, _ := r.body.(map[string]any)["error"].(map[string]any)
	id, _ := e["requestId"].(float64)
	gotField, _ := e["field"].(string)
	if r.status != status || e["code"] != code || gotField != field || e["message"] != message || id <= 0 || len(e) != map[bool]int{true: 4, false: 3}[field != ""] {
		tb.Errorf("got %d %s\nwant %d %s %q %q", r.status, r.raw, status, code, field, message)
	}
}

// testStores: memory, SQLite, and PostgreSQL when ENTITLE_POSTGRES_DSN is
// set (then a database that cannot be reached fails the test).
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

// spec checks answers against openapi.yaml and records the operations and
// statuses seen.
type spec struct {
	doc    *openapi3.T
	router routers.Router
	prefix string
	mu     sync.Mutex
	seen   map[string]bool
}

var parsedSpec = sync.OnceValues(func() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(assignments.OpenAPI())
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
	rel.URL.Path = strings.TrimPrefix(req.URL.EscapedPath(), s.prefix)
	rel.URL.RawPath = ""
	route, params, err := s.router.FindRoute(rel)
	if err != nil || !strings.HasPrefix(req.URL.Path, s.prefix+"/") {
		var v any
		_ = json.Unmarshal(body, &v)
		if err := s.doc.Components.Schemas["Error"].Value.VisitJSON(v); err != nil {
			tb.Errorf("%s %s: the %d answer is not the Error envelope: %v", req.Method, req.URL.Path, status, err)
		}
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
	s.mu.Lock()
	s.seen[route.Method+" "+route.Path+" "+strconv.Itoa(status)] = true
	s.mu.Unlock()
}
