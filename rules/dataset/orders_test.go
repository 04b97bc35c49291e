package dataset_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/dataset"
)

// pastWorld is what the past orders need in the store: a client, its
// reseller's sites, a part.
const pastWorld = `
clients:
  - {id: tap-client, secret: example-secret-change-me}
  - {id: other, secret: another-secret-change-me}
customers:
  - id: reseller-1
    clientId: tap-client
    name: Trimble Reseller Americas
    region: AMERICA
    sites:
      - {siteUseId: 531807, use: BILL_TO, address: "Westminster CO"}
      - {siteUseId: 1912956, use: SHIP_TO, address: "Sunnyvale CA"}
  - id: other-reseller
    clientId: other
    name: Someone Else
    region: EUROPE
    sites:
      - {siteUseId: 777001, use: BILL_TO, address: "Berlin"}
parts:
  - {partNumber: 132001-10, partDescription: "CenterPoint RTX 1 Year", serviceType: RTX, productLine: CENTERPOINT, duration: 1 YEAR}
  - {partNumber: CP-TRIAL-30, partDescription: "CenterPoint RTX 30 Day Trial", serviceType: RTX, productLine: CENTERPOINT, duration: 30 DAY, trial: true}
`

const pastOrders = `
orders:
  - uniqueID: 9917
    orderNumber: 2298113
    clientId: tap-client
    poNumber: PO-117
    currencyCode: USD
    billToSiteUseId: 531807
    shipToSiteUseId: 1912956
    createdAt: 2024-06-03T16:20:00Z
    lines:
      - {lineNumber: 1, serialNumber: "5512345678", partNumber: 132001-10, serviceStartDate: 2024-06-03}
      - {lineNumber: 2, serialNumber: "5512345679", partNumber: CP-TRIAL-30, kind: TRIAL, serviceStartDate: 2024-06-03}
  - uniqueID: 9918
    orderNumber: 2298114
    clientId: tap-client
    poNumber: PO-118
    currencyCode: USD
    billToSiteUseId: 531807
    status: ERROR
    createdAt: 2024-06-04T10:00:00Z
    lines:
      - {lineNumber: 1, serialNumber: "5512345670", partNumber: 132001-10, serviceStartDate: 2024-06-04}
`

// orderState is every order, subscription and trial a store holds for the
// serials of pastOrders, as one comparable text.
func orderState(t *testing.T, store ports.Store) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	err := store.View(ctx, func(tx ports.Tx) error {
		for _, id := range []int64{9917, 9918} {
			o, err := tx.Orders().Get(ctx, id)
			if domain.ErrorCode(err) == domain.CodeNotFound {
				fmt.Fprintf(&b, "no order %d\n", id)
				continue
			} else if err != nil {
				return err
			}
			fmt.Fprintf(&b, "order %+v\n", o)
			subs, err := tx.Subscriptions().ByOrder(ctx, id)
			if err != nil {
				return err
			}
			for _, s := range subs {
				fmt.Fprintf(&b, "subscription %+v\n", s)
			}
		}
		for _, serial := range []string{"5512345678", "5512345679", "5512345670"} {
			tl, err := tx.Subscriptions().BySerial(ctx, serial)
			if err != nil {
				return err
			}
			gs, err := tx.Trials().BySerial(ctx, serial)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "%s: %d subscriptions, trials %+v\n", serial, len(tl), gs)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func loadTexts(t *testing.T, store ports.Store, texts ...string) error {
	t.Helper()
	ds, err := dataset.Parse([]byte(strings.Join(texts, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ds.Load(context.Background(), store)
	return err
}

// TestPastOrdersLoad: a past order is stored with the TAP Store's numbers
// and its client; each line's subscription belongs to the order (so to its
// client); a trial line records the trial; an ERROR order grants nothing;
// loading again changes nothing, on every store.
func TestPastOrdersLoad(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(*testing.T) ports.Store) {
		store := open(t)
		if err := loadTexts(t, store, pastWorld, pastOrders); err != nil {
			t.Fatal(err)
		}
		first := orderState(t, store)
		for _, want := range []string{
			"UniqueID:9917 OrderNumber:2298113 ClientID:tap-client CustomerID:reseller-1 ShipToCustomerID:reseller-1 BillToCustomer:Trimble Reseller Americas",
			"ID:order-9917-line-1 Serial:5512345678 PartNumber:132001-10 ProductLine:CENTERPOINT Start:2024-06-03 End:2025-06-03 Kind:PAID Ended: AutoRenew:false OrderID:9917 Line:1",
			"ID:order-9917-line-2 Serial:5512345679 PartNumber:CP-TRIAL-30 ProductLine:CENTERPOINT Start:2024-06-03 End:2024-07-03 Kind:TRIAL",
			"5512345679: 1 subscriptions, trials [{SerialKey:5512345679 ProductLine:CENTERPOINT OrderID:9917",
			"UniqueID:9918 OrderNumber:2298114", "Status:ERROR",
			"5512345670: 0 subscriptions",
		} {
			if !strings.Contains(first, want) {
				t.Errorf("the store lacks %q:\n%s", want, first)
			}
		}
		if err := loadTexts(t, store, pastWorld, pastOrders); err != nil {
			t.Fatal(err)
		}
		if again := orderState(t, store); again != first {
			t.Errorf("loading again changed the store:\n%s\nwas\n%s", again, first)
		}
	})
}

// TestPastOrdersRefused: a bad past order names its field and leaves the
// store as it was, on every store: what Build sees in the file, and what
// only the store can tell (an unknown client, another client's site, an
// unknown part, numbers the store gave another order).
func TestPastOrdersRefused(t *testing.T) {
	order := func(fields, line string) string {
		return `
orders:
  - uniqueID: 9917
    orderNumber: 2298113
    clientId: tap-client
    poNumber: PO-117
    currencyCode: USD
    billToSiteUseId: 531807
    createdAt: 2024-06-03T16:20:00Z
    lines:
      - {lineNumber: 1, serialNumber: "5512345678", partNumber: 132001-10, serviceStartDate: 2024-06-03}
` + fields + `
      - ` + line + "\n"
	}
	for name, tc := range map[string]struct {
		data  string
		field []string
	}{
		"no serial": {order("", `{lineNumber: 2, partNumber: 132001-10, serviceStartDate: 2024-06-03}`), []string{"orders[0].lines[1].serialNumber"}},
		"a repeated line number": {order("", `{lineNumber: 1, serialNumber: "1", partNumber: 132001-10, serviceStartDate: 2024-06-03}`),
			[]string{"orders[0].lines[1].lineNumber"}},
		"an end before the start": {order("", `{lineNumber: 2, serialNumber: "1", partNumber: 132001-10, serviceStartDate: 2024-06-03, serviceEndDate: 2024-06-01}`),
			[]string{"orders[0].lines[1].serviceEndDate"}},
		"a bad kind and status": {order("", `{lineNumber: 2, serialNumber: "1", partNumber: 132001-10, serviceStartDate: 2024-06-03, kind: FREE, status: PAUSED}`),
			[]string{"orders[0].lines[1].kind", "orders[0].lines[1].status"}},
		"an unknown part": {order("", `{lineNumber: 2, serialNumber: "1", partNumber: NOPE, serviceStartDate: 2024-06-03}`),
			[]string{"orders[0].lines[1].partNumber"}},
		"an overlapping subscription": {order("", `{lineNumber: 2, serialNumber: "5512345678", partNumber: 132001-10, serviceStartDate: 2024-09-03}`),
			[]string{"orders[0].lines[1].serviceStartDate"}},
		"numbers entitle gives": {strings.Replace(strings.Replace(order("", `{lineNumber: 2, serialNumber: "1", partNumber: 132001-10, serviceStartDate: 2024-06-03}`),
			"9917", "13331", 1), "2298113", "2342342", 1), []string{"orders[0].uniqueID", "orders[0].orderNumber"}},
		"the header": {`
orders:
  - {uniqueID: 9917, orderNumber: 2298113, status: IN_PROGRESS, currencyCode: XX, lines: []}
`, []string{"orders[0].clientId", "orders[0].poNumber", "orders[0].currencyCode", "orders[0].billToSiteUseId",
			"orders[0].createdAt", "orders[0].status", "orders[0].lines"}},
		"an unknown client": {strings.Replace(order("", `{lineNumber: 2, serialNumber: "1", partNumber: 132001-10, serviceStartDate: 2024-06-03}`),
			"clientId: tap-client", "clientId: nobody", 1), []string{"orders[0].clientId"}},
		"another client's site": {strings.Replace(order("", `{lineNumber: 2, serialNumber: "1", partNumber: 132001-10, serviceStartDate: 2024-06-03}`),
			"billToSiteUseId: 531807", "billToSiteUseId: 777001", 1), []string{"orders[0].billToSiteUseId"}},
		"a ship-to that is a bill-to": {strings.Replace(order("", `{lineNumber: 2, serialNumber: "1", partNumber: 132001-10, serviceStartDate: 2024-06-03}`),
			"billToSiteUseId: 531807", "billToSiteUseId: 531807\n    shipToSiteUseId: 531807", 1), []string{"orders[0].shipToSiteUseId"}},
		"a repeated uniqueID": {pastOrders + "  - {uniqueID: 9917, orderNumber: 2298119, clientId: tap-client, poNumber: X, currencyCode: USD, billToSiteUseId: 531807, createdAt: 2024-07-01T00:00:00Z, lines: [{lineNumber: 1, serialNumber: a, partNumber: 132001-10, serviceStartDate: 2024-07-01}]}\n",
			[]string{"orders[2].uniqueID"}},
	} {
		t.Run(name, func(t *testing.T) {
			eachStore(t, func(t *testing.T, open func(*testing.T) ports.Store) {
				store := open(t)
				if err := loadTexts(t, store, pastWorld); err != nil {
					t.Fatal(err)
				}
				before := orderState(t, store)
				err := loadTexts(t, store, pastWorld, tc.data)
				var de *domain.Error
				if !errors.As(err, &de) || de.Code != domain.CodeInvalid {
					t.Fatalf("loaded: %v, want CodeInvalid", err)
				}
				var fields []string
				for _, v := range de.Violations {
					fields = append(fields, v.Field)
				}
				for _, f := range tc.field {
					if !slices.Contains(fields, f) {
						t.Errorf("no problem names %s: %v", f, de.Violations)
					}
				}
				if after := orderState(t, store); after != before {
					t.Errorf("a refused file changed the store:\n%s\nwas\n%s", after, before)
				}
			})
		})
	}
}

// TestPastOrderNumbersTaken: a past order whose numbers the store already
// gave another client's order is refused, naming the field.
func TestPastOrderNumbersTaken(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(*testing.T) ports.Store) {
		store := open(t)
		if err := loadTexts(t, store, pastWorld, pastOrders); err != nil {
			t.Fatal(err)
		}
		before := orderState(t, store)
		moved := strings.Replace(strings.Replace(pastOrders, "clientId: tap-client", "clientId: other", 1), "billToSiteUseId: 531807", "billToSiteUseId: 777001", 1)
		err := loadTexts(t, store, pastWorld, moved)
		var de *domain.Error
		if !errors.As(err, &de) || len(de.Violations) == 0 || de.Violations[0].Field != "orders[0].uniqueID" {
			t.Fatalf("loaded: %v, want a problem on orders[0].uniqueID", err)
		}
		renumbered := strings.Replace(pastOrders, "uniqueID: 9917", "uniqueID: 9919", 1)
		err = loadTexts(t, store, pastWorld, renumbered)
		if !errors.As(err, &de) || len(de.Violations) == 0 || de.Violations[0].Field != "orders[0].orderNumber" {
			t.Fatalf("loaded: %v, want a problem on orders[0].orderNumber", err)
		}
		if after := orderState(t, store); after != before {
			t.Errorf("a refused file changed the store:\n%s\nwas\n%s", after, before)
		}
	})
}

// FuzzPastOrders: whatever a file of orders alone holds, Build never panics
// and reports its problems as CodeInvalid, each under orders[...].
func FuzzPastOrders(f *testing.F) {
	f.Add(pastOrders)
	f.Add("orders:\n  - {uniqueID: 1, orderNumber: 1, lines: [{lineNumber: 0}]}\n")
	f.Add("orders:\n  - {uniqueID: -5, orderNumber: 99999999999, createdAt: 2024-01-01T00:00:00Z, lines: [{lineNumber: 1, serviceStartDate: 2024-01-02, serviceEndDate: 2024-01-01}]}\n")
	f.Fuzz(func(t *testing.T, text string) {
		ds, err := dataset.Parse([]byte(text))
		if err != nil {
			return
		}
		ds.Clients, ds.Customers, ds.Parts = nil, nil, nil
		_, err = ds.Build()
		var de *domain.Error
		if err != nil {
			if !errors.As(err, &de) || de.Code != domain.CodeInvalid {
				t.Fatalf("Build: %v, want CodeInvalid", err)
			}
			for _, v := range de.Violations {
				if !strings.HasPrefix(v.Field, "orders[") && len(ds.Orders) > 0 && onlyOrders(ds) {
					t.Errorf("a problem outside orders: %s: %s", v.Field, v.Message)
				}
			}
		}
	})
}

// onlyOrders reports whether the file holds nothing but orders.
func onlyOrders(ds *dataset.Dataset) bool {
	only := *ds
	only.Orders = nil
	return fmt.Sprintf("%+v", only) == fmt.Sprintf("%+v", dataset.Dataset{})
}
