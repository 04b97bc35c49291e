package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// copyRulesets copies the shipped rule files into a temporary directory and
// applies edit (old -> new) to the named file.
func copyRulesets(t *testing.T, file, old, new string) string {
	t.Helper()
	dir := t.TempDir()
	files, err := filepath.Glob("../../../rulesets/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("finding the shipped rulesets: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(f) == file {
			if !bytes.Contains(b, []byte(old)) {
				t.Fatalf("%s does not contain %q", file, old)
			}
			b = bytes.Replace(b, []byte(old), []byte(new), 1)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runCmd(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCheckShippedRulesets(t *testing.T) {
	code, out, errs := runCmd("check", "../../../rulesets")
	if code != 0 {
		t.Fatalf("entitle check rulesets: exit %d\n%s%s", code, out, errs)
	}
	if !regexp.MustCompile(`(?m)^\d+ passed, 0 failed$`).MatchString(out) {
		t.Errorf("output lacks the pass line:\n%s", out)
	}
}

// TestCheckVerboseListsVMExpressions: check -v names each expression left to
// the expr VM, with its position and the node that kept it there; the
// shipped conditions are all lowered.
func TestCheckVerboseListsVMExpressions(t *testing.T) {
	dir := copyRulesets(t, "20-lines.yaml", "when: serial.orderInProgress", "when: serial.orderInProgress or any(order.lines, .serialNumber == line.serialNumber and .lineNumber < 0)")
	code, out, errs := runCmd("check", "-v", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	if !regexp.MustCompile(`20-lines\.yaml:\d+:\d+: rule line\.order-in-progress, when: .* runs on the expr VM: the lowering cannot take IdentifierNode "line"`).MatchString(out) {
		t.Errorf("check -v does not name the VM condition:\n%s", out)
	}
	_, out, _ = runCmd("check", "-v", "../../../rulesets")
	if strings.Contains(out, ", when: ") || strings.Contains(out, ", set ") {
		t.Errorf("a shipped condition or derivation runs on the VM:\n%s", out)
	}
}

// TestCheckReportsPositions breaks a copy of the shipped rules three ways
// and wants each reported at its file, line and column, with a non-zero exit.
func TestCheckReportsPositions(t *testing.T) {
	tests := []struct {
		name, file, old, new string
		want                 string // a regexp matched against stderr
	}{
		{"a broken expression", "10-orders.yaml", "when: order.lineCount > params.max_order_lines", "when: order.lineCount > > params.max_order_lines",
			`10-orders\.yaml:\d+:\d+: unexpected token Operator\(">"\)`},
		{"an unknown name", "20-lines.yaml", "when: serial.orderInProgress", "when: serial.orderInProgres",
			`20-lines\.yaml:\d+:18: serial has no field orderInProgres`},
		{"an unknown param", "10-orders.yaml", "when: order.lineCount > params.max_order_lines", "when: order.lineCount > params.max_order_line",
			`10-orders\.yaml:\d+:36: unknown params\.max_order_line \(declared: max_order_lines\)`},
		{"a set of the wrong type", "20-lines.yaml", "set: {autoRenewal: false}", `set: {autoRenewal: "'no'"}`,
			`20-lines\.yaml:\d+:\d+: the expression is of type string, want bool`},
		{"a failing rule test", "20-lines.yaml", "start_window_days: 3", "start_window_days: 5",
			`20-lines\.yaml:\d+:\d+: test "a start four days out is refused": deny: got \[\], want \[START_DATE_TOO_LATE\]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyRulesets(t, tt.file, tt.old, tt.new)
			code, out, errs := runCmd("check", dir)
			if code == 0 {
				t.Fatalf("exit 0 for a broken copy\n%s", out)
			}
			if !regexp.MustCompile(tt.want).MatchString(errs) {
				t.Errorf("stderr does not match %s:\n%s", tt.want, errs)
			}
			if !strings.Contains(errs, dir) {
				t.Errorf("positions should name the directory given, %s:\n%s", dir, errs)
			}
		})
	}
}

func TestLoadRefusesABadFileWhole(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(`parts:
  - {partNumber: P-1, partDescription: "x", serviceType: RTX, productLine: CENTERPOINT, duration: 1 YEAR}
  - {partNumber: P-2, partDescription: "y", serviceType: GPS, productLine: CENTERPOINT, duration: forever}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "e.db")
	code, _, errs := runCmd("load", "--db", db, bad)
	if code == 0 {
		t.Fatal("a bad file was loaded")
	}
	for _, want := range []string{"parts[1].serviceType", "parts[1].duration"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr does not name %s:\n%s", want, errs)
		}
	}
	unknown := filepath.Join(dir, "unknown.json")
	if err := os.WriteFile(unknown, []byte(`{"parts": [{"partNumber": "P-1", "colour": "red"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCmd("load", "--db", db, unknown); code == 0 || !strings.Contains(errs, "colour") {
		t.Errorf("an unknown field: exit %d, stderr:\n%s", code, errs)
	}
	// Nothing of either file is in the store: the example file loads P-1..
	// only when asked, and loading it twice is harmless.
	for range 2 {
		if code, out, errs := runCmd("load", "--db", db, "example.yaml"); code != 0 {
			t.Fatalf("loading example.yaml: exit %d\n%s%s", code, out, errs)
		}
	}
}

// TestServeWalkthrough builds the program, starts `entitle serve` on a free
// port with a new database, runs the README's walkthrough against it (token,
// customers, products, create order, get order, activation status), and
// stops it with SIGINT.
func TestServeWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "entitle")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	// A first run in an empty directory: the default SQLite file is new, so
	// the example data set goes into it.
	cmd := exec.CommandContext(ctx, bin, "serve", "--addr", "127.0.0.1:0")
	cmd.Dir = dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	base := ""
	sc := bufio.NewScanner(stdout)
	var printed strings.Builder
	for sc.Scan() {
		printed.WriteString(sc.Text() + "\n")
		if addr, ok := strings.CutPrefix(sc.Text(), "entitle: listening on "); ok {
			base = addr
			break
		}
	}
	if base == "" {
		t.Fatalf("serve never said where it listens:\n%s\n%s", printed.String(), logs.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	// The printed command names the port actually bound, not ":0".
	if !strings.Contains(printed.String(), "client_secret=example-secret-change-me "+base+"/oauth/token") {
		t.Errorf("serve did not print how to get a token from %s:\n%s", base, printed.String())
	}

	// The walkthrough of the README.
	resp := mustDo(t, http.MethodPost, base+"/oauth/token", "", "application/x-www-form-urlencoded",
		"grant_type=client_credentials&client_id=tap-client&client_secret=example-secret-change-me", 200)
	token, _ := resp["access_token"].(string)
	if token == "" {
		t.Fatalf("no token: %v", resp)
	}
	get := func(env string, status int) map[string]any {
		return mustDo(t, http.MethodGet, base+"/cloud/tapstoreapis/v1?request="+url.QueryEscape(env), token, "", "", status)
	}
	if r := get(`{"ProcName": "TAP_GET_CUSTOMERS_API","ProcRequester": "TAP","request": {"region": "AMERICA","resellerName": "Trimble"}}`, 200); r["status"] != "SUCCESS" {
		t.Errorf("customers: %v", r)
	}
	get(`{"ProcName": "TAP_GET_PRODUCTS_API","ProcRequester": "TAP","request": {"resellerbillToSiteUseId": "531807","serviceType": "RTX","model": "R12"}}`, 200)
	created := mustDo(t, http.MethodPost, base+"/cloud/tapstoreapis/v1", token, "application/json", `{"ProcName": "TAP_CREATE_ORDER_API", "ProcRequester": "TAP", "request": {
		"customerPONumber": "PO300424", "customerOrderRef": "Order30042024", "currencyCode": "USD",
		"billToSiteUseId": 531807, "shipToSiteUseId": 1912956,
		"billToContactEmail": "test123@gmail.com", "shipToContactEmail": "test456@gmail.com",
		"lines": [{"lineNumber": 1, "serviceStartDate": "`+time.Now().In(pacific(t)).Format("2006-01-02")+`", "partNumber": "132001-10",
			"serialNumber": "1234567890", "serviceType": "RTX", "manufacturerModel": "R12", "autoRenewal": "Y", "activationType": "IMMEDIATE"}]}}`, 200)
	id := fmt.Sprint(created["uniqueId"])
	order := get(`{"ProcName": "TAP_GET_ORDER_API","ProcRequester": "TAP","request": {"uniqueID": "`+id+`"}}`, 200)
	if hdr, _ := order["orderHdr"].(map[string]any); hdr["orderStatus"] != "SUCCESS" || hdr["poNumber"] != "PO300424" {
		t.Errorf("order: %v", order)
	}
	act := get(`{"ProcName": "TAP_GET_ACTIVATION_STATUS_API","ProcRequester": "TAP","request": {"serialNumber": "1234567890"}}`, 200)
	if list, _ := act["activations"].([]any); len(list) != 1 {
		t.Errorf("activation status: %v", act)
	}
	// The example's past order, placed in the TAP Store before the API.
	for _, req := range []string{`{"serialNumber": "5512345678"}`, `{"poNumber": "PO-STORE-2024-117"}`} {
		if r := get(`{"ProcName": "TAP_GET_ORDER_API","ProcRequester": "TAP","request": `+req+`}`, 200); r["uniqueID"] != float64(9917) {
			t.Errorf("the past order by %s: %v", req, r)
		}
	}
	get(`{"ProcName": "TAP_GET_ACTIVATION_STATUS_API","ProcRequester": "TAP","request": {"orderNumber": "2298113"}}`, 200)
	mustDo(t, http.MethodPost, base+"/cloud/tapstoreapis/v1", token, "application/json",
		`{"ProcName": "TAP_RESEND_ACTIVATION_API", "ProcRequester": "TAP", "request": {"serialNumber": "5512345678"}}`, 200)
	mustDo(t, http.MethodGet, base+"/healthz", "", "", "", 200)
	// The API reference: the five APIs' documents and the rule authors' API's.
	if idx := mustDo(t, http.MethodGet, base+"/openapi/", "", "", "", 200); len(idx["documents"].([]any)) != 6 {
		t.Errorf("/openapi/ lists %v", idx)
	}

	seatsWalkthrough(t, base)
	accountsWalkthrough(t, base)

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve did not stop cleanly on SIGINT: %v\n%s", err, logs.String())
	}
	if !strings.Contains(logs.String(), `"msg":"shutting down: draining requests"`) {
		t.Errorf("no shutdown in the logs:\n%s", logs.String())
	}
}

// seatsWalkthrough is the README's Account Manager and License Assignments
// walkthrough (seeds 000 and 004) against the example data set.
func seatsWalkthrough(t *testing.T, base string) {
	t.Helper()
	am := base + "/api/v1"
	const jsonType = "application/json"
	token := func(body string) string {
		t.Helper()
		r := mustDo(t, http.MethodPost, am+"/authenticate", "", jsonType, body, 200)
		tok, _ := r["token"].(string)
		if tok == "" || r["expires"] == nil {
			t.Fatalf("authenticate %s: %v", body, r)
		}
		return tok
	}
	partner := token(`{"apiKey":"example-api-key-change-me"}`)
	if r := mustDo(t, http.MethodPost, am+"/companies", partner, jsonType, `{"name":"Blue Trucking"}`, 201); r["alias"] != "blue-trucking" {
		t.Errorf("create company: %v", r)
	}
	mustDo(t, http.MethodPut, am+"/companies/blue-trucking/license/CoPilot", partner, jsonType, `{"seats":2}`, 200)
	mustDo(t, http.MethodGet, am+"/companies", partner, "", "", 200)
	mustDo(t, http.MethodPost, am+"/authenticate", "", jsonType, `{"apiKey":"not-the-key"}`, 401)

	acct := token(`{"apiKey":"example-api-key-change-me","alias":"acme-fleet"}`)
	for _, id := range []string{"Driver-7", "truck-12", "van-3", "van-4"} {
		mustDo(t, http.MethodPost, am+"/users", acct, jsonType, `{"externalId":"`+id+`"}`, 201)
	}
	if r := mustDo(t, http.MethodPost, am+"/license/MileOn", acct, jsonType, `{"externalId":"driver-7"}`, 200); r["status"] != "Success" {
		t.Errorf("assign driver-7: %v", r)
	}
	bulk := mustDo(t, http.MethodPost, am+"/license/MileOn/bulk", acct, jsonType, `{"externalIds":["truck-12","van-3","van-4"]}`, 200)
	if bulk["succeeded"] != float64(2) || bulk["failed"] != float64(1) {
		t.Errorf("bulk assign of 3 users to the 2 MileOn seats left: %v", bulk)
	}
	if r := mustDo(t, http.MethodGet, am+"/license/MileOn", acct, "", "", 200); r["owned"] != float64(3) || r["free"] != float64(0) {
		t.Errorf("MileOn seats: %v", r)
	}
	mustDo(t, http.MethodDelete, am+"/license/MileOn", acct, jsonType, `{"externalId":"truck-12"}`, 200)
	if r := mustDo(t, http.MethodPost, am+"/license/MileOn", acct, jsonType, `{"externalId":"van-4"}`, 200); r["status"] != "Success" {
		t.Errorf("reassign the released seat: %v", r)
	}
	mustDo(t, http.MethodDelete, am+"/users/DRIVER-7", acct, "", "", 200)

	// License Assignments v2: the example's account admin, HTTP Basic.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/api/v2/licenseAssignments?sort=-id&limit=2", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("admin@acme.example", "example-password-change-me")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != 200 || len(list) != 2 {
		t.Fatalf("v2 list: status %d, %v, %v", resp.StatusCode, list, err)
	}
	if list[0]["id"].(float64) <= list[1]["id"].(float64) {
		t.Errorf("sort=-id: %v", list)
	}
}

// accountsWalkthrough is the README's managed-billing (seed 002) and
// account-operations (seed 003) walkthrough against the example data set.
func accountsWalkthrough(t *testing.T, base string) {
	t.Helper()
	do := func(method, path string, header map[string]string, ctype, body string, status int) map[string]any {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != status {
			t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, status, b)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: not a JSON object: %s", method, path, b)
		}
		return m
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("billing-client:example-billing-secret-change-me"))
	tok := do(http.MethodPost, "/api/ts/v1/oauth2/token", map[string]string{"Authorization": basic},
		"application/x-www-form-urlencoded", "grant_type=client_credentials", 200)
	bearer := "Bearer " + fmt.Sprint(tok["access_token"])
	login := func(user string) string {
		t.Helper()
		r := do(http.MethodPost, "/api/m2m/v1/session/login", map[string]string{"Authorization": bearer}, "application/json",
			`{"username":"`+user+`","password":"example-password-change-me"}`, 200)
		return fmt.Sprint(r["sessionToken"])
	}
	primary := map[string]string{"Authorization": bearer, "VZ-M2M-Token": login("primary@example.com")}
	managed := map[string]string{"Authorization": bearer, "VZ-M2M-Token": login("managed1@example.com")}
	// Seed 002's add request, verbatim.
	added := do(http.MethodPost, "/api/subsc/v1/managedaccounts/actions/add", primary, "application/json", `{
"accountName": "1234567890-00001",
"serviceName": "Location",
"type": "TS-LOC-COARSE-CellID-Aggr",
"managedAccList": [
"1223334444-00001",
"2334445555-00001",
"3445556666-00001"
]
}`, 200)
	txID, _ := added["TxId"].(string)
	if list, _ := added["statusList"].([]any); txID == "" || len(list) != 3 {
		t.Fatalf("add: %v", added)
	}
	link := `{"accountName":"1223334444-00001","paccountName":"1234567890-00001","serviceName":"Location","type":"TS-LOC-COARSE-CellID-Aggr","txid":"` + txID + `"}`
	if r := do(http.MethodPost, "/api/subsc/v1/managedaccounts/actions/provision", managed, "application/json", link, 200); r["status"] != "Success" {
		t.Errorf("provision: %v", r)
	}
	listed := do(http.MethodGet, "/api/subsc/v1/managedaccounts/1234567890-00001/service/Location/status/PROVISION", primary, "", "", 200)
	if list, _ := listed["managedAccProvisionedList"].([]any); len(list) != 1 {
		t.Errorf("provisioned list: %v", listed)
	}
	if r := do(http.MethodPost, "/api/subsc/v1/managedaccounts/actions/cancel", managed, "application/json", link, 200); r["status"] != "Success" {
		t.Errorf("cancel: %v", r)
	}

	token := map[string]string{"X-AccessToken": "example-access-token-change-me"}
	at := time.Now().Add(time.Hour).Unix()
	scheduled := do(http.MethodPatch, "/partner/accounts/11111/set-blocked-at", token, "application/json", fmt.Sprintf(`{"blocked_at": %d}`, at), 200)
	if d, _ := scheduled["data"].(map[string]any); d["blocked"] != false || d["blocked_at"] != float64(at) {
		t.Errorf("set-blocked-at: %v", scheduled)
	}
	blocked := do(http.MethodPatch, "/partner/accounts/11111/set-blocked", token, "application/json", `{"blocked": true}`, 200)
	if d, _ := blocked["data"].(map[string]any); d["blocked"] != true {
		t.Errorf("set-blocked: %v", blocked)
	}
	do(http.MethodPut, "/partner/accounts/111111/client-plan", token, "application/json",
		`{"tariff_plan_id":"52ffXXXXXXXXXXXXdc89","app_id":"b901da51-ce00-4af2-b978-8d0fca8ae1ea"}`, 200)
	if r := do(http.MethodGet, "/partner/accounts/count?is_attached=true", token, "", "", 200); r["data"] != float64(1) {
		t.Errorf("count: %v", r)
	}
	do(http.MethodGet, "/partner/accounts/111111/subscriptions", token, "", "", 200)
	do(http.MethodGet, "/partner/accounts/111111/limits?app_id=5a5ca87f-7cbe-4540-ab5d-77bf4bf69884", token, "", "", 200)
}

func pacific(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// mustDo sends a request and decodes a JSON (or, for /healthz, text) answer,
// failing the test on another status.
func mustDo(t *testing.T, method, u, token, ctype, body string, status int) map[string]any {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d: %s", method, u, resp.StatusCode, status, b)
	}
	var m map[string]any
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, u, b)
		}
	}
	return m
}

// TestCheckRefusesFilesOfUnknownContexts: a file whose declared context the
// program does not serve would never be compiled; check names it and fails.
func TestCheckRefusesFilesOfUnknownContexts(t *testing.T) {
	dir := copyRulesets(t, "10-orders.yaml", "ruleset: orders", "ruleset: orders")
	billing := "ruleset: billing\ncontext: billing\nrules:\n  - id: billing.any\n    scope: invoice\n    when: true\n    deny: {code: NO, field: x, message: no}\n"
	if err := os.WriteFile(filepath.Join(dir, "60-billing.yaml"), []byte(billing), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd("check", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errs)
	}
	if !strings.Contains(errs, `60-billing.yaml: declares context "billing", which entitle does not know (it knows none (the store API's), accounts, seats)`) {
		t.Errorf("check does not name the file left out:\n%s", errs)
	}
}

// TestRandomUUID: transaction ids have the vendor's form and are random.
func TestRandomUUID(t *testing.T) {
	form := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		id := randomUUID()
		if !form.MatchString(id) {
			t.Fatalf("randomUUID() = %q, not a version 4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("randomUUID() repeated %q", id)
		}
		seen[id] = true
	}
}

// TestVersion: entitle version (and --version) names the Go version and the
// hash of the built-in rulesets, the one `entitle check` prints.
func TestVersion(t *testing.T) {
	_, checked, _ := runCmd("check", "../../../rulesets")
	m := regexp.MustCompile(`ruleset ([0-9a-f]{12})`).FindStringSubmatch(checked)
	if m == nil {
		t.Fatalf("check printed no ruleset hash:\n%s", checked)
	}
	for _, arg := range []string{"version", "--version"} {
		code, out, errs := runCmd(arg)
		if code != 0 {
			t.Fatalf("entitle %s: exit %d\n%s", arg, code, errs)
		}
		if !regexp.MustCompile(`(?m)^entitle \S+\nrevision \S+.*\ngo go1\.\d+.*\nruleset ` + m[1] + `[0-9a-f]{52}\n$`).MatchString(out) {
			t.Errorf("entitle %s printed:\n%s", arg, out)
		}
	}
}
