package memory

import (
	"cmp"
	"context"
	"slices"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

type orders struct{ *tx }

func (t *tx) Orders() ports.Orders { return orders{t} }

// Create checks every line before it writes or numbers anything, so a refused
// order leaves o and the transaction as they were.
func (r orders) Create(_ context.Context, o *domain.Order) error {
	if err := cmp.Or(r.Write(), o.CheckNew()); err != nil {
		return err
	}
	if o.Status == domain.OrderInProgress {
		if err := r.free(o); err != nil {
			return err
		}
	}
	if o.UniqueID != 0 { // imported with its numbers (CheckNew checked them)
		if _, taken := r.db.orders.get(o.UniqueID); taken {
			return domain.Errorf(domain.CodeConflict, "uniqueID", "uniqueID %d is another order's", o.UniqueID)
		}
		if _, taken := r.db.orderNumbers.get(o.OrderNumber); taken {
			return domain.Errorf(domain.CodeConflict, "orderNumber", "orderNumber %d is another order's", o.OrderNumber)
		}
	} else {
		o.UniqueID, o.OrderNumber = r.db.seq.uniqueID, r.db.seq.orderNumber
		r.db.seq.uniqueID++
		r.db.seq.orderNumber++
	}
	id := o.UniqueID
	r.db.orders.put(id, *o)
	r.db.orderNumbers.put(o.OrderNumber, id)
	push(&r.db.ordersByClient, o.ClientID, id)
	if o.PONumber != "" {
		push(&r.db.ordersByPO, o.PONumber, id)
	}
	for _, k := range o.SerialKeys() {
		push(&r.db.ordersBySerial, k, id)
		if o.Status == domain.OrderInProgress {
			r.db.inProgress.put(k, id)
		}
	}
	return nil
}

// free reports CodeConflict when an in-progress order holds one of o's
// serials. It is asked only about orders not in progress themselves, so the
// holder is always another order.
func (r orders) free(o *domain.Order) error {
	return o.CheckSerialsFree(r.db.inProgress.get)
}

func (r orders) SetStatus(_ context.Context, uniqueID int64, status domain.OrderStatus, holdReason string) error {
	if err := r.Write(); err != nil {
		return err
	}
	if _, err := domain.ParseOrderStatus(string(status)); err != nil {
		return err
	}
	o, ok := r.db.orders.get(uniqueID)
	if !ok {
		return notFoundOrder(uniqueID)
	}
	entering, leaving := status == domain.OrderInProgress, o.Status == domain.OrderInProgress
	if entering && !leaving {
		if err := r.free(&o); err != nil {
			return err
		}
	}
	for _, k := range o.SerialKeys() {
		switch {
		case entering:
			r.db.inProgress.put(k, uniqueID)
		case leaving:
			r.db.inProgress.del(k)
		}
	}
	o.Status, o.HoldReason = status, holdReason
	r.db.orders.put(uniqueID, o)
	return nil
}

func (r orders) Get(_ context.Context, uniqueID int64) (domain.Order, error) {
	if err := r.Read(); err != nil {
		return domain.Order{}, err
	}
	o, ok := r.db.orders.get(uniqueID)
	if !ok {
		return o, notFoundOrder(uniqueID)
	}
	return o, nil
}

func notFoundOrder(uniqueID int64) error {
	return domain.Errorf(domain.CodeNotFound, "uniqueId", "no order with uniqueId %d", uniqueID)
}

func (r orders) ByOrderNumber(ctx context.Context, orderNumber int64) (domain.Order, error) {
	if err := r.Read(); err != nil {
		return domain.Order{}, err
	}
	id, ok := r.db.orderNumbers.get(orderNumber)
	if !ok {
		return domain.Order{}, domain.Errorf(domain.CodeNotFound, "orderNumber", "no order with order number %d", orderNumber)
	}
	return r.Get(ctx, id)
}

// Find starts from the most selective index the query allows and filters
// with q.Matches, so the client check is the domain's own.
func (r orders) Find(_ context.Context, q domain.OrderQuery) ([]domain.Order, error) {
	if err := r.Read(); err != nil {
		return nil, err
	}
	var ids []int64
	switch {
	case q.UniqueID != 0:
		ids = []int64{q.UniqueID}
	case q.SerialKey != "":
		ids, _ = r.db.ordersBySerial.get(q.SerialKey)
	case q.PONumber != "":
		ids, _ = r.db.ordersByPO.get(q.PONumber)
	default:
		ids, _ = r.db.ordersByClient.get(q.ClientID)
	}
	out := rows(&r.db.orders, ids)
	out = slices.DeleteFunc(out, func(o domain.Order) bool { return !q.Matches(&o) })
	slices.SortFunc(out, func(a, b domain.Order) int { return cmp.Compare(b.UniqueID, a.UniqueID) })
	return out, nil
}

func (r orders) InProgress(_ context.Context, serial string) (bool, error) {
	if err := r.Read(); err != nil {
		return false, err
	}
	_, ok := r.db.inProgress.get(domain.SerialKey(serial))
	return ok, nil
}

// Pending scans only the in-progress index, which holds the serials of
// in-progress orders and nothing else.
func (r orders) Pending(_ context.Context) ([]int64, error) {
	if err := r.Read(); err != nil {
		return nil, err
	}
	ids := r.db.inProgress.all()
	slices.Sort(ids)
	return slices.Compact(ids), nil
}
