package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/entitle-rules/entitle/domain"
)

// The fixtures fill every field, so a store that drops a column fails a
// round trip instead of passing on zero values.

// stamp returns the seed's sample creation instant, whole seconds in UTC.
func stamp() time.Time { return time.Date(2025, 4, 24, 10, 28, 10, 0, time.UTC) }

const (
	centerPoint domain.ProductLine = "CENTERPOINT"
	rangePoint  domain.ProductLine = "RANGEPOINT"
)

func day(tb testing.TB, s string) domain.Date {
	tb.Helper()
	d, err := domain.ParseDate(s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func site(id int64, use domain.SiteUse) domain.Site {
	return domain.Site{SiteUseID: id, Use: use, Address: fmt.Sprintf("%d Main St", id),
		Region: domain.RegionAmerica, Country: "US", AutoRenewFlag: use == domain.BillTo}
}

func customer(id, clientID string, sites ...domain.Site) domain.Customer {
	return domain.Customer{ID: id, ClientID: clientID, ParentID: "R-" + clientID, Kind: domain.EndCustomer,
		Name: "Customer " + id, Region: domain.RegionEurope, Country: "DE", PriceListID: "PL-EUR", Active: true,
		CreatedAt: stamp(), DiscountPercent: "2.5", CreditHold: true, Sites: sites}
}

func part(number string) domain.Part {
	return domain.Part{Number: number, Description: "RTX " + number, ServiceType: domain.RTX, ProductLine: centerPoint,
		Duration: domain.Duration{N: 12, Unit: domain.Months}, Bundle: true, Redemption: true,
		Models: []string{"R12", "R10"}, Regions: []string{"AMERICA", "EUROPE"}, ActivationMethod: domain.OTA}
}

func model(manufacturer, name string) domain.Model {
	return domain.Model{Manufacturer: manufacturer, Name: name, Agriculture: true, SerialPattern: `[0-9]{10}`}
}

func priceList(id string, countries ...string) domain.PriceList {
	return domain.PriceList{ID: id, Currency: "EUR", Countries: countries, Items: []domain.PriceItem{
		{PartNumber: "88213-10", ListPrice: decimal.RequireFromString("1999.00"), DiscountPercent: decimal.RequireFromString("12.5")},
		{PartNumber: "88416-10", ListPrice: decimal.RequireFromString("99.99")},
	}}
}

func promo(tb testing.TB, code string) domain.PromoCode {
	tb.Helper()
	return domain.PromoCode{Code: code, DiscountPercent: decimal.RequireFromString("10"),
		ValidFrom: day(tb, "2025-01-01"), ValidTo: day(tb, "2025-12-31")}
}

func device(serial string) domain.Device {
	return domain.Device{Serial: serial, ServiceType: domain.VRS, Manufacturer: "Trimble", Model: "R12",
		SSOEmails: []string{"first@example.com", "second@example.com"}}
}

func subscription(tb testing.TB, id, serial string, pl domain.ProductLine, start, end string) domain.Subscription {
	tb.Helper()
	return domain.Subscription{ID: id, Serial: serial, PartNumber: "88213-10", ProductLine: pl,
		Start: day(tb, start), End: day(tb, end), Kind: domain.Paid, AutoRenew: true, OrderID: 13331, Line: 1,
		Activated: true, CreatedAt: stamp()}
}

func grant(serial string, pl domain.ProductLine) domain.TrialGrant {
	return domain.TrialGrant{SerialKey: domain.SerialKey(serial), ProductLine: pl, OrderID: 13331,
		PartNumber: "TRIAL-1", GrantedAt: stamp()}
}

func activation(tb testing.TB, id, serial string, requested time.Time) domain.Activation {
	tb.Helper()
	return domain.Activation{ID: id, SubscriptionID: "S-" + id, OrderID: 13331, Serial: serial, PartNumber: "88213-10",
		Method: domain.Email, RequestType: "ORDER", Date: day(tb, "2025-04-25"), RequestedAt: requested,
		Passcode: "PC-" + id, Email: "sso@example.com", Delivery: domain.PendingDelivery(requested)}
}

func event(subject, command string, at time.Time) domain.AuditEvent {
	return domain.AuditEvent{ID: subject + "/" + command, At: at, Actor: "client-a", Command: command,
		Subject: subject, Allowed: false, Codes: []string{"TOO_MANY_LINES", "TRIAL_USED"}, RulesetHash: "sha256:abc"}
}

// order has one line per serial.
func order(tb testing.TB, clientID, po string, status domain.OrderStatus, serials ...string) *domain.Order {
	tb.Helper()
	o := &domain.Order{ClientID: clientID, CustomerID: "R-" + clientID, ShipToCustomerID: "E-" + clientID,
		BillToCustomer: "Reseller " + clientID, ShipToCustomer: "End " + clientID, PONumber: po,
		CustomerOrderRef: "REF-" + po, Currency: "USD", PromoCode: "SPRING10", ActivationCountry: "US",
		BillToSiteUseID: 100, ShipToSiteUseID: 200,
		BillToContact: domain.Contact{Email: "bill@example.com", Phone: "DECLINE"},
		ShipToContact: domain.Contact{Email: "ship@example.com", Phone: "+1 555 0100"},
		Status:        status, HoldReason: "", CreatedAt: stamp(), Total: decimal.RequireFromString("1749.13"),
		RulesetHash: "sha256:abc"}
	for i, serial := range serials {
		o.Lines = append(o.Lines, domain.OrderLine{LineNumber: i + 1, ServiceType: domain.VRS, ManufacturerModel: "Trimble||R12",
			SerialNumber: serial, PartNumber: "88213-10", PartDescription: "CenterPoint RTX 1 Year", ProductLine: centerPoint,
			Kind: domain.Paid, ServiceStartDate: day(tb, "2025-04-24"), ServiceEndDate: day(tb, "2026-04-24"),
			DurationDays: 365, Quantity: 1, AutoRenewal: true, GeoFenceRegion: "AMERICA", ActivationType: domain.Scheduled,
			ActivationDate: day(tb, "2025-04-25"), CouponNumber: "C-1", SSOUserEmailAddress: "sso@example.com",
			SimIncludedFlag: "Y", SimNumber: "8901260", DeviceKey: "DK-1", CarrierName: "Rogers",
			UnitPrice: decimal.RequireFromString("1999.00"), NetPrice: decimal.RequireFromString("1749.125"),
			SubscriptionID: fmt.Sprintf("S-%s-%d", serial, i+1)})
	}
	return o
}
