package memory

import (
	"context"

	"github.com/entitle-rules/entitle/domain"
)

// audit keeps events in the order they were appended, numbered from 1; that
// order is "oldest first", whatever instants the events carry.
type audit struct{ *tx }

func (r audit) Append(_ context.Context, e domain.AuditEvent) error {
	if err := r.write(); err != nil {
		return err
	}
	r.db.seq.audit++
	r.db.audit.put(r.db.seq.audit, e)
	push(&r.db.auditBySubject, e.Subject, r.db.seq.audit)
	return nil
}

func (r audit) List(_ context.Context, subject string) ([]domain.AuditEvent, error) {
	if err := r.read(); err != nil {
		return nil, err
	}
	if subject != "" {
		seqs, _ := r.db.auditBySubject.get(subject)
		return rows(&r.db.audit, seqs), nil
	}
	out := make([]domain.AuditEvent, 0, r.db.seq.audit)
	for n := int64(1); n <= r.db.seq.audit; n++ {
		if e, ok := r.db.audit.get(n); ok {
			out = append(out, e)
		}
	}
	return out, nil
}
