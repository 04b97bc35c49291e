package sqlrow_test

import (
	"context"
	"errors"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
)

func TestMigrations(t *testing.T) {
	files := fstest.MapFS{
		"migrations/0002_clients.sql": {Data: []byte("CREATE TABLE clients (id text);")},
		"migrations/0001_core.sql":    {Data: []byte("CREATE TABLE orders (id int);")},
		"migrations/README":           {Data: []byte("not a migration")},
	}
	got, err := sqlrow.Migrations(files, "migrations")
	want := []sqlrow.Migration{
		{Version: 1, Name: "core", File: "0001_core.sql", SQL: "CREATE TABLE orders (id int);"},
		{Version: 2, Name: "clients", File: "0002_clients.sql", SQL: "CREATE TABLE clients (id text);"},
	}
	if d := cmp.Diff(want, got); err != nil || d != "" {
		t.Errorf("Migrations (-want +got, %v):\n%s", err, d)
	}
	for _, bad := range []string{"0003_.sql", "3_clients.sql", "00003_clients.sql", "0003-clients.sql", "0004_next.sql", "0002_again.sql"} {
		broken := fstest.MapFS{"migrations/0001_core.sql": files["migrations/0001_core.sql"], "migrations/0002_clients.sql": files["migrations/0002_clients.sql"],
			"migrations/" + bad: {Data: []byte("SELECT 1;")}}
		if _, err := sqlrow.Migrations(broken, "migrations"); domain.ErrorCode(err) != domain.CodeInternal {
			t.Errorf("Migrations with %s = %v, want %q: a broken build", bad, err, domain.CodeInternal)
		}
	}
	if ms, err := sqlrow.Migrations(fstest.MapFS{}, "migrations"); err != nil || len(ms) != 0 {
		t.Errorf("Migrations of no files = %v, %v; want none", ms, err)
	}
}

func TestUsable(t *testing.T) {
	ctx := t.Context()
	if err := sqlrow.Usable(ctx, "sqlite", false); err != nil {
		t.Errorf("Usable of an open store = %v", err)
	}
	err := sqlrow.Usable(ctx, "sqlite", true)
	if domain.ErrorCode(err) != domain.CodeUnavailable || err.Error() != "sqlite: the store is closed" {
		t.Errorf("Usable of a closed store = %v, want %q", err, domain.CodeUnavailable)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	err = sqlrow.Usable(done, "", false)
	if domain.ErrorCode(err) != domain.CodeUnavailable || !errors.Is(err, context.Canceled) ||
		err.Error() != "the transaction was abandoned: context canceled" {
		t.Errorf("Usable with a cancelled context = %v, want %q with the context's error", err, domain.CodeUnavailable)
	}
}
