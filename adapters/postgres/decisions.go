package postgres

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// decisions is the decision log, listed in append order (seq).
type decisions struct{ *tx }

func (t *tx) Decisions() ports.Decisions { return decisions{t} }

const (
	decisionColumns = `seq, id, at, context, command, partner, account, actor, ruleset_hash, outcome, request, state`
	qAppendDecision = `INSERT INTO decisions (id, at, context, command, partner, account, actor, ruleset_hash, allowed, codes, rules, outcome, request, state)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`
	qDecision       = `SELECT ` + decisionColumns + ` FROM decisions WHERE id = $1`
	qPurgeDecisions = `DELETE FROM decisions WHERE at < $1`
)

func (r decisions) Append(ctx context.Context, rec domain.DecisionRecord) error {
	if err := r.Write(sqlrow.Required("id", rec.ID)); err != nil {
		return err
	}
	outcome, err := json.Marshal(rec.Outcome)
	if err != nil {
		return domain.Wrap(err, domain.CodeInvalid, "decision %q: the outcome cannot be encoded", rec.ID)
	}
	_, err = r.exec(ctx, qAppendDecision, rec.ID, rec.At.UTC(), rec.Context, rec.Command, rec.Partner, rec.Account, rec.Actor,
		rec.RulesetHash, rec.Outcome.Allowed, domain.DecisionList(rec.Outcome.Codes()), domain.DecisionList(rec.Outcome.RuleIDs()),
		string(outcome), string(jsonOrNull(rec.Request)), string(jsonOrNull(rec.State)))
	return r.Fail(ctx, err, "log decision %q", rec.ID)
}

func jsonOrNull(b []byte) []byte {
	if len(b) == 0 {
		return []byte("null")
	}
	return b
}

func scanDecision(s sqlrow.Scanner) (decisionRow, error) {
	var (
		d                   decisionRow
		outcome, req, state string
	)
	if err := s.Scan(&d.seq, &d.rec.ID, &d.rec.At, &d.rec.Context, &d.rec.Command, &d.rec.Partner, &d.rec.Account, &d.rec.Actor,
		&d.rec.RulesetHash, &outcome, &req, &state); err != nil {
		return d, err
	}
	d.rec.At = utc(d.rec.At)
	if err := json.Unmarshal([]byte(outcome), &d.rec.Outcome); err != nil {
		return d, domain.Wrap(err, domain.CodeInternal, "decision %q: stored outcome", d.rec.ID)
	}
	d.rec.Request, d.rec.State = []byte(req), []byte(state)
	return d, nil
}

type decisionRow struct {
	seq int64
	rec domain.DecisionRecord
}

// List reads one page past the token by the primary key (seq), with the
// filters as conditions: a partner's page goes through its index.
func (r decisions) List(ctx context.Context, f domain.DecisionFilter) ([]domain.DecisionRecord, string, error) {
	after, err := sqlrow.ParseDecisionPageToken(f.PageToken)
	if err != nil {
		return nil, "", err
	}
	var (
		where = []string{"seq > $1"}
		args  = []any{after}
	)
	// cond's ? is the next placeholder.
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.Replace(cond, "?", "$"+strconv.Itoa(len(args)), 1))
	}
	if !f.From.IsZero() {
		add("at >= ?", f.From)
	}
	if !f.To.IsZero() {
		add("at < ?", f.To)
	}
	if f.Partner != "" {
		add("partner = ?", f.Partner)
	}
	if f.Account != "" {
		add("account = ?", f.Account)
	}
	if f.Context != "" {
		add("context = ?", f.Context)
	}
	if f.Code != "" {
		add("strpos(codes, ?) > 0", domain.DecisionList([]string{f.Code}))
	}
	if f.Rule != "" {
		add("strpos(rules, ?) > 0", domain.DecisionList([]string{f.Rule}))
	}
	size := f.Size()
	args = append(args, size+1)
	q := `SELECT ` + decisionColumns + ` FROM decisions WHERE ` + strings.Join(where, " AND ") + ` ORDER BY seq LIMIT $` + strconv.Itoa(len(args))
	rows, err := sqlrow.All(ctx, r, "read the decision log", scanDecision, q, args...)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > size {
		rows = rows[:size]
		next = sqlrow.DecisionPageToken(rows[size-1].seq)
	}
	out := make([]domain.DecisionRecord, len(rows))
	for i := range rows {
		out[i] = rows[i].rec
	}
	return out, next, nil
}

func (r decisions) Get(ctx context.Context, id string) (domain.DecisionRecord, error) {
	d, err := sqlrow.One(ctx, r, "read a decision", scanDecision, func() error {
		return domain.Errorf(domain.CodeNotFound, "id", "no decision %q", id)
	}, qDecision, id)
	return d.rec, err
}

// Purge deletes through the index on at: it costs what it deletes.
func (r decisions) Purge(ctx context.Context, before time.Time) (int, error) {
	if err := r.Write(); err != nil {
		return 0, err
	}
	n, err := r.exec(ctx, qPurgeDecisions, before)
	return int(n), r.Fail(ctx, err, "purge the decision log")
}
