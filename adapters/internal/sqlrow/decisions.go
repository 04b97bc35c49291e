package sqlrow

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/domain"
)

// DecisionPageToken is the page token of the decision log after the record
// appended as seq: the stores page by their append order.
func DecisionPageToken(seq int64) string { return strconv.FormatInt(seq, 36) }

// ParseDecisionPageToken reads a DecisionPageToken; "" is the first page
// (0). Anything else that is not one is CodeInvalid.
func ParseDecisionPageToken(tok string) (int64, error) {
	if tok == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(tok, 36, 64)
	if err != nil || n < 0 {
		return 0, domain.Errorf(domain.CodeInvalid, "pageToken", "%q is not a page token of the decision log", tok)
	}
	return n, nil
}

// DecisionLog is how a SQL store keeps the decision log: its dialect, and
// how its at column holds an instant (A: SQLite's text, PostgreSQL's
// timestamptz). The rest, the columns, the stored outcome, the filter and
// the page, both stores share. A DecisionLog holds no state; it is safe for
// concurrent use.
type DecisionLog[A any] struct {
	Dialect Dialect
	// Instant is t as the at column takes it.
	Instant func(t time.Time) A
	// ParseInstant reads the at column back; a value that is not an
	// instant is an error naming it.
	ParseInstant func(a A) (time.Time, error)
}

const (
	decisionColumns = `seq, id, at, context, command, partner, account, actor, ruleset_hash, outcome, request, state`
	decisionInsert  = `INSERT INTO decisions (id, at, context, command, partner, account, actor, ruleset_hash, allowed, codes, rules, outcome, request, state)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	decisionByID  = `SELECT ` + decisionColumns + ` FROM decisions WHERE id = ?`
	decisionPurge = `DELETE FROM decisions WHERE at < ?`
)

// AppendQuery is the statement appending a decision, with AppendArgs'
// arguments. It is the same string at every call, so that a store may
// recognize it.
func (l DecisionLog[A]) AppendQuery() string { return l.Dialect.number(decisionInsert) }

// AppendArgs returns the arguments of AppendQuery for rec. An outcome that
// cannot be encoded is CodeInvalid.
func (l DecisionLog[A]) AppendArgs(rec domain.DecisionRecord) ([]any, error) {
	outcome, err := json.Marshal(rec.Outcome)
	if err != nil {
		return nil, domain.Wrap(err, domain.CodeInvalid, "decision %q: the outcome cannot be encoded", rec.ID)
	}
	return []any{rec.ID, l.Instant(rec.At), rec.Context, rec.Command, rec.Partner, rec.Account, rec.Actor,
		rec.RulesetHash, rec.Outcome.Allowed, domain.DecisionList(rec.Outcome.Codes()), domain.DecisionList(rec.Outcome.RuleIDs()),
		string(outcome), string(jsonOrNull(rec.Request)), string(jsonOrNull(rec.State))}, nil
}

// Purge returns the statement deleting every decision made before before,
// and its arguments.
func (l DecisionLog[A]) Purge(before time.Time) (string, []any) {
	return l.Dialect.number(decisionPurge), []any{l.Instant(before)}
}

func jsonOrNull(b []byte) []byte {
	if len(b) == 0 {
		return []byte("null")
	}
	return b
}

// decisionRow is a decision with its place in the log.
type decisionRow struct {
	seq int64
	rec domain.DecisionRecord
}

func (l DecisionLog[A]) scan(s Scanner) (decisionRow, error) {
	var (
		d                   decisionRow
		at                  A
		outcome, req, state string
	)
	if err := s.Scan(&d.seq, &d.rec.ID, &at, &d.rec.Context, &d.rec.Command, &d.rec.Partner, &d.rec.Account, &d.rec.Actor,
		&d.rec.RulesetHash, &outcome, &req, &state); err != nil {
		return d, err
	}
	var err error
	if d.rec.At, err = l.ParseInstant(at); err != nil {
		return d, fmt.Errorf("decision %q: %w", d.rec.ID, err)
	}
	if err := json.Unmarshal([]byte(outcome), &d.rec.Outcome); err != nil {
		return d, domain.Wrap(err, domain.CodeInternal, "decision %q: stored outcome", d.rec.ID)
	}
	d.rec.Request, d.rec.State = []byte(req), []byte(state)
	return d, nil
}

// Get reads the decision id in t. No such decision is CodeNotFound.
func (l DecisionLog[A]) Get(ctx context.Context, t Tx, id string) (domain.DecisionRecord, error) {
	d, err := One(ctx, t, "read a decision", l.scan, func() error {
		return domain.Errorf(domain.CodeNotFound, "id", "no decision %q", id)
	}, l.Dialect.number(decisionByID), id)
	return d.rec, err
}

// List reads in t one page past f's token by the primary key (seq), with
// the filters as conditions, so that a partner's page goes through its
// index, and returns it with the token of the next page ("" after the
// last). A token that is not one is CodeInvalid.
func (l DecisionLog[A]) List(ctx context.Context, t Tx, f domain.DecisionFilter) ([]domain.DecisionRecord, string, error) {
	after, err := ParseDecisionPageToken(f.PageToken)
	if err != nil {
		return nil, "", err
	}
	var (
		where = []string{"seq > ?"}
		args  = []any{after}
	)
	add := func(cond string, v any) { where, args = append(where, cond), append(args, v) }
	if !f.From.IsZero() {
		add("at >= ?", l.Instant(f.From))
	}
	if !f.To.IsZero() {
		add("at < ?", l.Instant(f.To))
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
	// codes and rules are DecisionLists: an item is found with its
	// delimiters, never as part of a longer one.
	if f.Code != "" {
		add(l.Dialect.contains("codes"), domain.DecisionList([]string{f.Code}))
	}
	if f.Rule != "" {
		add(l.Dialect.contains("rules"), domain.DecisionList([]string{f.Rule}))
	}
	size := f.Size()
	args = append(args, size+1)
	q := `SELECT ` + decisionColumns + ` FROM decisions WHERE ` + strings.Join(where, " AND ") + ` ORDER BY seq LIMIT ?`
	rows, err := All(ctx, t, "read the decision log", l.scan, l.Dialect.number(q), args...)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > size {
		rows = rows[:size]
		next = DecisionPageToken(rows[size-1].seq)
	}
	out := make([]domain.DecisionRecord, len(rows))
	for i := range rows {
		out[i] = rows[i].rec
	}
	return out, next, nil
}

// contains is the condition that column's text holds the next argument.
func (d Dialect) contains(column string) string {
	if d == Postgres {
		return "strpos(" + column + ", ?) > 0"
	}
	return "instr(" + column + ", ?) > 0"
}
