package postgres

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
)

// The outbox statements. qClaim picks the due pending rows through the
// partial index activations_outbox, locks them (skipping rows another
// open transaction has locked, so concurrent claimers on any instance never
// wait for each other nor get the same row) and moves their next attempt
// to the end of the lease, in one statement and one round trip. RETURNING
// has no order: the due instant each row had comes back with it, for Claim
// to sort by.
const (
	qClaim = `WITH due AS (
		SELECT id AS claimed, next_attempt_at AS was_due FROM activations
		WHERE state = 'PENDING' AND next_attempt_at <= $1
		ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
	UPDATE activations SET next_attempt_at = $2 FROM due WHERE id = due.claimed
	RETURNING due.was_due, ` + activationColumns
	qRecordDelivery = `UPDATE activations SET state = $2, attempts = $3, next_attempt_at = $4, last_error = $5, delivered_at = $6
	WHERE id = $1 AND state <> 'DELIVERED'`
	qActivationExists = `SELECT 1 FROM activations WHERE id = $1`
)

// claimed is an activation Claim returned, with the instant it was due.
type claimed struct {
	due time.Time
	a   domain.Activation
}

func (r activations) Claim(ctx context.Context, now time.Time, lease time.Duration, n int) ([]domain.Activation, error) {
	if err := cmp.Or(r.Write(), sqlrow.CheckClaim(lease, n)); err != nil {
		return nil, err
	}
	got, err := sqlrow.All(ctx, r, "claim the due activations", func(s sqlrow.Scanner) (claimed, error) {
		var c claimed
		var err error
		c.a, err = scanActivation(prefixScanner{s, &c.due})
		c.due = utc(c.due)
		return c, err
	}, qClaim, now, now.Add(lease), n)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(got, func(x, y claimed) int { return cmp.Or(x.due.Compare(y.due), cmp.Compare(x.a.ID, y.a.ID)) })
	out := make([]domain.Activation, len(got))
	for i, c := range got {
		out[i] = c.a
	}
	return out, nil
}

// prefixScanner scans its first column into first and the rest as the
// wrapped scan asks.
type prefixScanner struct {
	sqlrow.Scanner
	first *time.Time
}

func (p prefixScanner) Scan(dest ...any) error {
	return p.Scanner.Scan(append([]any{p.first}, dest...)...)
}

// RecordDelivery is sent, not queued: it may change no row.
func (r activations) RecordDelivery(ctx context.Context, id string, d domain.Delivery) error {
	if err := cmp.Or(r.Write(sqlrow.Required("id", id)), d.Validate()); err != nil {
		return err
	}
	n, err := r.exec(ctx, qRecordDelivery, id, string(d.State), d.Attempts, instantArg(d.NextAttempt), d.LastError,
		instantArg(d.DeliveredAt))
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

// instantArg writes a zero instant as NULL.
func instantArg(t time.Time) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{}
	}
	return pgtype.Timestamptz{Time: t, Valid: true}
}

// instantOf reads a column instantArg wrote.
func instantOf(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}
