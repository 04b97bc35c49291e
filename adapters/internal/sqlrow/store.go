package sqlrow

import (
	"context"

	"github.com/entitle-rules/entitle/domain"
)

// What a store answers before a transaction starts, when it cannot start
// one. store names the store in messages ("sqlite"); "" names none.

// Closed is the CodeUnavailable of a View or Update on a closed store.
func Closed(store string) error {
	return domain.Errorf(domain.CodeUnavailable, "", "%sthe store is closed", prefix(store))
}

// Abandoned is the CodeUnavailable of a transaction whose caller gave up;
// cause is its context's error.
func Abandoned(store string, cause error) error {
	return domain.Wrap(cause, domain.CodeUnavailable, "%sthe transaction was abandoned", prefix(store))
}

// Usable is Closed when the store is closed and Abandoned when ctx is done:
// what a store checks before it starts a transaction.
func Usable(ctx context.Context, store string, closed bool) error {
	if closed {
		return Closed(store)
	}
	if err := ctx.Err(); err != nil {
		return Abandoned(store, err)
	}
	return nil
}

func prefix(store string) string {
	if store == "" {
		return ""
	}
	return store + ": "
}
