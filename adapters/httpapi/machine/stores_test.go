package machine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/entitle-rules/entitle/adapters/httpapi/machine"
	"github.com/entitle-rules/entitle/adapters/internal/pgtest"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/adapters/sqlite"
	"github.com/entitle-rules/entitle/fuzz"
	"github.com/entitle-rules/entitle/ports"
)

// memoryDB is a new memory store, kept across restarts.
func memoryDB() (machine.Database, error) {
	s := memory.New()
	return machine.Database{Open: func() (ports.Store, error) { return s, nil }, Keep: true}, nil
}

// sqliteDBs makes a new SQLite file in dir for each history.
func sqliteDBs(dir string) func() (machine.Database, error) {
	var n atomic.Int64
	return func() (machine.Database, error) {
		path := filepath.Join(dir, fmt.Sprintf("history-%d.db", n.Add(1)))
		return machine.Database{
			Open: func() (ports.Store, error) { return sqlite.Open(path, sqlite.Options{}) },
			Drop: func() error {
				for _, suffix := range []string{"", "-wal", "-shm"} {
					if err := os.Remove(path + suffix); err != nil && !os.IsNotExist(err) {
						return err
					}
				}
				return nil
			},
		}, nil
	}
}

// postgresDBs makes a new schema for each history, named after base (a
// schema pgtest gave the test, so that a schema a crash leaves behind is
// recognisably a test's), dropped when the history ends.
func postgresDBs(dsn, base string) func() (machine.Database, error) {
	var n atomic.Int64
	return func() (machine.Database, error) {
		schema := fmt.Sprintf("%s_%d", base, n.Add(1))
		return machine.Database{
			Open: func() (ports.Store, error) {
				return postgres.Open(context.Background(), dsn, postgres.Options{Schema: schema, MaxConns: 4})
			},
			Drop: func() error {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				conn, err := pgx.Connect(ctx, dsn)
				if err != nil {
					return err
				}
				defer conn.Close(ctx)
				_, err = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
				return err
			},
		}, nil
	}
}

// targets are the stores a test runs on, by name: memory, sqlite, and
// postgres when ENTITLE_POSTGRES_DSN is set (a database that cannot be
// reached then fails the test, never skips it).
func targets(tb testing.TB, wrap func(ports.Store) ports.Store) []fuzz.Target {
	tb.Helper()
	out := []fuzz.Target{
		machine.Target("memory", machine.Options{New: memoryDB, Wrap: wrap}),
		machine.Target("sqlite", machine.Options{New: sqliteDBs(tb.TempDir()), Wrap: wrap}),
	}
	if dsn := os.Getenv("ENTITLE_POSTGRES_DSN"); dsn != "" {
		base := strings.ToLower(pgtest.Schema(tb, dsn))
		out = append(out, machine.Target("postgres", machine.Options{New: postgresDBs(dsn, base), Wrap: wrap}))
	}
	return out
}

// target is the named one of targets.
func target(tb testing.TB, name string, wrap func(ports.Store) ports.Store) fuzz.Target {
	tb.Helper()
	for _, t := range targets(tb, wrap) {
		if t.Name == name {
			return t
		}
	}
	tb.Fatalf("no store %q", name)
	return fuzz.Target{}
}
