package storetest

import (
	"cmp"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// RunOrders runs the contract of ports.OrdersTx: every repository of the
// orders context, its not-found and conflict codes, case-insensitive
// serials, and the one in-progress order per serial. Beyond the doc comments
// of package ports, it asks that a write of a row without its key (or a
// subscription ending before it starts, or a model whose serial pattern does
// not compile, or an unknown order status) fail with CodeInvalid, and that
// two price lists never claim one country (CodeConflict). See Run for open.
func RunOrders(t *testing.T, open func(t *testing.T) ports.Store) {
	area{
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
		{"Orders/RoundTrip", ordersRoundTrip},
		{"Orders/Find", ordersFind},
		{"Orders/InProgress", ordersInProgress},
		{"Orders/Pending", ordersPending},
		{"Orders/Imported", ordersImported},
		{"Invalid/Refused", invalidInput},
	}.run(t, open)
}

func customersRoundTrip(t *testing.T, s ports.Store) {
	ctx := t.Context()
	put := func(tx ports.Tx, c domain.Customer) error { return tx.Customers().Put(ctx, c) }
	a := customer("A", "client-a", site(101, domain.BillTo))
	b := customer("B", "client-a", site(100, domain.BillTo), site(200, domain.ShipTo))
	c := customer("C", "client-b", site(300, domain.BillTo))
	putAll(t, s, put, b, c, a)

	same(t, "Get(B)", b, read(t, s, func(tx ports.Tx) (domain.Customer, error) { return tx.Customers().Get(ctx, "B") }))
	same(t, "BySite(200, SHIP_TO)", b, read(t, s, func(tx ports.Tx) (domain.Customer, error) {
		return tx.Customers().BySite(ctx, 200, domain.ShipTo)
	}))
	byClient := func(id string) []domain.Customer {
		t.Helper()
		return read(t, s, func(tx ports.Tx) ([]domain.Customer, error) { return tx.Customers().ByClient(ctx, id) })
	}
	same(t, "ByClient(client-a), by id", []domain.Customer{a, b}, byClient("client-a"))
	same(t, "ByClient(client-z)", []domain.Customer{}, byClient("client-z"))
	wantCode(t, "Get(Z)", s.View(ctx, func(tx ports.Tx) error { return errOf(tx.Customers().Get(ctx, "Z")) }), domain.CodeNotFound)
	wantCode(t, "BySite(200, BILL_TO), a site id of another use", s.View(ctx, func(tx ports.Tx) error {
		return errOf(tx.Customers().BySite(ctx, 200, domain.BillTo))
	}), domain.CodeNotFound)

	// Replacing B moves it to another client and gives up its ship-to site.
	moved := customer("B", "client-b", site(100, domain.BillTo))
	putAll(t, s, put, moved)
	same(t, "ByClient(client-a) after B moved", []domain.Customer{a}, byClient("client-a"))
	same(t, "ByClient(client-b) after B moved", []domain.Customer{moved, c}, byClient("client-b"))
	wantCode(t, "BySite(200, SHIP_TO) after B gave it up", s.View(ctx, func(tx ports.Tx) error {
		return errOf(tx.Customers().BySite(ctx, 200, domain.ShipTo))
	}), domain.CodeNotFound)
}

func customersSiteConflict(t *testing.T, s ports.Store) {
	ctx := t.Context()
	put := func(tx ports.Tx, c domain.Customer) error { return tx.Customers().Put(ctx, c) }
	a := customer("A", "client-a", site(100, domain.BillTo))
	putAll(t, s, put, a)
	wantCode(t, "B taking A's bill-to site 100", s.Update(ctx, func(tx ports.Tx) error {
		return put(tx, customer("B", "client-b", site(100, domain.BillTo)))
	}), domain.CodeConflict)

	// The same id with another use is another site; putting A again is no conflict.
	putAll(t, s, put, customer("B", "client-b", site(100, domain.ShipTo)), a)

	// Once A gives the site up, B may take it.
	putAll(t, s, put, customer("A", "client-a"), customer("B", "client-b", site(100, domain.BillTo), site(100, domain.ShipTo)))
	got := read(t, s, func(tx ports.Tx) (domain.Customer, error) { return tx.Customers().BySite(ctx, 100, domain.BillTo) })
	if got.ID != "B" {
		t.Errorf("BySite(100, BILL_TO) = %q, want B", got.ID)
	}
}

func catalogParts(t *testing.T, s ports.Store) {
	ctx := t.Context()
	put := func(tx ports.Tx, p domain.Part) error { return tx.Catalog().PutPart(ctx, p) }
	a, b := part("88213-10"), part("77000-12")
	putAll(t, s, put, a, b)
	same(t, "Part(88213-10)", a, read(t, s, func(tx ports.Tx) (domain.Part, error) { return tx.Catalog().Part(ctx, "88213-10") }))
	same(t, "Parts(), by number", []domain.Part{b, a}, read(t, s, func(tx ports.Tx) ([]domain.Part, error) { return tx.Catalog().Parts(ctx) }))
	wantCode(t, "Part(99999)", s.View(ctx, func(tx ports.Tx) error { return errOf(tx.Catalog().Part(ctx, "99999")) }), domain.CodeNotFound)

	b.Description, b.Models, b.Trial = "replaced", nil, true
	putAll(t, s, put, b)
	same(t, "Parts() after a replacement", []domain.Part{b, a}, read(t, s, func(tx ports.Tx) ([]domain.Part, error) { return tx.Catalog().Parts(ctx) }))
}

func catalogModels(t *testing.T, s ports.Store) {
	ctx := t.Context()
	put := func(tx ports.Tx, m domain.Model) error { return tx.Catalog().PutModel(ctx, m) }
	r12, r10 := model("Trimble", "R12"), model("Trimble", "R10")
	sp85, ag := model("Spectra", "SP85"), model("Ag Leader", "R12")
	putAll(t, s, put, r12, sp85, ag, r10)
	get := func(manufacturer, name string) (domain.Model, error) {
		var m domain.Model
		err := s.View(ctx, func(tx ports.Tx) (err error) {
			m, err = tx.Catalog().Model(ctx, manufacturer, name)
			return err
		})
		return m, err
	}

	m, err := get("trimble", "r12")
	same(t, `Model("trimble", "r12")`, r12, m)
	wantCode(t, `Model("trimble", "r12")`, err, "")
	m, err = get("", "sp85")
	same(t, `Model("", "sp85")`, sp85, m)
	wantCode(t, `Model("", "sp85")`, err, "")
	if m, err := get("", "R12"); err != nil || m.Name != "R12" || (m.Manufacturer != "Trimble" && m.Manufacturer != "Ag Leader") {
		t.Errorf(`Model("", "R12") = %+v, %v; want an R12 of Trimble or Ag Leader`, m, err)
	}
	wantCode(t, `Model("Spectra", "R12")`, errOf(get("Spectra", "R12")), domain.CodeNotFound)
	wantCode(t, `Model("", "R99")`, errOf(get("", "R99")), domain.CodeNotFound)
	models := func() []domain.Model {
		t.Helper()
		return read(t, s, func(tx ports.Tx) ([]domain.Model, error) { return tx.Catalog().Models(ctx) })
	}
	same(t, "Models(), by manufacturer then name", []domain.Model{ag, sp85, r10, r12}, models())

	// Another spelling of the same manufacturer and name replaces the model.
	putAll(t, s, put, domain.Model{Manufacturer: "TRIMBLE", Name: "r12"})
	if n := len(models()); n != 4 {
		t.Errorf("Models() has %d models after replacing one, want 4", n)
	}
	if m, err := get("Trimble", "R12"); err != nil || m.Agriculture || m.SerialPattern != "" {
		t.Errorf(`Model("Trimble", "R12") after replacing it = %+v, %v; want the replacement`, m, err)
	}
}

func catalogPriceLists(t *testing.T, s ports.Store) {
	ctx := t.Context()
	put := func(tx ports.Tx, l domain.PriceList) error { return tx.Catalog().PutPriceList(ctx, l) }
	usd, eur := priceList("PL-USD", "US", "CA"), priceList("PL-EUR", "DE", "FR")
	putAll(t, s, put, usd, eur)
	same(t, "PriceList(PL-EUR)", eur, read(t, s, func(tx ports.Tx) (domain.PriceList, error) { return tx.Catalog().PriceList(ctx, "PL-EUR") }))
	forCountry := func(c string) domain.PriceList {
		t.Helper()
		return read(t, s, func(tx ports.Tx) (domain.PriceList, error) { return tx.Catalog().PriceListForCountry(ctx, c) })
	}
	same(t, "PriceListForCountry(CA)", usd, forCountry("CA"))
	wantCode(t, "PriceList(PL-NONE)", s.View(ctx, func(tx ports.Tx) error { return errOf(tx.Catalog().PriceList(ctx, "PL-NONE")) }), domain.CodeNotFound)
	wantCode(t, "PriceListForCountry(JP)", s.View(ctx, func(tx ports.Tx) error {
		return errOf(tx.Catalog().PriceListForCountry(ctx, "JP"))
	}), domain.CodeNotFound)

	// A country has one list: a second claim is refused until the first is given up.
	wantCode(t, "a second list for FR", s.Update(ctx, func(tx ports.Tx) error { return put(tx, priceList("PL-NEW", "FR")) }), domain.CodeConflict)
	putAll(t, s, put, priceList("PL-EUR", "DE"), priceList("PL-NEW", "FR"))
	if got := forCountry("FR"); got.ID != "PL-NEW" {
		t.Errorf("PriceListForCountry(FR) = %q, want PL-NEW", got.ID)
	}
}

func catalogPromosAndCoupons(t *testing.T, s ports.Store) {
	ctx := t.Context()
	p := promo(t, "SPRING10")
	update(t, s, func(tx ports.Tx) error {
		return cmp.Or(tx.Catalog().PutPromo(ctx, p), tx.Catalog().PutCoupon(ctx, domain.Coupon{Number: "C-1", PartNumber: "88213-10"}))
	})
	same(t, "Promo(spring10)", p, read(t, s, func(tx ports.Tx) (domain.PromoCode, error) { return tx.Catalog().Promo(ctx, "spring10") }))
	wantCode(t, "Promo(WINTER)", s.View(ctx, func(tx ports.Tx) error { return errOf(tx.Catalog().Promo(ctx, "WINTER")) }), domain.CodeNotFound)
	coupon := func() domain.Coupon {
		t.Helper()
		return read(t, s, func(tx ports.Tx) (domain.Coupon, error) { return tx.Catalog().Coupon(ctx, "C-1") })
	}
	same(t, "Coupon(C-1)", domain.Coupon{Number: "C-1", PartNumber: "88213-10"}, coupon())
	wantCode(t, "Coupon(C-404)", s.View(ctx, func(tx ports.Tx) error { return errOf(tx.Catalog().Coupon(ctx, "C-404")) }), domain.CodeNotFound)

	update(t, s, func(tx ports.Tx) error { return tx.Catalog().RedeemCoupon(ctx, "C-1") })
	if !coupon().Redeemed {
		t.Error("Coupon(C-1) is not redeemed after RedeemCoupon")
	}
	wantCode(t, "RedeemCoupon(C-1) again", s.Update(ctx, func(tx ports.Tx) error { return tx.Catalog().RedeemCoupon(ctx, "C-1") }), domain.CodeConflict)
	wantCode(t, "RedeemCoupon(C-404)", s.Update(ctx, func(tx ports.Tx) error { return tx.Catalog().RedeemCoupon(ctx, "C-404") }), domain.CodeNotFound)
}

// devicesSerialCase is seed 001's example: "TESTApi01" is stored, a request
// says "TestAPI01", and the stored spelling is what comes back.
func devicesSerialCase(t *testing.T, s ports.Store) {
	ctx := t.Context()
	put := func(tx ports.Tx, d domain.Device) error { return tx.Devices().Put(ctx, d) }
	bySerial := func(serial string) domain.Device {
		t.Helper()
		return read(t, s, func(tx ports.Tx) (domain.Device, error) { return tx.Devices().BySerial(ctx, serial) })
	}
	stored := device("TESTApi01")
	putAll(t, s, put, stored, device("OTHER-1"))
	for _, spelling := range []string{"TESTApi01", "TestAPI01", "testapi01", "TESTAPI01"} {
		same(t, "BySerial("+spelling+")", stored, bySerial(spelling))
	}
	wantCode(t, "BySerial(TESTApi02)", s.View(ctx, func(tx ports.Tx) error { return errOf(tx.Devices().BySerial(ctx, "TESTApi02")) }), domain.CodeNotFound)

	// A later Put in another case updates the device and keeps the first spelling.
	later := device("testapi01")
	later.Model, later.SSOEmails = "R10", append(later.SSOEmails, "third@example.com")
	putAll(t, s, put, later)
	want := later
	want.Serial = "TESTApi01"
	same(t, "BySerial(TestAPI01) after a Put spelled testapi01", want, bySerial("TestAPI01"))
}

func subscriptionsRoundTrip(t *testing.T, s ports.Store) {
	ctx := t.Context()
	put := func(tx ports.Tx, sub domain.Subscription) error { return tx.Subscriptions().Put(ctx, sub) }
	old := subscription(t, "S0", "TESTAPI01", rangePoint, "2024-01-01", "2024-12-31")
	s1 := subscription(t, "S1", "testapi01", rangePoint, "2025-04-24", "2026-04-23")
	s2 := subscription(t, "S2", "TESTApi01", centerPoint, "2025-04-24", "2026-04-23")
	s1.OrderID, s1.Line, s2.OrderID, s2.Line = 7, 2, 7, 1
	putAll(t, s, put, s2, s1, old, subscription(t, "S3", "OTHER-1", centerPoint, "2025-01-01", "2025-12-31"))

	bySerial := func(serial string) domain.Timeline {
		t.Helper()
		return read(t, s, func(tx ports.Tx) (domain.Timeline, error) { return tx.Subscriptions().BySerial(ctx, serial) })
	}
	byOrder := func(id int64) []domain.Subscription {
		t.Helper()
		return read(t, s, func(tx ports.Tx) ([]domain.Subscription, error) { return tx.Subscriptions().ByOrder(ctx, id) })
	}
	same(t, "BySerial(TestAPI01), by start then id, each in its stored spelling", domain.Timeline{old, s1, s2}, bySerial("TestAPI01"))
	same(t, "BySerial(NONE)", domain.Timeline{}, bySerial("NONE"))
	same(t, "ByOrder(7), by line", []domain.Subscription{s2, s1}, byOrder(7))
	same(t, "ByOrder(8)", []domain.Subscription{}, byOrder(8))

	// Replacing by id may change anything, the serial and the order included.
	s2.Serial, s2.OrderID, s2.Ended = "OTHER-1", 8, domain.Canceled
	putAll(t, s, put, s2)
	same(t, "BySerial(TestAPI01) after S2 moved", domain.Timeline{old, s1}, bySerial("TestAPI01"))
	if got := bySerial("other-1"); len(got) != 2 || got[1].ID != "S2" || got[1].Ended != domain.Canceled {
		t.Errorf("BySerial(other-1) after S2 moved = %+v, want S3 then the cancelled S2", got)
	}
	same(t, "ByOrder(7) after S2 moved", []domain.Subscription{s1}, byOrder(7))
	same(t, "ByOrder(8) after S2 moved", []domain.Subscription{s2}, byOrder(8))
}

func subscriptionsNoOverlap(t *testing.T, s ports.Store) {
	ctx := t.Context()
	first := subscription(t, "S1", "TESTApi01", centerPoint, "2025-01-01", "2025-12-31")
	update(t, s, func(tx ports.Tx) error { return tx.Subscriptions().Put(ctx, first) })
	cancelled := subscription(t, "S4", "TESTApi01", centerPoint, "2025-06-01", "2026-05-31")
	cancelled.Ended = domain.Canceled
	for _, c := range []struct {
		name string
		sub  domain.Subscription
		want domain.Code
	}{
		{"one common day, serial in another case", subscription(t, "S2", "testapi01", centerPoint, "2025-12-31", "2026-06-30"), domain.CodeConflict},
		{"inside the first", subscription(t, "S2", "TESTApi01", centerPoint, "2025-03-01", "2025-03-31"), domain.CodeConflict},
		{"the day after the first ends", subscription(t, "S3", "TESTApi01", centerPoint, "2026-01-01", "2026-12-31"), ""},
		{"cancelled", cancelled, ""},
		{"another product line", subscription(t, "S5", "TESTApi01", rangePoint, "2025-01-01", "2025-12-31"), ""},
		{"another serial", subscription(t, "S6", "TESTApi02", centerPoint, "2025-01-01", "2025-12-31"), ""},
		{"the first replaced by a shorter self", subscription(t, "S1", "TESTApi01", centerPoint, "2025-01-01", "2025-11-30"), ""},
		{"the first stretched into S3", subscription(t, "S1", "TESTApi01", centerPoint, "2025-01-01", "2026-01-01"), domain.CodeConflict},
		{"the cancelled one made live again", func() domain.Subscription { c := cancelled; c.Ended = ""; return c }(), domain.CodeConflict},
	} {
		err := s.Update(ctx, func(tx ports.Tx) error { return tx.Subscriptions().Put(ctx, c.sub) })
		wantCode(t, "Put: "+c.name, err, c.want)
	}
	tl := read(t, s, func(tx ports.Tx) (domain.Timeline, error) { return tx.Subscriptions().BySerial(ctx, "TESTApi01") })
	if a, b := tl.Overlapping(); a != nil {
		t.Errorf("the stored timeline has overlapping %s and %s", a.ID, b.ID)
	}
}

func trialsOnce(t *testing.T, s ports.Store) {
	ctx := t.Context()
	record := func(g domain.TrialGrant) error {
		return s.Update(ctx, func(tx ports.Tx) error { return tx.Trials().Record(ctx, g) })
	}
	bySerial := func(serial string) []domain.TrialGrant {
		t.Helper()
		gs := read(t, s, func(tx ports.Tx) ([]domain.TrialGrant, error) { return tx.Trials().BySerial(ctx, serial) })
		slices.SortFunc(gs, func(a, b domain.TrialGrant) int { return cmp.Compare(a.ProductLine, b.ProductLine) })
		return gs
	}
	center, rng := grant("TESTApi01", centerPoint), grant("TESTApi01", rangePoint)
	wantCode(t, "the first grant", record(center), "")
	same(t, "BySerial(testapi01)", []domain.TrialGrant{center}, bySerial("testapi01"))
	wantCode(t, "a second grant of the line, serial in another case", record(grant("testAPI01", centerPoint)), domain.CodeConflict)
	wantCode(t, "a grant of another line", record(rng), "")
	same(t, "BySerial(TestAPI01)", []domain.TrialGrant{center, rng}, bySerial("TestAPI01"))
	same(t, "BySerial(OTHER-1)", []domain.TrialGrant{}, bySerial("OTHER-1"))
}

func activationsOldestFirst(t *testing.T, s ports.Store) {
	ctx := t.Context()
	put := func(tx ports.Tx, a domain.Activation) error { return tx.Activations().Put(ctx, a) }
	a1 := activation(t, "A1", "TESTApi01", stamp().Add(2*time.Hour))
	a2 := activation(t, "A2", "testapi01", stamp())
	a3 := activation(t, "A3", "TESTAPI01", stamp().Add(time.Hour))
	putAll(t, s, put, a1, a2, a3, activation(t, "A4", "OTHER-1", stamp()))
	bySerial := func() []domain.Activation {
		t.Helper()
		return read(t, s, func(tx ports.Tx) ([]domain.Activation, error) { return tx.Activations().BySerial(ctx, "TestAPI01") })
	}
	same(t, "BySerial(TestAPI01), oldest first", []domain.Activation{a2, a3, a1}, bySerial())

	a1.RequestedAt, a1.RequestType = stamp().Add(-time.Hour), "RESEND"
	putAll(t, s, put, a1)
	same(t, "BySerial(TestAPI01) after A1 was replaced", []domain.Activation{a1, a2, a3}, bySerial())
}

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

// ordersImported: an order that comes with its numbers (a past order of
// the data file) keeps them; a number another order has is CodeConflict and
// one not below domain.FirstUniqueID or domain.FirstOrderNumber is
// CodeInvalid, both leaving the store as it was; the store still numbers
// the first order it numbers itself domain.FirstUniqueID and
// domain.FirstOrderNumber, and lists an imported order as older.
func ordersImported(t *testing.T, s ports.Store) {
	ctx := t.Context()
	past := order(t, "client-a", "PO-1", domain.OrderSuccess, "X1")
	past.UniqueID, past.OrderNumber = 9917, 2298113
	create(t, s, past)
	if past.UniqueID != 9917 || past.OrderNumber != 2298113 {
		t.Errorf("the imported order was renumbered %d, %d", past.UniqueID, past.OrderNumber)
	}
	same(t, "Get(imported)", *past, read(t, s, func(tx ports.Tx) (domain.Order, error) { return tx.Orders().Get(ctx, 9917) }))
	same(t, "ByOrderNumber(imported)", *past, read(t, s, func(tx ports.Tx) (domain.Order, error) {
		return tx.Orders().ByOrderNumber(ctx, 2298113)
	}))
	for _, c := range []struct {
		what       string
		id, number int64
		code       domain.Code
	}{
		{"a uniqueID taken", 9917, 2298114, domain.CodeConflict},
		{"an orderNumber taken", 9918, 2298113, domain.CodeConflict},
		{"a uniqueID the store gives", domain.FirstUniqueID, 2298115, domain.CodeInvalid},
		{"an orderNumber the store gives", 9919, domain.FirstOrderNumber, domain.CodeInvalid},
		{"a uniqueID without its orderNumber", 9920, 0, domain.CodeInvalid},
		{"a negative uniqueID", -1, 2298116, domain.CodeInvalid},
	} {
		o := order(t, "client-a", "PO-2", domain.OrderSuccess, "X2")
		o.UniqueID, o.OrderNumber = c.id, c.number
		wantCode(t, c.what, s.Update(ctx, func(tx ports.Tx) error { return tx.Orders().Create(ctx, o) }), c.code)
	}
	next := order(t, "client-a", "PO-3", domain.OrderSuccess, "X3")
	create(t, s, next)
	if next.UniqueID != domain.FirstUniqueID || next.OrderNumber != domain.FirstOrderNumber {
		t.Errorf("the first order the store numbered got %d, %d; want %d, %d", next.UniqueID, next.OrderNumber,
			domain.FirstUniqueID, domain.FirstOrderNumber)
	}
	all := read(t, s, func(tx ports.Tx) ([]domain.Order, error) {
		return tx.Orders().Find(ctx, domain.OrderQuery{ClientID: "client-a"})
	})
	if len(all) != 2 || all[0].UniqueID != next.UniqueID || all[1].UniqueID != past.UniqueID {
		t.Errorf("Find lists %d orders, want the numbered one then the imported one: %+v", len(all), all)
	}
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

func ordersPending(t *testing.T, s ports.Store) {
	ctx := t.Context()
	a := order(t, "client-a", "PO-1", domain.OrderInProgress, "SER-A", "SER-B")
	b := order(t, "client-a", "PO-2", domain.OrderSuccess, "SER-C")
	c := order(t, "client-b", "PO-3", domain.OrderInProgress, "SER-D")
	update(t, s, func(tx ports.Tx) error {
		for _, o := range []*domain.Order{a, b, c} {
			if err := tx.Orders().Create(ctx, o); err != nil {
				return err
			}
		}
		return nil
	})
	pending := read(t, s, func(tx ports.Tx) ([]int64, error) { return tx.Orders().Pending(ctx) })
	same(t, "pending orders", []int64{a.UniqueID, c.UniqueID}, pending)
	update(t, s, func(tx ports.Tx) error { return tx.Orders().SetStatus(ctx, a.UniqueID, domain.OrderSuccess, "") })
	pending = read(t, s, func(tx ports.Tx) ([]int64, error) { return tx.Orders().Pending(ctx) })
	same(t, "pending orders after one finished", []int64{c.UniqueID}, pending)
}

// invalidInput checks that writes a lookup could never find again, or that
// would break an invariant's arithmetic, are refused as CodeInvalid.
func invalidInput(t *testing.T, s ports.Store) {
	ctx := t.Context()
	o := order(t, "client-a", "PO-1", domain.OrderSuccess, "TESTApi01")
	create(t, s, o)
	badPattern := model("Trimble", "R12")
	badPattern.SerialPattern = "([0-9]"
	reversed := subscription(t, "S1", "TESTApi01", centerPoint, "2025-04-24", "2025-04-23")
	for _, w := range []step{
		{"Customers.Put without an id", func(ctx context.Context, tx ports.Tx) error { return tx.Customers().Put(ctx, customer("", "client-a")) }},
		{"Catalog.PutPart without a number", func(ctx context.Context, tx ports.Tx) error { return tx.Catalog().PutPart(ctx, part("")) }},
		{"Catalog.PutModel without a name", func(ctx context.Context, tx ports.Tx) error { return tx.Catalog().PutModel(ctx, model("Trimble", "")) }},
		{"Catalog.PutModel with a bad serial pattern", func(ctx context.Context, tx ports.Tx) error { return tx.Catalog().PutModel(ctx, badPattern) }},
		{"Catalog.PutPriceList without an id", func(ctx context.Context, tx ports.Tx) error {
			return tx.Catalog().PutPriceList(ctx, priceList("", "US"))
		}},
		{"Catalog.PutPromo without a code", func(ctx context.Context, tx ports.Tx) error { return tx.Catalog().PutPromo(ctx, promo(t, "")) }},
		{"Catalog.PutCoupon without a number", func(ctx context.Context, tx ports.Tx) error { return tx.Catalog().PutCoupon(ctx, domain.Coupon{}) }},
		{"Devices.Put without a serial", func(ctx context.Context, tx ports.Tx) error { return tx.Devices().Put(ctx, device("")) }},
		{"Subscriptions.Put without an id", func(ctx context.Context, tx ports.Tx) error {
			return tx.Subscriptions().Put(ctx, subscription(t, "", "TESTApi01", centerPoint, "2025-04-24", "2026-04-23"))
		}},
		{"Subscriptions.Put ending before it starts", func(ctx context.Context, tx ports.Tx) error { return tx.Subscriptions().Put(ctx, reversed) }},
		{"Trials.Record without a serial", func(ctx context.Context, tx ports.Tx) error { return tx.Trials().Record(ctx, grant("", centerPoint)) }},
		{"Activations.Put without an id", func(ctx context.Context, tx ports.Tx) error {
			return tx.Activations().Put(ctx, activation(t, "", "TESTApi01", stamp()))
		}},
		{"Orders.SetStatus to an unknown status", func(ctx context.Context, tx ports.Tx) error {
			return tx.Orders().SetStatus(ctx, o.UniqueID, "DONE", "")
		}},
		{"Orders.Create with an unknown status", func(ctx context.Context, tx ports.Tx) error {
			return tx.Orders().Create(ctx, order(t, "client-a", "PO-2", "DONE", "TESTApi02"))
		}},
	} {
		wantCode(t, w.name, s.Update(ctx, func(tx ports.Tx) error { return w.do(ctx, tx) }), domain.CodeInvalid)
	}
}
