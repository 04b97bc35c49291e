package seats

import (
	"context"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// AuditTrail returns one page of the audit events of p's account, newest
// first (offset events skipped, at most limit; 0 is maxPage), and how many
// the account has: who (the partner, or partner/user) did what (the
// command and its subject) when, whatever context wrote it, and the events
// of deleted users too. An Account Manager account token or an account
// administrator reads it; another account's events never show.
// CodeForbidden for any other principal; CodeInvalid for a bad page.
func (s *Service) AuditTrail(ctx context.Context, p domain.Principal, offset, limit int) (events []domain.AuditEvent, total int, err error) {
	if err := checkPage(offset, limit, maxPage); err != nil {
		return nil, 0, err
	}
	if limit == 0 {
		limit = maxPage
	}
	err = s.store.View(ctx, func(tx ports.Tx) error {
		acct, err := accountOf(ctx, tx, p, manage)
		if err != nil {
			return err
		}
		events, total, err = tx.Audit().ByAccount(ctx, acct.ID, offset, limit)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return events, total, nil
}
