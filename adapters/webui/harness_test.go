package webui

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
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
	"testing/fstest"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/httpapi/accountmanager"
	"github.com/entitle-rules/entitle/adapters/httpapi/accountops"
	"github.com/entitle-rules/entitle/adapters/httpapi/assignments"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
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

// newEnv serves the example data set (plus extraData) on a memory store.
// Without the rule authors' API on this branch, fakeRulesAPI answers its
// paths per the shared contract.
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

// fakeRulesAPI answers GET /rulesets and POST /rulesets/check, /explain
// and /replay per the shared contract, with the rule language itself
// (compile errors at line and column, the files' own tests), for rule
// authors fleet-partner only. The lead's merge brings the real ones.
type fakeRulesAPI struct {
	api *httpapi.Server
	set *rules.Set
}

func (f *fakeRulesAPI) authorize(w http.ResponseWriter, r *http.Request) bool {
	r, err := f.api.AuthenticateBearer(r, domain.APIKey, domain.ClientCredentials)
	if err != nil {
		writeTestJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]string{"code": "unauthenticated", "message": err.Error()}})
		return false
	}
	if p, _ := httpapi.PrincipalFrom(r.Context()); p.Partner != "fleet-partner" {
		writeTestJSON(w, http.StatusForbidden, map[string]any{"error": map[string]string{"code": "forbidden",
			"message": "partner " + p.Partner + " is not a rule author; an operator names rule authors with entitle serve --rule-authors"}})
		return false
	}
	return true
}

func writeTestJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeRulesAPI) files() []ruleFile {
	var out []ruleFile
	for _, name := range f.set.Files() {
		b, _ := rulesets.FS.ReadFile(name)
		out = append(out, ruleFile{Name: name, Source: string(b)})
	}
	return out
}

func (f *fakeRulesAPI) load(files []ruleFile) (*rules.Set, error) {
	m := fstest.MapFS{}
	for _, fl := range files {
		m[fl.Name] = &fstest.MapFile{Data: []byte(fl.Source)}
	}
	return language().Load(m)
}

func registerRulesAPI(api *httpapi.Server, set *rules.Set) {
	if _, pattern := probe(api, "GET", "/rulesets"); pattern {
		return // the real API is registered
	}
	f := &fakeRulesAPI{api: api, set: set}
	api.Handle("GET /rulesets", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.authorize(w, r) {
			writeTestJSON(w, 200, map[string]any{"hash": set.Hash(), "source": "built-in", "loadedAt": "2026-01-01T00:00:00Z", "files": f.files()})
		}
	}))
	api.Handle("POST /rulesets/check", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !f.authorize(w, r) {
			return
		}
		var req checkRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeTestJSON(w, 400, map[string]any{"error": map[string]string{"code": "invalid", "message": err.Error()}})
			return
		}
		out := map[string]any{"ok": true, "errors": []any{}, "tests": []any{}}
		s, err := f.load(req.Files)
		var le *rules.LoadError
		if errors.As(err, &le) {
			var errs []map[string]any
			for _, p := range le.Problems {
				errs = append(errs, map[string]any{"file": p.Pos.File, "line": p.Pos.Line, "column": p.Pos.Col, "message": p.Msg})
			}
			out["ok"], out["errors"] = false, errs
			writeTestJSON(w, 200, out)
			return
		} else if err != nil {
			writeTestJSON(w, 500, map[string]any{"error": map[string]string{"code": "internal", "message": err.Error()}})
			return
		}
		out["hash"] = s.Hash()
		results, _ := s.RunTests(r.Context(), seats.Tester(seats.TesterOptions{}), accounts.Tester(accounts.TesterOptions{}))
		var re *regexp.Regexp
		if req.Run != "" {
			re, _ = regexp.Compile(req.Run)
		}
		var tests []map[string]any
		for _, t := range results {
			if re != nil && !re.MatchString(t.Name) {
				continue
			}
			tests = append(tests, map[string]any{"file": t.Pos.File, "name": t.Name, "passed": t.Passed(), "message": strings.Join(t.Failures, "; ")})
		}
		out["tests"] = tests
		writeTestJSON(w, 200, out)
	}))
	api.Handle("POST /rulesets/explain", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.authorize(w, r) {
			writeTestJSON(w, 200, map[string]any{"decision": map[string]any{"allowed": true}, "trace": []map[string]any{
				{"rule": "seats.free_seat", "file": "50-seats.yaml", "line": 12, "fired": false, "reads": map[string]int{"free": 1}}}})
		}
	}))
	api.Handle("POST /rulesets/replay", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.authorize(w, r) {
			writeTestJSON(w, 200, map[string]any{"replayed": 3, "changed": []any{}, "perRule": map[string]int{}})
		}
	}))
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
