package sqlite

import (
	"context"
	"embed"
	"sync"
	"time"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
)

// The schema's history, one file per version: NNNN_name.sql, numbered from
// 0001 without gaps. A released file is never edited; a change is a new file.
// Migrations only go forward: there is no down migration to lose data with.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations reads and checks the embedded files once (sqlrow.Migrations).
// An error here is a broken build (a misnamed file, a gap), reported by Open
// as CodeInternal.
var migrations = sync.OnceValues(func() ([]sqlrow.Migration, error) {
	return sqlrow.Migrations(migrationFiles, "migrations")
})

// latest means every migration this build has.
const latest = int(^uint(0) >> 1)

// migrate brings the schema of the file at path up to version upTo (or the
// newest this build has), all pending versions in one transaction: a failed
// migration leaves the file as it was. BEGIN IMMEDIATE makes two processes
// opening one file at once migrate it one after the other; the second finds
// nothing left to do.
func (s *Store) migrate(ctx context.Context, file string, upTo int) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	c, err := s.writer.acquire(ctx, s.closing)
	if err != nil {
		return err
	}
	defer s.writer.release(c)
	if err := c.exec(ctx, "BEGIN IMMEDIATE"); err != nil {
		return c.fail(ctx, err, "sqlite: open %s: begin the migrations", file)
	}
	if err := apply(ctx, c, file, ms, upTo); err != nil {
		c.rollback()
		return err
	}
	if err := c.exec(ctx, "COMMIT"); err != nil {
		c.rollback()
		return c.fail(ctx, err, "sqlite: open %s: commit the migrations", file)
	}
	return nil
}

func apply(ctx context.Context, c *conn, file string, ms []sqlrow.Migration, upTo int) error {
	if err := c.script(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	) STRICT`); err != nil {
		return c.fail(ctx, err, "sqlite: open %s: create schema_migrations", file)
	}
	var current int
	if err := c.c.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&current); err != nil {
		return c.fail(ctx, err, "sqlite: open %s: read the schema version", file)
	}
	if current > len(ms) {
		return domain.Errorf(domain.CodeInvalid, "path",
			"sqlite: %s has schema version %d, newer than version %d, the newest this build of entitle knows; "+
				"open it with a build at least as new as the one that migrated it (migrations only go forward)",
			file, current, len(ms))
	}
	for _, m := range ms {
		if m.Version <= current || m.Version > upTo {
			continue
		}
		if err := c.script(ctx, m.SQL); err != nil {
			return c.fail(ctx, err, "sqlite: open %s: apply migration %04d_%s", file, m.Version, m.Name)
		}
		if _, err := c.c.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
			m.Version, m.Name, instant(time.Now())); err != nil {
			return c.fail(ctx, err, "sqlite: open %s: record migration %04d_%s", file, m.Version, m.Name)
		}
	}
	return nil
}
