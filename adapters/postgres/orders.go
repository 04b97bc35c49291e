package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/entitle-rules/entitle/domain"
)

// lineJSON is a domain.OrderLine inside orders.lines. Dates are YYYY-MM-DD
// ("" for none), decimals exact text; the names are the stored format,
// independent of the Go field names.
type lineJSON struct {
	LineNumber          int         `json:"lineNumber"`
	ServiceType         string      `json:"serviceType"`
	ManufacturerModel   string      `json:"manufacturerModel"`
	SerialNumber        string      `json:"serialNumber"`
	PartNumber          string      `json:"partNumber"`
	PartDescription     string      `json:"partDescription"`
	ProductLine         string      `json:"productLine"`
	Kind                string      `json:"kind"`
	ServiceStartDate    domain.Date `json:"serviceStartDate"`
	ServiceEndDate      domain.Date `json:"serviceEndDate"`
	DurationDays        int         `json:"durationDays"`
	Quantity            int         `json:"quantity"`
	AutoRenewal         bool        `json:"autoRenewal"`
	GeoFenceRegion      string      `json:"geoFenceRegion"`
	ActivationType      string      `json:"activationType"`
	ActivationDate      domain.Date `json:"activationDate"`
	CouponNumber        string      `json:"couponNumber"`
	SSOUserEmailAddress string      `json:"ssoUserEmailAddress"`
	SimIncludedFlag     string      `json:"simIncludedFlag"`
	SimNumber           string      `json:"simNumber"`
	DeviceKey           string      `json:"deviceKey"`
	CarrierName         string      `json:"carrierName"`
	UnitPrice           string      `json:"unitPrice"`
	NetPrice            string      `json:"netPrice"`
	SubscriptionID      string      `json:"subscriptionId"`
	Canceled            bool        `json:"canceled"`
}

func linesJSON(ls []domain.OrderLine) []lineJSON {
	out := make([]lineJSON, len(ls))
	for i, l := range ls {
		out[i] = lineJSON{LineNumber: l.LineNumber, ServiceType: string(l.ServiceType), ManufacturerModel: l.ManufacturerModel,
			SerialNumber: l.SerialNumber, PartNumber: l.PartNumber, PartDescription: l.PartDescription,
			ProductLine: string(l.ProductLine), Kind: string(l.Kind), ServiceStartDate: l.ServiceStartDate,
			ServiceEndDate: l.ServiceEndDate, DurationDays: l.DurationDays, Quantity: l.Quantity, AutoRenewal: l.AutoRenewal,
			GeoFenceRegion: l.GeoFenceRegion, ActivationType: string(l.ActivationType), ActivationDate: l.ActivationDate,
			CouponNumber: l.CouponNumber, SSOUserEmailAddress: l.SSOUserEmailAddress, SimIncludedFlag: l.SimIncludedFlag,
			SimNumber: l.SimNumber, DeviceKey: l.DeviceKey, CarrierName: l.CarrierName,
			UnitPrice: decimalText(l.UnitPrice), NetPrice: decimalText(l.NetPrice), SubscriptionID: l.SubscriptionID, Canceled: l.Canceled}
	}
	return out
}

func orderLines(js []lineJSON) ([]domain.OrderLine, error) {
	out := make([]domain.OrderLine, len(js))
	for i, l := range js {
		unit, err := decimalOf(l.UnitPrice, "unitPrice")
		if err != nil {
			return nil, err
		}
		net, err := decimalOf(l.NetPrice, "netPrice")
		if err != nil {
			return nil, err
		}
		out[i] = domain.OrderLine{LineNumber: l.LineNumber, ServiceType: domain.ServiceType(l.ServiceType),
			ManufacturerModel: l.ManufacturerModel, SerialNumber: l.SerialNumber, PartNumber: l.PartNumber,
			PartDescription: l.PartDescription, ProductLine: domain.ProductLine(l.ProductLine), Kind: domain.SubscriptionKind(l.Kind),
			ServiceStartDate: l.ServiceStartDate, ServiceEndDate: l.ServiceEndDate, DurationDays: l.DurationDays,
			Quantity: l.Quantity, AutoRenewal: l.AutoRenewal, GeoFenceRegion: l.GeoFenceRegion,
			ActivationType: domain.ActivationType(l.ActivationType), ActivationDate: l.ActivationDate,
			CouponNumber: l.CouponNumber, SSOUserEmailAddress: l.SSOUserEmailAddress, SimIncludedFlag: l.SimIncludedFlag,
			SimNumber: l.SimNumber, DeviceKey: l.DeviceKey, CarrierName: l.CarrierName, UnitPrice: unit, NetPrice: net,
			SubscriptionID: l.SubscriptionID, Canceled: l.Canceled}
	}
	return out, nil
}

type orders struct{ *tx }

const orderColumns = `o.unique_id, o.order_number, o.client_id, o.customer_id, o.ship_to_customer_id, o.bill_to_customer,
	o.ship_to_customer, o.po_number, o.customer_order_ref, o.currency, o.promo_code, o.activation_country,
	o.bill_to_site_use_id, o.ship_to_site_use_id, o.bill_to_email, o.bill_to_phone, o.ship_to_email, o.ship_to_phone,
	o.status, o.hold_reason, o.created_at, o.total::text, o.ruleset_hash, o.lines`

func scanOrder(row pgx.Row) (domain.Order, error) {
	var (
		o                     domain.Order
		currency, status, tot string
		lines                 []byte
	)
	err := row.Scan(&o.UniqueID, &o.OrderNumber, &o.ClientID, &o.CustomerID, &o.ShipToCustomerID, &o.BillToCustomer,
		&o.ShipToCustomer, &o.PONumber, &o.CustomerOrderRef, &currency, &o.PromoCode, &o.ActivationCountry,
		&o.BillToSiteUseID, &o.ShipToSiteUseID, &o.BillToContact.Email, &o.BillToContact.Phone,
		&o.ShipToContact.Email, &o.ShipToContact.Phone, &status, &o.HoldReason, &o.CreatedAt, &tot, &o.RulesetHash, &lines)
	if err != nil {
		return o, err
	}
	o.Currency, o.Status, o.CreatedAt = domain.Currency(currency), domain.OrderStatus(status), utc(o.CreatedAt)
	if o.Total, err = decimalOf(tot, "total"); err != nil {
		return o, err
	}
	var js []lineJSON
	if err := jsonOf(lines, &js); err != nil {
		return o, err
	}
	o.Lines, err = orderLines(js)
	return o, err
}

// serialKeys returns the distinct serial keys of o's lines, in line order.
func serialKeys(o *domain.Order) []string {
	keys := make([]string, 0, len(o.Lines))
	for i := range o.Lines {
		if k := domain.SerialKey(o.Lines[i].SerialNumber); k != "" && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// Create checks the in-progress serials before it writes or numbers
// anything, so a refused order leaves o as it was and the transaction
// usable; the partial unique index order_serials_one_in_progress refuses the
// racing one. The order, its numbers and its serials are one statement. The
// numbers come from sequences, which are not transactional: a Create rolled
// back or retried by Update consumes its numbers, so numbers can have gaps
// (the memory store's have none).
func (r orders) Create(ctx context.Context, o *domain.Order) error {
	if err := r.write(); err != nil {
		return err
	}
	if o == nil {
		return domain.Errorf(domain.CodeInvalid, "", "no order to create")
	}
	inProgress := o.Status == domain.OrderInProgress
	if inProgress {
		if err := r.free(ctx, o, 0); err != nil {
			return err
		}
	}
	lines, err := jsonArg(linesJSON(o.Lines))
	if err != nil {
		return err
	}
	var id, number int64
	_, err = r.one(ctx, "Orders.Create", `WITH o AS (
			INSERT INTO orders (client_id, customer_id, ship_to_customer_id, bill_to_customer, ship_to_customer, po_number,
				customer_order_ref, currency, promo_code, activation_country, bill_to_site_use_id, ship_to_site_use_id,
				bill_to_email, bill_to_phone, ship_to_email, ship_to_phone, status, hold_reason, created_at, total,
				ruleset_hash, lines)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20::text::numeric, $21, $22)
			RETURNING unique_id, order_number),
		s AS (
			INSERT INTO order_serials (order_id, serial_key, in_progress)
			SELECT o.unique_id, k, $24 FROM o, unnest($23::text[]) AS k)
		SELECT unique_id, order_number FROM o`,
		[]any{o.ClientID, o.CustomerID, o.ShipToCustomerID, o.BillToCustomer, o.ShipToCustomer, o.PONumber,
			o.CustomerOrderRef, string(o.Currency), o.PromoCode, o.ActivationCountry, o.BillToSiteUseID, o.ShipToSiteUseID,
			o.BillToContact.Email, o.BillToContact.Phone, o.ShipToContact.Email, o.ShipToContact.Phone, string(o.Status),
			o.HoldReason, o.CreatedAt, decimalText(o.Total), o.RulesetHash, lines, serialKeys(o), inProgress},
		&id, &number)
	if err != nil {
		return err
	}
	o.UniqueID, o.OrderNumber = id, number
	return nil
}

// free reports CodeConflict when an in-progress order other than self holds
// one of o's serials, naming the first such line.
//
// It reads through the primary key of order_serials, never through the
// partial unique index: that index holds only the orders in progress, a page or two that
// every CreateOrder writes, so a read of it would take a SERIALIZABLE
// predicate lock every concurrent order then conflicts with, whatever its
// serial. Leaving in_progress out of the WHERE clause keeps the planner off
// it; the index stays what backs the invariant.
func (r orders) free(ctx context.Context, o *domain.Order, self int64) error {
	keys := serialKeys(o)
	if len(keys) == 0 {
		return nil
	}
	holders := map[string]int64{}
	err := r.all(ctx, "Orders.Create", `SELECT serial_key, order_id, in_progress FROM order_serials
		WHERE serial_key = ANY($1)`, []any{keys}, func(rows pgx.Rows) error {
		var (
			k      string
			holder int64
			busy   bool
		)
		err := rows.Scan(&k, &holder, &busy)
		if busy && holder != self {
			holders[k] = holder
		}
		return err
	})
	if err != nil {
		return err
	}
	for i := range o.Lines {
		serial := o.Lines[i].SerialNumber
		if holder, ok := holders[domain.SerialKey(serial)]; ok {
			return domain.Errorf(domain.CodeConflict, fmt.Sprintf("lines[%d].serialNumber", i),
				"Order creation is in progress for the serialNumber %s (order %d), please try after some time", serial, holder)
		}
	}
	return nil
}

func (r orders) SetStatus(ctx context.Context, uniqueID int64, status domain.OrderStatus, holdReason string) error {
	if err := r.write(); err != nil {
		return err
	}
	switch status {
	case domain.OrderInProgress, domain.OrderOnHold, domain.OrderSuccess, domain.OrderError:
	default:
		return domain.Errorf(domain.CodeInvalid, "status", "order status %q is not one of %s, %s, %s, %s",
			status, domain.OrderInProgress, domain.OrderOnHold, domain.OrderSuccess, domain.OrderError)
	}
	o, err := r.Get(ctx, uniqueID)
	if err != nil {
		return err
	}
	entering, leaving := status == domain.OrderInProgress, o.Status == domain.OrderInProgress
	if entering && !leaving {
		if err := r.free(ctx, &o, uniqueID); err != nil {
			return err
		}
	}
	if entering != leaving {
		// By (serial, order), the primary key: see order_serials in
		// migrations/0001_core.sql.
		if _, err := r.exec(ctx, "Orders.SetStatus", `UPDATE order_serials SET in_progress = $3
			WHERE serial_key = ANY($1) AND order_id = $2`, serialKeys(&o), uniqueID, entering); err != nil {
			return err
		}
	}
	_, err = r.exec(ctx, "Orders.SetStatus", `UPDATE orders SET status = $2, hold_reason = $3 WHERE unique_id = $1`,
		uniqueID, string(status), holdReason)
	return err
}

func (r orders) Get(ctx context.Context, uniqueID int64) (domain.Order, error) {
	if err := r.read(); err != nil {
		return domain.Order{}, err
	}
	os, err := r.list(ctx, "Orders.Get", `SELECT `+orderColumns+` FROM orders o WHERE o.unique_id = $1`, uniqueID)
	if err == nil && len(os) == 0 {
		err = domain.Errorf(domain.CodeNotFound, "uniqueId", "no order with uniqueId %d", uniqueID)
	}
	if err != nil {
		return domain.Order{}, err
	}
	return os[0], nil
}

func (r orders) ByOrderNumber(ctx context.Context, orderNumber int64) (domain.Order, error) {
	if err := r.read(); err != nil {
		return domain.Order{}, err
	}
	os, err := r.list(ctx, "Orders.ByOrderNumber", `SELECT `+orderColumns+` FROM orders o WHERE o.order_number = $1`, orderNumber)
	if err == nil && len(os) == 0 {
		err = domain.Errorf(domain.CodeNotFound, "orderNumber", "no order with order number %d", orderNumber)
	}
	if err != nil {
		return domain.Order{}, err
	}
	return os[0], nil
}

// Find names only the conditions q sets, so each query is planned for the
// index it can use (the unique id, the serial, the PO number or the client)
// rather than one generic plan for all.
func (r orders) Find(ctx context.Context, q domain.OrderQuery) ([]domain.Order, error) {
	if err := r.read(); err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString(`SELECT ` + orderColumns + ` FROM orders o WHERE o.client_id = $1`)
	args := []any{q.ClientID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.UniqueID != 0 {
		b.WriteString(` AND o.unique_id = ` + arg(q.UniqueID))
	}
	if q.PONumber != "" {
		b.WriteString(` AND o.po_number = ` + arg(q.PONumber))
	}
	if q.SerialKey != "" {
		b.WriteString(` AND o.unique_id IN (SELECT order_id FROM order_serials WHERE serial_key = ` + arg(q.SerialKey) + `)`)
	}
	b.WriteString(` ORDER BY o.unique_id DESC`)
	return r.list(ctx, "Orders.Find", b.String(), args...)
}

func (r orders) list(ctx context.Context, what, sql string, args ...any) ([]domain.Order, error) {
	out := []domain.Order{}
	err := r.all(ctx, what, sql, args, func(rows pgx.Rows) error {
		o, err := scanOrder(rows)
		out = append(out, o)
		return err
	})
	return out, err
}

func (r orders) InProgress(ctx context.Context, serial string) (bool, error) {
	if err := r.read(); err != nil {
		return false, err
	}
	// bool_or rather than WHERE in_progress: see free.
	var busy bool
	_, err := r.one(ctx, "Orders.InProgress", `SELECT coalesce(bool_or(in_progress), false) FROM order_serials WHERE serial_key = $1`,
		[]any{domain.SerialKey(serial)}, &busy)
	return busy, err
}

// Pending reads the in-progress serials, as the memory store reads its
// in-progress index: an order in progress with no serial is not pending.
// Reading orders by status would need an index on status, and that index
// would make every SetStatus rewrite the order's index entries instead of
// updating the row in place (a HOT update), adding pages for SERIALIZABLE
// transactions to conflict on.
func (r orders) Pending(ctx context.Context) ([]int64, error) {
	if err := r.read(); err != nil {
		return nil, err
	}
	out := []int64{}
	err := r.all(ctx, "Orders.Pending", `SELECT DISTINCT order_id FROM order_serials WHERE in_progress ORDER BY order_id`,
		nil, func(rows pgx.Rows) error {
			var id int64
			err := rows.Scan(&id)
			out = append(out, id)
			return err
		})
	return out, err
}
