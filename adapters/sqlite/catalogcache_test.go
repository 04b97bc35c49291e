package sqlite

import (
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// cachePart is the part the catalog cache tests change.
const cachePart = "132001-10"

// partDescription reads cachePart's description in a View of s.
func partDescription(t *testing.T, s *Store) string {
	t.Helper()
	var desc string
	if err := s.View(t.Context(), func(tx ports.Tx) error {
		p, err := tx.Catalog().Part(t.Context(), cachePart)
		desc = p.Description
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return desc
}

// putDescription stores cachePart with desc in tx.
func putDescription(t *testing.T, tx ports.Tx, desc string) error {
	t.Helper()
	return tx.Catalog().PutPart(t.Context(), domain.Part{Number: cachePart, Description: desc,
		ServiceType: "RTX", ProductLine: "CENTERPOINT", Duration: domain.Duration{N: 1, Unit: "YEAR"}})
}

// cachedStore opens a store holding cachePart, described "first", and
// reads it once, so the cache holds it.
func cachedStore(t *testing.T, path string) *Store {
	t.Helper()
	s := openTest(t, path)
	if err := s.Update(t.Context(), func(tx ports.Tx) error { return putDescription(t, tx, "first") }); err != nil {
		t.Fatal(err)
	}
	if got := partDescription(t, s); got != "first" {
		t.Fatalf("part description %q, want first", got)
	}
	return s
}

// A catalog read is answered from memory while the catalog is unchanged: a
// second read runs only the version's statement, and a caller changing
// what it was given changes nothing for the next.
func TestCatalogCacheAnswersFromMemory(t *testing.T) {
	s := cachedStore(t, filepath.Join(t.TempDir(), "e.db"))
	before := s.readers.statements.Load()
	if err := s.View(t.Context(), func(tx ports.Tx) error {
		p, err := tx.Catalog().Part(t.Context(), cachePart)
		p.Models = append(p.Models, "CHANGED")
		p.Description = "CHANGED"
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// BEGIN, the version, ROLLBACK: no read of parts.
	if n := s.readers.statements.Load() - before; n != 3 {
		t.Errorf("a View reading a cached part ran %d statements, want 3", n)
	}
	if got := partDescription(t, s); got != "first" {
		t.Errorf("after a caller changed its copy, the part reads %q, want first", got)
	}
}

// An Update that changes the catalog reads its own writes, though the cache
// held the old value at the version the Update read first; a later View
// sees the commit; a rolled-back change leaves the cached value good.
func TestCatalogCacheSeesTheStoresWrites(t *testing.T) {
	ctx := t.Context()
	s := cachedStore(t, filepath.Join(t.TempDir(), "e.db"))
	if err := s.Update(ctx, func(tx ports.Tx) error {
		if p, err := tx.Catalog().Part(ctx, cachePart); err != nil || p.Description != "first" {
			t.Errorf("before the write the Update reads %q (%v), want first", p.Description, err)
		}
		if err := putDescription(t, tx, "second"); err != nil {
			return err
		}
		if p, err := tx.Catalog().Part(ctx, cachePart); err != nil || p.Description != "second" {
			t.Errorf("after its own write the Update reads %q (%v), want second", p.Description, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := partDescription(t, s); got != "second" {
		t.Errorf("after the commit a View reads %q, want second", got)
	}
	refused := errors.New("refused")
	if err := s.Update(ctx, func(tx ports.Tx) error {
		if err := putDescription(t, tx, "rolled back"); err != nil {
			return err
		}
		return refused
	}); !errors.Is(err, refused) {
		t.Fatalf("Update returned %v, want %v", err, refused)
	}
	if got := partDescription(t, s); got != "second" {
		t.Errorf("after a rolled-back write a View reads %q, want second", got)
	}
}

// With group commit the Updates of a batch share one transaction: one that
// reads the catalog after another of the batch changed it sees the change,
// though an Update before both read the version and cached the old value.
func TestCatalogCacheSeesEarlierUpdatesOfItsBatch(t *testing.T) {
	ctx := t.Context()
	s := cachedStore(t, filepath.Join(t.TempDir(), "e.db"))
	release := make(chan struct{})
	wait := holdWriter(t, s, release)
	read := func(want string) <-chan error {
		done := make(chan error, 1)
		go func() {
			done <- s.Update(ctx, func(tx ports.Tx) error {
				p, err := tx.Catalog().Part(ctx, cachePart)
				if err == nil && p.Description != want {
					err = errors.New("read " + p.Description + ", want " + want)
				}
				return err
			})
		}()
		return done
	}
	first := read("first")
	awaitQueued(t, s, 1)
	write := make(chan error, 1)
	go func() {
		write <- s.Update(ctx, func(tx ports.Tx) error { return putDescription(t, tx, "second") })
	}()
	awaitQueued(t, s, 2)
	second := read("second")
	awaitQueued(t, s, 3)
	commits, _ := s.w.batchStats()
	close(release)
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	for i, done := range []<-chan error{first, write, second} {
		if err := <-done; err != nil {
			t.Errorf("Update %d of the batch: %v", i+1, err)
		}
	}
	if after, _ := s.w.batchStats(); after-commits != 2 {
		t.Errorf("%d commits, want 2 (the holder's, then the batch of three)", after-commits)
	}
}

// Another process writing the same file changes the catalog under this
// Store's cache: another Store, and plain SQL (the triggers move the
// version whoever writes).
func TestCatalogCacheSeesOtherProcessesWrites(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "e.db")
	s := cachedStore(t, path)
	other := openTest(t, path)
	if err := other.Update(ctx, func(tx ports.Tx) error { return putDescription(t, tx, "by another store") }); err != nil {
		t.Fatal(err)
	}
	if got := partDescription(t, s); got != "by another store" {
		t.Errorf("after another Store's write a View reads %q, want %q", got, "by another store")
	}
	var inUpdate string
	if err := s.Update(ctx, func(tx ports.Tx) error {
		p, err := tx.Catalog().Part(ctx, cachePart)
		inUpdate = p.Description
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if inUpdate != "by another store" {
		t.Errorf("an Update reads %q, want %q", inUpdate, "by another store")
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `UPDATE parts SET description = 'by hand' WHERE number = ?`, cachePart); err != nil {
		t.Fatal(err)
	}
	if got := partDescription(t, s); got != "by hand" {
		t.Errorf("after a write in plain SQL a View reads %q, want %q", got, "by hand")
	}
}

// Every catalog read a decision makes is cached, and every catalog write
// invalidates it: a customer's sites, the price lists (by id and by
// country), the models (with and without a manufacturer) and promo codes.
func TestCatalogCacheCoversEveryCatalogRead(t *testing.T) {
	ctx := t.Context()
	s := openTest(t, filepath.Join(t.TempDir(), "e.db"))
	put := func(name string) {
		t.Helper()
		if err := s.Update(ctx, func(tx ports.Tx) error {
			return errors.Join(
				tx.Customers().Put(ctx, domain.Customer{ID: "r1", ClientID: "c1", Name: name, Country: "US",
					Sites: []domain.Site{{SiteUseID: 7, Use: domain.BillTo}}}),
				tx.Catalog().PutPriceList(ctx, domain.PriceList{ID: "pl", Currency: domain.Currency(name), Countries: []string{"US"}}),
				tx.Catalog().PutModel(ctx, domain.Model{Manufacturer: "Trimble", Name: "R12", SerialPattern: name}),
				tx.Catalog().PutPromo(ctx, domain.PromoCode{Code: name}),
			)
		}); err != nil {
			t.Fatal(err)
		}
	}
	read := func() (got []string) {
		t.Helper()
		if err := s.View(ctx, func(tx ports.Tx) error {
			c, err1 := tx.Customers().BySite(ctx, 7, domain.BillTo)
			l, err2 := tx.Catalog().PriceList(ctx, "pl")
			lc, err3 := tx.Catalog().PriceListForCountry(ctx, "us")
			m, err4 := tx.Catalog().Model(ctx, "trimble", "r12")
			ma, err5 := tx.Catalog().Model(ctx, "", "R12")
			p, err6 := tx.Catalog().Promo(ctx, c.Name)
			got = []string{c.Name, string(l.Currency), string(lc.Currency), m.SerialPattern, ma.SerialPattern, p.Code}
			return errors.Join(err1, err2, err3, err4, err5, err6)
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	for _, name := range []string{"AAA", "BBB"} {
		put(name)
		for range 2 { // the second from memory
			want := []string{name, name, name, name, name, name}
			if got := read(); !slices.Equal(got, want) {
				t.Errorf("after storing %s the catalog reads %q, want %q", name, got, want)
			}
		}
	}
}
