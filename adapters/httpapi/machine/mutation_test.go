package machine_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/fuzz"
	"github.com/entitle-rules/entitle/ports"
)

// The mutation tests break a store on purpose, each in one way a real store
// could (a constraint skipped, a write lost, a read that misses rows), and
// require the Machine to notice within the CI budget: the harness is only
// worth its time if it fails on a broken store.

// mutant is a store whose transactions are bent by bend: only its
// Updates when writes is set (the decisions go wrong, the reads do not).
type mutant struct {
	ports.Store
	bend   func(ports.Tx) ports.Tx
	writes bool
}

func (m mutant) View(ctx context.Context, fn func(ports.Tx) error) error {
	if m.writes {
		return m.Store.View(ctx, fn)
	}
	return m.Store.View(ctx, func(tx ports.Tx) error { return fn(m.bend(tx)) })
}

func (m mutant) Update(ctx context.Context, fn func(ports.Tx) error) error {
	return m.Store.Update(ctx, func(tx ports.Tx) error { return fn(m.bend(tx)) })
}

// A store that loses its trial records: neither the trial ledger nor the
// trial subscriptions are read back, so nothing stops a second trial. (A
// store that only skips writing the ledger is not a break anyone can see:
// the rules also read the trials in the timeline.)
type noTrials struct{ ports.Tx }

type emptyLedger struct{ ports.Trials }

func (emptyLedger) BySerial(context.Context, string) ([]domain.TrialGrant, error) { return nil, nil }

type noTrialSubscriptions struct{ ports.Subscriptions }

func (s noTrialSubscriptions) BySerial(ctx context.Context, serial string) (domain.Timeline, error) {
	tl, err := s.Subscriptions.BySerial(ctx, serial)
	return slices.DeleteFunc(tl, func(s domain.Subscription) bool { return s.Kind == domain.Trial }), err
}

func (t noTrials) Trials() ports.Trials { return emptyLedger{t.Tx.Trials()} }
func (t noTrials) Subscriptions() ports.Subscriptions {
	return noTrialSubscriptions{t.Tx.Subscriptions()}
}

// blindAssignments miss a product's latest assignment when counting seats
// in use: a store whose read lets two assignments of one seat overlap.
type blindAssignments struct{ ports.Assignments }

func (a blindAssignments) ByProduct(ctx context.Context, accountID int64, productID string, day domain.Date) ([]domain.Assignment, error) {
	as, err := a.Assignments.ByProduct(ctx, accountID, productID, day)
	if len(as) > 0 {
		as = as[:len(as)-1]
	}
	return as, err
}

type blindSeats struct{ ports.Tx }

func (t blindSeats) Assignments() ports.Assignments { return blindAssignments{t.Tx.Assignments()} }

// shortTimeline drops a serial's latest subscription when the orders
// context reads it: renewals are no longer contiguous, or overlap.
type shortTimeline struct{ ports.Subscriptions }

func (s shortTimeline) BySerial(ctx context.Context, serial string) (domain.Timeline, error) {
	tl, err := s.Subscriptions.BySerial(ctx, serial)
	if len(tl) > 0 {
		tl = tl[:len(tl)-1]
	}
	return tl, err
}

type noLatestSubscription struct{ ports.Tx }

func (t noLatestSubscription) Subscriptions() ports.Subscriptions {
	return shortTimeline{t.Tx.Subscriptions()}
}

// fakeTB is a rapid.TB that records what the Machine reports instead of
// failing the test.
type fakeTB struct {
	name string
	mu   sync.Mutex
	log  strings.Builder
	fail bool
}

func (f *fakeTB) Helper()              {}
func (f *fakeTB) Name() string         { return f.name }
func (f *fakeTB) Fail()                { f.mu.Lock(); f.fail = true; f.mu.Unlock() }
func (f *fakeTB) FailNow()             { f.Fail() }
func (f *fakeTB) SkipNow()             {}
func (f *fakeTB) Skip(...any)          {}
func (f *fakeTB) Failed() bool         { f.mu.Lock(); defer f.mu.Unlock(); return f.fail }
func (f *fakeTB) Log(a ...any)         { f.Logf("%s", fmt.Sprint(a...)) }
func (f *fakeTB) Error(a ...any)       { f.Log(a...); f.Fail() }
func (f *fakeTB) Fatal(a ...any)       { f.Error(a...) }
func (f *fakeTB) Skipf(string, ...any) {}
func (f *fakeTB) Logf(format string, a ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fmt.Fprintf(&f.log, format+"\n", a...)
}
func (f *fakeTB) Errorf(format string, a ...any) { f.Logf(format, a...); f.Fail() }
func (f *fakeTB) Fatalf(format string, a ...any) { f.Errorf(format, a...) }

// TestMachineFindsBrokenStores runs the Machine, with the CI run's number
// of histories, over a memory store broken in each way, and requires it to
// report the break with a history that replays it.
func TestMachineFindsBrokenStores(t *testing.T) {
	for _, tc := range []struct {
		name   string
		bend   func(ports.Tx) ports.Tx
		writes bool   // bend only the Updates
		want   string // in what the Machine reports
	}{
		{"trial records are lost to orders", func(tx ports.Tx) ports.Tx { return noTrials{tx} }, true, "an order of"},
		{"the latest subscription is lost to orders", func(tx ports.Tx) ports.Tx { return noLatestSubscription{tx} }, true, "an order of"},
		{"the latest assignment is missed when counting seats", func(tx ports.Tx) ports.Tx { return blindSeats{tx} }, false, "assign"},
		{"the latest assignment is lost to assigning", func(tx ports.Tx) ports.Tx { return blindSeats{tx} }, true, "assign"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if raceEnabled {
				histories(t, raceMutant)
			} else {
				histories(t, ciMemory)
			}
			setFlag(t, "rapid.nofailfile", "true")
			shrink := "10s" // a shorter history reads better, and any history proves the break
			if raceEnabled {
				shrink = "3s"
			}
			setFlag(t, "rapid.shrinktime", shrink)
			wrap := func(s ports.Store) ports.Store { return mutant{Store: s, bend: tc.bend, writes: tc.writes} }
			m := &fuzz.Machine{Targets: []fuzz.Target{target(t, "memory", wrap)}, Strict: true}
			tb := &fakeTB{name: t.Name()}
			m.Run(tb)
			report := tb.log.String()
			if !tb.Failed() {
				t.Fatalf("the Machine passed a broken store:\n%s", report)
			}
			for _, want := range []string{"-rapid.seed=", "m.Replay(t, []fuzz.Step{", tc.want} {
				if !strings.Contains(report, want) {
					t.Errorf("the report does not say %q:\n%s", want, report)
				}
			}
			t.Logf("the Machine's report:\n%s", report)
		})
	}
}
