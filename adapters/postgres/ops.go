package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
)

// Ping runs a trivial query on the store's own tables (its schema's
// migration record), for readiness checks: it fails, CodeUnavailable or
// CodeInternal, when the database cannot be reached, the store is closed,
// ctx ends, or the schema is gone.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	var n int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil {
		return translate(ctx, err, "postgres: ping")
	}
	return nil
}

// OutboxDepth returns how many activations wait for delivery (PENDING, due
// or not): the outbox every instance sharing the schema delivers from.
func (s *Store) OutboxDepth(ctx context.Context) (int, error) {
	if err := s.usable(ctx); err != nil {
		return 0, err
	}
	var n int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM activations WHERE state = 'PENDING'").Scan(&n); err != nil {
		return 0, translate(ctx, err, "postgres: count the outbox")
	}
	return n, nil
}

// MigrationState is one migration and whether a schema has it.
type MigrationState = sqlrow.MigrationState

// MigrationStatus connects to the database dsn names and lists, for the
// schema Open would use (opts.Schema, else the DSN's search_path, else
// public), every migration this build has and any a newer build applied,
// with whether and when each was applied. It changes nothing: a missing
// schema has every migration pending. It fails as Open does for a DSN that
// does not parse or a database that cannot be reached.
func MigrationStatus(ctx context.Context, dsn string, opts Options) (schema string, states []MigrationState, err error) {
	if migrationsErr != nil {
		return "", nil, domain.Wrap(migrationsErr, domain.CodeInternal, "postgres: the embedded migrations are malformed")
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return "", nil, domain.Wrap(err, domain.CodeInvalid, "postgres: the DSN does not parse")
	}
	schema = schemaFor(opts.Schema, cfg)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return schema, nil, domain.Wrap(err, domain.CodeUnavailable, "postgres: cannot reach the database")
	}
	defer conn.Close(context.WithoutCancel(ctx))
	applied := map[int]time.Time{}
	var table *string
	if err := conn.QueryRow(ctx, "SELECT to_regclass($1)::text", pgx.Identifier{schema, "schema_migrations"}.Sanitize()).Scan(&table); err != nil {
		return schema, nil, translate(ctx, err, "postgres: find schema_migrations")
	}
	if table != nil {
		rows, err := conn.Query(ctx, "SELECT version, applied_at FROM "+pgx.Identifier{schema, "schema_migrations"}.Sanitize())
		if err != nil {
			return schema, nil, translate(ctx, err, "postgres: read schema_migrations")
		}
		for rows.Next() {
			var v int
			var at time.Time
			if err := rows.Scan(&v, &at); err != nil {
				rows.Close()
				return schema, nil, translate(ctx, err, "postgres: read schema_migrations")
			}
			applied[v] = at.UTC()
		}
		if err := rows.Err(); err != nil {
			return schema, nil, translate(ctx, err, "postgres: read schema_migrations")
		}
	}
	return schema, sqlrow.MigrationStates(migrations, applied, nil), nil
}

// schemaFor is the schema a store keeps its tables in: the one given, else
// the first of the DSN's search_path ("$user" is the user connecting),
// else public.
func schemaFor(given string, cfg *pgx.ConnConfig) string {
	if given != "" {
		return given
	}
	if first := firstSchema(cfg.RuntimeParams["search_path"]); first != "" {
		if first == "$user" {
			return cfg.User
		}
		return first
	}
	return defaultSchema
}

// firstSchema returns the first schema a search_path value names, as
// PostgreSQL reads it: a double-quoted name kept as written (with ""
// for a quote), an unquoted one folded to lower case; "" for none.
func firstSchema(path string) string {
	path = strings.TrimSpace(path)
	if path == "" {
		return ""
	}
	if path[0] == '"' {
		var b strings.Builder
		for i := 1; i < len(path); i++ {
			if path[i] == '"' {
				if i+1 < len(path) && path[i+1] == '"' {
					b.WriteByte('"')
					i++
					continue
				}
				return b.String()
			}
			b.WriteByte(path[i])
		}
		return "" // an unterminated quote names nothing
	}
	first, _, _ := strings.Cut(path, ",")
	first = strings.TrimSpace(first)
	if first == "$user" {
		return first
	}
	return strings.ToLower(first)
}
