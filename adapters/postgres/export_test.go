package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/entitle-rules/entitle/domain"
)

// MigrateTo brings schema to version and no further, so a test can build the
// database an older entitle left behind.
func MigrateTo(ctx context.Context, dsn, schema string, version int) error {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return err
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	return migrate(ctx, pool, schema, version)
}

// LatestVersion is the schema version Open migrates to.
func LatestVersion() int { return len(migrations) }

// OrderClaimKey is the advisory lock ClaimSerials tries for serial in schema.
func OrderClaimKey(schema, serial string) int64 {
	return lockKey(schema, lockOrder, domain.SerialKey(serial))
}
