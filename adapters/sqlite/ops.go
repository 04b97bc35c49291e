package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"time"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
)

// Ping runs a trivial query on the store's own tables (its migration
// record) on a reader connection, for readiness checks: it fails,
// CodeUnavailable, when the store is closed, ctx ends or every reader is
// busy until then, and CodeInternal when the file cannot be read.
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.count(ctx, "SELECT count(*) FROM schema_migrations", "sqlite: ping")
	return err
}

// OutboxDepth returns how many activations wait for delivery (PENDING, due
// or not).
func (s *Store) OutboxDepth(ctx context.Context) (int, error) {
	return s.count(ctx, "SELECT count(*) FROM activations WHERE state = 'PENDING'", "sqlite: count the outbox")
}

func (s *Store) count(ctx context.Context, query, what string) (int, error) {
	c, err := s.readers.acquire(ctx, s.closing)
	if err != nil {
		return 0, err
	}
	defer s.readers.release(c)
	var n int
	if err := c.c.QueryRowContext(ctx, query).Scan(&n); err != nil {
		return 0, c.fail(ctx, err, "%s", what)
	}
	return n, nil
}

// MigrationState is one migration and whether a database file has it.
type MigrationState = sqlrow.MigrationState

// MigrationStatus lists, for the SQLite file at path, every migration this
// build has and any a newer build applied, with whether and when each was
// applied. It opens the file read-only and changes nothing; a file with no
// schema yet has every migration pending. It fails with CodeNotFound when
// there is no file at path (it never creates one) and CodeInternal when the
// file is not an SQLite database.
func MigrationStatus(ctx context.Context, path string) ([]MigrationState, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, domain.Errorf(domain.CodeNotFound, "path", "sqlite: there is no database file %s", path)
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", "busy_timeout(5000)")
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, domain.Wrap(err, domain.CodeInternal, "sqlite: open %s", path)
	}
	defer db.Close()
	var tables int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").Scan(&tables); err != nil {
		return nil, translate(ctx, err, "sqlite: read %s", path)
	}
	applied, names := map[int]time.Time{}, map[int]string{}
	if tables > 0 {
		rows, err := db.QueryContext(ctx, "SELECT version, name, applied_at FROM schema_migrations")
		if err != nil {
			return nil, translate(ctx, err, "sqlite: read the migrations of %s", path)
		}
		defer rows.Close()
		for rows.Next() {
			var (
				v       int
				name, s string
			)
			if err := rows.Scan(&v, &name, &s); err != nil {
				return nil, translate(ctx, err, "sqlite: read the migrations of %s", path)
			}
			at, _ := time.Parse(time.RFC3339Nano, s)
			applied[v], names[v] = at.UTC(), name
		}
		if err := rows.Err(); err != nil {
			return nil, translate(ctx, err, "sqlite: read the migrations of %s", path)
		}
	}
	return sqlrow.MigrationStates(ms, applied, names), nil
}
