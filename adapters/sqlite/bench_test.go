package sqlite

import (
	"cmp"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// BenchmarkCreateOrder commits one-line orders through the engine, each for
// a new serial so that every one is accepted, from one caller and from 16
// at once. Every order is two Updates (created in progress, then SUCCESS),
// and every commit is synced to disk (synchronous=FULL), so the figure is
// bounded by fsync; with 16 callers the Updates queued on the one writer
// share commits (group commit), and updates/commit says how many each held.
// BenchmarkCreateOrderCeiling is the figure to read it against.
func BenchmarkCreateOrder(b *testing.B) {
	for _, callers := range []int{1, 16} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			s, err := Open(filepath.Join(b.TempDir(), "e.db"), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			eng := newEngine(b, s)
			commits0, updates0 := s.w.batchStats()
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
						if _, err := eng.CreateOrder(b.Context(), domain.PartnerPrincipal(crashClient, domain.ClientCredentials), orderFor(crashSerial(int(i)))); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
			commits, updates := s.w.batchStats()
			b.ReportMetric(float64(updates-updates0)/float64(max(1, commits-commits0)), "updates/commit")
		})
	}
}

// BenchmarkTimeline reads one serial's subscriptions (the timeline every
// order line loads) from stores of 10 000 and 1 000 000 subscriptions, four
// per serial. The index on serial_key makes both cost the same; the 1M store
// takes some tens of seconds to build and is skipped with -short.
func BenchmarkTimeline(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("subs=%d", n), func(b *testing.B) {
			if n > 100_000 && testing.Short() {
				b.Skip("building a store of 1M subscriptions takes a while; skipped with -short")
			}
			// b.Loop runs this function once per -count, so the store is built
			// once per run.
			s, err := Open(filepath.Join(b.TempDir(), "e.db"), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			start := time.Now()
			bulkSubscriptions(b, s, n)
			b.Logf("stored %d subscriptions in %s", n, time.Since(start).Round(time.Millisecond))
			serial := benchSerial(n / 8) // a serial in the middle of the key range
			ctx := b.Context()
			for b.Loop() {
				err := s.View(ctx, func(tx ports.Tx) error {
					tl, err := tx.Subscriptions().BySerial(ctx, serial)
					if err == nil && len(tl) != subsPerSerial {
						err = fmt.Errorf("the timeline of %s has %d subscriptions, want %d", serial, len(tl), subsPerSerial)
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

const subsPerSerial = 4

func benchSerial(i int) string { return fmt.Sprintf("SN%08d", i) }

// bulkSubscriptions stores n subscriptions, subsPerSerial consecutive years
// per serial, in one write transaction through one prepared statement: the
// store's own Put would also run the overlap query for every row.
func bulkSubscriptions(tb testing.TB, s *Store, n int) {
	tb.Helper()
	ctx := tb.Context()
	created := instant(time.Date(2025, 4, 24, 10, 28, 10, 0, time.UTC))
	err := s.Update(ctx, func(ptx ports.Tx) error {
		t := ptx.(*tx)
		st, err := t.c.stmt(ctx, qPutSub)
		if err != nil {
			return err
		}
		for i := range n {
			serial := benchSerial(i / subsPerSerial)
			y := 2020 + i%subsPerSerial
			start, err1 := domain.NewDate(y, time.January, 1)
			end, err2 := domain.NewDate(y, time.December, 31)
			if err := cmp.Or(err1, err2); err != nil {
				return err
			}
			if _, err := st.ExecContext(ctx, domain.SerialKey(serial), fmt.Sprintf("S%08d", i), serial, "132001-10", "CENTERPOINT",
				sqlrow.DateText(start), sqlrow.DateText(end), string(domain.Paid), "", true, int64(i/subsPerSerial), 1, true, created); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("storing %d subscriptions: %v", n, err)
	}
	// A live store checkpoints its WAL every thousand pages; a bulk load
	// leaves it holding the whole load (or, under a thousand pages, never
	// checkpointed). Fold it into the file so both sizes are read alike.
	onConn(tb, s, s.writer, func(c *sql.Conn) {
		if _, err := c.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			tb.Fatalf("checkpoint: %v", err)
		}
	})
}
