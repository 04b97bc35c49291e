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
// the page, both stores share. A DecisionLog does not change once made; it
// is safe for concurrent use.
type DecisionLog[A any] struct {
	dialect      Dialect
	instant      func(time.Time) A
	parseInstant func(A) (time.Time, error)
	// The statements, in the dialect.
	append, byID, purge string
}

// NewDecisionLog returns the DecisionLog of a store of dialect d whose at
// column takes an instant t as instant(t), and is read back by
// parseInstant, which fails for a value that is not an instant, naming it.
func NewDecisionLog[A any](d Dialect, instant func(time.Time) A, parseInstant func(A) (time.Time, error)) *DecisionLog[A] {
	return &DecisionLog[A]{dialect: d, instant: instant, parseInstant: parseInstant,
		append: d.number(decisionInsert), byID: d.number(decisionByID), purge: d.number(decisionPurge)}
}

const (
	decisionColumns = `seq, id, at, context, command, partner, account, actor, ruleset_hash, outcome, request, state`
	decisionInsert  = `INSERT INTO decisions (id, at, context, command, partner, account, actor, ruleset_hash, allowed, codes, rules, outcome, request, state)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	decisionByID  = `SELECT ` + decisionColumns + ` FROM decisions WHERE id = ?`
	decisionPurge = `DELETE FROM decisions WHERE at < ?`
)

// AppendQuery is the statement appending a decision, the same string at
// every call, so that a store may recognize it in its exec.
func (l *DecisionLog[A]) AppendQuery() string { return l.append }

// appendArgs returns the arguments of AppendQuery for rec. An outcome that
// cannot be encoded is CodeInvalid.
func (l *DecisionLog[A]) appendArgs(rec domain.DecisionRecord) ([]any, error) {
	outcome, err := json.Marshal(rec.Outcome)
	if err != nil {
		return nil, domain.Wrap(err, domain.CodeInvalid, "decision %q: the outcome cannot be encoded", rec.ID)
	}
	return []any{rec.ID, l.instant(rec.At), rec.Context, rec.Command, rec.Partner, rec.Account, rec.Actor,
		rec.RulesetHash, rec.Outcome.Allowed, domain.DecisionList(rec.Outcome.Codes()), domain.DecisionList(rec.Outcome.RuleIDs()),
		string(outcome), string(jsonOrNull(rec.Request)), string(jsonOrNull(rec.State))}, nil
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

func (l *DecisionLog[A]) scan(s Scanner) (decisionRow, error) {
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
	if d.rec.At, err = l.parseInstant(at); err != nil {
		return d, fmt.Errorf("decision %q: %w", d.rec.ID, err)
	}
	if err := json.Unmarshal([]byte(outcome), &d.rec.Outcome); err != nil {
		return d, domain.Wrap(err, domain.CodeInternal, "decision %q: stored outcome", d.rec.ID)
	}
	d.rec.Request, d.rec.State = []byte(req), []byte(state)
	return d, nil
}

// In returns the decision log of a store's transaction t (ports.Decisions),
// guarded by g, with exec running a statement in t and returning how many
// rows it changed.
func (l *DecisionLog[A]) In(t Tx, g *Guard, exec func(ctx context.Context, query string, args ...any) (int64, error)) Decisions[A] {
	return Decisions[A]{log: l, tx: t, guard: g, exec: exec}
}

// Decisions is the decision log of a store's transaction, listed in append
// order (seq). It implements ports.Decisions; it is as safe for concurrent
// use as its transaction.
type Decisions[A any] struct {
	log   *DecisionLog[A]
	tx    Tx
	guard *Guard
	exec  func(ctx context.Context, query string, args ...any) (int64, error)
}

// Append logs rec. A record without an id, or with an outcome that cannot
// be encoded, is CodeInvalid.
func (r Decisions[A]) Append(ctx context.Context, rec domain.DecisionRecord) error {
	if err := r.guard.Write(Required("id", rec.ID)); err != nil {
		return err
	}
	args, err := r.log.appendArgs(rec)
	if err != nil {
		return err
	}
	_, err = r.exec(ctx, r.log.append, args...)
	return r.tx.Fail(ctx, err, "log decision %q", rec.ID)
}

// Purge deletes the decisions made before before, through the index on
// at: it costs what it deletes.
func (r Decisions[A]) Purge(ctx context.Context, before time.Time) (int, error) {
	if err := r.guard.Write(); err != nil {
		return 0, err
	}
	n, err := r.exec(ctx, r.log.purge, r.log.instant(before))
	return int(n), r.tx.Fail(ctx, err, "purge the decision log")
}

// Get reads the decision id. No such decision is CodeNotFound.
func (r Decisions[A]) Get(ctx context.Context, id string) (domain.DecisionRecord, error) {
	l := r.log
	d, err := One(ctx, r.tx, "read a decision", l.scan, func() error {
		return domain.Errorf(domain.CodeNotFound, "id", "no decision %q", id)
	}, l.byID, id)
	return d.rec, err
}

// List reads one page past f's token by the primary key (seq), with the
// filters as conditions, so that a partner's page goes through its index,
// and returns it with the token of the next page ("" after the last). A
// token that is not one is CodeInvalid.
func (r Decisions[A]) List(ctx context.Context, f domain.DecisionFilter) ([]domain.DecisionRecord, string, error) {
	l := r.log
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
		add("at >= ?", l.instant(f.From))
	}
	if !f.To.IsZero() {
		add("at < ?", l.instant(f.To))
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
		add(l.dialect.contains("codes"), domain.DecisionList([]string{f.Code}))
	}
	if f.Rule != "" {
		add(l.dialect.contains("rules"), domain.DecisionList([]string{f.Rule}))
	}
	size := f.Size()
	args = append(args, size+1)
	q := `SELECT ` + decisionColumns + ` FROM decisions WHERE ` + strings.Join(where, " AND ") + ` ORDER BY seq LIMIT ?`
	rows, err := All(ctx, r.tx, "read the decision log", l.scan, l.dialect.number(q), args...)
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
