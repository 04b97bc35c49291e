package sqlite

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

type orders struct{ *tx }

func (t *tx) Orders() ports.Orders { return orders{t} }

const (
	orderColumns = `o.unique_id, o.order_number, o.client_id, o.customer_id, o.ship_to_customer_id, o.bill_to_customer,
	o.ship_to_customer, o.po_number, o.customer_order_ref, o.currency, o.promo_code, o.activation_country,
	o.bill_to_site_use_id, o.ship_to_site_use_id, o.bill_to_email, o.bill_to_phone, o.ship_to_email, o.ship_to_phone,
	o.status, o.hold_reason, o.created_at, o.total, o.ruleset_hash, o.lines`
	// The counters live in the transaction like everything else, so a
	// rolled-back Create hands out no number: order numbers have no gaps.
	// Both counters an order draws from, moved on in one statement.
	qNextNumbers = `UPDATE sequences SET next = next + 1 WHERE name IN ('order_unique_id', 'order_number')
	RETURNING name, next - 1`
	qInsertOrder = `INSERT INTO orders (unique_id, order_number, client_id, customer_id, ship_to_customer_id,
		bill_to_customer, ship_to_customer, po_number, customer_order_ref, currency, promo_code, activation_country,
		bill_to_site_use_id, ship_to_site_use_id, bill_to_email, bill_to_phone, ship_to_email, ship_to_phone,
		status, hold_reason, created_at, total, ruleset_hash, lines)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qInsertOrderSerial = `INSERT INTO order_serials (order_id, serial_key, in_progress) VALUES (?, ?, ?)`
	qHolder            = `SELECT order_id FROM order_serials WHERE serial_key = ? AND in_progress = 1 AND order_id <> ?`
	qOrderExists       = `SELECT 1 FROM orders WHERE unique_id = ?`
	qMarkInProgress    = `UPDATE order_serials SET in_progress = ? WHERE order_id = ?`
	qSetStatus         = `UPDATE orders SET status = ?, hold_reason = ? WHERE unique_id = ?`
	qOrder             = `SELECT ` + orderColumns + ` FROM orders o WHERE o.unique_id = ?`
	qOrderByNumber     = `SELECT ` + orderColumns + ` FROM orders o WHERE o.order_number = ?`
	qInProgress        = `SELECT EXISTS (SELECT 1 FROM order_serials WHERE serial_key = ? AND in_progress = 1)`
	qPending           = `SELECT DISTINCT order_id FROM order_serials WHERE in_progress = 1 ORDER BY order_id`
)

func scanOrder(r sqlrow.Scanner) (domain.Order, error) {
	var (
		o                 domain.Order
		status, at, total string
		lines             []byte
	)
	if err := r.Scan(&o.UniqueID, &o.OrderNumber, &o.ClientID, &o.CustomerID, &o.ShipToCustomerID, &o.BillToCustomer,
		&o.ShipToCustomer, &o.PONumber, &o.CustomerOrderRef, &o.Currency, &o.PromoCode, &o.ActivationCountry,
		&o.BillToSiteUseID, &o.ShipToSiteUseID, &o.BillToContact.Email, &o.BillToContact.Phone,
		&o.ShipToContact.Email, &o.ShipToContact.Phone, &status, &o.HoldReason, &at, &total, &o.RulesetHash, &lines); err != nil {
		return o, err
	}
	var err error
	if o.CreatedAt, err = parseInstant(at, "created_at"); err != nil {
		return o, fmt.Errorf("order %d: %w", o.UniqueID, err)
	}
	return o, sqlrow.DecodeOrder(&o, status, total, lines)
}

// Create numbers and stores the order, then its serial keys in
// order_serials, marked in progress when the order is. The partial unique
// index on in-progress serials is what refuses a second in-progress order
// for a serial; the savepoint then undoes the order's rows, and o keeps the
// numbers it came with.
func (r orders) Create(ctx context.Context, o *domain.Order) error {
	if err := cmp.Or(r.Write(), o.CheckNew()); err != nil {
		return err
	}
	lines, err := text(sqlrow.EncodeLines(o.Lines))
	if err != nil {
		return err
	}
	inProgress := o.Status == domain.OrderInProgress
	var id, number int64
	err = r.savepoint(ctx, func() error {
		var err error
		if o.UniqueID != 0 { // imported with its numbers (CheckNew checked them)
			id, number = o.UniqueID, o.OrderNumber
		} else if id, number, err = r.nextNumbers(ctx); err != nil {
			return err
		}
		if _, err := r.exec(ctx, qInsertOrder, id, number, o.ClientID, o.CustomerID, o.ShipToCustomerID, o.BillToCustomer,
			o.ShipToCustomer, o.PONumber, o.CustomerOrderRef, string(o.Currency), o.PromoCode, o.ActivationCountry,
			o.BillToSiteUseID, o.ShipToSiteUseID, o.BillToContact.Email, o.BillToContact.Phone,
			o.ShipToContact.Email, o.ShipToContact.Phone, string(o.Status), o.HoldReason, instant(o.CreatedAt),
			sqlrow.DecimalText(o.Total), o.RulesetHash, lines); err != nil {
			return r.Fail(ctx, err, "store order %d", id)
		}
		for _, k := range o.SerialKeys() {
			_, err := r.exec(ctx, qInsertOrderSerial, id, k, inProgress)
			if isUnique(err) {
				return r.held(ctx, o, id, err)
			}
			if err != nil {
				return r.Fail(ctx, err, "store the serials of order %d", id)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	o.UniqueID, o.OrderNumber = id, number
	return nil
}

// nextNumbers draws the order's uniqueId and orderNumber.
func (r orders) nextNumbers(ctx context.Context) (id, number int64, err error) {
	type counter struct {
		name string
		next int64
	}
	cs, err := sqlrow.All(ctx, r, "number an order", func(row sqlrow.Scanner) (c counter, err error) {
		err = row.Scan(&c.name, &c.next)
		return c, err
	}, qNextNumbers)
	if err != nil {
		return 0, 0, err
	}
	for _, c := range cs {
		switch c.name {
		case "order_unique_id":
			id = c.next
		case "order_number":
			number = c.next
		}
	}
	if len(cs) != 2 || id == 0 || number == 0 {
		return 0, 0, domain.Errorf(domain.CodeInternal, "", "sqlite: the order counters are missing from sequences (%d of 2 found)", len(cs))
	}
	return id, number, nil
}

// held explains a violation of the one-in-progress-order-per-serial index
// by the first of o's lines whose serial another in-progress order holds,
// in the words of rule 12.
func (r orders) held(ctx context.Context, o *domain.Order, self int64, cause error) error {
	holders := map[string]int64{}
	for _, k := range o.SerialKeys() {
		var holder int64
		err := r.QueryRow(ctx, qHolder, k, self).Scan(&holder)
		switch {
		case err == nil:
			holders[k] = holder
		case !r.NoRows(err):
			return r.Fail(ctx, err, "find the order holding serial %q", k)
		}
	}
	err := o.CheckSerialsFree(func(k string) (int64, bool) { h, ok := holders[k]; return h, ok })
	var de *domain.Error
	if !errors.As(err, &de) {
		de = domain.OrderInProgressError("lines", "", 0)
	}
	de.Err = cause
	return de
}

// SetStatus keeps order_serials.in_progress in step with the status; an
// order entering ORDER_CREATION_INPROGRESS while another in-progress order
// holds one of its serials breaks the partial unique index (CodeConflict).
func (r orders) SetStatus(ctx context.Context, uniqueID int64, status domain.OrderStatus, holdReason string) error {
	if err := r.Write(); err != nil {
		return err
	}
	if _, err := domain.ParseOrderStatus(string(status)); err != nil {
		return err
	}
	var exists int
	if err := r.QueryRow(ctx, qOrderExists, uniqueID).Scan(&exists); err != nil {
		if r.NoRows(err) {
			return notFoundOrder(uniqueID)
		}
		return r.Fail(ctx, err, "read order %d", uniqueID)
	}
	return r.savepoint(ctx, func() error {
		_, err := r.exec(ctx, qMarkInProgress, status == domain.OrderInProgress, uniqueID)
		if isUnique(err) {
			o, gerr := r.Get(ctx, uniqueID)
			if gerr != nil {
				return gerr
			}
			return r.held(ctx, &o, uniqueID, err)
		}
		if err != nil {
			return r.Fail(ctx, err, "mark the serials of order %d", uniqueID)
		}
		_, err = r.exec(ctx, qSetStatus, string(status), holdReason, uniqueID)
		return r.Fail(ctx, err, "set the status of order %d", uniqueID)
	})
}

func notFoundOrder(uniqueID int64) error {
	return domain.Errorf(domain.CodeNotFound, "uniqueId", "no order with uniqueId %d", uniqueID)
}

func (r orders) Get(ctx context.Context, uniqueID int64) (domain.Order, error) {
	return sqlrow.One(ctx, r, "read an order", scanOrder, func() error { return notFoundOrder(uniqueID) }, qOrder, uniqueID)
}

func (r orders) ByOrderNumber(ctx context.Context, orderNumber int64) (domain.Order, error) {
	return sqlrow.One(ctx, r, "read an order", scanOrder, func() error {
		return domain.Errorf(domain.CodeNotFound, "orderNumber", "no order with order number %d", orderNumber)
	}, qOrderByNumber, orderNumber)
}

// Find starts from the most selective index the query allows, as the memory
// store does, and filters with q.Matches, so the client check is the
// domain's own. See findQuery.
func (r orders) Find(ctx context.Context, q domain.OrderQuery) ([]domain.Order, error) {
	query, args := findQuery(q)
	out, err := sqlrow.All(ctx, r, "find orders", scanOrder, query, args...)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(out, func(o domain.Order) bool { return !q.Matches(&o) }), nil
}

// findQuery builds Find's statement. The planner is not left to guess which
// index drives it: with no statistics it may walk a big client's every order
// to find one serial. CROSS JOIN fixes the join order and a unary + keeps
// the client column off its index when a sharper key is given.
func findQuery(q domain.OrderQuery) (string, []any) {
	var b strings.Builder
	var args []any
	// Newest first is unique_id descending; when order_serials drives, its
	// index already lists one serial's orders by id, so that column sorts
	// without a sort step.
	newest := "o.unique_id DESC"
	b.WriteString("SELECT " + orderColumns + " FROM ")
	switch {
	case q.UniqueID != 0:
		b.WriteString("orders o WHERE o.unique_id = ? AND +o.client_id = ?")
		args = append(args, q.UniqueID, q.ClientID)
	case q.SerialKey != "":
		b.WriteString("order_serials s CROSS JOIN orders o ON o.unique_id = s.order_id WHERE s.serial_key = ? AND +o.client_id = ?")
		args = append(args, q.SerialKey, q.ClientID)
		newest = "s.order_id DESC"
	case q.PONumber != "":
		b.WriteString("orders o WHERE o.po_number = ? AND +o.client_id = ?")
		args = append(args, q.PONumber, q.ClientID)
	default:
		b.WriteString("orders o WHERE o.client_id = ?")
		args = append(args, q.ClientID)
	}
	if q.UniqueID != 0 && q.SerialKey != "" {
		b.WriteString(" AND EXISTS (SELECT 1 FROM order_serials s WHERE s.order_id = o.unique_id AND s.serial_key = ?)")
		args = append(args, q.SerialKey)
	}
	if q.PONumber != "" && (q.UniqueID != 0 || q.SerialKey != "") {
		b.WriteString(" AND o.po_number = ?")
		args = append(args, q.PONumber)
	}
	b.WriteString(" ORDER BY " + newest)
	return b.String(), args
}

func (r orders) InProgress(ctx context.Context, serial string) (bool, error) {
	return sqlrow.One(ctx, r, "check a serial for in-progress orders", sqlrow.Value[bool], func() error { return nil },
		qInProgress, domain.SerialKey(serial))
}

// Pending reads only the in-progress rows of order_serials, which a partial
// index holds: it costs what is pending, not what was ever ordered. Like the
// memory store, it sees the orders that hold a serial.
func (r orders) Pending(ctx context.Context) ([]int64, error) {
	return sqlrow.All(ctx, r, "list pending orders", sqlrow.Value[int64], qPending)
}
