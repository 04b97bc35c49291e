package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/entitle-rules/entitle/adapters/internal/ceiling"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// BenchmarkCreateOrderCeiling is BenchmarkCreateOrder's ceiling: the rows
// an accepted one-line order leaves in the file (the order, SUCCESS, with
// its line; its serial, never in progress; the device; the subscription;
// the activation, PENDING in the outbox; the one audit event; the two
// counters it draws from), written by ceiling.SQLite with plain SQL
// through database/sql, one transaction per order, no reads, on one
// connection with the store's pragmas (WAL, synchronous=FULL). It has the
// same sub-benchmarks, so `go test -run '^$' -bench CreateOrder` measures
// both in one run; read the engine's orders/s against this one's.
func BenchmarkCreateOrderCeiling(b *testing.B) {
	for _, callers := range []int{1, 16} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "e.db")
			rows := acceptedOrderRows(b, path)
			w := openCeiling(b, path)
			var next atomic.Int64
			b.ResetTimer()
			var wg sync.WaitGroup
			for range callers {
				wg.Go(func() {
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						if _, err := w.Write(context.Background(), ceilingOrder(rows, i)); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
		})
	}
}

// The ceiling writes what the engine writes: after the same number of
// accepted orders, every table holds as many rows in both files. When the
// engine's write set changes (an outbox row, one audit event fewer), this
// fails until the ceiling's statements follow it.
func TestCeilingWritesWhatTheEngineWrites(t *testing.T) {
	const orders = 3
	enginePath := filepath.Join(t.TempDir(), "engine.db")
	s := openTest(t, enginePath)
	eng := newEngine(t, s)
	for i := range orders + 1 { // the ceiling's template is one order more
		if _, err := eng.CreateOrder(t.Context(), domain.PartnerPrincipal(crashClient, domain.ClientCredentials), orderFor(crashSerial(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	want := tableRows(t, openCeiling(t, enginePath))

	ceilingPath := filepath.Join(t.TempDir(), "ceiling.db")
	rows := acceptedOrderRows(t, ceilingPath)
	w := openCeiling(t, ceilingPath)
	for i := range orders {
		if _, err := w.Write(t.Context(), ceilingOrder(rows, int64(i+1))); err != nil {
			t.Fatal(err)
		}
	}
	got := tableRows(t, w)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for table, n := range want {
		if got[table] != n {
			t.Errorf("after %d orders and the template, table %s holds %d rows written by the ceiling, %d by the engine", orders, table, got[table], n)
		}
	}
	checkWholeOrders(t, openTest(t, ceilingPath), orders+1)
}

// tableRows counts the rows of every table of the file w writes.
func tableRows(tb testing.TB, w *ceiling.SQLite) map[string]int {
	tb.Helper()
	n, err := w.Tables(tb.Context())
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// checkWholeOrders checks, as the crash test does, that the file holds n
// orders, SUCCESS and whole.
func checkWholeOrders(tb testing.TB, s *Store, n int) {
	tb.Helper()
	err := s.View(tb.Context(), func(tx ports.Tx) error {
		found, err := tx.Orders().Find(tb.Context(), domain.OrderQuery{ClientID: crashClient})
		if err != nil {
			return err
		}
		if len(found) != n {
			tb.Errorf("the file holds %d orders, want %d", len(found), n)
		}
		for _, o := range found {
			if o.Status != domain.OrderSuccess {
				tb.Errorf("order %d is %s, want %s", o.UniqueID, o.Status, domain.OrderSuccess)
			}
			if err := checkWhole(tb.Context(), tx, &o); err != nil {
				tb.Error(err)
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// acceptedOrderRows creates the file at path with the engine's schema and
// dataset, lets the engine accept one order (serial 0), and returns what it
// stored: the ceiling writes copies of these rows with new ids and serials,
// so they are as long as the engine's. The store is closed when it returns.
func acceptedOrderRows(tb testing.TB, path string) *ceiling.Rows {
	tb.Helper()
	s, err := Open(path, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	rc, err := newEngine(tb, s).CreateOrder(tb.Context(), domain.PartnerPrincipal(crashClient, domain.ClientCredentials), orderFor(crashSerial(0)))
	if err != nil {
		tb.Fatal(err)
	}
	rows, err := ceiling.Template(tb.Context(), s, rc.UniqueID)
	if err != nil {
		tb.Fatal(err)
	}
	return rows
}

// ceilingOrder is the i-th ceiling order (i > 0), for serial i.
func ceilingOrder(template *ceiling.Rows, i int64) *ceiling.Rows {
	serial := crashSerial(int(i))
	return template.For(i, serial, "PO-"+serial)
}

// openCeiling opens the file at path for the ceiling; it is closed when tb
// ends.
func openCeiling(tb testing.TB, path string) *ceiling.SQLite {
	tb.Helper()
	w, err := ceiling.OpenSQLite(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = w.Close() })
	return w
}
