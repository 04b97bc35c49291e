package seats

import (
	"context"

	"github.com/entitle-rules/entitle/domain"
)

// errDryRun rolls back a change made only to see its answer.
var errDryRun = domain.Errorf(domain.CodeInternal, "", "dry run: rolled back")

// PreviewSeats answers what SetSeats(ctx, p, r) would answer now, changing
// nothing: the company as it would be and, when lowering below the seats in
// use under shrink_policy release_most_recent, the users who would lose a
// seat (Released; their assignment ids are those that would end). It runs
// the very same decision and writes in a transaction that is then rolled
// back, so it can never disagree with SetSeats at the same instant; no audit
// event is kept. The errors are SetSeats's: CodeConflict naming seats when
// the policy refuses, CodeForbidden, CodeNotFound, CodeInvalid.
func (s *Service) PreviewSeats(ctx context.Context, p domain.Principal, r SeatsRequest) (SeatsChange, error) {
	return s.setSeats(ctx, p, r, true)
}
