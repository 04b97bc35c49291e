package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/internal/pgtest"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/adapters/sqlite"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// Regression: when the client went away while its write ran, the answer
// was not stored (it was written with the cancelled context), and every
// retry with the key got 409 for a day. Also: the two spellings of a path
// are one request.
func TestIdempotentAnswerSurvivesAGoneClient(t *testing.T) {
	// SQLite, where a statement run with a cancelled context fails, as the
	// first version of Idempotent did.
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "idem.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s := httpapi.New(httpapi.Options{Store: store, Clock: ports.ClockFunc(func() time.Time { return time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC) })})
	var runs atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithCancel(r.Context())
		r = r.WithContext(ctx)
		body, _ := io.ReadAll(r.Body)
		s.RunIdempotent(w, r, "client-a", body, httpapi.IdempotentAPI{}, func(context.Context) httpapi.Answer {
			runs.Add(1)
			cancel() // the client hangs up while the write runs
			return httpapi.JSONAnswer(http.StatusOK, map[string]any{"uniqueId": 13331})
		})
	})
	s.Handle("POST /write/v1", h)
	s.Handle("POST /WRITE/v1", h)
	srv := httptest.NewServer(s)
	defer srv.Close()
	post := func(path string) (int, string, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(`{"a":1}`))
		req.Header.Set("Idempotency-Key", "k-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header.Get("Idempotent-Replayed")
	}
	if code, body, _ := post("/write/v1"); code != 200 {
		t.Fatalf("first request: %d %s", code, body)
	}
	for _, path := range []string{"/write/v1", "/WRITE/v1"} {
		code, body, replayed := post(path)
		if code != 200 || replayed != "true" || !strings.Contains(body, "13331") {
			t.Errorf("retry at %s: %d %q replayed=%q; want the first answer replayed", path, code, body, replayed)
		}
	}
	if n := runs.Load(); n != 1 {
		t.Errorf("the write ran %d times, want 1", n)
	}
}

// idemKit is a Server over one store at a movable instant, with POST /write
// running the write the test sets under its Idempotency-Key.
type idemKit struct {
	t     *testing.T
	store ports.Store
	now   atomic.Int64
	s     *httpapi.Server
}

func newIdemKit(t *testing.T, store ports.Store) *idemKit {
	t.Helper()
	k := &idemKit{t: t, store: store}
	k.now.Store(time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC).UnixNano())
	k.s = httpapi.New(httpapi.Options{Store: store, Clock: ports.ClockFunc(func() time.Time { return time.Unix(0, k.now.Load()).UTC() })})
	return k
}

func (k *idemKit) advance(d time.Duration) { k.now.Add(int64(d)) }

// handle serves POST path with RunIdempotent over api and do.
func (k *idemKit) handle(path string, api httpapi.IdempotentAPI, do func(ctx context.Context, body string) httpapi.Answer) {
	k.s.Handle("POST "+path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		k.s.RunIdempotent(w, r, "client-a", body, api, func(ctx context.Context) httpapi.Answer { return do(ctx, string(body)) })
	}))
}

func (k *idemKit) post(path, key, body string) *httptest.ResponseRecorder {
	k.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Idempotency-Key", key)
	rec := httptest.NewRecorder()
	k.s.ServeHTTP(rec, req)
	return rec
}

func (k *idemKit) record(key string) (ports.IdempotencyRecord, error) {
	var rec ports.IdempotencyRecord
	err := k.store.View(context.Background(), func(tx ports.Tx) (err error) {
		rec, err = tx.Idempotency().Get(context.Background(), "client-a", key)
		return err
	})
	return rec, err
}

// Regression (issue 8): an Idempotency-Key kept every answer, a 5xx too, and
// a write that panicked was answered 500 for a day. Only a 2xx or a 4xx that
// validation or the rules decided is final; anything else releases the key
// and the retry runs the write again. The test calls the deprecated
// Idempotent on purpose: the entry point the code before issue 8 had, so it
// runs, and fails, against that code too.
func TestIdempotentKeepsOnlyFinalAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		first  int // the first run's status; 0 panics
		replay bool
	}{
		{"201", http.StatusCreated, true},
		{"400 from validation", http.StatusBadRequest, true},
		{"404", http.StatusNotFound, true},
		{"503, the store unavailable or a transaction abandoned", http.StatusServiceUnavailable, false},
		{"500", http.StatusInternalServerError, false},
		{"429", http.StatusTooManyRequests, false},
		{"408", http.StatusRequestTimeout, false},
		{"a panic", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newIdemKit(t, memory.New())
			var runs atomic.Int32
			k.s.Handle("POST /write", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				k.s.RunIdempotent(w, r, "client-a", body, httpapi.IdempotentAPI{}, func(context.Context) httpapi.Answer {
					n := runs.Add(1)
					if n == 1 && tc.first == 0 {
						panic("the write failed")
					}
					status := http.StatusCreated
					if n == 1 {
						status = tc.first
					}
					return httpapi.JSONAnswer(status, map[string]any{"run": n})
				})
			}))
			first := k.post("/write", "k-1", "a write")
			second := k.post("/write", "k-1", "a write")
			if tc.replay {
				if runs.Load() != 1 || second.Code != first.Code || second.Body.String() != first.Body.String() ||
					second.Header().Get("Idempotent-Replayed") != "true" {
					t.Errorf("a final %d: the retry ran the write %d times and answered %d %s; want the first answer replayed",
						first.Code, runs.Load(), second.Code, second.Body)
				}
				return
			}
			if runs.Load() != 2 || second.Code != http.StatusCreated || second.Header().Get("Idempotent-Replayed") != "" {
				t.Errorf("after a transient %d the retry answered %d %s (replayed %q, %d runs); want the write run again",
					first.Code, second.Code, second.Body, second.Header().Get("Idempotent-Replayed"), runs.Load())
			}
			third := k.post("/write", "k-1", "a write")
			if runs.Load() != 2 || third.Body.String() != second.Body.String() || third.Header().Get("Idempotent-Replayed") != "true" {
				t.Errorf("the answer of the run that succeeded is not kept: %d %s after %d runs", third.Code, third.Body, runs.Load())
			}
		})
	}
}

// envelope is a test API's refusal: its status and message in its own
// payload, so a test can tell the kit used it.
func envelope(status int, message string) httpapi.Answer {
	return httpapi.JSONAnswer(status, map[string]any{"statusCode": status, "uniqueId": 7, "errorMessage": []string{message}})
}

// TestIdempotentRefusesInTheAPIsEnvelope: the answers the kit gives itself
// (a malformed key, a key in use, a key reused for another request, a store
// that fails) are worded by the API's Refuse.
func TestIdempotentRefusesInTheAPIsEnvelope(t *testing.T) {
	k := newIdemKit(t, memory.New())
	entered, finish := make(chan struct{}), make(chan struct{})
	k.handle("/write", httpapi.IdempotentAPI{Refuse: envelope}, func(_ context.Context, body string) httpapi.Answer {
		if body == "slow" {
			close(entered)
			<-finish
		}
		return httpapi.JSONAnswer(http.StatusCreated, map[string]any{"body": body})
	})
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- k.post("/write", "k-1", "slow") }()
	<-entered
	check := func(what string, rec *httptest.ResponseRecorder, status int) {
		t.Helper()
		var body struct {
			StatusCode   int      `json:"statusCode"`
			UniqueID     int      `json:"uniqueId"`
			ErrorMessage []string `json:"errorMessage"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != status || body.StatusCode != status || body.UniqueID != 7 || len(body.ErrorMessage) != 1 {
			t.Errorf("%s: %d %s; want %d in the API's envelope", what, rec.Code, rec.Body, status)
		}
	}
	inUse := k.post("/write", "k-1", "slow")
	check("the same key while the first runs", inUse, http.StatusConflict)
	if inUse.Header().Get("Retry-After") == "" {
		t.Errorf("a 409 for a key in use has no Retry-After: %v", inUse.Header())
	}
	check("the same key with another request", k.post("/write", "k-1", "other"), http.StatusUnprocessableEntity)
	check("a 256-character key", k.post("/write", strings.Repeat("k", 256), "x"), http.StatusBadRequest)
	close(finish)
	if first := <-done; first.Code != http.StatusCreated {
		t.Errorf("the first request: %d %s", first.Code, first.Body)
	}

	k.store.Close() // every transaction now fails with CodeUnavailable
	check("a key the store cannot reserve", k.post("/write", "k-2", "x"), http.StatusServiceUnavailable)
}

// TestIdempotentWriteContext: the write runs under a context carrying its
// client and key, for binding what it commits, and a deadline within
// IdempotencyRunLimit, so no write still runs when its lease is over.
func TestIdempotentWriteContext(t *testing.T) {
	if httpapi.IdempotencyRunLimit >= httpapi.IdempotencyLease || httpapi.IdempotencyLease <= 30*time.Second {
		t.Fatalf("IdempotencyRunLimit %v must be shorter than IdempotencyLease %v, which must outlast the server's 30 s WriteTimeout",
			httpapi.IdempotencyRunLimit, httpapi.IdempotencyLease)
	}
	k := newIdemKit(t, memory.New())
	var (
		client, key string
		bound       bool
		left        time.Duration
	)
	k.handle("/write", httpapi.IdempotentAPI{}, func(ctx context.Context, _ string) httpapi.Answer {
		client, key, bound = ports.IdempotencyKeyFrom(ctx)
		if d, ok := ctx.Deadline(); ok {
			left = time.Until(d)
		}
		return httpapi.JSONAnswer(http.StatusOK, map[string]any{})
	})
	k.post("/write", "k-ctx", "x")
	if !bound || client != "client-a" || key != "k-ctx" {
		t.Errorf("the write's context carries %q, %q, %v; want client-a, k-ctx", client, key, bound)
	}
	if left <= 0 || left > httpapi.IdempotencyRunLimit {
		t.Errorf("the write's deadline is %v away; want within IdempotencyRunLimit %v", left, httpapi.IdempotencyRunLimit)
	}
}

// bindingWrite is a write that commits "order:<n>" and binds it to its key in
// the same transaction, as orders.CreateOrder does, then answers status.
func bindingWrite(store ports.Store, n int, status int) func(ctx context.Context, _ string) httpapi.Answer {
	return func(ctx context.Context, _ string) httpapi.Answer {
		err := store.Update(ctx, func(tx ports.Tx) error {
			if client, key, ok := ports.IdempotencyKeyFrom(ctx); ok {
				return tx.Idempotency().Bind(ctx, client, key, "order:"+strconv.Itoa(n))
			}
			return nil
		})
		if err != nil {
			return httpapi.JSONAnswer(http.StatusServiceUnavailable, map[string]any{"error": err.Error()})
		}
		return httpapi.JSONAnswer(status, map[string]any{"uniqueId": n})
	}
}

// resolver answers an order ref the way a store API answers a created
// order, counting its calls.
func resolver(calls *atomic.Int32) func(context.Context, string) (httpapi.Answer, error) {
	return func(_ context.Context, ref string) (httpapi.Answer, error) {
		calls.Add(1)
		if !strings.HasPrefix(ref, "order:") {
			return httpapi.Answer{}, domain.Errorf(domain.CodeInternal, "", "unknown ref %q", ref)
		}
		return httpapi.JSONAnswer(http.StatusOK, map[string]any{"resolved": ref}), nil
	}
}

// TestIdempotentWriteThatFailsAfterCommitting: a write that committed and
// bound its ref, then failed (a 5xx, or a panic), is answered from what it
// committed: the key is not released, and the retry never runs it again.
func TestIdempotentWriteThatFailsAfterCommitting(t *testing.T) {
	for _, status := range []int{http.StatusInternalServerError, 0} {
		k := newIdemKit(t, memory.New())
		var runs, calls atomic.Int32
		write := bindingWrite(k.store, 42, status)
		k.handle("/write", httpapi.IdempotentAPI{Refuse: envelope, Resolve: resolver(&calls)}, func(ctx context.Context, body string) httpapi.Answer {
			runs.Add(1)
			a := write(ctx, body)
			if status == 0 {
				panic("after the commit")
			}
			return a
		})
		first := k.post("/write", "k-1", "x")
		if status != 0 && (first.Code != http.StatusOK || !strings.Contains(first.Body.String(), `"resolved":"order:42"`)) {
			t.Errorf("a write that committed order:42 and answered %d: the client got %d %s; want the committed order's answer",
				status, first.Code, first.Body)
		}
		second := k.post("/write", "k-1", "x")
		if runs.Load() != 1 || second.Code != http.StatusOK || !strings.Contains(second.Body.String(), `"resolved":"order:42"`) ||
			second.Header().Get("Idempotent-Replayed") != "true" {
			t.Errorf("the retry of a write that committed and then answered %d: %d %s after %d runs; want order:42's answer replayed",
				status, second.Code, second.Body, runs.Load())
		}
	}
}

// TestIdempotentKeyOfADeadProcess: a process that reserved a key and died
// leaves a reservation no one answers. Within IdempotencyLease a retry is
// told to wait (409); after it, a reservation bound to a committed write is
// answered from that write (and the answer kept), and one bound to nothing
// frees the key and the write runs. Never a 409 for a day. On every store.
func TestIdempotentKeyOfADeadProcess(t *testing.T) {
	for name, open := range testStores(t) {
		t.Run(name, func(t *testing.T) {
			k := newIdemKit(t, open(t))
			var runs, calls atomic.Int32
			write := bindingWrite(k.store, 43, http.StatusCreated)
			k.handle("/write", httpapi.IdempotentAPI{Refuse: envelope, Resolve: resolver(&calls)}, func(ctx context.Context, body string) httpapi.Answer {
				runs.Add(1)
				return write(ctx, body)
			})
			// What the dead processes left: the request hash of the
			// retries, read from a record of the same request.
			probe := k.post("/write", "probe", "an order")
			rec, err := k.record("probe")
			if probe.Code != http.StatusCreated || err != nil {
				t.Fatalf("the probe: %d %s, %v", probe.Code, probe.Body, err)
			}
			runs.Store(0)
			reserved := k.s.Now()
			if err := k.store.Update(context.Background(), func(tx ports.Tx) error {
				for _, r := range []ports.IdempotencyRecord{
					{ClientID: "client-a", Key: "committed", RequestHash: rec.RequestHash, Ref: "order:13", CreatedAt: reserved},
					{ClientID: "client-a", Key: "uncommitted", RequestHash: rec.RequestHash, CreatedAt: reserved},
					{ClientID: "client-a", Key: "other-request", RequestHash: "the hash of another request", CreatedAt: reserved},
				} {
					if err := tx.Idempotency().Put(context.Background(), r); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}

			k.advance(httpapi.IdempotencyLease - time.Second)
			for _, key := range []string{"committed", "uncommitted"} {
				if r := k.post("/write", key, "an order"); r.Code != http.StatusConflict || !strings.Contains(r.Body.String(), `"uniqueId":7`) {
					t.Errorf("%s, within the lease: %d %s; want 409 in the API's envelope", key, r.Code, r.Body)
				}
			}
			if runs.Load() != 0 || calls.Load() != 0 {
				t.Fatalf("within the lease the write ran %d times and Resolve %d; want neither", runs.Load(), calls.Load())
			}

			k.advance(time.Second)
			r := k.post("/write", "committed", "an order")
			if r.Code != http.StatusOK || r.Body.String() != `{"resolved":"order:13"}`+"\n" || r.Header().Get("Idempotent-Replayed") != "true" || runs.Load() != 0 {
				t.Errorf("a dead process's committed write: %d %q (replayed %q, %d runs); want order:13's answer, replayed, the write not run",
					r.Code, r.Body, r.Header().Get("Idempotent-Replayed"), runs.Load())
			}
			again := k.post("/write", "committed", "an order")
			if again.Body.String() != r.Body.String() || calls.Load() != 1 {
				t.Errorf("the resolved answer is not kept: %d %s after %d calls of Resolve", again.Code, again.Body, calls.Load())
			}

			for _, key := range []string{"uncommitted", "other-request"} {
				before := runs.Load()
				r := k.post("/write", key, "an order")
				if r.Code != http.StatusCreated || r.Header().Get("Idempotent-Replayed") != "" || runs.Load() != before+1 {
					t.Errorf("%s, a dead process's write that committed nothing: %d %s; want the write run now", key, r.Code, r.Body)
				}
				got, err := k.record(key)
				if err != nil || got.Status != http.StatusCreated || got.Ref != "order:43" || got.RequestHash != rec.RequestHash {
					t.Errorf("%s after the write ran: %+v, %v; want its answer, bound to order:43", key, got, err)
				}
			}
		})
	}
}

// testStores opens each store a test runs on: memory, SQLite, and
// PostgreSQL when ENTITLE_POSTGRES_DSN is set (a database that cannot be
// reached then fails the test).
func testStores(t *testing.T) map[string]func(*testing.T) ports.Store {
	stores := map[string]func(*testing.T) ports.Store{
		"memory": func(t *testing.T) ports.Store {
			s := memory.New()
			t.Cleanup(func() { s.Close() })
			return s
		},
		"sqlite": func(t *testing.T) ports.Store {
			s, err := sqlite.Open(filepath.Join(t.TempDir(), "idem.db"), sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
	if dsn := os.Getenv("ENTITLE_POSTGRES_DSN"); dsn != "" {
		stores["postgres"] = func(t *testing.T) ports.Store {
			schema := pgtest.Schema(t, dsn)
			s, err := postgres.Open(t.Context(), dsn, postgres.Options{Schema: schema})
			if err != nil {
				t.Fatalf("ENTITLE_POSTGRES_DSN is set but the store does not open: %v", err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
	}
	return stores
}
