package rulesapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/httpapi/internal/apitest"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/accounts"
	"github.com/entitle-rules/entitle/rules/orders"
	"github.com/entitle-rules/entitle/rules/seats"
	"github.com/entitle-rules/entitle/rulesets"
)

var decisionsNow = time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)

func language() *rules.Language {
	scopes := append(orders.Scopes(), seats.Scopes()...)
	return rules.MustLanguage(append(scopes, accounts.Scopes()...)...)
}

// orderBody is a CREATE_ORDER call of the example's tap-client, starting on
// start.
func orderBody(serial, start string) string {
	return fmt.Sprintf(`{"ProcName": "TAP_CREATE_ORDER_API", "ProcRequester": "TAP", "request": {
	"customerPONumber": "PO-%[1]s", "currencyCode": "USD", "billToSiteUseId": 531807, "shipToSiteUseId": "1912956",
	"billToContactEmail": "a@example.com", "shipToContactEmail": "b@example.com",
	"lines": [{"lineNumber": 1, "serviceStartDate": %[2]q, "partNumber": "132001-10", "serialNumber": %[1]q,
	  "serviceType": "RTX", "manufacturerModel": "R12", "autoRenewal": "Y", "activationType": "IMMEDIATE"}]}}`, serial, start)
}

// shippedFiles are the shipped rule files as a request sends them, with
// start_window_days set to days.
func shippedFiles(t *testing.T, days int) []File {
	t.Helper()
	names, err := fs.Glob(rulesets.FS, "*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out []File
	for _, n := range names {
		b, err := fs.ReadFile(rulesets.FS, n)
		if err != nil {
			t.Fatal(err)
		}
		src := strings.Replace(string(b), "start_window_days: 3", fmt.Sprintf("start_window_days: %d", days), 1)
		out = append(out, File{Name: n, Source: src})
	}
	return out
}

type decisionsWorld struct {
	client  *apitest.Client
	tap     string // tap-client's bearer token
	another string
	outside string // a partner that is no rule author
	ids     map[string]string
}

// newDecisionsWorld serves RegisterDecisions over the example data set,
// after tap-client made an accepted order (serial 1234567890) and a refused
// one (START_DATE_TOO_LATE, serial 1234567899), and another-client a
// refused one; rule authors are tap-client and another-client.
func newDecisionsWorld(t *testing.T) *decisionsWorld {
	t.Helper()
	ctx := context.Background()
	store := memory.New()
	apitest.LoadExample(t, store)
	clock := ports.ClockFunc(func() time.Time { return decisionsNow })
	set, err := language().Load(rulesets.FS)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	svc, err := orders.New(orders.Options{Store: store, Rules: set, Clock: clock, IDs: ports.IDsFunc(func() string { n++; return fmt.Sprintf("id-%d", n) })})
	if err != nil {
		t.Fatal(err)
	}
	decode := func(body string) domain.OrderRequest {
		var call struct{ Request domain.OrderRequest }
		if err := json.Unmarshal([]byte(strings.Replace(body, `"1912956"`, "1912956", 1)), &call); err != nil {
			t.Fatal(err)
		}
		return call.Request
	}
	if _, err := svc.CreateOrder(ctx, domain.PartnerPrincipal("tap-client", domain.ClientCredentials), decode(orderBody("1234567890", "2025-04-24"))); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateOrder(ctx, domain.PartnerPrincipal("tap-client", domain.ClientCredentials), decode(orderBody("1234567899", "2025-05-30"))); err == nil {
		t.Fatal("the late order was accepted")
	}
	if _, err := svc.CreateOrder(ctx, domain.PartnerPrincipal("another-client", domain.ClientCredentials), decode(orderBody("1234567898", "2025-05-30"))); err == nil {
		t.Fatal("another-client's order was accepted")
	}
	_, acc, srv := apitest.Serve(t, store, clock, httpapi.Limits{}, func(api *httpapi.Server) {
		RegisterDecisions(api, DecisionsOptions{Rules: svc.Rules, Language: language(), Authors: Authors{"tap-client": true, "another-client": true}})
	})
	w := &decisionsWorld{client: &apitest.Client{Server: srv, Spec: apitest.LoadSpec(t, OpenAPI(), apitest.SpecOptions{})}, ids: map[string]string{}}
	for who, dst := range map[string]*string{"tap-client": &w.tap, "another-client": &w.another} {
		secret := map[string]string{"tap-client": "example-secret-change-me", "another-client": "another-secret-change-me"}[who]
		tok, err := acc.IssueToken(ctx, who, secret)
		if err != nil {
			t.Fatal(err)
		}
		*dst = tok.Value
	}
	if err := acc.PutClient(ctx, "outsider", "Outsider", "outsider-secret"); err != nil {
		t.Fatal(err)
	}
	tok, err := acc.IssueToken(ctx, "outsider", "outsider-secret")
	if err != nil {
		t.Fatal(err)
	}
	w.outside = tok.Value
	return w
}

func (w *decisionsWorld) do(t *testing.T, token, method, path, body string) apitest.Reply {
	t.Helper()
	return w.client.Do(t, apitest.Request{Method: method, Path: path, Body: body, Header: map[string][]string{"Authorization": {"Bearer " + token}}})
}

func decodeReply[T any](t *testing.T, r apitest.Reply, status int) T {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	var v T
	if err := json.Unmarshal([]byte(r.Raw), &v); err != nil {
		t.Fatalf("%s: %v", r.Raw, err)
	}
	return v
}

func TestDecisionLogOverHTTP(t *testing.T) {
	w := newDecisionsWorld(t)
	list := decodeReply[listJSON](t, w.do(t, w.tap, "GET", "/decisions", ""), 200)
	if len(list.Decisions) != 2 {
		t.Fatalf("tap-client reads %d decisions, want its 2: %+v", len(list.Decisions), list.Decisions)
	}
	for _, d := range list.Decisions {
		if d.Partner != "tap-client" || d.State != nil || d.Request == nil {
			t.Errorf("listed %+v", d)
		}
	}
	refused := list.Decisions[1]
	if refused.Outcome.Allowed || refused.Outcome.Codes()[0] != "START_DATE_TOO_LATE" {
		t.Errorf("the second decision is %+v", refused.Outcome)
	}
	// Filters and paging.
	if l := decodeReply[listJSON](t, w.do(t, w.tap, "GET", "/decisions?code=START_DATE_TOO_LATE&rule=line.start-window", ""), 200); len(l.Decisions) != 1 || l.Decisions[0].ID != refused.ID {
		t.Errorf("by code and rule: %+v", l.Decisions)
	}
	first := decodeReply[listJSON](t, w.do(t, w.tap, "GET", "/decisions?pageSize=1", ""), 200)
	if len(first.Decisions) != 1 || first.NextPageToken == "" {
		t.Fatalf("first page %+v", first)
	}
	second := decodeReply[listJSON](t, w.do(t, w.tap, "GET", "/decisions?pageSize=1&pageToken="+first.NextPageToken, ""), 200)
	if len(second.Decisions) != 1 || second.Decisions[0].ID != refused.ID {
		t.Errorf("second page %+v", second)
	}
	if l := decodeReply[listJSON](t, w.do(t, w.tap, "GET", "/decisions?from=2025-04-25", ""), 200); len(l.Decisions) != 0 {
		t.Errorf("from the next day: %+v", l.Decisions)
	}
	for _, bad := range []string{"?pageSize=0", "?from=yesterday", "?nope=1", "?pageToken=%21%21"} {
		if r := w.do(t, w.tap, "GET", "/decisions"+bad, ""); r.Status != 400 {
			t.Errorf("GET /decisions%s: %d %s", bad, r.Status, r.Raw)
		}
	}
	// One record, with its state.
	got := decodeReply[decisionJSON](t, w.do(t, w.tap, "GET", "/decisions/"+refused.ID, ""), 200)
	if got.ID != refused.ID || got.State == nil {
		t.Errorf("GET /decisions/{id}: %+v", got)
	}
}

// TestDecisionsTenantIsolation: a rule author never reads, explains or
// replays another partner's decisions; a partner that is no rule author
// reads nothing.
func TestDecisionsTenantIsolation(t *testing.T) {
	w := newDecisionsWorld(t)
	theirs := decodeReply[listJSON](t, w.do(t, w.another, "GET", "/decisions", ""), 200)
	if len(theirs.Decisions) != 1 || theirs.Decisions[0].Partner != "another-client" {
		t.Fatalf("another-client reads %+v", theirs.Decisions)
	}
	id := theirs.Decisions[0].ID
	for _, path := range []string{"/decisions/" + id, "/decisions/" + id + "/explain"} {
		if r := w.do(t, w.tap, "GET", path, ""); r.Status != 404 {
			t.Errorf("tap-client GET %s: %d %s", path, r.Status, r.Raw)
		}
	}
	if r := w.do(t, w.tap, "GET", "/decisions?principal=another-client", ""); r.Status != 403 {
		t.Errorf("tap-client naming another partner: %d %s", r.Status, r.Raw)
	}
	for _, code := range []string{"START_DATE_TOO_LATE", ""} {
		l := decodeReply[listJSON](t, w.do(t, w.tap, "GET", "/decisions?pageSize=1000&code="+code, ""), 200)
		for _, d := range l.Decisions {
			if d.Partner != "tap-client" {
				t.Errorf("tap-client read %s of %s", d.ID, d.Partner)
			}
		}
	}
	rep := decodeReply[rules.ReplayReport](t, w.do(t, w.another, "POST", "/rulesets/replay", "{}"), 200)
	if rep.Replayed != 1 {
		t.Errorf("another-client replayed %d decisions, want its 1", rep.Replayed)
	}
	for _, path := range []string{"/decisions", "/decisions/" + id} {
		if r := w.do(t, w.outside, "GET", path, ""); r.Status != 403 {
			t.Errorf("a partner that is no rule author GET %s: %d", path, r.Status)
		}
	}
}

func TestExplainOverHTTP(t *testing.T) {
	w := newDecisionsWorld(t)
	type answer struct {
		Decision struct {
			domain.DecisionOutcome
			RulesetHash string                  `json:"rulesetHash"`
			Logged      *domain.DecisionOutcome `json:"logged"`
			Changed     bool                    `json:"changed"`
		} `json:"decision"`
		Trace []rules.ExplainStep `json:"trace"`
	}
	body, _ := json.Marshal(map[string]any{"context": "orders", "request": json.RawMessage(orderBody("1234567897", "2025-05-30")), "now": "2025-04-24T17:00:00Z"})
	ex := decodeReply[answer](t, w.do(t, w.tap, "POST", "/rulesets/explain", string(body)), 200)
	if ex.Decision.Allowed || len(ex.Trace) < 10 {
		t.Fatalf("explained %+v with %d steps", ex.Decision, len(ex.Trace))
	}
	found := false
	for _, s := range ex.Trace {
		if s.Rule == "line.start-window" && s.Fired && s.Violation != nil && s.Violation.Code == "START_DATE_TOO_LATE" {
			found = s.Reads["line.requestedStartDate"] == "2025-05-30"
		}
	}
	if !found {
		t.Errorf("no fired line.start-window step reading 2025-05-30: %+v", ex.Trace)
	}
	// The same request under an edited copy with a 60-day window is allowed.
	body, _ = json.Marshal(map[string]any{"request": json.RawMessage(orderBody("1234567897", "2025-05-30")), "files": shippedFiles(t, 60)})
	if ex := decodeReply[answer](t, w.do(t, w.tap, "POST", "/rulesets/explain", string(body)), 200); !ex.Decision.Allowed {
		t.Errorf("under a 60-day window: %+v", ex.Decision)
	}
	// A logged decision, explained under the rules in force: the same outcome.
	list := decodeReply[listJSON](t, w.do(t, w.tap, "GET", "/decisions?code=START_DATE_TOO_LATE", ""), 200)
	lx := decodeReply[answer](t, w.do(t, w.tap, "GET", "/decisions/"+list.Decisions[0].ID+"/explain", ""), 200)
	if lx.Decision.Logged == nil || lx.Decision.Changed || lx.Decision.Allowed || len(lx.Trace) == 0 {
		t.Errorf("explaining the logged refusal: %+v", lx.Decision)
	}
	// A seats decision from its facts.
	facts := `{"context": "seats", "request": {"decision": "call", "now": "2025-04-24T00:00:00Z", "call": {"action": "assign", "productId": "Navigator", "items": 1}}}`
	sx := decodeReply[answer](t, w.do(t, w.tap, "POST", "/rulesets/explain", facts), 200)
	if sx.Decision.Allowed || sx.Decision.Codes()[0] != "PRODUCT_NOT_FOUND" {
		t.Errorf("a seats call for an unknown product: %+v", sx.Decision)
	}
	for _, bad := range []string{`{"request": 3}`, `{"context": "nope", "request": {}}`, `{"request": {}, "files": [{"name": "../x.yaml"}]}`,
		`{"request": {"lines": 3}}`, `{"request": {}, "files": [{"name": "a.yaml", "source": "rules: [{"}]}`, `{"request": {}, "extra": 1}`} {
		if r := w.do(t, w.tap, "POST", "/rulesets/explain", bad); r.Status != 400 {
			t.Errorf("POST /rulesets/explain %s: %d %s", bad, r.Status, r.Raw)
		}
	}
}

func TestReplayOverHTTP(t *testing.T) {
	w := newDecisionsWorld(t)
	same, _ := json.Marshal(map[string]any{"files": shippedFiles(t, 3)})
	rep := decodeReply[rules.ReplayReport](t, w.do(t, w.tap, "POST", "/rulesets/replay", string(same)), 200)
	if rep.Replayed != 2 || len(rep.Changed) != 0 || len(rep.Failed) != 0 {
		t.Errorf("replayed under the same rules: %+v", rep)
	}
	wider, _ := json.Marshal(map[string]any{"files": shippedFiles(t, 60), "from": "2025-04-24"})
	rep = decodeReply[rules.ReplayReport](t, w.do(t, w.tap, "POST", "/rulesets/replay", string(wider)), 200)
	if rep.Replayed != 2 || len(rep.Changed) != 1 || rep.PerRule["line.start-window"] != 1 {
		t.Fatalf("replayed under a 60-day window: %+v", rep)
	}
	if c := rep.Changed[0]; c.Kinds[0] != "refused->allowed" || c.Partner != "tap-client" {
		t.Errorf("the change: %+v", c)
	}
	if r := w.do(t, w.tap, "POST", "/rulesets/replay", `{"from": "soon"}`); r.Status != 400 {
		t.Errorf("a bad from: %d", r.Status)
	}
}
