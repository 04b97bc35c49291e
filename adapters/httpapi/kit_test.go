package httpapi_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/access"
)

type kitLine struct {
	PartNumber string `json:"partNumber"`
	Quantity   int    `json:"quantity"`
}

type kitSite struct {
	SiteUseID int64 `json:"siteUseId"`
}

type kitOrder struct {
	PONumber string    `json:"customerPONumber"`
	Site     kitSite   `json:"site"`
	Lines    []kitLine `json:"lines"`
}

func TestDecodeStrict(t *testing.T) {
	for _, tc := range []struct {
		name, body   string
		field, msg   string // the error's Field and Message; msg "" means no error
		msgPrefix    bool   // msg is only the start of the message
		want         kitOrder
		wantTooLarge bool
	}{{
		name: "a valid body",
		body: `{"customerPONumber": "PO300424", "site": {"siteUseId": 531807}, "lines": [{"partNumber": "132001-10", "quantity": 1}]}`,
		want: kitOrder{PONumber: "PO300424", Site: kitSite{SiteUseID: 531807}, Lines: []kitLine{{PartNumber: "132001-10", Quantity: 1}}},
	}, {
		name:  "an unknown field",
		body:  `{"customerPONumber": "PO300424", "colour": "red"}`,
		field: "colour", msg: "colour is not a field of this request",
	}, {
		name:  "an unknown field in lines[1]",
		body:  `{"lines": [{"partNumber": "a"}, {"partNumber": "b", "colour": "red"}]}`,
		field: "lines[1].colour", msg: "lines[1].colour is not a field of this request",
	}, {
		name:  "an unknown field in an object",
		body:  `{"site": {"siteUseId": 1, "siteUseID2": 2}}`,
		field: "site.siteUseID2", msg: "site.siteUseID2 is not a field of this request",
	}, {
		name:  "a number for a string",
		body:  `{"customerPONumber": 300424}`,
		field: "customerPONumber", msg: "customerPONumber must be a string, not number",
	}, {
		name:  "a string for a number in an object",
		body:  `{"site": {"siteUseId": "531807"}}`,
		field: "site.siteUseId", msg: "site.siteUseId must be a number, not string",
	}, {
		// The path of a field inside a list names its index, as the
		// unknown-field paths do.
		name:  "a string for a number in lines[1]",
		body:  `{"lines": [{"quantity": 1}, {"quantity": "2"}]}`,
		field: "lines[1].quantity", msg: "lines[1].quantity must be a number, not string",
	}, {
		name:  "an object for a list",
		body:  `{"lines": {"partNumber": "a"}}`,
		field: "lines", msg: "lines must be a list, not object",
	}, {
		// Regression (issue 8): encoding/json matched names in any case.
		name:  "a field name in another case",
		body:  `{"CUSTOMERPONUMBER": "PO300424"}`,
		field: "CUSTOMERPONUMBER", msg: "CUSTOMERPONUMBER is not a field of this request (write customerPONumber); field names are case-sensitive",
	}, {
		name:  "a field name in another case in lines[0]",
		body:  `{"lines": [{"PartNumber": "a"}]}`,
		field: "lines[0].PartNumber", msg: "lines[0].PartNumber is not a field of this request (write partNumber); field names are case-sensitive",
	}, {
		// Regression (issue 8): encoding/json kept the last of two keys.
		name:  "a key given twice",
		body:  `{"customerPONumber": "a", "customerPONumber": "b"}`,
		field: "customerPONumber", msg: "customerPONumber is given twice",
	}, {
		name:  "a key given twice in lines[1]",
		body:  `{"lines": [{"quantity": 1}, {"quantity": 1, "quantity": 2}]}`,
		field: "lines[1].quantity", msg: "lines[1].quantity is given twice",
	}, {
		name:  "a NUL byte in a value",
		body:  `{"customerPONumber": "tap\u0000client"}`,
		field: "customerPONumber", msg: "the value of customerPONumber holds a control character (U+0000); send printable text",
	}, {
		name:  "a control character in lines[0]",
		body:  `{"lines": [{"partNumber": "a\tb"}]}`,
		field: "lines[0].partNumber", msg: "the value of lines[0].partNumber holds a control character (U+0009); send printable text",
	}, {
		name:  "a lone surrogate escape (not text)",
		body:  `{"customerPONumber": "\udc00"}`,
		field: "customerPONumber", msg: "the value of customerPONumber is not valid UTF-8 text",
	}, {
		name:  "invalid UTF-8",
		body:  "{\"lines\": [{\"partNumber\": \"\xff\xfe\"}]}",
		field: "lines[0].partNumber", msg: "the value of lines[0].partNumber is not valid UTF-8 text",
	}, {
		name: "a list for the body",
		body: `[{"customerPONumber": "PO300424"}]`,
		msg:  "the body must be an object, not array",
	}, {
		name: "two JSON values",
		body: `{"customerPONumber": "a"} {"customerPONumber": "b"}`,
		msg:  "the body holds more than one JSON value",
	}, {
		name: "trailing garbage",
		body: `{"customerPONumber": "a"} x`,
		msg:  "the body holds more than one JSON value",
	}, {
		name: "a trailing bracket",
		body: `{"customerPONumber": "a"}]`,
		msg:  "the body holds data after its JSON value",
	}, {
		name: "an empty body",
		body: ``,
		msg:  "the body is empty; send a JSON object",
	}, {
		name: "a body of white space",
		body: " \n\t",
		msg:  "the body is empty; send a JSON object",
	}, {
		name: "a body cut short",
		body: `{"customerPONumber": `,
		msg:  "the JSON ends early",
	}, {
		name: "malformed JSON",
		body: `{"customerPONumber" "a"}`,
		msg:  "malformed JSON at byte 21: ", msgPrefix: true,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var got kitOrder
			err := httpapi.DecodeStrict(strings.NewReader(tc.body), &got)
			if tc.msg == "" {
				if err != nil {
					t.Fatalf("DecodeStrict: %v", err)
				}
				if d := cmp.Diff(tc.want, got); d != "" {
					t.Errorf("decoded (-want +got):\n%s", d)
				}
				return
			}
			var de *domain.Error
			if !errors.As(err, &de) {
				t.Fatalf("DecodeStrict returned %v (%T), want a *domain.Error", err, err)
			}
			if de.Code != domain.CodeInvalid {
				t.Errorf("code %q, want %q", de.Code, domain.CodeInvalid)
			}
			if de.Field != tc.field {
				t.Errorf("field %q, want %q", de.Field, tc.field)
			}
			if tc.msgPrefix && !strings.HasPrefix(de.Message, tc.msg) || !tc.msgPrefix && de.Message != tc.msg {
				t.Errorf("message %q, want %q", de.Message, tc.msg)
			}
			if httpapi.IsTooLarge(err) {
				t.Errorf("IsTooLarge(%v) = true", err)
			}
			// DecodeBytes is the same decoder.
			if err2 := httpapi.DecodeBytes([]byte(tc.body), new(kitOrder)); err2 == nil || err2.Error() != err.Error() {
				t.Errorf("DecodeBytes: %v, want %v", err2, err)
			}
		})
	}

	t.Run("a body over the limit", func(t *testing.T) {
		body := http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(strings.NewReader(`{"customerPONumber": "PO300424"}`)), 10)
		err := httpapi.DecodeStrict(body, new(kitOrder))
		if domain.ErrorCode(err) != domain.CodeInvalid || !httpapi.IsTooLarge(err) {
			t.Errorf("DecodeStrict over the limit: %v; want CodeInvalid and IsTooLarge", err)
		}
		if err == nil || !strings.Contains(err.Error(), "larger than 10 bytes") {
			t.Errorf("message %v, want it to say the body is larger than 10 bytes", err)
		}
	})
}

// errReader fails every read.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("no randomness") }

// constReader reads as an endless run of one byte.
type constReader byte

func (c constReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}

func TestUniqueID(t *testing.T) {
	clock := func(at time.Time) ports.Clock { return ports.ClockFunc(func() time.Time { return at }) }
	now := time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		random io.Reader
		clock  ports.Clock
		n      int
	}{
		{"crypto/rand", nil, clock(now), 10000},
		{"all one bits", constReader(0xff), clock(now), 1},
		{"all zero bits", constReader(0), clock(now), 1},
		{"randomness fails", errReader{}, clock(now), 1},
		{"randomness fails at the Unix epoch", errReader{}, clock(time.Unix(0, 0)), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := httpapi.New(httpapi.Options{Store: memory.New(), Clock: tc.clock, Random: tc.random})
			seen := map[int64]bool{}
			for range tc.n {
				id := s.UniqueID()
				if id <= 0 || id >= 1<<53 {
					t.Fatalf("UniqueID() = %d, want 0 < id < 2^53", id)
				}
				if seen[id] {
					t.Fatalf("UniqueID() repeated %d", id)
				}
				seen[id] = true
			}
		})
	}
}

// kit is a Server over a memory store with a movable clock and one client.
type kit struct {
	now   atomic.Int64
	store *memory.Store
	s     *httpapi.Server
}

func newKit(t *testing.T) *kit { return newKitLimits(t, httpapi.Limits{}) }

func newKitLimits(t *testing.T, lim httpapi.Limits) *kit {
	t.Helper()
	k := &kit{store: memory.New()}
	t.Cleanup(func() { k.store.Close() })
	k.now.Store(time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC).UnixNano())
	clock := ports.ClockFunc(func() time.Time { return time.Unix(0, k.now.Load()) })
	acc, err := access.New(access.Options{Store: k.store, Clock: clock, Random: rand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	k.s = httpapi.New(httpapi.Options{Store: k.store, Clock: clock, Access: acc, Limits: lim})
	if err := acc.PutClient(context.Background(), "c1", "Client one", "s3cret"); err != nil {
		t.Fatal(err)
	}
	return k
}

func (k *kit) serve(method, target, body string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	k.s.ServeHTTP(rec, req)
	return rec
}

// TestCredentialsStoredHashed: neither the client secret nor a bearer token
// is stored as it is; Authenticate accepts the token, any case of "Bearer".
func TestCredentialsStoredHashed(t *testing.T) {
	k := newKit(t)
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"c1"}, "client_secret": {"s3cret"}}.Encode()
	rec := k.serve(http.MethodPost, "/oauth/token", form, "Content-Type", "application/x-www-form-urlencoded")
	if rec.Code != http.StatusOK {
		t.Fatalf("POST /oauth/token: %d %s", rec.Code, rec.Body)
	}
	var answer struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil || answer.AccessToken == "" {
		t.Fatalf("the token answer %s: %v", rec.Body, err)
	}
	ctx := context.Background()
	err := k.store.View(ctx, func(tx ports.Tx) error {
		c, err := tx.Clients().Get(ctx, "c1")
		if err != nil {
			return err
		}
		if !strings.HasPrefix(c.SecretHash, "$argon2id$") || strings.Contains(c.SecretHash, "s3cret") {
			t.Errorf("the client's secret is stored as %q, want an argon2id hash", c.SecretHash)
		}
		if _, err := tx.Clients().Token(ctx, answer.AccessToken); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Errorf("the token is found by its plain text: %v", err)
		}
		_, err = tx.Clients().Token(ctx, domain.HashSecret(answer.AccessToken))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Authorization", scheme+" "+answer.AccessToken)
		r, err := k.s.Authenticate(req)
		if p, _ := httpapi.PrincipalFrom(r.Context()); err != nil || p.Partner != "c1" || p.Credential != domain.ClientCredentials {
			t.Errorf("Authenticate with %q: %+v, %v; want partner c1 by client credentials", scheme, p, err)
		}
	}
	k.now.Add(int64(time.Hour))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+answer.AccessToken)
	if _, err := k.s.Authenticate(req); domain.ErrorCode(err) != domain.CodeUnauthenticated {
		t.Errorf("Authenticate with an expired token: %v, want CodeUnauthenticated", err)
	}
}

// TestIdempotent drives Idempotent through its states with a write that
// waits until it is told to finish.
func TestIdempotent(t *testing.T) {
	k := newKit(t)
	var (
		calls   atomic.Int32
		entered = make(chan struct{}, 1)
		release = make(chan struct{})
	)
	k.s.Handle("POST /write", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		k.s.RunIdempotent(w, r, "c1", body, httpapi.IdempotentAPI{}, func(context.Context) httpapi.Answer {
			n := calls.Add(1)
			if string(body) == "slow" {
				entered <- struct{}{}
				<-release
			}
			return httpapi.JSONAnswer(http.StatusCreated, map[string]any{"call": n, "body": string(body)})
		})
	}))
	key := func(k string) []string { return []string{"Idempotency-Key", k} }

	var (
		wg    sync.WaitGroup
		first *httptest.ResponseRecorder
	)
	wg.Go(func() { first = k.serve(http.MethodPost, "/write", "slow", key("k1")...) })
	<-entered

	// While the first runs: the same request is told to wait, another is refused.
	if rec := k.serve(http.MethodPost, "/write", "slow", key("k1")...); rec.Code != http.StatusConflict {
		t.Errorf("the same key while the first runs: %d %s, want 409", rec.Code, rec.Body)
	}
	if rec := k.serve(http.MethodPost, "/write", "other", key("k1")...); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("the same key with another body: %d %s, want 422", rec.Code, rec.Body)
	}
	close(release)
	wg.Wait()
	if first.Code != http.StatusCreated || first.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("the first request: %d %v %s", first.Code, first.Header(), first.Body)
	}

	// A retry replays the answer without running the write again.
	rec := k.serve(http.MethodPost, "/write", "slow", key("k1")...)
	if rec.Code != first.Code || rec.Body.String() != first.Body.String() || rec.Header().Get("Idempotent-Replayed") != "true" {
		t.Errorf("the retry: %d %v %s; want the first answer replayed", rec.Code, rec.Header(), rec.Body)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("the write ran %d times, want 1", n)
	}

	// Without a key every request runs; a key over 255 characters is refused.
	k.serve(http.MethodPost, "/write", "fast")
	k.serve(http.MethodPost, "/write", "fast")
	if n := calls.Load(); n != 3 {
		t.Errorf("the write ran %d times, want 3", n)
	}
	if rec := k.serve(http.MethodPost, "/write", "fast", key(strings.Repeat("k", 256))...); rec.Code != http.StatusBadRequest {
		t.Errorf("a 256-character key: %d %s, want 400", rec.Code, rec.Body)
	}
	if rec := k.serve(http.MethodPost, "/write", "fast", key(strings.Repeat("k", 255))...); rec.Code != http.StatusCreated {
		t.Errorf("a 255-character key: %d %s, want 201", rec.Code, rec.Body)
	}

	// Answers are kept KeepIdempotency, then purged: the key is new again.
	k.now.Add(int64(httpapi.KeepIdempotency - time.Second))
	if n, err := k.s.PurgeIdempotency(context.Background()); err != nil || n != 0 {
		t.Errorf("PurgeIdempotency before the answers are a day old: %d, %v; want 0", n, err)
	}
	k.now.Add(int64(2 * time.Second))
	if n, err := k.s.PurgeIdempotency(context.Background()); err != nil || n != 2 {
		t.Errorf("PurgeIdempotency after a day: %d, %v; want 2", n, err)
	}
	if rec := k.serve(http.MethodPost, "/write", "other", key("k1")...); rec.Code != http.StatusCreated || rec.Header().Get("Idempotent-Replayed") != "" {
		t.Errorf("a purged key reused: %d %s, want a new 201", rec.Code, rec.Body)
	}
}

// TestServerRecoversPanics: a panicking handler answers 500 in JSON and the
// server goes on serving.
func TestServerRecoversPanics(t *testing.T) {
	k := newKit(t)
	k.s.Handle("GET /panic", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	rec := k.serve(http.MethodGet, "/panic", "")
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != http.StatusInternalServerError ||
		rec.Header().Get("Content-Type") != "application/json" || body["statusCode"] != float64(500) ||
		body["errorMessage"] != "internal error" || body["uniqueId"] == nil {
		t.Errorf("a panic: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	if strings.Contains(rec.Body.String(), "boom") {
		t.Errorf("the panic value reached the client: %s", rec.Body)
	}
	if rec := k.serve(http.MethodGet, "/healthz", ""); rec.Code != http.StatusOK || rec.Body.String() != "ok\n" {
		t.Errorf("GET /healthz after a panic: %d %q", rec.Code, rec.Body)
	}
}

// Regression (issue 8): /oauth/token took 5,700 guesses a second. Token
// requests are limited per address, and a client id that sent five wrong
// secrets waits before each further try, twice as long each time.
func TestTokenGuessingIsSlowed(t *testing.T) {
	k := newKitLimits(t, httpapi.Limits{TokenPerAddress: 1, TokenPerAddressBurst: 20})
	try := func(secret, addr string) *httptest.ResponseRecorder {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"c1"}, "client_secret": {secret}}.Encode()
		req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.RemoteAddr = addr
		rec := httptest.NewRecorder()
		k.s.ServeHTTP(rec, req)
		return rec
	}
	for i := range 5 {
		if rec := try("guess", "192.0.2.1:1000"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("wrong secret %d: %d %s", i+1, rec.Code, rec.Body)
		}
	}
	// The sixth try, even with the right secret, must wait a second.
	rec := try("s3cret", "192.0.2.2:1000")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" || !strings.Contains(rec.Body.String(), "slow_down") {
		t.Fatalf("after five wrong secrets: %d %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	k.now.Add(int64(time.Second))
	if rec := try("guess", "192.0.2.2:1000"); rec.Code != http.StatusUnauthorized {
		t.Fatalf("a try after the wait: %d %s", rec.Code, rec.Body)
	}
	// Six failures in a row: the wait is now two seconds.
	k.now.Add(int64(time.Second))
	if rec := try("s3cret", "192.0.2.2:1000"); rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("one second into a two-second wait: %d %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	k.now.Add(int64(time.Second))
	if rec := try("s3cret", "192.0.2.2:1000"); rec.Code != http.StatusOK {
		t.Fatalf("the right secret after the wait: %d %s", rec.Code, rec.Body)
	}
	// A success forgets the failures.
	if rec := try("guess", "192.0.2.2:1000"); rec.Code != http.StatusUnauthorized {
		t.Fatalf("after a success: %d", rec.Code)
	}
	// One address gets its burst, then one a second.
	for i := range 20 {
		if rec := try("guess", "198.51.100.7:1"); rec.Code == http.StatusTooManyRequests && strings.Contains(rec.Body.String(), "address") {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	if rec := try("s3cret", "198.51.100.7:2"); rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Body.String(), "this address") {
		t.Fatalf("past the burst: %d %s", rec.Code, rec.Body)
	}
}

// A principal over its request rate is refused with CodeRateLimited, and
// the error says how long to wait.
func TestPerClientRate(t *testing.T) {
	k := newKitLimits(t, httpapi.Limits{PerClient: 1, PerClientBurst: 3})
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"c1"}, "client_secret": {"s3cret"}}.Encode()
	rec := k.serve(http.MethodPost, "/oauth/token", form, "Content-Type", "application/x-www-form-urlencoded")
	var answer struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
		t.Fatal(err)
	}
	auth := func() error {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Authorization", "Bearer "+answer.AccessToken)
		_, err := k.s.Authenticate(req)
		return err
	}
	for i := range 3 {
		if err := auth(); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	err := auth()
	if d, ok := httpapi.RetryAfter(err); domain.ErrorCode(err) != domain.CodeRateLimited || !ok || d <= 0 || d > time.Second {
		t.Fatalf("past the burst: %v (retry after %v)", err, d)
	}
	rec = httptest.NewRecorder()
	httpapi.SetRetryAfter(rec, err)
	if rec.Header().Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q", rec.Header().Get("Retry-After"))
	}
	k.now.Add(int64(time.Second))
	if err := auth(); err != nil {
		t.Errorf("a second later: %v", err)
	}
}

// Past MaxConcurrent requests in flight, the next gets 503 at once.
func TestMaxConcurrent(t *testing.T) {
	k := newKitLimits(t, httpapi.Limits{MaxConcurrent: 1})
	release, entered := make(chan struct{}), make(chan struct{})
	k.s.Handle("GET /slow", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(entered)
		<-release
	}))
	done := make(chan int)
	go func() { done <- k.serve(http.MethodGet, "/slow", "").Code }()
	<-entered
	rec := k.serve(http.MethodGet, "/healthz", "")
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), `"uniqueId"`) {
		t.Errorf("a request past the cap: %d %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	close(release)
	if code := <-done; code != http.StatusOK {
		t.Errorf("the slow request: %d", code)
	}
	if rec := k.serve(http.MethodGet, "/healthz", ""); rec.Code != http.StatusOK {
		t.Errorf("after the slow one: %d", rec.Code)
	}
}

// Regression (issue 8): unknown routes and methods got net/http's plain
// text; every answer is JSON with a uniqueId, 405 with Allow.
func TestNoRouteIsJSON(t *testing.T) {
	k := newKit(t)
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{http.MethodGet, "/nowhere", http.StatusNotFound, ""},
		{http.MethodDelete, "/oauth/token", http.StatusMethodNotAllowed, "POST"},
		{http.MethodPost, "/healthz", http.StatusMethodNotAllowed, "GET, HEAD"},
	} {
		rec := k.serve(tc.method, tc.path, "")
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != tc.status || body["uniqueId"] == nil ||
			body["statusCode"] != float64(tc.status) || rec.Header().Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d %q %s", tc.method, tc.path, rec.Code, rec.Header().Get("Allow"), rec.Body)
		}
	}
}
