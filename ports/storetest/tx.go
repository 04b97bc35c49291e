package storetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// RunTx runs the transaction semantics every store shares, over a write to
// each repository of every group: a rollback when fn returns an error or
// panics (the panic reaching the caller with nothing written), a transaction
// reading its own writes, writes refused inside View, values handed in and
// out isolated from the store, a View seeing one snapshot, and View and
// Update failing with CodeUnavailable after Close. See Run for open.
func RunTx(t *testing.T, open func(t *testing.T) ports.Store) {
	area{
		{"Tx/RollbackOnError", txRollbackOnError},
		{"Tx/RollbackOnPanic", txRollbackOnPanic},
		{"Tx/ReadsOwnWrites", txReadsOwnWrites},
		{"Tx/ViewIsReadOnly", txViewIsReadOnly},
		{"Tx/CopiesInAndOut", txCopies},
		{"Tx/ViewSeesSnapshot", txViewSeesSnapshot},
		{"Tx/Closed", txClosed},
		{"Tx/LockSerials", txLockSerials},
	}.run(t, open)
}

// txLockSerials: a use case may lock the serials it will touch, in an Update
// (any case, repeated, unknown serials) and in a View, and then read them;
// a Tx kept past its transaction refuses.
func txLockSerials(t *testing.T, s ports.Store) {
	ctx := t.Context()
	var kept ports.Tx
	err := s.Update(ctx, func(tx ports.Tx) error {
		kept = tx
		if err := tx.LockSerials(ctx, "TESTApi01", "testapi01", "never-seen", ""); err != nil {
			return err
		}
		_, err := tx.Subscriptions().BySerial(ctx, "TESTApi01")
		return err
	})
	if err != nil {
		t.Fatalf("LockSerials in an Update: %v", err)
	}
	if err := s.View(ctx, func(tx ports.Tx) error { return tx.LockSerials(ctx, "TESTApi01") }); err != nil {
		t.Errorf("LockSerials in a View: %v", err)
	}
	if err := kept.LockSerials(ctx, "TESTApi01"); err == nil {
		t.Error("LockSerials on a Tx kept past its Update succeeded")
	}
}

// writes returns one write to every repository. They need only coupon C-1,
// which prepare stores; o is the order they create.
func writes(tb testing.TB, o *domain.Order) []step {
	tb.Helper()
	return []step{
		{"Customers.Put", func(ctx context.Context, tx ports.Tx) error {
			return tx.Customers().Put(ctx, customer("A", "client-a", site(100, domain.BillTo)))
		}},
		{"Catalog.PutPart", func(ctx context.Context, tx ports.Tx) error { return tx.Catalog().PutPart(ctx, part("88213-10")) }},
		{"Catalog.PutModel", func(ctx context.Context, tx ports.Tx) error {
			return tx.Catalog().PutModel(ctx, model("Trimble", "R12"))
		}},
		{"Catalog.PutPriceList", func(ctx context.Context, tx ports.Tx) error {
			return tx.Catalog().PutPriceList(ctx, priceList("PL-USD", "US"))
		}},
		{"Catalog.PutPromo", func(ctx context.Context, tx ports.Tx) error { return tx.Catalog().PutPromo(ctx, promo(tb, "SPRING10")) }},
		{"Catalog.PutCoupon", func(ctx context.Context, tx ports.Tx) error {
			return tx.Catalog().PutCoupon(ctx, domain.Coupon{Number: "C-2", PartNumber: "88213-10"})
		}},
		{"Catalog.RedeemCoupon", func(ctx context.Context, tx ports.Tx) error { return tx.Catalog().RedeemCoupon(ctx, "C-1") }},
		{"Devices.Put", func(ctx context.Context, tx ports.Tx) error { return tx.Devices().Put(ctx, device("TESTApi01")) }},
		{"Subscriptions.Put", func(ctx context.Context, tx ports.Tx) error {
			return tx.Subscriptions().Put(ctx, subscription(tb, "S1", "TESTApi01", centerPoint, "2025-04-24", "2026-04-23"))
		}},
		{"Trials.Record", func(ctx context.Context, tx ports.Tx) error {
			return tx.Trials().Record(ctx, grant("TESTApi01", centerPoint))
		}},
		{"Orders.Create", func(ctx context.Context, tx ports.Tx) error { return tx.Orders().Create(ctx, o) }},
		{"Activations.Put", func(ctx context.Context, tx ports.Tx) error {
			return tx.Activations().Put(ctx, activation(tb, "A1", "TESTApi01", stamp()))
		}},
		{"Audit.Append", func(ctx context.Context, tx ports.Tx) error {
			return tx.Audit().Append(ctx, event("order:1", "CreateOrder", stamp()))
		}},
	}
}

// probe counts what a read finds of the writes: 0 when it finds nothing.
type probe struct {
	name  string
	count func(context.Context, ports.Tx) (int, error)
}

// probes returns a read for each of writes' effects, o being the order
// they created.
func probes(o *domain.Order) []probe {
	one := func(_ any, err error) (int, error) {
		if domain.ErrorCode(err) == domain.CodeNotFound {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		return 1, nil
	}
	flag := func(b bool, err error) (int, error) {
		if b {
			return 1, err
		}
		return 0, err
	}
	return []probe{
		{"Customers.Get", func(ctx context.Context, tx ports.Tx) (int, error) { return one(tx.Customers().Get(ctx, "A")) }},
		{"Customers.BySite", func(ctx context.Context, tx ports.Tx) (int, error) {
			return one(tx.Customers().BySite(ctx, 100, domain.BillTo))
		}},
		{"Customers.ByClient", func(ctx context.Context, tx ports.Tx) (int, error) {
			return count(tx.Customers().ByClient(ctx, "client-a"))
		}},
		{"Catalog.Part", func(ctx context.Context, tx ports.Tx) (int, error) { return one(tx.Catalog().Part(ctx, "88213-10")) }},
		{"Catalog.Parts", func(ctx context.Context, tx ports.Tx) (int, error) { return count(tx.Catalog().Parts(ctx)) }},
		{"Catalog.Model", func(ctx context.Context, tx ports.Tx) (int, error) { return one(tx.Catalog().Model(ctx, "", "R12")) }},
		{"Catalog.Models", func(ctx context.Context, tx ports.Tx) (int, error) { return count(tx.Catalog().Models(ctx)) }},
		{"Catalog.PriceList", func(ctx context.Context, tx ports.Tx) (int, error) { return one(tx.Catalog().PriceList(ctx, "PL-USD")) }},
		{"Catalog.PriceListForCountry", func(ctx context.Context, tx ports.Tx) (int, error) {
			return one(tx.Catalog().PriceListForCountry(ctx, "US"))
		}},
		{"Catalog.Promo", func(ctx context.Context, tx ports.Tx) (int, error) { return one(tx.Catalog().Promo(ctx, "SPRING10")) }},
		{"Catalog.Coupon", func(ctx context.Context, tx ports.Tx) (int, error) { return one(tx.Catalog().Coupon(ctx, "C-2")) }},
		{"Catalog.Coupon(C-1).Redeemed", func(ctx context.Context, tx ports.Tx) (int, error) {
			c, err := tx.Catalog().Coupon(ctx, "C-1")
			return flag(c.Redeemed, err)
		}},
		{"Devices.BySerial", func(ctx context.Context, tx ports.Tx) (int, error) {
			return one(tx.Devices().BySerial(ctx, "testapi01"))
		}},
		{"Subscriptions.BySerial", func(ctx context.Context, tx ports.Tx) (int, error) {
			return count(tx.Subscriptions().BySerial(ctx, "testapi01"))
		}},
		{"Subscriptions.ByOrder", func(ctx context.Context, tx ports.Tx) (int, error) {
			return count(tx.Subscriptions().ByOrder(ctx, 13331))
		}},
		{"Trials.BySerial", func(ctx context.Context, tx ports.Tx) (int, error) {
			return count(tx.Trials().BySerial(ctx, "testapi01"))
		}},
		{"Orders.Get", func(ctx context.Context, tx ports.Tx) (int, error) { return one(tx.Orders().Get(ctx, o.UniqueID)) }},
		{"Orders.ByOrderNumber", func(ctx context.Context, tx ports.Tx) (int, error) {
			return one(tx.Orders().ByOrderNumber(ctx, o.OrderNumber))
		}},
		{"Orders.Find", func(ctx context.Context, tx ports.Tx) (int, error) {
			return count(tx.Orders().Find(ctx, domain.OrderQuery{ClientID: o.ClientID}))
		}},
		{"Orders.InProgress", func(ctx context.Context, tx ports.Tx) (int, error) {
			return flag(tx.Orders().InProgress(ctx, "testapi01"))
		}},
		{"Activations.BySerial", func(ctx context.Context, tx ports.Tx) (int, error) {
			return count(tx.Activations().BySerial(ctx, "testapi01"))
		}},
		{"Audit.List", func(ctx context.Context, tx ports.Tx) (int, error) { return count(tx.Audit().List(ctx, "")) }},
	}
}

func count[T any](list []T, err error) (int, error) { return len(list), err }

// prepare stores the coupon writes redeem.
func prepare(tb testing.TB, s ports.Store) {
	tb.Helper()
	update(tb, s, func(tx ports.Tx) error {
		return tx.Catalog().PutCoupon(tb.Context(), domain.Coupon{Number: "C-1", PartNumber: "88213-10"})
	})
}

// writeAll runs every write in tx.
func writeAll(ctx context.Context, tb testing.TB, tx ports.Tx, o *domain.Order) error {
	for _, w := range writes(tb, o) {
		if err := w.do(ctx, tx); err != nil {
			return fmt.Errorf("%s: %w", w.name, err)
		}
	}
	return nil
}

// seen fails tb unless each probe finds something (want) or nothing (!want).
func seen(ctx context.Context, tb testing.TB, tx ports.Tx, o *domain.Order, want bool, when string) {
	tb.Helper()
	for _, p := range probes(o) {
		n, err := p.count(ctx, tx)
		switch {
		case err != nil:
			tb.Errorf("%s %s: %v", p.name, when, err)
		case want && n == 0:
			tb.Errorf("%s %s finds nothing", p.name, when)
		case !want && n != 0:
			tb.Errorf("%s %s finds %d", p.name, when, n)
		}
	}
}

func seenInView(tb testing.TB, s ports.Store, o *domain.Order, want bool, when string) {
	tb.Helper()
	if err := s.View(tb.Context(), func(tx ports.Tx) error { seen(tb.Context(), tb, tx, o, want, when); return nil }); err != nil {
		tb.Fatalf("View: %v", err)
	}
}

// afterRollback checks that nothing of a rolled-back transaction that
// created o shows, and that the store takes the same writes afterwards: the
// serial o held is free, and the one order visible is the new one.
func afterRollback(tb testing.TB, s ports.Store, o *domain.Order) {
	tb.Helper()
	seenInView(tb, s, o, false, "after the rollback")
	again := order(tb, "client-a", "PO-1", domain.OrderInProgress, "TESTApi01")
	update(tb, s, func(tx ports.Tx) error { return writeAll(tb.Context(), tb, tx, again) })
	seenInView(tb, s, again, true, "after the writes were made again")
	same(tb, "Find(client-a) after the rollback and a new order", []domain.Order{*again}, findOrders(tb, s, domain.OrderQuery{ClientID: "client-a"}))
}

func txRollbackOnError(t *testing.T, s ports.Store) {
	prepare(t, s)
	boom := errors.New("boom")
	o := order(t, "client-a", "PO-1", domain.OrderInProgress, "TESTApi01")
	err := s.Update(t.Context(), func(tx ports.Tx) error {
		if err := writeAll(t.Context(), t, tx, o); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want fn's error", err)
	}
	afterRollback(t, s, o)
}

func txRollbackOnPanic(t *testing.T, s ports.Store) {
	prepare(t, s)
	o := order(t, "client-a", "PO-1", domain.OrderInProgress, "TESTApi01")
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("Update's panic = %v, want fn's panic passed on", r)
			}
		}()
		_ = s.Update(t.Context(), func(tx ports.Tx) error {
			if err := writeAll(t.Context(), t, tx, o); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	afterRollback(t, s, o)
}

func txReadsOwnWrites(t *testing.T, s ports.Store) {
	prepare(t, s)
	o := order(t, "client-a", "PO-1", domain.OrderInProgress, "TESTApi01")
	update(t, s, func(tx ports.Tx) error {
		seen(t.Context(), t, tx, o, false, "before the writes")
		if err := writeAll(t.Context(), t, tx, o); err != nil {
			return err
		}
		seen(t.Context(), t, tx, o, true, "inside the transaction that wrote")
		return nil
	})
	seenInView(t, s, o, true, "after the commit")
}

func txViewIsReadOnly(t *testing.T, s ports.Store) {
	prepare(t, s)
	o := order(t, "client-a", "PO-1", domain.OrderInProgress, "TESTApi01")
	for _, w := range writes(t, o) {
		if err := s.View(t.Context(), func(tx ports.Tx) error { return w.do(t.Context(), tx) }); err == nil {
			t.Errorf("%s inside View succeeded", w.name)
		}
	}
	seenInView(t, s, o, false, "after writes inside Views")
}

// isolated puts mk() with put and reads it back with get, changing in place
// first the value it put and then the value it got: neither change may
// reach the store. change must write inside the value's slices, where a
// shallow copy would share memory with the store.
func isolated[T any](tb testing.TB, s ports.Store, name string, mk func() T,
	put func(ports.Tx, T) error, get func(ports.Tx) (T, error), change func(*T)) {
	tb.Helper()
	v := mk()
	update(tb, s, func(tx ports.Tx) error { return put(tx, v) })
	change(&v)
	got := read(tb, s, get)
	same(tb, name+" after the caller changed what it put", mk(), got)
	change(&got)
	same(tb, name+" after the caller changed what it got", mk(), read(tb, s, get))
}

// first returns the first element of a list a lookup returned.
func first[T any](list []T, err error) (T, error) {
	if err == nil && len(list) == 0 {
		err = domain.Errorf(domain.CodeNotFound, "", "the list is empty")
	}
	if err != nil {
		var zero T
		return zero, err
	}
	return list[0], nil
}

func txCopies(t *testing.T, s ports.Store) {
	ctx := t.Context()
	isolated(t, s, "a customer from ByClient", func() domain.Customer { return customer("A", "client-a", site(100, domain.BillTo)) },
		func(tx ports.Tx, c domain.Customer) error { return tx.Customers().Put(ctx, c) },
		func(tx ports.Tx) (domain.Customer, error) { return first(tx.Customers().ByClient(ctx, "client-a")) },
		func(c *domain.Customer) { c.Sites[0].Address = "changed" })
	isolated(t, s, "a part from Parts", func() domain.Part { return part("88213-10") },
		func(tx ports.Tx, p domain.Part) error { return tx.Catalog().PutPart(ctx, p) },
		func(tx ports.Tx) (domain.Part, error) { return first(tx.Catalog().Parts(ctx)) },
		func(p *domain.Part) { p.Models[0], p.Regions[0] = "changed", "changed" })
	isolated(t, s, "a price list from PriceListForCountry", func() domain.PriceList { return priceList("PL-USD", "US") },
		func(tx ports.Tx, l domain.PriceList) error { return tx.Catalog().PutPriceList(ctx, l) },
		func(tx ports.Tx) (domain.PriceList, error) { return tx.Catalog().PriceListForCountry(ctx, "US") },
		func(l *domain.PriceList) { l.Countries[0], l.Items[0].PartNumber = "changed", "changed" })
	isolated(t, s, "a device from BySerial", func() domain.Device { return device("TESTApi01") },
		func(tx ports.Tx, d domain.Device) error { return tx.Devices().Put(ctx, d) },
		func(tx ports.Tx) (domain.Device, error) { return tx.Devices().BySerial(ctx, "testapi01") },
		func(d *domain.Device) { d.SSOEmails[0] = "changed@example.com" })
	isolated(t, s, "an audit event from List", func() domain.AuditEvent { return event("order:1", "CreateOrder", stamp()) },
		func(tx ports.Tx, e domain.AuditEvent) error { return tx.Audit().Append(ctx, e) },
		func(tx ports.Tx) (domain.AuditEvent, error) { return first(tx.Audit().List(ctx, "")) },
		func(e *domain.AuditEvent) { e.Codes[0] = "CHANGED" })

	// Create takes a pointer and fills in the numbers; they are left out of the
	// comparison, which is about the lines.
	var id int64
	isolated(t, s, "an order from Find", func() domain.Order { return *order(t, "client-a", "PO-1", domain.OrderSuccess, "TESTApi01") },
		func(tx ports.Tx, o domain.Order) error {
			err := tx.Orders().Create(ctx, &o)
			id = o.UniqueID
			return err
		},
		func(tx ports.Tx) (domain.Order, error) {
			o, err := first(tx.Orders().Find(ctx, domain.OrderQuery{ClientID: "client-a", UniqueID: id}))
			o.UniqueID, o.OrderNumber = 0, 0
			return o, err
		},
		func(o *domain.Order) { o.Lines[0].SerialNumber = "changed" })
}

// txViewSeesSnapshot has Views read two devices that every Update changes
// together: a View sees both changes or neither.
func txViewSeesSnapshot(t *testing.T, s ports.Store) {
	ctx := t.Context()
	putBoth := func(n int) error {
		return s.Update(ctx, func(tx ports.Tx) error {
			for _, serial := range []string{"A-1", "B-1"} {
				d := device(serial)
				d.Model = strconv.Itoa(n)
				if err := tx.Devices().Put(ctx, d); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := putBoth(0); err != nil {
		t.Fatal(err)
	}
	const updates, readers = 200, 4
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range readers {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				err := s.View(ctx, func(tx ports.Tx) error {
					a, err := tx.Devices().BySerial(ctx, "A-1")
					if err != nil {
						return err
					}
					b, err := tx.Devices().BySerial(ctx, "B-1")
					if err == nil && a.Model != b.Model {
						err = fmt.Errorf("a View saw A-1 at update %s and B-1 at update %s", a.Model, b.Model)
					}
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for n := 1; n <= updates; n++ {
		if err := putBoth(n); err != nil {
			t.Error(err)
			break
		}
	}
	close(done)
	wg.Wait()
}

func txClosed(t *testing.T, s ports.Store) {
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	nothing := func(ports.Tx) error { return nil }
	wantCode(t, "View after Close", s.View(t.Context(), nothing), domain.CodeUnavailable)
	wantCode(t, "Update after Close", s.Update(t.Context(), nothing), domain.CodeUnavailable)
}
