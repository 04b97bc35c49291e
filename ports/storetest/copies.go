package storetest

import (
	"testing"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

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
