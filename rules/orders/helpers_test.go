package orders_test

import (
	"context"
	"io/fs"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/dataset"
	"github.com/entitle-rules/entitle/rules/orders"
)

// as returns the principal of a TAP client's bearer token.
func as(client string) domain.Principal {
	return domain.PartnerPrincipal(client, domain.ClientCredentials)
}

// snapshotOf loads w into a new memory store and reads the snapshot a
// decision on req by client needs, the way CreateOrder reads it.
func snapshotOf(tb testing.TB, w *dataset.World, now time.Time, client string, req *domain.OrderRequest) *orders.Snapshot {
	tb.Helper()
	ctx := context.Background()
	store := memory.New()
	if err := store.Update(ctx, func(tx ports.Tx) error { return w.Apply(ctx, tx) }); err != nil {
		tb.Fatal(err)
	}
	var snap *orders.Snapshot
	err := store.View(ctx, func(tx ports.Tx) error {
		var err error
		snap, err = orders.LoadSnapshot(ctx, tx, as(client), req, now)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return snap
}

// seed loads ds into the service's store.
func seed(ctx context.Context, svc *orders.Service, ds *dataset.Dataset) error {
	_, err := ds.Load(ctx, svc.Store())
	return err
}

// reload compiles the rule files in fsys and swaps them in; on any error the
// rules in force stay.
func reload(svc *orders.Service, fsys fs.FS) error {
	set, err := orders.Language().Load(fsys)
	if err != nil {
		return err
	}
	return svc.SwapRules(set)
}

// tester runs the tests written in rule files on memory stores.
func tester() rules.Tester {
	return orders.Tester(orders.TesterOptions{Open: func() ports.Store { return memory.New() }, Load: dataset.LoadDocs})
}
