package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/sqlite"
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
		s.Idempotent(w, r, "client-a", body, func() httpapi.Answer {
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
