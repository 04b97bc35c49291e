package webui

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestSignInRefusals(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"wrong apiKey", partnerForm("not-the-key"), "Invalid apiKey value sent"},
		{"another partner's company", companyForm(otherAPIKey, "acme-fleet"), "Invalid apiKey value sent"},
		{"no alias", companyForm(apiKey, ""), "Give the company&#39;s alias"},
		{"wrong password", url.Values{"kind": {"user"}, "username": {adminUser}, "password": {"wrong"}}, "Unknown username or wrong password"},
		{"no kind", url.Values{"apiKey": {apiKey}}, "Choose how to sign in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := e.browser(t)
			code, _, body := b.post("/ui/signin", tc.form)
			if code != http.StatusUnauthorized || !strings.Contains(body, tc.want) {
				t.Fatalf("got %d, want 401 saying %q:\n%s", code, tc.want, body)
			}
			if u, _ := url.Parse(e.srv.URL + "/ui/"); len(b.c.Jar.Cookies(u)) != 0 {
				t.Fatal("a refused sign-in set a cookie")
			}
			if code, loc, _ := b.get("/ui/partner"); code != http.StatusSeeOther || !strings.HasPrefix(loc, "/ui/signin") {
				t.Fatalf("after a refused sign-in /ui/partner answered %d %s", code, loc)
			}
		})
	}
	t.Run("account user", func(t *testing.T) {
		b := e.browser(t)
		b.signIn(url.Values{"kind": {"user"}, "username": {adminUser}, "password": {adminPass}}, "/ui/history")
		if code, _, body := b.get("/ui/history"); code != 200 || !strings.Contains(body, `id="history"`) {
			t.Fatalf("history: %d\n%s", code, body)
		}
		if code, _, _ := b.get("/ui/partner"); code != http.StatusForbidden {
			t.Fatalf("an account user reached the partner page: %d", code)
		}
	})
	t.Run("next stays on the web tool", func(t *testing.T) {
		b := e.browser(t)
		f := partnerForm(apiKey)
		f.Set("next", "//evil.example/ui/")
		b.signIn(f, "/ui/partner")
		f.Set("next", "/ui/rules")
		b.signIn(f, "/ui/rules")
	})
}

func TestCookie(t *testing.T) {
	e := newEnv(t)
	forwarded := false // the second TLS case: a proxy terminated it
	for _, tls := range []bool{false, true, true} {
		req := httptest.NewRequest(http.MethodPost, "/ui/signin", strings.NewReader(partnerForm(apiKey).Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if tls && forwarded {
			req.Header.Set("X-Forwarded-Proto", "https")
		} else if tls {
			req.TLS = &tlsState
		}
		forwarded = tls
		rec := httptest.NewRecorder()
		e.ui.ServeHTTP(rec, req)
		cs := rec.Result().Cookies()
		if rec.Code != http.StatusSeeOther || len(cs) != 1 {
			t.Fatalf("tls %v: %d with %d cookies", tls, rec.Code, len(cs))
		}
		c := cs[0]
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure != tls || len(c.Value) < 40 {
			t.Errorf("tls %v: cookie %+v: want HttpOnly, SameSite=Strict, Secure only over TLS, a long random value", tls, c)
		}
		if want := map[bool]string{false: "entitle_ui", true: "__Host-entitle_ui"}[tls]; c.Name != want {
			t.Errorf("tls %v: cookie named %q, want %q", tls, c.Name, want)
		}
		if strings.Contains(rec.Body.String()+c.Value, apiKey) {
			t.Error("the apiKey reached the browser")
		}
	}
}

var tlsState = tls.ConnectionState{HandshakeComplete: true}

func TestSessionExpiry(t *testing.T) {
	e := newEnv(t)
	t.Run("idle", func(t *testing.T) {
		b := e.browser(t)
		b.signIn(partnerForm(apiKey), "/ui/partner")
		e.clock.advance(29 * time.Minute)
		if code, _, _ := b.get("/ui/partner"); code != 200 {
			t.Fatalf("29 idle minutes: %d", code)
		}
		e.clock.advance(30 * time.Minute)
		if code, loc, _ := b.get("/ui/partner"); code != http.StatusSeeOther || !strings.HasPrefix(loc, "/ui/signin") {
			t.Fatalf("30 idle minutes: %d %s, want a redirect to sign in", code, loc)
		}
	})
	t.Run("absolute", func(t *testing.T) {
		b := e.browser(t)
		b.signIn(partnerForm(apiKey), "/ui/partner")
		for i := 0; i < 23; i++ { // 7h40m of use, 20 minutes apart
			e.clock.advance(20 * time.Minute)
			if code, _, _ := b.get("/ui/partner"); code != 200 {
				t.Fatalf("after %d minutes in use: %d", (i+1)*20, code)
			}
		}
		e.clock.advance(20 * time.Minute)
		if code, _, _ := b.get("/ui/partner"); code != http.StatusSeeOther {
			t.Fatalf("8 hours after sign-in: %d, want the session ended", code)
		}
	})
	t.Run("sign-out", func(t *testing.T) {
		b := e.browser(t)
		b.signIn(partnerForm(apiKey), "/ui/partner")
		u, _ := url.Parse(e.srv.URL + "/ui/")
		old := b.c.Jar.Cookies(u)
		csrf := b.csrf("/ui/partner")
		if code, loc, _ := b.post("/ui/signout", url.Values{"csrf": {csrf}}); code != http.StatusSeeOther || loc != "/ui/signin" {
			t.Fatalf("sign-out: %d %s", code, loc)
		}
		b.c.Jar.SetCookies(u, old) // the old id, replayed
		if code, _, _ := b.get("/ui/partner"); code != http.StatusSeeOther {
			t.Fatalf("the signed-out session still works: %d", code)
		}
	})
	t.Run("bounded", func(t *testing.T) {
		ss := newSessions(time.Hour, time.Hour, 3)
		now := time.Now()
		var ids []string
		for i := 0; i < 5; i++ {
			ids = append(ids, ss.create(now.Add(time.Duration(i)*time.Second)).id)
		}
		if ss.len() != 3 || ss.get(ids[0], now) != nil || ss.get(ids[4], now.Add(5*time.Second)) == nil {
			t.Fatalf("%d sessions held; want the 3 most recent", ss.len())
		}
	})
}

func TestCSRFRefused(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.signIn(partnerForm(apiKey), "/ui/partner")
	other := e.browser(t)
	other.signIn(partnerForm(apiKey), "/ui/partner")
	otherToken := other.csrf("/ui/partner")
	for _, tc := range []struct {
		name string
		form url.Values
	}{
		{"none", url.Values{"name": {"Sneaky One"}}},
		{"another session's", url.Values{"name": {"Sneaky Two"}, "csrf": {otherToken}}},
		{"empty", url.Values{"name": {"Sneaky Three"}, "csrf": {""}}},
	} {
		code, _, body := b.post("/ui/partner/companies", tc.form)
		if code != http.StatusForbidden || !strings.Contains(body, "Nothing was changed") {
			t.Errorf("%s: %d, want 403\n%s", tc.name, code, body)
		}
	}
	// A form sent from another site's page is refused before any check.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/ui/partner/companies",
		strings.NewReader(url.Values{"name": {"Sneaky Four"}, "csrf": {b.csrf("/ui/partner")}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site form: %d, want 403", resp.StatusCode)
	}
	_, _, body := b.get("/ui/partner")
	if strings.Contains(body, "Sneaky") {
		t.Fatal("a refused form created a company")
	}
	if code, _, _ := b.post("/ui/partner/companies", url.Values{"name": {"Honest"}, "csrf": {b.csrf("/ui/partner")}}); code != http.StatusSeeOther {
		t.Fatalf("with the right token: %d", code)
	}
}

// TestCrossTenant: a session reaches only what its credentials reach,
// whatever ids it writes into forms and URLs.
func TestCrossTenant(t *testing.T) {
	e := newEnv(t)
	other := e.browser(t)
	other.signIn(partnerForm(otherAPIKey), "/ui/partner")
	csrf := other.csrf("/ui/partner")
	_, _, list := other.get("/ui/partner")
	if strings.Contains(list, "acme-fleet") || !strings.Contains(list, "other-co") {
		t.Fatalf("other-partner's list:\n%s", list)
	}
	for _, tc := range []struct {
		method, path string
		form         url.Values
	}{
		{"GET", "/ui/partner/companies/acme-fleet", nil},
		{"GET", "/ui/partner/companies/ACME-FLEET", nil},
		{"POST", "/ui/partner/companies/acme-fleet/seats", url.Values{"csrf": {csrf}, "productId": {"CoPilot"}, "seats": {"0"}, "confirm": {"yes"}}},
		{"POST", "/ui/partner/companies/fleet-forguard/block", url.Values{"csrf": {csrf}, "action": {"block"}}},
	} {
		var code int
		var body string
		if tc.method == "GET" {
			code, _, body = other.get(tc.path)
		} else {
			code, _, body = other.post(tc.path, tc.form)
		}
		if code != http.StatusNotFound {
			t.Errorf("%s %s: %d, want 404\n%s", tc.method, tc.path, code, body)
		}
	}
	// The other company's session cannot read acme-fleet's users either.
	co := e.browser(t)
	co.signIn(companyForm(otherAPIKey, "other-co"), "/ui/account")
	if code, _, _ := co.get("/ui/account/users/acme-admin"); code != http.StatusNotFound {
		t.Errorf("another company's user: %d, want 404", code)
	}
	if _, _, body := co.get("/ui/account?externalId=acme-admin"); !strings.Contains(body, "No user has External ID") {
		t.Error("the search found another company's user")
	}
	// acme-fleet is untouched.
	acme := e.browser(t)
	acme.signIn(partnerForm(apiKey), "/ui/partner")
	_, _, body := acme.get("/ui/partner/companies/acme-fleet")
	if !regexp.MustCompile(`(?s)data-product="CoPilot">.*?class="num owned">5<`).MatchString(body) {
		t.Fatalf("acme-fleet's seats changed:\n%s", body)
	}
	_, _, fg := acme.get("/ui/partner/companies/fleet-forguard")
	if !strings.Contains(fg, "Not blocked.") {
		t.Fatalf("fleet-forguard was blocked by another partner:\n%s", fg)
	}
	// A session's kind bounds its pages.
	if code, _, _ := co.get("/ui/partner"); code != http.StatusForbidden {
		t.Errorf("a company session on the partner page: %d", code)
	}
}

// Sessions are safe for concurrent use (run with -race): sign-ins, page
// reads, expiry sweeps and sign-outs at once.
func TestSessionsConcurrent(t *testing.T) {
	ss := newSessions(time.Minute, time.Hour, 64)
	now := time.Now()
	done := make(chan struct{})
	for g := 0; g < 8; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 200; i++ {
				s := ss.create(now.Add(time.Duration(i) * time.Second))
				if got := ss.get(s.id, now.Add(time.Duration(i)*time.Second)); got != nil {
					got.setFlash(&flash{Message: "x"})
					_ = got.takeFlash()
				}
				if i%3 == 0 {
					ss.delete(s.id)
				}
			}
		}()
	}
	for g := 0; g < 8; g++ {
		<-done
	}
	if n := ss.len(); n > 64 {
		t.Fatalf("%d sessions held, more than the bound of 64", n)
	}
}

func TestStaticAndUnknownPages(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	for _, tc := range []struct {
		path string
		code int
	}{
		{"/ui", http.StatusTemporaryRedirect},
		{"/ui/static/app.js", http.StatusOK},
		{"/ui/static/style.css", http.StatusOK},
		{"/ui/static/", http.StatusNotFound},
		{"/ui/nope", http.StatusNotFound},
	} {
		if code, _, _ := b.get(tc.path); code != tc.code {
			t.Errorf("%s: %d, want %d", tc.path, code, tc.code)
		}
	}
	resp, err := b.c.Get(e.srv.URL + "/ui/signin")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
}

// Sign-ins here count against the APIs' own limits per network address:
// after 5 wrong apiKeys in a row the next try waits, and the page says so
// with 429 and Retry-After.
func TestSignInGuessingIsSlowed(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	var code int
	var body string
	for i := 0; i < 6; i++ {
		code, _, body = b.post("/ui/signin", partnerForm("guess-"+itoa(i)))
	}
	if code != http.StatusTooManyRequests || !strings.Contains(body, "too many invalid apiKey values from this address") {
		t.Fatalf("the 6th wrong apiKey: %d\n%s", code, body)
	}
	resp, err := b.c.PostForm(e.srv.URL+"/ui/signin", partnerForm(apiKey))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("the right apiKey while waiting: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}
