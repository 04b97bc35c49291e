package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// sickStore is a store whose Views fail with err, or, with hang, never
// return (whatever their context says).
type sickStore struct {
	ports.Store
	err  error
	hang chan struct{}
}

func (s sickStore) View(ctx context.Context, fn func(ports.Tx) error) error {
	if s.hang != nil {
		<-s.hang
	}
	if s.err != nil {
		return s.err
	}
	return s.Store.View(ctx, fn)
}

// GET /readyz answers 200 while the store answers, and 503 naming what
// failed when it fails or does not answer within the ready timeout;
// /healthz stays 200 (the process serves).
func TestReadyz(t *testing.T) {
	hang := make(chan struct{})
	defer close(hang)
	for _, tc := range []struct {
		name   string
		store  ports.Store
		status int
		body   string
	}{
		{"a store that answers", memory.New(), 200, "ready\n"},
		{"a store that fails", sickStore{Store: memory.New(), err: domain.Wrap(errors.New("dial tcp 10.0.0.7:5432: refused"), domain.CodeUnavailable, "postgres: cannot reach the database")},
			503, "not ready: store: postgres: cannot reach the database\n"},
		{"a store that hangs", sickStore{Store: memory.New(), hang: hang}, 503, "not ready: store: the store did not answer within 50ms\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			s := httpapi.New(httpapi.Options{Store: tc.store, Clock: ports.ClockFunc(time.Now), ReadyTimeout: 50 * time.Millisecond,
				Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
			start := time.Now()
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			if rec.Code != tc.status || rec.Body.String() != tc.body {
				t.Errorf("GET /readyz: %d %q, want %d %q", rec.Code, rec.Body, tc.status, tc.body)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("GET /readyz took %s", d)
			}
			// The cause (an address here) is logged, never answered.
			if tc.status != 200 && !strings.Contains(logs.String(), `"msg":"not ready"`) {
				t.Errorf("no log of why: %s", logs.String())
			}
			rec = httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
			if rec.Code != 200 {
				t.Errorf("GET /healthz: %d", rec.Code)
			}
		})
	}
}

// The access log line of a request carries the API and proc (NameAPI and
// the route pattern, or what the handler set), the uniqueId, the principal
// and the refusal codes the handler noted; a path no route matches is
// "unmatched", whatever it is.
func TestAccessLogCarriesTheNote(t *testing.T) {
	var logs bytes.Buffer
	s := httpapi.New(httpapi.Options{Store: memory.New(), Clock: ports.ClockFunc(time.Now), Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
		Metrics: httpapi.NewMetrics()})
	s.NameAPI("things", "/things")
	s.Handle("POST /things/{id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpapi.NoteFrom(r.Context()).SetUniqueID(42)
		httpapi.WriterNote(w).Refused(&domain.Error{Code: domain.CodeInvalid, Violations: []domain.Violation{
			{Code: "TOO_MANY_LINES"}, {Code: "START_DATE_TOO_LATE"}}})
		w.WriteHeader(http.StatusBadRequest)
	}))
	s.Handle("GET /things", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpapi.NoteFrom(r.Context()).SetProc("LIST_THINGS")
	}))
	for _, req := range []*http.Request{
		httptest.NewRequest(http.MethodPost, "/things/7", nil),
		httptest.NewRequest(http.MethodGet, "/things", nil),
		httptest.NewRequest(http.MethodGet, "/no/such/path", nil),
	} {
		s.ServeHTTP(httptest.NewRecorder(), req)
	}
	var got []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "time")
		delete(m, "duration_ms")
		got = append(got, m)
	}
	want := []string{
		`{"api":"things","bytes":0,"error":"invalid","level":"INFO","method":"POST","msg":"request","path":"/things/7","proc":"POST /things/{id}","refusals":["TOO_MANY_LINES","START_DATE_TOO_LATE"],"status":400,"uniqueId":42}`,
		`{"api":"things","bytes":0,"level":"INFO","method":"GET","msg":"request","path":"/things","proc":"LIST_THINGS","status":200}`,
		`{"api":"","bytes":` + "%d" + `,"level":"INFO","method":"GET","msg":"request","path":"/no/such/path","proc":"unmatched","status":404}`,
	}
	if len(got) != len(want) {
		t.Fatalf("%d log lines, want %d:\n%s", len(got), len(want), logs.String())
	}
	for i, w := range want {
		g, _ := json.Marshal(got[i])
		if i == 2 {
			w = strings.Replace(w, "%d", fmtInt(got[i]["bytes"]), 1)
		}
		if string(g) != w {
			t.Errorf("log line %d:\n got %s\nwant %s", i, g, w)
		}
	}
	scrape := httptest.NewRecorder()
	s.Metrics().Handler().ServeHTTP(scrape, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, series := range []string{
		`entitle_http_requests_total{api="things",proc="POST /things/{id}",status="400"} 1`,
		`entitle_http_requests_total{api="things",proc="LIST_THINGS",status="200"} 1`,
		`entitle_http_requests_total{api="",proc="unmatched",status="404"} 1`,
		`entitle_refusals_total{api="things",code="TOO_MANY_LINES"} 1`,
		`entitle_refusals_total{api="things",code="START_DATE_TOO_LATE"} 1`,
		`entitle_http_request_duration_seconds_count{api="things",proc="LIST_THINGS"} 1`,
	} {
		if !strings.Contains(scrape.Body.String(), series+"\n") {
			t.Errorf("no %s in the scrape", series)
		}
	}
}

func fmtInt(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// StoreRetry and DeliveryFailure count; the measured store times Views and
// Updates.
func TestMetricsCounters(t *testing.T) {
	m := httpapi.NewMetrics()
	m.StoreRetry("postgres")
	m.StoreRetry("postgres")
	m.DeliveryFailure("store")
	store := m.Store(memory.New())
	_ = store.View(t.Context(), func(ports.Tx) error { return nil })
	_ = store.Update(t.Context(), func(ports.Tx) error { return nil })
	_ = store.Update(t.Context(), func(ports.Tx) error { return nil })
	m.Ruleset(func() string { return "abc123" })
	scrape := httptest.NewRecorder()
	m.Handler().ServeHTTP(scrape, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, series := range []string{
		`entitle_store_retries_total{store="postgres"} 2`,
		`entitle_activation_delivery_failures_total{stage="store"} 1`,
		`entitle_activation_delivery_failures_total{stage="activator"} 0`,
		`entitle_store_transaction_duration_seconds_count{kind="view"} 1`,
		`entitle_store_transaction_duration_seconds_count{kind="update"} 2`,
		`entitle_ruleset_info{hash="abc123"} 1`,
	} {
		if !strings.Contains(scrape.Body.String(), series+"\n") {
			t.Errorf("no %s in the scrape", series)
		}
	}
}

// BenchmarkServeHTTPMetrics is the kit's cost per request with and without
// Metrics, in one run: a trivial route, so the difference is the note, the
// access log's level check and the metrics.
//
//	go test -run '^$' -bench ServeHTTPMetrics ./adapters/httpapi
func BenchmarkServeHTTPMetrics(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "metrics=off"
		var m *httpapi.Metrics
		if on {
			name, m = "metrics=on", httpapi.NewMetrics()
		}
		b.Run(name, func(b *testing.B) {
			s := httpapi.New(httpapi.Options{Store: memory.New(), Clock: ports.ClockFunc(time.Now), Metrics: m})
			s.NameAPI("bench", "/bench")
			s.Handle("POST /bench/{id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				httpapi.NoteFrom(r.Context()).SetUniqueID(7)
			}))
			req := httptest.NewRequest(http.MethodPost, "/bench/1", nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				s.ServeHTTP(w, req)
			}
		})
	}
}
