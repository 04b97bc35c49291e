package tapstore

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/domain"
)

// envelope is the seed's request wrapper, sent in the query (GET) or body (POST).
type envelope struct {
	ProcName      string          `json:"ProcName"`
	ProcRequester string          `json:"ProcRequester"`
	Request       json.RawMessage `json:"request"`
}

// number is a field the seed types "Number" but shows as a string
// ("uniqueID": "13331"): a JSON number or a string of digits, kept as text
// so a 20-digit simNumber loses nothing.
type number string

func (n *number) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*n = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*n = number(strings.TrimSpace(s))
		return nil
	}
	var d json.Number
	if err := json.Unmarshal(b, &d); err != nil {
		return err
	}
	*n = number(d.String())
	return nil
}

// fields converts text fields to typed values, collecting every problem with
// the path of its field.
type fields struct{ p domain.Problems }

func (f *fields) int(field string, n number) int64 {
	if n == "" {
		return 0
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || v < 0 {
		f.p.Add("INVALID_NUMBER", field, "%s must be a whole number, not %q", leaf(field), string(n))
		return 0
	}
	return v
}

func (f *fields) date(field, s string) domain.Date {
	if strings.TrimSpace(s) == "" {
		return domain.Date{}
	}
	d, err := domain.ParseDate(strings.TrimSpace(s))
	if err != nil {
		f.p.Add("INVALID_DATE", field, "%s must be a date YYYY-MM-DD, not %q", leaf(field), s)
	}
	return d
}

// instant reads a date (YYYY-MM-DD, the start of that UTC day) or an RFC 3339
// instant such as the seed's 2023-04-12T10:15:32Z.
func (f *fields) instant(field, s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t
	}
	if d, err := domain.ParseDate(s); err == nil {
		return d.Time(time.UTC)
	}
	f.p.Add("INVALID_DATE", field, "%s must be a date YYYY-MM-DD or an instant like 2023-04-12T10:15:32Z, not %q", leaf(field), s)
	return time.Time{}
}

func (f *fields) err() error { return f.p.Err() }

// leaf returns the last name of a field path: lineNumber of lines[1].lineNumber.
func leaf(path string) string { return path[strings.LastIndexByte(path, '.')+1:] }

// The requests of each proc, with the seed's field names.

type customersRequest struct {
	Region               string `json:"region"`
	ResellerName         string `json:"resellerName"`
	EndCustomerName      string `json:"endCustomerName"`
	CustomerCreationDate string `json:"customerCreationDate"`
}

type modelsRequest struct {
	Manufacturer string `json:"manufacturer"`
}

type productsRequest struct {
	ResellerBillToSiteUseID number `json:"resellerbillToSiteUseId"`
	ServiceType             string `json:"serviceType"`
	Model                   string `json:"model"`
	PartDescription         string `json:"partDescription"`
}

type orderRequest struct {
	UniqueID     number `json:"uniqueID"`
	SerialNumber string `json:"serialNumber"`
	PONumber     string `json:"poNumber"`
}

type activationStatusRequest struct {
	OrderNumber  number `json:"orderNumber"`
	SerialNumber string `json:"serialNumber"`
}

type resendRequest struct {
	SerialNumber     string `json:"serialNumber"`
	PartNumber       string `json:"partNumber"`
	OrderNumber      number `json:"orderNumber"`
	CustomerOrderRef string `json:"customerOrderRef"`
	ActivationDate   string `json:"activationDate"`
}

type createOrderRequest struct {
	CustomerPONumber   string            `json:"customerPONumber"`
	CustomerOrderRef   string            `json:"customerOrderRef"`
	CurrencyCode       string            `json:"currencyCode"`
	ActivationCountry  string            `json:"activationCountry"`
	PromoCode          string            `json:"promoCode"`
	BillToSiteUseID    number            `json:"billToSiteUseId"`
	ShipToSiteUseID    number            `json:"shipToSiteUseId"`
	BillToContactEmail string            `json:"billToContactEmail"`
	BillToContactPhone string            `json:"billToContactPhone"`
	ShipToContactEmail string            `json:"shipToContactEmail"`
	ShipToContactPhone string            `json:"shipToContactPhone"`
	Lines              []createOrderLine `json:"lines"`
}

type createOrderLine struct {
	LineNumber          number `json:"lineNumber"`
	ServiceStartDate    string `json:"serviceStartDate"`
	PartNumber          string `json:"partNumber"`
	SerialNumber        string `json:"serialNumber"`
	ServiceType         string `json:"serviceType"`
	ManufacturerModel   string `json:"manufacturerModel"`
	AutoRenewal         string `json:"autoRenewal"`
	GeoFenceRegion      string `json:"geoFenceRegion"`
	ActivationType      string `json:"activationType"`
	ActivationDate      string `json:"activationDate"`
	CouponNumber        string `json:"couponNumber"`
	SSOUserEmailAddress string `json:"ssoUserEmailAddress"`
	SimIncludedFlag     string `json:"simIncludedFlag"`
	SimNumber           number `json:"simNumber"`
	DeviceKey           string `json:"deviceKey"`
	CarrierName         string `json:"carrierName"`
}

// domainRequest converts the wire request, reporting every malformed field.
func (c *createOrderRequest) domainRequest() (domain.OrderRequest, error) {
	var f fields
	req := domain.OrderRequest{
		CustomerPONumber: c.CustomerPONumber, CustomerOrderRef: c.CustomerOrderRef, CurrencyCode: c.CurrencyCode,
		ActivationCountry: c.ActivationCountry, PromoCode: c.PromoCode,
		BillToSiteUseID: f.int("billToSiteUseId", c.BillToSiteUseID), ShipToSiteUseID: f.int("shipToSiteUseId", c.ShipToSiteUseID),
		BillToContactEmail: c.BillToContactEmail, BillToContactPhone: c.BillToContactPhone,
		ShipToContactEmail: c.ShipToContactEmail, ShipToContactPhone: c.ShipToContactPhone,
	}
	for i, l := range c.Lines {
		p := "lines[" + strconv.Itoa(i) + "]."
		if l.SimNumber != "" && strings.ContainsAny(string(l.SimNumber), ".eE+-") {
			f.p.Add("INVALID_SIM_NUMBER", p+"simNumber", "simNumber must be digits only; send it as a string")
		}
		req.Lines = append(req.Lines, domain.LineRequest{
			LineNumber: int(f.int(p+"lineNumber", l.LineNumber)), ServiceStartDate: f.date(p+"serviceStartDate", l.ServiceStartDate),
			PartNumber: l.PartNumber, SerialNumber: l.SerialNumber, ServiceType: l.ServiceType, ManufacturerModel: l.ManufacturerModel,
			AutoRenewal: l.AutoRenewal, GeoFenceRegion: l.GeoFenceRegion, ActivationType: l.ActivationType,
			ActivationDate: f.date(p+"activationDate", l.ActivationDate), CouponNumber: l.CouponNumber,
			SSOUserEmailAddress: l.SSOUserEmailAddress, SimIncludedFlag: l.SimIncludedFlag, SimNumber: string(l.SimNumber),
			DeviceKey: l.DeviceKey, CarrierName: l.CarrierName,
		})
	}
	return req, f.err()
}
