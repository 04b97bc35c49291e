package orders_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/dataset"
	"github.com/entitle-rules/entitle/rules/orders"
	"github.com/entitle-rules/entitle/rulesets"
)

// The engine's use cases, run against the memory store with the shipped rule
// files and the "tap" fixture of rulesets/00-fixtures.yaml rebuilt in Go.
// Names here carry a "tap" prefix, or name the engine, so they do not collide
// with the other test files of the package.

// tapNow is 2025-04-24 10:00 PDT: the seed's sample serviceStartDate
// ("serviceStartDate - PST/PDT (sample - 2025-04-24)").
var tapNow = time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)

const (
	tapClient   = "tap-client"
	otherClient = "another-client"
)

// tapDate parses a YYYY-MM-DD literal of this file.
func tapDate(s string) domain.Date {
	d, err := domain.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// tapDataset is the "tap" fixture, plus what the customer, product and
// tenancy tests need beyond it: an end customer created before 2023, inactive
// customers, a reseller with a customer-level price list, a price list for the
// other client's country, and a second manufacturer.
func tapDataset() *dataset.Dataset {
	yes, no := true, false
	return &dataset.Dataset{
		Customers: []dataset.CustomerData{
			{ID: "reseller-1", ClientID: tapClient, Name: "Trimble Reseller Americas", Region: "AMERICA", Country: "US",
				CreatedAt: time.Date(2023, 1, 20, 0, 0, 0, 0, time.UTC),
				Sites: []dataset.SiteData{
					{SiteUseID: 531807, Use: "BILL_TO", Address: "10368 Westmoor Dr, Westminster CO", AutoRenew: &yes},
					{SiteUseID: 531808, Use: "BILL_TO", Address: "PO Box 1, Denver CO", AutoRenew: &no},
					{SiteUseID: 1912956, Use: "SHIP_TO", Address: "935 Stewart Dr, Sunnyvale CA"},
				}},
			{ID: "farm-1", ClientID: tapClient, Parent: "reseller-1", Kind: "END_CUSTOMER", Name: "Green Acres Farming", Region: "AMERICA", Country: "CA",
				CreatedAt: time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC),
				Sites:     []dataset.SiteData{{SiteUseID: 2200001, Use: "SHIP_TO", Address: "1 Field Rd, Regina SK"}}},
			{ID: "survey-1", ClientID: tapClient, Parent: "reseller-1", Kind: "END_CUSTOMER", Name: "Blue Sky Surveying", Region: "AMERICA", Country: "US",
				CreatedAt: time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC),
				Sites:     []dataset.SiteData{{SiteUseID: 2200002, Use: "SHIP_TO", Address: "2 Mesa Rd, Boulder CO"}}},
			{ID: "farm-closed", ClientID: tapClient, Parent: "reseller-1", Kind: "END_CUSTOMER", Name: "Closed Acres Farming", Region: "AMERICA", Country: "US",
				Inactive: true, CreatedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
				Sites: []dataset.SiteData{{SiteUseID: 2200003, Use: "SHIP_TO", Address: "3 Dust Rd, Amarillo TX"}}},
			{ID: "reseller-hold", ClientID: tapClient, Name: "Held Reseller Ltd", Region: "EUROPE", Country: "GB", CreditHold: true,
				Sites: []dataset.SiteData{
					{SiteUseID: 640001, Use: "BILL_TO", Address: "1 Hold St, London"},
					{SiteUseID: 640002, Use: "SHIP_TO", Address: "2 Hold St, London"},
				}},
			{ID: "reseller-old", ClientID: tapClient, Name: "Trimble Former Reseller", Region: "AMERICA", Country: "US", Inactive: true,
				Sites: []dataset.SiteData{
					{SiteUseID: 531900, Use: "BILL_TO", Address: "Closed"},
					{SiteUseID: 531901, Use: "SHIP_TO", Address: "Closed"},
				}},
			{ID: "reseller-special", ClientID: tapClient, Name: "Special Pricing Reseller", Region: "APAC", Country: "AU", PriceList: "usd-special", DiscountPercent: "5",
				Sites: []dataset.SiteData{
					{SiteUseID: 880001, Use: "BILL_TO", Address: "1 Harbour St, Sydney"},
					{SiteUseID: 880002, Use: "SHIP_TO", Address: "2 Harbour St, Sydney"},
				}},
			{ID: "other-client-reseller", ClientID: otherClient, Name: "Someone Else Entirely", Region: "EUROPE", Country: "DE",
				Sites: []dataset.SiteData{
					{SiteUseID: 777001, Use: "BILL_TO", Address: "Berlin"},
					{SiteUseID: 777002, Use: "SHIP_TO", Address: "Berlin"},
				}},
		},
		PriceLists: []dataset.PriceListData{
			{ID: "usd-na", Currency: "USD", Countries: []string{"US", "CA"}, Items: []dataset.PriceItemData{
				{PartNumber: "132001-10", ListPrice: "1500.00"},
				{PartNumber: "128349-10", ListPrice: "1200.00", DiscountPercent: "10"},
				{PartNumber: "128357-10", ListPrice: "900.00"},
				{PartNumber: "88416-10", ListPrice: "800.00"},
				{PartNumber: "CP-TRIAL-30", ListPrice: "0.00"},
				{PartNumber: "RP-1Y", ListPrice: "700.00"},
				{PartNumber: "NAV900-EU-BDL", ListPrice: "0.00"},
				{PartNumber: "PTX-BDL", ListPrice: "0.00"},
				{PartNumber: "AG392-NAM-BDL", ListPrice: "0.00"},
				{PartNumber: "VRS-1Y", ListPrice: "1000.00"},
				{PartNumber: "RDM-1Y", ListPrice: "0.00"},
			}},
			{ID: "gbp-uk", Currency: "GBP", Countries: []string{"GB"}, Items: []dataset.PriceItemData{{PartNumber: "132001-10", ListPrice: "1100.00"}}},
			{ID: "usd-special", Currency: "USD", Items: []dataset.PriceItemData{{PartNumber: "132001-10", ListPrice: "1350.00"}}},
			{ID: "eur-de", Currency: "EUR", Countries: []string{"DE"}, Items: []dataset.PriceItemData{{PartNumber: "132001-10", ListPrice: "1300.00"}}},
		},
		Parts: []dataset.PartData{
			{PartNumber: "132001-10", Description: "CenterPoint RTX 1 Year", ServiceType: "RTX", ProductLine: "CENTERPOINT", Duration: "1 YEAR",
				Models: []string{"R12", "R2", "NAV-900", "AG-392", "Ag482"}},
			{PartNumber: "128349-10", Description: "Ag Regional CenterPoint RTX Fast 1 Year on Basic", ServiceType: "RTX", ProductLine: "CENTERPOINT", Duration: "1 YEAR"},
			{PartNumber: "128357-10", Description: "Ag Regional CenterPoint RTX 1 Year on Basic", ServiceType: "RTX", ProductLine: "CENTERPOINT", Duration: "1 YEAR"},
			{PartNumber: "88213-10", Description: "Ag Regional CenterPoint RTX Fast 1 Year via Satellite", ServiceType: "RTX", ProductLine: "CENTERPOINT", Duration: "1 YEAR"},
			{PartNumber: "88416-10", Description: "Ag Regional CenterPoint RTX Fast 1 Year via Satellite", ServiceType: "RTX", ProductLine: "CENTERPOINT", Duration: "1 YEAR"},
			{PartNumber: "CP-TRIAL-30", Description: "CenterPoint RTX 30 Day Trial", ServiceType: "RTX", ProductLine: "CENTERPOINT", Duration: "30 DAY", Trial: true},
			{PartNumber: "RP-1Y", Description: "RangePoint RTX 1 Year", ServiceType: "RTX", ProductLine: "RANGEPOINT", Duration: "1 YEAR"},
			{PartNumber: "NAV900-EU-BDL", Description: "Ag CenterPoint RTX on Basic 1 Year, NAV-900 Bundle, CPN Activation - EU", ServiceType: "RTX", ProductLine: "CENTERPOINT", Duration: "1 YEAR", Bundle: true},
			{PartNumber: "PTX-BDL", Description: "Ag Regional CenterPoint RTX 1 Year on Basic PTx Bundle", ServiceType: "RTX", ProductLine: "CENTERPOINT", Duration: "1 YEAR", Bundle: true},
			{PartNumber: "AG392-NAM-BDL", Description: "Ag CenterPoint RTX on Basic 1 Year, AG-392 Bundle, CPN Activation - NAM", ServiceType: "RTX", ProductLine: "CENTERPOINT", Duration: "1 YEAR", Bundle: true},
			{PartNumber: "VRS-1Y", Description: "VRS Now 1 Year", ServiceType: "VRS", ProductLine: "VRS NOW", Duration: "1 YEAR",
				Regions: []string{"R.GB.SBB(United Kingdom SBB)", "R.US.CO(Colorado)"}, Activation: "EMAIL"},
			{PartNumber: "RDM-1Y", Description: "CenterPoint RTX 1 Year Redemption", ServiceType: "RTX", ProductLine: "CENTERPOINT", Duration: "1 YEAR", Redemption: true},
		},
		Models: []dataset.ModelData{
			{Manufacturer: "Trimble", Model: "R12", SerialPattern: "[0-9]{10}"},
			{Manufacturer: "Trimble", Model: "R2", SerialPattern: "[0-9]{10}"},
			{Manufacturer: "Trimble", Model: "NAV-900", Agriculture: true, SerialPattern: "[0-9]{10}"},
			{Manufacturer: "Trimble", Model: "AG-392", Agriculture: true},
			{Manufacturer: "Trimble", Model: "Ag482", Agriculture: true},
			// Seed 001's sample manufacturers: "Trimble, Spectra".
			{Manufacturer: "Spectra", Model: "SP85"},
		},
		Devices: []dataset.DeviceData{
			{SerialNumber: "TESTApi01", ServiceType: "VRS", SSOEmails: []string{"old.user@example.com", "not-an-email"}},
		},
		Coupons: []dataset.CouponData{{Number: "61236403205760", PartNumber: "RDM-1Y"}},
		Promos: []dataset.PromoData{
			{Code: "RTX50", DiscountPercent: "50", ValidFrom: tapDate("2025-01-01"), ValidTo: tapDate("2025-12-31")},
			{Code: "OLD10", DiscountPercent: "10", ValidFrom: tapDate("2024-01-01"), ValidTo: tapDate("2024-12-31")},
		},
	}
}

// tapOrder is the fixture's base order header with the given lines.
func tapOrder(lines ...domain.LineRequest) domain.OrderRequest {
	return domain.OrderRequest{
		CustomerPONumber: "PO300424", CustomerOrderRef: "Order30042024", CurrencyCode: "USD",
		BillToSiteUseID: 531807, ShipToSiteUseID: 1912956,
		BillToContactEmail: "test123@gmail.com", ShipToContactEmail: "test456@gmail.com",
		Lines: lines,
	}
}

// rtxLine is the fixture's base line: an R12 receiver, starting 2025-04-24,
// auto-renewing, activated immediately.
func rtxLine(n int, serial, part string) domain.LineRequest {
	return domain.LineRequest{
		LineNumber: n, ServiceStartDate: tapDate("2025-04-24"), PartNumber: part, SerialNumber: serial,
		ServiceType: "RTX", ManufacturerModel: "R12", AutoRenewal: "Y", ActivationType: "IMMEDIATE",
	}
}

// vrsLine is a complete VRS line with the seed's sample values.
func vrsLine(n int, serial string) domain.LineRequest {
	return domain.LineRequest{
		LineNumber: n, ServiceStartDate: tapDate("2025-04-24"), PartNumber: "VRS-1Y", SerialNumber: serial,
		ServiceType: "VRS", AutoRenewal: "Y", ActivationType: "IMMEDIATE",
		GeoFenceRegion: "R.GB.SBB(United Kingdom SBB)", DeviceKey: "VRS4567", SSOUserEmailAddress: "test123@gmail.com",
		SimNumber: "8001002000145236", CarrierName: "Telekom M2M",
	}
}

// redemption is a line redeeming the fixture's coupon: "couponNumber ...
// Optional (Mandatory if it is a redemption order)".
func redemption(n int, serial string) domain.LineRequest {
	l := rtxLine(n, serial, "RDM-1Y")
	l.CouponNumber = "61236403205760"
	return l
}

// otherOrder is an order of the other client, billed to its own site.
func otherOrder(serial string) domain.OrderRequest {
	o := tapOrder(rtxLine(1, serial, "132001-10"))
	o.CurrencyCode, o.BillToSiteUseID, o.ShipToSiteUseID = "EUR", 777001, 777002
	return o
}

// tapClock is a clock a test moves.
type tapClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *tapClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *tapClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// recordingActivator records every activation handed to it, or refuses them
// all with fail. It records what an activation is, without the delivery
// bookkeeping the deliverer passes along (deliver_test.go checks that).
type recordingActivator struct {
	tb   testing.TB
	eng  *orders.Service
	mu   sync.Mutex
	got  []domain.Activation
	fail error
}

func (r *recordingActivator) activator() ports.Activator {
	return ports.ActivatorFunc(func(_ context.Context, a domain.Activation) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.fail != nil {
			return r.fail
		}
		r.got = append(r.got, withoutDelivery(a))
		return nil
	})
}

// delivered runs the deliverer until nothing is due, then returns what the
// Activator accepted so far.
func (r *recordingActivator) delivered() []domain.Activation {
	r.tb.Helper()
	drain(r.tb, r.eng)
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// drain runs DeliverDue until it claims nothing.
func drain(tb testing.TB, eng *orders.Service) {
	tb.Helper()
	for {
		n, err := eng.DeliverDue(context.Background())
		if err != nil {
			tb.Fatalf("DeliverDue: %v", err)
		}
		if n == 0 {
			return
		}
	}
}

// withoutDelivery is a without its delivery state.
func withoutDelivery(a domain.Activation) domain.Activation {
	a.Delivery = domain.Delivery{}
	return a
}

func (r *recordingActivator) failWith(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = err
}

// tapRules loads the shipped rule files once; a Set is immutable.
var tapRules = sync.OnceValues(func() (*rules.Set, error) { return orders.Language().Load(rulesets.FS) })

// seedEngine returns an engine over a fresh memory store seeded with
// tapDataset, whose clock stands at now.
func seedEngine(tb testing.TB, now time.Time) (*orders.Service, *recordingActivator) {
	tb.Helper()
	eng, act, _ := seedEngineClock(tb, now)
	return eng, act
}

// seedEngineClock is seedEngine with the clock returned, for tests that move it.
func seedEngineClock(tb testing.TB, now time.Time) (*orders.Service, *recordingActivator, *tapClock) {
	tb.Helper()
	set, err := tapRules()
	if err != nil {
		tb.Fatalf("loading the shipped rulesets: %v", err)
	}
	store := memory.New()
	tb.Cleanup(func() { store.Close() })
	var n atomic.Int64
	clock := &tapClock{now: now}
	act := &recordingActivator{tb: tb}
	eng, err := orders.New(orders.Options{
		Store: store, Rules: set, Clock: clock, Activator: act.activator(),
		IDs: ports.IDsFunc(func() string { return fmt.Sprintf("id-%d", n.Add(1)) }),
	})
	if err != nil {
		tb.Fatal(err)
	}
	act.eng = eng
	if err := seed(context.Background(), eng, tapDataset()); err != nil {
		tb.Fatalf("seeding: %v", err)
	}
	return eng, act, clock
}

// mustCreate creates an order that must be accepted.
func mustCreate(tb testing.TB, eng *orders.Service, clientID string, req domain.OrderRequest) orders.Receipt {
	tb.Helper()
	rc, err := eng.CreateOrder(context.Background(), as(clientID), req)
	if err != nil {
		tb.Fatalf("CreateOrder: %v", err)
	}
	return rc
}

// mustOrder returns the order with uniqueID through GetOrder.
func mustOrder(tb testing.TB, eng *orders.Service, clientID string, uniqueID int64) domain.Order {
	tb.Helper()
	found, err := eng.GetOrder(context.Background(), as(clientID), orders.OrderLookup{UniqueID: uniqueID})
	if err != nil {
		tb.Fatalf("GetOrder(%d): %v", uniqueID, err)
	}
	if len(found) != 1 {
		tb.Fatalf("GetOrder(%d) returned %d orders, want 1", uniqueID, len(found))
	}
	return found[0]
}

// view reads the engine's store.
func view(tb testing.TB, eng *orders.Service, fn func(ctx context.Context, tx ports.Tx) error) {
	tb.Helper()
	ctx := context.Background()
	if err := eng.Store().View(ctx, func(tx ports.Tx) error { return fn(ctx, tx) }); err != nil {
		tb.Fatalf("reading the store: %v", err)
	}
}

// update writes to the engine's store directly, as another TAP Store process would.
func update(tb testing.TB, eng *orders.Service, fn func(ctx context.Context, tx ports.Tx) error) {
	tb.Helper()
	ctx := context.Background()
	if err := eng.Store().Update(ctx, func(tx ports.Tx) error { return fn(ctx, tx) }); err != nil {
		tb.Fatalf("writing the store: %v", err)
	}
}

func subscriptionsOf(tb testing.TB, eng *orders.Service, serial string) domain.Timeline {
	tb.Helper()
	var tl domain.Timeline
	view(tb, eng, func(ctx context.Context, tx ports.Tx) (err error) {
		tl, err = tx.Subscriptions().BySerial(ctx, serial)
		return err
	})
	return tl
}

// cancel records a subscription as CANCELED.
func cancel(tb testing.TB, eng *orders.Service, serial, partNumber string) {
	tb.Helper()
	update(tb, eng, func(ctx context.Context, tx ports.Tx) error {
		tl, err := tx.Subscriptions().BySerial(ctx, serial)
		if err != nil {
			return err
		}
		for _, s := range tl {
			if s.PartNumber == partNumber && s.Live() {
				s.Ended = domain.Canceled
				return tx.Subscriptions().Put(ctx, s)
			}
		}
		return fmt.Errorf("serial %s has no live %s subscription", serial, partNumber)
	})
}

// wantError checks err is a *domain.Error of code and returns it.
func wantError(tb testing.TB, err error, code domain.Code) *domain.Error {
	tb.Helper()
	var de *domain.Error
	if !errors.As(err, &de) {
		tb.Fatalf("err = %v (%T), want a *domain.Error of code %s", err, err, code)
	}
	if got := domain.ErrorCode(err); got != code {
		tb.Fatalf("code = %s, want %s (err: %v)", got, code, err)
	}
	return de
}

// wantMessage checks err is a *domain.Error of code with exactly msg and field.
func wantMessage(tb testing.TB, err error, code domain.Code, field, msg string) {
	tb.Helper()
	de := wantError(tb, err, code)
	if de.Message != msg || de.Field != field {
		tb.Errorf("error = {field %q, message %q}, want {field %q, message %q}", de.Field, de.Message, field, msg)
	}
}

// wantViolations checks err is CodeInvalid and lists exactly want, in order.
func wantViolations(tb testing.TB, err error, want ...domain.Violation) {
	tb.Helper()
	de := wantError(tb, err, domain.CodeInvalid)
	if !slices.Equal(de.Violations, want) {
		tb.Errorf("violations:\n got %s\nwant %s", fmtViolations(de.Violations), fmtViolations(want))
	}
}

func fmtViolations(vs []domain.Violation) string {
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "\n\t{rule %q, code %q, field %q, message %q}", v.RuleID, v.Code, v.Field, v.Message)
	}
	if len(vs) == 0 {
		return "(none)"
	}
	return b.String()
}

// seedMsgInProgress is rule 12's message (seed 001: "API will throw an error
// stating that Order creation is in progress for the serialNumber please try
// after some some").
const seedMsgInProgress = "Order creation is in progress for the serialNumber, please try after some time"

func TestEngineNewEngineNeedsStoreRulesClockAndIDs(t *testing.T) {
	set, err := tapRules()
	if err != nil {
		t.Fatal(err)
	}
	_, err = orders.New(orders.Options{Store: memory.New(), Rules: set})
	wantMessage(t, err, domain.CodeInvalid, "", "orders: a service needs a Store, Rules, a Clock and IDs")
}

func TestEngineSeedIsAllOrNothingAndRepeatable(t *testing.T) {
	ctx := context.Background()
	eng, _ := seedEngine(t, tapNow)
	// "loading the same dataset twice changes nothing the second time"
	if err := seed(ctx, eng, tapDataset()); err != nil {
		t.Fatalf("seeding twice: %v", err)
	}
	var custs []domain.Customer
	view(t, eng, func(ctx context.Context, tx ports.Tx) (err error) {
		custs, err = tx.Customers().ByClient(ctx, tapClient)
		return err
	})
	if len(custs) != 7 {
		t.Errorf("tap-client has %d customers after seeding twice, want 7", len(custs))
	}

	bad := &dataset.Dataset{
		Customers: []dataset.CustomerData{{ID: "new-reseller", ClientID: tapClient, Name: "New", Region: "AMERICA",
			Sites: []dataset.SiteData{{SiteUseID: 990001, Use: "BILL_TO"}}}},
		Parts: []dataset.PartData{{PartNumber: "X-1", ServiceType: "RTX", ProductLine: "CENTERPOINT", Duration: "forever"}},
	}
	err := seed(ctx, eng, bad)
	wantViolations(t, err, domain.Violation{Code: "INVALID", Field: "parts[0].duration",
		Message: `duration "forever" is not like "1 YEAR", "16 MONTH" or "30 DAY"`})
	view(t, eng, func(ctx context.Context, tx ports.Tx) error {
		if _, err := tx.Customers().Get(ctx, "new-reseller"); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Errorf("a refused dataset wrote its customer (err %v)", err)
		}
		return nil
	})
}

// TestEngineCreateOrderAccepted is seed 001's sample order (2025-04-24 for
// one year ends 2026-04-24), with a discounted part and a VRS line beside it.
func TestEngineCreateOrderAccepted(t *testing.T) {
	ctx := context.Background()
	eng, act := seedEngine(t, tapNow)
	req := tapOrder(
		rtxLine(1, "1234567890", "132001-10"), // the fixture's line: list price 1500.00
		rtxLine(2, "1234567891", "128349-10"), // list price 1200.00, item discount 10%
		vrsLine(3, "VRS-NEW-1"),               // delivered by e-mail
	)
	rc, err := eng.CreateOrder(ctx, as(tapClient), req)
	if err != nil {
		t.Fatalf("CreateOrder: %v", err)
	}
	// "uniqueID ... Sample Values 13331"; "orderNumber ... 2342342".
	if rc.UniqueID != 13331 || rc.OrderNumber != 2342342 || rc.Status != domain.OrderSuccess {
		t.Errorf("receipt = {%d, %d, %s}, want {13331, 2342342, SUCCESS}", rc.UniqueID, rc.OrderNumber, rc.Status)
	}
	hash := eng.Rules().Hash()
	if !rc.Decision.Allowed || rc.Decision.RulesetHash != hash || rc.Decision.Hold != nil {
		t.Errorf("decision = {allowed %v, hash %q, hold %v}, want {true, %q, nil}", rc.Decision.Allowed, rc.Decision.RulesetHash, rc.Decision.Hold, hash)
	}

	o := mustOrder(t, eng, tapClient, rc.UniqueID)
	header := []struct {
		name      string
		got, want any
	}{
		{"UniqueID", o.UniqueID, int64(13331)},
		{"OrderNumber", o.OrderNumber, int64(2342342)},
		{"ClientID", o.ClientID, tapClient},
		{"CustomerID", o.CustomerID, "reseller-1"},
		{"Status", o.Status, domain.OrderSuccess},
		{"HoldReason", o.HoldReason, ""},
		{"PONumber", o.PONumber, "PO300424"},
		{"CustomerOrderRef", o.CustomerOrderRef, "Order30042024"},
		{"Currency", o.Currency, domain.Currency("USD")},
		{"BillToCustomer", o.BillToCustomer, "Trimble Reseller Americas"},
		{"ShipToCustomer", o.ShipToCustomer, "Trimble Reseller Americas"},
		// "If activationCountry is null then for activation ship_to address
		// country will be picked as activation country."
		{"ActivationCountry", o.ActivationCountry, "US"},
		// "To use the Phone number for the bill to contact. By default, it will be DECLINE."
		{"BillToContact", o.BillToContact, domain.Contact{Email: "test123@gmail.com", Phone: "DECLINE"}},
		{"ShipToContact", o.ShipToContact, domain.Contact{Email: "test456@gmail.com", Phone: "DECLINE"}},
		{"CreatedAt", o.CreatedAt, tapNow},
		{"RulesetHash", o.RulesetHash, hash},
		{"Total", o.Total.StringFixed(2), "3580.00"}, // 1500 + 1200*0.9 + 1000
		{"len(Lines)", len(o.Lines), 3},
	}
	for _, h := range header {
		if h.got != h.want {
			t.Errorf("order %s = %v, want %v", h.name, h.got, h.want)
		}
	}
	if len(o.Lines) != 3 {
		t.FailNow()
	}

	type lineWant struct {
		serial, part, desc  string
		pl                  domain.ProductLine
		start, end          string
		days                int
		autoRenew           bool
		unit, net           string
		sso, sim, carrier   string
		method              domain.ActivationMethod
		serviceType, region string
	}
	wants := []lineWant{
		{"1234567890", "132001-10", "CenterPoint RTX 1 Year", "CENTERPOINT", "2025-04-24", "2026-04-24", 365, true, "1500.00", "1500.00", "", "", "", domain.OTA, "RTX", ""},
		{"1234567891", "128349-10", "Ag Regional CenterPoint RTX Fast 1 Year on Basic", "CENTERPOINT", "2025-04-24", "2026-04-24", 365, true, "1200.00", "1080.00", "", "", "", domain.OTA, "RTX", ""},
		{"VRS-NEW-1", "VRS-1Y", "VRS Now 1 Year", "VRS NOW", "2025-04-24", "2026-04-24", 365, true, "1000.00", "1000.00", "test123@gmail.com", "Y", "Telekom M2M", domain.Email, "VRS", "R.GB.SBB(United Kingdom SBB)"},
	}
	acts := act.delivered()
	if len(acts) != 3 {
		t.Fatalf("the activator got %d activations, want one per line (3): %+v", len(acts), acts)
	}
	for i, w := range wants {
		l := o.Lines[i]
		got := lineWant{l.SerialNumber, l.PartNumber, l.PartDescription, l.ProductLine, l.ServiceStartDate.String(), l.ServiceEndDate.String(),
			l.DurationDays, l.AutoRenewal, l.UnitPrice.StringFixed(2), l.NetPrice.StringFixed(2), l.SSOUserEmailAddress, l.SimIncludedFlag, l.CarrierName,
			acts[i].Method, string(l.ServiceType), l.GeoFenceRegion}
		if got != w {
			t.Errorf("line %d:\n got %+v\nwant %+v", i+1, got, w)
		}
		if l.LineNumber != i+1 || l.Kind != domain.Paid || l.Quantity != 1 || l.ActivationType != domain.Immediate || l.ActivationDate != tapDate("2025-04-24") {
			t.Errorf("line %d: {lineNumber %d, kind %s, quantity %d, activationType %s, activationDate %s}, want {%d, PAID, 1, IMMEDIATE, 2025-04-24}",
				i+1, l.LineNumber, l.Kind, l.Quantity, l.ActivationType, l.ActivationDate, i+1)
		}

		// The subscription the line made.
		tl := subscriptionsOf(t, eng, w.serial)
		if len(tl) != 1 {
			t.Errorf("serial %s has %d subscriptions, want 1", w.serial, len(tl))
			continue
		}
		s := tl[0]
		wantSub := domain.Subscription{ID: s.ID, Serial: w.serial, PartNumber: w.part, ProductLine: w.pl,
			Start: tapDate(w.start), End: tapDate(w.end), Kind: domain.Paid, AutoRenew: true, OrderID: 13331, Line: i + 1, CreatedAt: tapNow}
		if s.ID == "" || s != wantSub {
			t.Errorf("line %d subscription:\n got %+v\nwant %+v", i+1, s, wantSub)
		}
		// The stored line names the subscription it made (writeGrants sets it).
		if l.SubscriptionID != s.ID {
			t.Errorf("stored line %d has SubscriptionID %q, want %q, the subscription it made", i+1, l.SubscriptionID, s.ID)
		}

		// The activation delivered for it: "The activation method will be
		// fetched from the Passcode mapping (OTA, Send by Email)".
		a := acts[i]
		wantAct := domain.Activation{ID: a.ID, SubscriptionID: s.ID, OrderID: 13331, Serial: w.serial, PartNumber: w.part,
			Method: w.method, RequestType: "ORDER", Date: tapDate("2025-04-24"), RequestedAt: tapNow, Passcode: a.Passcode, Email: w.sso}
		if a.ID == "" || a.Passcode == "" || a != wantAct {
			t.Errorf("line %d activation:\n got %+v\nwant %+v", i+1, a, wantAct)
		}
	}

	view(t, eng, func(ctx context.Context, tx ports.Tx) error {
		// Every state change writes an audit event in the same transaction.
		evs, err := tx.Audit().List(ctx, "order:13331")
		if err != nil {
			return err
		}
		// One change, in one transaction: the order created.
		if len(evs) != 1 {
			t.Fatalf("audit events for order:13331 = %+v, want CreateOrder alone", evs)
		}
		e := evs[0]
		if e.Command != "CreateOrder" || e.Actor != tapClient || !e.Allowed || e.RulesetHash != hash || !e.At.Equal(tapNow) || e.ID == "" {
			t.Errorf("audit event = %+v, want CreateOrder by %s, allowed, at %s, ruleset %s", e, tapClient, tapNow, hash)
		}
		// The activations delivered are the ones recorded.
		for i, w := range wants {
			stored, err := tx.Activations().BySerial(ctx, w.serial)
			if err != nil {
				return err
			}
			if len(stored) != 1 || withoutDelivery(stored[0]) != acts[i] || stored[0].Delivery.State != domain.DeliveryDelivered {
				t.Errorf("stored activations of %s = %+v, want [%+v]", w.serial, stored, acts[i])
			}
			if busy, err := tx.Orders().InProgress(ctx, w.serial); err != nil || busy {
				t.Errorf("serial %s still held by an in-progress order (%v, %v)", w.serial, busy, err)
			}
		}
		// A new VRS device is recorded; the SSO e-mail of its order stays on
		// the order's line, since the device record is every client's.
		d, err := tx.Devices().BySerial(ctx, "vrs-new-1")
		if err != nil {
			return err
		}
		if d.Serial != "VRS-NEW-1" || d.ServiceType != domain.VRS || len(d.SSOEmails) != 0 {
			t.Errorf("device = %+v, want VRS-NEW-1, VRS, no e-mails", d)
		}
		// Paid lines consume no trial.
		if g, err := tx.Trials().BySerial(ctx, "1234567890"); err != nil || len(g) != 0 {
			t.Errorf("trials of 1234567890 = %v (%v), want none", g, err)
		}
		return nil
	})
}

// TestEngineCreateOrderRefusedWritesNothing: "Bad input gets a clear error and
// changes nothing"; validation collects every problem of every line.
func TestEngineCreateOrderRefusedWritesNothing(t *testing.T) {
	ctx := context.Background()
	eng, act := seedEngine(t, tapNow)
	late := rtxLine(1, "1234567890", "132001-10")
	late.ServiceStartDate = tapDate("2025-04-28") // "The start date must not exceed 3 days from the current system date."
	noKey := vrsLine(3, "VRS-NEW-2")
	noKey.DeviceKey = "" // "for all VRS lines, the user must provide a Device Key"
	req := tapOrder(
		late,
		rtxLine(2, "1234567891", "NOPE-1"),
		noKey,
		rtxLine(4, "1234567892", "CP-TRIAL-30"), // a valid trial line: its trial must not be consumed
		redemption(5, "1234567894"),             // a valid coupon line: its coupon must not be redeemed
	)
	rc, err := eng.CreateOrder(ctx, as(tapClient), req)
	wantViolations(t, err,
		domain.Violation{RuleID: "line.start-window", Code: "START_DATE_TOO_LATE", Field: "lines[0].serviceStartDate",
			Message: "serviceStartDate 2025-04-28 is more than 3 days after today (2025-04-24, Pacific time)"},
		domain.Violation{RuleID: "line.part-known", Code: "UNKNOWN_PART", Field: "lines[1].partNumber",
			Message: "partNumber NOPE-1 is not a known part; get one from TAP_GET_PRODUCTS_API"},
		domain.Violation{RuleID: "vrs.device-key-required", Code: "REQUIRED", Field: "lines[2].deviceKey",
			Message: "deviceKey is mandatory for VRS"},
	)
	if de := wantError(t, err, domain.CodeInvalid); de.Message != "the order was refused" || de.Field != "" {
		t.Errorf("error = {field %q, message %q}, want {\"\", \"the order was refused\"}", de.Field, de.Message)
	}
	if rc.UniqueID != 0 || rc.OrderNumber != 0 || rc.Decision.Allowed {
		t.Errorf("a refused order got receipt {%d, %d, allowed %v}", rc.UniqueID, rc.OrderNumber, rc.Decision.Allowed)
	}
	if got := act.delivered(); len(got) != 0 {
		t.Errorf("a refused order delivered activations: %+v", got)
	}

	_, err = eng.GetOrder(ctx, as(tapClient), orders.OrderLookup{PONumber: "PO300424"})
	wantMessage(t, err, domain.CodeNotFound, "", orders.ErrNoMatch.Message)
	view(t, eng, func(ctx context.Context, tx ports.Tx) error {
		if found, err := tx.Orders().Find(ctx, domain.OrderQuery{ClientID: tapClient}); err != nil || len(found) != 0 {
			t.Errorf("orders = %v (%v), want none", found, err)
		}
		for _, serial := range []string{"1234567890", "1234567891", "VRS-NEW-2", "1234567892"} {
			if tl, err := tx.Subscriptions().BySerial(ctx, serial); err != nil || len(tl) != 0 {
				t.Errorf("subscriptions of %s = %v (%v), want none", serial, tl, err)
			}
			if _, err := tx.Devices().BySerial(ctx, serial); domain.ErrorCode(err) != domain.CodeNotFound {
				t.Errorf("device %s: err = %v, want not_found", serial, err)
			}
			if g, err := tx.Trials().BySerial(ctx, serial); err != nil || len(g) != 0 {
				t.Errorf("trials of %s = %v (%v), want none", serial, g, err)
			}
			if as, err := tx.Activations().BySerial(ctx, serial); err != nil || len(as) != 0 {
				t.Errorf("activations of %s = %v (%v), want none", serial, as, err)
			}
			if busy, err := tx.Orders().InProgress(ctx, serial); err != nil || busy {
				t.Errorf("serial %s is held by an in-progress order (%v, %v)", serial, busy, err)
			}
		}
		if evs, err := tx.Audit().List(ctx, ""); err != nil || len(evs) != 0 {
			t.Errorf("audit events = %+v (%v), want none", evs, err)
		}
		if c, err := tx.Catalog().Coupon(ctx, "61236403205760"); err != nil || c.Redeemed {
			t.Errorf("coupon = %+v (%v), want it unredeemed", c, err)
		}
		return nil
	})

	// The refusal consumed no number: the next order gets the first ones.
	rc = mustCreate(t, eng, tapClient, tapOrder(rtxLine(1, "1234567890", "132001-10")))
	if rc.UniqueID != 13331 || rc.OrderNumber != 2342342 {
		t.Errorf("the order after a refusal got {%d, %d}, want {13331, 2342342}", rc.UniqueID, rc.OrderNumber)
	}
}

// TestEngineTrialOncePerLifetime: "For a given Serial Number for a specific
// Product Line the trial is allowed once per lifetime." The trial ledger is
// kept apart from subscriptions, so cancelling the trial gives nothing back.
func TestEngineTrialOncePerLifetime(t *testing.T) {
	ctx := context.Background()
	eng, _ := seedEngine(t, tapNow)
	trial := rtxLine(1, "1234567890", "CP-TRIAL-30")
	trial.ServiceStartDate = tapDate("2025-04-26")

	rc := mustCreate(t, eng, tapClient, tapOrder(trial))
	l := mustOrder(t, eng, tapClient, rc.UniqueID).Lines[0]
	// "If there is no active subscription of that product line, the trial will
	// start immediately"; trials never auto-renew.
	if l.Kind != domain.Trial || l.ServiceStartDate != tapDate("2025-04-24") || l.ServiceEndDate != tapDate("2025-05-24") || l.AutoRenewal || l.DurationDays != 30 {
		t.Errorf("trial line = {kind %s, %s..%s, autoRenewal %v, %d days}, want {TRIAL, 2025-04-24..2025-05-24, false, 30}",
			l.Kind, l.ServiceStartDate, l.ServiceEndDate, l.AutoRenewal, l.DurationDays)
	}
	wantLedger := []domain.TrialGrant{{SerialKey: "1234567890", ProductLine: "CENTERPOINT", OrderID: rc.UniqueID, PartNumber: "CP-TRIAL-30", GrantedAt: tapNow}}
	ledger := func() []domain.TrialGrant {
		var g []domain.TrialGrant
		view(t, eng, func(ctx context.Context, tx ports.Tx) (err error) {
			g, err = tx.Trials().BySerial(ctx, "1234567890")
			return err
		})
		return g
	}
	if g := ledger(); !slices.Equal(g, wantLedger) {
		t.Errorf("trial ledger = %+v, want %+v", g, wantLedger)
	}

	used := domain.Violation{RuleID: "line.trial-once", Code: "TRIAL_ALREADY_USED", Field: "lines[0].partNumber",
		Message: "Serial 1234567890 already had a trial of CENTERPOINT; a trial is allowed once per serial and product line"}
	again := tapOrder(rtxLine(1, "1234567890", "CP-TRIAL-30"))
	again.CustomerPONumber = "PO-TRIAL-2"
	_, err := eng.CreateOrder(ctx, as(tapClient), again)
	wantViolations(t, err, used)

	cancel(t, eng, "1234567890", "CP-TRIAL-30")
	if tl := subscriptionsOf(t, eng, "1234567890"); len(tl) != 1 || tl[0].Ended != domain.Canceled {
		t.Fatalf("subscriptions after cancelling = %+v", tl)
	}
	_, err = eng.CreateOrder(ctx, as(tapClient), again)
	wantViolations(t, err, used)
	if g := ledger(); !slices.Equal(g, wantLedger) {
		t.Errorf("trial ledger after the refusals = %+v, want %+v", g, wantLedger)
	}
}

// TestEngineConcurrentTrialsGrantOnce: "Concurrent duplicates never
// double-grant".
func TestEngineConcurrentTrialsGrantOnce(t *testing.T) {
	ctx := context.Background()
	eng, _ := seedEngine(t, tapNow)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := tapOrder(rtxLine(1, "1234567890", "CP-TRIAL-30"))
			req.CustomerPONumber = fmt.Sprintf("PO-RACE-%d", i)
			_, errs[i] = eng.CreateOrder(ctx, as(tapClient), req)
		}()
	}
	wg.Wait()
	accepted := 0
	for _, err := range errs {
		if err == nil {
			accepted++
			continue
		}
		// A racer may be refused for either reason, or both at once: it
		// can see the winner's order still in progress and its trial.
		var de *domain.Error
		if !errors.As(err, &de) || de.Code != domain.CodeInvalid || len(de.Violations) == 0 {
			t.Errorf("a racing trial order failed with %v, want a refusal", err)
			continue
		}
		for _, v := range de.Violations {
			if v.Code != "TRIAL_ALREADY_USED" && v.Code != "ORDER_IN_PROGRESS" {
				t.Errorf("a racing trial order was refused with %s, want TRIAL_ALREADY_USED or ORDER_IN_PROGRESS", v)
			}
		}
	}
	if accepted != 1 {
		t.Errorf("%d racing trial orders were accepted, want 1", accepted)
	}
	if tl := subscriptionsOf(t, eng, "1234567890"); len(tl) != 1 {
		t.Errorf("serial has %d subscriptions, want 1", len(tl))
	}
}

// TestEngineRenewal: "If for a seriaNumber there is already an existing active
// service in TAP Store with the same ProductLine, then the new
// serviceStartDate is automatically set to the previous active subscription's
// end_date + 1."
func TestEngineRenewal(t *testing.T) {
	ctx := context.Background()

	t.Run("same product line queues after the active subscription", func(t *testing.T) {
		eng, _ := seedEngine(t, tapNow)
		mustCreate(t, eng, tapClient, tapOrder(rtxLine(1, "1234567890", "132001-10")))
		for i, w := range []struct{ start, end string }{
			{"2026-04-25", "2027-04-25"},
			{"2027-04-26", "2028-04-26"}, // a renewal queues after a queued renewal
		} {
			req := tapOrder(rtxLine(1, "1234567890", "128357-10"))
			req.CustomerPONumber = fmt.Sprintf("PO-RENEW-%d", i+1)
			rc := mustCreate(t, eng, tapClient, req)
			if rc.UniqueID != int64(13332+i) || rc.OrderNumber != int64(2342343+i) {
				t.Errorf("renewal %d receipt = {%d, %d}", i+1, rc.UniqueID, rc.OrderNumber)
			}
			if _, fired := rc.Decision.Trace.Ran("line.renewal-start"); !fired {
				t.Errorf("renewal %d: line.renewal-start did not fire; trace:\n%s", i+1, rc.Decision.Trace)
			}
			l := mustOrder(t, eng, tapClient, rc.UniqueID).Lines[0]
			if got := l.ServiceStartDate.String() + ".." + l.ServiceEndDate.String(); got != w.start+".."+w.end {
				t.Errorf("renewal %d period = %s, want %s..%s", i+1, got, w.start, w.end)
			}
		}
		tl := subscriptionsOf(t, eng, "1234567890")
		var got []string
		for _, s := range tl {
			got = append(got, s.PartNumber+" "+s.Period().String())
		}
		want := []string{"132001-10 2025-04-24..2026-04-24", "128357-10 2026-04-25..2027-04-25", "128357-10 2027-04-26..2028-04-26"}
		if !slices.Equal(got, want) {
			t.Errorf("timeline = %q, want %q", got, want)
		}
	})

	// Seed 001: "If in the TAP Store we have a serialNumber as "TESTApi01" and
	// in the API request we are receiving serialNumber as "TestAPI01" ... If
	// serialNumber matches we will create a Renewal Order for serialNumber
	// "TESTApi01" which is already available in store".
	t.Run("VRS serial sent as TestAPI01 renews stored TESTApi01", func(t *testing.T) {
		eng, act := seedEngine(t, tapNow)
		update(t, eng, func(ctx context.Context, tx ports.Tx) error {
			return tx.Subscriptions().Put(ctx, domain.Subscription{ID: "sub-testapi01-2024", Serial: "TESTApi01", PartNumber: "VRS-1Y",
				ProductLine: "VRS NOW", Start: tapDate("2024-05-01"), End: tapDate("2025-05-01"), Kind: domain.Paid, Activated: true})
		})
		rc := mustCreate(t, eng, tapClient, tapOrder(vrsLine(1, "TestAPI01")))
		l := mustOrder(t, eng, tapClient, rc.UniqueID).Lines[0]
		if l.SerialNumber != "TESTApi01" || l.ServiceStartDate != tapDate("2025-05-02") || l.ServiceEndDate != tapDate("2026-05-02") {
			t.Errorf("line = {%s, %s..%s}, want {TESTApi01, 2025-05-02..2026-05-02}", l.SerialNumber, l.ServiceStartDate, l.ServiceEndDate)
		}
		for _, fired := range []string{"vrs.stored-serial", "line.renewal-start"} {
			if _, ok := rc.Decision.Trace.Ran(fired); !ok {
				t.Errorf("%s did not fire", fired)
			}
		}
		tl := subscriptionsOf(t, eng, "testapi01")
		if len(tl) != 2 || tl[1].Serial != "TESTApi01" || tl[1].Start != tapDate("2025-05-02") || tl[1].OrderID != rc.UniqueID {
			t.Errorf("timeline = %+v, want the 2024 subscription then TESTApi01 from 2025-05-02 of order %d", tl, rc.UniqueID)
		}
		found, err := eng.GetOrder(ctx, as(tapClient), orders.OrderLookup{SerialNumber: "tESTapi01"})
		if err != nil || len(found) != 1 || found[0].UniqueID != rc.UniqueID {
			t.Errorf("GetOrder by serial tESTapi01 = %v, %v; want order %d", found, err, rc.UniqueID)
		}
		view(t, eng, func(ctx context.Context, tx ports.Tx) error {
			d, err := tx.Devices().BySerial(ctx, "TestAPI01")
			if err != nil {
				return err
			}
			// The store's record of the device is not changed by one
			// client's order.
			if want := []string{"old.user@example.com", "not-an-email"}; d.Serial != "TESTApi01" || !slices.Equal(d.SSOEmails, want) {
				t.Errorf("device = %+v, want TESTApi01 with %q", d, want)
			}
			return nil
		})
		acts := act.delivered()
		if len(acts) != 1 || acts[0].Serial != "TESTApi01" || acts[0].Method != domain.Email || acts[0].Email != "test123@gmail.com" {
			t.Errorf("activations = %+v, want one EMAIL to test123@gmail.com for TESTApi01", acts)
		}
	})

	t.Run("VRS serial of a known device with no subscription keeps the stored spelling", func(t *testing.T) {
		eng, _ := seedEngine(t, tapNow)
		rc := mustCreate(t, eng, tapClient, tapOrder(vrsLine(1, "TestAPI01")))
		l := mustOrder(t, eng, tapClient, rc.UniqueID).Lines[0]
		if l.SerialNumber != "TESTApi01" || l.ServiceStartDate != tapDate("2025-04-24") {
			t.Errorf("line = {%s, %s}, want {TESTApi01, 2025-04-24}", l.SerialNumber, l.ServiceStartDate)
		}
	})
}

// TestEngineCreditHold: "The system will conduct standard validations
// including credit checks, hold status checks ... If an Order is created in
// HOLD status ... after which order confirmation and activation email will be
// sent."
func TestEngineCreditHold(t *testing.T) {
	eng, act := seedEngine(t, tapNow)
	req := tapOrder(rtxLine(1, "1234567890", "132001-10"))
	req.CurrencyCode, req.BillToSiteUseID, req.ShipToSiteUseID = "GBP", 640001, 640002
	rc := mustCreate(t, eng, tapClient, req)
	if rc.Status != domain.OrderOnHold || rc.Decision.Hold == nil || rc.Decision.Hold.RuleID != "order.credit-hold" {
		t.Errorf("receipt = {status %s, hold %+v}, want ORDER_ON_HOLD by order.credit-hold", rc.Status, rc.Decision.Hold)
	}
	o := mustOrder(t, eng, tapClient, rc.UniqueID)
	if o.Status != domain.OrderOnHold || o.HoldReason != "Customer Held Reseller Ltd is on credit hold; Customer Care will release the order" {
		t.Errorf("order = {%s, %q}, want ORDER_ON_HOLD with the credit-hold reason", o.Status, o.HoldReason)
	}
	// The country's price list: "If there is no price list associated at
	// customer level then the price list will be fetched based on the country".
	if o.Currency != "GBP" || o.Lines[0].UnitPrice.StringFixed(2) != "1100.00" || o.ActivationCountry != "GB" {
		t.Errorf("order = {%s, %s, %s}, want {GBP, 1100.00, GB}", o.Currency, o.Lines[0].UnitPrice.StringFixed(2), o.ActivationCountry)
	}
	if got := act.delivered(); len(got) != 0 {
		t.Errorf("an order on hold delivered %+v", got)
	}
	view(t, eng, func(ctx context.Context, tx ports.Tx) error {
		if as, err := tx.Activations().BySerial(ctx, "1234567890"); err != nil || len(as) != 0 {
			t.Errorf("an order on hold recorded activations %+v (%v)", as, err)
		}
		if busy, err := tx.Orders().InProgress(ctx, "1234567890"); err != nil || busy {
			t.Errorf("an order on hold holds its serial as in progress (%v, %v)", busy, err)
		}
		return nil
	})
}

// TestEngineOrderInProgressAndResume: "If a consumer tries to retry
// createOrder with the same serialNumber's, API will throw an error stating
// that Order creation is in progress for the serialNumber ... Consumers can
// use getOrder API with serialNumber parameter to get the status".
func TestEngineOrderInProgressAndResume(t *testing.T) {
	ctx := context.Background()
	eng, act := seedEngine(t, tapNow)
	// An order a crash left between its two steps, with its activation recorded.
	stuck := &domain.Order{ClientID: tapClient, PONumber: "PO-TIMEOUT", Status: domain.OrderInProgress, CreatedAt: tapNow,
		Lines: []domain.OrderLine{{LineNumber: 1, SerialNumber: "1234567890", PartNumber: "132001-10", ServiceType: domain.RTX,
			ServiceStartDate: tapDate("2025-04-24"), ServiceEndDate: tapDate("2026-04-24"), Quantity: 1}}}
	// Activations written before the outbox are DELIVERED (the migrations
	// say so): Resume makes them pending again.
	recorded := domain.Activation{ID: "act-stuck", OrderID: 13331, Serial: "1234567890", PartNumber: "132001-10", Method: domain.OTA,
		RequestType: "ORDER", Date: tapDate("2025-04-24"), RequestedAt: tapNow, Passcode: "STUCK",
		Delivery: domain.Delivery{State: domain.DeliveryDelivered, Attempts: 1, DeliveredAt: tapNow}}
	update(t, eng, func(ctx context.Context, tx ports.Tx) error {
		if err := tx.Orders().Create(ctx, stuck); err != nil {
			return err
		}
		return tx.Activations().Put(ctx, recorded)
	})
	if stuck.UniqueID != 13331 {
		t.Fatalf("the stuck order is %d, want 13331", stuck.UniqueID)
	}

	_, err := eng.CreateOrder(ctx, as(tapClient), tapOrder(rtxLine(1, "1234567890", "132001-10")))
	wantViolations(t, err, domain.Violation{RuleID: "line.order-in-progress", Code: "ORDER_IN_PROGRESS",
		Field: "lines[0].serialNumber", Message: seedMsgInProgress})

	found, err := eng.GetOrder(ctx, as(tapClient), orders.OrderLookup{SerialNumber: "1234567890"})
	if err != nil || len(found) != 1 || found[0].Status != domain.OrderInProgress {
		t.Fatalf("GetOrder by serial = %+v, %v; want the order in ORDER_CREATION_INPROGRESS", found, err)
	}

	n, err := eng.Resume(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Resume = %d, %v; want 1, nil", n, err)
	}
	if o := mustOrder(t, eng, tapClient, stuck.UniqueID); o.Status != domain.OrderSuccess || o.HoldReason != "" {
		t.Errorf("resumed order = {%s, %q}, want SUCCESS", o.Status, o.HoldReason)
	}
	if got := act.delivered(); !slices.Equal(got, []domain.Activation{withoutDelivery(recorded)}) {
		t.Errorf("Resume delivered %+v, want the recorded activation", got)
	}
	if n, err := eng.Resume(ctx); err != nil || n != 0 {
		t.Errorf("Resume of a finished order = %d, %v; want 0, nil", n, err)
	}
	rc := mustCreate(t, eng, tapClient, tapOrder(rtxLine(1, "1234567890", "132001-10")))
	if rc.Status != domain.OrderSuccess {
		t.Errorf("the order after Resume is %s, want SUCCESS", rc.Status)
	}
}

// TestEngineActivatorFailure: an order whose activation cannot be handed
// over is still SUCCESS (it is committed, and its activation is in the
// outbox); the activation stays pending with the error, and is delivered
// once the Activator accepts it, without a resend.
func TestEngineActivatorFailure(t *testing.T) {
	ctx := context.Background()
	eng, act, clock := seedEngineClock(t, tapNow)
	act.failWith(errors.New("OTA gateway unreachable"))
	rc, err := eng.CreateOrder(ctx, as(tapClient), tapOrder(rtxLine(1, "1234567890", "132001-10")))
	if err != nil {
		t.Fatalf("CreateOrder: %v", err)
	}
	if rc.Status != domain.OrderSuccess {
		t.Errorf("receipt status = %s, want SUCCESS", rc.Status)
	}
	if got := act.delivered(); len(got) != 0 {
		t.Fatalf("delivered %+v while the Activator refuses", got)
	}
	st := activationStatus(t, eng, "1234567890")
	if st.Status != domain.ActivationInProgress || st.Activation.Delivery.LastError != "OTA gateway unreachable" ||
		st.Activation.Delivery.State != domain.DeliveryPending || st.Activation.Delivery.Attempts != 1 {
		t.Errorf("activation after a failed attempt: %s %+v, want IN_PROGRESS, pending after 1 attempt with the error", st.Status, st.Activation.Delivery)
	}

	// The Activator recovers: the next attempt, a second later, delivers it.
	act.failWith(nil)
	clock.set(tapNow.Add(orders.FirstRetry))
	got := act.delivered()
	if len(got) != 1 || got[0].RequestType != "ORDER" || got[0].Serial != "1234567890" {
		t.Fatalf("delivered %+v, want the order's activation", got)
	}
	st = activationStatus(t, eng, "1234567890")
	if d := st.Activation.Delivery; d.State != domain.DeliveryDelivered || d.Attempts != 2 || !d.DeliveredAt.Equal(tapNow.Add(orders.FirstRetry)) || d.LastError != "" {
		t.Errorf("delivery = %+v, want DELIVERED at the second attempt", d)
	}
}

// activationStatus is the one activation ActivationStatus reports for serial.
func activationStatus(tb testing.TB, eng *orders.Service, serial string) orders.ActivationInfo {
	tb.Helper()
	infos, err := eng.ActivationStatus(context.Background(), as(tapClient), orders.ActivationQuery{SerialNumber: serial})
	if err != nil || len(infos) != 1 {
		tb.Fatalf("ActivationStatus(%s) = %+v, %v; want one", serial, infos, err)
	}
	return infos[0]
}

func TestEngineGetOrder(t *testing.T) {
	ctx := context.Background()
	eng, _ := seedEngine(t, tapNow)
	a := mustCreate(t, eng, tapClient, tapOrder(rtxLine(1, "1234567890", "132001-10")))
	reqB := tapOrder(rtxLine(1, "1234567891", "132001-10"), vrsLine(2, "TestAPI01"))
	reqB.ShipToSiteUseID = 2200001 // an end customer's ship-to site
	b := mustCreate(t, eng, tapClient, reqB)
	c := mustCreate(t, eng, otherClient, otherOrder("5555555555"))
	if a.UniqueID != 13331 || b.UniqueID != 13332 || c.UniqueID != 13333 {
		t.Fatalf("unique ids = %d, %d, %d", a.UniqueID, b.UniqueID, c.UniqueID)
	}
	if o := mustOrder(t, eng, tapClient, b.UniqueID); o.ShipToCustomer != "Green Acres Farming" || o.ActivationCountry != "CA" {
		t.Errorf("order b ships to {%q, %q}, want {Green Acres Farming, CA}", o.ShipToCustomer, o.ActivationCountry)
	}

	noRecords := orders.ErrNoMatch.Message // the HTTP layer words it "No records found for requested parameters"
	tests := []struct {
		name   string
		client string
		q      orders.OrderLookup
		want   []int64 // newest first
		code   domain.Code
		field  string
		msg    string
	}{
		{name: "by uniqueID", q: orders.OrderLookup{UniqueID: 13331}, want: []int64{13331}},
		{name: "by serialNumber", q: orders.OrderLookup{SerialNumber: "1234567891"}, want: []int64{13332}},
		{name: "by VRS serialNumber in another case", q: orders.OrderLookup{SerialNumber: "testapi01"}, want: []int64{13332}},
		{name: "by poNumber, newest first, own orders only", q: orders.OrderLookup{PONumber: "PO300424"}, want: []int64{13332, 13331}},
		{name: "all fields must match", q: orders.OrderLookup{UniqueID: 13331, SerialNumber: "1234567891"}, code: domain.CodeNotFound, msg: noRecords},
		{name: "unknown uniqueID", q: orders.OrderLookup{UniqueID: 99}, code: domain.CodeNotFound, msg: noRecords},
		{name: "unknown poNumber", q: orders.OrderLookup{PONumber: "HelloWorld"}, code: domain.CodeNotFound, msg: noRecords},
		// "If the clientId of the customer for which order is placed and the
		// clientId in the request doesn't match, order info will not be
		// retrieved. There will be an error as "No records found for requested
		// parameters"."
		{name: "another client's uniqueID", q: orders.OrderLookup{UniqueID: 13333}, code: domain.CodeNotFound, msg: noRecords},
		{name: "another client's serialNumber", q: orders.OrderLookup{SerialNumber: "5555555555"}, code: domain.CodeNotFound, msg: noRecords},
		{name: "the other client sees its own order only", client: otherClient, q: orders.OrderLookup{PONumber: "PO300424"}, want: []int64{13333}},
		{name: "the other client does not see ours", client: otherClient, q: orders.OrderLookup{UniqueID: 13331}, code: domain.CodeNotFound, msg: noRecords},
		// "***Any one field is Mandatory"
		{name: "empty query", code: domain.CodeInvalid, field: "uniqueID", msg: "give at least one of uniqueID, serialNumber or poNumber"},
		{name: "blank serialNumber", q: orders.OrderLookup{SerialNumber: "  "}, code: domain.CodeInvalid, field: "uniqueID", msg: "give at least one of uniqueID, serialNumber or poNumber"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := tt.client
			if client == "" {
				client = tapClient
			}
			found, err := eng.GetOrder(ctx, as(client), tt.q)
			if tt.code != "" {
				wantMessage(t, err, tt.code, tt.field, tt.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, o := range found {
				got = append(got, o.UniqueID)
				if o.ClientID != client {
					t.Errorf("order %d of client %s returned to %s", o.UniqueID, o.ClientID, client)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("orders = %v, want %v", got, tt.want)
			}
		})
	}
}

// resellerSummary renders a reseller the way the tests compare them.
func resellerSummary(r orders.ResellerView) string {
	ids := func(ss []domain.Site) []int64 {
		var out []int64
		for _, s := range ss {
			out = append(out, s.SiteUseID)
		}
		return out
	}
	var ends []string
	for _, e := range r.EndCustomers {
		ends = append(ends, fmt.Sprintf("%s%v", e.Name, ids(e.ShipTo)))
	}
	return fmt.Sprintf("%s bill%v ship%v end%q", r.Name, ids(r.BillTo), ids(r.ShipTo), ends)
}

// TestEngineCustomers is TAP_GET_CUSTOMERS_API: "Returns a list of reseller
// and end customer associated to Consumer's identifier(clientId)".
func TestEngineCustomers(t *testing.T) {
	ctx := context.Background()
	eng, _ := seedEngine(t, tapNow)
	const (
		americas = `Trimble Reseller Americas bill[531807 531808] ship[1912956] end["Green Acres Farming[2200001]" "Blue Sky Surveying[2200002]"]`
		held     = `Held Reseller Ltd bill[640001] ship[640002] end[]`
		special  = `Special Pricing Reseller bill[880001] ship[880002] end[]`
	)
	tooShort := func(field string) domain.Violation {
		return domain.Violation{Code: "TOO_SHORT", Field: field, Message: field + " needs at least 5 characters"}
	}
	badRegion := func(r string) domain.Violation {
		return domain.Violation{Code: "INVALID", Field: "region", Message: fmt.Sprintf("region %q is not one of AMERICA, EUROPE, APAC, EMEA, SOUTH AFRICA", r)}
	}
	tests := []struct {
		name   string
		client string
		q      orders.CustomerQuery
		want   []string           // nil: "No data found"
		vs     []domain.Violation // set: refused as invalid
	}{
		// "Only Active Reseller/End-Customer information will be retrieved".
		{name: "all of the client's active customers", want: []string{americas, held, special}},
		{name: "region", q: orders.CustomerQuery{Region: "EUROPE"}, want: []string{held}},
		{name: "region in lower case", q: orders.CustomerQuery{Region: "america"}, want: []string{americas}},
		{name: "region APAC", q: orders.CustomerQuery{Region: "APAC"}, want: []string{special}},
		{name: "a valid region with no customers", q: orders.CustomerQuery{Region: "SOUTH AFRICA"}},
		// "Valid values for region parameters are AMERICA, EUROPE, APAC , EMEA and SOUTH AFRICA"
		{name: "invalid region", q: orders.CustomerQuery{Region: "MARS"}, vs: []domain.Violation{badRegion("MARS")}},
		// "To perform a search using the reseller's name. Min length is 5 chars."
		{name: "resellerName of 4 characters", q: orders.CustomerQuery{ResellerName: "Trim"}, vs: []domain.Violation{tooShort("resellerName")}},
		{name: "every problem is reported", q: orders.CustomerQuery{Region: "MARS", ResellerName: "Trim", EndCustomerName: "Gree"},
			vs: []domain.Violation{badRegion("MARS"), tooShort("resellerName"), tooShort("endCustomerName")}},
		// Sample value "TRIMB": a case-insensitive part of the name; the
		// inactive "Trimble Former Reseller" is left out.
		{name: "resellerName TRIMB", q: orders.CustomerQuery{ResellerName: "TRIMB"}, want: []string{americas}},
		{name: "resellerName matches inside the name", q: orders.CustomerQuery{ResellerName: "reseller"}, want: []string{americas, held, special}},
		{name: "endCustomerName", q: orders.CustomerQuery{EndCustomerName: "acres"},
			want: []string{`Trimble Reseller Americas bill[531807 531808] ship[1912956] end["Green Acres Farming[2200001]"]`}},
		// "To get the list of end customers created after this date."
		// It narrows the end customers each reseller lists; every reseller
		// is still listed.
		{name: "customerCreationDate", q: orders.CustomerQuery{CreatedAfter: time.Date(2023, 1, 20, 0, 0, 0, 0, time.UTC)},
			want: []string{`Trimble Reseller Americas bill[531807 531808] ship[1912956] end["Green Acres Farming[2200001]"]`,
				`Held Reseller Ltd bill[640001] ship[640002] end[]`, `Special Pricing Reseller bill[880001] ship[880002] end[]`}},
		// The seed's sample request.
		{name: "the seed's sample search", q: orders.CustomerQuery{Region: "AMERICA", ResellerName: "Trimble", CreatedAfter: time.Date(2023, 1, 20, 0, 0, 0, 0, time.UTC)},
			want: []string{`Trimble Reseller Americas bill[531807 531808] ship[1912956] end["Green Acres Farming[2200001]"]`}},
		// The date narrows the end customers listed, not the resellers.
		{name: "no end customer created after the date", q: orders.CustomerQuery{ResellerName: "TRIMB", CreatedAfter: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
			want: []string{`Trimble Reseller Americas bill[531807 531808] ship[1912956] end[]`}},
		{name: "no reseller of that name", q: orders.CustomerQuery{ResellerName: "Nobody Known"}},
		{name: "another client's reseller is not found", q: orders.CustomerQuery{ResellerName: "Someone Else"}},
		{name: "the other client sees only its own", client: otherClient, want: []string{`Someone Else Entirely bill[777001] ship[777002] end[]`}},
		{name: "an unknown client sees nothing", client: "nobody"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := tt.client
			if client == "" {
				client = tapClient
			}
			got, err := eng.Customers(ctx, as(client), tt.q)
			switch {
			case tt.vs != nil:
				wantViolations(t, err, tt.vs...)
				return
			case tt.want == nil:
				// "In cases where no records are found for the parameters in the
				// request, the API will respond with an error message 'No data
				// found' accompanied by a status code of 400."
				wantMessage(t, err, domain.CodeNotFound, "", orders.ErrNoMatch.Message)
				return
			case err != nil:
				t.Fatal(err)
			}
			var sums []string
			for _, r := range got {
				sums = append(sums, resellerSummary(r))
			}
			if !slices.Equal(sums, tt.want) {
				t.Errorf("customers:\n got %q\nwant %q", sums, tt.want)
			}
		})
	}

	// The sites carry what TAP_GET_CUSTOMERS_API shows of them.
	got, err := eng.Customers(ctx, as(tapClient), orders.CustomerQuery{ResellerName: "Americas"})
	if err != nil {
		t.Fatal(err)
	}
	wantBill := []domain.Site{
		{SiteUseID: 531807, Use: domain.BillTo, Address: "10368 Westmoor Dr, Westminster CO", Region: "AMERICA", Country: "US", AutoRenewFlag: true},
		{SiteUseID: 531808, Use: domain.BillTo, Address: "PO Box 1, Denver CO", Region: "AMERICA", Country: "US", AutoRenewFlag: false},
	}
	if !slices.Equal(got[0].BillTo, wantBill) {
		t.Errorf("bill-to sites = %+v, want %+v", got[0].BillTo, wantBill)
	}
}

// TestEngineManufacturerModels is TAP_GET_MFG_MODELS_API: "a list of
// concatenated manufacturers and models, they will be separated by a double
// pipe (||) symbol (example Trimble||R12 ...)".
func TestEngineManufacturerModels(t *testing.T) {
	ctx := context.Background()
	eng, _ := seedEngine(t, tapNow)
	trimble := []string{"Trimble||AG-392", "Trimble||Ag482", "Trimble||NAV-900", "Trimble||R12", "Trimble||R2"}
	tests := []struct {
		manufacturer string
		want         []string // nil: "No data found"
	}{
		// "In the absence of any input, the system will retrieve all eligible manufacturer models"
		{"", append([]string{"Spectra||SP85"}, trimble...)},
		{"Trimble", trimble},
		// "Consumer can give the partial name of the Manufacturer"
		{"spec", []string{"Spectra||SP85"}},
		{"  trim ", trimble},
		// "Should the request parameters yield no results, the API will respond
		// with an error message "No data found""
		{"Leica", nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.manufacturer), func(t *testing.T) {
			got, err := eng.ManufacturerModels(ctx, tt.manufacturer)
			if tt.want == nil {
				wantMessage(t, err, domain.CodeNotFound, "", orders.ErrNoMatch.Message)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("models = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestEngineProducts is TAP_GET_PRODUCTS_API.
func TestEngineProducts(t *testing.T) {
	ctx := context.Background()
	eng, _ := seedEngine(t, tapNow)
	usdRTX := []string{
		"Trimble||R12 132001-10 USD 1500.00 1 YEAR []",
		"Trimble||R12 128349-10 USD 1200.00 1 YEAR []", // the list price, before the item discount
		"Trimble||R12 128357-10 USD 900.00 1 YEAR []",
		"Trimble||R12 88416-10 USD 800.00 1 YEAR []",
		"Trimble||R12 CP-TRIAL-30 USD 0.00 30 DAY []",
		"Trimble||R12 RP-1Y USD 700.00 1 YEAR []",
		"Trimble||R12 NAV900-EU-BDL USD 0.00 1 YEAR []",
		"Trimble||R12 PTX-BDL USD 0.00 1 YEAR []",
		"Trimble||R12 AG392-NAM-BDL USD 0.00 1 YEAR []",
		"Trimble||R12 RDM-1Y USD 0.00 1 YEAR []",
	}
	var sp85 []string
	for _, p := range usdRTX[1:] { // 132001-10 is not eligible for SP85
		sp85 = append(sp85, strings.Replace(p, "Trimble||R12", "Spectra||SP85", 1))
	}
	tests := []struct {
		name     string
		client   string
		q        orders.ProductQuery
		customer string
		want     []string           // nil: "No data found"
		vs       []domain.Violation // set: refused as invalid
	}{
		// "Manufacturer model is mandatory for the RTX Service Type."
		{name: "RTX needs a model", q: orders.ProductQuery{ResellerBillToSiteUseID: 531807, ServiceType: "RTX"},
			vs: []domain.Violation{{Code: "REQUIRED", Field: "model", Message: "model is mandatory for serviceType RTX"}}},
		{name: "every missing field is reported", q: orders.ProductQuery{},
			vs: []domain.Violation{
				{Code: "REQUIRED", Field: "resellerbillToSiteUseId", Message: "resellerbillToSiteUseId is mandatory"},
				{Code: "INVALID", Field: "serviceType", Message: "serviceType is mandatory and must be RTX or VRS"},
			}},
		{name: "RTX parts of the country's price list for R12", q: orders.ProductQuery{ResellerBillToSiteUseID: 531807, ServiceType: "RTX", Model: "R12"},
			customer: "Trimble Reseller Americas", want: usdRTX},
		// The seed's sample: "partDescription": "Ag Regional".
		{name: "partial partDescription", q: orders.ProductQuery{ResellerBillToSiteUseID: 531807, ServiceType: "rtx", Model: "Trimble||R12", PartDescription: "ag regional"},
			customer: "Trimble Reseller Americas", want: []string{usdRTX[1], usdRTX[2], usdRTX[3], usdRTX[7]}},
		{name: "only parts eligible for the model", q: orders.ProductQuery{ResellerBillToSiteUseID: 531807, ServiceType: "RTX", Model: "SP85"},
			customer: "Trimble Reseller Americas", want: sp85},
		// "Based on the resellerbillToSiteUseId API will share the geofence
		// details for each item if it is eligible."
		{name: "VRS parts with their geofence regions", q: orders.ProductQuery{ResellerBillToSiteUseID: 531807, ServiceType: "VRS"},
			customer: "Trimble Reseller Americas", want: []string{" VRS-1Y USD 1000.00 1 YEAR [R.GB.SBB(United Kingdom SBB) R.US.CO(Colorado)]"}},
		{name: "the price list of the customer's country", q: orders.ProductQuery{ResellerBillToSiteUseID: 640001, ServiceType: "RTX", Model: "R12"},
			customer: "Held Reseller Ltd", want: []string{"Trimble||R12 132001-10 GBP 1100.00 1 YEAR []"}},
		// "the system verifies the associated price list at the customer level.
		// If a price list is assigned, the system proceeds to obtain the part
		// numbers"
		{name: "the customer's own price list first", q: orders.ProductQuery{ResellerBillToSiteUseID: 880001, ServiceType: "RTX", Model: "R12"},
			customer: "Special Pricing Reseller", want: []string{"Trimble||R12 132001-10 USD 1350.00 1 YEAR []"}},
		{name: "a model not in the list", q: orders.ProductQuery{ResellerBillToSiteUseID: 531807, ServiceType: "RTX", Model: "R99"}},
		{name: "no description matches", q: orders.ProductQuery{ResellerBillToSiteUseID: 531807, ServiceType: "RTX", Model: "R12", PartDescription: "FieldPoint"}},
		{name: "another client's bill-to site", q: orders.ProductQuery{ResellerBillToSiteUseID: 777001, ServiceType: "RTX", Model: "R12"}},
		{name: "a ship-to site is not a bill-to site", q: orders.ProductQuery{ResellerBillToSiteUseID: 1912956, ServiceType: "RTX", Model: "R12"}},
		{name: "an inactive reseller's site", q: orders.ProductQuery{ResellerBillToSiteUseID: 531900, ServiceType: "RTX", Model: "R12"}},
		{name: "the other client uses its own site", client: otherClient, q: orders.ProductQuery{ResellerBillToSiteUseID: 777001, ServiceType: "RTX", Model: "R12"},
			customer: "Someone Else Entirely", want: []string{"Trimble||R12 132001-10 EUR 1300.00 1 YEAR []"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := tt.client
			if client == "" {
				client = tapClient
			}
			got, err := eng.Products(ctx, as(client), tt.q)
			switch {
			case tt.vs != nil:
				wantViolations(t, err, tt.vs...)
				return
			case tt.want == nil:
				// "In case no results are found with the request parameters, the
				// API returns an error message "No data found""
				wantMessage(t, err, domain.CodeNotFound, "", orders.ErrNoMatch.Message)
				return
			case err != nil:
				t.Fatal(err)
			}
			var ps []string
			for _, p := range got.Products {
				ps = append(ps, fmt.Sprintf("%s %s %s %s %s %v", p.ManufacturerModel, p.Part.Number, p.Currency, p.ListPrice, p.Duration, p.GeofenceRegions))
			}
			if got.CustomerName != tt.customer || !slices.Equal(ps, tt.want) {
				t.Errorf("products of %q:\n got %q\nwant %q", got.CustomerName, ps, tt.want)
			}
		})
	}
}

// activationSummary renders an ActivationInfo the way the tests compare them.
func activationSummary(in []orders.ActivationInfo) []string {
	var out []string
	for _, a := range in {
		out = append(out, fmt.Sprintf("%s %s %s %s %s", a.Subscription.Serial, a.Subscription.PartNumber, a.Subscription.Period(), a.PartDescription, a.Status))
	}
	return out
}

// TestEngineActivationStatus is TAP_GET_ACTIVATION_STATUS_API: "If such
// subscriptions are available, the system will provide details for both the
// active and future subscriptions."
func TestEngineActivationStatus(t *testing.T) {
	ctx := context.Background()
	eng, _, clock := seedEngineClock(t, tapNow)
	scheduled := rtxLine(2, "1234567891", "RP-1Y")
	scheduled.ActivationType, scheduled.ActivationDate = "SCHEDULED", tapDate("2025-04-26")
	first := mustCreate(t, eng, tapClient, tapOrder(
		rtxLine(1, "1234567890", "132001-10"),
		scheduled,
		rtxLine(3, "1234567892", "128357-10"),
	))
	renewal := mustCreate(t, eng, tapClient, tapOrder(rtxLine(1, "1234567890", "128357-10")))
	canceled := mustCreate(t, eng, tapClient, tapOrder(rtxLine(1, "1234567893", "132001-10")))
	other := mustCreate(t, eng, otherClient, otherOrder("5555555555"))
	// "if some of the lines within the order are canceled, then only active
	// subscriptions details will be retrieved"
	cancel(t, eng, "1234567892", "128357-10")
	cancel(t, eng, "1234567893", "132001-10")
	// The deliverer hands every activation over at once (deliver_test.go
	// covers the statuses of activations not delivered yet).
	drain(t, eng)

	const (
		cp     = "1234567890 132001-10 2025-04-24..2026-04-24 CenterPoint RTX 1 Year"
		rp     = "1234567891 RP-1Y 2025-04-24..2026-04-24 RangePoint RTX 1 Year"
		future = "1234567890 128357-10 2026-04-25..2027-04-25 Ag Regional CenterPoint RTX 1 Year on Basic"
	)
	// The HTTP layer words these as the seed does: "No data found", "No
	// active subscriptions found for the order", "No active subscriptions
	// found for the serial number."
	var (
		noData      = orders.ErrNoMatch.Message
		noActOrder  = orders.ErrNoActiveForOrder.Message
		noActSerial = orders.ErrNoActiveForSerial.Message
	)
	tests := []struct {
		name  string
		at    time.Time
		q     orders.ActivationQuery
		want  []string
		code  domain.Code
		field string
		msg   string
	}{
		{name: "by order number, canceled line left out", q: orders.ActivationQuery{OrderNumber: first.OrderNumber},
			want: []string{cp + " IN_PROGRESS", rp + " SCHEDULED"}},
		{name: "by serial: active and future", q: orders.ActivationQuery{SerialNumber: "1234567890"},
			want: []string{cp + " IN_PROGRESS", future + " IN_PROGRESS"}},
		{name: "by order number and serial", q: orders.ActivationQuery{OrderNumber: first.OrderNumber, SerialNumber: "1234567891"},
			want: []string{rp + " SCHEDULED"}},
		// "it will take 15 minutes to complete the activation"
		{name: "still in progress before 15 minutes", at: tapNow.Add(15*time.Minute - time.Second), q: orders.ActivationQuery{OrderNumber: first.OrderNumber},
			want: []string{cp + " IN_PROGRESS", rp + " SCHEDULED"}},
		{name: "completed 15 minutes after it was due", at: tapNow.Add(15 * time.Minute), q: orders.ActivationQuery{OrderNumber: first.OrderNumber},
			want: []string{cp + " COMPLETED", rp + " SCHEDULED"}},
		{name: "a scheduled activation is due at the start of its UTC date", at: time.Date(2025, 4, 26, 0, 0, 0, 0, time.UTC), q: orders.ActivationQuery{OrderNumber: first.OrderNumber},
			want: []string{cp + " COMPLETED", rp + " IN_PROGRESS"}},
		{name: "and completes 15 minutes later", at: time.Date(2025, 4, 26, 0, 15, 0, 0, time.UTC), q: orders.ActivationQuery{OrderNumber: first.OrderNumber},
			want: []string{cp + " COMPLETED", rp + " COMPLETED"}},
		{name: "an order whose lines are all canceled", q: orders.ActivationQuery{OrderNumber: canceled.OrderNumber},
			code: domain.CodeNotFound, field: "orderNumber", msg: noActOrder},
		// "if ... all subscriptions within the order are expired then the API
		// will send an error "No active subscriptions found for the order""
		{name: "an order whose subscriptions all expired", at: time.Date(2027, 6, 1, 17, 0, 0, 0, time.UTC), q: orders.ActivationQuery{OrderNumber: first.OrderNumber},
			code: domain.CodeNotFound, field: "orderNumber", msg: noActOrder},
		{name: "the renewal's order, expired too", at: time.Date(2027, 6, 1, 17, 0, 0, 0, time.UTC), q: orders.ActivationQuery{OrderNumber: renewal.OrderNumber},
			code: domain.CodeNotFound, field: "orderNumber", msg: noActOrder},
		// "if there are no active subscriptions (terminated, canceled, or
		// expired) associated with the serial number then the API will send an
		// error "No active subscriptions found for the serial number.""
		{name: "a serial whose subscription is canceled", q: orders.ActivationQuery{SerialNumber: "1234567892"},
			code: domain.CodeNotFound, field: "serialNumber", msg: noActSerial},
		{name: "a serial whose subscriptions expired", at: time.Date(2027, 6, 1, 17, 0, 0, 0, time.UTC), q: orders.ActivationQuery{SerialNumber: "1234567890"},
			code: domain.CodeNotFound, field: "serialNumber", msg: noActSerial},
		{name: "unknown order number", q: orders.ActivationQuery{OrderNumber: 121}, code: domain.CodeNotFound, msg: noData},
		{name: "unknown serial", q: orders.ActivationQuery{SerialNumber: "0000000000"}, code: domain.CodeNotFound, msg: noData},
		{name: "another client's order number", q: orders.ActivationQuery{OrderNumber: other.OrderNumber}, code: domain.CodeNotFound, msg: noData},
		{name: "another client's serial", q: orders.ActivationQuery{SerialNumber: "5555555555"}, code: domain.CodeNotFound, msg: noData},
		{name: "a serial not in the order", q: orders.ActivationQuery{OrderNumber: first.OrderNumber, SerialNumber: "1234567893"}, code: domain.CodeNotFound, msg: noData},
		// "***Any one field is Mandatory"
		{name: "empty query", code: domain.CodeInvalid, field: "orderNumber", msg: "give orderNumber or serialNumber"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := tt.at
			if at.IsZero() {
				at = tapNow
			}
			clock.set(at)
			got, err := eng.ActivationStatus(ctx, as(tapClient), tt.q)
			if tt.code != "" {
				wantMessage(t, err, tt.code, tt.field, tt.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := activationSummary(got); !slices.Equal(s, tt.want) {
				t.Errorf("activations:\n got %q\nwant %q", s, tt.want)
			}
			for _, a := range got {
				if a.Activation.ID == "" || a.Activation.SubscriptionID != a.Subscription.ID || a.Activation.Passcode == "" {
					t.Errorf("activation %+v does not belong to subscription %s", a.Activation, a.Subscription.ID)
				}
			}
		})
	}
}

// TestEngineResendActivation is TAP_RESEND_ACTIVATION_API.
func TestEngineResendActivation(t *testing.T) {
	ctx := context.Background()
	eng, act, clock := seedEngineClock(t, tapNow)
	// Two product lines on one agriculture receiver (rule 4 lets it switch at
	// any time), and the seed's VRS device.
	cp, rp := rtxLine(1, "1234567890", "132001-10"), rtxLine(2, "1234567890", "RP-1Y")
	cp.ManufacturerModel, rp.ManufacturerModel = "NAV-900", "NAV-900"
	first := mustCreate(t, eng, tapClient, tapOrder(cp, rp, vrsLine(3, "TestAPI01")))
	other := mustCreate(t, eng, otherClient, otherOrder("5555555555"))
	// 2025-04-24 20:00 PDT is already 2025-04-25 in UTC: activation dates are UTC.
	now := time.Date(2025, 4, 25, 3, 0, 0, 0, time.UTC)
	clock.set(now)

	tests := []struct {
		name   string
		r      orders.ResendRequest
		serial string // of the activation: the stored spelling
		part   string
		method domain.ActivationMethod
		date   string
		email  string
		code   domain.Code
		field  string
		msg    string
	}{
		{name: "serialNumber is mandatory", code: domain.CodeInvalid, field: "serialNumber", msg: "serialNumber is mandatory"},
		// "If the serial number has multiple active subscriptions and the
		// customer wishes to retrieve a specific activation detail, the customer
		// must provide the "partNumber" in the request payload."
		{name: "several active subscriptions need partNumber", r: orders.ResendRequest{SerialNumber: "1234567890"},
			code: domain.CodeInvalid, field: "partNumber", msg: "serialNumber 1234567890 has several active subscriptions; give partNumber to choose one"},
		{name: "partNumber chooses one", r: orders.ResendRequest{SerialNumber: "1234567890", PartNumber: "RP-1Y"},
			serial: "1234567890", part: "RP-1Y", method: domain.OTA, date: "2025-04-25"},
		{name: "partNumber in another case", r: orders.ResendRequest{SerialNumber: "1234567890", PartNumber: "rp-1y"},
			serial: "1234567890", part: "RP-1Y", method: domain.OTA, date: "2025-04-25"},
		// "If the activation date in the payload is past dated then the system
		// will take the current system date as an activation Date." 2025-04-24
		// is today in Pacific time but past in UTC.
		{name: "a past activationDate becomes today in UTC", r: orders.ResendRequest{SerialNumber: "1234567890", PartNumber: "132001-10", ActivationDate: tapDate("2025-04-24")},
			serial: "1234567890", part: "132001-10", method: domain.OTA, date: "2025-04-25"},
		{name: "a future activationDate is kept", r: orders.ResendRequest{SerialNumber: "1234567890", PartNumber: "132001-10", ActivationDate: tapDate("2025-05-26")},
			serial: "1234567890", part: "132001-10", method: domain.OTA, date: "2025-05-26"},
		{name: "by order number", r: orders.ResendRequest{SerialNumber: "1234567890", PartNumber: "132001-10", OrderNumber: first.OrderNumber},
			serial: "1234567890", part: "132001-10", method: domain.OTA, date: "2025-04-25"},
		{name: "by customerOrderRef", r: orders.ResendRequest{SerialNumber: "1234567890", PartNumber: "RP-1Y", CustomerOrderRef: "Order30042024"},
			serial: "1234567890", part: "RP-1Y", method: domain.OTA, date: "2025-04-25"},
		// "The activation method will be fetched from the Passcode mapping
		// (OTA, Send by Email)"; the VRS serial matches in any case.
		{name: "an e-mail part, to the device's latest valid SSO e-mail", r: orders.ResendRequest{SerialNumber: "testapi01"},
			serial: "TESTApi01", part: "VRS-1Y", method: domain.Email, date: "2025-04-25", email: "test123@gmail.com"},
		// "If no results are found with the provided request parameters, the
		// API will return an error message "No data found""
		{name: "a part the serial does not have", r: orders.ResendRequest{SerialNumber: "1234567890", PartNumber: "VRS-1Y"}, code: domain.CodeNotFound, msg: orders.ErrNoMatch.Message},
		{name: "another customerOrderRef", r: orders.ResendRequest{SerialNumber: "1234567890", CustomerOrderRef: "Order01012020"}, code: domain.CodeNotFound, msg: orders.ErrNoMatch.Message},
		{name: "an unknown serial", r: orders.ResendRequest{SerialNumber: "0000000000"}, code: domain.CodeNotFound, msg: orders.ErrNoMatch.Message},
		{name: "another client's serial", r: orders.ResendRequest{SerialNumber: "5555555555"}, code: domain.CodeNotFound, msg: orders.ErrNoMatch.Message},
		{name: "another client's order number", r: orders.ResendRequest{SerialNumber: "5555555555", OrderNumber: other.OrderNumber}, code: domain.CodeNotFound, msg: orders.ErrNoMatch.Message},
		{name: "our serial under another client's order", r: orders.ResendRequest{SerialNumber: "1234567890", OrderNumber: other.OrderNumber}, code: domain.CodeNotFound, msg: orders.ErrNoMatch.Message},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(act.delivered())
			a, err := eng.ResendActivation(ctx, as(tapClient), tt.r)
			if tt.code != "" {
				wantMessage(t, err, tt.code, tt.field, tt.msg)
				if got := act.delivered(); len(got) != before {
					t.Errorf("a refused resend delivered %+v", got[before:])
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := domain.Activation{ID: a.ID, SubscriptionID: a.SubscriptionID, OrderID: first.UniqueID, Serial: tt.serial, PartNumber: tt.part,
				Method: tt.method, RequestType: "RESEND", Date: tapDate(tt.date), RequestedAt: now, Passcode: a.Passcode, Email: tt.email,
				Delivery: domain.PendingDelivery(now)}
			if a != want || a.ID == "" || a.Passcode == "" {
				t.Errorf("activation:\n got %+v\nwant %+v", a, want)
			}
			var sub domain.Subscription
			for _, s := range subscriptionsOf(t, eng, tt.serial) {
				if s.ID == a.SubscriptionID {
					sub = s
				}
			}
			if sub.PartNumber != tt.part {
				t.Errorf("activation for subscription %q, which is of part %q, want %q", a.SubscriptionID, sub.PartNumber, tt.part)
			}
			if got := act.delivered(); len(got) != before+1 || got[before] != withoutDelivery(a) {
				t.Errorf("delivered %+v, want %+v", got[before:], a)
			}
			view(t, eng, func(ctx context.Context, tx ports.Tx) error {
				evs, err := tx.Audit().List(ctx, "serial:"+tt.serial)
				if err != nil {
					return err
				}
				if len(evs) == 0 || evs[len(evs)-1].Command != "ResendActivation" || evs[len(evs)-1].Actor != tapClient || !evs[len(evs)-1].At.Equal(now) {
					t.Errorf("audit events of serial:%s = %+v, want a ResendActivation last", tt.serial, evs)
				}
				return nil
			})
		})
	}

	// The activation status reports the latest delivery: the resend.
	a, err := eng.ResendActivation(ctx, as(tapClient), orders.ResendRequest{SerialNumber: "1234567890", PartNumber: "RP-1Y", ActivationDate: tapDate("2025-06-01")})
	if err != nil {
		t.Fatal(err)
	}
	infos, err := eng.ActivationStatus(ctx, as(tapClient), orders.ActivationQuery{SerialNumber: "1234567890"})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range infos {
		if in.Subscription.PartNumber == "RP-1Y" && (in.Activation != a || in.Status != "SCHEDULED") {
			t.Errorf("RP-1Y status = %s with %+v, want SCHEDULED with the resend %+v", in.Status, in.Activation, a)
		}
	}

	// A resend the Activator refuses is recorded all the same, and stays
	// pending with the error: the resend itself succeeded.
	act.failWith(errors.New("mail relay down"))
	r, err := eng.ResendActivation(ctx, as(tapClient), orders.ResendRequest{SerialNumber: "TESTApi01"})
	if err != nil || r.Delivery.State != domain.DeliveryPending {
		t.Fatalf("ResendActivation with the Activator down = %+v, %v; want it recorded pending", r, err)
	}
	drain(t, eng)
	var after domain.Activation
	view(t, eng, func(ctx context.Context, tx ports.Tx) error {
		as, err := tx.Activations().BySerial(ctx, "TESTApi01")
		for _, x := range as {
			if x.ID == r.ID {
				after = x
			}
		}
		return err
	})
	if after.Delivery.State != domain.DeliveryPending || after.Delivery.LastError != "mail relay down" {
		t.Errorf("the refused resend's delivery = %+v, want pending with the relay's error", after.Delivery)
	}
}

// copyRulesets copies the shipped rule files into a new directory, with edit
// applied to file name (old must occur exactly once).
func copyRulesets(tb testing.TB, name, old, new string) string {
	tb.Helper()
	dir := tb.TempDir()
	entries, err := fs.ReadDir(rulesets.FS, ".")
	if err != nil {
		tb.Fatal(err)
	}
	edited := false
	for _, e := range entries {
		b, err := fs.ReadFile(rulesets.FS, e.Name())
		if err != nil {
			tb.Fatal(err)
		}
		if e.Name() == name {
			if n := strings.Count(string(b), old); n != 1 {
				tb.Fatalf("%s holds %q %d times, want once", name, old, n)
			}
			b, edited = []byte(strings.Replace(string(b), old, new, 1)), true
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	if !edited {
		tb.Fatalf("no ruleset file %s", name)
	}
	return dir
}

// TestEngineReloadRules: "Loading is atomic: the engine swaps a whole new
// ruleset set in or keeps the old one"; and a rule author changing 3 to 5
// changes behaviour with no Go change.
func TestEngineReloadRules(t *testing.T) {
	ctx := context.Background()
	eng, _ := seedEngine(t, tapNow)
	old := eng.Rules()
	at := func(start string, serial string) domain.OrderRequest {
		l := rtxLine(1, serial, "132001-10")
		l.ServiceStartDate = tapDate(start)
		req := tapOrder(l)
		req.CustomerPONumber = "PO-" + start
		return req
	}
	tooLate := func(start string, days int) domain.Violation {
		return domain.Violation{RuleID: "line.start-window", Code: "START_DATE_TOO_LATE", Field: "lines[0].serviceStartDate",
			Message: fmt.Sprintf("serviceStartDate %s is more than %d days after today (2025-04-24, Pacific time)", start, days)}
	}

	// A broken expression: the load fails where the author wrote it, and the
	// rules in force stay.
	const good, bad = "when: line.lineNumber <= 0", "when: line.lineNumbr <= 0"
	broken := copyRulesets(t, "20-lines.yaml", good, bad)
	err := reload(eng, os.DirFS(broken))
	var le *rules.LoadError
	if !errors.As(err, &le) {
		t.Fatalf("ReloadRules of a broken file = %v (%T), want a *rules.LoadError", err, err)
	}
	src, _ := fs.ReadFile(rulesets.FS, "20-lines.yaml")
	before := string(src[:strings.Index(string(src), good)])
	wantLine := strings.Count(before, "\n") + 1
	wantCol := len(before) - strings.LastIndex(before, "\n") + len("when: line.") // the column of "lineNumbr"
	if len(le.Problems) != 1 {
		t.Fatalf("problems = %v, want one", le)
	}
	p := le.Problems[0]
	if p.Pos.File != "20-lines.yaml" || p.Pos.Line != wantLine || !strings.Contains(p.Msg, "lineNumbr") {
		t.Errorf("problem = %s, want 20-lines.yaml:%d naming lineNumbr", p, wantLine)
	}
	if p.Pos.Col != wantCol {
		t.Errorf("problem column = %d, want %d (where lineNumbr starts): %s", p.Pos.Col, wantCol, p)
	}
	if eng.Rules() != old {
		t.Fatal("a failed reload replaced the rules in force")
	}
	_, err = eng.CreateOrder(ctx, as(tapClient), at("2025-04-28", "1234567890"))
	wantViolations(t, err, tooLate("2025-04-28", 3))

	// The rule author changes 3 to 5.
	five := copyRulesets(t, "20-lines.yaml", "start_window_days: 3", "start_window_days: 5")
	if err := reload(eng, os.DirFS(five)); err != nil {
		t.Fatalf("ReloadRules: %v", err)
	}
	hash := eng.Rules().Hash()
	if hash == old.Hash() {
		t.Fatal("the new rules have the old hash")
	}
	rc := mustCreate(t, eng, tapClient, at("2025-04-29", "1234567890"))
	l := mustOrder(t, eng, tapClient, rc.UniqueID).Lines[0]
	if l.ServiceStartDate != tapDate("2025-04-29") || l.ServiceEndDate != tapDate("2026-04-29") || rc.Decision.RulesetHash != hash {
		t.Errorf("accepted line = %s..%s under %s, want 2025-04-29..2026-04-29 under %s", l.ServiceStartDate, l.ServiceEndDate, rc.Decision.RulesetHash, hash)
	}
	view(t, eng, func(ctx context.Context, tx ports.Tx) error {
		evs, err := tx.Audit().List(ctx, fmt.Sprintf("order:%d", rc.UniqueID))
		if err != nil {
			return err
		}
		if len(evs) != 1 || evs[0].RulesetHash != hash {
			t.Errorf("audit = %+v, want CreateOrder under the new ruleset %s", evs, hash)
		}
		return nil
	})
	_, err = eng.CreateOrder(ctx, as(tapClient), at("2025-04-30", "1234567891"))
	wantViolations(t, err, tooLate("2025-04-30", 5))
}

// TestEngineCreateOrderPricesAndFlags: "The standard discount for items or
// customer level discounts will be verified and applied automatically"; "The
// promo code will undergo validation and will be applied at the order level";
// a coupon is redeemed once; the bill-to site may turn auto-renewal off.
func TestEngineCreateOrderPricesAndFlags(t *testing.T) {
	ctx := context.Background()
	eng, _ := seedEngine(t, tapNow)

	promo := tapOrder(rtxLine(1, "1234567890", "132001-10"), rtxLine(2, "1234567891", "128349-10"))
	promo.PromoCode = "RTX50"
	o := mustOrder(t, eng, tapClient, mustCreate(t, eng, tapClient, promo).UniqueID)
	if o.PromoCode != "RTX50" || o.Total.StringFixed(2) != "1290.00" { // (1500 + 1080) / 2
		t.Errorf("promo order = {%q, total %s}, want {RTX50, 1290.00}", o.PromoCode, o.Total.StringFixed(2))
	}

	special := tapOrder(rtxLine(1, "1234567892", "132001-10"))
	special.BillToSiteUseID, special.ShipToSiteUseID = 880001, 880002
	o = mustOrder(t, eng, tapClient, mustCreate(t, eng, tapClient, special).UniqueID)
	if l := o.Lines[0]; l.UnitPrice.StringFixed(2) != "1350.00" || l.NetPrice.StringFixed(2) != "1282.50" || o.Total.StringFixed(2) != "1282.50" || o.ActivationCountry != "AU" {
		t.Errorf("customer-discounted order = {unit %s, net %s, total %s, %s}, want {1350.00, 1282.50, 1282.50, AU}",
			l.UnitPrice.StringFixed(2), l.NetPrice.StringFixed(2), o.Total.StringFixed(2), o.ActivationCountry)
	}

	// "There are some validations in the store for autorenewals if those are
	// not satisfied then even if the consumer has sent the autoRenewal value
	// as Y the order will not have autorenewal checkbox checked."
	noRenew := tapOrder(rtxLine(1, "1234567893", "132001-10"))
	noRenew.BillToSiteUseID = 531808
	o = mustOrder(t, eng, tapClient, mustCreate(t, eng, tapClient, noRenew).UniqueID)
	if tl := subscriptionsOf(t, eng, "1234567893"); o.Lines[0].AutoRenewal || len(tl) != 1 || tl[0].AutoRenew {
		t.Errorf("autoRenewal = %v, subscriptions %+v; want off on both", o.Lines[0].AutoRenewal, tl)
	}

	// "When a user wishes to redeem a coupon, the validation process for the
	// coupon will be initiated and executed."
	mustCreate(t, eng, tapClient, tapOrder(redemption(1, "1234567894")))
	view(t, eng, func(ctx context.Context, tx ports.Tx) error {
		if c, err := tx.Catalog().Coupon(ctx, "61236403205760"); err != nil || !c.Redeemed {
			t.Errorf("coupon = %+v (%v), want it redeemed", c, err)
		}
		return nil
	})
	_, err := eng.CreateOrder(ctx, as(tapClient), tapOrder(redemption(1, "1234567895")))
	wantViolations(t, err, domain.Violation{RuleID: "line.coupon-valid", Code: "INVALID_COUPON", Field: "lines[0].couponNumber",
		Message: "couponNumber 61236403205760 is not a valid unredeemed coupon for RDM-1Y"})
}

// TestEngineResumeDeliversEachActivationOnce: an order a crash left in
// progress with two lines of one serial has two activations; Resume must hand
// each over once.
func TestEngineResumeDeliversEachActivationOnce(t *testing.T) {
	ctx := context.Background()
	eng, act := seedEngine(t, tapNow)
	stuck := &domain.Order{ClientID: tapClient, PONumber: "PO-TIMEOUT", Status: domain.OrderInProgress, CreatedAt: tapNow,
		Lines: []domain.OrderLine{
			{LineNumber: 1, SerialNumber: "1234567890", PartNumber: "132001-10", ServiceType: domain.RTX, Quantity: 1},
			{LineNumber: 2, SerialNumber: "1234567890", PartNumber: "RP-1Y", ServiceType: domain.RTX, Quantity: 1},
		}}
	recorded := []domain.Activation{
		{ID: "act-1", OrderID: 13331, Serial: "1234567890", PartNumber: "132001-10", Method: domain.OTA, RequestType: "ORDER", Date: tapDate("2025-04-24"), RequestedAt: tapNow},
		{ID: "act-2", OrderID: 13331, Serial: "1234567890", PartNumber: "RP-1Y", Method: domain.OTA, RequestType: "ORDER", Date: tapDate("2025-04-24"), RequestedAt: tapNow},
	}
	legacy := domain.Delivery{State: domain.DeliveryDelivered, Attempts: 1, DeliveredAt: tapNow}
	update(t, eng, func(ctx context.Context, tx ports.Tx) error {
		if err := tx.Orders().Create(ctx, stuck); err != nil {
			return err
		}
		for _, a := range recorded {
			a.Delivery = legacy
			if err := tx.Activations().Put(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if n, err := eng.Resume(ctx); err != nil || n != 1 {
		t.Fatalf("Resume = %d, %v; want 1, nil", n, err)
	}
	if got := act.delivered(); !slices.Equal(got, recorded) {
		t.Errorf("Resume delivered %d activations:%s\nwant each of the %d recorded once", len(got), fmtActivations(got), len(recorded))
	}
}

func fmtActivations(as []domain.Activation) string {
	var b strings.Builder
	for _, a := range as {
		fmt.Fprintf(&b, "\n\t%s %s %s", a.ID, a.Serial, a.PartNumber)
	}
	return b.String()
}

// TestEngineHeldOrderIsNotActivated: an order on hold is activated "after"
// Customer Care releases it ("the order hold released manually after which
// order confirmation and activation email will be sent"); until then its
// activation status is PENDING and a resend must not deliver its passcode.
func TestEngineHeldOrderIsNotActivated(t *testing.T) {
	ctx := context.Background()
	eng, act := seedEngine(t, tapNow)
	req := tapOrder(rtxLine(1, "1234567890", "132001-10"))
	req.CurrencyCode, req.BillToSiteUseID, req.ShipToSiteUseID = "GBP", 640001, 640002
	rc := mustCreate(t, eng, tapClient, req)
	if rc.Status != domain.OrderOnHold {
		t.Fatalf("status = %s, want ORDER_ON_HOLD", rc.Status)
	}
	infos, err := eng.ActivationStatus(ctx, as(tapClient), orders.ActivationQuery{OrderNumber: rc.OrderNumber})
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || infos[0].Status != "PENDING" || infos[0].Activation.ID != "" {
		t.Errorf("activation status = %+v, want one PENDING with no activation", infos)
	}
	a, err := eng.ResendActivation(ctx, as(tapClient), orders.ResendRequest{SerialNumber: "1234567890"})
	if err == nil {
		t.Errorf("a resend for an order on hold was accepted: %+v", a)
	}
	if got := act.delivered(); len(got) != 0 {
		t.Errorf("the passcode of an order on hold was delivered: %+v", got)
	}
}

// TestEngineReloadRulesFromNothingKeepsTheRules: any failed reload keeps the
// rules in force, not only a compile error.
func TestEngineReloadRulesFromNothingKeepsTheRules(t *testing.T) {
	eng, _ := seedEngine(t, tapNow)
	old := eng.Rules()
	if err := reload(eng, os.DirFS(t.TempDir())); err == nil {
		t.Error("reloading from an empty directory succeeded")
	}
	if eng.Rules() != old {
		t.Error("a failed reload replaced the rules in force")
	}
}

// TestEngineSeedKeepsInProgressSerials: a dataset's inProgress serials
// ("serials that have an order in ORDER_CREATION_INPROGRESS") must reach the
// store, so the engine refuses them as the ruleset tests over the same
// dataset do (20-lines.yaml: "a serial with an order in progress cannot be
// ordered again").
func TestEngineSeedKeepsInProgressSerials(t *testing.T) {
	ctx := context.Background()
	eng, _ := seedEngine(t, tapNow)
	if err := seed(ctx, eng, &dataset.Dataset{InProgress: []string{"1234567890"}}); err != nil {
		t.Fatalf("Seed: %v", err)
	}
	_, err := eng.CreateOrder(ctx, as(tapClient), tapOrder(rtxLine(1, "1234567890", "132001-10")))
	wantViolations(t, err, domain.Violation{RuleID: "line.order-in-progress", Code: "ORDER_IN_PROGRESS",
		Field: "lines[0].serialNumber", Message: seedMsgInProgress})
}
