package webui

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/domain"
)

// TestPartnerPages walks the partner's changes without a browser: seats
// lowered below those in use ask first, a scheduled block is shown with its
// instant before it is sent and on the page after, a token is shown once.
func TestPartnerPages(t *testing.T) {
	e := newEnv(t)
	acme := e.browser(t)
	acme.signIn(companyForm(apiKey, "acme-fleet"), "/ui/account")
	csrf := acme.csrf("/ui/account")
	acme.post("/ui/account/users", url.Values{"csrf": {csrf}, "externalId": {"van-3"}})
	acme.post("/ui/account/users", url.Values{"csrf": {csrf}, "externalId": {"van-4"}})
	if code, _, _ := acme.post("/ui/account/seats", url.Values{"csrf": {csrf}, "productId": {"MileOn"}, "action": {"assign"}, "externalId": {"van-3", "van-4"}}); code != http.StatusSeeOther {
		t.Fatalf("assign: %d", code)
	}

	b := e.browser(t)
	b.signIn(partnerForm(apiKey), "/ui/partner")
	csrf = b.csrf("/ui/partner")
	// The shipped policy (shrink_policy: refuse): the dry run says it
	// would refuse, and why, and offers no confirmation.
	code, _, body := b.post("/ui/partner/companies/acme-fleet/seats", url.Values{"csrf": {csrf}, "productId": {"MileOn"}, "seats": {"1"}})
	if code != 200 || !strings.Contains(body, "seat-shrink policy refuses to take a seat from its user: 2 seats of MileOn are in use") || strings.Contains(body, `name="confirm" value="yes"`) {
		t.Fatalf("lowering below use did not say first that the rules refuse: %d\n%s", code, body)
	}
	// Sent anyway (a form kept from before), the API refuses it.
	if code, _, _ := b.post("/ui/partner/companies/acme-fleet/seats", url.Values{"csrf": {csrf}, "productId": {"MileOn"}, "seats": {"1"}, "confirm": {"yes"}}); code != http.StatusSeeOther {
		t.Fatalf("confirmed: %d", code)
	}
	_, _, body = b.get("/ui/partner/companies/acme-fleet")
	// The shipped policy (shrink_policy: refuse) says no, and why.
	if !strings.Contains(body, `class="flash error"`) || !regexp.MustCompile(`(?s)data-product="MileOn">.*?class="num owned">3<`).MatchString(body) {
		t.Fatalf("after the refused shrink:\n%s", body)
	}

	at := e.clock.Now().UTC().Add(2 * time.Hour).Format("2006-01-02T15:04")
	code, _, body = b.post("/ui/partner/companies/fleet-forguard/block", url.Values{"csrf": {csrf}, "action": {"schedule"}, "at": {at}})
	want := strings.Replace(at, "T", " ", 1) + " UTC"
	if code != 200 || !strings.Contains(body, "Block Fleet Forguard at "+want+"?") || !strings.Contains(body, "2h0m0s from now") {
		t.Fatalf("the schedule was not shown first: %d\n%s", code, body)
	}
	b.post("/ui/partner/companies/fleet-forguard/block", url.Values{"csrf": {csrf}, "action": {"schedule"}, "at": {at}, "confirm": {"yes"}})
	_, _, body = b.get("/ui/partner/companies/fleet-forguard")
	if !strings.Contains(body, "Not blocked.") || !strings.Contains(body, `<strong id="blocked-at">`+strings.Replace(at, "T", " ", 1)+":00 UTC") {
		t.Fatalf("after scheduling:\n%s", body)
	}
	e.clock.advance(2*time.Hour + time.Minute)
	b.signIn(partnerForm(apiKey), "/ui/partner") // the session was idle too long
	csrf = b.csrf("/ui/partner")
	if _, _, body = b.get("/ui/partner/companies/fleet-forguard"); !strings.Contains(body, "Blocked.") {
		t.Fatalf("past the scheduled instant:\n%s", body)
	}

	b.post("/ui/partner/tokens", url.Values{"csrf": {csrf}, "days": {"30"}})
	_, _, body = b.get("/ui/partner")
	m := regexp.MustCompile(`id="secret" class="secret" readonly value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no token shown:\n%s", body)
	}
	_, _, again := b.get("/ui/partner")
	if strings.Contains(again, m[1]) {
		t.Fatal("the token was shown twice")
	}
	// The list shows it by fingerprint and expiry, beside this session's own.
	fp := domain.HashSecret(m[1])[:12]
	until := e.clock.Now().UTC().Add(30 * 24 * time.Hour).Format("2006-01-02 15:04 UTC")
	if !strings.Contains(again, "<code>"+fp+"</code></td><td>"+until+"</td><td>works</td>") || !strings.Contains(again, "this web session's own") {
		t.Fatalf("the token list:\n%s", again)
	}
	// The token works at /partner.
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/partner/accounts/22222", nil)
	req.Header.Set("X-AccessToken", m[1])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("the issued token: %d at /partner/accounts/22222", resp.StatusCode)
	}
}

// TestPlaygroundPages breaks a rule, sees the error at its line, fixes it
// and runs the tests; the rules in force never change.
func TestPlaygroundPages(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.signIn(partnerForm(apiKey), "/ui/partner")
	_, _, body := b.get("/ui/rules?file=50-seats.yaml")
	hash := regexp.MustCompile(`id="hash">([^<]+)<`).FindStringSubmatch(body)
	src := regexp.MustCompile(`(?s)<textarea id="source"[^>]*>(.*?)</textarea>`).FindStringSubmatch(body)
	if hash == nil || src == nil {
		t.Fatalf("playground:\n%s", body)
	}
	source := htmlUnescape(src[1])
	broken := strings.Replace(source, "params.max_bulk", "params.max_bulkk", 1)
	if broken == source {
		t.Fatal("nothing to break")
	}
	csrf := b.csrf("/ui/rules")
	_, _, body = b.post("/ui/rules/check", url.Values{"csrf": {csrf}, "file": {"50-seats.yaml"}, "source": {broken}})
	line := 1 + strings.Count(broken[:strings.Index(broken, "params.max_bulkk")], "\n")
	if !regexp.MustCompile(`data-file="50-seats.yaml" data-line="` + itoa(line) + `"`).MatchString(body) {
		t.Fatalf("no error at line %d:\n%s", line, body)
	}
	_, _, body = b.post("/ui/rules/check", url.Values{"csrf": {csrf}, "file": {"50-seats.yaml"}, "source": {source}})
	if !strings.Contains(body, "Compiled: ruleset") || !strings.Contains(body, `id="tests"`) || strings.Contains(body, `class="fail"`) {
		t.Fatalf("after the fix:\n%s", body)
	}
	if _, _, body = b.get("/ui/rules"); !strings.Contains(body, `id="hash">`+hash[1]+`<`) {
		t.Fatal("the rules in force changed")
	}
	// Explain shows the real API's decision and trace of the sample: the
	// rule that refuses the item fired, at its line, with what it read.
	_, _, body = b.post("/ui/rules/explain", url.Values{"csrf": {csrf}, "context": {"seats"}, "request": {sampleRequest}})
	ruleLine := 1 + strings.Count(source[:strings.Index(source, "- id: assignment.no-free-seat")], "\n")
	fired := regexp.MustCompile(`<tr class="fired"><td>assignment.no-free-seat</td><td>50-seats.yaml:` + itoa(ruleLine) + `</td><td>yes</td><td><code>[^<]*pool.free&#34;:0[^<]*</code></td><td><code>[^<]*NO_FREE_SEAT`)
	if !strings.Contains(body, `id="decision"`) || !strings.Contains(body, "no free seat of MileOn") || !fired.MatchString(body) ||
		!strings.Contains(body, "<td>call.product-known</td>") {
		t.Fatalf("explain:\n%s", body)
	}
	_, _, body = b.post("/ui/rules/explain", url.Values{"csrf": {csrf}, "context": {"seats"}, "request": {"{not json"}})
	if !strings.Contains(body, "the sample request is not JSON") {
		t.Fatalf("explain of a request that is not JSON:\n%s", body)
	}
	_, _, body = b.post("/ui/rules/explain", url.Values{"csrf": {csrf}, "context": {"seats"}, "request": {`{"productId": "MileOn"}`}})
	if !strings.Contains(body, `id="playground-error"`) {
		t.Fatalf("explain of facts that name no decision:\n%s", body)
	}
	// Replay: a partner's seats change is logged; the rules in force decide
	// it as they did, a copy allowing fewer seats would refuse it.
	if code, _, body := b.post("/ui/partner/companies/acme-fleet/seats", url.Values{"csrf": {csrf}, "productId": {"CoPilot"}, "seats": {"7"}}); code != http.StatusSeeOther {
		t.Fatalf("raising seats: %d\n%s", code, body)
	}
	_, _, body = b.post("/ui/rules/replay", url.Values{"csrf": {csrf}, "file": {"50-seats.yaml"}})
	if !strings.Contains(body, "1 decision(s) replayed; 0 would change.") {
		t.Fatalf("replay under the rules in force:\n%s", body)
	}
	fewer := strings.Replace(source, "max_seats: 10000", "max_seats: 6", 1)
	if fewer == source {
		t.Fatal("no max_seats: 10000 in 50-seats.yaml")
	}
	b.post("/ui/rules/check", url.Values{"csrf": {csrf}, "file": {"50-seats.yaml"}, "source": {fewer}})
	_, _, body = b.post("/ui/rules/replay", url.Values{"csrf": {csrf}, "file": {"50-seats.yaml"}})
	if !strings.Contains(body, "1 decision(s) replayed; 1 would change.") || !strings.Contains(body, "TOO_MANY_SEATS") {
		t.Fatalf("replay under a copy with max_seats 6:\n%s", body)
	}
	today := e.clock.Now().Format("2006-01-02")
	_, _, body = b.post("/ui/rules/replay", url.Values{"csrf": {csrf}, "file": {"50-seats.yaml"}, "from": {"2001-01-01"}, "to": {today}})
	if !strings.Contains(body, "0 decision(s) replayed; 0 would change.") {
		t.Fatalf("replay of a window before the change:\n%s", body)
	}
	// A partner that is not a rule author is told so.
	o := e.browser(t)
	o.signIn(partnerForm(otherAPIKey), "/ui/partner")
	if code, _, body := o.get("/ui/rules"); code != http.StatusForbidden || !strings.Contains(body, "not a rule author") {
		t.Fatalf("a partner that is no rule author: %d\n%s", code, body)
	}
}

func itoa(n int) string { return strconvItoa(n) }

// An externalId holding "/", "?" and a space is one user, edited and
// deleted through its own page.
func TestAwkwardExternalID(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.signIn(companyForm(apiKey, "acme-fleet"), "/ui/account")
	csrf := b.csrf("/ui/account")
	const id = "unit 7/b?x"
	if code, _, _ := b.post("/ui/account/users", url.Values{"csrf": {csrf}, "externalId": {id}}); code != http.StatusSeeOther {
		t.Fatalf("add: %d", code)
	}
	_, _, body := b.get("/ui/account")
	m := regexp.MustCompile(`<a href="(/ui/account/users/[^"]*)">unit 7/b\?x</a>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no link to the user:\n%s", body)
	}
	if code, _, page := b.get(htmlUnescape(m[1])); code != 200 || !strings.Contains(page, `value="unit 7/b?x"`) {
		t.Fatalf("%s: %d\n%s", m[1], code, page)
	}
	if code, _, _ := b.post(htmlUnescape(m[1])+"/delete", url.Values{"csrf": {csrf}}); code != http.StatusSeeOther {
		t.Fatalf("delete: %d", code)
	}
	if _, _, body := b.get("/ui/account"); !strings.Contains(body, "User unit 7/b?x deleted.") {
		t.Fatalf("after delete:\n%s", body)
	}
}

// The users list pages by 50, with links both ways, the last page too.
func TestUsersPaging(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.signIn(companyForm(apiKey, "acme-fleet"), "/ui/account")
	csv := ""
	for i := 0; i < 60; i++ {
		csv += "paged-" + itoa(i) + "\n"
	}
	b.post("/ui/account/import", url.Values{"csrf": {b.csrf("/ui/account")}, "csv": {csv}})
	_, _, first := b.get("/ui/account")
	_, _, last := b.get("/ui/account?offset=50")
	if !strings.Contains(first, `href="/ui/account?offset=50">Next`) || strings.Contains(first, "Previous") ||
		!strings.Contains(last, `href="/ui/account?offset=0">← Previous`) || strings.Contains(last, "Next →") ||
		!strings.Contains(last, "Users <small>(61)</small>") {
		t.Fatalf("first page:\n%s\nlast page:\n%s", first, last)
	}
}
