package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/entitle-rules/entitle/domain"
)

// audit keeps events in the order they were appended (audit_events.seq);
// that order is "oldest first", whatever instants the events carry.
type audit struct{ *tx }

func (r audit) Append(ctx context.Context, e domain.AuditEvent) error {
	if err := r.write(); err != nil {
		return err
	}
	_, err := r.exec(ctx, "Audit.Append", `INSERT INTO audit_events (id, at, actor, command, subject, allowed, codes, ruleset_hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		e.ID, e.At, e.Actor, e.Command, e.Subject, e.Allowed, texts(e.Codes), e.RulesetHash)
	return err
}

func (r audit) List(ctx context.Context, subject string) ([]domain.AuditEvent, error) {
	if err := r.read(); err != nil {
		return nil, err
	}
	const columns = `SELECT id, at, actor, command, subject, allowed, codes, ruleset_hash FROM audit_events`
	sql, args := columns+` ORDER BY seq`, []any(nil)
	if subject != "" {
		sql, args = columns+` WHERE subject = $1 ORDER BY seq`, []any{subject}
	}
	out := []domain.AuditEvent{}
	err := r.all(ctx, "Audit.List", sql, args, func(rows pgx.Rows) error {
		var e domain.AuditEvent
		err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Command, &e.Subject, &e.Allowed, &e.Codes, &e.RulesetHash)
		e.At = utc(e.At)
		out = append(out, e)
		return err
	})
	return out, err
}
