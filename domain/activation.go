package domain

import "time"

// ActivationMethod is how a passcode reaches the device: over the air, or by
// e-mail to the SSO user (seed 001: "The activation method will be fetched
// from the Passcode mapping (OTA, Send by Email)").
type ActivationMethod string

// The activation methods.
const (
	OTA   ActivationMethod = "OTA"
	Email ActivationMethod = "EMAIL"
)

// OTACompletion is how long an OTA activation takes to complete (seed 001: "it
// will take 15 minutes to complete the activation").
const OTACompletion = 15 * time.Minute

// Activation is a request to deliver a subscription's passcode to a device.
type Activation struct {
	ID             string
	SubscriptionID string
	OrderID        int64
	Serial         string
	PartNumber     string
	Method         ActivationMethod
	RequestType    string    // "ORDER" or "RESEND"
	Date           Date      // UTC civil date the activation is for
	RequestedAt    time.Time // when it was asked for
	Passcode       string
	Email          string // the SSO e-mail for EMAIL delivery
	// Delivery is how far handing it to the Activator got.
	Delivery Delivery
}

// DueAt returns the instant delivery starts: the start of Date in UTC, or the
// request instant when that is later.
func (a *Activation) DueAt() time.Time {
	due := a.Date.Time(time.UTC)
	if a.RequestedAt.After(due) {
		return a.RequestedAt
	}
	return due
}

// The activation statuses StatusAt reports.
const (
	ActivationScheduled  = "SCHEDULED"
	ActivationInProgress = "IN_PROGRESS"
	ActivationCompleted  = "COMPLETED"
	ActivationFailed     = "FAILED"
)

// StatusAt returns the activation's status at now. A delivered activation is
// SCHEDULED before it is due, IN_PROGRESS for the 15 minutes it takes
// (counted from when it was due, or from its delivery when that came
// later), then COMPLETED. One not delivered yet is SCHEDULED before it is
// due and IN_PROGRESS after, never COMPLETED; one given up is FAILED.
func (a *Activation) StatusAt(now time.Time) string {
	due := a.DueAt()
	switch a.Delivery.State {
	case DeliveryFailed:
		return ActivationFailed
	case DeliveryDelivered:
		start := due
		if a.Delivery.DeliveredAt.After(start) {
			start = a.Delivery.DeliveredAt
		}
		switch {
		case now.Before(due):
			return ActivationScheduled
		case now.Before(start.Add(OTACompletion)):
			return ActivationInProgress
		}
		return ActivationCompleted
	}
	if now.Before(due) {
		return ActivationScheduled
	}
	return ActivationInProgress
}

// DeliveryState is where the delivery of an activation stands: the
// activation is an outbox entry, written with the order (or the resend)
// that asks for it, and handed to the Activator after that commits.
type DeliveryState string

// The delivery states.
const (
	// DeliveryPending waits for its next attempt (Delivery.NextAttempt).
	DeliveryPending DeliveryState = "PENDING"
	// DeliveryDelivered was accepted by the Activator.
	DeliveryDelivered DeliveryState = "DELIVERED"
	// DeliveryFailed was given up after the last attempt failed.
	DeliveryFailed DeliveryState = "FAILED"
)

// DeliveryStates lists every delivery state.
var DeliveryStates = []DeliveryState{DeliveryPending, DeliveryDelivered, DeliveryFailed}

// String returns the state's name.
func (s DeliveryState) String() string { return string(s) }

// ParseDeliveryState returns the state named s; anything else, "" included,
// is CodeInvalid on field delivery.state.
func ParseDeliveryState(s string) (DeliveryState, error) {
	for _, st := range DeliveryStates {
		if string(st) == s {
			return st, nil
		}
	}
	return "", Errorf(CodeInvalid, "delivery.state", "unknown delivery state %q (PENDING, DELIVERED or FAILED)", s)
}

// Delivery is how far the hand-over of an activation to the Activator got.
type Delivery struct {
	State DeliveryState
	// Attempts counts the attempts made, failed or not.
	Attempts int
	// NextAttempt is when a pending delivery is next tried; zero otherwise.
	NextAttempt time.Time
	// LastError says why the last attempt failed; "" once delivered.
	LastError string
	// DeliveredAt is when the Activator accepted it; zero until then.
	DeliveredAt time.Time
}

// PendingDelivery is the delivery of a new outbox entry: pending, first tried
// at at.
func PendingDelivery(at time.Time) Delivery {
	return Delivery{State: DeliveryPending, NextAttempt: at}
}

// Validate checks what a store may keep: a known state, a pending delivery
// with its next attempt, a delivered one with its instant, no negative
// count. It fails with CodeInvalid naming the field.
func (d Delivery) Validate() error {
	if _, err := ParseDeliveryState(string(d.State)); err != nil {
		return err
	}
	switch {
	case d.Attempts < 0:
		return Errorf(CodeInvalid, "delivery.attempts", "delivery attempts %d is negative", d.Attempts)
	case d.State == DeliveryPending && d.NextAttempt.IsZero():
		return Errorf(CodeInvalid, "delivery.nextAttempt", "a pending delivery needs the time of its next attempt")
	case d.State == DeliveryDelivered && d.DeliveredAt.IsZero():
		return Errorf(CodeInvalid, "delivery.deliveredAt", "a delivered activation needs the time it was delivered")
	}
	return nil
}
