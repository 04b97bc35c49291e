package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/orders"
)

// reloadedRule is a rule file that refuses the orders of one PO number, so
// a test sees which rules decided.
const reloadedRule = `ruleset: reload-test
rules:
  - id: order.reload-test
    scope: order
    when: order.customerPONumber == "PO-RELOADED"
    deny: {code: RELOADED, field: customerPONumber, message: "refused by the reloaded rules"}
`

// alwaysDeny compiles, but breaks the tests of every accepted order.
const alwaysDeny = `ruleset: reload-test
rules:
  - id: order.refuse-all
    scope: order
    when: true
    deny: {code: CLOSED, field: lines, message: "closed"}
`

// doesNotCompile names a field no order has.
const doesNotCompile = `ruleset: reload-test
rules:
  - id: order.reload-test
    scope: order
    when: order.customerPONumbr == "PO-RELOADED"
    deny: {code: RELOADED, field: customerPONumber, message: "refused"}
`

// writeRule writes the rule file 90-reload.yaml into dir with a modification
// time a second past the last one, so a poll sees it even on a file system
// with coarse mtimes.
func writeRule(t *testing.T, dir, body string) {
	t.Helper()
	p := filepath.Join(dir, "90-reload.yaml")
	var mtime time.Time
	if st, err := os.Stat(p); err == nil {
		mtime = st.ModTime().Add(time.Second)
	} else {
		mtime = time.Now()
	}
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond for up to 20 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func loadForTest(t *testing.T, dir string) (*ruleState, *syncBuffer) {
	t.Helper()
	var logs syncBuffer
	rs, err := loadRules(dir, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return rs, &logs
}

// TestReloadServes runs entitle serve on a copy of the rulesets: a changed
// directory goes into force (GET /rulesets reports the new hash and orders
// are decided by the new rule), and a file that does not compile, or one
// whose rules break the files' tests, is refused with the error in the log
// while the rules in force stay.
func TestReloadServes(t *testing.T) {
	if testing.Short() {
		t.Skip("serves with the example data set")
	}
	dir := copyRulesets(t, "10-orders.yaml", "", "")
	work := t.TempDir()
	var out, logs syncBuffer
	cfg, code := parseServe([]string{"--addr", "127.0.0.1:0", "--rulesets", dir, "--example", "--db", filepath.Join(work, "e.db")}, &logs)
	if code != 0 {
		t.Fatalf("parseServe: %d %s", code, logs.String())
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- runServer(ctx, cfg, &out, slog.New(slog.NewJSONHandler(&logs, nil))) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	waitFor(t, "serve to listen", func() bool { return strings.Contains(out.String(), "listening on") })
	base := strings.TrimSpace(out.String()[strings.Index(out.String(), "listening on ")+len("listening on "):])
	tok := mustDo(t, http.MethodPost, base+"/oauth/token", "", "application/x-www-form-urlencoded",
		"grant_type=client_credentials&client_id=tap-client&client_secret=example-secret-change-me", 200)["access_token"].(string)
	inForce := func() string {
		return mustDo(t, http.MethodGet, base+"/rulesets", tok, "", "", 200)["hash"].(string)
	}
	order := func() string {
		body := `{"ProcName": "TAP_CREATE_ORDER_API", "ProcRequester": "TAP", "request": {
		"customerPONumber": "PO-RELOADED", "currencyCode": "USD", "billToContactEmail": "a@example.com", "shipToContactEmail": "b@example.com", "billToSiteUseId": 531807, "shipToSiteUseId": 1912956,
		"lines": [{"lineNumber": 1, "serviceStartDate": "` + time.Now().In(pacific(t)).Format("2006-01-02") + `", "partNumber": "132001-10",
			"serialNumber": "` + fmt.Sprintf("%010d", time.Now().UnixNano()%1e10) + `", "serviceType": "RTX", "manufacturerModel": "R12", "autoRenewal": "Y", "activationType": "IMMEDIATE"}]}}`
		req, _ := http.NewRequest(http.MethodPost, base+"/cloud/tapstoreapis/v1", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&b)
		return fmt.Sprint(resp.StatusCode, " ", b)
	}
	before := inForce()
	playground(t, base, tok, dir)
	if got := order(); strings.Contains(got, "RELOADED") || !strings.HasPrefix(got, "200") {
		t.Fatalf("before the reload: %s", got)
	}

	writeRule(t, dir, reloadedRule)
	waitFor(t, "the reload", func() bool { return inForce() != before })
	if !strings.Contains(logs.String(), `"msg":"rules reloaded"`) || !strings.Contains(logs.String(), `"why":"the directory changed"`) {
		t.Errorf("the log does not record the reload:\n%s", logs.String())
	}
	if got := order(); !strings.Contains(got, "RELOADED") {
		t.Errorf("after the reload the new rule did not decide: %s", got)
	}
	reloaded := inForce()

	for _, tc := range []struct{ name, body, logged string }{
		{"compile error", doesNotCompile, "90-reload.yaml:5:"},
		{"failing tests", alwaysDeny, "tests fail"},
	} {
		n := strings.Count(logs.String(), "rules reload refused")
		writeRule(t, dir, tc.body)
		waitFor(t, tc.name+" refused", func() bool { return strings.Count(logs.String(), "rules reload refused") > n })
		if !strings.Contains(logs.String(), tc.logged) {
			t.Errorf("%s: the log does not say why (%s):\n%s", tc.name, tc.logged, logs.String())
		}
		if got := inForce(); got != reloaded {
			t.Errorf("%s: the hash in force changed to %s", tc.name, got)
		}
		if got := order(); !strings.Contains(got, "RELOADED") {
			t.Errorf("%s: the rules in force changed: %s", tc.name, got)
		}
	}
}

// TestReloadOnSIGHUP: with a poll too slow to notice, SIGHUP reloads.
func TestReloadOnSIGHUP(t *testing.T) {
	dir := copyRulesets(t, "10-orders.yaml", "", "")
	rs, logs := loadForTest(t, dir)
	before := rs.live.Set().Hash()
	rs.watch(t.Context(), time.Hour)
	writeRule(t, dir, reloadedRule)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the SIGHUP reload", func() bool { return rs.live.Set().Hash() != before })
	if !strings.Contains(logs.String(), `"why":"SIGHUP"`) {
		t.Errorf("the log does not say SIGHUP:\n%s", logs.String())
	}
}

// TestReloadOnDirectoryChange: a poll notices a changed, an added and a
// removed file; touching a file without changing it reloads nothing.
func TestReloadOnDirectoryChange(t *testing.T) {
	dir := copyRulesets(t, "10-orders.yaml", "", "")
	rs, logs := loadForTest(t, dir)
	first := rs.live.Set().Hash()
	rs.watch(t.Context(), 10*time.Millisecond)

	writeRule(t, dir, reloadedRule) // added
	waitFor(t, "the added file", func() bool { return rs.live.Set().Hash() != first })
	added := rs.live.Set().Hash()
	if len(rs.live.Set().Files()) != len(mustGlob(t, dir)) {
		t.Errorf("the new set has %d files, the directory %d", len(rs.live.Set().Files()), len(mustGlob(t, dir)))
	}

	writeRule(t, dir, reloadedRule) // touched: a newer mtime, the same content
	time.Sleep(100 * time.Millisecond)
	if n := strings.Count(logs.String(), "rules reloaded"); n != 1 || rs.live.Set().Hash() != added {
		t.Errorf("touching a file reloaded: %d reloads\n%s", n, logs.String())
	}

	if err := os.Remove(filepath.Join(dir, "90-reload.yaml")); err != nil { // removed
		t.Fatal(err)
	}
	waitFor(t, "the removed file", func() bool { return rs.live.Set().Hash() == first })
}

func mustGlob(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestReloadRefusesAndKeeps: reload itself returns the reason and keeps the
// set in force, and reports a directory unchanged since the last try.
func TestReloadRefusesAndKeeps(t *testing.T) {
	dir := copyRulesets(t, "10-orders.yaml", "", "")
	rs, logs := loadForTest(t, dir)
	before := rs.live.Set()
	if err := rs.reload(t.Context(), "test"); err != errUnchanged {
		t.Errorf("an unchanged directory: %v", err)
	}
	writeRule(t, dir, doesNotCompile)
	err := rs.reload(t.Context(), "test")
	if err == nil || !strings.Contains(err.Error(), "90-reload.yaml:5:") || rs.live.Set() != before {
		t.Errorf("a compile error: err %v, set swapped %v", err, rs.live.Set() != before)
	}
	writeRule(t, dir, alwaysDeny)
	err = rs.reload(t.Context(), "test")
	if err == nil || !strings.Contains(err.Error(), "tests fail") || !strings.Contains(err.Error(), "(CLOSED)") || rs.live.Set() != before {
		t.Errorf("failing tests: err %v, set swapped %v", err, rs.live.Set() != before)
	}
	if !strings.Contains(logs.String(), `"level":"ERROR","msg":"rules reload refused; the rules in force stay"`) {
		t.Errorf("the refusals are not logged:\n%s", logs.String())
	}
	writeRule(t, dir, reloadedRule)
	if err := rs.reload(t.Context(), "test"); err != nil || rs.live.Set() == before {
		t.Errorf("a good file: err %v", err)
	}
}

// TestReloadRace decides orders on every goroutine while the rule set is
// swapped back and forth: run with -race. Each decision names the hash of
// the one set it was decided with, and that set's rule decided it.
func TestReloadRace(t *testing.T) {
	dir := copyRulesets(t, "10-orders.yaml", "", "")
	rs, _ := loadForTest(t, dir)
	plain := rs.live.Set()
	writeRule(t, dir, reloadedRule)
	if err := rs.reload(t.Context(), "test"); err != nil {
		t.Fatal(err)
	}
	strict := rs.live.Set()
	svc, err := orders.New(orders.Options{Store: memory.New(), Live: rs.live, Clock: ports.ClockFunc(time.Now), IDs: ports.IDsFunc(randomID)})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if i%2 == 0 {
				rs.live.Swap(plain)
			} else {
				rs.live.Swap(strict)
			}
		}
	}()
	req := domain.OrderRequest{CustomerPONumber: "PO-RELOADED", CurrencyCode: "USD"}
	seen := map[string]bool{}
	var mu sync.Mutex
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				rc, err := svc.CreateOrder(context.Background(), domain.Principal{Partner: "tap-client"}, req)
				d := rc.Decision
				if domain.ErrorCode(err) != domain.CodeInvalid || d.RulesetHash == "" {
					t.Errorf("an order without lines: %v, decided with %q", err, d.RulesetHash)
					return
				}
				refused := false
				for _, v := range d.Violations {
					refused = refused || v.Code == "RELOADED"
				}
				if (d.RulesetHash == strict.Hash()) != refused {
					t.Errorf("decided with %s, refused by the reloaded rule: %v", d.RulesetHash[:12], refused)
					return
				}
				mu.Lock()
				seen[d.RulesetHash] = true
				mu.Unlock()
			}
		}()
	}
	time.Sleep(10 * time.Millisecond)
	close(stop)
	wg.Wait()
	if len(seen) == 0 {
		t.Error("no decisions")
	}
}

// playground checks POST /rulesets/check: an edited copy that does not
// compile answers ok=false with the error's position and snippet; a good
// one runs the tests -run selects and reports coverage; a malformed body is
// a 400; nothing of it goes into force.
func playground(t *testing.T, base, tok, dir string) {
	t.Helper()
	type file struct {
		Name   string `json:"name"`
		Source string `json:"source"`
	}
	var files []file
	for _, p := range mustGlob(t, dir) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, file{filepath.Base(p), string(b)})
	}
	inForce := mustDo(t, http.MethodGet, base+"/rulesets", tok, "", "", 200)
	hash := inForce["hash"]
	if got, _ := inForce["files"].([]any); inForce["source"] != dir || len(got) != len(files) || inForce["loadedAt"] == nil ||
		got[0].(map[string]any)["source"] != files[0].Source {
		t.Errorf("GET /rulesets: source %v, %d files, loaded at %v", inForce["source"], len(got), inForce["loadedAt"])
	}
	post := func(files []file, run string, status int) map[string]any {
		body, _ := json.Marshal(map[string]any{"files": files, "run": run})
		return mustDo(t, http.MethodPost, base+"/rulesets/check", tok, "application/json", string(body), status)
	}
	bad := post(append(files, file{"90-reload.yaml", doesNotCompile}), "", 200)
	errs, _ := bad["errors"].([]any)
	if bad["ok"] != false || len(errs) != 1 {
		t.Fatalf("a copy that does not compile: %v", bad)
	}
	e := errs[0].(map[string]any)
	if e["file"] != "90-reload.yaml" || e["line"] != 5.0 || e["column"] != 17.0 ||
		e["snippet"] != "    when: order.customerPONumbr == \"PO-RELOADED\"\n                ^" {
		t.Errorf("the compile error: %#v", e)
	}
	good := post(append(files, file{"90-reload.yaml", reloadedRule}), "sample order", 200)
	tests, _ := good["tests"].([]any)
	cov, _ := good["coverage"].(map[string]any)
	if good["ok"] != true || len(tests) == 0 || good["hash"] == hash || cov["percent"] == nil {
		t.Fatalf("a good copy: %v", good)
	}
	for _, x := range tests {
		if tc := x.(map[string]any); !strings.Contains(tc["name"].(string), "sample order") || tc["passed"] != true {
			t.Errorf("run selected %v", tc)
		}
	}
	failing := post(append(files, file{"90-reload.yaml", alwaysDeny}), "sample order", 200)
	if failing["ok"] != false {
		t.Errorf("a copy whose tests fail: %v", failing)
	}
	mustDo(t, http.MethodPost, base+"/rulesets/check", tok, "application/json", `{"files": "no"}`, 400)
	mustDo(t, http.MethodPost, base+"/rulesets/check", tok, "application/json", `{"files": [{"name": "../x.yaml", "source": ""}]}`, 400)
	mustDo(t, http.MethodPost, base+"/rulesets/check", "", "application/json", `{}`, 401)
	if got := mustDo(t, http.MethodGet, base+"/rulesets", tok, "", "", 200)["hash"]; got != hash {
		t.Errorf("a check changed the rules in force")
	}
}

// TestReloadOfAMissingDirectoryLogsOnce: a directory that goes away is one
// refused reload in the log, not one a second; the rules in force stay and
// a directory that comes back is reloaded.
func TestReloadOfAMissingDirectoryLogsOnce(t *testing.T) {
	dir := copyRulesets(t, "10-orders.yaml", "", "")
	rs, logs := loadForTest(t, dir)
	before := rs.live.Set()
	rs.watch(t.Context(), 5*time.Millisecond)
	moved := dir + ".away"
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the refusal", func() bool { return strings.Contains(logs.String(), "rules reload refused") })
	time.Sleep(100 * time.Millisecond)
	if n := strings.Count(logs.String(), "rules reload refused"); n != 1 || rs.live.Set() != before {
		t.Errorf("%d refusals logged, set kept %v:\n%s", n, rs.live.Set() == before, logs.String())
	}
	writeRule(t, moved, reloadedRule)
	if err := os.Rename(moved, dir); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reload", func() bool { return rs.live.Set() != before })
}
