package webui

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/entitle-rules/entitle/rulesets"
)

// The browser tests drive Debian's headless Chromium through the web tool.
// They run when ENTITLE_BROWSER_TESTS=1, and then fail (never skip) when
// Chromium is missing; ENTITLE_CHROMIUM names another binary. Screenshots
// go to the directory ENTITLE_SCREENSHOTS names (the README's come from
// ENTITLE_SCREENSHOTS=$PWD/adapters/webui/screenshots), or to the test's
// temporary directory.

// ui is one browser tab on a served entitle.
type ui struct {
	t    *testing.T
	ctx  context.Context
	e    *env
	shot string
}

func newUI(t *testing.T) *ui {
	t.Helper()
	return newUIWith(t, rulesets.FS)
}

// newUIWith is newUI on an entitle deciding with the rule files in rulesFS.
func newUIWith(t *testing.T, rulesFS fs.FS) *ui {
	t.Helper()
	if os.Getenv("ENTITLE_BROWSER_TESTS") != "1" {
		t.Skip("the browser tests run with ENTITLE_BROWSER_TESTS=1 (they need Debian's chromium: apt-get install chromium)")
	}
	exe := os.Getenv("ENTITLE_CHROMIUM")
	if exe == "" {
		exe = "/usr/bin/chromium"
	}
	if _, err := os.Stat(exe); err != nil {
		t.Fatalf("ENTITLE_BROWSER_TESTS=1 but there is no browser at %s (apt-get install chromium, or set ENTITLE_CHROMIUM): %v", exe, err)
	}
	shots := os.Getenv("ENTITLE_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	profile, err := os.MkdirTemp("", "entitle-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Chromium's children may still write in the profile briefly after
		// the browser stops.
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(profile),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.WindowSize(1200, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	u := &ui{t: t, ctx: ctx, e: newEnvWith(t, rulesFS), shot: shots}
	u.do(chromedp.EmulateViewport(1200, 900))
	// A headless page never has the window's focus; emulate it, so :focus
	// styles apply as they do for a person at the keyboard.
	if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	return u
}

func (u *ui) do(actions ...chromedp.Action[chromedp.Void]) {
	u.t.Helper()
	if err := chromedp.Do(u.ctx, actions...); err != nil {
		u.t.Fatal(err)
	}
}

// open loads a page of the web tool.
func (u *ui) open(path string) {
	u.t.Helper()
	u.do(chromedp.Navigate(u.e.srv.URL + path))
}

// submit clicks a button that sends a form and waits for the next page.
func (u *ui) submit(sel string) {
	u.t.Helper()
	if _, err := chromedp.Run(u.ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel)))); err != nil {
		u.t.Fatalf("clicking %s: %v", sel, err)
	}
}

// text is the visible text of the first element sel matches.
func (u *ui) text(sel string) string {
	u.t.Helper()
	s, err := chromedp.Run(u.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		u.t.Fatalf("reading %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func (u *ui) value(sel string) string {
	u.t.Helper()
	s, err := chromedp.Run(u.ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		u.t.Fatalf("reading %s: %v", sel, err)
	}
	return s
}

func (u *ui) eval(js string) any {
	u.t.Helper()
	v, err := chromedp.Run(u.ctx, chromedp.Evaluate[any](js))
	if err != nil {
		u.t.Fatalf("%s: %v", js, err)
	}
	return v
}

// want fails unless the element's text holds all of wants.
func (u *ui) want(sel string, wants ...string) {
	u.t.Helper()
	got := u.text(sel)
	for _, w := range wants {
		if !strings.Contains(got, w) {
			u.t.Fatalf("%s says %q; want %q", sel, got, w)
		}
	}
}

// screenshot writes the whole page as name.png.
func (u *ui) screenshot(name string) {
	u.t.Helper()
	u.capture(name, chromedp.FullScreenshot(100))
}

// capture writes what shot takes (PNG) as name.png.
func (u *ui) capture(name string, shot chromedp.Action[[]byte]) {
	u.t.Helper()
	png, err := chromedp.Run(u.ctx, shot)
	if err != nil {
		u.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(u.shot, name+".png"), png, 0o644); err != nil {
		u.t.Fatal(err)
	}
}

// signIn signs in with the keyboard: the fields are filled by typing and
// the form is sent with Enter.
func (u *ui) signIn(kind string, fields map[string]string) {
	u.t.Helper()
	u.open("/ui/signin")
	u.do(chromedp.Click(chromedp.CSS(`input[name=kind][value=` + kind + `]`)))
	last := ""
	for _, id := range []string{"apiKey", "alias", "username", "password"} {
		if v, ok := fields[id]; ok {
			u.do(chromedp.SendKeys(chromedp.CSS("#"+id), v))
			last = id
		}
	}
	if _, err := chromedp.Run(u.ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.SendKeys(chromedp.CSS("#"+last), "\r"))); err != nil {
		u.t.Fatal(err)
	}
}

// cells returns owned, assigned and free of a product's row.
func (u *ui) cells(product string) string {
	u.t.Helper()
	row := `tr[data-product="` + product + `"] `
	return u.text(row+".owned") + "/" + u.text(row+".assigned") + "/" + u.text(row+".free")
}

func TestBrowserPartnerFlow(t *testing.T) {
	u := newUI(t)
	u.open("/ui/")
	u.want("h1", "Sign in")
	u.screenshot("signin")
	// The focused field shows its outline (keyboard users see where they are).
	u.do(chromedp.Focus(chromedp.CSS("#apiKey")))
	if got := u.eval(`getComputedStyle(document.activeElement).outlineStyle`); got != "solid" {
		t.Fatalf("the focused field's outline is %v", got)
	}
	u.signIn("partner", map[string]string{"apiKey": apiKey})
	u.want("h1", "Companies")
	u.want("#companies", "Acme Fleet", "acme-fleet")
	u.screenshot("partner")

	// Create a company and give it seats.
	u.do(chromedp.SendKeys(chromedp.CSS("#name"), "Blue Trucking"))
	u.submit("#create-company button")
	u.want("h1", "Blue Trucking")
	u.want(".flash.ok", "its alias is blue-trucking")
	if got := u.cells("CoPilot"); got != "0/0/0" {
		t.Fatalf("a new company's CoPilot seats: %s", got)
	}
	u.do(chromedp.SetValue(chromedp.CSS("#seats-CoPilot"), "2"))
	u.submit(`tr[data-product="CoPilot"] button`)
	if got := u.cells("CoPilot"); got != "2/0/2" {
		t.Fatalf("after setting 2 CoPilot seats: %s", got)
	}
	u.screenshot("company")
	u.open("/ui/partner")
	u.want(`#companies`, "Blue Trucking")

	// Schedule a block, see the instant first, then block now.
	u.open("/ui/partner/companies/fleet-forguard")
	u.want("#block-state", "Not blocked.")
	at := u.e.clock.Now().UTC().Add(90 * time.Minute).Format("2006-01-02T15:04")
	u.do(chromedp.SetValue(chromedp.CSS("#at"), at))
	u.submit(`#account-ops form:last-of-type button`)
	shown := strings.Replace(at, "T", " ", 1) + " UTC"
	u.want("#confirm-title", "Block Fleet Forguard at "+shown)
	u.want("#confirm-message", "1h30m0s from now")
	u.screenshot("confirm-block")
	u.submit("#confirm")
	u.want("#block-state", "Not blocked.", "Scheduled to be blocked at "+strings.Replace(at, "T", " ", 1)+":00 UTC")
	u.submit("#block-now")
	u.want("#block-state", "Blocked.")
	u.screenshot("blocked")

	// Issue an X-AccessToken: shown once.
	u.open("/ui/partner")
	u.submit("#issue-token button")
	if tok := u.value("#secret"); len(tok) < 40 {
		t.Fatalf("issued token %q", tok)
	}
	u.open("/ui/partner")
	if n := u.eval(`document.querySelectorAll("#secret").length`); n != float64(0) {
		t.Fatal("the token was shown again")
	}
}

func TestBrowserAccountFlow(t *testing.T) {
	u := newUI(t)
	u.signIn("company", map[string]string{"apiKey": apiKey, "alias": "acme-fleet"})
	u.want("h1", "Acme Fleet")
	if got := u.cells("MileOn"); got != "3/0/3" {
		t.Fatalf("MileOn at first: %s", got)
	}
	// Paste a CSV list.
	u.do(chromedp.SetValue(chromedp.CSS("#csv"), "External ID,Email,First Name,Last Name,Phone Number\ntruck-12,t12@acme.example,Tom,Truck,+1 555 0112\nvan-3,,,,\n,nobody@acme.example,,,\n"))
	u.submit("#import-form button")
	u.want("#results", "2 of 3 user(s) added", "line 2: truck-12", "line 4", "External ID is empty")
	// Upload one.
	file := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(file, []byte("van-4,v4@acme.example,Vera,Van,\ntruck-12\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	u.do(chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{file}))
	u.submit("#import-form button")
	u.want("#results", "1 of 2 user(s) added", "van-4", "exists")
	u.want("#users", "truck-12", "van-3", "van-4", "Tom Truck")

	// Assign MileOn to a selection, then release one.
	for _, id := range []string{"truck-12", "van-3", "van-4"} {
		u.do(chromedp.Click(chromedp.CSS(`#users input[value="` + id + `"]`)))
	}
	u.do(chromedp.SetValue(chromedp.CSS("#productId"), "MileOn"))
	u.submit("#assign")
	u.want("#results", "MileOn: 3 of 3 assigned")
	if got := u.cells("MileOn"); got != "3/3/0" {
		t.Fatalf("MileOn after assigning 3: %s", got)
	}
	u.screenshot("account")
	u.do(chromedp.Click(chromedp.CSS(`#users input[value="van-3"]`)))
	u.do(chromedp.SetValue(chromedp.CSS("#productId"), "MileOn"))
	u.submit("#release")
	u.want("#results", "MileOn: 1 of 1 released")
	if got := u.cells("MileOn"); got != "3/2/1" {
		t.Fatalf("MileOn after releasing 1: %s", got)
	}

	// The audit trail lists these changes, newest first: who, what, when.
	u.want("#audit-trail tbody tr:first-child", "fleet-partner", "released a seat", "UTC")
	u.want("#audit-trail", "assigned a seat", "added a user")
	if n := u.eval(`document.querySelectorAll("#audit-trail tbody tr[data-command]").length`); n != float64(7) {
		t.Fatalf("%v events in the audit trail, want 7 (3 users added, 3 seats assigned, 1 released)", n)
	}
	u.do(chromedp.ScrollIntoView(chromedp.CSS("#audit")))
	u.capture("audit", chromedp.Screenshot(chromedp.CSS("#audit")))

	// Search, edit.
	u.do(chromedp.SendKeys(chromedp.CSS("#search"), "VAN-4"))
	u.submit(`form[role=search] button`)
	u.want("#users", "van-4")
	u.submit(`#users a`)
	u.want("h1", "User van-4")
	u.do(chromedp.SetValue(chromedp.CSS("#phoneNumber"), "+1 555 0144"))
	u.submit("#edit-user button")
	u.want(".flash.ok", "User van-4 saved.")
	u.want("#users", "+1 555 0144")

	// The history, with the administrator's login.
	u.open("/ui/history")
	u.do(chromedp.SendKeys(chromedp.CSS("#username"), adminUser))
	u.do(chromedp.SendKeys(chromedp.CSS("#password"), adminPass))
	u.submit("#history-login button")
	if n := u.eval(`document.querySelectorAll("#history tbody tr").length`); n != float64(3) {
		t.Fatalf("%v assignments in the history, want 3", n)
	}
	u.do(chromedp.SetValue(chromedp.CSS("#sort"), "-id"))
	u.submit("#history-filters button")
	u.want("#history tbody tr:first-child td:first-child", "3")
	u.screenshot("history")

	// At 360 px the page does not scroll sideways (wide tables scroll in
	// their own box).
	u.narrow("/ui/history", "/ui/account/users/van-4", "/ui/account")
	u.screenshot("account-360px")
}

// narrow checks that each page, at 360 px wide, does not scroll sideways
// (wide tables scroll in their own box), and leaves the viewport narrow.
func (u *ui) narrow(paths ...string) {
	u.t.Helper()
	u.do(chromedp.EmulateViewport(360, 780))
	for _, p := range paths {
		u.open(p)
		if w := u.eval(`document.documentElement.scrollWidth`); w.(float64) > 360 {
			u.t.Fatalf("at 360 px %s is %v px wide", p, w)
		}
	}
}

func TestBrowserPlaygroundFlow(t *testing.T) {
	u := newUI(t)
	u.signIn("partner", map[string]string{"apiKey": apiKey})
	u.open("/ui/rules?file=50-seats.yaml")
	u.want("h1", "Ruleset playground")
	source := u.value("#source")
	broken := strings.Replace(source, "params.max_bulk", "params.max_bulkk", 1)
	if broken == source {
		t.Fatal("nothing to break in 50-seats.yaml")
	}
	line := 1 + strings.Count(broken[:strings.Index(broken, "params.max_bulkk")], "\n")
	u.do(chromedp.SetValue(chromedp.CSS("#source"), broken))
	u.submit("#check")
	u.want("#check-result", "problem(s)", "max_bulkk")
	pos := u.text("#problems a.pos")
	if !strings.HasPrefix(pos, "50-seats.yaml:"+itoa(line)+":") {
		t.Fatalf("the error is at %s, want line %d", pos, line)
	}
	// Following the error puts the caret on its line in the editor.
	u.do(chromedp.Click(chromedp.CSS("#problems a.pos")))
	if id := u.eval(`document.activeElement.id`); id != "source" {
		t.Fatalf("focus is on %v, not the editor", id)
	}
	caretLine := u.eval(`(function(){var s=document.getElementById("source");return s.value.slice(0,s.selectionStart).split("\n").length})()`)
	if caretLine != float64(line) {
		t.Fatalf("the caret is on line %v, want %d", caretLine, line)
	}
	u.screenshot("playground-error")
	u.do(chromedp.SetValue(chromedp.CSS("#source"), source))
	u.do(chromedp.SetValue(chromedp.CSS("#run"), "bulk"))
	u.submit("#check")
	u.want("#check-result", "Compiled: ruleset")
	if n := u.eval(`document.querySelectorAll("#tests tr.ok").length`); n.(float64) < 1 {
		t.Fatal("no test passed")
	}
	if n := u.eval(`document.querySelectorAll("#tests tr.fail").length`); n != float64(0) {
		t.Fatalf("%v tests failed after the fix", n)
	}
	u.want("#tests", "a bulk call of 1,001 users is refused")
	if n := u.eval(`document.querySelectorAll("#tests tbody tr").length`); n.(float64) > 5 {
		t.Fatalf("%v tests ran for -run bulk", n)
	}
	u.screenshot("playground")
	// The sample request decided by the real rule authors' API: the trace
	// names every rule evaluated, the one that refused the item fired.
	u.submit("#explain")
	u.want("#decision", "NO_FREE_SEAT", "no free seat of MileOn")
	u.want("#trace tr.fired", "assignment.no-free-seat", "50-seats.yaml:", "pool.free")
	if n := u.eval(`document.querySelectorAll("#trace tbody tr").length`); n.(float64) < 5 {
		t.Fatalf("the trace has %v steps", n)
	}
	u.screenshot("playground-explain")
	// A seats change, logged, replayed under a copy that allows fewer.
	u.open("/ui/partner/companies/acme-fleet")
	u.do(chromedp.SetValue(chromedp.CSS("#seats-CoPilot"), "7"))
	u.submit(`tr[data-product=CoPilot] button[type=submit]`)
	u.want(`tr[data-product=CoPilot] .owned`, "7")
	u.open("/ui/rules?file=50-seats.yaml")
	u.do(chromedp.SetValue(chromedp.CSS("#source"), strings.Replace(source, "max_seats: 10000", "max_seats: 6", 1)))
	u.submit("#check")
	u.submit("#replay")
	u.want("#replay-result", "1 decision(s) replayed; 1 would change.")
	u.want("#replay-h + form + p + ul", "TOO_MANY_SEATS")
	u.narrow("/ui/rules?file=50-seats.yaml", "/ui/partner", "/ui/partner/companies/acme-fleet")
	u.do(chromedp.EmulateViewport(1200, 900))
}

// TestBrowserShrinkConfirmation: under shrink_policy release_most_recent,
// lowering a company's seats below those in use names, before the partner
// confirms, the users who would lose a seat; confirming releases them.
func TestBrowserShrinkConfirmation(t *testing.T) {
	u := newUIWith(t, releasingRules(t))
	u.signIn("company", map[string]string{"apiKey": apiKey, "alias": "acme-fleet"})
	u.do(chromedp.SetValue(chromedp.CSS("#csv"), "truck-12\nvan-3\nvan-4\n"))
	u.submit("#import-form button")
	for _, id := range []string{"truck-12", "van-3", "van-4"} {
		u.do(chromedp.Click(chromedp.CSS(`#users input[value="` + id + `"]`)))
	}
	u.do(chromedp.SetValue(chromedp.CSS("#productId"), "MileOn"))
	u.submit("#assign")
	u.want("#results", "MileOn: 3 of 3 assigned")
	u.submit(".signout button")

	u.signIn("partner", map[string]string{"apiKey": apiKey})
	u.open("/ui/partner/companies/acme-fleet")
	u.do(chromedp.SetValue(chromedp.CSS("#seats-MileOn"), "1"))
	u.submit(`tr[data-product="MileOn"] button`)
	u.want("#confirm-title", "Lower Acme Fleet's MileOn seats from 3 to 1?")
	u.want("#confirm-message", "these 2 user(s) would lose their seat")
	if n := u.eval(`document.querySelectorAll("#confirm-rows li").length`); n != float64(2) {
		t.Fatalf("%v users named, want 2", n)
	}
	named := u.text("#confirm-rows")
	u.screenshot("confirm-shrink")
	// Nothing changed by asking: cancel, and the seats are as they were.
	u.submit(".confirm a.button")
	if got := u.cells("MileOn"); got != "3/3/0" {
		t.Fatalf("MileOn after cancelling: %s", got)
	}
	u.do(chromedp.SetValue(chromedp.CSS("#seats-MileOn"), "1"))
	u.submit(`tr[data-product="MileOn"] button`)
	u.submit("#confirm")
	if got := u.cells("MileOn"); got != "1/1/0" {
		t.Fatalf("MileOn after confirming: %s", got)
	}
	for _, line := range strings.Split(named, "\n") {
		id, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		u.want(".flash.ok", id)
	}
}
