package postgres

import (
	"context"
	"hash/fnv"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/entitle-rules/entitle/domain"
)

// Concurrent Updates are kept apart per aggregate, not per table or per
// transaction: an Update that is about to read-check-write a serial's
// device, subscriptions, trials, orders and activations first takes a
// transaction-scoped advisory lock (pg_advisory_xact_lock) on that serial,
// so another Update for the same serial waits until the first commits and
// then reads what it committed, while Updates for other serials never wait
// for each other. Under READ COMMITTED each statement reads what was
// committed before it started, so reads made after the lock see the
// previous holder's writes. The unique and exclusion constraints stay as
// the backstop against writers that take no lock.
//
// The lock is taken by LockSerials, which the use case calls first thing in
// the transaction with every serial it will touch, or else by the first
// read of a serial in the Update (tx.serial). LockSerials takes its locks in
// one fixed order, so two Updates locking overlapping serials cannot
// deadlock; locks taken read by read follow the order of the reads, and a
// deadlock between two such Updates is detected by PostgreSQL and retried
// by Update.

// lockSerial is the namespace of serial aggregates in lockKey; seats and
// accounts take their own.
const lockSerial = "serial"

// maxImplicitLocks bounds the locks reads take on their own in one
// transaction. Advisory locks share PostgreSQL's lock table, which holds
// about max_locks_per_transaction (64 by default) per connection: a data
// load reading thousands of serials must not fill it. Past the bound, reads
// lock nothing and the constraints alone keep the invariants.
const maxImplicitLocks = 64

// lockKey is the advisory lock of one aggregate: a 64-bit FNV-1a hash of the
// schema, the kind of aggregate and its key, stable across processes and
// versions so that every instance sharing the database takes the same lock
// for the same serial. The schema is part of it so that installations
// sharing a database never wait for each other. Two keys with one hash share
// a lock, which costs only a wait.
func lockKey(schema, kind, key string) int64 {
	h := fnv.New64a()
	for _, s := range []string{schema, kind, key} {
		_, _ = h.Write([]byte(s))
		_, _ = h.Write([]byte{0})
	}
	return int64(h.Sum64())
}

// qLock takes the advisory locks of an array, in the array's order: unnest
// returns the elements in order, and nothing reorders its rows.
const qLock = `SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k`

// LockSerials locks the aggregates of serials (matched case-insensitively)
// until the transaction ends, waiting for the Updates that hold any of them,
// and reads what each holds (its device, subscriptions, trials and orders)
// and the catalog's version, all in one round trip, so the reads of a
// decision that follow are answered from it and from the catalog cache. Locks are taken in one order whatever the order of
// serials, so Updates that lock overlapping sets cannot deadlock. Serials
// already locked in the transaction keep what was read of them; a serial
// read before without its lock is read again. Call it before the first read
// of any of them. In a View it does nothing: a snapshot needs no lock. It
// fails with CodeUnavailable when ctx ends while it waits.
func (t *tx) LockSerials(ctx context.Context, serials ...string) error {
	return t.lockSerials(ctx, false, serials)
}

// lockSerials is LockSerials, and ClaimSerials when claim is set.
func (t *tx) lockSerials(ctx context.Context, claim bool, serials []string) error {
	if !t.Writable {
		return t.Read()
	}
	if err := t.Write(); err != nil {
		return err
	}
	seen := map[string]bool{}
	var locks []int64
	var steps []step
	var reads []*serialRows
	var c *claimStep
	if claim {
		c = t.claimStep(serials)
	}
	for _, s := range serials {
		k := domain.SerialKey(s)
		if k == "" || seen[k] {
			continue
		}
		seen[k] = true
		l := lockKey(t.schema, lockSerial, k)
		if !t.locks[l] {
			locks = append(locks, l)
			delete(t.serials, k)
		}
		if _, ok := t.serials[k]; !ok {
			r := &serialRows{}
			reads = append(reads, r)
			steps = append(steps, r.steps(k)...)
			t.serials[k] = r
		}
	}
	if len(locks) > 0 {
		slices.Sort(locks)
		locks = slices.Compact(locks) // two serials whose keys hash alike share a lock
	}
	switch {
	case c != nil:
		// The claims and the waits in one statement: the waits only when
		// every claim was had.
		steps = append([]step{c.step(locks)}, steps...)
	case len(locks) > 0:
		steps = append([]step{{sql: qLock, args: []any{locks}}}, steps...)
	}
	if len(steps) == 0 {
		return nil
	}
	if t.catalog != nil && t.catVersion == 0 && !t.catWrote {
		// The decision that follows reads the catalog too: its version
		// travels in the same batch (catalogcache.go).
		steps = append(steps, step{sql: qCatalogVersion, read: func(br pgx.BatchResults) error {
			return br.QueryRow().Scan(&t.catVersion)
		}})
	}
	if err := t.runLocked(ctx, steps); err != nil {
		return err
	}
	if c != nil {
		if err := c.outcome(t); err != nil {
			// Nothing of the serials was locked: what the batch read of
			// them is forgotten, and the transaction holds the claims it
			// had until it ends, which is at once.
			for _, r := range reads {
				for k, v := range t.serials {
					if v == r {
						delete(t.serials, k)
					}
				}
			}
			return err
		}
	}
	for _, l := range locks {
		t.locks[l] = true
	}
	for _, r := range reads {
		r.fresh = allParts
	}
	return nil
}

// runLocked runs steps that may start with locks; a failure forgets the
// serials the steps were reading, so nothing half read is ever answered
// from.
func (t *tx) runLocked(ctx context.Context, steps []step) error {
	err := t.run(ctx, steps...)
	if err != nil {
		for k, r := range t.serials {
			if r.fresh == 0 {
				delete(t.serials, k)
			}
		}
		return t.Fail(ctx, err, "%s", "lock and read serials")
	}
	return nil
}
