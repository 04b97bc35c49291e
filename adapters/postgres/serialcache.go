package postgres

import (
	"context"
	"errors"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
)

// A decision reads, for each serial of an order, its device, its
// subscriptions, its trials, whether an order is in progress for it and the
// client's own orders naming it; the store then checks the serial's holders
// before it creates the order and its timeline before it stores each
// subscription. In an Update the first of those reads fetches them all, with
// the serial's lock, in one batch (serialRows), and the others are answered
// from it. Each part stays fresh until a write of the same transaction
// changes it; a read of a part no longer fresh goes to the database. Under
// the serial's lock nobody else changes them, so fresh means what the
// database holds. (Past maxImplicitLocks a read takes no lock, and what it
// fetched is as fresh as any READ COMMITTED read: the constraints hold the
// invariants.)

// part is one part of what serialRows holds.
type part uint8

const (
	partDevice part = 1 << iota
	partTimeline
	partTrials
	partHolders
	partOrders
	allParts = partDevice | partTimeline | partTrials | partHolders | partOrders
)

// serialRows is what one serial key held when the transaction read it:
// fresh says which parts still are what the database holds.
type serialRows struct {
	fresh    part
	device   *domain.Device // nil: no device
	timeline domain.Timeline
	trials   []domain.TrialGrant
	holders  []holder
	orders   []domain.Order // every client's, newest first
}

// qSerialOrders reads the orders naming a serial, newest first, as Find does
// for one client, each with whether it holds the serial in progress, as
// qHolders does: one statement for both.
const qSerialOrders = `SELECT s.in_progress, ` + orderColumns + ` FROM order_serials s
	JOIN orders o ON o.unique_id = s.order_id WHERE s.serial_key = $1 ORDER BY o.unique_id DESC`

// steps are the statements that read key into r.
func (r *serialRows) steps(key string) []step {
	return []step{
		{sql: qDevice, args: []any{key}, read: func(br pgx.BatchResults) error {
			d, err := scanDevice(br.QueryRow())
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				r.device = nil
			case err != nil:
				return err
			default:
				r.device = &d
			}
			return nil
		}},
		{sql: qSubsBySerial, args: []any{key}, read: func(br pgx.BatchResults) (err error) {
			r.timeline, err = collect(br, scanSubscription)
			return err
		}},
		{sql: qTrialsBySerial, args: []any{key}, read: func(br pgx.BatchResults) (err error) {
			r.trials, err = collect(br, scanGrant)
			return err
		}},
		{sql: qSerialOrders, args: []any{key}, read: func(br pgx.BatchResults) error {
			type held struct {
				busy  bool
				order domain.Order
			}
			rows, err := collect(br, func(row sqlrow.Scanner) (h held, err error) {
				h.order, err = scanOrder(prefixed{row, []any{&h.busy}})
				return h, err
			})
			if err != nil {
				return err
			}
			r.orders, r.holders = make([]domain.Order, len(rows)), make([]holder, len(rows))
			for i, h := range rows {
				r.orders[i], r.holders[i] = h.order, holder{serialKey: key, order: h.order.UniqueID, busy: h.busy}
			}
			return nil
		}},
	}
}

// collect reads the rows of the next statement of a batch, as sqlrow.All
// reads them: no rows is an empty slice.
func collect[T any](br pgx.BatchResults, scan func(sqlrow.Scanner) (T, error)) ([]T, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// serial returns what the transaction holds of key, reading it first, under
// the serial's lock, when it has not yet. Only an Update caches.
func (t *tx) serial(ctx context.Context, key string) (*serialRows, error) {
	if r, ok := t.serials[key]; ok {
		return r, nil
	}
	r := &serialRows{}
	var steps []step
	l := lockKey(t.schema, lockSerial, key)
	lock := !t.locks[l] && t.implicit < maxImplicitLocks
	if lock {
		steps = append(steps, step{sql: qLock, args: []any{[]int64{l}}})
	}
	steps = append(steps, r.steps(key)...)
	t.serials[key] = r
	if err := t.runLocked(ctx, steps); err != nil {
		return nil, err
	}
	if lock {
		t.locks[l] = true
		t.implicit++
	}
	r.fresh = allParts
	return r, nil
}

// cached returns what the transaction holds of the serial key when its part
// p is fresh, reading the serial first when the transaction has not; nil
// when the caller must read the database itself: in a View, for an empty
// key, or when a write of this transaction changed the part.
func (t *tx) cached(ctx context.Context, key string, p part) (*serialRows, error) {
	if err := t.Read(); err != nil {
		return nil, err
	}
	if !t.Writable || key == "" {
		return nil, nil
	}
	r, err := t.serial(ctx, key)
	if err != nil || r.fresh&p == 0 {
		return nil, err
	}
	return r, nil
}

// stale marks part p of key as changed by this transaction.
func (t *tx) stale(key string, p part) {
	if r, ok := t.serials[key]; ok {
		r.fresh &^= p
	}
}

// copies of cached values, so a caller changing what it was given never
// changes what the next caller reads.

func cloneDevice(d domain.Device) domain.Device {
	d.SSOEmails = slices.Clone(d.SSOEmails)
	return d
}

func cloneOrder(o domain.Order) domain.Order {
	o.Lines = slices.Clone(o.Lines)
	return o
}
