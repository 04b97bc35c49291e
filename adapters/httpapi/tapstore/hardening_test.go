package tapstore_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/httpapi/internal/apitest"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/adapters/sqlite"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// heldOrder is an order of Held Reseller Ltd, a customer of tap-client on
// credit hold: the rules accept it ORDER_ON_HOLD.
func heldOrder(po, serial string) string {
	return envelope("TAP_CREATE_ORDER_API", `{"customerPONumber": "`+po+`", "currencyCode": "GBP",
	  "billToSiteUseId": 640001, "shipToSiteUseId": 640002,
	  "billToContactEmail": "test123@gmail.com", "shipToContactEmail": "test456@gmail.com",
	  "lines": [{"lineNumber": 1, "serviceStartDate": "2025-04-24", "partNumber": "132001-10", "serialNumber": "`+serial+`",
	    "serviceType": "RTX", "manufacturerModel": "R12", "autoRenewal": "N", "activationType": "IMMEDIATE"}]}`)
}

// Regression (issue 8): TAP_CREATE_ORDER_API answered "SUCCESS" for an order
// it had put on hold. It answers the order's own status, the one
// TAP_GET_ORDER_API shows.
func TestCreateOrderAnswersItsStatus(t *testing.T) {
	h := newHarness(t)
	tok := h.tokenFor(tapClient, tapSecret)
	r := h.post(tok, "", heldOrder("PO-HELD", "7700000101"))
	check(t, r, 200, `{"statusCode": 200, "status": "ORDER_ON_HOLD", "uniqueId": "<number>"}`)
	id, _ := r.body["uniqueId"].(float64)
	got := h.get(tok, envelope("TAP_GET_ORDER_API", `{"uniqueID": "`+itoa(int64(id))+`"}`))
	hdr, _ := got.body["orderHdr"].(map[string]any)
	if got.status != 200 || hdr["orderStatus"] != "ORDER_ON_HOLD" {
		t.Errorf("TAP_GET_ORDER_API of the held order: %d %s; want orderStatus ORDER_ON_HOLD", got.status, got.raw)
	}
	check(t, h.post(tok, "", orderWith("PO-NOT-HELD", []string{"7700000102"})), 200,
		`{"statusCode": 200, "status": "SUCCESS", "uniqueId": "<number>"}`)
}

// Regression (issue 8): an unknown method or path under /cloud/ was answered
// by net/http in plain text, and the Idempotency-Key refusals (409, 422, a
// malformed key) had neither statusCode nor uniqueId. Every answer is the
// seed's envelope now.
func TestEveryAnswerIsTheEnvelope(t *testing.T) {
	h := newHarness(t)
	tok := h.tokenFor(tapClient, tapSecret)
	for _, tc := range []struct{ method, path, want string }{
		{http.MethodPut, storePath, "/cloud/tapstoreapis/v1 answers GET and POST, not PUT"},
		{http.MethodDelete, storePath, "/cloud/tapstoreapis/v1 answers GET and POST, not DELETE"},
		{http.MethodPatch, "/cloud/TAPStoreAPIs/v1", "/cloud/TAPStoreAPIs/v1 answers GET and POST, not PATCH"},
	} {
		req := h.newRequest(tc.method, h.url(tc.path), strings.NewReader("{}"))
		bearer(req, tok)
		r := h.do(req)
		check(t, r, http.StatusMethodNotAllowed, `{"statusCode": "405", "status": "ERROR", "uniqueId": "<number>", "errorMessage": "`+tc.want+`"}`)
		if a := r.header.Get("Allow"); a != "GET, HEAD, POST" {
			t.Errorf("%s %s: Allow %q", tc.method, tc.path, a)
		}
	}
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/cloud/tapstoreapis/v2"},
		{http.MethodPost, "/cloud/tapstoreapis/v1/orders"},
		{http.MethodGet, "/cloud/elsewhere"},
	} {
		req := h.newRequest(tc.method, h.url(tc.path), nil)
		bearer(req, tok)
		check(t, h.do(req), http.StatusNotFound, `{"statusCode": "404", "status": "ERROR", "uniqueId": "<number>",
		  "errorMessage": "there is no API at `+tc.path+`; the TAP store API is at /cloud/tapstoreapis/v1"}`)
	}

	// A key held by a request still running (a reservation made now).
	hash := requestHash(t, h, "running-probe", sampleOrder)
	if err := h.store.Update(context.Background(), func(tx ports.Tx) error {
		return tx.Idempotency().Put(context.Background(), ports.IdempotencyRecord{ClientID: tapClient, Key: "running",
			RequestHash: hash, CreatedAt: time.Unix(0, h.now.Load())})
	}); err != nil {
		t.Fatal(err)
	}
	check(t, h.post(tok, "running", sampleOrder), http.StatusConflict, `{"statusCode": 409, "status": "ERROR", "uniqueId": "<number>",
	  "errorMessage": ["a request with Idempotency-Key running is still being processed; retry it later"]}`)
	check(t, h.post(tok, "running", strings.Replace(sampleOrder, "PO300424", "PO300425", 1)), http.StatusUnprocessableEntity,
		`{"statusCode": 422, "status": "ERROR", "uniqueId": "<number>",
		  "errorMessage": ["Idempotency-Key running was used with a different request; use a new key for a new request"]}`)
	check(t, h.post(tok, strings.Repeat("k", 256), sampleOrder), http.StatusBadRequest, `{"statusCode": 400, "status": "ERROR", "uniqueId": "<number>",
	  "errorMessage": ["Idempotency-Key must be at most 255 characters"]}`)
	if n := orderCount(t, h, tapClient, "PO300424"); n != 0 {
		t.Errorf("refused requests created %d orders", n)
	}
}

// requestHash is the request hash the kit stores for body sent by
// tap-client's POST: read from the record of the same body sent by
// another-client under probeKey (its order is refused: the sites are
// tap-client's).
func requestHash(tb testing.TB, h *harness, probeKey, body string) string {
	tb.Helper()
	if r := h.post(h.tokenFor(anotherClient, anotherSecret), probeKey, body); r.status != 400 {
		tb.Fatalf("the probe: %d %s, want another client's 400", r.status, r.raw)
	}
	var rec ports.IdempotencyRecord
	if err := h.store.View(context.Background(), func(tx ports.Tx) (err error) {
		rec, err = tx.Idempotency().Get(context.Background(), anotherClient, probeKey)
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	return rec.RequestHash
}

// Regression (issue 8): a POST of another content type was decoded as JSON.
// It is 415 now, in the POST procs' envelope.
func TestPostNeedsJSON(t *testing.T) {
	h := newHarness(t)
	tok := h.tokenFor(tapClient, tapSecret)
	post := func(contentType string) reply {
		req := h.newRequest(http.MethodPost, h.url(storePath), strings.NewReader(sampleOrder))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		bearer(req, tok)
		return h.do(req)
	}
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=iso-8859-1", "application/jsonx", "json"} {
		shown := `\"` + ct + `\"`
		if ct == "" {
			shown = "(none)"
		}
		check(t, post(ct), http.StatusUnsupportedMediaType, `{"statusCode": 415, "status": "ERROR", "uniqueId": "<number>",
		  "errorMessage": ["Content-Type `+shown+` is not supported; send the request as application/json"]}`)
	}
	if n := orderCount(t, h, tapClient, ""); n != 0 {
		t.Fatalf("a POST that is not JSON created %d orders", n)
	}
	for i, ct := range []string{"application/json", "Application/JSON; charset=UTF-8"} {
		r := post(ct)
		if r.status != 200 && i == 0 {
			t.Errorf("Content-Type %q: %d %s, want 200", ct, r.status, r.raw)
		}
		if r.status == http.StatusUnsupportedMediaType {
			t.Errorf("Content-Type %q: 415", ct)
		}
	}
}

// watchedBody is a request body that records whether it was read.
type watchedBody struct {
	strings.Reader
	read atomic.Bool
}

func (b *watchedBody) Read(p []byte) (int, error) {
	b.read.Store(true)
	return b.Reader.Read(p)
}

// Regression (issue 8): the store API read up to 1 MiB of a POST before it
// checked the credential, so unauthenticated clients could make the server
// buffer a megabyte each. An unauthenticated POST is answered 401 without a
// byte of its body read, whatever its content type.
func TestUnauthenticatedPostIsNotRead(t *testing.T) {
	h := newHandler(t, nil)
	for _, tc := range []struct{ name, authorization, contentType string }{
		{"no credential", "", "application/json"},
		{"a wrong token", "Bearer not-a-token", "application/json"},
		{"no credential, not JSON", "", "text/plain"},
	} {
		body := &watchedBody{Reader: *strings.NewReader(sampleOrder)}
		req := h.newRequest(http.MethodPost, h.url(storePath), body)
		req.Header.Set("Content-Type", tc.contentType)
		if tc.authorization != "" {
			req.Header.Set("Authorization", tc.authorization)
		}
		check(t, h.do(req), http.StatusUnauthorized, `{"statusCode": 401, "status": "ERROR", "uniqueId": "<number>", "errorMessage": ["Access Token Invalid"]}`)
		if body.read.Load() {
			t.Errorf("%s: the body was read before the credential was refused", tc.name)
		}
	}
}

// Regression (issue 8): a principal over its request rate (CodeRateLimited,
// new with the rate limit) was answered 500 "internal error". It is 429 with
// Retry-After, in the proc's envelope, and a POST over the rate is not read.
func TestRateLimitedAnswer(t *testing.T) {
	h := newHandlerWith(t, memory.New(), nil, httpapi.Limits{PerClient: 1, PerClientBurst: 2})
	tok := h.tokenFor(tapClient, tapSecret)
	models := envelope("TAP_GET_MFG_MODELS_API", "")
	for range 2 {
		if r := h.get(tok, models); r.status != 200 {
			t.Fatalf("a request within the rate: %d %s", r.status, r.raw)
		}
	}
	r := h.get(tok, envelope("TAP_GET_CUSTOMERS_API", ""))
	check(t, r, http.StatusTooManyRequests, `{"statusCode": "429", "status": "ERROR", "uniqueId": "<number>", "errorMessage": "too many requests; retry later"}`)
	if r.header.Get("Retry-After") == "" {
		t.Errorf("a 429 without Retry-After: %v", r.header)
	}
	body := &watchedBody{Reader: *strings.NewReader(sampleOrder)}
	req := h.newRequest(http.MethodPost, h.url(storePath), body)
	req.Header.Set("Content-Type", "application/json")
	bearer(req, tok)
	check(t, h.do(req), http.StatusTooManyRequests, `{"statusCode": 429, "status": "ERROR", "uniqueId": "<number>", "errorMessage": ["too many requests; retry later"]}`)
	if body.read.Load() {
		t.Error("a POST over the rate was read")
	}
}

// downForWrites fails every write that runs under an Idempotency-Key with
// CodeUnavailable while down is set: a store that is unavailable for the
// order, though not for the key's reservation.
type downForWrites struct {
	ports.Store
	down atomic.Bool
}

func (s *downForWrites) Update(ctx context.Context, fn func(ports.Tx) error) error {
	if _, _, ok := ports.IdempotencyKeyFrom(ctx); ok && s.down.Load() {
		return domain.Errorf(domain.CodeUnavailable, "", "the database is not available")
	}
	return s.Store.Update(ctx, fn)
}

// Regression (issue 8): a 503 from an unavailable store was stored under the
// Idempotency-Key and replayed for a day. A transient failure releases the
// key: the retry runs the order.
func TestTransientFailureReleasesTheKey(t *testing.T) {
	store := &downForWrites{Store: memory.New()}
	h := newHandlerOn(t, store, nil)
	tok := h.tokenFor(tapClient, tapSecret)
	store.down.Store(true)
	check(t, h.post(tok, "k-503", sampleOrder), http.StatusServiceUnavailable, `{"statusCode": 503, "status": "ERROR", "uniqueId": "<number>",
	  "errorMessage": ["the database is not available"]}`)
	store.down.Store(false)
	r := h.post(tok, "k-503", sampleOrder)
	check(t, r, 200, `{"statusCode": 200, "status": "SUCCESS", "uniqueId": 13331}`)
	if v := r.header.Get("Idempotent-Replayed"); v != "" {
		t.Errorf("the retry after a 503 was replayed (%q), not run", v)
	}
	if again := h.post(tok, "k-503", sampleOrder); again.raw != r.raw || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the order's answer is not kept: %d %s", again.status, again.raw)
	}
	if n := orderCount(t, h, tapClient, "PO300424"); n != 1 {
		t.Errorf("%d orders, want 1", n)
	}
}

// TestIdempotencyKeyOfADeadProcess: a process that reserved a key and died
// (the rows it left: a reservation past IdempotencyLease, bound to the order
// it committed or to nothing) never leaves the key answered 409 for a day.
// The next request with the key gets the committed order's answer, with its
// real status, or runs the order now. On every store.
func TestIdempotencyKeyOfADeadProcess(t *testing.T) {
	for name := range drivers.Stores() {
		t.Run(name, func(t *testing.T) {
			h := newHandlerOn(t, drivers.Open(t, name), nil)
			tok := h.tokenFor(tapClient, tapSecret)
			ctx := context.Background()

			// The order of the process that committed and died: placed, its
			// answer then forgotten, as if the process had died before
			// storing it.
			committed := heldOrder("PO-DEAD-1", "7700000201")
			first := h.post(tok, "dead-committed", committed)
			check(t, first, 200, `{"statusCode": 200, "status": "ORDER_ON_HOLD", "uniqueId": "<number>"}`)
			id, _ := first.body["uniqueId"].(float64)
			ref := "order:" + itoa(int64(id))
			var left ports.IdempotencyRecord
			uncommitted := orderWith("PO-DEAD-2", []string{"7700000202"})
			uncommittedHash := requestHash(t, h, "probe", uncommitted)
			if err := h.store.Update(ctx, func(tx ports.Tx) error {
				idem := tx.Idempotency()
				rec, err := idem.Get(ctx, tapClient, "dead-committed")
				if err != nil {
					return err
				}
				if rec.Ref != "" && rec.Ref != ref {
					t.Errorf("the order's write bound %q to its key, want %q", rec.Ref, ref)
				}
				if _, err := idem.Purge(ctx, time.Unix(0, h.now.Load()).Add(time.Hour)); err != nil {
					return err
				}
				left = ports.IdempotencyRecord{ClientID: tapClient, Key: "dead-committed", RequestHash: rec.RequestHash, Ref: ref, CreatedAt: rec.CreatedAt}
				if err := idem.Put(ctx, left); err != nil {
					return err
				}
				return idem.Put(ctx, ports.IdempotencyRecord{ClientID: tapClient, Key: "dead-uncommitted", RequestHash: uncommittedHash, CreatedAt: rec.CreatedAt})
			}); err != nil {
				t.Fatal(err)
			}

			// Within the lease the first request may still be running.
			h.advance(httpapi.IdempotencyLease - time.Second)
			for key, body := range map[string]string{"dead-committed": committed, "dead-uncommitted": uncommitted} {
				check(t, h.post(tok, key, body), http.StatusConflict, `{"statusCode": 409, "status": "ERROR", "uniqueId": "<number>",
				  "errorMessage": ["a request with Idempotency-Key `+key+` is still being processed; retry it later"]}`)
			}

			h.advance(time.Second)
			r := h.post(tok, "dead-committed", committed)
			check(t, r, 200, `{"statusCode": 200, "status": "ORDER_ON_HOLD", "uniqueId": `+itoa(int64(id))+`}`)
			if r.header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("the committed order's answer is not marked replayed: %v", r.header)
			}
			if n := orderCount(t, h, tapClient, "PO-DEAD-1"); n != 1 {
				t.Errorf("PO-DEAD-1: %d orders, want 1", n)
			}
			if again := h.post(tok, "dead-committed", committed); again.raw != r.raw {
				t.Errorf("the resolved answer is not kept: %s, then %s", r.raw, again.raw)
			}

			r = h.post(tok, "dead-uncommitted", uncommitted)
			check(t, r, 200, `{"statusCode": 200, "status": "SUCCESS", "uniqueId": "<number>"}`)
			if r.header.Get("Idempotent-Replayed") != "" {
				t.Errorf("an order that never committed was replayed, not run: %v", r.header)
			}
			if again := h.post(tok, "dead-uncommitted", uncommitted); again.raw != r.raw || again.header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("the order's answer is not kept: %s, then %s", r.raw, again.raw)
			}
			if n := orderCount(t, h, tapClient, "PO-DEAD-2"); n != 1 {
				t.Errorf("PO-DEAD-2: %d orders, want 1", n)
			}
		})
	}
}

// drivers open the stores a test runs on (apitest.Drivers.Stores).
var drivers = apitest.Drivers{
	Memory: func() ports.Store { return memory.New() },
	SQLite: func(path string) (ports.Store, error) { return sqlite.Open(path, sqlite.Options{}) },
	Postgres: func(ctx context.Context, dsn, schema string) (ports.Store, error) {
		return postgres.Open(ctx, dsn, postgres.Options{Schema: schema})
	},
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
