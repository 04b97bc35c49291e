package fuzz

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/dataset"
)

// Env is what the Machine gives a System it opens: the clock every service
// must read (the Machine moves it), a source of ids and a source of random
// bytes that answer the same sequence on every System of one history, so
// that the Systems' answers can be compared byte for byte.
type Env struct {
	Clock ports.Clock
	IDs   ports.IDs
	// Random is for the HTTP kit's request ids; AccessRandom for the access
	// service's tokens and salts.
	Random, AccessRandom io.Reader
}

// System is entitle as a service embedding it runs: its five HTTP APIs on
// one handler over one store, deciding with one rule set.
type System interface {
	// Handler serves the five APIs (it may change after Restart or Reload).
	Handler() http.Handler
	// Store is the store the handler decides over, for the invariant
	// checks and for loading data.
	Store() ports.Store
	// Restart closes the store and opens the same database again (an
	// in-memory store is kept), and builds the services and handler anew.
	Restart() error
	// Reload loads the rule files again and builds the services and
	// handler over the new rule set.
	Reload() error
	// Close releases the store and anything the System made.
	Close() error
}

// Target names a way to open a System: one per store, say.
type Target struct {
	Name string
	// Open opens a System over a new, empty store.
	Open func(env Env) (System, error)
}

// Machine runs random histories of operations across the five APIs
// against every Target at once, with the same clock and ids: after every
// step the invariants hold in every store, every read the APIs offer
// answers the same bytes on every Target and what the Model says. A failure
// is shrunk by rapid to a minimal history, reported with the Go source of a
// test that replays it (Machine.Replay).
//
// Strict makes the Model predict the shipped rule files' decisions (start
// dates, refusals); without it the Model learns each decision from the
// answer and checks only what no rule file may change, so a service with
// rule files of its own runs the Machine with Strict false.
type Machine struct {
	Targets []Target
	Strict  bool
	// ReplayName is the test the reported Go source names (default
	// TestMachineReplay); Targets is how it refers to the Targets
	// (default "targets").
	ReplayName, ReplayTargets string

	histories, steps atomic.Int64
}

// Counts returns how many histories the Machine started and how many steps
// it ran, for the figures of a long run.
func (m *Machine) Counts() (histories, steps int64) { return m.histories.Load(), m.steps.Load() }

// Run checks rapid's number of histories (-rapid.checks, -rapid.steps,
// -rapid.seed replay a failure) and fails t with the minimal failing
// history.
func (m *Machine) Run(t rapid.TB) { rapid.Check(t, m.Check) }

// Check runs one history drawn by t.
func (m *Machine) Check(t *rapid.T) {
	h := m.start(t)
	defer h.close()
	actions := map[string]func(*rapid.T){}
	for name, draw := range drawers {
		actions[name] = func(t *rapid.T) {
			h.t = t
			h.do(draw(t, h.model))
		}
	}
	t.Repeat(actions)
}

// Replay runs steps as one history on every Target, failing tb as Check
// would.
func (m *Machine) Replay(tb testing.TB, steps []Step) {
	tb.Helper()
	h := m.start(tb)
	defer h.close()
	for _, s := range steps {
		h.do(s)
	}
}

// Play runs steps as one history on every Target and returns what went
// wrong, or nil: Replay for a caller without a testing.TB (a program, an
// Example).
func (m *Machine) Play(steps []Step) (err error) {
	r := &stopper{}
	defer func() {
		if p := recover(); p != nil {
			s, ok := p.(stopped)
			if !ok {
				panic(p)
			}
			err = s
		}
	}()
	h := m.start(r)
	defer h.close()
	for _, s := range steps {
		h.do(s)
	}
	return nil
}

// stopped is a failure Play reports.
type stopped string

func (s stopped) Error() string { return string(s) }

// stopper is the reporter of Play: a failure stops the history.
type stopper struct{}

func (*stopper) Helper()                        {}
func (*stopper) Logf(string, ...any)            {}
func (*stopper) Fatalf(format string, a ...any) { panic(stopped(fmt.Sprintf(format, a...))) }

// reporter is what a history reports to: a *rapid.T or a testing.TB.
type reporter interface {
	Helper()
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

type history struct {
	m       *Machine
	t       reporter
	now     atomic.Int64
	model   *Model
	systems []*running
	steps   []Step
}

// running is one Target's System in a history, with its credentials.
type running struct {
	name   string
	sys    System
	ids    atomic.Int64
	tokens map[string]string
}

func (m *Machine) start(t reporter) *history {
	t.Helper()
	if len(m.Targets) == 0 {
		t.Fatalf("fuzz.Machine: no Targets")
	}
	m.histories.Add(1)
	h := &history{m: m, t: t, model: NewModel()}
	h.now.Store(Start.UnixNano())
	clock := ports.ClockFunc(func() time.Time { return time.Unix(0, h.now.Load()).UTC() })
	ds, err := dataset.Parse(WorldData())
	if err != nil {
		t.Fatalf("fuzz.Machine: the world does not parse: %v", err)
	}
	for _, tg := range m.Targets {
		r := &running{name: tg.Name, tokens: map[string]string{}}
		// Every System draws the same ids and random bytes, in UUID form
		// (managed billing's transaction ids look like the vendor's).
		env := Env{Clock: clock, IDs: ports.IDsFunc(func() string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", r.ids.Add(1)) }),
			Random: rand.NewChaCha8([32]byte{1}), AccessRandom: rand.NewChaCha8([32]byte{2})}
		if r.sys, err = tg.Open(env); err != nil {
			h.close()
			t.Fatalf("opening %s: %v", tg.Name, err)
		}
		h.systems = append(h.systems, r)
		if _, err := ds.Load(context.Background(), r.sys.Store()); err != nil {
			h.close()
			t.Fatalf("loading the world into %s: %v", tg.Name, err)
		}
	}
	return h
}

func (h *history) close() {
	for _, r := range h.systems {
		if err := r.sys.Close(); err != nil {
			h.t.Logf("closing %s: %v", r.name, err)
		}
	}
}

// fail reports a broken promise with the history so far as a Go test.
func (h *history) fail(format string, args ...any) {
	h.t.Helper()
	h.t.Fatalf("after %d steps: %s\n\nreplay it:\n\n%s", len(h.steps), fmt.Sprintf(format, args...), GoSource(h.m.replayName(), h.m.replayTargets(), h.steps))
}

func (m *Machine) replayName() string {
	if m.ReplayName != "" {
		return m.ReplayName
	}
	return "TestMachineReplay"
}

func (m *Machine) replayTargets() string {
	if m.ReplayTargets != "" {
		return m.ReplayTargets
	}
	return "targets"
}

// request is one HTTP request, with the credential it needs.
type request struct {
	method, path, body string
	auth               string // a key of credentials
	contentType        string
}

// reply is an answer: its status and body.
type reply struct {
	status int
	body   []byte
}

func (r reply) String() string { return strconv.Itoa(r.status) + " " + string(r.body) }

// obj decodes the body as JSON.
func (r reply) obj() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.body, &m)
	return m
}

// serve sends rq to one System as is.
func (r *running) serve(rq request, hdr http.Header) reply {
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	hr := httptest.NewRequest(rq.method, rq.path, body)
	if rq.body != "" {
		ct := rq.contentType
		if ct == "" {
			ct = "application/json"
		}
		hr.Header.Set("Content-Type", ct)
	}
	for k, v := range hdr {
		hr.Header[k] = v
	}
	w := httptest.NewRecorder()
	r.sys.Handler().ServeHTTP(w, hr)
	return reply{status: w.Code, body: w.Body.Bytes()}
}

// send sends rq to every System, with a credential got (again) when one
// is missing or refused, and fails the history unless every System
// answers the same bytes. It returns the answer.
func (h *history) send(rq request) reply {
	h.t.Helper()
	var first reply
	for i, r := range h.systems {
		got := r.serve(rq, h.credential(r, rq.auth, false))
		if credentialRefused(rq.auth, got) {
			got = r.serve(rq, h.credential(r, rq.auth, true))
		}
		if i == 0 {
			first = got
			continue
		}
		if got.status != first.status || !bytes.Equal(got.body, first.body) && !bytes.Equal(renumber(got.body), renumber(first.body)) {
			h.fail("%s %s answers differently:\n%s: %s\n%s: %s", rq.method, rq.path, h.systems[0].name, first, r.name, got)
		}
	}
	return first
}

// credentialRefused reports whether rp refuses the credential of kind auth
// (expired, or lost with a restart), so that the request is worth sending
// again with a new one.
func credentialRefused(auth string, rp reply) bool {
	if auth == "" {
		return false
	}
	return rp.status == http.StatusUnauthorized ||
		strings.HasPrefix(auth, authSession) && rp.status == http.StatusBadRequest && bytes.Contains(rp.body, []byte("UWS verification failure"))
}

// generatedIDs are the JSON keys whose numbers a store draws from a
// sequence: PostgreSQL's advance on a refused insert too, so the stores'
// numbers part ways without anything being wrong.
var generatedIDs = map[string]bool{"id": true, "userId": true, "licenseId": true, "assignmentId": true}

// renumber is a JSON body with the numbers of generatedIDs replaced by
// their order of first appearance (1, 2, ...): two bodies that differ only
// in which numbers the stores drew, but not in which records are the same,
// renumber alike. A body that is not JSON is returned as it is.
func renumber(body []byte) []byte {
	var v any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if d.Decode(&v) != nil {
		return body
	}
	seen := map[string]int{}
	var walk func(v any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			for _, k := range sortedKeys(v) {
				x := v[k]
				if n, ok := x.(json.Number); ok && generatedIDs[k] {
					if seen[k+"="+n.String()] == 0 {
						seen[k+"="+n.String()] = len(seen) + 1
					}
					v[k] = seen[k+"="+n.String()]
					continue
				}
				v[k] = walk(x)
			}
		case []any:
			for i := range v {
				v[i] = walk(v[i])
			}
		}
		return v
	}
	b, err := json.Marshal(walk(v))
	if err != nil {
		return body
	}
	return b
}

// The credentials a request may need.
const (
	authTAP     = "tap"
	authPartner = "partner"
	authAccount = "account"
	authAdmin   = "admin"
	authOps     = "ops"
	// authSession + an account name: ThingSpace bearer and that account's
	// session.
	authSession = "session:"
)

// credential returns the headers of credential kind for r, getting a token
// when it has none or fresh is set.
func (h *history) credential(r *running, kind string, fresh bool) http.Header {
	h.t.Helper()
	hdr := http.Header{}
	switch {
	case kind == "":
		return hdr
	case kind == authAdmin:
		hdr.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(AdminUsername+":"+Password)))
		return hdr
	case kind == authOps:
		hdr.Set("X-AccessToken", AccessToken)
		return hdr
	}
	tok := func(key string, get func() string) string {
		if fresh || r.tokens[key] == "" {
			r.tokens[key] = get()
		}
		return r.tokens[key]
	}
	need := func(rp reply, field string) string {
		s, _ := rp.obj()[field].(string)
		if rp.status != http.StatusOK || s == "" {
			h.fail("%s: getting a %s credential: %s", r.name, kind, rp)
		}
		return s
	}
	switch {
	case kind == authTAP:
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {TAPClient}, "client_secret": {TAPSecret}}
		hdr.Set("Authorization", "Bearer "+tok(kind, func() string {
			return need(r.serve(request{method: http.MethodPost, path: "/oauth/token", body: form.Encode(), contentType: "application/x-www-form-urlencoded"}, nil), "access_token")
		}))
	case kind == authPartner || kind == authAccount:
		body := `{"apiKey": "` + APIKey + `"}`
		if kind == authAccount {
			body = `{"apiKey": "` + APIKey + `", "alias": "` + Company + `"}`
		}
		hdr.Set("Authorization", "Bearer "+tok(kind, func() string {
			return need(r.serve(request{method: http.MethodPost, path: "/api/v1/authenticate", body: body}, nil), "token")
		}))
	case strings.HasPrefix(kind, authSession):
		bearer := tok("thingspace", func() string {
			b := http.Header{}
			b.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(BillingClient+":"+BillingSecret)))
			return need(r.serve(request{method: http.MethodPost, path: "/api/ts/v1/oauth2/token", body: "grant_type=client_credentials",
				contentType: "application/x-www-form-urlencoded"}, b), "access_token")
		})
		hdr.Set("Authorization", "Bearer "+bearer)
		account := strings.TrimPrefix(kind, authSession)
		hdr.Set("VZ-M2M-Token", tok(kind, func() string {
			b, _ := json.Marshal(map[string]string{"username": managedLogins[account], "password": Password})
			rp := r.serve(request{method: http.MethodPost, path: "/api/m2m/v1/session/login", body: string(b)}, hdr)
			if rp.status == http.StatusUnauthorized && !fresh {
				// The bearer expired: get another and log in again.
				r.tokens["thingspace"] = ""
				return h.credential(r, kind, true).Get("VZ-M2M-Token")
			}
			return need(rp, "sessionToken")
		}))
	default:
		h.fail("no credential %q", kind)
	}
	return hdr
}

// tap calls a store API proc: GET with ?request=, POST with the body.
func (h *history) tap(method, proc string, req any) reply {
	h.t.Helper()
	b, _ := json.Marshal(map[string]any{"ProcName": proc, "ProcRequester": "TAP", "request": req})
	if method == http.MethodGet {
		return h.send(request{method: method, path: "/cloud/tapstoreapis/v1?request=" + url.QueryEscape(string(b)), auth: authTAP})
	}
	return h.send(request{method: method, path: "/cloud/tapstoreapis/v1", body: string(b), auth: authTAP})
}

func jsonBody(v any) string { b, _ := json.Marshal(v); return string(b) }

// setNow moves the clock of every System.
func (h *history) setNow(t time.Time) {
	h.now.Store(t.UnixNano())
	h.model.Now = t
}
