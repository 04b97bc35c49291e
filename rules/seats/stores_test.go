package seats_test

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/adapters/sqlite"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/seats"
)

// storeKind opens the Store instances of one kind that share one state: one
// for memory and SQLite (a single writer), two for PostgreSQL (two servers
// on one database).
type storeKind struct {
	name string
	open func(tb testing.TB) []ports.Store
}

// everyStore lists the stores the use case runs on here; PostgreSQL when
// ENTITLE_POSTGRES_DSN is set.
func everyStore(tb testing.TB) []storeKind {
	kinds := []storeKind{
		{"memory", func(tb testing.TB) []ports.Store { return []ports.Store{memoryStore(tb)} }},
		{"sqlite", func(tb testing.TB) []ports.Store {
			s, err := sqlite.Open(filepath.Join(tb.TempDir(), "seats.db"), sqlite.Options{})
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { s.Close() })
			return []ports.Store{s}
		}},
	}
	dsn := os.Getenv("ENTITLE_POSTGRES_DSN")
	if dsn == "" {
		tb.Logf("ENTITLE_POSTGRES_DSN is not set: the PostgreSQL cases are skipped")
		return kinds
	}
	return append(kinds, storeKind{"postgres", func(tb testing.TB) []ports.Store {
		schema := "entitle_test_" + strings.ToLower(rand.Text())
		tb.Cleanup(func() {
			conn, err := pgx.Connect(context.Background(), dsn)
			if err != nil {
				tb.Errorf("dropping schema %s: %v", schema, err)
				return
			}
			defer conn.Close(context.Background())
			if _, err := conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
				tb.Errorf("dropping schema %s: %v", schema, err)
			}
		})
		var out []ports.Store
		for range 2 {
			s, err := postgres.Open(context.Background(), dsn, postgres.Options{Schema: schema})
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { s.Close() })
			out = append(out, s)
		}
		return out
	}})
}

// newWorldOn is newWorld on the stores open gives, with a service on each.
func newWorldOn(tb testing.TB, open func(testing.TB) []ports.Store, copilotSeats int) (*world, []*seats.Service) {
	tb.Helper()
	stores := open(tb)
	w := &world{store: stores[0], clock: &clock{t: day0}}
	set := shippedRules(tb)
	var svcs []*seats.Service
	for _, s := range stores {
		svc, err := seats.New(seats.Options{Store: s, Rules: set, Clock: w.clock})
		if err != nil {
			tb.Fatal(err)
		}
		svcs = append(svcs, svc)
	}
	w.svc = svcs[0]
	w.partner = domain.Principal{Partner: "fleet-partner", Credential: domain.APIKey}
	w.acct = must(w.svc.CreateCompany(ctx, w.partner, seats.CompanyRequest{Name: "Acme Fleet"}))(tb)
	w.admin = accountToken(w.acct)
	if copilotSeats > 0 {
		must(w.svc.SetSeats(ctx, w.partner, seats.SeatsRequest{Alias: w.acct.Alias, ProductID: "CoPilot", Seats: copilotSeats}))(tb)
	}
	return w, svcs
}
