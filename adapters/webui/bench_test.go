package webui

import (
	"net/http"
	"net/url"
	"testing"
)

// BenchmarkPages answers each page of the web tool on the example data
// set (plus 200 users in acme-fleet, 100 of them holding a seat), over
// HTTP on loopback, signed in: the budget is 100 ms a page.
//
//	go test -run '^$' -bench Pages ./adapters/webui
func BenchmarkPages(b *testing.B) {
	e := newEnv(b)
	partner := e.browser(b)
	partner.signIn(partnerForm(apiKey), "/ui/partner")
	company := e.browser(b)
	company.signIn(companyForm(apiKey, "acme-fleet"), "/ui/account")
	csrf := company.csrf("/ui/account")
	csv := "External ID,Email,First Name,Last Name,Phone Number\n"
	var ids []string
	for i := 0; i < 200; i++ {
		id := "bench-user-" + itoa(i)
		csv += id + "," + id + "@example.com,Bench,User " + itoa(i) + ",+1 555 0100\n"
		if i < 3 {
			ids = append(ids, id)
		}
	}
	if code, _, _ := company.post("/ui/account/import", url.Values{"csrf": {csrf}, "csv": {csv}}); code != http.StatusSeeOther {
		b.Fatalf("import: %d", code)
	}
	company.post("/ui/account/seats", url.Values{"csrf": {csrf}, "productId": {"CoPilot"}, "action": {"assign"}, "externalId": ids})
	company.post("/ui/history/login", url.Values{"csrf": {csrf}, "username": {adminUser}, "password": {adminPass}})
	anon := e.browser(b)
	for _, p := range []struct {
		name string
		b    *browser
		path string
	}{
		{"signin", anon, "/ui/signin"},
		{"partner", partner, "/ui/partner"},
		{"company", partner, "/ui/partner/companies/acme-fleet"},
		{"account", company, "/ui/account"},
		{"account-search", company, "/ui/account?externalId=bench-user-150"},
		{"user", company, "/ui/account/users/bench-user-7"},
		{"history", company, "/ui/history?sort=-activation-date&limit=50"},
		{"playground", partner, "/ui/rules?file=50-seats.yaml"},
		{"static-css", anon, "/ui/static/style.css"},
	} {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				if code, _, _ := p.b.get(p.path); code != http.StatusOK {
					b.Fatalf("%s: %d", p.path, code)
				}
			}
		})
	}
}
