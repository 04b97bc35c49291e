package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/internal/pgtest"
	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/adapters/sqlite"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rulesets"
)

// startServe runs `entitle serve args...` in-process in dir, logging JSON
// to logs, and returns the base URL once it listens; it stops with the test.
func startServe(t *testing.T, dir string, logs io.Writer, args ...string) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	cfg, code := parseServe(args, io.Discard)
	_ = os.Chdir(wd)
	if code != 0 {
		t.Fatalf("parseServe(%q): exit %d", args, code)
	}
	if !filepath.IsAbs(*cfg.store.db) {
		*cfg.store.db = filepath.Join(dir, *cfg.store.db)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- runServer(ctx, cfg, &out, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: cfg.ops.logLevel})))
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-done:
			done <- err
			t.Fatalf("serve stopped: %v\n%s", err, out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatal("serve did not listen")
	return ""
}

func getText(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// After a real order, the same order replayed under its Idempotency-Key,
// a refusal and an Account Manager read, /metrics holds every series
// DESIGN.md's Operations names, with their labels; the access log names the
// API, proc, uniqueId, principal and refusal codes of each request.
func TestMetricsAndAccessLog(t *testing.T) {
	var logs syncBuffer
	base := startServe(t, t.TempDir(), &logs, "--addr", "127.0.0.1:0", "--rule-authors", "tap-client")
	if code, body := getText(t, base+"/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("GET /readyz: %d %q", code, body)
	}
	tok := mustDo(t, http.MethodPost, base+"/oauth/token", "", "application/x-www-form-urlencoded",
		"grant_type=client_credentials&client_id=tap-client&client_secret=example-secret-change-me", 200)["access_token"].(string)
	today := time.Now().In(pacificLoc(t)).Format("2006-01-02")
	order := func(body, key string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, base+"/cloud/tapstoreapis/v1", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	status, created := order(orderBody(today, 1), "k1")
	if status != 200 {
		t.Fatalf("order: %d %v", status, created)
	}
	if again, _ := order(orderBody(today, 1), "k1"); again != 200 {
		t.Fatalf("replay: %d", again)
	}
	if status, refused := order(orderBody("2001-01-01", 2), "k2"); status != 400 {
		t.Fatalf("refusal: %d %v", status, refused)
	}
	partner := mustDo(t, http.MethodPost, base+"/api/v1/authenticate", "", "application/json", `{"apiKey":"example-api-key-change-me"}`, 200)["token"].(string)
	mustDo(t, http.MethodGet, base+"/api/v1/companies", partner, "", "", 200)
	// The rule authors' API, the OpenAPI documents and the web tool are
	// named too, and the rule authors' API notes what it refuses.
	mustDo(t, http.MethodGet, base+"/rulesets", tok, "", "", 200)
	mustDo(t, http.MethodGet, base+"/decisions/no-such-decision", tok, "", "", 404)
	if code, _ := getText(t, base+"/openapi/"); code != 200 {
		t.Errorf("GET /openapi/: %d", code)
	}
	if code, _ := getText(t, base+"/ui/signin"); code != 200 {
		t.Errorf("GET /ui/signin: %d", code)
	}

	_, scrape := getText(t, base+"/metrics")
	set, err := language().Load(rulesets.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, series := range []string{
		`entitle_http_requests_total{api="tapstore",proc="TAP_CREATE_ORDER_API",status="200"} 2`,
		`entitle_http_requests_total{api="tapstore",proc="TAP_CREATE_ORDER_API",status="400"} 1`,
		`entitle_http_requests_total{api="accountmanager",proc="GET /api/v1/companies",status="200"} 1`,
		`entitle_http_requests_total{api="entitle",proc="POST /oauth/token",status="200"} 1`,
		`entitle_http_requests_total{api="entitle",proc="GET /readyz",status="200"} 1`,
		`entitle_http_requests_total{api="rulesapi",proc="GET /rulesets",status="200"} 1`,
		`entitle_http_requests_total{api="rulesapi",proc="GET /decisions/{id}",status="404"} 1`,
		`entitle_http_requests_total{api="openapi",proc="GET /openapi/{$}",status="200"} 1`,
		`entitle_http_requests_total{api="webui",proc="/ui/",status="200"} 1`,
		`entitle_http_request_duration_seconds_count{api="tapstore",proc="TAP_CREATE_ORDER_API"} 3`,
		`entitle_refusals_total{api="tapstore",code="START_DATE_TOO_EARLY"} 1`,
		`entitle_idempotent_replays_total{api="tapstore"} 1`,
		`entitle_decision_duration_seconds_count{context="orders",outcome="allowed"} 1`,
		`entitle_decision_duration_seconds_count{context="orders",outcome="refused"} 1`,
		`entitle_activation_delivery_failures_total{stage="store"} 0`,
		`entitle_ruleset_info{hash="` + set.Hash() + `"} 1`,
	} {
		if !strings.Contains(scrape, series+"\n") {
			t.Errorf("no %s in the scrape", series)
		}
	}
	for _, re := range []string{
		`(?m)^entitle_store_transaction_duration_seconds_count\{kind="update"\} [1-9]`,
		`(?m)^entitle_store_transaction_duration_seconds_count\{kind="view"\} [1-9]`,
		`(?m)^entitle_decision_duration_seconds_bucket\{context="orders",outcome="allowed",le="\+Inf"\} 1$`,
		`(?m)^entitle_activation_outbox_depth [0-9]+$`,
		`(?m)^go_goroutines [0-9]+$`,
	} {
		if !regexp.MustCompile(re).MatchString(scrape) {
			t.Errorf("no match for %s in the scrape", re)
		}
	}

	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == "request" && m["proc"] == "TAP_CREATE_ORDER_API" {
			lines = append(lines, m)
		}
	}
	var refusedDecision map[string]any
	for sc = bufio.NewScanner(strings.NewReader(logs.String())); sc.Scan(); {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == "request" && m["path"] == "/decisions/no-such-decision" {
			refusedDecision = m
		}
	}
	if fmt.Sprintf("%v %v %v", refusedDecision["api"], refusedDecision["error"], refusedDecision["principal"]) != "rulesapi not_found tap-client" {
		t.Errorf("access log line of GET /decisions/no-such-decision: %v", refusedDecision)
	}
	if len(lines) != 3 {
		t.Fatalf("%d access log lines of orders, want 3:\n%s", len(lines), logs.String())
	}
	for i, want := range []map[string]any{
		{"api": "tapstore", "principal": "tap-client", "status": float64(200), "uniqueId": created["uniqueId"]},
		{"api": "tapstore", "principal": "tap-client", "status": float64(200), "replayed": true},
		{"api": "tapstore", "principal": "tap-client", "status": float64(400), "error": "invalid", "refusals": []any{"START_DATE_TOO_EARLY"}},
	} {
		for k, v := range want {
			if fmt.Sprint(lines[i][k]) != fmt.Sprint(v) {
				t.Errorf("access log line %d: %s = %v, want %v (%v)", i, k, lines[i][k], v, lines[i])
			}
		}
	}
}

// --metrics-addr moves /metrics to a listener of its own; --log-level warn
// drops the access log.
func TestMetricsAddrAndLogLevel(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := l.Addr().String()
	l.Close()
	var logs syncBuffer
	base := startServe(t, t.TempDir(), &logs, "--addr", "127.0.0.1:0", "--metrics-addr", ln, "--log-level", "warn")
	if code, _ := getText(t, base+"/metrics"); code != http.StatusNotFound {
		t.Errorf("GET /metrics on --addr: %d, want 404", code)
	}
	if code, body := getText(t, "http://"+ln+"/metrics"); code != 200 || !strings.Contains(body, `entitle_http_requests_total{api="",proc="unmatched",status="404"} 1`) {
		t.Errorf("GET /metrics on --metrics-addr: %d\n%s", code, body)
	}
	if strings.Contains(logs.String(), `"msg":"request"`) {
		t.Errorf("--log-level warn logged requests:\n%s", logs.String())
	}
}

// Readiness follows the store: 503 once it is closed (here: its
// PostgreSQL schema dropped, when ENTITLE_POSTGRES_DSN is set).
func TestReadyzFollowsTheStore(t *testing.T) {
	set, err := language().Load(rulesets.FS)
	if err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, store ports.Store, broken func(), want string) {
		api, _, _, err := newAPI(store, rules.NewLive(set), ports.ClockFunc(time.Now), 0, httpapi.Limits{}, discardLog())
		if err != nil {
			t.Fatal(err)
		}
		ready := func() (int, string) {
			rec := httptest.NewRecorder()
			api.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			return rec.Code, rec.Body.String()
		}
		if code, body := ready(); code != 200 {
			t.Fatalf("ready store: %d %q", code, body)
		}
		broken()
		if code, body := ready(); code != 503 || !strings.HasPrefix(body, "not ready: store: ") || !strings.Contains(body, want) {
			t.Errorf("broken store: %d %q, want 503 naming %q", code, body, want)
		}
	}
	t.Run("sqlite closed", func(t *testing.T) {
		s, err := sqlite.Open(filepath.Join(t.TempDir(), "e.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		check(t, s, func() { _ = s.Close() }, "closed")
	})
	dsn := os.Getenv("ENTITLE_POSTGRES_DSN")
	if dsn == "" {
		return
	}
	t.Run("postgres schema dropped", func(t *testing.T) {
		schema := pgtest.Schema(t, dsn)
		s, err := postgres.Open(t.Context(), dsn, postgres.Options{Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		check(t, s, func() { pgExec(t, dsn, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE") }, "ping")
	})
	t.Run("postgres closed", func(t *testing.T) {
		s, err := postgres.Open(t.Context(), dsn, postgres.Options{Schema: pgtest.Schema(t, dsn)})
		if err != nil {
			t.Fatal(err)
		}
		check(t, s, func() { _ = s.Close() }, "closed")
	})
}

func pgExec(t *testing.T, dsn, sql string, args ...any) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

// Every flag of serve can come from ENTITLE_<NAME>; one on the command line
// wins; a bad value is an error naming the variable.
func TestEnvironmentConfiguration(t *testing.T) {
	t.Setenv("ENTITLE_ADDR", "127.0.0.1:1")
	t.Setenv("ENTITLE_TOKEN_TTL", "5m")
	t.Setenv("ENTITLE_POSTGRES", "postgres://u:secret@db.example/entitle")
	t.Setenv("ENTITLE_POSTGRES_SCHEMA", "tenant_a")
	t.Setenv("ENTITLE_LOG_LEVEL", "debug")
	t.Setenv("ENTITLE_METRICS_ADDR", "127.0.0.1:9090")
	t.Setenv("ENTITLE_RULE_AUTHORS", "alice,bob")
	t.Setenv("ENTITLE_EXAMPLE", "false")
	var stderr bytes.Buffer
	cfg, code := parseServe([]string{"--addr", "127.0.0.1:2", "--token-ttl=1h"}, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	got := fmt.Sprintf("addr=%s ttl=%s postgres=%s schema=%s level=%s metrics=%s authors=%v example=%v",
		cfg.addr, cfg.tokenTTL, *cfg.store.postgres, *cfg.store.schema, cfg.ops.logLevel, cfg.ops.metricsAddr, cfg.ruleAuthors, cfg.example)
	want := "addr=127.0.0.1:2 ttl=1h0m0s postgres=postgres://u:secret@db.example/entitle schema=tenant_a level=DEBUG metrics=127.0.0.1:9090 authors=map[alice:true bob:true] example=false"
	if got != want {
		t.Errorf("parsed\n %s\nwant\n %s", got, want)
	}

	t.Setenv("ENTITLE_TOKEN_TTL", "soon")
	stderr.Reset()
	if _, code := parseServe(nil, &stderr); code != 2 || !strings.Contains(stderr.String(), "ENTITLE_TOKEN_TTL") || !strings.Contains(stderr.String(), "--token-ttl") {
		t.Errorf("a bad ENTITLE_TOKEN_TTL: exit %d, %q", code, stderr.String())
	}
	t.Setenv("ENTITLE_TOKEN_TTL", "5m")
	t.Setenv("ENTITLE_POSTGRES", "")
	t.Setenv("ENTITLE_POSTGRES_SCHEMA", "")

	// A file named in the environment is named: the example stays out of it.
	dir := t.TempDir()
	t.Setenv("ENTITLE_DB", filepath.Join(dir, "mine.db"))
	t.Setenv("ENTITLE_EXAMPLE", "")
	os.Unsetenv("ENTITLE_EXAMPLE")
	if cfg, code := parseServe(nil, &stderr); code != 0 || cfg.example || *cfg.store.db != filepath.Join(dir, "mine.db") {
		t.Errorf("ENTITLE_DB: exit %d, example %v, db %s", code, cfg.example, *cfg.store.db)
	}
}

// applyEnv reaches every flag of every command: given each flag's own
// default in its variable, each is set from it.
func TestEveryFlagHasItsVariable(t *testing.T) {
	sets := map[string]*flag.FlagSet{}
	for _, name := range []string{"serve", "load", "migrate status"} {
		fl := flag.NewFlagSet(name, flag.ContinueOnError)
		storeFlags(fl)
		if name == "serve" {
			fl = flag.NewFlagSet(name, flag.ContinueOnError)
			fl.SetOutput(io.Discard)
			// parseServe's own set, reached through its -h output.
			var help bytes.Buffer
			parseServe([]string{"-h"}, &help)
			for _, f := range regexp.MustCompile(`(?m)^  -([a-z-]+)`).FindAllStringSubmatch(help.String(), -1) {
				fl.String(f[1], "", "")
			}
			if !strings.Contains(help.String(), "ENTITLE_TOKEN_TTL") {
				t.Errorf("serve -h does not say flags come from the environment:\n%s", help.String())
			}
		}
		sets[name] = fl
	}
	for name, fl := range sets {
		n := 0
		fl.VisitAll(func(*flag.Flag) { n++ })
		if n == 0 {
			t.Fatalf("%s: no flags", name)
		}
		seen := map[string]bool{}
		err := applyEnv(fl, func(v string) (string, bool) {
			seen[v] = true
			return fl.Lookup(strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(v, "ENTITLE_"), "_", "-"))).DefValue, true
		})
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		fl.VisitAll(func(f *flag.Flag) {
			if !seen[envName(f.Name)] {
				t.Errorf("%s --%s: %s was not looked up", name, f.Name, envName(f.Name))
			}
		})
	}
	if got := envName("postgres-schema"); got != "ENTITLE_POSTGRES_SCHEMA" {
		t.Errorf("envName(postgres-schema) = %s", got)
	}
}

// entitle migrate status lists every migration of an SQLite file, applied
// or pending, changes nothing, and exits 0 when none is pending, 3 when
// some are, 1 for a file migrated by a newer entitle or no file at all.
func TestMigrateStatusSQLite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "e.db")
	if code, out, errs := runCmd("migrate", "status", "--db", path); code != 1 || !strings.Contains(errs, "no database file") {
		t.Errorf("no file: exit %d %q %q", code, out, errs)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("migrate status created %s", path)
	}
	s, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	code, out, errs := runCmd("migrate", "status", "--db", path)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[0] != "store: sqlite "+path || !regexp.MustCompile(`^VERSION +NAME +STATE$`).MatchString(lines[1]) ||
		!regexp.MustCompile(`^0001 +core +applied \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).MatchString(lines[2]) ||
		!regexp.MustCompile(`^\d+ applied, none pending$`).MatchString(lines[len(lines)-1]) {
		t.Errorf("up to date:\n%s", out)
	}
	n := len(lines) - 3 // migrations listed

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("DELETE FROM schema_migrations WHERE version = ?", n); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCmd("migrate", "status", "--db", path)
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if code != exitPending || !regexp.MustCompile(fmt.Sprintf(`^%04d +\S+ +pending$`, n)).MatchString(lines[len(lines)-2]) ||
		lines[len(lines)-1] != fmt.Sprintf("%d applied, 1 pending: entitle serve or entitle load applies them when it opens the store", n-1) {
		t.Errorf("one pending: exit %d\n%s", code, out)
	}
	if _, err := db.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from_the_future', '2030-01-01T00:00:00Z')", n+5); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCmd("migrate", "status", "--db", path)
	if code != 1 || !regexp.MustCompile(fmt.Sprintf(`(?m)^%04d +from_the_future +applied by a newer entitle$`, n+5)).MatchString(out) {
		t.Errorf("newer: exit %d\n%s", code, out)
	}
	if code, _, _ := runCmd("migrate", "status", "--postgres-schema", "x"); code != 2 {
		t.Errorf("--postgres-schema without --postgres: exit %d", code)
	}
	if code, _, _ := runCmd("migrate"); code != 2 {
		t.Errorf("migrate without status: exit %d", code)
	}
}

// --postgres-schema (and, without it, the DSN's search_path) puts every
// table in that schema, created when missing; public is left as it was.
// migrate status reads the same schema.
func TestPostgresSchemaOption(t *testing.T) {
	dsn := os.Getenv("ENTITLE_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("ENTITLE_POSTGRES_DSN is not set")
	}
	file := filepath.Join(t.TempDir(), "example.yaml")
	if err := os.WriteFile(file, exampleData, 0o600); err != nil {
		t.Fatal(err)
	}
	publicTables := func() string {
		conn, err := pgx.Connect(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var names string
		if err := conn.QueryRow(t.Context(), `SELECT coalesce(string_agg(table_name, ',' ORDER BY table_name), '')
			FROM information_schema.tables WHERE table_schema = 'public'`).Scan(&names); err != nil {
			t.Fatal(err)
		}
		return names
	}
	tablesIn := func(schema string) int {
		conn, err := pgx.Connect(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var n int
		if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM information_schema.tables WHERE table_schema = $1`, schema).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := publicTables()
	withPath := func(dsn, schema string) string {
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		return dsn + sep + "search_path=" + schema
	}
	for _, tc := range []struct {
		name string
		args func(schema string) []string
	}{
		{"--postgres-schema", func(schema string) []string { return []string{"--postgres", dsn, "--postgres-schema", schema} }},
		{"search_path", func(schema string) []string { return []string{"--postgres", withPath(dsn, schema)} }},
		{"ENTITLE_POSTGRES_SCHEMA", func(schema string) []string {
			t.Setenv("ENTITLE_POSTGRES", dsn)
			t.Setenv("ENTITLE_POSTGRES_SCHEMA", schema)
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			schema := pgtest.Schema(t, dsn)
			args := tc.args(schema)
			code, out, errs := runCmd(append([]string{"migrate", "status"}, args...)...)
			if code != exitPending || !strings.HasPrefix(out, "store: postgres, schema "+schema+"\n") || !regexp.MustCompile(`(?m)^0001 +core +pending$`).MatchString(out) {
				t.Errorf("migrate status of a new schema: exit %d\n%s%s", code, out, errs)
			}
			if tablesIn(schema) != 0 {
				t.Errorf("migrate status created tables in %s", schema)
			}
			if code, out, errs := runCmd(append(append([]string{"load"}, args...), file)...); code != 0 {
				t.Fatalf("load: exit %d %s %s", code, out, errs)
			}
			if tablesIn(schema) == 0 {
				t.Errorf("no tables in %s", schema)
			}
			if code, out, errs := runCmd(append([]string{"migrate", "status"}, args...)...); code != 0 || !strings.Contains(out, "none pending") {
				t.Errorf("migrate status after load: exit %d\n%s%s", code, out, errs)
			}
		})
	}
	if after := publicTables(); after != before {
		t.Errorf("public changed: %q, was %q", after, before)
	}
}
