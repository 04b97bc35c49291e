package sqlite

import (
	"encoding/json"
	"time"

	"github.com/shopspring/decimal"

	"github.com/entitle-rules/entitle/domain"
)

// How values are written to columns. Each form is chosen so that SQL
// comparisons and ORDER BY on the text give the domain's order, and so that
// nothing is rounded on the way in or out.

// instantLayout is RFC 3339 with exactly nine fractional digits. Go's
// RFC3339Nano drops trailing zeros, and then "10:28:10Z" sorts after
// "10:28:10.5Z"; fixed width in UTC makes text order time order.
const instantLayout = "2006-01-02T15:04:05.000000000Z07:00"

func instant(t time.Time) string { return t.UTC().Format(instantLayout) }

func parseInstant(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }

// dateText writes a civil date as YYYY-MM-DD, and no date as "".
func dateText(d domain.Date) string { return d.String() }

func parseDateText(s string) (domain.Date, error) {
	if s == "" {
		return domain.Date{}, nil
	}
	return domain.ParseDate(s)
}

// decText writes a decimal exactly, keeping its scale: 1999.00 stays
// "1999.00", so what is read back prints as what was stored.
func decText(d decimal.Decimal) string {
	if e := d.Exponent(); e < 0 {
		return d.StringFixed(-e)
	}
	return d.String()
}

func parseDecText(s string) (decimal.Decimal, error) { return decimal.NewFromString(s) }

func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func parseJSON(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// The JSON forms of the lists kept in a column of their parent row. They
// have their own field names, so renaming a Go field in domain never changes
// what is on disk; decimals and dates are strings in the forms above.

type siteJSON struct {
	SiteUseID     int64          `json:"siteUseId"`
	Use           domain.SiteUse `json:"use"` // 1 bill-to, 2 ship-to
	Address       string         `json:"address"`
	Region        domain.Region  `json:"region"`
	Country       string         `json:"country"`
	AutoRenewFlag bool           `json:"autoRenewFlag"`
}

func sitesJSON(sites []domain.Site) (string, error) {
	if sites == nil {
		return jsonText(nil)
	}
	out := make([]siteJSON, len(sites))
	for i, s := range sites {
		out[i] = siteJSON(s)
	}
	return jsonText(out)
}

func parseSites(s string) ([]domain.Site, error) {
	var in []siteJSON
	if err := parseJSON(s, &in); err != nil || in == nil {
		return nil, err
	}
	out := make([]domain.Site, len(in))
	for i, r := range in {
		out[i] = domain.Site(r)
	}
	return out, nil
}

type priceItemJSON struct {
	PartNumber      string `json:"partNumber"`
	ListPrice       string `json:"listPrice"`
	DiscountPercent string `json:"discountPercent"`
}

func priceItemsJSON(items []domain.PriceItem) (string, error) {
	if items == nil {
		return jsonText(nil)
	}
	out := make([]priceItemJSON, len(items))
	for i, it := range items {
		out[i] = priceItemJSON{PartNumber: it.PartNumber, ListPrice: decText(it.ListPrice), DiscountPercent: decText(it.DiscountPercent)}
	}
	return jsonText(out)
}

func parsePriceItems(s string) ([]domain.PriceItem, error) {
	var in []priceItemJSON
	if err := parseJSON(s, &in); err != nil || in == nil {
		return nil, err
	}
	out := make([]domain.PriceItem, len(in))
	for i, r := range in {
		lp, err := parseDecText(r.ListPrice)
		if err != nil {
			return nil, err
		}
		dp, err := parseDecText(r.DiscountPercent)
		if err != nil {
			return nil, err
		}
		out[i] = domain.PriceItem{PartNumber: r.PartNumber, ListPrice: lp, DiscountPercent: dp}
	}
	return out, nil
}

type lineJSON struct {
	LineNumber          int                     `json:"lineNumber"`
	ServiceType         domain.ServiceType      `json:"serviceType"`
	ManufacturerModel   string                  `json:"manufacturerModel"`
	SerialNumber        string                  `json:"serialNumber"`
	PartNumber          string                  `json:"partNumber"`
	PartDescription     string                  `json:"partDescription"`
	ProductLine         domain.ProductLine      `json:"productLine"`
	Kind                domain.SubscriptionKind `json:"kind"`
	ServiceStartDate    string                  `json:"serviceStartDate"`
	ServiceEndDate      string                  `json:"serviceEndDate"`
	DurationDays        int                     `json:"durationDays"`
	Quantity            int                     `json:"quantity"`
	AutoRenewal         bool                    `json:"autoRenewal"`
	GeoFenceRegion      string                  `json:"geoFenceRegion"`
	ActivationType      domain.ActivationType   `json:"activationType"`
	ActivationDate      string                  `json:"activationDate"`
	CouponNumber        string                  `json:"couponNumber"`
	SSOUserEmailAddress string                  `json:"ssoUserEmailAddress"`
	SimIncludedFlag     string                  `json:"simIncludedFlag"`
	SimNumber           string                  `json:"simNumber"`
	DeviceKey           string                  `json:"deviceKey"`
	CarrierName         string                  `json:"carrierName"`
	UnitPrice           string                  `json:"unitPrice"`
	NetPrice            string                  `json:"netPrice"`
	SubscriptionID      string                  `json:"subscriptionId"`
	Canceled            bool                    `json:"canceled"`
}

func linesJSON(lines []domain.OrderLine) (string, error) {
	if lines == nil {
		return jsonText(nil)
	}
	out := make([]lineJSON, len(lines))
	for i := range lines {
		l := &lines[i]
		out[i] = lineJSON{
			LineNumber: l.LineNumber, ServiceType: l.ServiceType, ManufacturerModel: l.ManufacturerModel,
			SerialNumber: l.SerialNumber, PartNumber: l.PartNumber, PartDescription: l.PartDescription,
			ProductLine: l.ProductLine, Kind: l.Kind, ServiceStartDate: dateText(l.ServiceStartDate),
			ServiceEndDate: dateText(l.ServiceEndDate), DurationDays: l.DurationDays, Quantity: l.Quantity,
			AutoRenewal: l.AutoRenewal, GeoFenceRegion: l.GeoFenceRegion, ActivationType: l.ActivationType,
			ActivationDate: dateText(l.ActivationDate), CouponNumber: l.CouponNumber,
			SSOUserEmailAddress: l.SSOUserEmailAddress, SimIncludedFlag: l.SimIncludedFlag, SimNumber: l.SimNumber,
			DeviceKey: l.DeviceKey, CarrierName: l.CarrierName, UnitPrice: decText(l.UnitPrice),
			NetPrice: decText(l.NetPrice), SubscriptionID: l.SubscriptionID, Canceled: l.Canceled,
		}
	}
	return jsonText(out)
}

func parseLines(s string) ([]domain.OrderLine, error) {
	var in []lineJSON
	if err := parseJSON(s, &in); err != nil || in == nil {
		return nil, err
	}
	out := make([]domain.OrderLine, len(in))
	for i := range in {
		r := &in[i]
		start, err1 := parseDateText(r.ServiceStartDate)
		end, err2 := parseDateText(r.ServiceEndDate)
		act, err3 := parseDateText(r.ActivationDate)
		unit, err4 := parseDecText(r.UnitPrice)
		net, err5 := parseDecText(r.NetPrice)
		for _, err := range []error{err1, err2, err3, err4, err5} {
			if err != nil {
				return nil, err
			}
		}
		out[i] = domain.OrderLine{
			LineNumber: r.LineNumber, ServiceType: r.ServiceType, ManufacturerModel: r.ManufacturerModel,
			SerialNumber: r.SerialNumber, PartNumber: r.PartNumber, PartDescription: r.PartDescription,
			ProductLine: r.ProductLine, Kind: r.Kind, ServiceStartDate: start, ServiceEndDate: end,
			DurationDays: r.DurationDays, Quantity: r.Quantity, AutoRenewal: r.AutoRenewal,
			GeoFenceRegion: r.GeoFenceRegion, ActivationType: r.ActivationType, ActivationDate: act,
			CouponNumber: r.CouponNumber, SSOUserEmailAddress: r.SSOUserEmailAddress,
			SimIncludedFlag: r.SimIncludedFlag, SimNumber: r.SimNumber, DeviceKey: r.DeviceKey,
			CarrierName: r.CarrierName, UnitPrice: unit, NetPrice: net, SubscriptionID: r.SubscriptionID,
			Canceled: r.Canceled,
		}
	}
	return out, nil
}
