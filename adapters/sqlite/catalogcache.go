package sqlite

import (
	"context"
	"slices"
	"sync"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
)

// The catalog (customers and their sites, parts, models, price lists, promo
// codes) changes when data is loaded, and is read by every decision. A Store
// keeps what it read of it in memory, tagged with the catalog's version
// (catalog_version, migration 0007, which a trigger on each of those tables
// moves on in the same transaction, whoever writes: this Store, another
// process sharing the file, the sqlite3 shell). A transaction reads the
// version once, with its first catalog read, and is answered from memory
// only what was cached at that version. A SQLite transaction reads one
// snapshot throughout, so the version and the rows it reads agree, and a
// write transaction holds the file's write lock from its BEGIN IMMEDIATE:
// no other process changes the catalog under it. The version row rather
// than PRAGMA data_version, which moves with any commit of another
// connection: every View's reader would see the writer's orders move it.
//
// A transaction that writes the catalog through the Store reads it from the
// database from then on, to see its own writes; with group commit the
// transaction is shared by a batch of Updates, so the mark is the
// transaction's (conn.catWrote), not the Update's, and holds for the
// Updates after the one that wrote. (A write in raw SQL, outside the
// Store's methods, moves the version but not the mark: the transaction's
// later reads may still be answered from memory; the next transaction sees
// the new version.) What was not found is not cached.

// catalogCache is a Store's memory of the catalog. It is safe for
// concurrent use.
type catalogCache struct {
	mu      sync.Mutex
	version int64 // of every entry; 0 before the first
	entries map[string]any
}

// maxCatalogEntries bounds the memory a catalog takes: past it the cache
// starts again, empty.
const maxCatalogEntries = 10_000

// get returns the value cached under key at version.
func (c *catalogCache) get(version int64, key string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != version {
		return nil, false
	}
	v, ok := c.entries[key]
	return v, ok
}

// put caches v under key, read at version: a newer version replaces every
// entry, an older one (a View that began before a load committed) is not
// kept.
func (c *catalogCache) put(version int64, key string, v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if version < c.version {
		return
	}
	if version != c.version || len(c.entries) >= maxCatalogEntries {
		c.version, c.entries = version, map[string]any{}
	}
	c.entries[key] = v
}

const qCatalogVersion = `SELECT version FROM catalog_version`

// catalogVersion is the version this transaction reads the catalog at,
// read with the transaction's first catalog read.
func (t *tx) catalogVersion(ctx context.Context) (int64, error) {
	if t.c.catVersion == 0 {
		if err := t.QueryRow(ctx, qCatalogVersion).Scan(&t.c.catVersion); err != nil {
			return 0, t.Fail(ctx, err, "read the catalog's version")
		}
	}
	return t.c.catVersion, nil
}

// catalogWrite notes that the transaction changes the catalog: from now on
// it reads the catalog from the database.
func (t *tx) catalogWrite() { t.c.catWrote = true }

// cachedRow reads one catalog row as sqlrow.One would, through the Store's
// cache under key. clone copies what a caller could change of a value, so
// the cached one stays as read.
func cachedRow[T any](ctx context.Context, t *tx, key, what string, scan func(sqlrow.Scanner) (T, error), clone func(T) T,
	notFound func() error, query string, args ...any) (T, error) {
	var zero T
	if err := t.Read(); err != nil {
		return zero, err
	}
	cache := t.c.p.catalog
	if t.c.catWrote || cache == nil {
		return sqlrow.One(ctx, t, what, scan, notFound, query, args...)
	}
	at, err := t.catalogVersion(ctx)
	if err != nil {
		return zero, err
	}
	if v, ok := cache.get(at, key); ok {
		return clone(v.(T)), nil
	}
	v, err := sqlrow.One(ctx, t, what, scan, notFound, query, args...)
	if err != nil {
		return zero, err
	}
	cache.put(at, key, clone(v))
	return v, nil
}

// copies of cached values, so a caller changing what it was given never
// changes what the next caller reads.

func clonePart(p domain.Part) domain.Part {
	p.Models, p.Regions = slices.Clone(p.Models), slices.Clone(p.Regions)
	return p
}

func clonePriceList(l domain.PriceList) domain.PriceList {
	l.Countries, l.Items = slices.Clone(l.Countries), slices.Clone(l.Items)
	return l
}

func cloneCustomer(c domain.Customer) domain.Customer {
	c.Sites = slices.Clone(c.Sites)
	return c
}

// same is the clone of a value with nothing a caller could change in place
// (a model's compiled pattern is safe for concurrent use).
func same[T any](v T) T { return v }
