package webui

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/httpapi/accountmanager"
	"github.com/entitle-rules/entitle/adapters/httpapi/accountops"
	"github.com/entitle-rules/entitle/adapters/httpapi/assignments"
	"github.com/entitle-rules/entitle/adapters/httpapi/rulesapi"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/access"
	"github.com/entitle-rules/entitle/rules/accounts"
	"github.com/entitle-rules/entitle/rules/dataset"
	"github.com/entitle-rules/entitle/rules/orders"
	"github.com/entitle-rules/entitle/rules/seats"
	"github.com/entitle-rules/entitle/rulesets"
)

// The example data set's public credentials, and a second partner's.
const (
	apiKey      = "example-api-key-change-me"
	otherAPIKey = "other-api-key-change-me"
	adminUser   = "admin@acme.example"
	adminPass   = "example-password-change-me"
)

// extraData adds to the example data set a second partner with a company
// of its own (for the cross-tenant tests). The example data's own
// fleet-forguard, a Forguard account of fleet-partner, is the company the
// shipped rules let a partner block.
const extraData = `
clients:
  - {id: other-partner, name: Another fleet partner, apiKey: other-api-key-change-me}
companies:
  - {alias: other-co, title: Other Co, partner: other-partner}
users:
  - {company: other-co, externalId: secret-driver}
licenses:
  - {company: other-co, productId: CoPilot, seats: 2, registered: 2025-01-01, expires: 2030-12-31}
`

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// language is every context's rule language, as entitle serve builds it.
func language() *rules.Language {
	scopes := append(orders.Scopes(), seats.Scopes()...)
	return rules.MustLanguage(append(scopes, accounts.Scopes()...)...)
}

// env is a served entitle: the HTTP APIs the web tool uses, with the web
// tool mounted at /ui/ as entitle serve mounts it.
type env struct {
	srv   *httptest.Server
	ui    *Handler
	clock *clock
}

// newEnv serves the example data set (plus extraData) on a memory store,
// with the rule authors' API (registerRulesAPI).
func newEnv(tb testing.TB) *env {
	tb.Helper()
	return newEnvWith(tb, rulesets.FS)
}

// newEnvWith is newEnv deciding with the rule files in rulesFS.
func newEnvWith(tb testing.TB, rulesFS fs.FS) *env {
	tb.Helper()
	ctx := context.Background()
	store := memory.New()
	example, err := os.ReadFile("../cmd/entitle/example.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	for _, b := range [][]byte{example, []byte(extraData)} {
		ds, err := dataset.Parse(b)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := ds.Load(ctx, store); err != nil {
			tb.Fatal(err)
		}
	}
	set, err := language().Load(rulesFS)
	if err != nil {
		tb.Fatal(err)
	}
	clk := &clock{t: time.Now().UTC().Truncate(time.Minute)}
	ids := ports.IDsFunc(func() string { return randomToken()[:22] })
	acc, err := access.New(access.Options{Store: store, Clock: clk, Random: rand.Reader, TokenTTL: time.Hour})
	if err != nil {
		tb.Fatal(err)
	}
	seatsSvc, err := seats.New(seats.Options{Store: store, Rules: set, Clock: clk, IDs: ids})
	if err != nil {
		tb.Fatal(err)
	}
	accountsSvc, err := accounts.New(accounts.Options{Store: store, Rules: set, Clock: clk, IDs: ids})
	if err != nil {
		tb.Fatal(err)
	}
	// Generous limits: a benchmark signs in and reads pages many times.
	api := httpapi.New(httpapi.Options{Store: store, Clock: clk, Access: acc,
		Limits: httpapi.Limits{PerClient: 1e6, PerClientBurst: 1e6, TokenPerAddress: 1e6, TokenPerAddressBurst: 1e6}})
	accountmanager.Register(api, seatsSvc)
	assignments.Register(api, seatsSvc)
	accountops.Register(api, accountsSvc)
	registerRulesAPI(api, set)
	ui := New(Options{API: api, Access: acc, Clock: clk})
	api.Handle(Prefix, ui)
	srv := httptest.NewServer(api)
	tb.Cleanup(srv.Close)
	return &env{srv: srv, ui: ui, clock: clk}
}

// ruleAuthors are the rule authors of the tests: the example data set's
// partner (another-partner is not one).
var ruleAuthors = rulesapi.Authors{"fleet-partner": true}

// registerRulesAPI serves the real rule authors' API on api as entitle
// serve does (rulesapi.RegisterRulesets and RegisterDecisions), with set in
// force, so the playground's calls and the API's wire names cannot drift
// apart unnoticed.
func registerRulesAPI(api *httpapi.Server, set *rules.Set) {
	loaded := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	open := func() ports.Store { return memory.New() }
	rulesapi.RegisterRulesets(api, rulesapi.RulesetsOptions{
		Authors:  ruleAuthors,
		InForce:  func() rulesapi.InForce { return rulesapi.InForce{Set: set, Source: "shipped", LoadedAt: loaded} },
		Language: language(),
		Testers: func() []rules.Tester {
			return []rules.Tester{
				orders.Tester(orders.TesterOptions{Open: open, Load: dataset.LoadDocs}),
				seats.Tester(seats.TesterOptions{}),
				accounts.Tester(accounts.TesterOptions{}),
			}
		},
	})
	rulesapi.RegisterDecisions(api, rulesapi.DecisionsOptions{Rules: func() *rules.Set { return set }, Language: language(), Authors: ruleAuthors})
}

// probe reports whether api has a route for method and path.
func probe(api *httpapi.Server, method, path string) (int, bool) {
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Code, rec.Code != http.StatusNotFound
}

// browser is a cookie-keeping HTTP client that does not follow redirects.
type browser struct {
	tb   testing.TB
	c    *http.Client
	base string
}

func (e *env) browser(tb testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{tb: tb, base: e.srv.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// get returns the status, the Location and the body.
func (b *browser) get(path string) (int, string, string) {
	b.tb.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

func (b *browser) post(path string, form url.Values) (int, string, string) {
	b.tb.Helper()
	resp, err := b.c.PostForm(b.base+path, form)
	if err != nil {
		b.tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the CSRF token from a page.
func (b *browser) csrf(path string) string {
	b.tb.Helper()
	_, _, body := b.get(path)
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		b.tb.Fatalf("no CSRF token on %s", path)
	}
	return m[1]
}

// signIn signs in and fails the test unless it is sent on to want.
func (b *browser) signIn(form url.Values, want string) {
	b.tb.Helper()
	code, loc, body := b.post("/ui/signin", form)
	if code != http.StatusSeeOther || loc != want {
		b.tb.Fatalf("sign-in: %d to %q, want 303 to %q\n%s", code, loc, want, body)
	}
}

func partnerForm(key string) url.Values { return url.Values{"kind": {"partner"}, "apiKey": {key}} }
func companyForm(key, alias string) url.Values {
	return url.Values{"kind": {"company"}, "apiKey": {key}, "alias": {alias}}
}

func strconvItoa(n int) string { return fmt.Sprint(n) }

// htmlUnescape reads text back from a page.
func htmlUnescape(s string) string { return html.UnescapeString(s) }

// TestPlaygroundReadsTheRulesAPI sends the playground's requests (its own
// types) to the real rule authors' API and reads every answer into the
// playground's types refusing unknown fields: a field the API renames,
// adds or drops fails here before a page shows it empty.
func TestPlaygroundReadsTheRulesAPI(t *testing.T) {
	e := newEnv(t)
	post := func(path, tok string, body, out any) {
		t.Helper()
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		method := http.MethodPost
		if body == nil {
			method, b = http.MethodGet, nil
		}
		req, _ := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		got, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, got)
		}
		d := json.NewDecoder(bytes.NewReader(got))
		d.DisallowUnknownFields()
		if err := d.Decode(out); err != nil {
			t.Fatalf("%s %s: the playground cannot read the answer: %v\n%s", method, path, err, got)
		}
	}
	var auth struct{ Token, Expires string }
	post("/api/v1/authenticate", "", map[string]string{"apiKey": apiKey}, &auth)

	var inForce rulesInForce
	post(rulesetsPath, auth.Token, nil, &inForce)
	if inForce.Hash == "" || inForce.Source == "" || inForce.LoadedAt == "" || len(inForce.Files) == 0 {
		t.Fatalf("GET /rulesets: %+v", inForce)
	}
	var check checkAnswer
	post(checkPath, auth.Token, checkRequest{Files: inForce.Files, Run: "bulk"}, &check)
	if !check.OK || check.Hash != inForce.Hash || len(check.Tests) == 0 || check.Tests[0].Line == 0 || check.Coverage == nil || len(check.Coverage.Rules) == 0 {
		t.Fatalf("POST /rulesets/check: %+v", check)
	}
	broken := append([]ruleFile(nil), inForce.Files...)
	for i := range broken {
		if broken[i].Name == "50-seats.yaml" {
			broken[i].Source = strings.Replace(broken[i].Source, "params.max_bulk", "params.max_bulkk", 1)
		}
	}
	check = checkAnswer{}
	post(checkPath, auth.Token, checkRequest{Files: broken}, &check)
	if check.OK || len(check.Errors) == 0 || check.Errors[0].File != "50-seats.yaml" || check.Errors[0].Line == 0 || check.Errors[0].Snippet == "" || check.Coverage != nil {
		t.Fatalf("POST /rulesets/check of a broken copy: %+v", check)
	}
	var ex explainAnswer
	post(explainPath, auth.Token, explainRequest{Context: "seats", Request: json.RawMessage(sampleRequest)}, &ex)
	fired := 0
	for _, s := range ex.Trace {
		if s.Fired {
			fired++
			if s.Rule != "assignment.no-free-seat" || s.File != "50-seats.yaml" || s.Phase == "" || s.Item != 0 || len(s.Reads) == 0 || len(s.Violation) == 0 {
				t.Errorf("the fired step: %+v", s)
			}
		}
	}
	if fired != 1 || len(ex.Decision) == 0 {
		t.Fatalf("POST /rulesets/explain of the sample: %d fired, decision %s", fired, ex.Decision)
	}
	var rep replayAnswer
	post(replayPath, auth.Token, replayRequest{Files: inForce.Files, From: "2001-01-01"}, &rep)
	if rep.Hash != inForce.Hash || rep.Changed == nil || rep.PerRule == nil {
		t.Fatalf("POST /rulesets/replay: %+v", rep)
	}
}
