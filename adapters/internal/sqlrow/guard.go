package sqlrow

import (
	"sync/atomic"
	"time"

	"github.com/entitle-rules/entitle/domain"
)

// Guard is what a transaction knows about itself that every repository call
// checks before it touches the database: whether the View or Update that made
// it has returned, whether it may write, and whether a failure has left it
// unusable. A store embeds it in its transaction type, set up with Store and
// Writable; the zero Guard is a read-only transaction of an unnamed store.
//
// Its state is atomic: a Tx kept past its View may be used from any
// goroutine, and must then fail rather than race with the next transaction.
type Guard struct {
	// Store names the store in messages ("sqlite"); "" names none.
	Store string
	// Writable is true in an Update.
	Writable bool

	done   atomic.Bool
	failed atomic.Pointer[domain.Error]
}

// End marks the transaction over: the View or Update that made it has
// returned, and its connection may serve another transaction.
func (g *Guard) End() { g.done.Store(true) }

// Abort records that cause left the transaction unusable (PostgreSQL aborts a
// transaction at its first failed statement; a connection whose state is
// unknown serves nothing more). The first cause is kept; later calls to Read
// and Write fail with CodeInternal, wrapping it.
func (g *Guard) Abort(cause error) {
	g.failed.CompareAndSwap(nil, domain.Wrap(cause, domain.CodeInternal,
		"%san earlier statement of this transaction failed: end the transaction", g.prefix()))
}

// Read reports CodeInternal when the transaction is over or failed; a
// repository calls it before every read.
func (g *Guard) Read() error {
	if g.done.Load() {
		return domain.Errorf(domain.CodeInternal, "",
			"%sthe transaction is over: use a Tx only inside the function given to View or Update", g.prefix())
	}
	if e := g.failed.Load(); e != nil {
		return e
	}
	return nil
}

// Write is Read for a repository call that writes. It also reports
// CodeInternal in a View, and CodeInvalid when one of keys is empty: a row
// stored with an empty key is one no lookup can find.
func (g *Guard) Write(keys ...Key) error {
	if err := g.Read(); err != nil {
		return err
	}
	if !g.Writable {
		return domain.Errorf(domain.CodeInternal, "", "%sa View is read-only: write inside Update", g.prefix())
	}
	for _, k := range keys {
		if k.value == "" {
			return domain.Errorf(domain.CodeInvalid, k.field, "%s is required", k.field)
		}
	}
	return nil
}

func (g *Guard) prefix() string { return prefix(g.Store) }

// Key is a key field of the row a write stores: its name in requests, and
// its value.
type Key struct{ field, value string }

// Required returns the Key field with value, for Guard.Write to check.
func Required(field, value string) Key { return Key{field, value} }

// CheckClaim refuses an outbox claim (Activations.Claim) that could take
// nothing or hold nothing: n below one, or a lease that is not positive.
// The three stores check it first, in one way.
func CheckClaim(lease time.Duration, n int) error {
	switch {
	case n <= 0:
		return domain.Errorf(domain.CodeInvalid, "n", "claim at least one activation, not %d", n)
	case lease <= 0:
		return domain.Errorf(domain.CodeInvalid, "lease", "a claim needs a positive lease, not %v", lease)
	}
	return nil
}
