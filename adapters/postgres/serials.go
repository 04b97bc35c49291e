package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// Everything kept per device is found by serial_key, domain.SerialKey of
// the serial, in an index: "TestAPI01" finds what was stored as
// "TESTApi01", and a lookup costs the same however many rows there are. The
// key is computed in Go, not with SQL's upper(), which folds by the
// database's locale; the serial as entered is kept beside it.

type devices struct{ *tx }

func (t *tx) Devices() ports.Devices { return devices{t} }

const (
	// The upsert leaves serial alone: later orders and renewals use the
	// spelling stored first (seed 001), whatever case their request had.
	qPutDevice = `INSERT INTO devices (serial_key, serial, service_type, manufacturer, model, sso_emails)
	VALUES ($1, $2, $3, $4, $5, $6)
	ON CONFLICT (serial_key) DO UPDATE SET service_type = excluded.service_type,
		manufacturer = excluded.manufacturer, model = excluded.model, sso_emails = excluded.sso_emails`
	qDevice = `SELECT serial, service_type, manufacturer, model, sso_emails FROM devices WHERE serial_key = $1`
)

// Put is queued (see tx): the upsert writes its one row or fails, and a
// failure fails the statement or the commit it is sent with.
func (r devices) Put(ctx context.Context, d domain.Device) error {
	if err := r.Write(sqlrow.Required("serialNumber", d.Serial)); err != nil {
		return err
	}
	k := domain.SerialKey(d.Serial)
	r.queue("store device "+strconv.Quote(d.Serial), qPutDevice, k, d.Serial, string(d.ServiceType), d.Manufacturer, d.Model,
		texts(d.SSOEmails))
	r.stale(k, partDevice)
	return nil
}

func scanDevice(r sqlrow.Scanner) (domain.Device, error) {
	var d domain.Device
	err := r.Scan(&d.Serial, &d.ServiceType, &d.Manufacturer, &d.Model, &d.SSOEmails)
	return d, err
}

func (r devices) BySerial(ctx context.Context, serial string) (domain.Device, error) {
	c, err := r.cached(ctx, domain.SerialKey(serial), partDevice)
	switch {
	case err != nil:
		return domain.Device{}, err
	case c != nil && c.device == nil:
		return domain.Device{}, noDevice(serial)
	case c != nil:
		return cloneDevice(*c.device), nil
	}
	return sqlrow.One(ctx, r, "read a device", scanDevice, func() error { return noDevice(serial) }, qDevice, domain.SerialKey(serial))
}

func noDevice(serial string) error {
	return domain.Errorf(domain.CodeNotFound, "serialNumber", "no device with serial number %q", serial)
}

type subscriptions struct{ *tx }

func (t *tx) Subscriptions() ports.Subscriptions { return subscriptions{t} }

const (
	subscriptionColumns = `id, serial, part_number, product_line, start_date, end_date, kind, ended, auto_renew,
	order_id, line, activated, created_at`
	qPutSub = `INSERT INTO subscriptions (serial_key, ` + subscriptionColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
	ON CONFLICT (id) DO UPDATE SET serial_key = excluded.serial_key, serial = excluded.serial,
		part_number = excluded.part_number, product_line = excluded.product_line, start_date = excluded.start_date,
		end_date = excluded.end_date, kind = excluded.kind, ended = excluded.ended, auto_renew = excluded.auto_renew,
		order_id = excluded.order_id, line = excluded.line, activated = excluded.activated, created_at = excluded.created_at`
	qSubsBySerial = `SELECT ` + subscriptionColumns + ` FROM subscriptions WHERE serial_key = $1 ORDER BY start_date, id`
	qSubsByOrder  = `SELECT ` + subscriptionColumns + ` FROM subscriptions WHERE order_id = $1 ORDER BY line, id`
)

func scanSubscription(r sqlrow.Scanner) (domain.Subscription, error) {
	var (
		s          domain.Subscription
		start, end pgtype.Date
	)
	err := r.Scan(&s.ID, &s.Serial, &s.PartNumber, &s.ProductLine, &start, &end, &s.Kind, &s.Ended,
		&s.AutoRenew, &s.OrderID, &s.Line, &s.Activated, &s.CreatedAt)
	s.Start, s.End, s.CreatedAt = dateOf(start), dateOf(end), utc(s.CreatedAt)
	return s, err
}

// Put looks for an overlapping live subscription first, as the memory store
// does, so the usual conflict names both subscriptions and leaves the
// transaction usable; the exclusion constraint subscriptions_no_overlap
// refuses the overlap a writer that took no lock, or anyone writing SQL,
// would otherwise slip in. The check reads the serial's timeline as the
// transaction holds it (serialRows) when it can; the upsert is queued (see
// tx).
func (r subscriptions) Put(ctx context.Context, s domain.Subscription) error {
	if err := cmp.Or(r.Write(sqlrow.Required("id", s.ID), sqlrow.Required("serialNumber", s.Serial)), s.Period().Validate()); err != nil {
		return err
	}
	k := domain.SerialKey(s.Serial)
	if s.Live() {
		tl, err := r.timeline(ctx, k)
		if err != nil {
			return err
		}
		for _, o := range tl {
			if o.ID != s.ID && o.ProductLine == s.ProductLine && o.Live() && o.Period().Overlaps(s.Period()) {
				return overlap(&s, &o)
			}
		}
	}
	r.queue("store subscription "+strconv.Quote(s.ID), qPutSub, k, s.ID, s.Serial, s.PartNumber, string(s.ProductLine),
		dateArg(s.Start), dateArg(s.End), string(s.Kind), string(s.Ended), s.AutoRenew, s.OrderID, s.Line, s.Activated, s.CreatedAt)
	// The upsert may move s from the timeline of another serial.
	for key, c := range r.serials {
		if key == k || slices.ContainsFunc(c.timeline, func(o domain.Subscription) bool { return o.ID == s.ID }) {
			r.stale(key, partTimeline)
		}
	}
	return nil
}

// timeline is the timeline of serial key k, as the transaction holds it or
// from the database.
func (r subscriptions) timeline(ctx context.Context, k string) (domain.Timeline, error) {
	c, err := r.cached(ctx, k, partTimeline)
	if err != nil {
		return nil, err
	}
	if c != nil {
		return slices.Clone(c.timeline), nil
	}
	return sqlrow.All(ctx, r, "read a serial's subscriptions", scanSubscription, qSubsBySerial, k)
}

// overlap is the conflict of s with the live subscription other.
func overlap(s, other *domain.Subscription) error {
	return domain.Errorf(domain.CodeConflict, "serviceStartDate",
		"subscription %q (%s) of serial %q overlaps subscription %q (%s) of product line %s",
		s.ID, s.Period(), s.Serial, other.ID, other.Period(), s.ProductLine)
}

func (r subscriptions) BySerial(ctx context.Context, serial string) (domain.Timeline, error) {
	return r.timeline(ctx, domain.SerialKey(serial))
}

func (r subscriptions) ByOrder(ctx context.Context, orderID int64) ([]domain.Subscription, error) {
	return sqlrow.All(ctx, r, "read an order's subscriptions", scanSubscription, qSubsByOrder, orderID)
}

type trials struct{ *tx }

func (t *tx) Trials() ports.Trials { return trials{t} }

const (
	// A second grant is refused by the primary key, with ON CONFLICT DO
	// NOTHING so the refusal leaves the transaction usable.
	qRecordTrial = `INSERT INTO trial_grants (serial_key, product_line, given_key, order_id, part_number, granted_at)
	VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (serial_key, product_line) DO NOTHING`
	// The grant Record queues once it knows the serial has none: a racing
	// grant, from a writer that took no lock, fails it on the primary key.
	qInsertTrial = `INSERT INTO trial_grants (serial_key, product_line, given_key, order_id, part_number, granted_at)
	VALUES ($1, $2, $3, $4, $5, $6)`
	qTrial = `SELECT part_number, order_id FROM trial_grants WHERE serial_key = $1 AND product_line = $2`
	// seq is the order the grants were recorded in, as the memory store
	// lists them.
	qTrialsBySerial = `SELECT given_key, product_line, order_id, part_number, granted_at FROM trial_grants
	WHERE serial_key = $1 ORDER BY seq`
)

// Record folds g.SerialKey once more, so a caller that passed a serial as
// typed still hits the one-grant-per-serial rule, which is the primary key
// of the ledger; the grant keeps SerialKey as given. When the transaction
// holds the serial's trials (serialRows), a second grant is refused from
// them and the first is queued (see tx); otherwise the insert is sent, and
// a grant that changes no row is refused with the first grant's details.
func (r trials) Record(ctx context.Context, g domain.TrialGrant) error {
	if err := r.Write(sqlrow.Required("serialNumber", g.SerialKey)); err != nil {
		return err
	}
	k := domain.SerialKey(g.SerialKey)
	c, err := r.cached(ctx, k, partTrials)
	if err != nil {
		return err
	}
	if c != nil {
		for _, first := range c.trials {
			if first.ProductLine == g.ProductLine {
				return domain.Errorf(domain.CodeConflict, "serialNumber", "%s", trialUsed(&g, &first))
			}
		}
		r.queue(fmt.Sprintf("record the trial of %s for serial %q", g.ProductLine, g.SerialKey), qInsertTrial,
			k, string(g.ProductLine), g.SerialKey, g.OrderID, g.PartNumber, g.GrantedAt)
		r.stale(k, partTrials)
		return nil
	}
	n, err := r.exec(ctx, qRecordTrial, k, string(g.ProductLine), g.SerialKey, g.OrderID, g.PartNumber, g.GrantedAt)
	if err != nil || n == 1 {
		return r.Fail(ctx, err, "record the trial of %s for serial %q", g.ProductLine, g.SerialKey)
	}
	var first domain.TrialGrant
	if err := r.QueryRow(ctx, qTrial, k, string(g.ProductLine)).Scan(&first.PartNumber, &first.OrderID); err != nil {
		return r.Fail(ctx, err, "read the trial of %s for serial %q", g.ProductLine, g.SerialKey)
	}
	return domain.Errorf(domain.CodeConflict, "serialNumber", "%s", trialUsed(&g, &first))
}

// trialUsed says that g's serial already had first, its trial of g's
// product line.
func trialUsed(g, first *domain.TrialGrant) string {
	return fmt.Sprintf("serial %q already had its trial of %s (part %s, order %d)",
		g.SerialKey, g.ProductLine, first.PartNumber, first.OrderID)
}

func scanGrant(r sqlrow.Scanner) (domain.TrialGrant, error) {
	var g domain.TrialGrant
	err := r.Scan(&g.SerialKey, &g.ProductLine, &g.OrderID, &g.PartNumber, &g.GrantedAt)
	g.GrantedAt = utc(g.GrantedAt)
	return g, err
}

func (r trials) BySerial(ctx context.Context, serial string) ([]domain.TrialGrant, error) {
	c, err := r.cached(ctx, domain.SerialKey(serial), partTrials)
	switch {
	case err != nil:
		return nil, err
	case c != nil:
		return slices.Clone(c.trials), nil
	}
	return sqlrow.All(ctx, r, "read a serial's trials", scanGrant, qTrialsBySerial, domain.SerialKey(serial))
}

type activations struct{ *tx }

func (t *tx) Activations() ports.Activations { return activations{t} }

const (
	activationColumns = `id, subscription_id, order_id, serial, part_number, method, request_type,
	activation_date, requested_at, passcode, email, state, attempts, next_attempt_at, last_error, delivered_at`
	qPutActivation = `INSERT INTO activations (serial_key, ` + activationColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
	ON CONFLICT (id) DO UPDATE SET serial_key = excluded.serial_key, subscription_id = excluded.subscription_id,
		order_id = excluded.order_id, serial = excluded.serial, part_number = excluded.part_number, method = excluded.method,
		request_type = excluded.request_type, activation_date = excluded.activation_date,
		requested_at = excluded.requested_at, passcode = excluded.passcode, email = excluded.email,
		state = excluded.state, attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at,
		last_error = excluded.last_error, delivered_at = excluded.delivered_at`
	// Oldest first; the id breaks ties, so equal instants still come back in
	// one order.
	qActivationsBySerial = `SELECT ` + activationColumns + ` FROM activations
	WHERE serial_key = $1 ORDER BY requested_at, id`
)

// Put is queued (see tx): the upsert writes its one row or fails.
func (r activations) Put(ctx context.Context, a domain.Activation) error {
	if err := cmp.Or(r.Write(sqlrow.Required("id", a.ID), sqlrow.Required("serialNumber", a.Serial)), a.Delivery.Validate()); err != nil {
		return err
	}
	d := &a.Delivery
	r.queue("store activation "+strconv.Quote(a.ID), qPutActivation, domain.SerialKey(a.Serial), a.ID, a.SubscriptionID,
		a.OrderID, a.Serial, a.PartNumber, string(a.Method), a.RequestType, dateArg(a.Date), a.RequestedAt, a.Passcode, a.Email,
		string(d.State), d.Attempts, instantArg(d.NextAttempt), d.LastError, instantArg(d.DeliveredAt))
	return nil
}

func scanActivation(r sqlrow.Scanner) (domain.Activation, error) {
	var (
		a               domain.Activation
		date            pgtype.Date
		next, delivered pgtype.Timestamptz
	)
	err := r.Scan(&a.ID, &a.SubscriptionID, &a.OrderID, &a.Serial, &a.PartNumber, &a.Method, &a.RequestType,
		&date, &a.RequestedAt, &a.Passcode, &a.Email, &a.Delivery.State, &a.Delivery.Attempts, &next, &a.Delivery.LastError, &delivered)
	a.Date, a.RequestedAt = dateOf(date), utc(a.RequestedAt)
	a.Delivery.NextAttempt, a.Delivery.DeliveredAt = instantOf(next), instantOf(delivered)
	return a, err
}

// BySerial orders by RequestedAt, then ID so that equal instants still come
// back in one order. Instants are kept to the microsecond, so two requests
// less than a microsecond apart order by ID.
func (r activations) BySerial(ctx context.Context, serial string) ([]domain.Activation, error) {
	return sqlrow.All(ctx, r, "read a serial's activations", scanActivation, qActivationsBySerial, domain.SerialKey(serial))
}
