package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/domain"
)

// TestActivationStatusByDelivery: only a delivered activation completes; a
// pending one is scheduled, then in progress for as long as it waits; a
// given-up one is failed; a late delivery completes 15 minutes after it.
func TestActivationStatusByDelivery(t *testing.T) {
	requested := mustTime(t, "2025-04-24T10:28:10Z")
	due := mustTime(t, "2025-05-01T00:00:00Z")
	at := func(state domain.DeliveryState, deliveredAt time.Time) domain.Activation {
		return domain.Activation{Method: domain.OTA, RequestType: "ORDER", Date: mustDate(t, "2025-05-01"), RequestedAt: requested,
			Delivery: domain.Delivery{State: state, Attempts: 1, DeliveredAt: deliveredAt, NextAttempt: requested}}
	}
	late := due.Add(3 * time.Hour)
	tests := []struct {
		name string
		a    domain.Activation
		now  time.Time
		want string
	}{
		{"pending, before due", at(domain.DeliveryPending, time.Time{}), due.Add(-time.Nanosecond), domain.ActivationScheduled},
		{"pending, at due", at(domain.DeliveryPending, time.Time{}), due, domain.ActivationInProgress},
		{"pending, a day after due", at(domain.DeliveryPending, time.Time{}), due.Add(24 * time.Hour), domain.ActivationInProgress},
		{"zero delivery counts as pending", domain.Activation{RequestedAt: requested}, requested.Add(time.Hour), domain.ActivationInProgress},
		{"failed, before due", at(domain.DeliveryFailed, time.Time{}), requested, domain.ActivationFailed},
		{"failed, after due", at(domain.DeliveryFailed, time.Time{}), due.Add(time.Hour), domain.ActivationFailed},
		{"delivered early, before due", at(domain.DeliveryDelivered, requested), requested, domain.ActivationScheduled},
		{"delivered early, 15 minutes after due", at(domain.DeliveryDelivered, requested), due.Add(domain.OTACompletion), domain.ActivationCompleted},
		{"delivered late, 14 minutes after delivery", at(domain.DeliveryDelivered, late), late.Add(14 * time.Minute), domain.ActivationInProgress},
		{"delivered late, 15 minutes after delivery", at(domain.DeliveryDelivered, late), late.Add(domain.OTACompletion), domain.ActivationCompleted},
	}
	for _, tt := range tests {
		if got := tt.a.StatusAt(tt.now); got != tt.want {
			t.Errorf("%s: StatusAt(%v) = %s, want %s", tt.name, tt.now, got, tt.want)
		}
	}
}

func TestDeliveryValidate(t *testing.T) {
	now := mustTime(t, "2025-04-24T10:28:10Z")
	tests := []struct {
		d     domain.Delivery
		field string // "" when valid
	}{
		{domain.PendingDelivery(now), ""},
		{domain.Delivery{State: domain.DeliveryDelivered, Attempts: 2, DeliveredAt: now}, ""},
		{domain.Delivery{State: domain.DeliveryFailed, Attempts: 12, LastError: "unreachable"}, ""},
		{domain.Delivery{}, "delivery.state"},
		{domain.Delivery{State: "SENT", NextAttempt: now}, "delivery.state"},
		{domain.Delivery{State: domain.DeliveryPending}, "delivery.nextAttempt"},
		{domain.Delivery{State: domain.DeliveryDelivered}, "delivery.deliveredAt"},
		{domain.Delivery{State: domain.DeliveryFailed, Attempts: -1}, "delivery.attempts"},
	}
	for _, tt := range tests {
		err := tt.d.Validate()
		if tt.field == "" {
			if err != nil {
				t.Errorf("Validate(%+v) = %v, want nil", tt.d, err)
			}
			continue
		}
		var de *domain.Error
		if !errors.As(err, &de) || de.Code != domain.CodeInvalid || de.Field != tt.field {
			t.Errorf("Validate(%+v) = %v, want CodeInvalid on %s", tt.d, err, tt.field)
		}
	}
	for _, s := range domain.DeliveryStates {
		if got, err := domain.ParseDeliveryState(s.String()); err != nil || got != s {
			t.Errorf("ParseDeliveryState(%q) = %q, %v", s, got, err)
		}
	}
}
