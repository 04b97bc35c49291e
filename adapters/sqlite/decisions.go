package sqlite

import (
	"context"
	"time"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// decisions is the decision log, listed in append order (seq).
type decisions struct{ *tx }

func (t *tx) Decisions() ports.Decisions { return decisions{t} }

// decisionLog keeps at as instant's text.
var decisionLog = sqlrow.DecisionLog[string]{
	Dialect:      sqlrow.SQLite,
	Instant:      instant,
	ParseInstant: func(s string) (time.Time, error) { return parseInstant(s, "at") },
}

func (r decisions) Append(ctx context.Context, rec domain.DecisionRecord) error {
	if err := r.Write(sqlrow.Required("id", rec.ID)); err != nil {
		return err
	}
	args, err := decisionLog.AppendArgs(rec)
	if err != nil {
		return err
	}
	_, err = r.exec(ctx, decisionLog.AppendQuery(), args...)
	return r.Fail(ctx, err, "log decision %q", rec.ID)
}

// List reads one page past the token by the primary key (seq), with the
// filters as conditions: a partner's page goes through its index.
func (r decisions) List(ctx context.Context, f domain.DecisionFilter) ([]domain.DecisionRecord, string, error) {
	return decisionLog.List(ctx, r, f)
}

func (r decisions) Get(ctx context.Context, id string) (domain.DecisionRecord, error) {
	return decisionLog.Get(ctx, r, id)
}

// Purge deletes through the index on at: it costs what it deletes.
func (r decisions) Purge(ctx context.Context, before time.Time) (int, error) {
	if err := r.Write(); err != nil {
		return 0, err
	}
	q, args := decisionLog.Purge(before)
	n, err := r.exec(ctx, q, args...)
	return int(n), r.Fail(ctx, err, "purge the decision log")
}
