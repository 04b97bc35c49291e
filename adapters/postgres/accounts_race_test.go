package postgres_test

import (
	"sync/atomic"
	"testing"

	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/ports/storetest"
)

// TestAccountRacesAcrossStores runs the contract's account races (64 adds of
// one managed account from two primaries, half of them without a lock; 64
// provisions, half of a cancelled link; 64 block records appended under
// LockAccount) across two Stores on one schema, as two `entitle serve`
// instances share a database, the racers alternating between them. The
// refusals the contract expects come from the partial unique index and the
// guarded writes, never from a deadlock: Update retries nothing.
func TestAccountRacesAcrossStores(t *testing.T) {
	dsn := testDSN(t)
	var retries atomic.Int64
	onRetry := func(int, error) { retries.Add(1) }
	storetest.RunAccountRaces(t, func(t *testing.T) (ports.Store, ports.Store) {
		schema := freshSchema(t, dsn)
		a := openStore(t, dsn, postgres.Options{Schema: schema, OnRetry: onRetry})
		b := openStore(t, dsn, postgres.Options{Schema: schema, OnRetry: onRetry})
		return a, b
	})
	if n := retries.Load(); n != 0 {
		t.Errorf("Update retried %d times: account racers deadlocked", n)
	}
}
