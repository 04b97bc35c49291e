package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rulesets"
)

// TestServeMountsTheWebTool: entitle serve's handler answers the web tool
// at /ui/, and the example's printed apiKey signs a partner in.
func TestServeMountsTheWebTool(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	if _, err := loadData(ctx, store, exampleData); err != nil {
		t.Fatal(err)
	}
	set, err := language().Load(rulesets.FS)
	if err != nil {
		t.Fatal(err)
	}
	api, _, _, err := newAPI(store, rules.NewLive(set), ports.ClockFunc(time.Now), time.Hour, httpapi.Limits{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(srv.URL + "/ui/signin")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Sign in") || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("/ui/signin: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, err = c.PostForm(srv.URL+"/ui/signin", url.Values{"kind": {"partner"}, "apiKey": {"example-api-key-change-me"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/partner" {
		t.Fatalf("signing in with the example apiKey: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}
