package orders

import (
	"context"
	"strings"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// ActivationQuery selects TAP_GET_ACTIVATION_STATUS_API results: at least
// one field is needed.
type ActivationQuery struct {
	OrderNumber  int64
	SerialNumber string
}

// ActivationInfo is a subscription's activation as the store API reports it.
type ActivationInfo struct {
	Subscription    domain.Subscription
	PartDescription string
	// Activation is the latest delivery for the subscription; its ID is ""
	// when none was recorded (an order on hold).
	Activation domain.Activation
	// Status is the activation's (domain.Activation.StatusAt: SCHEDULED,
	// IN_PROGRESS, COMPLETED or FAILED), or PENDING when none was requested.
	Status string
}

// ActivationStatus returns the active and future subscriptions of an order
// or a serial of clientID with their latest activation (seed 001,
// TAP_GET_ACTIVATION_STATUS_API); canceled lines are left out. It fails with
// CodeInvalid when q is empty and CodeNotFound: ErrNoMatch, ErrNoActiveForOrder or
// ErrNoActiveForSerial.
func (e *Service) ActivationStatus(ctx context.Context, p domain.Principal, q ActivationQuery) ([]ActivationInfo, error) {
	clientID, err := partnerOf(p)
	if err != nil {
		return nil, err
	}
	if err := q.check(); err != nil {
		return nil, err
	}
	serial := strings.TrimSpace(q.SerialNumber)
	if q.OrderNumber == 0 && serial == "" {
		return nil, domain.Errorf(domain.CodeInvalid, "orderNumber", "give orderNumber or serialNumber")
	}
	now := e.clock.Now()
	today := domain.Today(now, domain.Pacific)
	var out []ActivationInfo
	err = e.store.View(ctx, func(tx ports.Tx) error {
		subs, err := clientSubscriptions(ctx, tx, clientID, q.OrderNumber, serial)
		if err != nil {
			return err
		}
		if len(subs) == 0 {
			return errNoData()
		}
		for _, s := range subs {
			if st := s.StatusOn(today); st != domain.Active && st != domain.Future {
				continue
			}
			info := ActivationInfo{Subscription: s, Status: "PENDING"}
			if p, err := tx.Catalog().Part(ctx, s.PartNumber); err == nil {
				info.PartDescription = p.Description
			}
			acts, err := tx.Activations().BySerial(ctx, s.Serial)
			if err != nil {
				return err
			}
			for _, a := range acts {
				if a.SubscriptionID == s.ID {
					info.Activation, info.Status = a, a.StatusAt(now)
				}
			}
			out = append(out, info)
		}
		if len(out) == 0 {
			if q.OrderNumber != 0 {
				return ErrNoActiveForOrder
			}
			return ErrNoActiveForSerial
		}
		return nil
	})
	return out, err
}

// clientSubscriptions returns the subscriptions of clientID's orders,
// selected by order number and/or serial. Subscriptions of another client's
// orders are never returned.
func clientSubscriptions(ctx context.Context, tx ports.OrdersTx, clientID string, orderNumber int64, serial string) ([]domain.Subscription, error) {
	var subs []domain.Subscription
	if orderNumber != 0 {
		o, err := tx.Orders().ByOrderNumber(ctx, orderNumber)
		if notFound(err) || (err == nil && o.ClientID != clientID) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if subs, err = tx.Subscriptions().ByOrder(ctx, o.UniqueID); err != nil {
			return nil, err
		}
		if serial == "" {
			return subs, nil
		}
		key := domain.SerialKey(serial)
		kept := subs[:0]
		for _, s := range subs {
			if domain.SerialKey(s.Serial) == key {
				kept = append(kept, s)
			}
		}
		return kept, nil
	}
	tl, err := tx.Subscriptions().BySerial(ctx, serial)
	if err != nil {
		return nil, err
	}
	owner := map[int64]bool{}
	for _, s := range tl {
		mine, seen := owner[s.OrderID]
		if !seen {
			o, err := tx.Orders().Get(ctx, s.OrderID)
			if err != nil && !notFound(err) {
				return nil, err
			}
			mine = err == nil && o.ClientID == clientID
			owner[s.OrderID] = mine
		}
		if mine {
			subs = append(subs, s)
		}
	}
	return subs, nil
}

// ResendRequest is TAP_RESEND_ACTIVATION_API's request.
type ResendRequest struct {
	SerialNumber     string
	PartNumber       string
	OrderNumber      int64
	CustomerOrderRef string
	ActivationDate   domain.Date // UTC civil date; a past date becomes today
}

// ResendActivation asks for a subscription's passcode to be delivered again,
// by OTA or e-mail as its part's passcode mapping says (seed 001,
// TAP_RESEND_ACTIVATION_API); an OTA activation completes 15 minutes after it
// is delivered. The new activation is written PENDING to the outbox with an
// audit event, in one transaction; DeliverDue hands it to the Activator
// after that commits (RunDeliveries at once). It fails with CodeInvalid naming the field (serialNumber missing;
// partNumber needed because the serial has several active subscriptions) and
// with CodeNotFound (ErrNoMatch) when nothing of clientID matches.
func (e *Service) ResendActivation(ctx context.Context, p domain.Principal, r ResendRequest) (domain.Activation, error) {
	clientID, err := partnerOf(p)
	if err != nil {
		return domain.Activation{}, err
	}
	if err := r.check(); err != nil {
		return domain.Activation{}, err
	}
	serial := strings.TrimSpace(r.SerialNumber)
	if serial == "" {
		return domain.Activation{}, domain.Errorf(domain.CodeInvalid, "serialNumber", "serialNumber is mandatory")
	}
	now := e.clock.Now().UTC()
	today, todayUTC := domain.Today(now, domain.Pacific), domain.Today(now, domain.UTC)
	var a domain.Activation
	err = e.store.Update(ctx, func(tx ports.Tx) error {
		if err := tx.LockSerials(ctx, serial); err != nil {
			return err
		}
		subs, err := clientSubscriptions(ctx, tx, clientID, r.OrderNumber, serial)
		if err != nil {
			return err
		}
		var ref map[int64]bool
		if r.CustomerOrderRef != "" {
			ref = map[int64]bool{}
		}
		var picked []domain.Subscription
		for _, s := range subs {
			if st := s.StatusOn(today); st != domain.Active && st != domain.Future {
				continue
			}
			if r.PartNumber != "" && !strings.EqualFold(s.PartNumber, r.PartNumber) {
				continue
			}
			if ref != nil {
				mine, seen := ref[s.OrderID]
				if !seen {
					o, err := tx.Orders().Get(ctx, s.OrderID)
					if err != nil {
						return err
					}
					mine = o.CustomerOrderRef == r.CustomerOrderRef
					ref[s.OrderID] = mine
				}
				if !mine {
					continue
				}
			}
			picked = append(picked, s)
		}
		if len(picked) == 0 {
			return errNoData()
		}
		// A held order is activated when its hold is released (seed 001: "the
		// support team will take the necessary steps ... after which order
		// confirmation and activation email will be sent"), not by a resend.
		for _, s := range picked {
			if s.OrderID == 0 {
				continue
			}
			o, err := tx.Orders().Get(ctx, s.OrderID)
			if err != nil {
				return err
			}
			if o.Status == domain.OrderOnHold || o.Status == domain.OrderInProgress {
				return domain.Errorf(domain.CodeConflict, "serialNumber", "order %d is %s; its activation is sent when the order completes", o.OrderNumber, o.Status)
			}
		}
		if len(picked) > 1 && r.PartNumber == "" && !samePart(picked) {
			return domain.Errorf(domain.CodeInvalid, "partNumber", "serialNumber %s has several active subscriptions; give partNumber to choose one", serial)
		}
		s := picked[0]
		part, err := tx.Catalog().Part(ctx, s.PartNumber)
		if err != nil {
			return err
		}
		date := r.ActivationDate
		if date.IsZero() || date.Before(todayUTC) {
			date = todayUTC
		}
		a = domain.Activation{ID: e.ids.NewID(), SubscriptionID: s.ID, OrderID: s.OrderID, Serial: s.Serial, PartNumber: s.PartNumber,
			Method: part.ActivationMethod, RequestType: "RESEND", Date: date, RequestedAt: now, Passcode: passcode(e.ids.NewID()),
			Delivery: domain.PendingDelivery(now)}
		if a.Method == "" {
			a.Method = domain.OTA
		}
		if a.Email, err = resendAddress(ctx, tx, clientID, s); err != nil {
			return err
		}
		if err := tx.Activations().Put(ctx, a); err != nil {
			return err
		}
		return tx.Audit().Append(ctx, domain.AuditEvent{ID: e.ids.NewID(), At: now, Actor: clientID, Command: "ResendActivation",
			Subject: "serial:" + s.Serial, Allowed: true, RulesetHash: e.Rules().Hash()})
	})
	if err != nil {
		return domain.Activation{}, err
	}
	e.kickDeliveries()
	return a, nil
}

func samePart(subs []domain.Subscription) bool {
	for _, s := range subs[1:] {
		if s.PartNumber != subs[0].PartNumber {
			return false
		}
	}
	return true
}

// resendAddress is where a resent activation goes: the address of the
// subscription's own latest activation (the order that made it), else the
// latest valid SSO e-mail the same client's orders gave for the serial, else
// the store's own record of the device. Another client's address is never
// used.
func resendAddress(ctx context.Context, tx ports.OrdersTx, clientID string, s domain.Subscription) (string, error) {
	acts, err := tx.Activations().BySerial(ctx, s.Serial)
	if err != nil {
		return "", err
	}
	for i := len(acts) - 1; i >= 0; i-- {
		if acts[i].SubscriptionID == s.ID && acts[i].Email != "" {
			return acts[i].Email, nil
		}
	}
	own, err := ownSSOEmail(ctx, tx, clientID, s.Serial)
	if own != "" || err != nil {
		return own, err
	}
	dev, err := tx.Devices().BySerial(ctx, s.Serial)
	if notFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return dev.LatestValidSSOEmail(), nil
}
