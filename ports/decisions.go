package ports

import (
	"context"
	"time"

	"github.com/entitle-rules/entitle/domain"
)

// DecisionsTx is the part of a transaction that keeps the decision log:
// every use case appends the record of each decision it makes in the
// transaction of that decision's effects, a refusal's record alone.
type DecisionsTx interface {
	Decisions() Decisions
}

// Decisions is the decision log (domain.DecisionRecord), oldest first.
type Decisions interface {
	// Append adds r (CodeInvalid for an empty ID, CodeConflict for an ID
	// already logged).
	Append(ctx context.Context, r domain.DecisionRecord) error
	// List returns the records f selects, oldest first (in the order they
	// were appended), one page at a time, and the token of the next page
	// ("" for the last page: no record f selects follows it). Paging is stable: records appended or purged
	// between two calls never make a page repeat or skip one that stays.
	// A malformed token is CodeInvalid.
	List(ctx context.Context, f domain.DecisionFilter) ([]domain.DecisionRecord, string, error)
	// Get returns the record with id (CodeNotFound).
	Get(ctx context.Context, id string) (domain.DecisionRecord, error)
	// Purge deletes the records made before before and returns how many.
	Purge(ctx context.Context, before time.Time) (int, error)
}
