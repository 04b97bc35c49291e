package postgres_test

import (
	"testing"

	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// TestCatalogCacheFollowsEveryWriter: a Store answers catalog reads from
// memory (catalogcache.go), yet a read that starts after a change committed
// sees it, whoever made it: the same Store, another Store on the schema (a
// second instance), or SQL written by hand. A transaction that changes the
// catalog reads its own change, and a caller changing a value it was given
// changes nothing for the next one.
func TestCatalogCacheFollowsEveryWriter(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	schema := freshSchema(t, dsn)
	a := openStore(t, dsn, postgres.Options{Schema: schema})
	b := openStore(t, dsn, postgres.Options{Schema: schema})
	conn := rawConn(t, dsn, schema)
	put := func(s ports.Store, desc string) {
		t.Helper()
		if err := s.Update(ctx, func(tx ports.Tx) error {
			return tx.Catalog().PutPart(ctx, domain.Part{Number: "P-1", Description: desc, Models: []string{"R12"}})
		}); err != nil {
			t.Fatal(err)
		}
	}
	part := func(s ports.Store) domain.Part {
		t.Helper()
		var p domain.Part
		if err := s.View(ctx, func(tx ports.Tx) (err error) { p, err = tx.Catalog().Part(ctx, "P-1"); return err }); err != nil {
			t.Fatal(err)
		}
		return p
	}
	want := func(who, desc string) {
		t.Helper()
		if got := part(a).Description; got != desc {
			t.Errorf("after %s, Part(P-1) reads %q, want %q", who, got, desc)
		}
	}
	put(a, "one")
	want("the first write", "one")
	got := part(a)
	got.Models[0] = "changed by a caller"
	if again := part(a); again.Models[0] != "R12" {
		t.Errorf("a caller changing its copy changed the cache: %v", again.Models)
	}
	put(a, "two")
	want("a write through the same Store", "two")
	put(b, "three")
	want("a write through another Store", "three")
	if _, err := conn.Exec(ctx, `UPDATE parts SET description = 'four' WHERE number = 'P-1'`); err != nil {
		t.Fatal(err)
	}
	want("a write by hand", "four")
	if err := a.Update(ctx, func(tx ports.Tx) error {
		if _, err := tx.Catalog().Part(ctx, "P-1"); err != nil {
			return err
		}
		if err := tx.Catalog().PutPart(ctx, domain.Part{Number: "P-1", Description: "five"}); err != nil {
			return err
		}
		p, err := tx.Catalog().Part(ctx, "P-1")
		if err == nil && p.Description != "five" {
			t.Errorf("in the transaction that changed it, Part(P-1) reads %q, want %q", p.Description, "five")
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	want("a transaction that read it first", "five")
}
