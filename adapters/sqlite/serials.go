package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// Everything kept per device is found by serial_key, domain.SerialKey of
// the serial, in an index: "TestAPI01" finds what was stored as
// "TESTApi01", and a lookup costs the same however many rows there are. The
// key is computed in Go, not with SQL's upper(), which folds ASCII only; the
// serial as entered is kept beside it.

type devices struct{ *tx }

func (t *tx) Devices() ports.Devices { return devices{t} }

const (
	// The upsert leaves serial alone: later orders and renewals use the
	// spelling stored first (seed 001), whatever case their request had.
	qPutDevice = `INSERT INTO devices (serial_key, serial, service_type, manufacturer, model, sso_emails)
	VALUES (?, ?, ?, ?, ?, ?)
	ON CONFLICT (serial_key) DO UPDATE SET service_type = excluded.service_type,
		manufacturer = excluded.manufacturer, model = excluded.model, sso_emails = excluded.sso_emails`
	qDevice = `SELECT serial, service_type, manufacturer, model, sso_emails FROM devices WHERE serial_key = ?`
)

func (r devices) Put(ctx context.Context, d domain.Device) error {
	if err := r.Write(sqlrow.Required("serialNumber", d.Serial)); err != nil {
		return err
	}
	emails, err := text(sqlrow.EncodeJSON(d.SSOEmails))
	if err != nil {
		return err
	}
	_, err = r.exec(ctx, qPutDevice, domain.SerialKey(d.Serial), d.Serial, string(d.ServiceType), d.Manufacturer, d.Model, emails)
	return r.Fail(ctx, err, "store device %q", d.Serial)
}

func scanDevice(r sqlrow.Scanner) (domain.Device, error) {
	var (
		d      domain.Device
		emails []byte
	)
	if err := r.Scan(&d.Serial, &d.ServiceType, &d.Manufacturer, &d.Model, &emails); err != nil {
		return d, err
	}
	if err := sqlrow.DecodeJSON(emails, &d.SSOEmails); err != nil {
		return d, fmt.Errorf("device %q: sso_emails: %w", d.Serial, err)
	}
	return d, nil
}

func (r devices) BySerial(ctx context.Context, serial string) (domain.Device, error) {
	return sqlrow.One(ctx, r, "read a device", scanDevice, func() error {
		return domain.Errorf(domain.CodeNotFound, "serialNumber", "no device with serial number %q", serial)
	}, qDevice, domain.SerialKey(serial))
}

type subscriptions struct{ *tx }

func (t *tx) Subscriptions() ports.Subscriptions { return subscriptions{t} }

const (
	subscriptionColumns = `id, serial, part_number, product_line, start_date, end_date, kind, ended, auto_renew,
	order_id, line, activated, created_at`
	qPutSub = `INSERT INTO subscriptions (serial_key, ` + subscriptionColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO UPDATE SET serial_key = excluded.serial_key, serial = excluded.serial,
		part_number = excluded.part_number, product_line = excluded.product_line, start_date = excluded.start_date,
		end_date = excluded.end_date, kind = excluded.kind, ended = excluded.ended, auto_renew = excluded.auto_renew,
		order_id = excluded.order_id, line = excluded.line, activated = excluded.activated, created_at = excluded.created_at`
	// Two periods overlap when each starts no later than the other ends;
	// dates compare as text. The serial's index finds the few candidates.
	qOverlap = `SELECT ` + subscriptionColumns + ` FROM subscriptions
	WHERE serial_key = ? AND product_line = ? AND ended = '' AND id <> ? AND start_date <= ? AND end_date >= ?
	ORDER BY start_date, id LIMIT 1`
	qSubsBySerial = `SELECT ` + subscriptionColumns + ` FROM subscriptions WHERE serial_key = ? ORDER BY start_date, id`
	qSubsByOrder  = `SELECT ` + subscriptionColumns + ` FROM subscriptions WHERE order_id = ? ORDER BY line, id`
)

func scanSubscription(r sqlrow.Scanner) (domain.Subscription, error) {
	var (
		s              domain.Subscription
		start, end, at string
	)
	if err := r.Scan(&s.ID, &s.Serial, &s.PartNumber, &s.ProductLine, &start, &end, &s.Kind, &s.Ended, &s.AutoRenew,
		&s.OrderID, &s.Line, &s.Activated, &at); err != nil {
		return s, err
	}
	var err error
	if s.Start, err = sqlrow.ParseDateText(start, "start_date"); err != nil {
		return s, fmt.Errorf("subscription %q: %w", s.ID, err)
	}
	if s.End, err = sqlrow.ParseDateText(end, "end_date"); err != nil {
		return s, fmt.Errorf("subscription %q: %w", s.ID, err)
	}
	if s.CreatedAt, err = parseInstant(at, "created_at"); err != nil {
		return s, fmt.Errorf("subscription %q: %w", s.ID, err)
	}
	return s, nil
}

// Put checks, for a live subscription, that no other live one of the same
// serial and product line overlaps it. SQLite has no exclusion constraint
// (PostgreSQL's EXCLUDE USING gist), so the check is a query inside the
// write transaction; that is safe because the store has one writer: no
// other transaction can insert between the check and the insert. An Update
// that read the serial's subscriptions (a decision does, before it stores
// any) and has not written one of them since checks what it read instead:
// nobody else writes meanwhile, so that is what the query would find.
func (r subscriptions) Put(ctx context.Context, s domain.Subscription) error {
	if err := cmp.Or(r.Write(sqlrow.Required("id", s.ID), sqlrow.Required("serialNumber", s.Serial)), s.Period().Validate()); err != nil {
		return err
	}
	k := domain.SerialKey(s.Serial)
	if s.Live() {
		if tl, read := r.timelines[k]; read {
			if other, found := firstOverlap(tl, &s); found {
				return overlap(&s, &other)
			}
		} else {
			other, err := scanSubscription(r.QueryRow(ctx, qOverlap, k, string(s.ProductLine), s.ID,
				sqlrow.DateText(s.End), sqlrow.DateText(s.Start)))
			switch {
			case err == nil:
				return overlap(&s, &other)
			case !r.NoRows(err):
				return r.Fail(ctx, err, "check subscription %q for overlaps", s.ID)
			}
		}
	}
	// What the Update read of k, and of any serial s.ID belonged to, is
	// stale from the write on, whether or not it succeeds.
	for key, tl := range r.timelines {
		if key == k || slices.ContainsFunc(tl, func(o domain.Subscription) bool { return o.ID == s.ID }) {
			delete(r.timelines, key)
		}
	}
	_, err := r.exec(ctx, qPutSub, k, s.ID, s.Serial, s.PartNumber, string(s.ProductLine), sqlrow.DateText(s.Start),
		sqlrow.DateText(s.End), string(s.Kind), string(s.Ended), s.AutoRenew, s.OrderID, s.Line, s.Activated, instant(s.CreatedAt))
	return r.Fail(ctx, err, "store subscription %q", s.ID)
}

// overlap is the conflict of s with the live subscription other.
func overlap(s, other *domain.Subscription) error {
	return domain.Errorf(domain.CodeConflict, "serviceStartDate",
		"subscription %q (%s) of serial %q overlaps subscription %q (%s) of product line %s",
		s.ID, s.Period(), s.Serial, other.ID, other.Period(), s.ProductLine)
}

// firstOverlap is qOverlap over tl, a serial's subscriptions in the order
// qSubsBySerial reads them (start date, then id): the first other live
// subscription of s's product line whose period meets s's.
func firstOverlap(tl domain.Timeline, s *domain.Subscription) (domain.Subscription, bool) {
	for _, o := range tl {
		if o.ProductLine == s.ProductLine && o.Live() && o.ID != s.ID && !o.Start.After(s.End) && !o.End.Before(s.Start) {
			return o, true
		}
	}
	return domain.Subscription{}, false
}

// BySerial, in an Update, keeps what it read for Put's overlap check and
// answers a second read of the serial from it (see Put).
func (r subscriptions) BySerial(ctx context.Context, serial string) (domain.Timeline, error) {
	k := domain.SerialKey(serial)
	if tl, read := r.timelines[k]; read && r.Read() == nil {
		return slices.Clone(tl), nil
	}
	tl, err := sqlrow.All(ctx, r, "read a serial's subscriptions", scanSubscription, qSubsBySerial, k)
	if err != nil || !r.Writable {
		return tl, err
	}
	if r.timelines == nil {
		r.timelines = map[string]domain.Timeline{}
	}
	r.timelines[k] = slices.Clone(tl)
	return tl, nil
}

func (r subscriptions) ByOrder(ctx context.Context, orderID int64) ([]domain.Subscription, error) {
	return sqlrow.All(ctx, r, "read an order's subscriptions", scanSubscription, qSubsByOrder, orderID)
}

type trials struct{ *tx }

func (t *tx) Trials() ports.Trials { return trials{t} }

const (
	qRecordTrial = `INSERT INTO trials (serial_key, serial, product_line, order_id, part_number, granted_at)
	VALUES (?, ?, ?, ?, ?, ?)`
	qTrial = `SELECT part_number, order_id FROM trials WHERE serial_key = ? AND product_line = ?`
	// rowid is the order the grants were recorded in, as the memory store
	// lists them.
	qTrialsBySerial = `SELECT serial, product_line, order_id, part_number, granted_at FROM trials
	WHERE serial_key = ? ORDER BY rowid`
)

// Record folds g.SerialKey once more, so a caller that passed a serial as
// typed still hits the one-grant-per-serial rule, which is the primary key
// of the ledger: the insert that breaks it is the conflict. The grant keeps
// SerialKey as given.
func (r trials) Record(ctx context.Context, g domain.TrialGrant) error {
	if err := r.Write(sqlrow.Required("serialNumber", g.SerialKey)); err != nil {
		return err
	}
	k := domain.SerialKey(g.SerialKey)
	_, err := r.exec(ctx, qRecordTrial, k, g.SerialKey, string(g.ProductLine), g.OrderID, g.PartNumber, instant(g.GrantedAt))
	if !isUnique(err) {
		return r.Fail(ctx, err, "record the trial of %s for serial %q", g.ProductLine, g.SerialKey)
	}
	var first domain.TrialGrant
	if oerr := r.QueryRow(ctx, qTrial, k, string(g.ProductLine)).Scan(&first.PartNumber, &first.OrderID); oerr != nil {
		return r.Fail(ctx, oerr, "read the trial of %s for serial %q", g.ProductLine, g.SerialKey)
	}
	return conflict(err, "serialNumber", "%s", trialUsed(&g, &first))
}

// trialUsed says that g's serial already had first, its trial of g's
// product line.
func trialUsed(g, first *domain.TrialGrant) string {
	return fmt.Sprintf("serial %q already had its trial of %s (part %s, order %d)",
		g.SerialKey, g.ProductLine, first.PartNumber, first.OrderID)
}

func scanGrant(r sqlrow.Scanner) (domain.TrialGrant, error) {
	var (
		g  domain.TrialGrant
		at string
	)
	if err := r.Scan(&g.SerialKey, &g.ProductLine, &g.OrderID, &g.PartNumber, &at); err != nil {
		return g, err
	}
	var err error
	if g.GrantedAt, err = parseInstant(at, "granted_at"); err != nil {
		return g, fmt.Errorf("trial of %s for %q: %w", g.ProductLine, g.SerialKey, err)
	}
	return g, nil
}

func (r trials) BySerial(ctx context.Context, serial string) ([]domain.TrialGrant, error) {
	return sqlrow.All(ctx, r, "read a serial's trials", scanGrant, qTrialsBySerial, domain.SerialKey(serial))
}

type activations struct{ *tx }

func (t *tx) Activations() ports.Activations { return activations{t} }

const (
	activationColumns = `id, subscription_id, order_id, serial, part_number, method, request_type,
	activation_date, requested_at, passcode, email, state, attempts, next_attempt_at, last_error, delivered_at`
	qPutActivation = `INSERT INTO activations (serial_key, ` + activationColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO UPDATE SET serial_key = excluded.serial_key, subscription_id = excluded.subscription_id,
		order_id = excluded.order_id, serial = excluded.serial, part_number = excluded.part_number,
		method = excluded.method, request_type = excluded.request_type, activation_date = excluded.activation_date,
		requested_at = excluded.requested_at, passcode = excluded.passcode, email = excluded.email,
		state = excluded.state, attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at,
		last_error = excluded.last_error, delivered_at = excluded.delivered_at`
	// Oldest first; the id breaks ties, so equal instants still come back in
	// one order.
	qActivationsBySerial = `SELECT ` + activationColumns + ` FROM activations WHERE serial_key = ? ORDER BY requested_at, id`
)

func (r activations) Put(ctx context.Context, a domain.Activation) error {
	if err := cmp.Or(r.Write(sqlrow.Required("id", a.ID), sqlrow.Required("serialNumber", a.Serial)), a.Delivery.Validate()); err != nil {
		return err
	}
	d := &a.Delivery
	_, err := r.exec(ctx, qPutActivation, domain.SerialKey(a.Serial), a.ID, a.SubscriptionID, a.OrderID, a.Serial,
		a.PartNumber, string(a.Method), a.RequestType, sqlrow.DateText(a.Date), instant(a.RequestedAt), a.Passcode, a.Email,
		string(d.State), d.Attempts, nullInstant(d.NextAttempt), d.LastError, nullInstant(d.DeliveredAt))
	return r.Fail(ctx, err, "store activation %q", a.ID)
}

func scanActivation(r sqlrow.Scanner) (domain.Activation, error) {
	var (
		a               domain.Activation
		date, at, state string
		next, delivered sql.NullString
	)
	if err := r.Scan(&a.ID, &a.SubscriptionID, &a.OrderID, &a.Serial, &a.PartNumber, &a.Method, &a.RequestType,
		&date, &at, &a.Passcode, &a.Email, &state, &a.Delivery.Attempts, &next, &a.Delivery.LastError, &delivered); err != nil {
		return a, err
	}
	var err error
	a.Delivery.State = domain.DeliveryState(state)
	if a.Delivery.NextAttempt, err = parseNullInstant(next, "next_attempt_at"); err != nil {
		return a, fmt.Errorf("activation %q: %w", a.ID, err)
	}
	if a.Delivery.DeliveredAt, err = parseNullInstant(delivered, "delivered_at"); err != nil {
		return a, fmt.Errorf("activation %q: %w", a.ID, err)
	}
	if a.Date, err = sqlrow.ParseDateText(date, "activation_date"); err != nil {
		return a, fmt.Errorf("activation %q: %w", a.ID, err)
	}
	if a.RequestedAt, err = parseInstant(at, "requested_at"); err != nil {
		return a, fmt.Errorf("activation %q: %w", a.ID, err)
	}
	return a, nil
}

// BySerial orders by RequestedAt, then ID so that equal instants still come
// back in one order.
func (r activations) BySerial(ctx context.Context, serial string) ([]domain.Activation, error) {
	return sqlrow.All(ctx, r, "read a serial's activations", scanActivation, qActivationsBySerial, domain.SerialKey(serial))
}
