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

// postgresDBs gives each history the schema, emptied: the tables that
// were empty once migrated are truncated and their sequences restarted,
// which costs a fraction of creating and migrating a schema per history.
// (Tables a migration fills, such as catalog_version, keep their rows;
// pgtest drops the schema when the test ends.)
func postgresDBs(dsn, schema string) func() (machine.Database, error) {
	open := func() (ports.Store, error) {
		return postgres.Open(context.Background(), dsn, postgres.Options{Schema: schema, MaxConns: 4})
	}
	var truncate string // "" until the schema is migrated
	return func() (machine.Database, error) {
		db := machine.Database{Open: open}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if truncate == "" {
			s, err := open() // migrates the schema
			if err != nil {
				return db, err
			}
			if err := s.Close(); err != nil {
				return db, err
			}
		}
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return db, err
		}
		defer conn.Close(ctx)
		if truncate == "" {
			rows, err := conn.Query(ctx, "SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename", schema)
			if err != nil {
				return db, err
			}
			names, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return db, err
			}
			var empty []string
			for _, n := range names {
				t := pgx.Identifier{schema, n}.Sanitize()
				var any bool
				if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+t+")").Scan(&any); err != nil {
					return db, err
				}
				if !any {
					empty = append(empty, t)
				}
			}
			truncate = "TRUNCATE " + strings.Join(empty, ", ") + " RESTART IDENTITY CASCADE"
		}
		_, err = conn.Exec(ctx, truncate)
		return db, err
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
		out = append(out, machine.Target("postgres", machine.Options{New: postgresDBs(dsn, pgtest.Schema(tb, dsn)), Wrap: wrap}))
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
