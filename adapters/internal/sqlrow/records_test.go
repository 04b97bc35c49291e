package sqlrow_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
)

func date(tb testing.TB, s string) domain.Date {
	tb.Helper()
	d, err := domain.ParseDate(s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// decimals compares decimals by value and by scale: 1999.00 must come back
// as 1999.00.
var decimals = cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) && a.Exponent() == b.Exponent() })

// The stored forms are what is on disk in databases already written: these
// bytes must not change.
func TestRecordsStoredForm(t *testing.T) {
	line := domain.OrderLine{LineNumber: 1, ServiceType: domain.RTX, ManufacturerModel: "Trimble||R12", SerialNumber: "TESTApi01",
		PartNumber: "88213-10", PartDescription: "CenterPoint RTX 1 Year", ProductLine: "CENTERPOINT", Kind: domain.Paid,
		ServiceStartDate: date(t, "2025-04-24"), ServiceEndDate: date(t, "2026-04-24"), DurationDays: 365, Quantity: 1,
		AutoRenewal: true, GeoFenceRegion: "AMERICA", ActivationType: domain.Immediate, CouponNumber: "C-1",
		SSOUserEmailAddress: "sso@example.com", SimIncludedFlag: "Y", SimNumber: "8901260", DeviceKey: "DK-1", CarrierName: "Rogers",
		UnitPrice: decimal.RequireFromString("1999.00"), NetPrice: decimal.RequireFromString("1749.125"), SubscriptionID: "S-1"}
	for _, c := range []struct {
		name   string
		encode func() ([]byte, error)
		want   string
	}{
		{"lines", func() ([]byte, error) { return sqlrow.EncodeLines([]domain.OrderLine{line}) },
			`[{"lineNumber":1,"serviceType":"RTX","manufacturerModel":"Trimble||R12","serialNumber":"TESTApi01",` +
				`"partNumber":"88213-10","partDescription":"CenterPoint RTX 1 Year","productLine":"CENTERPOINT","kind":"PAID",` +
				`"serviceStartDate":"2025-04-24","serviceEndDate":"2026-04-24","durationDays":365,"quantity":1,"autoRenewal":true,` +
				`"geoFenceRegion":"AMERICA","activationType":"IMMEDIATE","activationDate":"","couponNumber":"C-1",` +
				`"ssoUserEmailAddress":"sso@example.com","simIncludedFlag":"Y","simNumber":"8901260","deviceKey":"DK-1",` +
				`"carrierName":"Rogers","unitPrice":"1999.00","netPrice":"1749.125","subscriptionId":"S-1","canceled":false}]`},
		{"sites", func() ([]byte, error) {
			return sqlrow.EncodeSites([]domain.Site{{SiteUseID: 531807, Use: domain.BillTo, Address: "Westminster CO",
				Region: domain.RegionAmerica, Country: "US", AutoRenewFlag: true}, {SiteUseID: 1912956, Use: domain.ShipTo}})
		}, `[{"siteUseId":531807,"use":1,"address":"Westminster CO","region":"AMERICA","country":"US","autoRenewFlag":true},` +
			`{"siteUseId":1912956,"use":2,"address":"","region":"","country":"","autoRenewFlag":false}]`},
		{"price items", func() ([]byte, error) {
			return sqlrow.EncodePriceItems([]domain.PriceItem{{PartNumber: "88213-10", ListPrice: decimal.RequireFromString("1999.00"),
				DiscountPercent: decimal.RequireFromString("12.5")}, {PartNumber: "88416-10", ListPrice: decimal.RequireFromString("99.99")}})
		}, `[{"partNumber":"88213-10","listPrice":"1999.00","discountPercent":"12.5"},` +
			`{"partNumber":"88416-10","listPrice":"99.99","discountPercent":"0"}]`},
		{"no lines", func() ([]byte, error) { return sqlrow.EncodeLines(nil) }, `null`},
		{"an empty list of sites", func() ([]byte, error) { return sqlrow.EncodeSites([]domain.Site{}) }, `[]`},
	} {
		got, err := c.encode()
		if err != nil || string(got) != c.want {
			t.Errorf("%s: stored as\n  %s (%v)\nwant\n  %s", c.name, got, err, c.want)
		}
	}
}

func TestRecordsRoundTrip(t *testing.T) {
	lines := []domain.OrderLine{
		{LineNumber: 1, SerialNumber: "TESTApi01", ServiceStartDate: date(t, "2025-04-24"), ActivationDate: date(t, "2025-04-25"),
			UnitPrice: decimal.RequireFromString("1999.00"), NetPrice: decimal.RequireFromString("0.000001"), Canceled: true},
		{LineNumber: 2},
	}
	b, err := sqlrow.EncodeLines(lines)
	if err != nil {
		t.Fatal(err)
	}
	got, err := sqlrow.DecodeLines(b)
	if d := cmp.Diff(lines, got, decimals, cmp.AllowUnexported(domain.Date{})); err != nil || d != "" {
		t.Errorf("lines after a round trip (-want +got, %v):\n%s", err, d)
	}
	for _, c := range []struct {
		stored string
		want   []domain.Site
	}{{`null`, nil}, {`[]`, []domain.Site{}}} {
		got, err := sqlrow.DecodeSites([]byte(c.stored))
		if err != nil || (got == nil) != (c.want == nil) || len(got) != 0 {
			t.Errorf("DecodeSites(%s) = %#v, %v; want %#v", c.stored, got, err, c.want)
		}
	}
}

func TestRecordsRefuseWhatTheyCannotRead(t *testing.T) {
	for _, c := range []struct {
		name   string
		decode func() error
	}{
		{"lines that are not JSON", func() error { _, err := sqlrow.DecodeLines([]byte(`[{`)); return err }},
		{"a line's price", func() error {
			_, err := sqlrow.DecodeLines([]byte(`[{"unitPrice":"a lot","netPrice":"1"}]`))
			return err
		}},
		{"a line's date", func() error {
			_, err := sqlrow.DecodeLines([]byte(`[{"serviceStartDate":"24/04/2025","unitPrice":"1","netPrice":"1"}]`))
			return err
		}},
		{"an item's discount", func() error {
			_, err := sqlrow.DecodePriceItems([]byte(`[{"listPrice":"1","discountPercent":"ten"}]`))
			return err
		}},
		{"sites that are an object", func() error { _, err := sqlrow.DecodeSites([]byte(`{}`)); return err }},
		{"an order's status", func() error {
			return sqlrow.DecodeOrder(&domain.Order{UniqueID: 13331}, "DONE", "1", []byte(`null`))
		}},
		{"an order's total", func() error {
			return sqlrow.DecodeOrder(&domain.Order{UniqueID: 13331}, "SUCCESS", "", []byte(`null`))
		}},
	} {
		if err := c.decode(); domain.ErrorCode(err) != domain.CodeInternal {
			t.Errorf("%s: %v, want %q: the store cannot read what it stored", c.name, err, domain.CodeInternal)
		}
	}
}

func TestDecodeOrder(t *testing.T) {
	lines, err := sqlrow.EncodeLines([]domain.OrderLine{{LineNumber: 1, SerialNumber: "X1"}})
	if err != nil {
		t.Fatal(err)
	}
	o := domain.Order{UniqueID: 13331}
	if err := sqlrow.DecodeOrder(&o, "ORDER_ON_HOLD", "1749.130", lines); err != nil {
		t.Fatal(err)
	}
	if o.Status != domain.OrderOnHold || o.Total.String() != "1749.13" || o.Total.Exponent() != -3 ||
		len(o.Lines) != 1 || o.Lines[0].SerialNumber != "X1" {
		t.Errorf("DecodeOrder = %+v", o)
	}
}
