package sqlite

import (
	"context"
	"fmt"

	"github.com/entitle-rules/entitle/domain"
)

// audit keeps events in the order they were appended (the seq column);
// that order is "oldest first", whatever instants the events carry.
type audit struct{ *tx }

const (
	auditCols    = `id, at, actor, command, subject, allowed, codes, ruleset_hash`
	qAppendAudit = `INSERT INTO audit (` + auditCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	qAuditAll    = `SELECT ` + auditCols + ` FROM audit ORDER BY seq`
	qAuditAbout  = `SELECT ` + auditCols + ` FROM audit WHERE subject = ? ORDER BY seq`
)

func (r audit) Append(ctx context.Context, e domain.AuditEvent) error {
	if err := r.write(); err != nil {
		return err
	}
	codes, err := jsonText(e.Codes)
	if err != nil {
		return domain.Wrap(err, domain.CodeInternal, "sqlite: encode the codes of audit event %q", e.ID)
	}
	_, err = r.exec(ctx, qAppendAudit, e.ID, instant(e.At), e.Actor, e.Command, e.Subject, e.Allowed, codes, e.RulesetHash)
	return r.fail(ctx, err, "sqlite: append audit event %q", e.ID)
}

func (r audit) List(ctx context.Context, subject string) ([]domain.AuditEvent, error) {
	if subject == "" {
		return list(ctx, r.tx, "read the audit log", scanEvent, qAuditAll)
	}
	return list(ctx, r.tx, "read the audit log", scanEvent, qAuditAbout, subject)
}

func scanEvent(s scanner) (domain.AuditEvent, error) {
	var e domain.AuditEvent
	var at, codes string
	if err := s.Scan(&e.ID, &at, &e.Actor, &e.Command, &e.Subject, &e.Allowed, &codes, &e.RulesetHash); err != nil {
		return e, err
	}
	var err error
	if e.At, err = parseInstant(at); err != nil {
		return e, fmt.Errorf("audit event %q: at: %w", e.ID, err)
	}
	if err := parseJSON(codes, &e.Codes); err != nil {
		return e, fmt.Errorf("audit event %q: codes: %w", e.ID, err)
	}
	return e, nil
}
