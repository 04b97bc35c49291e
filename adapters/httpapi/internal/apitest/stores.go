package apitest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/entitle-rules/entitle/adapters/internal/pgtest"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/adapters/sqlite"
	"github.com/entitle-rules/entitle/ports"
)

// Opener opens a new, empty store for tb, closed by whoever uses it. The
// second value opens another Store on the same database; it is nil but for
// PostgreSQL, where two servers can share one schema.
type Opener func(tb testing.TB) (ports.Store, func() ports.Store)

// Stores returns an Opener for each store a test runs on, by name: memory,
// sqlite, and postgres when ENTITLE_POSTGRES_DSN is set. A database that
// cannot be reached then fails the test, never skips it: a run that was
// asked to cover PostgreSQL and did not must not look green.
func Stores() map[string]Opener {
	stores := map[string]Opener{
		"memory": func(testing.TB) (ports.Store, func() ports.Store) { return memory.New(), nil },
		"sqlite": func(tb testing.TB) (ports.Store, func() ports.Store) {
			tb.Helper()
			s, err := sqlite.Open(filepath.Join(tb.TempDir(), "entitle.db"), sqlite.Options{})
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
				s, err := postgres.Open(context.Background(), dsn, postgres.Options{Schema: schema})
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
func Open(tb testing.TB, name string) ports.Store {
	tb.Helper()
	open, ok := Stores()[name]
	if !ok {
		tb.Fatalf("no store %q", name)
	}
	s, _ := open(tb)
	return s
}
