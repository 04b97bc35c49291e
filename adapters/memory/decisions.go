package memory

import (
	"context"
	"time"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// decisionTables is the decision log: records by the number of their
// append, and those numbers by record id.
type decisionTables struct {
	decisions   layer[int64, domain.DecisionRecord]
	decisionIDs layer[string, int64]
}

func (d *decisionTables) layers() []committer {
	return []committer{&d.decisions, &d.decisionIDs}
}

var _ ports.DecisionsTx = (*tx)(nil)

type decisions struct{ *tx }

func (t *tx) Decisions() ports.Decisions { return decisions{t} }

func (r decisions) Append(_ context.Context, rec domain.DecisionRecord) error {
	if err := r.Write(sqlrow.Required("id", rec.ID)); err != nil {
		return err
	}
	if _, ok := r.db.decisionIDs.get(rec.ID); ok {
		return domain.Errorf(domain.CodeConflict, "id", "decision %q is already logged", rec.ID)
	}
	r.db.seq.decision++
	rec.At = rec.At.UTC()
	r.db.decisions.put(r.db.seq.decision, rec)
	r.db.decisionIDs.put(rec.ID, r.db.seq.decision)
	return nil
}

// List walks the log from the page token on: a page costs the records it
// passes over, up to the first match after it (so the last page has no
// token).
func (r decisions) List(_ context.Context, f domain.DecisionFilter) ([]domain.DecisionRecord, string, error) {
	if err := r.Read(); err != nil {
		return nil, "", err
	}
	after, err := sqlrow.ParseDecisionPageToken(f.PageToken)
	if err != nil {
		return nil, "", err
	}
	size := f.Size()
	var (
		out  []domain.DecisionRecord
		last int64
	)
	for n := after + 1; n <= r.db.seq.decision; n++ {
		rec, ok := r.db.decisions.get(n)
		if !ok || !f.Matches(&rec) {
			continue
		}
		if len(out) == size {
			// One more matches: the page is not the last.
			return out, sqlrow.DecisionPageToken(last), nil
		}
		out, last = append(out, rec), n
	}
	return out, "", nil
}

func (r decisions) Get(_ context.Context, id string) (domain.DecisionRecord, error) {
	if err := r.Read(); err != nil {
		return domain.DecisionRecord{}, err
	}
	n, ok := r.db.decisionIDs.get(id)
	if ok {
		if rec, ok := r.db.decisions.get(n); ok {
			return rec, nil
		}
	}
	return domain.DecisionRecord{}, domain.Errorf(domain.CodeNotFound, "id", "no decision %q", id)
}

func (r decisions) Purge(_ context.Context, before time.Time) (int, error) {
	if err := r.Write(); err != nil {
		return 0, err
	}
	n := 0
	for seq := int64(1); seq <= r.db.seq.decision; seq++ {
		rec, ok := r.db.decisions.get(seq)
		if ok && rec.At.Before(before) {
			r.db.decisions.del(seq)
			r.db.decisionIDs.del(rec.ID)
			n++
		}
	}
	return n, nil
}
