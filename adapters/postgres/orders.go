package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
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
	o.status, o.hold_reason, o.created_at, o.total::text, o.ruleset_hash, o.lines`
	// The order, its numbers and its serials are one statement. The numbers
	// come from sequences, which are not transactional.
	qInsertOrder = `WITH o AS (
		INSERT INTO orders (client_id, customer_id, ship_to_customer_id, bill_to_customer, ship_to_customer, po_number,
			customer_order_ref, currency, promo_code, activation_country, bill_to_site_use_id, ship_to_site_use_id,
			bill_to_email, bill_to_phone, ship_to_email, ship_to_phone, status, hold_reason, created_at, total,
			ruleset_hash, lines)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20::text::numeric, $21, $22)
		RETURNING unique_id, order_number),` + qInsertOrderSerials
	// An imported order keeps its numbers ($25 and $26).
	qInsertImportedOrder = `WITH o AS (
		INSERT INTO orders (client_id, customer_id, ship_to_customer_id, bill_to_customer, ship_to_customer, po_number,
			customer_order_ref, currency, promo_code, activation_country, bill_to_site_use_id, ship_to_site_use_id,
			bill_to_email, bill_to_phone, ship_to_email, ship_to_phone, status, hold_reason, created_at, total,
			ruleset_hash, lines, unique_id, order_number)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20::text::numeric, $21, $22, $25, $26)
		RETURNING unique_id, order_number),` + qInsertOrderSerials
	qInsertOrderSerials = `
	s AS (
		INSERT INTO order_serials (order_id, serial_key, in_progress)
		SELECT o.unique_id, k, $24 FROM o, unnest($23::text[]) AS k)
	SELECT unique_id, order_number FROM o`
	// Through the primary key of order_serials, never the partial unique
	// index: see free.
	qHolders = `SELECT serial_key, order_id, in_progress FROM order_serials WHERE serial_key = ANY($1)`
	// In an Update, Get locks the order's row (the lock an UPDATE of its
	// status takes), so that a read-check-write of its status, such as
	// finishing an order, waits for a concurrent one and then reads what it
	// committed.
	qOrderLocked = qOrder + ` FOR NO KEY UPDATE`
	// By (serial, order), the primary key: see order_serials in
	// migrations/0001_core.sql.
	qMarkInProgress = `UPDATE order_serials SET in_progress = $3 WHERE serial_key = ANY($1) AND order_id = $2`
	qSetStatus      = `UPDATE orders SET status = $2, hold_reason = $3 WHERE unique_id = $1`
	// An order leaving ORDER_CREATION_INPROGRESS frees its serials and takes
	// its new status in one statement.
	qFinish = `WITH freed AS (UPDATE order_serials SET in_progress = false WHERE serial_key = ANY($4) AND order_id = $1)
	UPDATE orders SET status = $2, hold_reason = $3 WHERE unique_id = $1`
	qOrder         = `SELECT ` + orderColumns + ` FROM orders o WHERE o.unique_id = $1`
	qOrderByNumber = `SELECT ` + orderColumns + ` FROM orders o WHERE o.order_number = $1`
	// bool_or rather than WHERE in_progress: see free.
	qInProgress = `SELECT coalesce(bool_or(in_progress), false) FROM order_serials WHERE serial_key = $1`
	qPending    = `SELECT DISTINCT order_id FROM order_serials WHERE in_progress ORDER BY order_id`
)

func scanOrder(r sqlrow.Scanner) (domain.Order, error) {
	var (
		o             domain.Order
		status, total string
		lines         []byte
	)
	if err := r.Scan(&o.UniqueID, &o.OrderNumber, &o.ClientID, &o.CustomerID, &o.ShipToCustomerID, &o.BillToCustomer,
		&o.ShipToCustomer, &o.PONumber, &o.CustomerOrderRef, &o.Currency, &o.PromoCode, &o.ActivationCountry,
		&o.BillToSiteUseID, &o.ShipToSiteUseID, &o.BillToContact.Email, &o.BillToContact.Phone,
		&o.ShipToContact.Email, &o.ShipToContact.Phone, &status, &o.HoldReason, &o.CreatedAt, &total, &o.RulesetHash, &lines); err != nil {
		return o, err
	}
	o.CreatedAt = utc(o.CreatedAt)
	return o, sqlrow.DecodeOrder(&o, status, total, lines)
}

// Create checks the in-progress serials before it writes or numbers
// anything, so a refused order leaves o as it was and the transaction
// usable; the partial unique index order_serials_one_in_progress refuses the
// racing one. The insert is sent, with the writes queued before it, as the
// numbers come back from it. A Create rolled back or retried by Update
// consumes its numbers, so numbers can have gaps (the memory store's have
// none).
func (r orders) Create(ctx context.Context, o *domain.Order) error {
	if err := cmp.Or(r.Write(), o.CheckNew()); err != nil {
		return err
	}
	inProgress := o.Status == domain.OrderInProgress
	if inProgress {
		if err := r.free(ctx, o, 0); err != nil {
			return err
		}
	}
	lines, err := sqlrow.EncodeLines(o.Lines)
	if err != nil {
		return err
	}
	keys := o.SerialKeys()
	for _, k := range keys {
		r.stale(k, partHolders|partOrders)
	}
	var id, number int64
	q, args := qInsertOrder, []any{}
	if o.UniqueID != 0 { // imported with its numbers (CheckNew checked them)
		q, args = qInsertImportedOrder, []any{o.UniqueID, o.OrderNumber}
	}
	if err := r.QueryRow(ctx, q, append([]any{o.ClientID, o.CustomerID, o.ShipToCustomerID, o.BillToCustomer, o.ShipToCustomer,
		o.PONumber, o.CustomerOrderRef, string(o.Currency), o.PromoCode, o.ActivationCountry, o.BillToSiteUseID,
		o.ShipToSiteUseID, o.BillToContact.Email, o.BillToContact.Phone, o.ShipToContact.Email, o.ShipToContact.Phone,
		string(o.Status), o.HoldReason, o.CreatedAt, sqlrow.DecimalText(o.Total), o.RulesetHash, lines, keys,
		inProgress}, args...)...).Scan(&id, &number); err != nil {
		return r.Fail(ctx, err, "store an order")
	}
	o.UniqueID, o.OrderNumber = id, number
	return nil
}

// holder is a row of order_serials.
type holder struct {
	serialKey string
	order     int64
	busy      bool
}

func scanHolder(r sqlrow.Scanner) (holder, error) {
	var h holder
	err := r.Scan(&h.serialKey, &h.order, &h.busy)
	return h, err
}

// free reports CodeConflict when an in-progress order other than self holds
// one of o's serials, naming the first such line. In an Update it reads the
// holders the transaction holds of each serial (serialRows), which reading
// them locks; otherwise it reads them.
//
// It reads through the primary key of order_serials, never through the
// partial unique index: that index holds only the orders in progress, a page
// or two that every CreateOrder writes, and reading it would gain nothing
// the primary key does not give. Leaving in_progress out of the WHERE
// clause keeps the planner off it; the index stays what backs the
// invariant.
func (r orders) free(ctx context.Context, o *domain.Order, self int64) error {
	keys := o.SerialKeys()
	if len(keys) == 0 {
		return nil
	}
	var rows []holder
	held := true
	for _, k := range keys {
		c, err := r.cached(ctx, k, partHolders)
		if err != nil {
			return err
		}
		if c == nil {
			held = false
			break
		}
		rows = append(rows, c.holders...)
	}
	if !held {
		var err error
		if rows, err = sqlrow.All(ctx, r, "find the orders holding serials", scanHolder, qHolders, keys); err != nil {
			return err
		}
	}
	holders := map[string]int64{}
	for _, h := range rows {
		if h.busy && h.order != self {
			holders[h.serialKey] = h.order
		}
	}
	return o.CheckSerialsFree(func(k string) (int64, bool) { h, ok := holders[k]; return h, ok })
}

// SetStatus reads the order through Get, which in an Update locks it. A
// write that cannot fail but on a broken connection (setting the status of
// the order read, with freeing its serials when it leaves
// ORDER_CREATION_INPROGRESS) is queued (see tx); marking the serials of an
// order entering ORDER_CREATION_INPROGRESS is sent, so a racing order the
// check did not see fails this call.
func (r orders) SetStatus(ctx context.Context, uniqueID int64, status domain.OrderStatus, holdReason string) error {
	if err := r.Write(); err != nil {
		return err
	}
	if _, err := domain.ParseOrderStatus(string(status)); err != nil {
		return err
	}
	o, err := r.Get(ctx, uniqueID)
	if err != nil {
		return err
	}
	keys := o.SerialKeys()
	entering, leaving := status == domain.OrderInProgress, o.Status == domain.OrderInProgress
	what := fmt.Sprintf("set the status of order %d", uniqueID)
	switch {
	case entering && !leaving:
		if err := r.free(ctx, &o, uniqueID); err != nil {
			return err
		}
		if _, err := r.exec(ctx, qMarkInProgress, keys, uniqueID, true); err != nil {
			return r.Fail(ctx, err, "mark the serials of order %d", uniqueID)
		}
		r.queue(what, qSetStatus, uniqueID, string(status), holdReason)
	case leaving && !entering:
		r.queue(what, qFinish, uniqueID, string(status), holdReason, keys)
	default:
		r.queue(what, qSetStatus, uniqueID, string(status), holdReason)
	}
	for _, k := range keys {
		r.stale(k, partHolders|partOrders)
	}
	if _, ok := r.orders[uniqueID]; ok {
		o.Status, o.HoldReason = status, holdReason
		r.orders[uniqueID] = o
	}
	return nil
}

func notFoundOrder(uniqueID int64) error {
	return domain.Errorf(domain.CodeNotFound, "uniqueId", "no order with uniqueId %d", uniqueID)
}

// Get in an Update locks the order (qOrderLocked) and keeps it, so a
// second Get or SetStatus of the same order in the transaction reads it
// from memory.
func (r orders) Get(ctx context.Context, uniqueID int64) (domain.Order, error) {
	if !r.Writable {
		return sqlrow.One(ctx, r, "read an order", scanOrder, func() error { return notFoundOrder(uniqueID) }, qOrder, uniqueID)
	}
	if err := r.Read(); err != nil {
		return domain.Order{}, err
	}
	if o, ok := r.orders[uniqueID]; ok {
		return cloneOrder(o), nil
	}
	o, err := sqlrow.One(ctx, r, "read an order", scanOrder, func() error { return notFoundOrder(uniqueID) }, qOrderLocked, uniqueID)
	if err != nil {
		return o, err
	}
	r.orders[uniqueID] = o
	return cloneOrder(o), nil
}

func (r orders) ByOrderNumber(ctx context.Context, orderNumber int64) (domain.Order, error) {
	return sqlrow.One(ctx, r, "read an order", scanOrder, func() error {
		return domain.Errorf(domain.CodeNotFound, "orderNumber", "no order with order number %d", orderNumber)
	}, qOrderByNumber, orderNumber)
}

// Find names only the conditions q sets, so each query is planned for the
// index it can use (the unique id, the serial, the PO number or the client)
// rather than one generic plan for all. See findQuery.
//
// In an Update, the orders of one serial (q with a SerialKey and no
// UniqueID or PONumber) are those the transaction holds of the serial
// (serialRows), of q's client.
func (r orders) Find(ctx context.Context, q domain.OrderQuery) ([]domain.Order, error) {
	if q.SerialKey != "" && q.UniqueID == 0 && q.PONumber == "" {
		c, err := r.cached(ctx, q.SerialKey, partOrders)
		if err != nil {
			return nil, err
		}
		if c != nil {
			out := []domain.Order{}
			for _, o := range c.orders {
				if o.ClientID == q.ClientID {
					out = append(out, cloneOrder(o))
				}
			}
			return out, nil
		}
	}
	query, args := findQuery(q)
	return sqlrow.All(ctx, r, "find orders", scanOrder, query, args...)
}

// findQuery builds Find's statement.
func findQuery(q domain.OrderQuery) (string, []any) {
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
	return b.String(), args
}

func (r orders) InProgress(ctx context.Context, serial string) (bool, error) {
	c, err := r.cached(ctx, domain.SerialKey(serial), partHolders)
	if err != nil {
		return false, err
	}
	if c != nil {
		return slices.ContainsFunc(c.holders, func(h holder) bool { return h.busy }), nil
	}
	return sqlrow.One(ctx, r, "check a serial for in-progress orders", sqlrow.Value[bool], func() error { return nil },
		qInProgress, domain.SerialKey(serial))
}

// Pending reads the in-progress serials, as the memory store reads its
// in-progress index: an order in progress with no serial is not pending.
// Reading orders by status would need an index on status, and that index
// would make every SetStatus rewrite the order's index entries instead of
// updating the row in place (a HOT update).
func (r orders) Pending(ctx context.Context) ([]int64, error) {
	return sqlrow.All(ctx, r, "list pending orders", sqlrow.Value[int64], qPending)
}
