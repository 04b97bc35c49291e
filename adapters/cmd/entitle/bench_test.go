package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/internal/ceiling"
	"github.com/entitle-rules/entitle/adapters/internal/pgtest"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/adapters/sqlite"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rulesets"
)

// BenchmarkCreateOrderHTTP sends TAP_CREATE_ORDER_API requests over loopback
// HTTP to the whole stack (httpapi, the engine, a store) from 1 and 16
// concurrent clients, each order a new serial, on an SQLite file and, when
// ENTITLE_POSTGRES_DSN is set, on PostgreSQL (a schema of its own). It
// reports orders per second, the p50 / p99 latency and how many orders
// failed (any answer but 200 SUCCESS), and fails when any did. Run it for 60
// seconds to read the p99 budget:
//
//	go test -run '^$' -bench 'CreateOrderHTTP/store=postgres/clients=16' -benchtime 60s ./adapters/cmd/entitle
func BenchmarkCreateOrderHTTP(b *testing.B) {
	for _, st := range benchStores(b) {
		for _, clients := range []int{1, 16} {
			b.Run(fmt.Sprintf("store=%s/clients=%d", st.name, clients), func(b *testing.B) {
				store, _ := st.open(b)
				base, token := benchServer(b, store)
				runOrders(b, base, token, clients)
			})
		}
	}
}

// BenchmarkCreateOrderHTTPCeiling is BenchmarkCreateOrderHTTP's ceiling,
// with the same sub-benchmarks and the same clients (runOrders), so
// `go test -run '^$' -bench CreateOrderHTTP` measures both in one run: read
// the engine's orders/s against this one's. Its server (ceilingServer) is
// the fastest honest alternative to the whole stack: it checks the bearer
// token, decodes the request, writes the rows an accepted one-line order
// writes for its serial (ceiling.Writer: plain SQL, one transaction, no
// reads) and answers SUCCESS.
func BenchmarkCreateOrderHTTPCeiling(b *testing.B) {
	for _, st := range benchStores(b) {
		for _, clients := range []int{1, 16} {
			b.Run(fmt.Sprintf("store=%s/clients=%d", st.name, clients), func(b *testing.B) {
				base, token, _ := ceilingServer(b, st)
				runOrders(b, base, token, clients)
			})
		}
	}
}

// TestHTTPCeilingWritesWhatTheEngineWrites keeps BenchmarkCreateOrderHTTPCeiling
// honest: after the same orders, sent over HTTP to the whole stack and to
// ceilingServer, every table of each store holds as many rows.
func TestHTTPCeilingWritesWhatTheEngineWrites(t *testing.T) {
	const orders = 3
	for _, st := range benchStores(t) {
		t.Run(st.name, func(t *testing.T) {
			store, writer := st.open(t)
			base, token := benchServer(t, store)
			today := time.Now().In(pacificLoc(t)).Format("2006-01-02")
			for i := range orders + 1 { // ceilingServer's template is one order more
				postOrder(t, base, token, orderBody(today, int64(i)))
			}
			if err := store.Close(); err != nil {
				t.Fatal(err)
			}
			w, err := writer()
			if err != nil {
				t.Fatal(err)
			}
			want := tables(t, w)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}

			base, token, w = ceilingServer(t, st)
			for i := range orders {
				postOrder(t, base, token, orderBody(today, int64(i+1)))
			}
			got := tables(t, w)
			for table, n := range want {
				if got[table] != n {
					t.Errorf("table %s holds %d rows after orders through the ceiling, %d through the engine", table, got[table], n)
				}
			}
		})
	}
}

// benchStore opens one kind of store for a benchmark, empty, and how to
// open a ceiling.Writer on its database once the store is closed.
type benchStore struct {
	name string
	open func(tb testing.TB) (ports.Store, func() (ceiling.Writer, error))
}

// benchStores are the stores the HTTP benchmarks run on: SQLite always,
// PostgreSQL when ENTITLE_POSTGRES_DSN is set.
func benchStores(tb testing.TB) []benchStore {
	stores := []benchStore{{"sqlite", func(tb testing.TB) (ports.Store, func() (ceiling.Writer, error)) {
		path := filepath.Join(tb.TempDir(), "bench.db")
		store, err := sqlite.Open(path, sqlite.Options{})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { _ = store.Close() })
		return store, func() (ceiling.Writer, error) { return ceiling.OpenSQLite(path) }
	}}}
	if dsn := os.Getenv("ENTITLE_POSTGRES_DSN"); dsn != "" {
		stores = append(stores, benchStore{"postgres", func(tb testing.TB) (ports.Store, func() (ceiling.Writer, error)) {
			schema := pgtest.Schema(tb, dsn)
			store, err := postgres.Open(context.Background(), dsn, postgres.Options{Schema: schema})
			if err != nil {
				tb.Fatalf("ENTITLE_POSTGRES_DSN is set but PostgreSQL cannot be used: %v", err)
			}
			tb.Cleanup(func() { _ = store.Close() })
			return store, func() (ceiling.Writer, error) { return ceiling.OpenPostgres(context.Background(), dsn, schema) }
		}})
	}
	return stores
}

// runOrders sends b.N one-line orders, each for a new serial, from clients
// concurrent clients to base, and reports orders/s, p50-ms, p99-ms and
// failed; any failed order fails the benchmark.
func runOrders(b *testing.B, base, token string, clients int) {
	today := time.Now().In(pacificLoc(b)).Format("2006-01-02")
	var serial, failed atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var firstFailure atomic.Value
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	b.SetParallelism((clients + 1) / 2) // RunParallel starts GOMAXPROCS (2) x parallelism goroutines
	if clients == 1 {
		b.SetParallelism(1)
	}
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			body := orderBody(today, serial.Add(1))
			t0 := time.Now()
			status, b2, err := sendOrder(client, base, token, body)
			if err != nil {
				failed.Add(1)
				firstFailure.CompareAndSwap(nil, err.Error())
				continue
			}
			mine = append(mine, time.Since(t0))
			if status != http.StatusOK || !strings.Contains(string(b2), `"SUCCESS"`) {
				failed.Add(1)
				firstFailure.CompareAndSwap(nil, fmt.Sprintf("status %d: %s", status, b2))
			}
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Errorf("%d of %d orders failed; the first: %v", n, b.N, firstFailure.Load())
	}
	b.ReportMetric(float64(failed.Load()), "failed")
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "orders/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// orderBody is the request runOrders sends for its n-th order: one line,
// part 132001-10 from today (America/Los_Angeles) for serial 7000000000+n.
func orderBody(today string, n int64) string {
	return fmt.Sprintf(`{"ProcName":"TAP_CREATE_ORDER_API","ProcRequester":"TAP","request":{"customerPONumber":"PO-BENCH","currencyCode":"USD",
"billToSiteUseId":531807,"shipToSiteUseId":1912956,"billToContactEmail":"test123@gmail.com","shipToContactEmail":"test456@gmail.com",
"lines":[{"lineNumber":1,"serviceStartDate":"%s","partNumber":"132001-10","serialNumber":"%010d","serviceType":"RTX","manufacturerModel":"R12","autoRenewal":"Y","activationType":"IMMEDIATE"}]}}`,
		today, 7000000000+n)
}

// sendOrder posts body to the store API at base with token and returns the
// answer's status and body.
func sendOrder(client *http.Client, base, token, body string) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, base+"/cloud/tapstoreapis/v1", strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	return resp.StatusCode, answer, err
}

// postOrder sends body to base with token and returns the uniqueId of the
// order it created; any answer but 200 SUCCESS fails tb.
func postOrder(tb testing.TB, base, token, body string) int64 {
	tb.Helper()
	status, raw, err := sendOrder(http.DefaultClient, base, token, body)
	var ans struct {
		Status   string `json:"status"`
		UniqueID int64  `json:"uniqueId"`
	}
	if err == nil {
		err = json.Unmarshal(raw, &ans)
	}
	if err != nil || status != http.StatusOK || ans.Status != "SUCCESS" {
		tb.Fatalf("status %d: %s %v", status, raw, err)
	}
	return ans.UniqueID
}

// tables counts the rows of every table w writes to.
func tables(tb testing.TB, w ceiling.Writer) map[string]int {
	tb.Helper()
	n, err := w.Tables(tb.Context())
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// ceilingServer opens a store of kind st, serves it as benchServer does,
// lets the engine accept one order through that server (serial
// 7000000000, which runOrders never sends), copies what it stored
// (ceiling.Template), closes the store and serves ceilingAPI on a loopback
// port with a ceiling.Writer on the same database. It returns the base URL,
// the one token ceilingAPI accepts, and the Writer.
func ceilingServer(tb testing.TB, st benchStore) (string, string, ceiling.Writer) {
	tb.Helper()
	store, writer := st.open(tb)
	base, token := benchServer(tb, store)
	today := time.Now().In(pacificLoc(tb)).Format("2006-01-02")
	rows, err := ceiling.Template(tb.Context(), store, postOrder(tb, base, token, orderBody(today, 0)))
	if err != nil {
		tb.Fatal(err)
	}
	if err := store.Close(); err != nil {
		tb.Fatal(err)
	}
	w, err := writer()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = w.Close() })
	api := &ceilingAPI{w: w, rows: rows, token: rand.Text()}
	srv := httptest.NewServer(api)
	tb.Cleanup(srv.Close)
	return srv.URL, api.token, w
}

// ceilingAPI answers the seed's create-order proc and nothing else, as fast
// as honest Go allows: the bearer token compared in constant time with the
// one it issued, the request decoded with encoding/json, the rows of an
// accepted one-line order for the request's serial written by w, and the
// seed's SUCCESS answer. It decides nothing: every order it can decode is
// accepted.
type ceilingAPI struct {
	w     ceiling.Writer
	rows  *ceiling.Rows
	token string
	next  atomic.Int64
}

// createOrderEnvelope is the seed's TAP_CREATE_ORDER_API request; its
// request is what the engine is asked, with the seed's field names.
type createOrderEnvelope struct {
	ProcName      string              `json:"ProcName"`
	ProcRequester string              `json:"ProcRequester"`
	Request       domain.OrderRequest `json:"request"`
}

func (a *ceilingAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/cloud/tapstoreapis/v1" {
		http.NotFound(w, r)
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+a.token)) != 1 {
		http.Error(w, "unauthenticated", http.StatusUnauthorized)
		return
	}
	var env createOrderEnvelope
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&env); err != nil ||
		env.ProcName != "TAP_CREATE_ORDER_API" || len(env.Request.Lines) != 1 || env.Request.Lines[0].SerialNumber == "" {
		http.Error(w, "not a one-line TAP_CREATE_ORDER_API request", http.StatusBadRequest)
		return
	}
	id, err := a.w.Write(r.Context(), a.rows.For(a.next.Add(1), env.Request.Lines[0].SerialNumber, env.Request.CustomerPONumber))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(strconv.AppendInt([]byte(`{"statusCode":200,"status":"SUCCESS","uniqueId":`), id, 10))
	_, _ = w.Write([]byte{'}'})
}

// benchServer serves the example data set from store on a loopback port and
// returns the base URL and a bearer token.
func benchServer(b testing.TB, store ports.Store) (string, string) {
	b.Helper()
	ctx := context.Background()
	if _, err := loadData(ctx, store, exampleData); err != nil {
		b.Fatal(err)
	}
	set, err := language().Load(rulesets.FS)
	if err != nil {
		b.Fatal(err)
	}
	api, _, _, err := newAPI(store, rules.NewLive(set), ports.ClockFunc(time.Now), 0, httpapi.Limits{PerClient: rate.Inf}, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(api)
	b.Cleanup(srv.Close)
	resp, err := http.PostForm(srv.URL+"/oauth/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {"tap-client"}, "client_secret": {"example-secret-change-me"}})
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		b.Fatalf("no token: %v", err)
	}
	return srv.URL, tok.AccessToken
}

func pacificLoc(b testing.TB) *time.Location {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		b.Fatal(err)
	}
	return loc
}

// BenchmarkUnauthenticatedBodies is the attack of issue 8: 1,000
// connections at once, each a POST to the store API without credentials that
// announces a 1 MiB body and sends all of it, 64 KiB every 10 ms. It reports
// the server's peak heap above its heap before the attack (peak-heap-MiB),
// sampled every 5 ms, and how the requests were answered. The server is in
// this process, so the figure is the whole process: the attackers share one
// body buffer.
func BenchmarkUnauthenticatedBodies(b *testing.B) {
	const conns, size, chunk = 1000, 1 << 20, 64 << 10
	store := memory.New()
	b.Cleanup(func() { _ = store.Close() })
	set, err := language().Load(rulesets.FS)
	if err != nil {
		b.Fatal(err)
	}
	api, _, _, err := newAPI(store, rules.NewLive(set), ports.ClockFunc(time.Now), 0, httpapi.Limits{}, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(api)
	b.Cleanup(srv.Close)
	addr := strings.TrimPrefix(srv.URL, "http://")
	body := make([]byte, size)
	head := fmt.Sprintf("POST /cloud/tapstoreapis/v1 HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", addr, size)
	var peak uint64
	for range b.N {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapInuse
		stop := make(chan struct{})
		sampled := make(chan uint64)
		go func() {
			top := base
			tick := time.NewTicker(5 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					sampled <- top
					return
				case <-tick.C:
					var ms runtime.MemStats
					runtime.ReadMemStats(&ms)
					top = max(top, ms.HeapInuse)
				}
			}
		}()
		statuses := make([]string, conns)
		var wg sync.WaitGroup
		for i := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := net.DialTimeout("tcp", addr, 10*time.Second)
				if err != nil {
					statuses[i] = "dial failed"
					return
				}
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(60 * time.Second))
				if _, err := io.WriteString(c, head); err != nil {
					statuses[i] = "write failed"
					return
				}
				for off := 0; off < size; off += chunk {
					if _, err := c.Write(body[off : off+chunk]); err != nil {
						break // the server answered and closed: it read no more
					}
					time.Sleep(10 * time.Millisecond)
				}
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					statuses[i] = "no answer"
					return
				}
				resp.Body.Close()
				statuses[i] = strconv.Itoa(resp.StatusCode)
			}()
		}
		wg.Wait()
		close(stop)
		top := <-sampled
		peak = max(peak, top-base)
		counts := map[string]int{}
		for _, s := range statuses {
			counts[s]++
		}
		b.Logf("answers: %v", counts)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}
