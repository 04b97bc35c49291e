package ports

import (
	"context"
	"time"
)

// Store holds entitle's state. Update runs fn in a read-write transaction and
// commits when fn returns nil; View runs fn in a read-only one. A store may
// run fn more than once (retrying serialization conflicts), so fn must not
// have effects outside the transaction. When a repository method fails, a
// refused write leaves nothing of itself, but fn should return an error: a
// SQL store may refuse further statements in that transaction.
// Implementations are safe for concurrent use.
type Store interface {
	View(ctx context.Context, fn func(Tx) error) error
	Update(ctx context.Context, fn func(Tx) error) error
	Close() error
}

// Tx gives the repositories of one transaction, grouped by context: a use
// case takes the narrowest group it needs (OrdersTx, SeatsTx, AccountsTx,
// PlatformTx, DecisionsTx),
// and a store implements them all. A Tx is not safe for concurrent use and is invalid once
// the View or Update that made it returns.
type Tx interface {
	OrdersTx
	SeatsTx
	AccountsTx
	PlatformTx
	DecisionsTx
}

// Clock tells the time. Read it once per operation, at the edge.
type Clock interface {
	Now() time.Time
}

// ClockFunc adapts a function such as time.Now to Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// IDs makes opaque unique identifiers.
type IDs interface {
	NewID() string
}

// IDsFunc adapts a function to IDs.
type IDsFunc func() string

// NewID calls f.
func (f IDsFunc) NewID() string { return f() }
