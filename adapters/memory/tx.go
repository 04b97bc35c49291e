package memory

import (
	"context"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// tx is a ports.Tx over a copy of the tables. Its repositories are views of
// it, one small type per port so their methods can share names; each is
// declared, with the method of tx that hands it out, in the file of its
// context. The Guard refuses a Tx kept past the View or Update that made it,
// and writes in a View.
type tx struct {
	sqlrow.Guard
	db tables
}

// tx implements every group of ports.Tx.
var (
	_ ports.OrdersTx   = (*tx)(nil)
	_ ports.SeatsTx    = (*tx)(nil)
	_ ports.AccountsTx = (*tx)(nil)
	_ ports.PlatformTx = (*tx)(nil)
)

// find is a lookup by primary key that reports CodeNotFound on field with
// notFound, formatted with k.
func find[K comparable, V any](t *tx, l *layer[K, V], k K, field, notFound string) (V, error) {
	if err := t.Read(); err != nil {
		var zero V
		return zero, err
	}
	v, ok := l.get(k)
	if !ok {
		return v, domain.Errorf(domain.CodeNotFound, field, notFound, k)
	}
	return v, nil
}

// LockSerials does nothing more than check the transaction: the memory
// store runs one Update at a time.
func (t *tx) LockSerials(context.Context, ...string) error { return t.Read() }
