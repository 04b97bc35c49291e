package storetest

import (
	"testing"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// create stores the orders in one Update; Create fills in their numbers.
func create(tb testing.TB, s ports.Store, os ...*domain.Order) {
	tb.Helper()
	update(tb, s, func(tx ports.Tx) error {
		for _, o := range os {
			if err := tx.Orders().Create(tb.Context(), o); err != nil {
				return err
			}
		}
		return nil
	})
}

func setStatus(tb testing.TB, s ports.Store, o *domain.Order, status domain.OrderStatus) error {
	tb.Helper()
	return s.Update(tb.Context(), func(tx ports.Tx) error { return tx.Orders().SetStatus(tb.Context(), o.UniqueID, status, "") })
}

func inProgress(tb testing.TB, s ports.Store, serial string) bool {
	tb.Helper()
	return read(tb, s, func(tx ports.Tx) (bool, error) { return tx.Orders().InProgress(tb.Context(), serial) })
}

func findOrders(tb testing.TB, s ports.Store, q domain.OrderQuery) []domain.Order {
	tb.Helper()
	return read(tb, s, func(tx ports.Tx) ([]domain.Order, error) { return tx.Orders().Find(tb.Context(), q) })
}

func ordersRoundTrip(t *testing.T, s ports.Store) {
	ctx := t.Context()
	o1 := order(t, "client-a", "PO-1", domain.OrderSuccess, "TESTApi01", "X2")
	o2 := order(t, "client-a", "PO-2", domain.OrderOnHold, "X3")
	o3 := order(t, "client-b", "PO-3", domain.OrderError)
	create(t, s, o1, o2)
	create(t, s, o3)
	for i, pair := range [][2]*domain.Order{{o1, o2}, {o2, o3}} {
		a, b := pair[0], pair[1]
		if a.UniqueID <= 0 || b.UniqueID <= a.UniqueID || a.OrderNumber <= 0 || b.OrderNumber <= a.OrderNumber {
			t.Errorf("orders %d and %d got uniqueId %d, %d and orderNumber %d, %d; want both positive and increasing",
				i+1, i+2, a.UniqueID, b.UniqueID, a.OrderNumber, b.OrderNumber)
		}
	}
	same(t, "Get(o2)", *o2, read(t, s, func(tx ports.Tx) (domain.Order, error) { return tx.Orders().Get(ctx, o2.UniqueID) }))
	same(t, "ByOrderNumber(o3)", *o3, read(t, s, func(tx ports.Tx) (domain.Order, error) {
		return tx.Orders().ByOrderNumber(ctx, o3.OrderNumber)
	}))
	wantCode(t, "Get(unknown)", s.View(ctx, func(tx ports.Tx) error { return errOf(tx.Orders().Get(ctx, o3.UniqueID+1000)) }), domain.CodeNotFound)
	wantCode(t, "ByOrderNumber(unknown)", s.View(ctx, func(tx ports.Tx) error {
		return errOf(tx.Orders().ByOrderNumber(ctx, o3.OrderNumber+1000))
	}), domain.CodeNotFound)

	update(t, s, func(tx ports.Tx) error {
		return tx.Orders().SetStatus(ctx, o1.UniqueID, domain.OrderOnHold, "credit hold")
	})
	o1.Status, o1.HoldReason = domain.OrderOnHold, "credit hold"
	same(t, "Get(o1) after SetStatus", *o1, read(t, s, func(tx ports.Tx) (domain.Order, error) { return tx.Orders().Get(ctx, o1.UniqueID) }))
	wantCode(t, "SetStatus(unknown)", s.Update(ctx, func(tx ports.Tx) error {
		return tx.Orders().SetStatus(ctx, o3.UniqueID+1000, domain.OrderSuccess, "")
	}), domain.CodeNotFound)
}

// ordersFind checks each filter and that a client never sees another's
// orders, whatever else the query names.
func ordersFind(t *testing.T, s ports.Store) {
	a1 := order(t, "client-a", "PO-1", domain.OrderSuccess, "TESTApi01")
	b1 := order(t, "client-b", "PO-1", domain.OrderSuccess, "TESTApi01")
	a2 := order(t, "client-a", "PO-2", domain.OrderOnHold, "X2")
	a3 := order(t, "client-a", "PO-1", domain.OrderSuccess, "X3", "testapi01")
	create(t, s, a1, b1, a2)
	create(t, s, a3)
	key := domain.SerialKey("TestAPI01")
	for _, c := range []struct {
		q    domain.OrderQuery
		want []*domain.Order
	}{
		{domain.OrderQuery{ClientID: "client-a"}, []*domain.Order{a3, a2, a1}},
		{domain.OrderQuery{ClientID: "client-b"}, []*domain.Order{b1}},
		{domain.OrderQuery{ClientID: "client-c"}, nil},
		{domain.OrderQuery{ClientID: "client-a", PONumber: "PO-1"}, []*domain.Order{a3, a1}},
		{domain.OrderQuery{ClientID: "client-b", PONumber: "PO-2"}, nil},
		{domain.OrderQuery{ClientID: "client-a", SerialKey: key}, []*domain.Order{a3, a1}},
		{domain.OrderQuery{ClientID: "client-b", SerialKey: key}, []*domain.Order{b1}},
		{domain.OrderQuery{ClientID: "client-a", UniqueID: a2.UniqueID}, []*domain.Order{a2}},
		{domain.OrderQuery{ClientID: "client-a", UniqueID: b1.UniqueID}, nil},
		{domain.OrderQuery{ClientID: "client-b", UniqueID: a1.UniqueID}, nil},
		{domain.OrderQuery{ClientID: "client-a", PONumber: "PO-1", SerialKey: "X3"}, []*domain.Order{a3}},
		{domain.OrderQuery{ClientID: "client-a", UniqueID: a1.UniqueID, PONumber: "PO-2"}, nil},
	} {
		want := make([]domain.Order, len(c.want))
		for i, o := range c.want {
			want[i] = *o
		}
		same(t, "Find("+queryString(c.q)+"), newest first", want, findOrders(t, s, c.q))
	}
}

func queryString(q domain.OrderQuery) string {
	s := "client " + q.ClientID
	if q.UniqueID != 0 {
		s += ", a uniqueId"
	}
	if q.SerialKey != "" {
		s += ", serial " + q.SerialKey
	}
	if q.PONumber != "" {
		s += ", PO " + q.PONumber
	}
	return s
}

func ordersInProgress(t *testing.T, s ports.Store) {
	ctx := t.Context()
	o1 := order(t, "client-a", "PO-1", domain.OrderInProgress, "TESTApi01", "X2")
	create(t, s, o1)
	for serial, want := range map[string]bool{"testapi01": true, "TestAPI01": true, "x2": true, "X3": false} {
		if got := inProgress(t, s, serial); got != want {
			t.Errorf("InProgress(%s) = %t, want %t", serial, got, want)
		}
	}
	wantCode(t, "Create: another client's in-progress order for TestAPI01", s.Update(ctx, func(tx ports.Tx) error {
		return tx.Orders().Create(ctx, order(t, "client-b", "PO-9", domain.OrderInProgress, "X3", "TestAPI01"))
	}), domain.CodeConflict)
	if inProgress(t, s, "X3") {
		t.Error("InProgress(X3) after the refused order")
	}

	onHold := order(t, "client-a", "PO-3", domain.OrderOnHold, "TESTApi01")
	create(t, s, onHold)
	wantCode(t, "SetStatus(o1, SUCCESS)", setStatus(t, s, o1, domain.OrderSuccess), "")
	if inProgress(t, s, "TESTApi01") || inProgress(t, s, "X2") {
		t.Error("InProgress is still true after the order succeeded")
	}

	o4 := order(t, "client-a", "PO-4", domain.OrderInProgress, "x2")
	create(t, s, o4)
	wantCode(t, "SetStatus(o1, INPROGRESS) while o4 holds X2", setStatus(t, s, o1, domain.OrderInProgress), domain.CodeConflict)
	wantCode(t, "SetStatus(o4, ERROR)", setStatus(t, s, o4, domain.OrderError), "")
	wantCode(t, "SetStatus(o1, INPROGRESS) once X2 is free", setStatus(t, s, o1, domain.OrderInProgress), "")
	wantCode(t, "SetStatus(o1, INPROGRESS) again", setStatus(t, s, o1, domain.OrderInProgress), "")
	wantCode(t, "SetStatus(onHold, INPROGRESS) while o1 holds TESTApi01", setStatus(t, s, onHold, domain.OrderInProgress), domain.CodeConflict)
	if !inProgress(t, s, "X2") {
		t.Error("InProgress(X2) is false while o1 is in progress again")
	}
}
