package domain

import (
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// OrderStatus is the processing state of an order.
type OrderStatus string

// The order statuses of seed 001.
const (
	OrderInProgress OrderStatus = "ORDER_CREATION_INPROGRESS"
	OrderOnHold     OrderStatus = "ORDER_ON_HOLD"
	OrderSuccess    OrderStatus = "SUCCESS"
	OrderError      OrderStatus = "ERROR"
)

// ActivationType says when a line's service is activated.
type ActivationType string

// The activation types.
const (
	Immediate ActivationType = "IMMEDIATE"
	Scheduled ActivationType = "SCHEDULED"
)

// OrderRequest is what a client asks for in TAP_CREATE_ORDER_API, with the
// seed's field names in its JSON tags. Y/N flags stay strings so the rules see
// exactly what was sent.
type OrderRequest struct {
	CustomerPONumber   string        `json:"customerPONumber"`
	CustomerOrderRef   string        `json:"customerOrderRef,omitempty"`
	CurrencyCode       string        `json:"currencyCode"`
	ActivationCountry  string        `json:"activationCountry,omitempty"`
	PromoCode          string        `json:"promoCode,omitempty"`
	BillToSiteUseID    int64         `json:"billToSiteUseId"`
	ShipToSiteUseID    int64         `json:"shipToSiteUseId"`
	BillToContactEmail string        `json:"billToContactEmail"`
	BillToContactPhone string        `json:"billToContactPhone,omitempty"`
	ShipToContactEmail string        `json:"shipToContactEmail"`
	ShipToContactPhone string        `json:"shipToContactPhone,omitempty"`
	Lines              []LineRequest `json:"lines"`
}

// LineRequest is one requested order line.
type LineRequest struct {
	LineNumber          int    `json:"lineNumber"`
	ServiceStartDate    Date   `json:"serviceStartDate"`
	PartNumber          string `json:"partNumber"`
	SerialNumber        string `json:"serialNumber"`
	ServiceType         string `json:"serviceType"`
	ManufacturerModel   string `json:"manufacturerModel,omitempty"`
	AutoRenewal         string `json:"autoRenewal"`
	GeoFenceRegion      string `json:"geoFenceRegion,omitempty"`
	ActivationType      string `json:"activationType"`
	ActivationDate      Date   `json:"activationDate,omitzero"`
	CouponNumber        string `json:"couponNumber,omitempty"`
	SSOUserEmailAddress string `json:"ssoUserEmailAddress,omitempty"`
	SimIncludedFlag     string `json:"simIncludedFlag,omitempty"`
	SimNumber           string `json:"simNumber,omitempty"`
	DeviceKey           string `json:"deviceKey,omitempty"`
	CarrierName         string `json:"carrierName,omitempty"`
}

// Order is an accepted order: header and lines.
type Order struct {
	UniqueID          int64 // the uniqueId TAP_CREATE_ORDER_API returns
	OrderNumber       int64
	ClientID          string
	CustomerID        string // the reseller billed
	ShipToCustomerID  string
	BillToCustomer    string // names, as TAP_GET_ORDER_API shows them
	ShipToCustomer    string
	PONumber          string
	CustomerOrderRef  string
	Currency          Currency
	PromoCode         string
	ActivationCountry string
	BillToSiteUseID   int64
	ShipToSiteUseID   int64
	BillToContact     Contact
	ShipToContact     Contact
	Status            OrderStatus
	HoldReason        string
	CreatedAt         time.Time
	Total             decimal.Decimal
	RulesetHash       string
	Lines             []OrderLine
}

// Contact is an e-mail and phone of a bill-to or ship-to contact.
type Contact struct {
	Email string
	Phone string // "DECLINE" when none was given (seed 001)
}

// OrderLine is an accepted line, with the values the rules derived.
type OrderLine struct {
	LineNumber          int
	ServiceType         ServiceType
	ManufacturerModel   string
	SerialNumber        string // the stored spelling when the device was known
	PartNumber          string
	PartDescription     string
	ProductLine         ProductLine
	Kind                SubscriptionKind
	ServiceStartDate    Date
	ServiceEndDate      Date
	DurationDays        int
	Quantity            int
	AutoRenewal         bool
	GeoFenceRegion      string
	ActivationType      ActivationType
	ActivationDate      Date // UTC civil date
	CouponNumber        string
	SSOUserEmailAddress string
	SimIncludedFlag     string
	SimNumber           string
	DeviceKey           string
	CarrierName         string
	UnitPrice           decimal.Decimal
	NetPrice            decimal.Decimal
	SubscriptionID      string
	Canceled            bool
}

// YN formats a flag as the store API does: "Y" or "N".
func YN(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}

// ParseYN reads "Y" or "N" (case-insensitively); ok is false for anything else.
func ParseYN(s string) (v, ok bool) {
	switch strings.ToUpper(s) {
	case "Y":
		return true, true
	case "N":
		return false, true
	}
	return false, false
}

// OrderQuery selects orders for TAP_GET_ORDER_API; the zero fields match all.
// ClientID is always set: a client sees only its own orders.
type OrderQuery struct {
	ClientID  string
	UniqueID  int64
	SerialKey string
	PONumber  string
}

// Matches reports whether o satisfies q.
func (q OrderQuery) Matches(o *Order) bool {
	if o.ClientID != q.ClientID {
		return false
	}
	if q.UniqueID != 0 && o.UniqueID != q.UniqueID {
		return false
	}
	if q.PONumber != "" && o.PONumber != q.PONumber {
		return false
	}
	if q.SerialKey != "" {
		found := false
		for i := range o.Lines {
			if SerialKey(o.Lines[i].SerialNumber) == q.SerialKey {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
