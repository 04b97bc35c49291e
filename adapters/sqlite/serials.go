package sqlite

import (
	"cmp"
	"context"
	"fmt"

	"github.com/entitle-rules/entitle/domain"
)

// Everything kept per device is found by serial_key, domain.SerialKey of
// the serial, in an index: "TestAPI01" finds what was stored as
// "TESTApi01", and a lookup costs the same however many rows there are. The
// key is computed in Go, not with SQL's upper(), which folds ASCII only.

type devices struct{ *tx }

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
	if err := r.write(); err != nil {
		return err
	}
	if err := required("serialNumber", d.Serial); err != nil {
		return err
	}
	emails, err := jsonText(d.SSOEmails)
	if err != nil {
		return domain.Wrap(err, domain.CodeInternal, "sqlite: encode the SSO e-mails of device %q", d.Serial)
	}
	_, err = r.exec(ctx, qPutDevice, domain.SerialKey(d.Serial), d.Serial, string(d.ServiceType), d.Manufacturer, d.Model, emails)
	return r.fail(ctx, err, "sqlite: store device %q", d.Serial)
}

func (r devices) BySerial(ctx context.Context, serial string) (domain.Device, error) {
	return one(ctx, r.tx, "read a device", func(s scanner) (domain.Device, error) {
		var d domain.Device
		var serviceType, emails string
		if err := s.Scan(&d.Serial, &serviceType, &d.Manufacturer, &d.Model, &emails); err != nil {
			return d, err
		}
		d.ServiceType = domain.ServiceType(serviceType)
		if err := parseJSON(emails, &d.SSOEmails); err != nil {
			return d, fmt.Errorf("device %q: sso_emails: %w", d.Serial, err)
		}
		return d, nil
	}, func() error {
		return domain.Errorf(domain.CodeNotFound, "serialNumber", "no device with serial number %q", serial)
	}, qDevice, domain.SerialKey(serial))
}

type subscriptions struct{ *tx }

const (
	subCols = `id, serial, part_number, product_line, start_date, end_date, kind, ended, auto_renew,
	order_id, line, activated, created_at`
	qPutSub = `INSERT INTO subscriptions (serial_key, ` + subCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO UPDATE SET serial_key = excluded.serial_key, serial = excluded.serial,
		part_number = excluded.part_number, product_line = excluded.product_line, start_date = excluded.start_date,
		end_date = excluded.end_date, kind = excluded.kind, ended = excluded.ended, auto_renew = excluded.auto_renew,
		order_id = excluded.order_id, line = excluded.line, activated = excluded.activated, created_at = excluded.created_at`
	// Two periods overlap when each starts no later than the other ends;
	// dates compare as text. The serial's index finds the few candidates.
	qOverlap = `SELECT id, start_date, end_date FROM subscriptions
	WHERE serial_key = ? AND product_line = ? AND ended = '' AND id <> ? AND start_date <= ? AND end_date >= ?
	ORDER BY start_date, id LIMIT 1`
	qSubsBySerial = `SELECT ` + subCols + ` FROM subscriptions WHERE serial_key = ? ORDER BY start_date, id`
	qSubsByOrder  = `SELECT ` + subCols + ` FROM subscriptions WHERE order_id = ? ORDER BY line, id`
)

func scanSub(r scanner) (domain.Subscription, error) {
	var (
		s                                 domain.Subscription
		line, start, end, kind, ended, at string
	)
	if err := r.Scan(&s.ID, &s.Serial, &s.PartNumber, &line, &start, &end, &kind, &ended, &s.AutoRenew,
		&s.OrderID, &s.Line, &s.Activated, &at); err != nil {
		return s, err
	}
	s.ProductLine, s.Kind, s.Ended = domain.ProductLine(line), domain.SubscriptionKind(kind), domain.SubscriptionStatus(ended)
	var err1, err2, err3 error
	s.Start, err1 = parseDateText(start)
	s.End, err2 = parseDateText(end)
	s.CreatedAt, err3 = parseInstant(at)
	if err := cmp.Or(err1, err2, err3); err != nil {
		return s, fmt.Errorf("subscription %q: %w", s.ID, err)
	}
	return s, nil
}

// Put checks, for a live subscription, that no other live one of the same
// serial and product line overlaps it. SQLite has no exclusion constraint
// (PostgreSQL's EXCLUDE USING gist), so the check is a query inside the
// write transaction; that is safe because the store has one writer: no
// other transaction can insert between the check and the insert.
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
		var id, start, end string
		err := r.row(ctx, qOverlap, k, string(s.ProductLine), s.ID, dateText(s.End), dateText(s.Start)).Scan(&id, &start, &end)
		switch {
		case err == nil:
			return domain.Errorf(domain.CodeConflict, "serviceStartDate",
				"subscription %q (%s) of serial %q overlaps subscription %q (%s..%s) of product line %s",
				s.ID, s.Period(), s.Serial, id, start, end, s.ProductLine)
		case !isNoRows(err):
			return r.fail(ctx, err, "sqlite: check subscription %q for overlaps", s.ID)
		}
	}
	_, err := r.exec(ctx, qPutSub, k, s.ID, s.Serial, s.PartNumber, string(s.ProductLine), dateText(s.Start), dateText(s.End),
		string(s.Kind), string(s.Ended), s.AutoRenew, s.OrderID, s.Line, s.Activated, instant(s.CreatedAt))
	return r.fail(ctx, err, "sqlite: store subscription %q", s.ID)
}

func (r subscriptions) BySerial(ctx context.Context, serial string) (domain.Timeline, error) {
	return list(ctx, r.tx, "read a serial's subscriptions", scanSub, qSubsBySerial, domain.SerialKey(serial))
}

func (r subscriptions) ByOrder(ctx context.Context, orderID int64) ([]domain.Subscription, error) {
	return list(ctx, r.tx, "read an order's subscriptions", scanSub, qSubsByOrder, orderID)
}

type trials struct{ *tx }

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
	if err := r.write(); err != nil {
		return err
	}
	if err := required("serialNumber", g.SerialKey); err != nil {
		return err
	}
	k := domain.SerialKey(g.SerialKey)
	_, err := r.exec(ctx, qRecordTrial, k, g.SerialKey, string(g.ProductLine), g.OrderID, g.PartNumber, instant(g.GrantedAt))
	if !isUnique(err) {
		return r.fail(ctx, err, "sqlite: record the trial of %s for serial %q", g.ProductLine, g.SerialKey)
	}
	var part string
	var order int64
	if oerr := r.row(ctx, qTrial, k, string(g.ProductLine)).Scan(&part, &order); oerr != nil {
		return r.fail(ctx, oerr, "sqlite: read the trial of %s for serial %q", g.ProductLine, g.SerialKey)
	}
	return conflict(err, "serialNumber", "serial %q already had its trial of %s (part %s, order %d)",
		g.SerialKey, g.ProductLine, part, order)
}

func (r trials) BySerial(ctx context.Context, serial string) ([]domain.TrialGrant, error) {
	return list(ctx, r.tx, "read a serial's trials", func(s scanner) (domain.TrialGrant, error) {
		var g domain.TrialGrant
		var line, at string
		if err := s.Scan(&g.SerialKey, &line, &g.OrderID, &g.PartNumber, &at); err != nil {
			return g, err
		}
		g.ProductLine = domain.ProductLine(line)
		var err error
		if g.GrantedAt, err = parseInstant(at); err != nil {
			return g, fmt.Errorf("trial of %s for %q: %w", g.ProductLine, g.SerialKey, err)
		}
		return g, nil
	}, qTrialsBySerial, domain.SerialKey(serial))
}

type activations struct{ *tx }

const (
	activationCols = `id, subscription_id, order_id, serial, part_number, method, request_type,
	activation_date, requested_at, passcode, email`
	qPutActivation = `INSERT INTO activations (serial_key, ` + activationCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO UPDATE SET serial_key = excluded.serial_key, subscription_id = excluded.subscription_id,
		order_id = excluded.order_id, serial = excluded.serial, part_number = excluded.part_number,
		method = excluded.method, request_type = excluded.request_type, activation_date = excluded.activation_date,
		requested_at = excluded.requested_at, passcode = excluded.passcode, email = excluded.email`
	// Oldest first; the id breaks ties, so equal instants still come back in
	// one order.
	qActivationsBySerial = `SELECT ` + activationCols + ` FROM activations WHERE serial_key = ? ORDER BY requested_at, id`
)

func (r activations) Put(ctx context.Context, a domain.Activation) error {
	if err := r.write(); err != nil {
		return err
	}
	if err := cmp.Or(required("id", a.ID), required("serialNumber", a.Serial)); err != nil {
		return err
	}
	_, err := r.exec(ctx, qPutActivation, domain.SerialKey(a.Serial), a.ID, a.SubscriptionID, a.OrderID, a.Serial,
		a.PartNumber, string(a.Method), a.RequestType, dateText(a.Date), instant(a.RequestedAt), a.Passcode, a.Email)
	return r.fail(ctx, err, "sqlite: store activation %q", a.ID)
}

func (r activations) BySerial(ctx context.Context, serial string) ([]domain.Activation, error) {
	return list(ctx, r.tx, "read a serial's activations", func(s scanner) (domain.Activation, error) {
		var a domain.Activation
		var method, date, at string
		if err := s.Scan(&a.ID, &a.SubscriptionID, &a.OrderID, &a.Serial, &a.PartNumber, &method, &a.RequestType,
			&date, &at, &a.Passcode, &a.Email); err != nil {
			return a, err
		}
		a.Method = domain.ActivationMethod(method)
		var err1, err2 error
		a.Date, err1 = parseDateText(date)
		a.RequestedAt, err2 = parseInstant(at)
		if err := cmp.Or(err1, err2); err != nil {
			return a, fmt.Errorf("activation %q: %w", a.ID, err)
		}
		return a, nil
	}, qActivationsBySerial, domain.SerialKey(serial))
}
