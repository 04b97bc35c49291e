package orders_test

import (
	"fmt"
	"io/fs"
	"maps"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/dataset"
	"github.com/entitle-rules/entitle/rules/orders"
	"github.com/entitle-rules/entitle/rulesets"
)

// benchNow is 2025-04-24 10:00 PDT.
var benchNow = time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)

// benchWorld is the store an order benchmark decides against: one reseller,
// a price list, RTX and VRS parts, models, and for every serial the order
// names a history of three subscriptions (an expired paid one of the same
// product line, an active one the order renews, and an expired one of
// another line), so each line does the history scans a real renewal does.
func benchWorld(tb testing.TB, lines int) *dataset.World {
	tb.Helper()
	ds := dataset.Dataset{
		Customers: []dataset.CustomerData{{
			ID: "r1", ClientID: "c1", Name: "Bench Reseller", Region: "AMERICA", Country: "US",
			Sites: []dataset.SiteData{{SiteUseID: 531807, Use: "BILL_TO", Address: "a"}, {SiteUseID: 1912956, Use: "SHIP_TO", Address: "b"}},
		}},
		PriceLists: []dataset.PriceListData{{ID: "usd", Currency: "USD", Countries: []string{"US"}, Items: []dataset.PriceItemData{
			{PartNumber: "132001-10", ListPrice: "1500.00"}, {PartNumber: "VRS-1Y", ListPrice: "1000.00"}, {PartNumber: "RP-1Y", ListPrice: "700.00"},
		}}},
		Parts: []dataset.PartData{
			{PartNumber: "132001-10", Description: "CenterPoint RTX 1 Year", ServiceType: "RTX", ProductLine: "CENTERPOINT", Duration: "1 YEAR", Models: []string{"R12", "R2"}},
			{PartNumber: "RP-1Y", Description: "RangePoint RTX 1 Year", ServiceType: "RTX", ProductLine: "RANGEPOINT", Duration: "1 YEAR"},
			{PartNumber: "VRS-1Y", Description: "VRS Now 1 Year", ServiceType: "VRS", ProductLine: "VRS NOW", Duration: "1 YEAR", Regions: []string{"R.GB.SBB(United Kingdom SBB)"}},
		},
		Models: []dataset.ModelData{{Manufacturer: "Trimble", Model: "R12", SerialPattern: "[0-9]{10}"}, {Manufacturer: "Trimble", Model: "R2", SerialPattern: "[0-9]{10}"}},
	}
	for i := 0; i < lines; i++ {
		serial, part := benchSerial(i)
		if i%2 == 1 {
			ds.Devices = append(ds.Devices, dataset.DeviceData{SerialNumber: serial, ServiceType: "VRS", SSOEmails: []string{"user@example.com"}})
		}
		ds.Subscriptions = append(ds.Subscriptions,
			dataset.SubscriptionData{SerialNumber: serial, PartNumber: part, Start: date(tb, "2022-06-01"), End: date(tb, "2023-06-01")},
			dataset.SubscriptionData{SerialNumber: serial, PartNumber: part, Start: date(tb, "2024-06-01"), End: date(tb, "2025-06-01")},
			dataset.SubscriptionData{SerialNumber: serial, PartNumber: "RP-1Y", Start: date(tb, "2021-01-01"), End: date(tb, "2022-01-01")},
		)
	}
	w, err := ds.Build()
	if err != nil {
		tb.Fatal(err)
	}
	return w
}

// benchSerial returns the serial and part of line i: even lines RTX, odd VRS.
func benchSerial(i int) (serial, part string) {
	if i%2 == 0 {
		return fmt.Sprintf("%010d", 5550000000+i), "132001-10"
	}
	return fmt.Sprintf("VRS%04d", i), "VRS-1Y"
}

// benchOrder returns an accepted order of n lines, alternating RTX renewals
// and VRS renewals with SIM and carrier.
func benchOrder(n int) domain.OrderRequest {
	req := domain.OrderRequest{
		CustomerPONumber: "PO300424", CurrencyCode: "USD", BillToSiteUseID: 531807, ShipToSiteUseID: 1912956,
		BillToContactEmail: "test123@gmail.com", ShipToContactEmail: "test456@gmail.com",
	}
	start, _ := domain.ParseDate("2025-04-24")
	for i := 0; i < n; i++ {
		serial, part := benchSerial(i)
		l := domain.LineRequest{LineNumber: i + 1, ServiceStartDate: start, PartNumber: part, SerialNumber: serial,
			AutoRenewal: "Y", ActivationType: "IMMEDIATE"}
		if i%2 == 0 {
			l.ServiceType, l.ManufacturerModel = "RTX", "R12"
		} else {
			l.ServiceType, l.GeoFenceRegion, l.DeviceKey = "VRS", "R.GB.SBB(United Kingdom SBB)", "VRS4567"
			l.SSOUserEmailAddress, l.SimNumber, l.CarrierName = "test123@gmail.com", "8001002000145236", "Telekom M2M"
		}
		req.Lines = append(req.Lines, l)
	}
	return req
}

func date(tb testing.TB, s string) domain.Date {
	tb.Helper()
	d, err := domain.ParseDate(s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func loadShipped(tb testing.TB) *rules.Set {
	tb.Helper()
	set, err := orders.Language().Load(rulesets.FS)
	if err != nil {
		tb.Fatal(err)
	}
	return set
}

// TestBenchOrderIsAccepted keeps the benchmark honest: it decides an order
// that passes every rule, renewing each serial, so no rule is skipped by an
// early refusal.
func TestBenchOrderIsAccepted(t *testing.T) {
	set := loadShipped(t)
	for _, n := range []int{1, 20} {
		req := benchOrder(n)
		d := orders.Decide(set, snapshotOf(t, benchWorld(t, n), benchNow, "c1", &req), &req)
		if !d.Allowed {
			t.Fatalf("%d lines: refused: %v", n, d.Violations)
		}
		for i, l := range d.Lines {
			if got := l.ServiceStartDate.String(); got != "2025-06-02" {
				t.Errorf("%d lines: line %d starts %s, want the renewal start 2025-06-02", n, i, got)
			}
		}
	}
}

// BenchmarkDecideOrder decides an order of 1 and of 20 lines with the
// shipped rulesets from an in-memory snapshot.
func BenchmarkDecideOrder(b *testing.B) {
	set := loadShipped(b)
	for _, n := range []int{1, 20} {
		req := benchOrder(n)
		snap := snapshotOf(b, benchWorld(b, n), benchNow, "c1", &req)
		b.Run(fmt.Sprintf("lines=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			defer threadCPU(b)()
			for b.Loop() {
				d := orders.Decide(set, snap, &req)
				if !d.Allowed {
					b.Fatal(d.Violations)
				}
			}
		})
	}
}

// BenchmarkLoadRulesets loads and compiles every shipped rule file.
func BenchmarkLoadRulesets(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := orders.Language().Load(rulesets.FS); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInapplicableRules decides the 20-line order with the shipped rules
// and with 200 more rules that cannot apply to any of its lines (100 about a
// service type no line has, 100 about trial parts when none is ordered, as a
// rule file groups them), as sub-benchmarks of one run: the budget is under
// 10% more.
func BenchmarkInapplicableRules(b *testing.B) {
	files := fstest.MapFS{}
	shipped, err := fs.Glob(rulesets.FS, "*.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range shipped {
		data, err := fs.ReadFile(rulesets.FS, name)
		if err != nil {
			b.Fatal(err)
		}
		files[name] = &fstest.MapFile{Data: data}
	}
	var extra strings.Builder
	extra.WriteString("ruleset: inapplicable\nrules:\n")
	for i := range 200 {
		guard := `line.serviceType == "GPS"`
		if i >= 100 {
			guard = "part.trial"
		}
		fmt.Fprintf(&extra, "  - id: never.%d\n    scope: line\n    when: %s and line.lineNumber == %d\n    deny: {code: NEVER, message: never}\n", i, guard, i)
	}
	withExtra := maps.Clone(files)
	withExtra["90-inapplicable.yaml"] = &fstest.MapFile{Data: []byte(extra.String())}
	req := benchOrder(20)
	snap := snapshotOf(b, benchWorld(b, 20), benchNow, "c1", &req)
	for _, tc := range []struct {
		name  string
		files fstest.MapFS
	}{{"rules=shipped", files}, {"rules=shipped+200", withExtra}} {
		set, err := orders.Language().Load(tc.files)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if d := orders.Decide(set, snap, &req); !d.Allowed {
					b.Fatal(d.Violations)
				}
			}
		})
	}
}

// BenchmarkHistory decides the 20-line order when every serial has 1 prior
// subscription (the active one the order renews) and when it has 100 (99
// expired monthly ones of the same line before it), as sub-benchmarks of one
// run: the budget is at most 2x.
func BenchmarkHistory(b *testing.B) {
	for _, prior := range []int{1, 100} {
		w := benchWorld(b, 20)
		kept := w.Subscriptions[:0]
		for _, s := range w.Subscriptions {
			if s.Start == date(b, "2024-06-01") {
				kept = append(kept, s) // the active one
			}
		}
		w.Subscriptions = kept
		for i := range 20 {
			serial, part := benchSerial(i)
			p := partOf(w, part)
			for j := range prior - 1 {
				start := date(b, "2014-01-01").AddMonths(j)
				w.Subscriptions = append(w.Subscriptions, domain.Subscription{
					ID: fmt.Sprintf("h-%d-%d", i, j), Serial: serial, PartNumber: part, ProductLine: p.ProductLine,
					Start: start, End: start.AddMonths(1).AddDays(-1), Kind: domain.Paid, Activated: true,
				})
			}
		}
		req := benchOrder(20)
		snap := snapshotOf(b, w, benchNow, "c1", &req)
		set := loadShipped(b)
		b.Run(fmt.Sprintf("prior=%d", prior), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if d := orders.Decide(set, snap, &req); !d.Allowed {
					b.Fatal(d.Violations)
				}
			}
		})
	}
}

func partOf(w *dataset.World, number string) *domain.Part {
	for i := range w.Parts {
		if w.Parts[i].Number == number {
			return &w.Parts[i]
		}
	}
	return nil
}
