package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/shopspring/decimal"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// Run runs the whole contract suite against the stores open returns: RunOrders,
// RunOutbox, RunPlatform, RunSeats, RunAccounts, RunDecisions, RunTx, RunRaces,
// RunSeatRaces and RunAccountRaces (the last two with open's store as its
// own second instance), one after another. Each subtest calls open
// once and needs the store it gets to be empty; subtests run one after
// another, so open may hand out the same database each time once it has
// emptied it. Run closes every store it opens when the subtest ends. A store
// growing one area at a time may call the parts it passes instead.
func Run(t *testing.T, open func(t *testing.T) ports.Store) {
	RunOrders(t, open)
	RunOutbox(t, open)
	RunPlatform(t, open)
	RunSeats(t, open)
	RunAccounts(t, open)
	RunDecisions(t, open)
	RunTx(t, open)
	RunRaces(t, open)
	RunSeatRaces(t, OneStore(open))
	RunAccountRaces(t, OneStore(open))
}

// area is one part of the suite: named subtests, each given a store of its
// own.
type area []struct {
	name string
	test func(*testing.T, ports.Store)
}

// run runs each subtest of a on a store open returns, and closes the store
// when the subtest ends.
func (a area) run(t *testing.T, open func(t *testing.T) ports.Store) {
	for _, c := range a {
		t.Run(c.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { _ = s.Close() })
			c.test(t, s)
		})
	}
}

// step is one call on a transaction.
type step struct {
	name string
	do   func(context.Context, ports.Tx) error
}

// update runs fn in an Update and fails tb when it returns an error.
func update(tb testing.TB, s ports.Store, fn func(ports.Tx) error) {
	tb.Helper()
	if err := s.Update(tb.Context(), fn); err != nil {
		tb.Fatalf("Update: %v", err)
	}
}

// read runs fn in a View and returns what it read, failing tb on an error.
func read[T any](tb testing.TB, s ports.Store, fn func(ports.Tx) (T, error)) T {
	tb.Helper()
	var v T
	err := s.View(tb.Context(), func(tx ports.Tx) (err error) {
		v, err = fn(tx)
		return err
	})
	if err != nil {
		tb.Fatalf("View: %v", err)
	}
	return v
}

// viewErr runs fn in a View and returns its error.
func viewErr(tb testing.TB, s ports.Store, fn func(ports.Tx) error) error {
	tb.Helper()
	return s.View(tb.Context(), fn)
}

// errOf keeps only the error of a lookup, for checking its code.
func errOf[T any](_ T, err error) error { return err }

// putAll stores each value with put in one Update.
func putAll[T any](tb testing.TB, s ports.Store, put func(ports.Tx, T) error, vs ...T) {
	tb.Helper()
	update(tb, s, func(tx ports.Tx) error {
		for _, v := range vs {
			if err := put(tx, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// wantCode fails tb unless err carries code.
func wantCode(tb testing.TB, what string, err error, code domain.Code) {
	tb.Helper()
	if got := domain.ErrorCode(err); got != code {
		tb.Errorf("%s: error code %q (%v), want %q", what, got, err, code)
	}
}

// same fails tb when got differs from want.
func same(tb testing.TB, what string, want, got any) {
	tb.Helper()
	if d := cmp.Diff(want, got, equal()); d != "" {
		tb.Errorf("%s (-want +got):\n%s", what, d)
	}
}

// equal compares as a store can be asked to keep things: dates by day,
// decimals by value, instants to the microsecond a SQL column holds, the
// compiled pattern a Model caches not at all, and nil like empty.
func equal() cmp.Options {
	return cmp.Options{
		cmp.Comparer(func(a, b domain.Date) bool { return a == b }),
		cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) }),
		cmpopts.EquateApproxTime(time.Microsecond),
		cmpopts.IgnoreUnexported(domain.Model{}),
		cmpopts.EquateEmpty(),
	}
}
