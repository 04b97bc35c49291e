package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/shopspring/decimal"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// Run runs the contract suite against the stores open returns. Each subtest
// calls open once and needs the store it gets to be empty; subtests run one
// after another, so open may hand out the same database each time once it has
// emptied it. Run closes every store it opens when the subtest ends.
//
// Beyond the doc comments of package ports, the suite asks that a write of a
// row without its key (or a subscription ending before it starts, or a model
// whose serial pattern does not compile, or an unknown order status) fail
// with CodeInvalid; that two price lists never claim one country
// (CodeConflict); that writes inside View fail; that a panic in Update's fn
// reach the caller with nothing written; and that View and Update fail with
// CodeUnavailable after Close.
func Run(t *testing.T, open func(t *testing.T) ports.Store) {
	cases := []struct {
		name string
		test func(*testing.T, ports.Store)
	}{
		{"Customers/RoundTrip", customersRoundTrip},
		{"Customers/SiteOwnedByAnother", customersSiteConflict},
		{"Catalog/Parts", catalogParts},
		{"Catalog/Models", catalogModels},
		{"Catalog/PriceLists", catalogPriceLists},
		{"Catalog/PromosAndCoupons", catalogPromosAndCoupons},
		{"Devices/SerialCaseInsensitive", devicesSerialCase},
		{"Subscriptions/RoundTrip", subscriptionsRoundTrip},
		{"Subscriptions/NoOverlap", subscriptionsNoOverlap},
		{"Trials/OncePerSerialAndLine", trialsOnce},
		{"Activations/OldestFirst", activationsOldestFirst},
		{"Audit/OldestFirst", auditOldestFirst},
		{"Orders/RoundTrip", ordersRoundTrip},
		{"Orders/Find", ordersFind},
		{"Orders/InProgress", ordersInProgress},
		{"Orders/Pending", ordersPending},
		{"Clients/RoundTrip", clientsRoundTrip},
		{"Idempotency/Records", idempotencyRecords},
		{"Invalid/Refused", invalidInput},
		{"Tx/RollbackOnError", txRollbackOnError},
		{"Tx/RollbackOnPanic", txRollbackOnPanic},
		{"Tx/ReadsOwnWrites", txReadsOwnWrites},
		{"Tx/ViewIsReadOnly", txViewIsReadOnly},
		{"Tx/CopiesInAndOut", txCopies},
		{"Tx/ViewSeesSnapshot", txViewSeesSnapshot},
		{"Tx/Closed", txClosed},
		{"Race/OneTrialGrant", raceTrial},
		{"Race/OneInProgressOrder", raceInProgressOrder},
		{"Race/ContiguousRenewals", raceRenewals},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { _ = s.Close() })
			c.test(t, s)
		})
	}
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
