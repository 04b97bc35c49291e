package tapstore

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules/orders"
)

const success = "SUCCESS"

// head opens every success payload.
type head struct {
	StatusCode int    `json:"statusCode"`
	Status     string `json:"status"`
	UniqueID   int64  `json:"uniqueId"`
}

func ok(uid int64) head { return head{StatusCode: 200, Status: success, UniqueID: uid} }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TAP_GET_CUSTOMERS_API

type customersResponse struct {
	head
	Resellers []resellerJSON `json:"resellers"`
}

type resellerJSON struct {
	Name        string            `json:"name"`
	BillTo      []billToJSON      `json:"billTo"`
	ShipTo      []shipToJSON      `json:"shipTo"`
	EndCustomer []endCustomerJSON `json:"endCustomer"`
}

type billToJSON struct {
	SiteUseID     int64  `json:"siteUseId"`
	Address       string `json:"address"`
	Region        string `json:"region"`
	AutoRenewFlag string `json:"autoRenewFlag"`
}

type shipToJSON struct {
	SiteUseID int64  `json:"siteUseId"`
	Address   string `json:"address"`
	Region    string `json:"region"`
}

type endCustomerJSON struct {
	Name   string       `json:"name"`
	ShipTo []shipToJSON `json:"shipTo"`
}

func (a *api) customers(ctx context.Context, who domain.Principal, raw json.RawMessage, uid int64) (any, error) {
	var req customersRequest
	if err := decodeRequest(raw, &req); err != nil {
		return nil, err
	}
	var f fields
	since := f.instant("customerCreationDate", req.CustomerCreationDate)
	if err := f.err(); err != nil {
		return nil, err
	}
	rs, err := a.svc.Customers(ctx, who, orders.CustomerQuery{Region: req.Region, ResellerName: req.ResellerName,
		EndCustomerName: req.EndCustomerName, CreatedAfter: since})
	if err != nil {
		return nil, err
	}
	out := customersResponse{head: ok(uid), Resellers: make([]resellerJSON, 0, len(rs))}
	for _, r := range rs {
		j := resellerJSON{Name: r.Name, BillTo: []billToJSON{}, ShipTo: shipTos(r.ShipTo), EndCustomer: []endCustomerJSON{}}
		for _, s := range r.BillTo {
			j.BillTo = append(j.BillTo, billToJSON{SiteUseID: s.SiteUseID, Address: s.Address, Region: string(s.Region), AutoRenewFlag: domain.YN(s.AutoRenewFlag)})
		}
		for _, e := range r.EndCustomers {
			j.EndCustomer = append(j.EndCustomer, endCustomerJSON{Name: e.Name, ShipTo: shipTos(e.ShipTo)})
		}
		out.Resellers = append(out.Resellers, j)
	}
	return out, nil
}

func shipTos(sites []domain.Site) []shipToJSON {
	out := []shipToJSON{}
	for _, s := range sites {
		if s.Use == domain.ShipTo {
			out = append(out, shipToJSON{SiteUseID: s.SiteUseID, Address: s.Address, Region: string(s.Region)})
		}
	}
	return out
}

// TAP_GET_MFG_MODELS_API

type modelsResponse struct {
	head
	ManufacturerModel []string `json:"manufacturerModel"`
}

func (a *api) models(ctx context.Context, _ domain.Principal, raw json.RawMessage, uid int64) (any, error) {
	var req modelsRequest
	if err := decodeRequest(raw, &req); err != nil {
		return nil, err
	}
	ms, err := a.svc.ManufacturerModels(ctx, req.Manufacturer)
	if err != nil {
		return nil, err
	}
	return modelsResponse{head: ok(uid), ManufacturerModel: ms}, nil
}

// TAP_GET_PRODUCTS_API

type productsResponse struct {
	head
	CustomerName string        `json:"customerName"`
	Products     []productJSON `json:"products"`
}

type productJSON struct {
	ManufacturerModel string `json:"manufacturerModel"`
	PartNumber        string `json:"partNumber"`
	PartDescription   string `json:"partDescription"`
	CurrencyCode      string `json:"currencyCode"`
	ListPrice         string `json:"listPrice"`
	DurationOfItem    string `json:"durationOfItem"`
	// GeoFenceRegion lists a VRS part's regions: "Based on the
	// resellerbillToSiteUseId API will share the geofence details for each
	// item if it is eligible."
	GeoFenceRegion []string `json:"geoFenceRegion,omitempty"`
}

func (a *api) products(ctx context.Context, who domain.Principal, raw json.RawMessage, uid int64) (any, error) {
	var req productsRequest
	if err := decodeRequest(raw, &req); err != nil {
		return nil, err
	}
	var f fields
	site := f.int("resellerbillToSiteUseId", req.ResellerBillToSiteUseID)
	if err := f.err(); err != nil {
		return nil, err
	}
	list, err := a.svc.Products(ctx, who, orders.ProductQuery{ResellerBillToSiteUseID: site, ServiceType: req.ServiceType,
		Model: req.Model, PartDescription: req.PartDescription})
	if err != nil {
		return nil, err
	}
	out := productsResponse{head: ok(uid), CustomerName: list.CustomerName, Products: make([]productJSON, 0, len(list.Products))}
	for _, p := range list.Products {
		out.Products = append(out.Products, productJSON{ManufacturerModel: p.ManufacturerModel, PartNumber: p.Part.Number,
			PartDescription: p.Part.Description, CurrencyCode: string(p.Currency), ListPrice: p.ListPrice,
			DurationOfItem: p.Duration, GeoFenceRegion: p.GeofenceRegions})
	}
	return out, nil
}

// TAP_GET_ORDER_API

type orderResponse struct {
	StatusCode int             `json:"statusCode"`
	Status     string          `json:"status"`
	UniqueID   int64           `json:"uniqueID"` // the seed spells it uniqueID here
	OrderHdr   orderHdrJSON    `json:"orderHdr"`
	OrderLine  []orderLineJSON `json:"orderLine"`
}

type orderHdrJSON struct {
	OrderCreationDate  string           `json:"orderCreationDate"`
	OrderNumber        int64            `json:"orderNumber"`
	CurrencyCode       string           `json:"currencyCode"`
	PONumber           string           `json:"poNumber"`
	CustomerOrderRef   string           `json:"customerOrderRef"`
	BillToCustomerName string           `json:"billToCustomerName"`
	ShipToCustomerName string           `json:"shipToCustomerName"`
	OrderStatus        string           `json:"orderStatus"`
	InvoiceNumber      *int64           `json:"invoiceNumber"`
	InvoiceAmount      *decimal.Decimal `json:"invoiceAmount"`
	CreditMemoNumber   *int64           `json:"creditMemoNumber"`
	CreditMemoAmount   *decimal.Decimal `json:"creditMemoAmount"`
}

type orderLineJSON struct {
	LineNumber        int    `json:"lineNumber"`
	ServiceType       string `json:"serviceType"`
	ManufacturerModel string `json:"manufacturerModel"`
	SerialNumber      string `json:"serialNumber"`
	PartNumber        string `json:"partNumber"`
	PartDescription   string `json:"partDescription"`
	ServiceStartDate  string `json:"serviceStartDate"`
	ServiceEndDate    string `json:"serviceEndDate"`
	DurationOfService int    `json:"durationOfService"`
	Quantity          int    `json:"quantity"`
	SSOUserID         string `json:"ssoUserId"`
	DeviceKey         string `json:"deviceKey"`
	AutoRenewalFlag   string `json:"autoRenewalFlag"`
}

func (a *api) order(ctx context.Context, who domain.Principal, raw json.RawMessage, _ int64) (any, error) {
	var req orderRequest
	if err := decodeRequest(raw, &req); err != nil {
		return nil, err
	}
	var f fields
	id := f.int("uniqueID", req.UniqueID)
	if err := f.err(); err != nil {
		return nil, err
	}
	orders, err := a.svc.GetOrder(ctx, who, orders.OrderLookup{UniqueID: id, SerialNumber: req.SerialNumber, PONumber: req.PONumber})
	if err != nil {
		return nil, err
	}
	o := orders[0] // newest first: a serial or PO answers with its latest order
	out := orderResponse{StatusCode: 200, Status: success, UniqueID: o.UniqueID, OrderHdr: orderHdrJSON{
		OrderCreationDate: domain.FormatStamp(o.CreatedAt), OrderNumber: o.OrderNumber, CurrencyCode: string(o.Currency),
		PONumber: o.PONumber, CustomerOrderRef: o.CustomerOrderRef, BillToCustomerName: o.BillToCustomer,
		ShipToCustomerName: o.ShipToCustomer, OrderStatus: string(o.Status),
	}, OrderLine: []orderLineJSON{}}
	for _, l := range o.Lines {
		out.OrderLine = append(out.OrderLine, orderLineJSON{LineNumber: l.LineNumber, ServiceType: string(l.ServiceType),
			ManufacturerModel: l.ManufacturerModel, SerialNumber: l.SerialNumber, PartNumber: l.PartNumber,
			PartDescription: l.PartDescription, ServiceStartDate: l.ServiceStartDate.String(), ServiceEndDate: l.ServiceEndDate.String(),
			DurationOfService: l.DurationDays, Quantity: l.Quantity, SSOUserID: l.SSOUserEmailAddress, DeviceKey: l.DeviceKey,
			AutoRenewalFlag: domain.YN(l.AutoRenewal)})
	}
	return out, nil
}

// TAP_GET_ACTIVATION_STATUS_API

type activationsResponse struct {
	head
	Activations []activationJSON `json:"activations"`
}

type activationJSON struct {
	SerialNumber               string `json:"serialNumber"`
	PartNumber                 string `json:"partNumber"`
	PartDescription            string `json:"partDescription"`
	ServiceStartDate           string `json:"serviceStartDate"`
	ServiceEndDate             string `json:"serviceEndDate"`
	ActivationRequestType      string `json:"activationRequestType"`
	Passcode                   string `json:"passcode"`
	MasterUnlock               string `json:"masterUnlock"`
	MasterUnlockQrcode         string `json:"masterUnlockQrcode"`
	QrCodeLink                 string `json:"qrCodeLink"`
	PasscodeActivationStatus   string `json:"passcodeActivationStatus"`
	PasscodeActivationErrorMsg string `json:"passcodeActivationErrorMsg"`
	OtaActivationStatus        string `json:"otaActivationStatus"`
	OtaActivationErrorMsg      string `json:"otaActivationErrorMsg"`
	PasscodeFileType           string `json:"passcodeFileType"`
	// The seed writes this key "passcodeFileContent " with a trailing
	// space; entitle answers with the key without it.
	PasscodeFileContent     string `json:"passcodeFileContent"`
	MasterUnlockFileType    string `json:"masterUnlockFileType"`
	MasterUnlockFileContent string `json:"masterUnlockFileContent"`
}

func (a *api) activationStatus(ctx context.Context, who domain.Principal, raw json.RawMessage, uid int64) (any, error) {
	var req activationStatusRequest
	if err := decodeRequest(raw, &req); err != nil {
		return nil, err
	}
	var f fields
	num := f.int("orderNumber", req.OrderNumber)
	if err := f.err(); err != nil {
		return nil, err
	}
	infos, err := a.svc.ActivationStatus(ctx, who, orders.ActivationQuery{OrderNumber: num, SerialNumber: req.SerialNumber})
	if err != nil {
		return nil, err
	}
	out := activationsResponse{head: ok(uid), Activations: make([]activationJSON, 0, len(infos))}
	for _, in := range infos {
		j := activationJSON{SerialNumber: in.Subscription.Serial, PartNumber: in.Subscription.PartNumber,
			PartDescription: in.PartDescription, ServiceStartDate: in.Subscription.Start.String(),
			ServiceEndDate: in.Subscription.End.String(), ActivationRequestType: in.Activation.RequestType,
			Passcode: in.Activation.Passcode}
		// The error of the last failed attempt, while it is retried or
		// after it was given up (FAILED); none once delivered.
		var msg string
		if d := in.Activation.Delivery; d.State != domain.DeliveryDelivered {
			msg = d.LastError
		}
		if in.Activation.Method == domain.Email {
			j.PasscodeActivationStatus, j.PasscodeActivationErrorMsg = in.Status, msg
		} else {
			j.OtaActivationStatus, j.OtaActivationErrorMsg = in.Status, msg
		}
		out.Activations = append(out.Activations, j)
	}
	return out, nil
}

// TAP_CREATE_ORDER_API

func (a *api) createOrder(ctx context.Context, who domain.Principal, raw json.RawMessage, _ int64) (any, error) {
	var req createOrderRequest
	if err := decodeRequest(raw, &req); err != nil {
		return nil, err
	}
	or, err := req.domainRequest()
	if err != nil {
		return nil, err
	}
	rc, err := a.svc.CreateOrder(ctx, who, or)
	if err != nil {
		return nil, err
	}
	return created(domain.Order{UniqueID: rc.UniqueID, Status: rc.Status}), nil
}

// created is TAP_CREATE_ORDER_API's answer for an order: status is the
// order's own (SUCCESS, or ORDER_ON_HOLD for a held order,
// ORDER_CREATION_INPROGRESS while its activations wait), never SUCCESS for
// an order that is not. "uniqueId which is returned by API -
// TAP_CREATE_ORDER_API" is what TAP_GET_ORDER_API takes as uniqueID.
func created(o domain.Order) head {
	return head{StatusCode: 200, Status: string(o.Status), UniqueID: o.UniqueID}
}

// TAP_RESEND_ACTIVATION_API

func (a *api) resend(ctx context.Context, who domain.Principal, raw json.RawMessage, uid int64) (any, error) {
	var req resendRequest
	if err := decodeRequest(raw, &req); err != nil {
		return nil, err
	}
	var f fields
	num := f.int("orderNumber", req.OrderNumber)
	date := f.date("activationDate", req.ActivationDate)
	if err := f.err(); err != nil {
		return nil, err
	}
	if _, err := a.svc.ResendActivation(ctx, who, orders.ResendRequest{SerialNumber: strings.TrimSpace(req.SerialNumber),
		PartNumber: req.PartNumber, OrderNumber: num, CustomerOrderRef: req.CustomerOrderRef, ActivationDate: date}); err != nil {
		return nil, err
	}
	return ok(uid), nil
}
