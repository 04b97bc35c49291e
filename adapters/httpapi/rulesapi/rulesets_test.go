package rulesapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/httpapi/internal/apitest"
	"github.com/entitle-rules/entitle/adapters/httpapi/rulesapi"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/accounts"
	"github.com/entitle-rules/entitle/rules/dataset"
	"github.com/entitle-rules/entitle/rules/orders"
	"github.com/entitle-rules/entitle/rules/seats"
	"github.com/entitle-rules/entitle/rulesets"
)

func language() *rules.Language {
	return rules.MustLanguage(append(append(orders.Scopes(), seats.Scopes()...), accounts.Scopes()...)...)
}

func testers() []rules.Tester {
	return []rules.Tester{
		orders.Tester(orders.TesterOptions{Open: func() ports.Store { return memory.New() }, Load: dataset.LoadDocs}),
		seats.Tester(seats.TesterOptions{}), accounts.Tester(accounts.TesterOptions{}),
	}
}

// shippedFiles returns the shipped rule files as a check request names them.
func shippedFiles(t *testing.T, set *rules.Set) []rulesapi.File {
	t.Helper()
	var out []rulesapi.File
	for _, n := range set.Files() {
		out = append(out, rulesapi.File{Name: n, Source: string(set.Source(n))})
	}
	return out
}

// TestRulesetsAnswersAsDocumented serves the two endpoints over the example
// data set and checks every answer against openapi.yaml.
func TestRulesetsAnswersAsDocumented(t *testing.T) {
	set, err := language().Load(rulesets.FS)
	if err != nil {
		t.Fatal(err)
	}
	loaded := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	store := memory.New()
	apitest.LoadExample(t, store)
	_, _, srv := apitest.Serve(t, store, ports.ClockFunc(time.Now), httpapi.Limits{}, func(api *httpapi.Server) {
		rulesapi.RegisterRulesets(api, rulesapi.RulesetsOptions{
			Authors:  rulesapi.Authors{"tap-client": true},
			InForce:  func() rulesapi.InForce { return rulesapi.InForce{Set: set, Source: "shipped", LoadedAt: loaded} },
			Language: language(), Testers: testers,
		})
	})
	spec := apitest.LoadSpec(t, rulesapi.OpenAPI(), apitest.SpecOptions{})
	resp, err := srv.Client().PostForm(srv.URL+"/oauth/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {"tap-client"}, "client_secret": {"example-secret-change-me"}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	do := func(method, path, token, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		spec.Check(t, req, resp.StatusCode, resp.Header, raw)
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		return resp.StatusCode, m
	}
	status, got := do(http.MethodGet, "/rulesets", tok.AccessToken, "")
	if files, _ := got["files"].([]any); status != 200 || got["hash"] != set.Hash() || got["source"] != "shipped" ||
		got["loadedAt"] != "2026-01-02T03:04:05Z" || len(files) != len(set.Files()) {
		t.Errorf("GET /rulesets: %d %v", status, got)
	}
	files := shippedFiles(t, set)
	body := func(files []rulesapi.File, run string) string {
		b, _ := json.Marshal(map[string]any{"files": files, "run": run})
		return string(b)
	}
	status, got = do(http.MethodPost, "/rulesets/check", tok.AccessToken, body(files, "sample order"))
	if tests, _ := got["tests"].([]any); status != 200 || got["ok"] != true || got["hash"] != set.Hash() || len(tests) != 1 {
		t.Errorf("checking the shipped files: %d %v", status, got)
	}
	broken := append([]rulesapi.File(nil), files...)
	broken[1].Source = strings.Replace(broken[1].Source, "params.max_order_lines", "params.max_order_line", 1)
	status, got = do(http.MethodPost, "/rulesets/check", tok.AccessToken, body(broken, ""))
	errs, _ := got["errors"].([]any)
	if status != 200 || got["ok"] != false || len(errs) != 1 || got["coverage"] != nil {
		t.Fatalf("a broken copy: %d %v", status, got)
	}
	if e := errs[0].(map[string]any); e["file"] != "10-orders.yaml" || !strings.Contains(e["message"].(string), "unknown params.max_order_line") ||
		!strings.HasSuffix(e["snippet"].(string), "^") {
		t.Errorf("the error: %v", e)
	}
	for _, tc := range []struct {
		token, body string
		status      int
	}{
		{tok.AccessToken, `{"files": []}`, 400},
		{tok.AccessToken, `{"files": [{"name": "a.txt", "source": ""}]}`, 400},
		{tok.AccessToken, `{"files": [{"name": "a.yaml", "source": ""}, {"name": "a.yaml", "source": ""}]}`, 400},
		{tok.AccessToken, `{"files": [{"name": "a.yaml", "source": ""}], "run": "("}`, 400},
		{tok.AccessToken, `{"files": [{"name": "a.yaml"}], "colour": 1}`, 400},
		{tok.AccessToken, `{"files": `, 400},
		{"", `{}`, 401},
	} {
		if status, got := do(http.MethodPost, "/rulesets/check", tc.token, tc.body); status != tc.status {
			t.Errorf("%s: %d %v, want %d", tc.body, status, got, tc.status)
		}
	}
}

// TestRulesetsOnlyForAuthors: a partner the operator did not name is
// refused, before anything is compiled.
func TestRulesetsOnlyForAuthors(t *testing.T) {
	set, err := language().Load(rulesets.FS)
	if err != nil {
		t.Fatal(err)
	}
	store := memory.New()
	apitest.LoadExample(t, store)
	_, _, srv := apitest.Serve(t, store, ports.ClockFunc(time.Now), httpapi.Limits{}, func(api *httpapi.Server) {
		rulesapi.RegisterRulesets(api, rulesapi.RulesetsOptions{Authors: rulesapi.Authors{"someone-else": true},
			InForce:  func() rulesapi.InForce { return rulesapi.InForce{Set: set, Source: "shipped"} },
			Language: language(), Testers: testers})
	})
	resp, _ := srv.Client().PostForm(srv.URL+"/oauth/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {"tap-client"}, "client_secret": {"example-secret-change-me"}})
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/rulesets", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || tok.AccessToken == "" {
		t.Errorf("a partner who is not a rule author: %d", resp.StatusCode)
	}
}
