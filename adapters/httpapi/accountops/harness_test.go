package accountops_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/httpapi/accountops"
	"github.com/entitle-rules/entitle/adapters/httpapi/internal/apitest"
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
	spec   *apitest.Spec
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
	h.api, h.access, h.srv = apitest.Serve(h.tb, h.store, clock, limits, func(api *httpapi.Server) { accountops.Register(api, svc) })
}

func (h *harness) advance(d time.Duration) { h.now.Add(int64(d)) }

func (h *harness) setNow(t time.Time) { h.now.Store(t.UnixNano()) }

type reply = apitest.Reply

type req struct {
	method, path, token, body string
	contentType               string // "" with a body: application/json
	header                    map[string]string
}

// do sends r and checks the answer against the OpenAPI document.
func (h *harness) do(r req) reply {
	h.tb.Helper()
	hdr := http.Header{}
	hdr.Set("Accept", "application/json")
	if r.token != "" {
		hdr.Set("X-AccessToken", r.token)
	}
	for k, v := range r.header {
		hdr.Set(k, v)
	}
	c := apitest.Client{Server: h.srv, Spec: h.spec, Bare: h.bare}
	return c.Do(h.tb, apitest.Request{Method: r.method, Path: r.path, Body: r.body, ContentType: r.contentType, Header: hdr})
}

func (h *harness) get(token, path string) reply {
	h.tb.Helper()
	return h.do(req{method: http.MethodGet, path: path, token: token})
}

func (h *harness) send(method, token, path, body string) reply {
	h.tb.Helper()
	return h.do(req{method: method, path: path, token: token, body: body})
}

// check compares an answer with its status and want (apitest.Check).
func check(tb testing.TB, r reply, status int, want string) {
	tb.Helper()
	apitest.Check(tb, r, status, want)
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

// drivers open the stores the tests run on.
var drivers = apitest.Drivers{
	Memory: func() ports.Store { return memory.New() },
	SQLite: func(path string) (ports.Store, error) { return sqlite.Open(path, sqlite.Options{}) },
	Postgres: func(ctx context.Context, dsn, schema string) (ports.Store, error) {
		return postgres.Open(ctx, dsn, postgres.Options{Schema: schema})
	},
}

// loadSpec loads the document: every error answer must be the envelope,
// every item's code mapping to the answer's status. The seed's path without
// /partner is checked as its /partner twin; ROUTE_NOT_FOUND answers paths
// no operation has, though the router may match them to one
// (/partner/accounts to /accounts/{id}).
func loadSpec(tb testing.TB) *apitest.Spec {
	tb.Helper()
	return apitest.LoadSpec(tb, accountops.OpenAPI(), apitest.SpecOptions{
		Rewrite: func(path string) string {
			if strings.HasPrefix(path, "/accounts/") {
				return "/partner" + path
			}
			return path
		},
		NotFoundUnrouted: true,
		ErrorCodes: func(v any) []string {
			var codes []string
			for _, e := range v.(map[string]any)["errors"].([]any) {
				code, _ := e.(map[string]any)["extensions"].(map[string]any)["code"].(string)
				codes = append(codes, code)
			}
			return codes
		},
		StatusOf: statusOf,
	})
}

// statusOf is the document's table of error codes and statuses.
var statusOf = map[string]int{
	"FAILED_VALIDATION": 400, "INVALID_PAYLOAD": 400, "INVALID_QUERY": 400, "TOKEN_EXPIRED": 401, "FORBIDDEN": 403,
	"INVALID_TOKEN": 403, "ROUTE_NOT_FOUND": 404, "REQUEST_IN_PROGRESS": 409, "IDEMPOTENCY_KEY_REUSED": 422,
	"CONTENT_TOO_LARGE": 413, "UNSUPPORTED_MEDIA_TYPE": 415, "REQUESTS_EXCEEDED": 429, "INTERNAL_SERVER_ERROR": 500,
	"SERVICE_UNAVAILABLE": 503,
}

// TestOpenAPIDocument: every error code the document lists has its status
// in the description a reader sees, and the test's table agrees.
func TestOpenAPIDocument(t *testing.T) {
	s := loadSpec(t)
	enum := s.Doc.Components.Schemas["Error"].Value.Properties["errors"].Value.Items.Value.Properties["extensions"].Value.Properties["code"].Value.Enum
	apitest.CheckCodes(t, s.Doc, enum, statusOf)
}
