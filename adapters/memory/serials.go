package memory

import (
	"cmp"
	"context"
	"slices"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// Everything kept per device is indexed by domain.SerialKey, so "TestAPI01"
// finds what was stored as "TESTApi01" and a lookup costs the same however
// many devices there are.

type devices struct{ *tx }

func (t *tx) Devices() ports.Devices { return devices{t} }

// Put keeps the spelling of the serial stored first: later orders and
// renewals use it (seed 001), whatever case their request had.
func (r devices) Put(_ context.Context, d domain.Device) error {
	if err := r.Write(sqlrow.Required("serialNumber", d.Serial)); err != nil {
		return err
	}
	k := domain.SerialKey(d.Serial)
	if old, ok := r.db.devices.get(k); ok {
		d.Serial = old.Serial
	}
	r.db.devices.put(k, d)
	return nil
}

func (r devices) BySerial(_ context.Context, serial string) (domain.Device, error) {
	if err := r.Read(); err != nil {
		return domain.Device{}, err
	}
	d, ok := r.db.devices.get(domain.SerialKey(serial))
	if !ok {
		return d, domain.Errorf(domain.CodeNotFound, "serialNumber", "no device with serial number %q", serial)
	}
	return d, nil
}

type subscriptions struct{ *tx }

func (t *tx) Subscriptions() ports.Subscriptions { return subscriptions{t} }

func (r subscriptions) Put(_ context.Context, s domain.Subscription) error {
	if err := cmp.Or(r.Write(sqlrow.Required("id", s.ID), sqlrow.Required("serialNumber", s.Serial)), s.Period().Validate()); err != nil {
		return err
	}
	k := domain.SerialKey(s.Serial)
	if s.Live() {
		ids, _ := r.db.subsBySerial.get(k)
		for _, o := range rows(&r.db.subs, ids) {
			if o.ID != s.ID && o.ProductLine == s.ProductLine && o.Live() && o.Period().Overlaps(s.Period()) {
				return domain.Errorf(domain.CodeConflict, "serviceStartDate",
					"subscription %q (%s) of serial %q overlaps subscription %q (%s) of product line %s",
					s.ID, s.Period(), s.Serial, o.ID, o.Period(), s.ProductLine)
			}
		}
	}
	old, had := r.db.subs.get(s.ID)
	reindex(&r.db.subsBySerial, domain.SerialKey(old.Serial), had, k, s.ID)
	reindex(&r.db.subsByOrder, old.OrderID, had, s.OrderID, s.ID)
	r.db.subs.put(s.ID, s)
	return nil
}

func (r subscriptions) BySerial(_ context.Context, serial string) (domain.Timeline, error) {
	if err := r.Read(); err != nil {
		return nil, err
	}
	ids, _ := r.db.subsBySerial.get(domain.SerialKey(serial))
	out := rows(&r.db.subs, ids)
	slices.SortFunc(out, func(a, b domain.Subscription) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

func (r subscriptions) ByOrder(_ context.Context, orderID int64) ([]domain.Subscription, error) {
	if err := r.Read(); err != nil {
		return nil, err
	}
	ids, _ := r.db.subsByOrder.get(orderID)
	out := rows(&r.db.subs, ids)
	slices.SortFunc(out, func(a, b domain.Subscription) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

type trialKey struct {
	serialKey   string
	productLine domain.ProductLine
}

type trials struct{ *tx }

func (t *tx) Trials() ports.Trials { return trials{t} }

// Record folds g.SerialKey once more, so a caller that passed a serial as
// typed still hits the one-grant-per-serial rule.
func (r trials) Record(_ context.Context, g domain.TrialGrant) error {
	if err := r.Write(sqlrow.Required("serialNumber", g.SerialKey)); err != nil {
		return err
	}
	k := trialKey{domain.SerialKey(g.SerialKey), g.ProductLine}
	if old, ok := r.db.trials.get(k); ok {
		return domain.Errorf(domain.CodeConflict, "serialNumber",
			"serial %q already had its trial of %s (part %s, order %d)", g.SerialKey, g.ProductLine, old.PartNumber, old.OrderID)
	}
	r.db.trials.put(k, g)
	push(&r.db.trialsBySerial, k.serialKey, g.ProductLine)
	return nil
}

func (r trials) BySerial(_ context.Context, serial string) ([]domain.TrialGrant, error) {
	if err := r.Read(); err != nil {
		return nil, err
	}
	k := domain.SerialKey(serial)
	lines, _ := r.db.trialsBySerial.get(k)
	keys := make([]trialKey, len(lines))
	for i, pl := range lines {
		keys[i] = trialKey{k, pl}
	}
	return rows(&r.db.trials, keys), nil
}

type activations struct{ *tx }

func (t *tx) Activations() ports.Activations { return activations{t} }

func (r activations) Put(_ context.Context, a domain.Activation) error {
	if err := cmp.Or(r.Write(sqlrow.Required("id", a.ID), sqlrow.Required("serialNumber", a.Serial)), a.Delivery.Validate()); err != nil {
		return err
	}
	old, had := r.db.activations.get(a.ID)
	reindex(&r.db.actsBySerial, domain.SerialKey(old.Serial), had, domain.SerialKey(a.Serial), a.ID)
	r.putActivation(a)
	return nil
}

// BySerial orders by RequestedAt, then ID so that equal instants still come
// back in one order.
func (r activations) BySerial(_ context.Context, serial string) ([]domain.Activation, error) {
	if err := r.Read(); err != nil {
		return nil, err
	}
	ids, _ := r.db.actsBySerial.get(domain.SerialKey(serial))
	out := rows(&r.db.activations, ids)
	slices.SortFunc(out, func(a, b domain.Activation) int {
		return cmp.Or(a.RequestedAt.Compare(b.RequestedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}
