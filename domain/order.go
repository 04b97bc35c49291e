package domain

import (
	"slices"
	"strconv"
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

// OrderStatuses lists every OrderStatus, in the order of an order's life.
var OrderStatuses = []OrderStatus{OrderInProgress, OrderOnHold, OrderSuccess, OrderError}

// ParseOrderStatus returns the OrderStatus spelled exactly s: a status is
// written by the engine and stored as it is, never typed by a person, so
// another case is another (unknown) status. It fails with CodeInvalid on
// field "status", listing the valid statuses.
func ParseOrderStatus(s string) (OrderStatus, error) {
	if i := slices.Index(OrderStatuses, OrderStatus(s)); i >= 0 {
		return OrderStatuses[i], nil
	}
	names := make([]string, len(OrderStatuses))
	for i, st := range OrderStatuses {
		names[i] = string(st)
	}
	return "", Errorf(CodeInvalid, "status", "order status %q is not one of %s", s, strings.Join(names, ", "))
}

// CheckNew reports, with CodeInvalid, why a store may not create o: there
// is no order at all, its status is one ParseOrderStatus refuses, or it
// comes numbered (an imported order keeps its UniqueID and OrderNumber) with
// a number that is not positive or not below FirstUniqueID and
// FirstOrderNumber.
func (o *Order) CheckNew() error {
	if o == nil {
		return Errorf(CodeInvalid, "", "no order to create")
	}
	if o.UniqueID != 0 || o.OrderNumber != 0 {
		switch {
		case o.UniqueID <= 0 || o.UniqueID >= FirstUniqueID:
			return Errorf(CodeInvalid, "uniqueID", "an imported order's uniqueID %d must be from 1 to %d", o.UniqueID, FirstUniqueID-1)
		case o.OrderNumber <= 0 || o.OrderNumber >= FirstOrderNumber:
			return Errorf(CodeInvalid, "orderNumber", "an imported order's orderNumber %d must be from 1 to %d", o.OrderNumber, FirstOrderNumber-1)
		}
	}
	_, err := ParseOrderStatus(string(o.Status))
	return err
}

// FirstUniqueID and FirstOrderNumber are the numbers a store gives the first
// order it numbers (seed 001's samples, 13331 and 2342342); it numbers the
// next ones upwards. An order imported with the numbers another system gave
// it (a past order of the data file) keeps numbers below them, so the two
// never meet.
const (
	FirstUniqueID    = 13331
	FirstOrderNumber = 2342342
)

// OrderInProgressMessage is rule 12's refusal, in seed 001's words: another
// order in ORDER_CREATION_INPROGRESS holds a serial of the order.
const OrderInProgressMessage = orderInProgressHead + orderInProgressTail

const (
	orderInProgressHead = "Order creation is in progress for the serialNumber"
	orderInProgressTail = ", please try after some time"
)

// OrderInProgressError is the CodeConflict a store returns when an order
// would hold a serial that the in-progress order holder already holds (one
// in-progress order per serial). field is the path of the request field at
// fault, such as lines[0].serialNumber. The message is
// OrderInProgressMessage naming serial and the holder; with serial "" it
// names neither, with holder 0 only the serial.
func OrderInProgressError(field, serial string, holder int64) *Error {
	switch {
	case serial == "":
		return Errorf(CodeConflict, field, "%s", OrderInProgressMessage)
	case holder == 0:
		return Errorf(CodeConflict, field, "%s %s%s", orderInProgressHead, serial, orderInProgressTail)
	}
	return Errorf(CodeConflict, field, "%s %s (order %d)%s", orderInProgressHead, serial, holder, orderInProgressTail)
}

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

// SerialKeys returns the distinct serial keys (see SerialKey) of o's lines,
// in line order, leaving out lines without a serial: the serials the order
// holds while it is in progress.
func (o *Order) SerialKeys() []string {
	keys := make([]string, 0, len(o.Lines))
	for i := range o.Lines {
		if k := SerialKey(o.Lines[i].SerialNumber); k != "" && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// CheckSerialsFree returns OrderInProgressError, on lines[i].serialNumber,
// for the first line of o whose serial another in-progress order holds, or
// nil when none does. holder says which order holds a serial key, if any; a
// store answers it from its own index of in-progress serials.
func (o *Order) CheckSerialsFree(holder func(serialKey string) (int64, bool)) error {
	for i := range o.Lines {
		serial := o.Lines[i].SerialNumber
		if id, held := holder(SerialKey(serial)); held {
			return OrderInProgressError("lines["+strconv.Itoa(i)+"].serialNumber", serial, id)
		}
	}
	return nil
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
