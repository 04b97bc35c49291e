package memory

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
)

// putActivation stores a and keeps the outbox index: an activation is listed
// in actsPending exactly while its delivery is PENDING.
func (r activations) putActivation(a domain.Activation) {
	r.db.activations.put(a.ID, a)
	if a.Delivery.State == domain.DeliveryPending {
		r.db.actsPending.put(a.ID, a.ID)
	} else if _, ok := r.db.actsPending.get(a.ID); ok {
		r.db.actsPending.del(a.ID)
	}
}

// Claim reads only the pending activations. The memory store runs one
// Update at a time, so a claim is never contended: the lease alone keeps
// a later claimer off what an earlier one took.
func (r activations) Claim(_ context.Context, now time.Time, lease time.Duration, n int) ([]domain.Activation, error) {
	if err := cmp.Or(r.Write(), sqlrow.CheckClaim(lease, n)); err != nil {
		return nil, err
	}
	var due []domain.Activation
	for _, id := range r.db.actsPending.all() {
		if a, ok := r.db.activations.get(id); ok && !a.Delivery.NextAttempt.After(now) {
			due = append(due, a)
		}
	}
	slices.SortFunc(due, func(a, b domain.Activation) int {
		return cmp.Or(a.Delivery.NextAttempt.Compare(b.Delivery.NextAttempt), cmp.Compare(a.ID, b.ID))
	})
	due = due[:min(n, len(due))]
	for i := range due {
		due[i].Delivery.NextAttempt = now.Add(lease)
		r.putActivation(due[i])
	}
	return due, nil
}

func (r activations) RecordDelivery(_ context.Context, id string, d domain.Delivery) error {
	if err := cmp.Or(r.Write(sqlrow.Required("id", id)), d.Validate()); err != nil {
		return err
	}
	a, ok := r.db.activations.get(id)
	if !ok {
		return domain.Errorf(domain.CodeNotFound, "id", "no activation %q", id)
	}
	if a.Delivery.State == domain.DeliveryDelivered {
		return nil
	}
	a.Delivery = d
	r.putActivation(a)
	return nil
}

// ClaimSerials is LockSerials: the memory store runs one Update at a time,
// so no other transaction can hold a claim while this one runs.
func (t *tx) ClaimSerials(ctx context.Context, serials ...string) error {
	return t.LockSerials(ctx, serials...)
}
