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

// StatusAt returns the delivery status at now: SCHEDULED before it is due,
// IN_PROGRESS for the 15 minutes it takes, then COMPLETED.
func (a *Activation) StatusAt(now time.Time) string {
	due := a.DueAt()
	switch {
	case now.Before(due):
		return "SCHEDULED"
	case now.Before(due.Add(OTACompletion)):
		return "IN_PROGRESS"
	}
	return "COMPLETED"
}
