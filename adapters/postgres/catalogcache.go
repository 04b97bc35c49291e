package postgres

import (
	"context"
	"sync"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
)

// The catalog (customers and their sites, parts, models, price lists, promo
// codes) changes when data is loaded, and is read by every decision. A Store
// keeps what it read of it in memory, tagged with the catalog's version
// (catalog_version, migration 0005, which any change to those tables moves
// on in the same transaction, whoever makes it). A transaction reads the
// version once, with its first catalog read, and is answered from memory
// only what was read at that version, so it never sees a catalog older than
// the one committed when it read the version: a load committed before an
// order starts is what the order is decided on, on every instance. A value
// is cached with the version read in the same statement, so a value and its
// version always come from one snapshot. A transaction that writes the
// catalog reads it from the database from then on, to see its own writes.
// What was not found is not cached.

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
// entry, an older one is not kept.
func (c *catalogCache) put(version int64, key string, v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if version < c.version {
		return
	}
	if version > c.version || len(c.entries) >= maxCatalogEntries {
		c.version, c.entries = version, map[string]any{}
	}
	c.entries[key] = v
}

const qCatalogVersion = `SELECT version FROM catalog_version`

// selectVersioned begins a query of one catalog row that also returns,
// first, the catalog's version in the same snapshot.
const selectVersioned = `SELECT (SELECT version FROM catalog_version), `

// prefixed scans columns a query puts before those a scan function reads,
// such as the version selectVersioned puts first, into first.
type prefixed struct {
	r     sqlrow.Scanner
	first []any
}

func (s prefixed) Scan(dest ...any) error {
	return s.r.Scan(append(s.first[:len(s.first):len(s.first)], dest...)...)
}

// catalogVersion is the version this transaction reads the catalog at,
// read with the transaction's first catalog read.
func (t *tx) catalogVersion(ctx context.Context) (int64, error) {
	if t.catVersion == 0 {
		if err := t.QueryRow(ctx, qCatalogVersion).Scan(&t.catVersion); err != nil {
			return 0, t.Fail(ctx, err, "read the catalog's version")
		}
	}
	return t.catVersion, nil
}

// catalogWrite notes that the transaction changes the catalog: from now on
// it reads the catalog from the database.
func (t *tx) catalogWrite() { t.catWrote = true }

// cachedRow reads one catalog row as sqlrow.One would, through the Store's
// cache under key: query begins with selectVersioned. clone copies what a caller
// could change of a value, so the cached one stays as read.
func cachedRow[T any](ctx context.Context, t *tx, key, what string, scan func(sqlrow.Scanner) (T, error), clone func(T) T,
	notFound func() error, query string, args ...any) (T, error) {
	var zero T
	if err := t.Read(); err != nil {
		return zero, err
	}
	var version int64
	read := func(r sqlrow.Scanner) (T, error) { return scan(prefixed{r, []any{&version}}) }
	if t.catWrote || t.catalog == nil {
		return sqlrow.One(ctx, t, what, read, notFound, query, args...)
	}
	at, err := t.catalogVersion(ctx)
	if err != nil {
		return zero, err
	}
	if v, ok := t.catalog.get(at, key); ok {
		return clone(v.(T)), nil
	}
	v, err := sqlrow.One(ctx, t, what, read, notFound, query, args...)
	if err != nil {
		return zero, err
	}
	t.catalog.put(version, key, clone(v))
	return v, nil
}
