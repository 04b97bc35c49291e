package postgres

import (
	"cmp"
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/entitle-rules/entitle/domain"
)

// Everything kept per device carries serial_key (domain.SerialKey of the
// serial) beside the serial as entered, and is looked up by it through an
// index, so "TestAPI01" finds what was stored as "TESTApi01" and a lookup
// costs the same however many devices there are.

type devices struct{ *tx }

// Put keeps the spelling of the serial stored first: later orders and
// renewals use it (seed 001), whatever case their request had.
func (r devices) Put(ctx context.Context, d domain.Device) error {
	if err := r.write(); err != nil {
		return err
	}
	if err := required("serialNumber", d.Serial); err != nil {
		return err
	}
	_, err := r.exec(ctx, "Devices.Put", `INSERT INTO devices (serial_key, serial, service_type, manufacturer, model, sso_emails)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (serial_key) DO UPDATE SET service_type = excluded.service_type, manufacturer = excluded.manufacturer,
			model = excluded.model, sso_emails = excluded.sso_emails`,
		domain.SerialKey(d.Serial), d.Serial, string(d.ServiceType), d.Manufacturer, d.Model, texts(d.SSOEmails))
	return err
}

func (r devices) BySerial(ctx context.Context, serial string) (domain.Device, error) {
	if err := r.read(); err != nil {
		return domain.Device{}, err
	}
	var (
		d  domain.Device
		st string
	)
	found, err := r.one(ctx, "Devices.BySerial", `SELECT serial, service_type, manufacturer, model, sso_emails FROM devices WHERE serial_key = $1`,
		[]any{domain.SerialKey(serial)}, &d.Serial, &st, &d.Manufacturer, &d.Model, &d.SSOEmails)
	if err == nil && !found {
		err = domain.Errorf(domain.CodeNotFound, "serialNumber", "no device with serial number %q", serial)
	}
	d.ServiceType = domain.ServiceType(st)
	return d, err
}

type subscriptions struct{ *tx }

const subscriptionColumns = `id, serial, part_number, product_line, start_date, end_date, kind, ended,
	auto_renew, order_id, line, activated, created_at`

func scanSubscription(row pgx.Row) (domain.Subscription, error) {
	var (
		s               domain.Subscription
		pl, kind, ended string
		start, end      pgtype.Date
	)
	err := row.Scan(&s.ID, &s.Serial, &s.PartNumber, &pl, &start, &end, &kind, &ended,
		&s.AutoRenew, &s.OrderID, &s.Line, &s.Activated, &s.CreatedAt)
	s.ProductLine, s.Kind, s.Ended = domain.ProductLine(pl), domain.SubscriptionKind(kind), domain.SubscriptionStatus(ended)
	s.Start, s.End, s.CreatedAt = dateOf(start), dateOf(end), utc(s.CreatedAt)
	return s, err
}

// Put looks for an overlapping live subscription first, as the memory store
// does, so the usual conflict names both subscriptions and leaves the
// transaction usable; the exclusion constraint subscriptions_no_overlap
// refuses the overlap a racing transaction, or anyone writing SQL, would
// otherwise slip in.
func (r subscriptions) Put(ctx context.Context, s domain.Subscription) error {
	if err := r.write(); err != nil {
		return err
	}
	if err := cmp.Or(required("id", s.ID), required("serialNumber", s.Serial)); err != nil {
		return err
	}
	if err := s.Period().Validate(); err != nil {
		return err
	}
	k := domain.SerialKey(s.Serial)
	if s.Live() {
		// The serial's whole timeline, filtered here: through the index
		// BySerial reads, so the check takes no SERIALIZABLE predicate lock
		// beyond the pages the engine's read already locked (a query on the
		// dates could pick the GiST index and lock its pages as well).
		var other *domain.Subscription
		err := r.all(ctx, "Subscriptions.Put", `SELECT `+subscriptionColumns+` FROM subscriptions
			WHERE serial_key = $1 ORDER BY start_date, id`, []any{k}, func(rows pgx.Rows) error {
			o, err := scanSubscription(rows)
			if err == nil && other == nil && o.ID != s.ID && o.ProductLine == s.ProductLine && o.Live() && o.Period().Overlaps(s.Period()) {
				other = &o
			}
			return err
		})
		if err != nil {
			return err
		}
		if other != nil {
			return domain.Errorf(domain.CodeConflict, "serviceStartDate",
				"subscription %q (%s) of serial %q overlaps subscription %q (%s) of product line %s",
				s.ID, s.Period(), s.Serial, other.ID, other.Period(), s.ProductLine)
		}
	}
	_, err := r.exec(ctx, "Subscriptions.Put", `INSERT INTO subscriptions (serial_key, `+subscriptionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (id) DO UPDATE SET serial_key = excluded.serial_key, serial = excluded.serial,
			part_number = excluded.part_number, product_line = excluded.product_line, start_date = excluded.start_date,
			end_date = excluded.end_date, kind = excluded.kind, ended = excluded.ended, auto_renew = excluded.auto_renew,
			order_id = excluded.order_id, line = excluded.line, activated = excluded.activated, created_at = excluded.created_at`,
		k, s.ID, s.Serial, s.PartNumber, string(s.ProductLine), dateArg(s.Start), dateArg(s.End), string(s.Kind), string(s.Ended),
		s.AutoRenew, s.OrderID, s.Line, s.Activated, s.CreatedAt)
	return err
}

func (r subscriptions) BySerial(ctx context.Context, serial string) (domain.Timeline, error) {
	if err := r.read(); err != nil {
		return nil, err
	}
	return r.list(ctx, "Subscriptions.BySerial", `SELECT `+subscriptionColumns+` FROM subscriptions
		WHERE serial_key = $1 ORDER BY start_date, id`, domain.SerialKey(serial))
}

func (r subscriptions) ByOrder(ctx context.Context, orderID int64) ([]domain.Subscription, error) {
	if err := r.read(); err != nil {
		return nil, err
	}
	return r.list(ctx, "Subscriptions.ByOrder", `SELECT `+subscriptionColumns+` FROM subscriptions
		WHERE order_id = $1 ORDER BY line, id`, orderID)
}

func (r subscriptions) list(ctx context.Context, what, sql string, arg any) ([]domain.Subscription, error) {
	out := []domain.Subscription{}
	err := r.all(ctx, what, sql, []any{arg}, func(rows pgx.Rows) error {
		s, err := scanSubscription(rows)
		out = append(out, s)
		return err
	})
	return out, err
}

type trials struct{ *tx }

// Record folds g.SerialKey once more, so a caller that passed a serial as
// typed still hits the one-grant-per-serial rule; the grant comes back with
// the key as it was passed, as from the memory store. A second grant is
// refused by the primary key, with ON CONFLICT DO NOTHING so the refusal
// leaves the transaction usable; under SERIALIZABLE a racing grant this
// transaction cannot see yet fails serialization instead, and the retry sees
// it.
func (r trials) Record(ctx context.Context, g domain.TrialGrant) error {
	if err := r.write(); err != nil {
		return err
	}
	if err := required("serialNumber", g.SerialKey); err != nil {
		return err
	}
	k := domain.SerialKey(g.SerialKey)
	tag, err := r.exec(ctx, "Trials.Record", `INSERT INTO trial_grants (serial_key, product_line, given_key, order_id, part_number, granted_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (serial_key, product_line) DO NOTHING`,
		k, string(g.ProductLine), g.SerialKey, g.OrderID, g.PartNumber, g.GrantedAt)
	if err != nil || tag.RowsAffected() == 1 {
		return err
	}
	var (
		part    string
		orderID int64
	)
	if _, err := r.one(ctx, "Trials.Record", `SELECT part_number, order_id FROM trial_grants WHERE serial_key = $1 AND product_line = $2`,
		[]any{k, string(g.ProductLine)}, &part, &orderID); err != nil {
		return err
	}
	return domain.Errorf(domain.CodeConflict, "serialNumber",
		"serial %q already had its trial of %s (part %s, order %d)", g.SerialKey, g.ProductLine, part, orderID)
}

// BySerial returns the grants in the order they were recorded.
func (r trials) BySerial(ctx context.Context, serial string) ([]domain.TrialGrant, error) {
	if err := r.read(); err != nil {
		return nil, err
	}
	out := []domain.TrialGrant{}
	err := r.all(ctx, "Trials.BySerial", `SELECT given_key, product_line, order_id, part_number, granted_at FROM trial_grants
		WHERE serial_key = $1 ORDER BY seq`, []any{domain.SerialKey(serial)}, func(rows pgx.Rows) error {
		var (
			g  domain.TrialGrant
			pl string
		)
		err := rows.Scan(&g.SerialKey, &pl, &g.OrderID, &g.PartNumber, &g.GrantedAt)
		g.ProductLine, g.GrantedAt = domain.ProductLine(pl), utc(g.GrantedAt)
		out = append(out, g)
		return err
	})
	return out, err
}

type activations struct{ *tx }

const activationColumns = `id, subscription_id, order_id, serial, part_number, method, request_type,
	activation_date, requested_at, passcode, email`

func (r activations) Put(ctx context.Context, a domain.Activation) error {
	if err := r.write(); err != nil {
		return err
	}
	if err := cmp.Or(required("id", a.ID), required("serialNumber", a.Serial)); err != nil {
		return err
	}
	_, err := r.exec(ctx, "Activations.Put", `INSERT INTO activations (serial_key, `+activationColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (id) DO UPDATE SET serial_key = excluded.serial_key, subscription_id = excluded.subscription_id,
			order_id = excluded.order_id, serial = excluded.serial, part_number = excluded.part_number, method = excluded.method,
			request_type = excluded.request_type, activation_date = excluded.activation_date,
			requested_at = excluded.requested_at, passcode = excluded.passcode, email = excluded.email`,
		domain.SerialKey(a.Serial), a.ID, a.SubscriptionID, a.OrderID, a.Serial, a.PartNumber, string(a.Method), a.RequestType,
		dateArg(a.Date), a.RequestedAt, a.Passcode, a.Email)
	return err
}

// BySerial orders by RequestedAt, then ID so that equal instants still come
// back in one order. Instants are kept to the microsecond, so two requests
// less than a microsecond apart order by ID.
func (r activations) BySerial(ctx context.Context, serial string) ([]domain.Activation, error) {
	if err := r.read(); err != nil {
		return nil, err
	}
	out := []domain.Activation{}
	err := r.all(ctx, "Activations.BySerial", `SELECT `+activationColumns+` FROM activations
		WHERE serial_key = $1 ORDER BY requested_at, id`, []any{domain.SerialKey(serial)}, func(rows pgx.Rows) error {
		var (
			a      domain.Activation
			method string
			date   pgtype.Date
		)
		err := rows.Scan(&a.ID, &a.SubscriptionID, &a.OrderID, &a.Serial, &a.PartNumber, &method, &a.RequestType,
			&date, &a.RequestedAt, &a.Passcode, &a.Email)
		a.Method, a.Date, a.RequestedAt = domain.ActivationMethod(method), dateOf(date), utc(a.RequestedAt)
		out = append(out, a)
		return err
	})
	return out, err
}
