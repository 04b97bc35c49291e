package sqlrow

import (
	"github.com/entitle-rules/entitle/domain"
)

// The stored JSON forms of the lists kept inside their parent's row: a
// customer's sites, a price list's items, an order's lines. Nobody looks a
// row up by them; the parts that are looked up or constrained are rows of
// their own tables as well (customer_sites, price_list_countries,
// order_serials). The JSON names are the stored format, so renaming a Go
// field in domain never changes what is on disk; decimals are DecimalText and
// dates DateText, as strings. Both stores write the same bytes.
//
// A nil list is stored as JSON null and an empty one as [], and each reads
// back as it was, as the memory store hands back what it was given.

type siteJSON struct {
	SiteUseID     int64          `json:"siteUseId"`
	Use           domain.SiteUse `json:"use"` // 1 bill-to, 2 ship-to
	Address       string         `json:"address"`
	Region        domain.Region  `json:"region"`
	Country       string         `json:"country"`
	AutoRenewFlag bool           `json:"autoRenewFlag"`
}

// EncodeSites returns the stored form of a customer's sites.
func EncodeSites(sites []domain.Site) ([]byte, error) {
	return encodeList(sites, func(s *domain.Site) siteJSON { return siteJSON(*s) })
}

// DecodeSites reads what EncodeSites wrote.
func DecodeSites(b []byte) ([]domain.Site, error) {
	return decodeList(b, func(s *siteJSON) (domain.Site, error) { return domain.Site(*s), nil })
}

type priceItemJSON struct {
	PartNumber      string `json:"partNumber"`
	ListPrice       string `json:"listPrice"`
	DiscountPercent string `json:"discountPercent"`
}

// EncodePriceItems returns the stored form of a price list's items.
func EncodePriceItems(items []domain.PriceItem) ([]byte, error) {
	return encodeList(items, func(it *domain.PriceItem) priceItemJSON {
		return priceItemJSON{PartNumber: it.PartNumber, ListPrice: DecimalText(it.ListPrice), DiscountPercent: DecimalText(it.DiscountPercent)}
	})
}

// DecodePriceItems reads what EncodePriceItems wrote.
func DecodePriceItems(b []byte) ([]domain.PriceItem, error) {
	return decodeList(b, func(r *priceItemJSON) (domain.PriceItem, error) {
		lp, err := ParseDecimal(r.ListPrice, "listPrice")
		if err != nil {
			return domain.PriceItem{}, err
		}
		dp, err := ParseDecimal(r.DiscountPercent, "discountPercent")
		return domain.PriceItem{PartNumber: r.PartNumber, ListPrice: lp, DiscountPercent: dp}, err
	})
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
	ServiceStartDate    domain.Date             `json:"serviceStartDate"`
	ServiceEndDate      domain.Date             `json:"serviceEndDate"`
	DurationDays        int                     `json:"durationDays"`
	Quantity            int                     `json:"quantity"`
	AutoRenewal         bool                    `json:"autoRenewal"`
	GeoFenceRegion      string                  `json:"geoFenceRegion"`
	ActivationType      domain.ActivationType   `json:"activationType"`
	ActivationDate      domain.Date             `json:"activationDate"`
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

// EncodeLines returns the stored form of an order's lines.
func EncodeLines(lines []domain.OrderLine) ([]byte, error) {
	return encodeList(lines, func(l *domain.OrderLine) lineJSON {
		return lineJSON{
			LineNumber: l.LineNumber, ServiceType: l.ServiceType, ManufacturerModel: l.ManufacturerModel,
			SerialNumber: l.SerialNumber, PartNumber: l.PartNumber, PartDescription: l.PartDescription,
			ProductLine: l.ProductLine, Kind: l.Kind, ServiceStartDate: l.ServiceStartDate,
			ServiceEndDate: l.ServiceEndDate, DurationDays: l.DurationDays, Quantity: l.Quantity,
			AutoRenewal: l.AutoRenewal, GeoFenceRegion: l.GeoFenceRegion, ActivationType: l.ActivationType,
			ActivationDate: l.ActivationDate, CouponNumber: l.CouponNumber,
			SSOUserEmailAddress: l.SSOUserEmailAddress, SimIncludedFlag: l.SimIncludedFlag, SimNumber: l.SimNumber,
			DeviceKey: l.DeviceKey, CarrierName: l.CarrierName, UnitPrice: DecimalText(l.UnitPrice),
			NetPrice: DecimalText(l.NetPrice), SubscriptionID: l.SubscriptionID, Canceled: l.Canceled,
		}
	})
}

// DecodeLines reads what EncodeLines wrote.
func DecodeLines(b []byte) ([]domain.OrderLine, error) {
	return decodeList(b, func(r *lineJSON) (domain.OrderLine, error) {
		unit, err := ParseDecimal(r.UnitPrice, "unitPrice")
		if err != nil {
			return domain.OrderLine{}, err
		}
		net, err := ParseDecimal(r.NetPrice, "netPrice")
		return domain.OrderLine{
			LineNumber: r.LineNumber, ServiceType: r.ServiceType, ManufacturerModel: r.ManufacturerModel,
			SerialNumber: r.SerialNumber, PartNumber: r.PartNumber, PartDescription: r.PartDescription,
			ProductLine: r.ProductLine, Kind: r.Kind, ServiceStartDate: r.ServiceStartDate, ServiceEndDate: r.ServiceEndDate,
			DurationDays: r.DurationDays, Quantity: r.Quantity, AutoRenewal: r.AutoRenewal,
			GeoFenceRegion: r.GeoFenceRegion, ActivationType: r.ActivationType, ActivationDate: r.ActivationDate,
			CouponNumber: r.CouponNumber, SSOUserEmailAddress: r.SSOUserEmailAddress,
			SimIncludedFlag: r.SimIncludedFlag, SimNumber: r.SimNumber, DeviceKey: r.DeviceKey,
			CarrierName: r.CarrierName, UnitPrice: unit, NetPrice: net, SubscriptionID: r.SubscriptionID,
			Canceled: r.Canceled,
		}, err
	})
}

// DecodeOrder sets the fields of o that both stores keep as text: the
// status (which must be one domain.ParseOrderStatus accepts, as Create and
// SetStatus made sure), the total and the lines. o.UniqueID names the order
// in errors, all CodeInternal: the store wrote what it cannot read.
func DecodeOrder(o *domain.Order, status, total string, lines []byte) error {
	var err error
	if o.Status, err = domain.ParseOrderStatus(status); err != nil {
		return domain.Wrap(err, domain.CodeInternal, "stored order %d", o.UniqueID)
	}
	if o.Total, err = ParseDecimal(total, "total"); err != nil {
		return domain.Wrap(err, domain.CodeInternal, "stored order %d", o.UniqueID)
	}
	if o.Lines, err = DecodeLines(lines); err != nil {
		return domain.Wrap(err, domain.CodeInternal, "stored order %d: lines", o.UniqueID)
	}
	return nil
}

// encodeList encodes list as a JSON array of its elements' stored forms, and
// nil as null.
func encodeList[D, J any](list []D, form func(*D) J) ([]byte, error) {
	var out []J
	if list != nil {
		out = make([]J, len(list))
		for i := range list {
			out[i] = form(&list[i])
		}
	}
	return EncodeJSON(out)
}

// decodeList reads what encodeList wrote.
func decodeList[D, J any](b []byte, value func(*J) (D, error)) ([]D, error) {
	var in []J
	if err := DecodeJSON(b, &in); err != nil || in == nil {
		return nil, err
	}
	out := make([]D, len(in))
	for i := range in {
		v, err := value(&in[i])
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}
