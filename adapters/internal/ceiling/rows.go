package ceiling

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// Rows are the rows one accepted one-line order stores.
type Rows struct {
	Order        domain.Order
	Device       domain.Device
	Subscription domain.Subscription
	Activation   domain.Activation
	Events       []domain.AuditEvent
	// Decisions is the order's record in the decision log (one).
	Decisions []domain.DecisionRecord
}

// Writer writes one order's Rows in one transaction and returns the
// order's unique id; Tables counts the rows of every table of its database,
// for a test to compare with what the engine wrote. *SQLite and *Postgres
// are Writers; both are safe for concurrent use.
type Writer interface {
	Write(ctx context.Context, r *Rows) (int64, error)
	Tables(ctx context.Context) (map[string]int, error)
	Close() error
}

// Template reads back from store what the engine stored for the accepted
// one-line order uniqueID. It fails unless the order is SUCCESS with one
// line, one subscription, one pending activation and one audit event.
func Template(ctx context.Context, store ports.Store, uniqueID int64) (*Rows, error) {
	var r Rows
	err := store.View(ctx, func(tx ports.Tx) error {
		var err error
		if r.Order, err = tx.Orders().Get(ctx, uniqueID); err != nil {
			return err
		}
		if len(r.Order.Lines) != 1 {
			return fmt.Errorf("order %d has %d lines, want 1", uniqueID, len(r.Order.Lines))
		}
		serial := r.Order.Lines[0].SerialNumber
		if r.Device, err = tx.Devices().BySerial(ctx, serial); err != nil {
			return err
		}
		subs, err := tx.Subscriptions().ByOrder(ctx, uniqueID)
		if err != nil {
			return err
		}
		acts, err := tx.Activations().BySerial(ctx, serial)
		if err != nil {
			return err
		}
		if len(subs) != 1 || len(acts) != 1 {
			return fmt.Errorf("order %d has %d subscriptions and %d activations, want 1 and 1", uniqueID, len(subs), len(acts))
		}
		r.Subscription, r.Activation = subs[0], acts[0]
		if r.Events, err = tx.Audit().List(ctx, Subject(uniqueID)); err != nil {
			return err
		}
		// The order's decision: logged by its client at its instant.
		f := domain.DecisionFilter{Partner: r.Order.ClientID, From: r.Order.CreatedAt, To: r.Order.CreatedAt.Add(time.Microsecond), PageSize: domain.MaxDecisionPage}
		recs, _, err := tx.Decisions().List(ctx, f)
		for _, rec := range recs {
			if rec.Outcome.Allowed && rec.Command == "CreateOrder" {
				r.Decisions = append(r.Decisions, rec)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(r.Decisions) != 1 {
		return nil, fmt.Errorf("order %d has %d decisions logged, want 1", uniqueID, len(r.Decisions))
	}
	if r.Order.Status != domain.OrderSuccess || len(r.Events) != 1 || r.Activation.Delivery.State != domain.DeliveryPending {
		return nil, fmt.Errorf("order %d is %s with %d audit events and its activation %s, want %s, 1 and %s", uniqueID,
			r.Order.Status, len(r.Events), r.Activation.Delivery.State, domain.OrderSuccess, domain.DeliveryPending)
	}
	return &r, nil
}

// Subject is the audit subject of an order, as rules/orders writes it.
func Subject(uniqueID int64) string { return "order:" + strconv.FormatInt(uniqueID, 10) }

// For returns the rows of the i-th ceiling order (i > 0) for serial and
// the purchase order po: r's, with ids made the i-th's. The order's numbers
// are r's plus i (a Postgres Writer takes them from the sequences instead).
func (r *Rows) For(i int64, serial, po string) *Rows {
	n := strconv.FormatInt(i, 10)
	out := &Rows{Order: r.Order, Device: r.Device, Subscription: r.Subscription, Activation: r.Activation, Events: slices.Clone(r.Events),
		Decisions: slices.Clone(r.Decisions)}
	o := &out.Order
	o.UniqueID, o.OrderNumber, o.PONumber = r.Order.UniqueID+i, r.Order.OrderNumber+i, po
	o.Lines = slices.Clone(r.Order.Lines)
	o.Lines[0].SerialNumber, o.Lines[0].SubscriptionID = serial, "ceiling-sub-"+n
	out.Device.Serial = serial
	s, a := &out.Subscription, &out.Activation
	s.ID, s.Serial = o.Lines[0].SubscriptionID, serial
	a.ID, a.SubscriptionID, a.Serial = "ceiling-act-"+n, s.ID, serial
	for j := range out.Events {
		out.Events[j].ID = "ceiling-ev-" + n + "-" + strconv.Itoa(j)
	}
	for j := range out.Decisions {
		out.Decisions[j].ID = "ceiling-dec-" + n + "-" + strconv.Itoa(j)
	}
	out.numbered(o.UniqueID)
	return out
}

// numbered points the rows that name the order at uniqueID.
func (r *Rows) numbered(uniqueID int64) {
	r.Order.UniqueID, r.Subscription.OrderID, r.Activation.OrderID = uniqueID, uniqueID, uniqueID
	for j := range r.Events {
		r.Events[j].Subject = Subject(uniqueID)
	}
}

// decisionArgs are the columns of a decision log row after id, as both
// stores write them; at is the instant as the store keeps it.
func decisionArgs(d *domain.DecisionRecord, at any) []any {
	outcome, _ := json.Marshal(d.Outcome) // a DecisionOutcome always encodes
	return []any{d.ID, at, d.Context, d.Command, d.Partner, d.Account, d.Actor, d.RulesetHash, d.Outcome.Allowed,
		domain.DecisionList(d.Outcome.Codes()), domain.DecisionList(d.Outcome.RuleIDs()), string(outcome), string(d.Request), string(d.State)}
}
