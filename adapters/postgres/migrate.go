package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
)

// The migrations are NNNN_name.sql, applied in version order, each once, and
// never edited after they ship: a change is a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations are the embedded migrations, versions 1..n in order
// (sqlrow.Migrations), or nil when the files are malformed (migrationsErr
// says how); Open reports that rather than panicking at init.
var migrations, migrationsErr = sqlrow.Migrations(migrationFiles, "migrations")

// ErrNewerSchema is the cause Open wraps when the database's schema was
// migrated by a newer entitle: this binary does not know what the newer
// migrations changed, so it does not touch the data. Deploy the newer
// binary, or restore the database.
var ErrNewerSchema = errors.New("the database schema is newer than this entitle knows")

// migrationLock is the pg_advisory_xact_lock key that serializes migrations.
// It is one key for the whole database, not one per schema: installing
// btree_gist is database-wide, and two schemas migrating at once would race
// for it.
const migrationLock int64 = 0x656e7469746c65 // "entitle"

// migrate brings schema to version target (len(migrations) but in tests) in
// one transaction: either every pending migration is applied and recorded,
// or none is.
func migrate(ctx context.Context, pool *pgxpool.Pool, schema string, target int) error {
	if migrationsErr != nil {
		return domain.Wrap(migrationsErr, domain.CodeInternal, "postgres: the embedded migrations are malformed")
	}
	if target > len(migrations) {
		return domain.Errorf(domain.CodeInternal, "", "postgres: no migration %d (the latest is %d)", target, len(migrations))
	}
	err := pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{}, func(t pgx.Tx) error {
		if _, err := t.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
			return err
		}
		// Create the schema only when missing: CREATE SCHEMA IF NOT EXISTS
		// checks the right to create before it checks existence, and a role
		// that may use an existing schema need not be allowed to create one.
		var exists bool
		if err := t.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", schema).Scan(&exists); err != nil {
			return err
		}
		id := pgx.Identifier{schema}.Sanitize()
		if !exists {
			if _, err := t.Exec(ctx, "CREATE SCHEMA "+id); err != nil {
				return err
			}
		}
		if _, err := t.Exec(ctx, "SET LOCAL search_path TO "+id); err != nil {
			return err
		}
		if _, err := t.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		var current int
		if err := t.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&current); err != nil {
			return err
		}
		if current > len(migrations) {
			return domain.Wrap(ErrNewerSchema, domain.CodeInternal,
				"postgres: schema %q is at version %d, this entitle knows versions up to %d", schema, current, len(migrations))
		}
		for _, m := range migrations[current:target] {
			// No arguments: pgx sends the file as a simple query, which may
			// hold many statements.
			if _, err := t.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.File, err)
			}
			if _, err := t.Exec(ctx, "INSERT INTO schema_migrations (version) VALUES ($1)", m.Version); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	return translate(ctx, err, fmt.Sprintf("postgres: migrating schema %q", schema))
}
