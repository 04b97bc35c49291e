package postgres

import (
	"cmp"
	"context"
	"fmt"

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

func (r devices) Put(ctx context.Context, d domain.Device) error {
	if err := r.Write(sqlrow.Required("serialNumber", d.Serial)); err != nil {
		return err
	}
	_, err := r.exec(ctx, qPutDevice, domain.SerialKey(d.Serial), d.Serial, string(d.ServiceType), d.Manufacturer, d.Model,
		texts(d.SSOEmails))
	return r.Fail(ctx, err, "store device %q", d.Serial)
}

func scanDevice(r sqlrow.Scanner) (domain.Device, error) {
	var d domain.Device
	err := r.Scan(&d.Serial, &d.ServiceType, &d.Manufacturer, &d.Model, &d.SSOEmails)
	return d, err
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
// refuses the overlap a racing transaction, or anyone writing SQL, would
// otherwise slip in.
func (r subscriptions) Put(ctx context.Context, s domain.Subscription) error {
	if err := cmp.Or(r.Write(sqlrow.Required("id", s.ID), sqlrow.Required("serialNumber", s.Serial)), s.Period().Validate()); err != nil {
		return err
	}
	k := domain.SerialKey(s.Serial)
	if s.Live() {
		// The serial's whole timeline, filtered here: through the index
		// BySerial reads, so the check takes no SERIALIZABLE predicate lock
		// beyond the pages the engine's read already locked (a query on the
		// dates could pick the GiST index and lock its pages as well).
		tl, err := sqlrow.All(ctx, r, "check a subscription for overlaps", scanSubscription, qSubsBySerial, k)
		if err != nil {
			return err
		}
		for _, o := range tl {
			if o.ID != s.ID && o.ProductLine == s.ProductLine && o.Live() && o.Period().Overlaps(s.Period()) {
				return overlap(&s, &o)
			}
		}
	}
	_, err := r.exec(ctx, qPutSub, k, s.ID, s.Serial, s.PartNumber, string(s.ProductLine), dateArg(s.Start), dateArg(s.End),
		string(s.Kind), string(s.Ended), s.AutoRenew, s.OrderID, s.Line, s.Activated, s.CreatedAt)
	return r.Fail(ctx, err, "store subscription %q", s.ID)
}

// overlap is the conflict of s with the live subscription other.
func overlap(s, other *domain.Subscription) error {
	return domain.Errorf(domain.CodeConflict, "serviceStartDate",
		"subscription %q (%s) of serial %q overlaps subscription %q (%s) of product line %s",
		s.ID, s.Period(), s.Serial, other.ID, other.Period(), s.ProductLine)
}

func (r subscriptions) BySerial(ctx context.Context, serial string) (domain.Timeline, error) {
	return sqlrow.All(ctx, r, "read a serial's subscriptions", scanSubscription, qSubsBySerial, domain.SerialKey(serial))
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
	qTrial = `SELECT part_number, order_id FROM trial_grants WHERE serial_key = $1 AND product_line = $2`
	// seq is the order the grants were recorded in, as the memory store
	// lists them.
	qTrialsBySerial = `SELECT given_key, product_line, order_id, part_number, granted_at FROM trial_grants
	WHERE serial_key = $1 ORDER BY seq`
)

// Record folds g.SerialKey once more, so a caller that passed a serial as
// typed still hits the one-grant-per-serial rule, which is the primary key
// of the ledger; the grant keeps SerialKey as given. Under SERIALIZABLE a
// racing grant this transaction cannot see yet fails serialization instead,
// and the retry sees it.
func (r trials) Record(ctx context.Context, g domain.TrialGrant) error {
	if err := r.Write(sqlrow.Required("serialNumber", g.SerialKey)); err != nil {
		return err
	}
	k := domain.SerialKey(g.SerialKey)
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
	return sqlrow.All(ctx, r, "read a serial's trials", scanGrant, qTrialsBySerial, domain.SerialKey(serial))
}

type activations struct{ *tx }

func (t *tx) Activations() ports.Activations { return activations{t} }

const (
	activationColumns = `id, subscription_id, order_id, serial, part_number, method, request_type,
	activation_date, requested_at, passcode, email`
	qPutActivation = `INSERT INTO activations (serial_key, ` + activationColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
	ON CONFLICT (id) DO UPDATE SET serial_key = excluded.serial_key, subscription_id = excluded.subscription_id,
		order_id = excluded.order_id, serial = excluded.serial, part_number = excluded.part_number, method = excluded.method,
		request_type = excluded.request_type, activation_date = excluded.activation_date,
		requested_at = excluded.requested_at, passcode = excluded.passcode, email = excluded.email`
	// Oldest first; the id breaks ties, so equal instants still come back in
	// one order.
	qActivationsBySerial = `SELECT ` + activationColumns + ` FROM activations
	WHERE serial_key = $1 ORDER BY requested_at, id`
)

func (r activations) Put(ctx context.Context, a domain.Activation) error {
	if err := r.Write(sqlrow.Required("id", a.ID), sqlrow.Required("serialNumber", a.Serial)); err != nil {
		return err
	}
	_, err := r.exec(ctx, qPutActivation, domain.SerialKey(a.Serial), a.ID, a.SubscriptionID, a.OrderID, a.Serial,
		a.PartNumber, string(a.Method), a.RequestType, dateArg(a.Date), a.RequestedAt, a.Passcode, a.Email)
	return r.Fail(ctx, err, "store activation %q", a.ID)
}

func scanActivation(r sqlrow.Scanner) (domain.Activation, error) {
	var (
		a    domain.Activation
		date pgtype.Date
	)
	err := r.Scan(&a.ID, &a.SubscriptionID, &a.OrderID, &a.Serial, &a.PartNumber, &a.Method, &a.RequestType,
		&date, &a.RequestedAt, &a.Passcode, &a.Email)
	a.Date, a.RequestedAt = dateOf(date), utc(a.RequestedAt)
	return a, err
}

// BySerial orders by RequestedAt, then ID so that equal instants still come
// back in one order. Instants are kept to the microsecond, so two requests
// less than a microsecond apart order by ID.
func (r activations) BySerial(ctx context.Context, serial string) ([]domain.Activation, error) {
	return sqlrow.All(ctx, r, "read a serial's activations", scanActivation, qActivationsBySerial, domain.SerialKey(serial))
}
