package assignments_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/httpapi/assignments"
	"github.com/entitle-rules/entitle/adapters/httpapi/internal/apitest"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/adapters/sqlite"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
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

var loadData = sync.OnceValues(func() (*dataset.Dataset, error) { return apitest.ExampleData(v2Data) })

type harness struct {
	tb    testing.TB
	store ports.Store
	api   *httpapi.Server
	srv   *httptest.Server
	spec  *apitest.Spec
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
	h.api, _, h.srv = apitest.Serve(tb, h.store, clock, limits, func(api *httpapi.Server) { assignments.Register(api, svc) })
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

type reply = apitest.Reply

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
	c := apitest.Client{Server: h.srv, Spec: h.spec}
	return c.Send(h.tb, req)
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
	e, _ := r.Body.(map[string]any)["error"].(map[string]any)
	id, _ := e["requestId"].(float64)
	gotField, _ := e["field"].(string)
	if r.Status != status || e["code"] != code || gotField != field || e["message"] != message || id <= 0 || len(e) != map[bool]int{true: 4, false: 3}[field != ""] {
		tb.Errorf("got %d %s\nwant %d %s %q %q", r.Status, r.Raw, status, code, field, message)
	}
}

// drivers open the stores the tests run on.
var drivers = apitest.Drivers{
	Memory: func() ports.Store { return memory.New() },
	SQLite: func(path string) (ports.Store, error) { return sqlite.Open(path, sqlite.Options{}) },
	Postgres: func(ctx context.Context, dsn, schema string) (ports.Store, error) {
		return postgres.Open(ctx, dsn, postgres.Options{Schema: schema})
	},
}

// loadSpec loads openapi.yaml; an answer outside its operations must be
// the Error envelope.
func loadSpec(tb testing.TB) *apitest.Spec {
	tb.Helper()
	return apitest.LoadSpec(tb, assignments.OpenAPI(), apitest.SpecOptions{})
}
