package webui

import (
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/entitle-rules/entitle/rulesets"
)

// releasingRules are the shipped rule files with shrink_policy
// release_most_recent: lowering below the seats in use takes the most
// recently activated seats from their users.
func releasingRules(tb testing.TB) fs.FS {
	tb.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(rulesets.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(rulesets.FS, path)
		if err != nil {
			return err
		}
		if path == "50-seats.yaml" {
			if !strings.Contains(string(b), "shrink_policy: refuse") {
				tb.Fatalf("50-seats.yaml has no shrink_policy: refuse")
			}
			b = []byte(strings.Replace(string(b), "shrink_policy: refuse", "shrink_policy: release_most_recent", 1))
		}
		m[path] = &fstest.MapFile{Data: b}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// TestShrinkConfirmationNamesUsers: under release_most_recent, the partner's
// confirmation of lowering seats below those in use names the users who
// would lose a seat, before anything changes; confirming releases exactly
// them.
func TestShrinkConfirmationNamesUsers(t *testing.T) {
	e := newEnvWith(t, releasingRules(t))
	acme := e.browser(t)
	acme.signIn(companyForm(apiKey, "acme-fleet"), "/ui/account")
	csrf := acme.csrf("/ui/account")
	for _, id := range []string{"van-3", "van-4", "van-5"} {
		acme.post("/ui/account/users", url.Values{"csrf": {csrf}, "externalId": {id}})
		e.clock.advance(time.Second) // activations in this order
		if code, _, _ := acme.post("/ui/account/seats", url.Values{"csrf": {csrf}, "productId": {"MileOn"}, "action": {"assign"}, "externalId": {id}}); code != http.StatusSeeOther {
			t.Fatalf("assign %s: %d", id, code)
		}
	}

	b := e.browser(t)
	b.signIn(partnerForm(apiKey), "/ui/partner")
	csrf = b.csrf("/ui/partner")
	code, _, body := b.post("/ui/partner/companies/acme-fleet/seats", url.Values{"csrf": {csrf}, "productId": {"MileOn"}, "seats": {"1"}})
	if code != 200 || !strings.Contains(body, "these 2 user(s) would lose their seat") || !strings.Contains(body, `name="confirm" value="yes"`) {
		t.Fatalf("the confirmation does not say who would lose a seat: %d\n%s", code, body)
	}
	named := regexp.MustCompile(`<li><strong>([^<]+)</strong> would lose a seat</li>`).FindAllStringSubmatch(body, -1)
	if len(named) != 2 || named[0][1] != "van-5" || named[1][1] != "van-4" {
		t.Fatalf("named %q, want van-5 and van-4:\n%s", named, body)
	}
	// Asking changed nothing.
	_, _, page := b.get("/ui/partner/companies/acme-fleet")
	if !regexp.MustCompile(`(?s)data-product="MileOn">.*?class="num owned">3<.*?class="num assigned">3<`).MatchString(page) {
		t.Fatalf("the preview changed the seats:\n%s", page)
	}
	if code, _, _ := b.post("/ui/partner/companies/acme-fleet/seats", url.Values{"csrf": {csrf}, "productId": {"MileOn"}, "seats": {"1"}, "confirm": {"yes"}}); code != http.StatusSeeOther {
		t.Fatalf("confirmed: %d", code)
	}
	_, _, page = b.get("/ui/partner/companies/acme-fleet")
	if !strings.Contains(page, "2 user(s) lost a seat") || !strings.Contains(page, "van-5") || !strings.Contains(page, "van-4") {
		t.Fatalf("after confirming:\n%s", page)
	}
}

// TestAuditTrail: the account view lists the company's changes, newest
// first, who made them and when, paged; another company's do not show.
func TestAuditTrail(t *testing.T) {
	e := newEnv(t)
	acme := e.browser(t)
	acme.signIn(companyForm(apiKey, "acme-fleet"), "/ui/account")
	csrf := acme.csrf("/ui/account")
	for i := range 22 {
		acme.post("/ui/account/users", url.Values{"csrf": {csrf}, "externalId": {"driver-" + string(rune('a'+i))}})
	}
	acme.post("/ui/account/users/driver-a/delete", url.Values{"csrf": {csrf}})
	other := e.browser(t)
	other.signIn(companyForm(otherAPIKey, "other-co"), "/ui/account")
	other.post("/ui/account/users", url.Values{"csrf": {other.csrf("/ui/account")}, "externalId": {"other-driver"}})

	_, _, page := acme.get("/ui/account")
	rows := regexp.MustCompile(`<tr data-command="([A-Za-z]+)"><td><time datetime="[^"]+">[0-9-]+ [0-9:]+ UTC</time></td><td>([^<]+)</td>`).FindAllStringSubmatch(page, -1)
	if len(rows) != 20 || rows[0][1] != "DeleteUser" || rows[1][1] != "AddUser" || rows[0][2] != "fleet-partner" {
		t.Fatalf("the audit trail's first page: %q\n%s", rows, page)
	}
	if !strings.Contains(page, "Audit trail <small>(23)</small>") || !strings.Contains(page, `id="audit-next"`) {
		t.Fatalf("the audit trail does not count 23 changes in pages:\n%s", page)
	}
	if strings.Contains(page, "other-driver") || strings.Contains(page, "other-partner") {
		t.Fatalf("acme-fleet's audit trail shows other-co's change:\n%s", page)
	}
	_, _, page = acme.get("/ui/account?auditOffset=20")
	rows = regexp.MustCompile(`<tr data-command="([A-Za-z]+)">`).FindAllStringSubmatch(page, -1)
	if len(rows) != 3 || !strings.Contains(page, `id="audit-prev"`) || strings.Contains(page, `id="audit-next"`) {
		t.Fatalf("the audit trail's second page: %q\n%s", rows, page)
	}
}
