package orders

import (
	"context"
	"errors"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// The delivery policy of the outbox.
const (
	// DeliveryBatch is how many activations DeliverDue claims at once.
	DeliveryBatch = 32
	// DeliveryLease is how long a claim keeps other deliverers off an
	// activation: longer than handing a batch to the Activator takes, so
	// that only a deliverer that died lets another deliver it again.
	DeliveryLease = 2 * time.Minute
	// FirstRetry is the wait after a first failed attempt; each further
	// failure doubles it, up to MaxRetry.
	FirstRetry = time.Second
	// MaxRetry bounds the wait between attempts.
	MaxRetry = 10 * time.Minute
	// MaxDeliveryAttempts is how many attempts are made before a delivery is
	// given up (FAILED with its last error): 12 attempts span about 20
	// minutes.
	MaxDeliveryAttempts = 12
	// maxErrorText bounds the error kept with a delivery.
	maxErrorText = 500
)

// DeliverDue hands the activations whose delivery is due to the Activator:
// it claims up to DeliveryBatch of them in one transaction, calls the
// Activator for each outside any transaction, and records every outcome in
// one more: DELIVERED; or, after a failure, PENDING again with the error
// and a next attempt FirstRetry later, doubling with each failure up to
// MaxRetry; or FAILED with the last error after MaxDeliveryAttempts. It
// returns how many activations it claimed (DeliveryBatch means more may be
// due). Any number of DeliverDue may run at once, in one process or in
// several sharing the store: a claim is theirs alone for DeliveryLease.
// Without an Activator (see Options) what it claims is recorded DELIVERED.
// A failure to claim or to record is returned as the store reported it; an
// Activator's failure is not an error of DeliverDue, it is recorded.
func (e *Service) DeliverDue(ctx context.Context) (int, error) {
	now := e.clock.Now().UTC()
	var claimed []domain.Activation
	err := e.store.Update(ctx, func(tx ports.Tx) error {
		var err error
		claimed, err = tx.Activations().Claim(ctx, now, DeliveryLease, DeliveryBatch)
		return err
	})
	if err != nil || len(claimed) == 0 {
		return 0, err
	}
	outcomes := make([]domain.Delivery, len(claimed))
	for i, a := range claimed {
		if ctx.Err() != nil {
			// The rest stay claimed until the lease runs out, then are
			// claimed again.
			claimed, outcomes = claimed[:i], outcomes[:i]
			break
		}
		var derr error
		if e.activator != nil {
			derr = e.activator.Deliver(ctx, a)
		}
		outcomes[i] = nextDelivery(a.Delivery, derr, e.clock.Now().UTC())
	}
	// What was delivered is recorded even when ctx ended meanwhile: a
	// delivery not recorded would be made again.
	rctx := context.WithoutCancel(ctx)
	err = e.store.Update(rctx, func(tx ports.Tx) error {
		for i, a := range claimed {
			if err := tx.Activations().RecordDelivery(rctx, a.ID, outcomes[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return len(claimed), err
}

// nextDelivery is the delivery after an attempt that ended at now with err
// (nil: delivered).
func nextDelivery(d domain.Delivery, err error, now time.Time) domain.Delivery {
	attempts := d.Attempts + 1
	if err == nil {
		return domain.Delivery{State: domain.DeliveryDelivered, Attempts: attempts, DeliveredAt: now}
	}
	msg := deliveryError(err)
	if attempts >= MaxDeliveryAttempts {
		return domain.Delivery{State: domain.DeliveryFailed, Attempts: attempts, LastError: msg}
	}
	return domain.Delivery{State: domain.DeliveryPending, Attempts: attempts, NextAttempt: now.Add(RetryAfter(attempts)), LastError: msg}
}

// RetryAfter is the wait after the attempts-th failed attempt: FirstRetry,
// doubled for each earlier failure, at most MaxRetry.
func RetryAfter(attempts int) time.Duration {
	wait := FirstRetry
	for i := 1; i < attempts && wait < MaxRetry; i++ {
		wait *= 2
	}
	return min(wait, MaxRetry)
}

// deliveryError is what is kept of an Activator's failure, which the
// activation status shows its client: a *domain.Error's own message (an
// Activator says there what a client may read), else the error's text, cut
// to maxErrorText bytes on a rune boundary.
func deliveryError(err error) string {
	msg := err.Error()
	var de *domain.Error
	if errors.As(err, &de) && de.Message != "" {
		msg = de.Message
	}
	if len(msg) > maxErrorText {
		cut := maxErrorText
		for cut > 0 && msg[cut]&0xC0 == 0x80 {
			cut--
		}
		msg = msg[:cut]
	}
	return msg
}

// RunDeliveries runs DeliverDue until ctx ends: at once when CreateOrder,
// ResendActivation or Resume of this Service committed something to the
// outbox, again at once while batches come back full, and otherwise every
// idle (which also picks up what other processes wrote, and retries). A
// failure of DeliverDue is handed to Options.OnDeliveryError and retried
// after idle. It returns when ctx ends.
func (e *Service) RunDeliveries(ctx context.Context, idle time.Duration) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		n, err := e.DeliverDue(ctx)
		if err != nil && ctx.Err() == nil && e.onDeliveryError != nil {
			e.onDeliveryError(err)
		}
		if ctx.Err() != nil {
			return
		}
		if err == nil && n == DeliveryBatch {
			continue
		}
		t.Reset(idle)
		select {
		case <-ctx.Done():
			return
		case <-e.kick:
		case <-t.C:
		}
	}
}

// kickDeliveries wakes RunDeliveries without waiting: a wake-up already
// pending covers this one too.
func (e *Service) kickDeliveries() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}
