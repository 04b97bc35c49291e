// Package pgtest gives tests that run against PostgreSQL a schema of their
// own, dropped with everything in it when the test ends, so test runs never
// see each other's rows. Tests of every adapter import it; nothing else
// should.
package pgtest

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Schema returns the name of a schema no test has used ("entitle_test_"
// and random letters) and drops it, with everything in it, when tb ends.
// The schema itself is created by whoever opens a store on it.
func Schema(tb testing.TB, dsn string) string {
	tb.Helper()
	schema := "entitle_test_" + strings.ToLower(rand.Text())
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			tb.Errorf("dropping schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	return schema
}
