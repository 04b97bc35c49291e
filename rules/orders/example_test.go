package orders_test

import (
	"context"
	"fmt"
	"time"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/dataset"
	"github.com/entitle-rules/entitle/rules/orders"
	"github.com/entitle-rules/entitle/rulesets"
)

// Embedding entitle: compile the shipped rules in the store API's language,
// open a store, load a data set, build the orders service, create seed 001's
// sample order as a TAP client and read it back.
func Example() {
	ctx := context.Background()
	lang, err := rules.NewLanguage(orders.Scopes()...)
	if err != nil {
		fmt.Println(err)
		return
	}
	set, err := lang.Load(rulesets.FS)
	if err != nil {
		fmt.Println(err)
		return
	}
	store := memory.New()
	defer store.Close()
	n := 0
	svc, err := orders.New(orders.Options{
		Store: store,
		Rules: set,
		// 2025-04-24 10:00 PDT; a service would pass ports.ClockFunc(time.Now).
		Clock: ports.ClockFunc(func() time.Time { return time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC) }),
		IDs:   ports.IDsFunc(func() string { n++; return fmt.Sprintf("id-%d", n) }),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	data := &dataset.Dataset{
		Customers: []dataset.CustomerData{{ID: "reseller-1", ClientID: "tap-client", Name: "Trimble Reseller Americas",
			Region: "AMERICA", Country: "US", Sites: []dataset.SiteData{
				{SiteUseID: 531807, Use: "BILL_TO", Address: "Westminster CO"},
				{SiteUseID: 1912956, Use: "SHIP_TO", Address: "Sunnyvale CA"},
			}}},
		PriceLists: []dataset.PriceListData{{ID: "usd-na", Currency: "USD", Countries: []string{"US"},
			Items: []dataset.PriceItemData{{PartNumber: "132001-10", ListPrice: "1500.00"}}}},
		Parts: []dataset.PartData{{PartNumber: "132001-10", Description: "CenterPoint RTX 1 Year",
			ServiceType: "RTX", ProductLine: "CENTERPOINT", Duration: "1 YEAR"}},
		Models: []dataset.ModelData{{Manufacturer: "Trimble", Model: "R12", SerialPattern: "[0-9]{10}"}},
	}
	if _, err := data.Load(ctx, store); err != nil {
		fmt.Println(err)
		return
	}

	start, _ := domain.ParseDate("2025-04-24")
	client := domain.PartnerPrincipal("tap-client", domain.ClientCredentials)
	rc, err := svc.CreateOrder(ctx, client, domain.OrderRequest{
		CustomerPONumber: "PO300424", CurrencyCode: "USD", BillToSiteUseID: 531807, ShipToSiteUseID: 1912956,
		BillToContactEmail: "test123@gmail.com", ShipToContactEmail: "test456@gmail.com",
		Lines: []domain.LineRequest{{LineNumber: 1, ServiceStartDate: start, PartNumber: "132001-10",
			SerialNumber: "1234567890", ServiceType: "RTX", ManufacturerModel: "R12", AutoRenewal: "Y", ActivationType: "IMMEDIATE"}},
	})
	if err != nil {
		fmt.Println(err) // a *domain.Error listing every violation
		return
	}
	fmt.Println(rc.UniqueID, rc.OrderNumber, rc.Status)

	found, err := svc.GetOrder(ctx, client, orders.OrderLookup{UniqueID: rc.UniqueID})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, l := range found[0].Lines {
		fmt.Println(l.SerialNumber, l.PartNumber, l.ServiceStartDate, l.ServiceEndDate, domain.YN(l.AutoRenewal), l.UnitPrice.StringFixed(2))
	}
	// Output:
	// 13331 2342342 SUCCESS
	// 1234567890 132001-10 2025-04-24 2026-04-24 Y 1500.00
}
