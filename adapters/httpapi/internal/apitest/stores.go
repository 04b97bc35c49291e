package apitest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/entitle-rules/entitle/adapters/internal/pgtest"
	"github.com/entitle-rules/entitle/ports"
)

// Drivers are the three stores' constructors. The tests pass them in: this
// package belongs to the httpapi adapter, and one adapter does not import
// another (archcheck), though its tests may.
type Drivers struct {
	Memory   func() ports.Store
	SQLite   func(path string) (ports.Store, error)
	Postgres func(ctx context.Context, dsn, schema string) (ports.Store, error)
}

// Opener opens a new, empty store for tb, closed by whoever uses it. The
// second value opens another Store on the same database; it is nil but for
// PostgreSQL, where two servers can share one schema.
type Opener func(tb testing.TB) (ports.Store, func() ports.Store)

// Stores returns an Opener for each store a test runs on, by name: memory,
// sqlite, and postgres when ENTITLE_POSTGRES_DSN is set. A database that
// cannot be reached then fails the test, never skips it: a run that was
// asked to cover PostgreSQL and did not must not look green.
func (d Drivers) Stores() map[string]Opener {
	stores := map[string]Opener{
		"memory": func(testing.TB) (ports.Store, func() ports.Store) { return d.Memory(), nil },
		"sqlite": func(tb testing.TB) (ports.Store, func() ports.Store) {
			tb.Helper()
			s, err := d.SQLite(filepath.Join(tb.TempDir(), "entitle.db"))
			if err != nil {
				tb.Fatal(err)
			}
			return s, nil
		},
	}
	if dsn := os.Getenv("ENTITLE_POSTGRES_DSN"); dsn != "" {
		stores["postgres"] = func(tb testing.TB) (ports.Store, func() ports.Store) {
			tb.Helper()
			schema := pgtest.Schema(tb, dsn)
			open := func() ports.Store {
				tb.Helper()
				s, err := d.Postgres(context.Background(), dsn, schema)
				if err != nil {
					tb.Fatalf("ENTITLE_POSTGRES_DSN is set but the store does not open: %v", err)
				}
				return s
			}
			return open(), open
		}
	}
	return stores
}

// Open opens a new store of the named kind (one of Stores' names) for tb.
// Benchmarks use it to name the stores they time.
func (d Drivers) Open(tb testing.TB, name string) ports.Store {
	tb.Helper()
	open, ok := d.Stores()[name]
	if !ok {
		tb.Fatalf("no store %q", name)
	}
	s, _ := open(tb)
	return s
}
