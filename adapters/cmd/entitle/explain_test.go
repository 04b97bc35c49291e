package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/internal/decisions"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/adapters/sqlite"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/orders"
	"github.com/entitle-rules/entitle/rulesets"
)

const explainNow = "2025-04-24T17:00:00Z"

// orderFile writes a CREATE_ORDER call of tap-client for serial, starting
// on start, and returns its path.
func orderFile(t *testing.T, serial, start string) string {
	t.Helper()
	body := fmt.Sprintf(`{"ProcName": "TAP_CREATE_ORDER_API", "ProcRequester": "TAP", "request": {
  "customerPONumber": "PO-%[1]s", "currencyCode": "USD", "billToSiteUseId": 531807, "shipToSiteUseId": 1912956,
  "billToContactEmail": "test123@gmail.com", "shipToContactEmail": "test456@gmail.com",
  "lines": [{"lineNumber": 1, "serviceStartDate": %[2]q, "partNumber": "132001-10", "serialNumber": %[1]q,
    "serviceType": "RTX", "manufacturerModel": "R12", "autoRenewal": "Y", "activationType": "IMMEDIATE"}]}}`, serial, start)
	p := filepath.Join(t.TempDir(), "order.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func explainArgs(file string, more ...string) []string {
	return append(append([]string{"explain", "--data", "example.yaml", "--as", "tap-client", "--now", explainNow}, more...), file)
}

// runOK runs entitle with args and returns what it printed, failing t
// unless it exits 0.
func runOK(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := runCmd(args...)
	if code != 0 {
		t.Fatalf("entitle %s: exit %d: %s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// wantLines checks that out holds each line, in this order.
func wantLines(t *testing.T, out string, lines ...string) {
	t.Helper()
	rest := out
	for _, l := range lines {
		i := strings.Index(rest, l)
		if i < 0 {
			t.Fatalf("the output lacks %q (after the lines before it):\n%s", l, out)
		}
		rest = rest[i+len(l):]
	}
}

func TestExplainRefusedOrder(t *testing.T) {
	out := runOK(t, explainArgs(orderFile(t, "1234567890", "2025-05-30"))...)
	wantLines(t, out,
		"decision: refused (ruleset ",
		"  lines[0].serviceStartDate: serviceStartDate 2025-05-30 is more than 3 days after today (2025-04-24, Pacific time) (START_DATE_TOO_LATE) [line.start-window]\n",
		"trace: 64 rules evaluated, 4 fired\n",
		"+ order.activation-country ",
		"    derived activationCountry = \"US\"\n",
		"- order.max-lines ",
		"    read    order.lineCount=1\n",
		"+ line.end-date[0] ",
		"    derived serviceEndDate = 2026-05-30\n",
		"+ line.start-window[0] ",
		"    read    line.requestedStartDate=2025-05-30, today=2025-04-24\n",
		"    denied  lines[0].serviceStartDate: serviceStartDate 2025-05-30 is more than 3 days after today",
		"- order.credit-hold ",
	)
	// The same as JSON, for programs.
	out = runOK(t, explainArgs(orderFile(t, "1234567890", "2025-05-30"), "--json")...)
	var ex decisions.Explanation
	if err := json.Unmarshal([]byte(out), &ex); err != nil {
		t.Fatal(err)
	}
	if ex.Decision.Allowed || len(ex.Trace) != 64 || ex.Decision.Codes()[0] != "START_DATE_TOO_LATE" {
		t.Fatalf("JSON: %+v, %d steps", ex.Decision, len(ex.Trace))
	}
	fired := 0
	for _, s := range ex.Trace {
		if s.Fired {
			fired++
		}
		if s.File == "" || s.Line == 0 || s.Scope == "" {
			t.Errorf("step without a position or scope: %+v", s)
		}
	}
	if fired != 4 {
		t.Errorf("%d steps fired, want 4", fired)
	}
}

func TestExplainAcceptedOrder(t *testing.T) {
	out := runOK(t, explainArgs(orderFile(t, "1234567890", "2025-04-24"))...)
	wantLines(t, out,
		"decision: allowed (ruleset ",
		"derived:\n",
		"  lines[0].serviceEndDate = 2026-04-24\n",
		"  lines[0].serviceStartDate = 2025-04-24\n",
		"trace: 64 rules evaluated, 3 fired\n",
		"+ line.end-date[0] ",
		"    read    line.serviceStartDate=2025-04-24, part.found=true\n",
		"    derived serviceEndDate = 2026-04-24\n",
		"- line.start-window[0] ",
		"    read    line.requestedStartDate=2025-04-24, today=2025-04-24\n",
	)
	if strings.Contains(out, "denied") {
		t.Errorf("an accepted order's explanation denies:\n%s", out)
	}
}

func TestExplainUsage(t *testing.T) {
	for _, args := range [][]string{{"explain"}, {"explain", "--id", "x", "file.json"}} {
		if code, _, _ := runCmd(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code, _, errOut := runCmd("explain", "--data", "example.yaml", orderFile(t, "1", "2025-04-24")); code != 1 || !strings.Contains(errOut, "--as") {
		t.Errorf("no --as: exit %d: %s", code, errOut)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"request": {"customerPONumber": "x", "serialNumbr": "1"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCmd(explainArgs(bad)...); code != 1 || !strings.Contains(errOut, "serialNumbr") {
		t.Errorf("an unknown field: exit %d: %s", code, errOut)
	}
}

// logTwoOrders makes an SQLite file whose decision log holds tap-client's
// accepted order and its refused one (START_DATE_TOO_LATE), decided at
// explainNow; it returns the file and the refused decision's id.
func logTwoOrders(t *testing.T) (string, string) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "e.db")
	store, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	b, err := os.ReadFile("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loadData(ctx, store, b); err != nil {
		t.Fatal(err)
	}
	set, err := language().Load(rulesets.FS)
	if err != nil {
		t.Fatal(err)
	}
	now, _ := time.Parse(time.RFC3339, explainNow)
	svc, err := orders.New(orders.Options{Store: store, Rules: set, Clock: ports.ClockFunc(func() time.Time { return now }), IDs: ports.IDsFunc(randomID)})
	if err != nil {
		t.Fatal(err)
	}
	p := domain.PartnerPrincipal("tap-client", domain.ClientCredentials)
	for _, start := range []string{"2025-04-24", "2025-05-30"} {
		raw, err := os.ReadFile(orderFile(t, "12345678"+start[8:], start))
		if err != nil {
			t.Fatal(err)
		}
		req, err := decisions.DecodeOrderRequest(raw)
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.CreateOrder(ctx, p, *req)
		if (err == nil) != (start == "2025-04-24") {
			t.Fatalf("order starting %s: %v", start, err)
		}
	}
	var recs []domain.DecisionRecord
	if err := store.View(ctx, func(tx ports.Tx) (err error) {
		recs, _, err = tx.Decisions().List(ctx, domain.DecisionFilter{Code: "START_DATE_TOO_LATE"})
		return err
	}); err != nil || len(recs) != 1 {
		t.Fatalf("the refused order's record: %v, %v", recs, err)
	}
	return path, recs[0].ID
}

func TestReplayFindsNoChange(t *testing.T) {
	db, _ := logTwoOrders(t)
	same := copyRulesets(t, "20-lines.yaml", "start_window_days: 3", "start_window_days: 3")
	out := runOK(t, "replay", "--db", db, "--rulesets", same, "--fail-on-change")
	wantLines(t, out, "replayed 2 decisions under "+same+" (ruleset ", "): 0 would change\n")
	if strings.Contains(out, "per rule") {
		t.Errorf("no change, yet counts per rule:\n%s", out)
	}
}

func TestReplayFindsAChange(t *testing.T) {
	db, refused := logTwoOrders(t)
	wider := copyRulesets(t, "20-lines.yaml", "start_window_days: 3", "start_window_days: 60")
	code, out, errOut := runCmd("replay", "--db", db, "--rulesets", wider, "--fail-on-change")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (--fail-on-change): %s%s", code, out, errOut)
	}
	wantLines(t, out,
		"replayed 2 decisions under "+wider+" (ruleset ", "): 1 would change\n",
		"  "+refused+"  2025-04-24T17:00:00Z  orders/CreateOrder  tap-client  refused->allowed,codes  [line.start-window]\n",
		"      codes   START_DATE_TOO_LATE -> (none)\n",
		"per rule:\n", "  line.start-window", " 1\n")
	// Without --fail-on-change the change is reported and the exit is 0;
	// --json is the same report for programs.
	out = runOK(t, "replay", "--db", db, "--rulesets", wider, "--json")
	var rep rules.ReplayReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Replayed != 2 || len(rep.Changed) != 1 || rep.Changed[0].ID != refused || rep.PerRule["line.start-window"] != 1 || !rep.Changed[0].After.Allowed {
		t.Errorf("JSON report %+v", rep)
	}
	// A window without the decisions replays nothing.
	code, out, _ = runCmd("replay", "--db", db, "--rulesets", wider, "--from", "2025-04-25", "--fail-on-change")
	if code != 0 || !strings.Contains(out, "replayed 0 decisions") {
		t.Errorf("an empty window: exit %d:\n%s", code, out)
	}
	// The logged decision, explained again by its id under the wider rules.
	out = runOK(t, "explain", "--db", db, "--rulesets", wider, "--id", refused)
	wantLines(t, out, "decision: allowed", "logged: the log holds another outcome", "- line.start-window[0] ")
}

func TestDecisionRetention(t *testing.T) {
	cfg, code := parseServe(nil, io.Discard)
	if code != 0 || cfg.decisionRetention != 90*24*time.Hour {
		t.Errorf("the default retention is %v (exit %d), want 90 days", cfg.decisionRetention, code)
	}
	if _, code := parseServe([]string{"--decision-retention", "0s"}, io.Discard); code != 2 {
		t.Errorf("a retention of 0: exit %d, want 2", code)
	}
	ctx := context.Background()
	store := memory.New()
	old, fresh := domain.DecisionRecord{ID: "old", At: time.Unix(1000, 0)}, domain.DecisionRecord{ID: "fresh", At: time.Unix(5000, 0)}
	if err := store.Update(ctx, func(tx ports.Tx) error {
		if err := tx.Decisions().Append(ctx, old); err != nil {
			return err
		}
		return tx.Decisions().Append(ctx, fresh)
	}); err != nil {
		t.Fatal(err)
	}
	purgeDecisions(ctx, store, time.Unix(3000, 0), slog.New(slog.DiscardHandler))
	var left []domain.DecisionRecord
	if err := store.View(ctx, func(tx ports.Tx) (err error) {
		left, _, err = tx.Decisions().List(ctx, domain.DecisionFilter{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0].ID != "fresh" {
		t.Errorf("after the purge the log holds %v", left)
	}
}

// TestExplainSeatsFacts: a seats decision given by its facts, each item's
// rules named by the item.
func TestExplainSeatsFacts(t *testing.T) {
	facts := filepath.Join(t.TempDir(), "seats.json")
	body := `{"decision": "items", "now": "2025-04-24T00:00:00Z", "call": {"action": "assign", "productId": "CoPilot", "items": 2},
	"items": [{"item": {"action": "assign", "productId": "CoPilot", "externalId": "d1", "index": 0, "userFound": true}, "pool": {"owned": 1, "free": 1}},
	          {"item": {"action": "assign", "productId": "CoPilot", "externalId": "d2", "index": 1, "userFound": true}, "pool": {"owned": 1, "assigned": 1}}]}`
	if err := os.WriteFile(facts, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	out := runOK(t, "explain", "--context", "seats", facts)
	wantLines(t, out, "decision: allowed", "  items[1].productId: no free seat of CoPilot (NO_FREE_SEAT) [assignment.no-free-seat]\n",
		"  items[0].allowed = true\n", "  items[1].allowed = false\n",
		"- call.product-known ", "- assignment.no-free-seat[0] ", "    read    item.action=\"assign\", item.holds=false, item.userFound=true, pool.free=1\n",
		"+ assignment.no-free-seat[1] ", "    read    item.action=\"assign\", item.holds=false, item.userFound=true, pool.free=0\n",
		"    denied  productId: no free seat of CoPilot (NO_FREE_SEAT)\n")
}

func TestExplainAndReplayNeverMakeAStore(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.db")
	for _, args := range [][]string{
		{"explain", "--db", missing, "--id", "x"},
		{"explain", "--db", missing, "--as", "tap-client", orderFile(t, "1", "2025-04-24")},
		{"replay", "--db", missing, "--rulesets", "../../../rulesets"},
	} {
		code, _, errOut := runCmd(args...)
		if code == 0 || !strings.Contains(errOut, "no store at") {
			t.Errorf("%v: exit %d: %s", args, code, errOut)
		}
		if _, err := os.Stat(missing); err == nil {
			t.Fatalf("%v made %s", args, missing)
		}
	}
}

func TestDrawProgress(t *testing.T) {
	var b strings.Builder
	drawProgress(&b, 250, 1000)
	if want := "\r[==========                              ] 250/1000 decisions"; b.String() != want {
		t.Errorf("drawProgress = %q, want %q", b.String(), want)
	}
	if isTerminal(&b) {
		t.Error("a buffer is a terminal")
	}
}
