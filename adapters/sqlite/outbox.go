package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"time"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
)

// The outbox statements. Claim's two statements read and move the same rows:
// the writer runs one transaction at a time, so nothing changes them between
// the two. Both go through the partial index activations_outbox.
const (
	qDueActivations = `SELECT ` + activationColumns + ` FROM activations
	WHERE state = 'PENDING' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`
	qLeaseActivations = `UPDATE activations SET next_attempt_at = ? WHERE id IN (
		SELECT id FROM activations WHERE state = 'PENDING' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?)`
	qRecordDelivery = `UPDATE activations SET state = ?, attempts = ?, next_attempt_at = ?, last_error = ?, delivered_at = ?
	WHERE id = ? AND state <> 'DELIVERED'`
	qActivationExists = `SELECT 1 FROM activations WHERE id = ?`
)

// Claim needs no row locks: SQLite has one writer, and the lease keeps a
// later claimer off what this one took.
func (r activations) Claim(ctx context.Context, now time.Time, lease time.Duration, n int) ([]domain.Activation, error) {
	if err := cmp.Or(r.Write(), sqlrow.CheckClaim(lease, n)); err != nil {
		return nil, err
	}
	due, err := sqlrow.All(ctx, r, "read the due activations", scanActivation, qDueActivations, instant(now), n)
	if err != nil || len(due) == 0 {
		return due, err
	}
	until := now.Add(lease)
	if _, err := r.exec(ctx, qLeaseActivations, instant(until), instant(now), n); err != nil {
		return nil, r.Fail(ctx, err, "lease the due activations")
	}
	for i := range due {
		due[i].Delivery.NextAttempt = until
	}
	return due, nil
}

func (r activations) RecordDelivery(ctx context.Context, id string, d domain.Delivery) error {
	if err := cmp.Or(r.Write(sqlrow.Required("id", id)), d.Validate()); err != nil {
		return err
	}
	n, err := r.exec(ctx, qRecordDelivery, string(d.State), d.Attempts, nullInstant(d.NextAttempt), d.LastError,
		nullInstant(d.DeliveredAt), id)
	if err != nil {
		return r.Fail(ctx, err, "record the delivery of activation %q", id)
	}
	if n == 1 {
		return nil
	}
	// Nothing changed: delivered already (kept as it is), or no such row.
	var one int
	if err := r.QueryRow(ctx, qActivationExists, id).Scan(&one); r.NoRows(err) {
		return domain.Errorf(domain.CodeNotFound, "id", "no activation %q", id)
	} else if err != nil {
		return r.Fail(ctx, err, "read activation %q", id)
	}
	return nil
}

// nullInstant writes a zero instant as NULL.
func nullInstant(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return instant(t)
}

// parseNullInstant reads what nullInstant wrote.
func parseNullInstant(s sql.NullString, field string) (time.Time, error) {
	if !s.Valid {
		return time.Time{}, nil
	}
	return parseInstant(s.String, field)
}

// ClaimSerials is LockSerials: SQLite has one writer, and an Update's fn
// runs alone on it, so no other transaction holds a claim meanwhile.
func (t *tx) ClaimSerials(ctx context.Context, serials ...string) error {
	return t.LockSerials(ctx, serials...)
}
