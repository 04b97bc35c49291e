package decisions_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/entitle-rules/entitle/adapters/internal/decisions"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/adapters/sqlite"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/accounts"
	"github.com/entitle-rules/entitle/rules/dataset"
	"github.com/entitle-rules/entitle/rules/orders"
	"github.com/entitle-rules/entitle/rules/seats"
	"github.com/entitle-rules/entitle/rulesets"
)

var benchNow = time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)

func shipped(tb testing.TB) *rules.Set {
	tb.Helper()
	scopes := append(orders.Scopes(), seats.Scopes()...)
	set, err := rules.MustLanguage(append(scopes, accounts.Scopes()...)...).Load(rulesets.FS)
	if err != nil {
		tb.Fatal(err)
	}
	return set
}

// templates are two logged order decisions of the example data set: one
// accepted (a renewal of a serial with history) and one refused
// (START_DATE_TOO_LATE).
func templates(tb testing.TB, set *rules.Set) []domain.DecisionRecord {
	tb.Helper()
	ctx := context.Background()
	b, err := os.ReadFile("../../cmd/entitle/example.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	ds, err := dataset.Parse(b)
	if err != nil {
		tb.Fatal(err)
	}
	store := memory.New()
	if _, err := ds.Load(ctx, store); err != nil {
		tb.Fatal(err)
	}
	p := domain.PartnerPrincipal("tap-client", domain.ClientCredentials)
	var out []domain.DecisionRecord
	for i, start := range []string{"2025-04-24", "2025-05-30"} {
		day, _ := domain.ParseDate(start)
		req := domain.OrderRequest{CustomerPONumber: "PO", CurrencyCode: "USD", BillToSiteUseID: 531807, ShipToSiteUseID: 1912956,
			BillToContactEmail: "a@example.com", ShipToContactEmail: "b@example.com",
			Lines: []domain.LineRequest{{LineNumber: 1, ServiceStartDate: day, PartNumber: "132001-10", SerialNumber: "1234567890",
				ServiceType: "RTX", ManufacturerModel: "R12", AutoRenewal: "Y", ActivationType: "IMMEDIATE"}}}
		var snap *orders.Snapshot
		if err := store.View(ctx, func(tx ports.Tx) (err error) {
			snap, err = orders.LoadSnapshot(ctx, tx, p, &req, benchNow)
			return err
		}); err != nil {
			tb.Fatal(err)
		}
		d := orders.Decide(set, snap, &req)
		rec, err := orders.DecisionRecord(fmt.Sprint("t", i), benchNow, p, &req, snap, &d)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, rec)
	}
	if !out[0].Outcome.Allowed || out[1].Outcome.Allowed {
		tb.Fatalf("templates: %+v", out)
	}
	return out
}

// logged returns a store of kind holding n logged decisions, half accepted
// and half refused, one a millisecond.
func logged(tb testing.TB, kind string, n int, tpl []domain.DecisionRecord) ports.Store {
	tb.Helper()
	var store ports.Store = memory.New()
	if kind == "sqlite" {
		s, err := sqlite.Open(filepath.Join(tb.TempDir(), "e.db"), sqlite.Options{})
		if err != nil {
			tb.Fatal(err)
		}
		store = s
	}
	tb.Cleanup(func() { store.Close() })
	ctx := context.Background()
	for i := 0; i < n; i += 1000 {
		if err := store.Update(ctx, func(tx ports.Tx) error {
			for j := i; j < min(n, i+1000); j++ {
				r := tpl[j%len(tpl)]
				r.ID, r.At = fmt.Sprintf("d%07d", j), benchNow.Add(time.Duration(j)*time.Millisecond)
				if err := tx.Decisions().Append(ctx, r); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			tb.Fatal(err)
		}
	}
	return store
}

// BenchmarkReplay replays 100,000 logged order decisions (half accepted,
// half refused) under the shipped rules, reading them page by page from the
// store as `entitle replay` does, and reports decisions replayed per
// second. The SQLite store takes some seconds to fill.
func BenchmarkReplay(b *testing.B) {
	const n = 100_000
	set := shipped(b)
	tpl := templates(b, set)
	for _, kind := range []string{"memory", "sqlite"} {
		b.Run("store="+kind, func(b *testing.B) {
			store := logged(b, kind, n, tpl)
			cpu0 := cpuTime()
			b.ResetTimer()
			for range b.N {
				rep, err := decisions.Replay(context.Background(), store, set, decisions.Window{}, nil)
				if err != nil {
					b.Fatal(err)
				}
				if rep.Replayed != n || len(rep.Changed) != 0 || len(rep.Failed) != 0 {
					b.Fatalf("replayed %d, %d changed, %d failed", rep.Replayed, len(rep.Changed), len(rep.Failed))
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "decisions/s")
			// Per second of CPU (user and system, every thread): what a
			// machine shared with other work still reads steadily.
			b.ReportMetric(float64(n*b.N)/(cpuTime()-cpu0).Seconds(), "decisions/cpu-s")
		})
	}
}

// TestReplayOfTheLogIsStable: the benchmark's log replayed under the set
// that made it changes nothing; under a wider start window exactly the
// refused half changes, each by line.start-window.
func TestReplayOfTheLogIsStable(t *testing.T) {
	set := shipped(t)
	tpl := templates(t, set)
	store := logged(t, "memory", 2500, tpl)
	rep, err := decisions.Replay(context.Background(), store, set, decisions.Window{}, nil)
	if err != nil || rep.Replayed != 2500 || len(rep.Changed) != 0 {
		t.Fatalf("under the same set: %+v, %v", rep, err)
	}
	wider := fstest.MapFS{}
	names, _ := fs.Glob(rulesets.FS, "*.yaml")
	for _, name := range names {
		b, err := fs.ReadFile(rulesets.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		wider[name] = &fstest.MapFile{Data: []byte(strings.Replace(string(b), "start_window_days: 3", "start_window_days: 60", 1))}
	}
	scopes := append(orders.Scopes(), seats.Scopes()...)
	wset, err := rules.MustLanguage(append(scopes, accounts.Scopes()...)...).Load(wider)
	if err != nil {
		t.Fatal(err)
	}
	rep, err = decisions.Replay(context.Background(), store, wset, decisions.Window{}, nil)
	if err != nil || rep.Replayed != 2500 || len(rep.Changed) != 1250 || rep.PerRule["line.start-window"] != 1250 {
		t.Fatalf("under a 60-day window: %d replayed, %d changed, per rule %v, %v", rep.Replayed, len(rep.Changed), rep.PerRule, err)
	}
	pages := 0
	rep, err = decisions.Replay(context.Background(), store, set, decisions.Window{From: benchNow.Add(time.Second), To: benchNow.Add(2 * time.Second)}, func(int) { pages++ })
	if err != nil || rep.Replayed != 1000 || pages != 1 {
		t.Errorf("a one-second window: %d replayed over %d pages, %v", rep.Replayed, pages, err)
	}
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
