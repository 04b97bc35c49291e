// Package postgres is the ports.Store on PostgreSQL (15 or later) through
// jackc/pgx v5: the store several `entitle serve` instances share, so
// entitle scales past one machine with stateless instances behind a load
// balancer and the state, and the invariants, in one database.
//
// Import it from the program that wires entitle together (adapters/cmd) or
// from a Go service that embeds the engine and already runs PostgreSQL.
// Everything above the ports sees only ports.Store; the engine cannot tell
// this store from the in-memory reference (adapters/memory), and both pass
// the same contract suite (ports/storetest).
//
// What is particular to it:
//
//   - Update runs fn in a SERIALIZABLE transaction and runs it again, after a
//     jittered exponential backoff, when PostgreSQL reports a serialization
//     failure or a deadlock; after Options.MaxAttempts it gives up with
//     domain.CodeConflict. So the engine's read-check-write (is the trial
//     used? is an order in progress? where does the chain of renewals end?)
//     is safe across processes with no explicit locks. View runs in a READ
//     ONLY REPEATABLE READ transaction: one snapshot, never retried.
//   - The invariants are constraints, not only Go checks: one trial grant per
//     serial key and product line (a primary key), no two live
//     subscriptions of one serial and product line sharing a day (an EXCLUDE
//     USING gist constraint on a daterange, with btree_gist), one
//     in-progress order per serial (a partial unique index), one owner per
//     site use, one price list per country, one idempotency record per
//     client and key. Violations come back as domain.CodeConflict, a period
//     ending before it starts as domain.CodeInvalid.
//   - Open applies the embedded, forward-only migrations (migrations/*.sql)
//     in one transaction under an advisory lock, so instances starting
//     together do not race, and records them in schema_migrations. A
//     database migrated by a newer binary is refused (ErrNewerSchema).
//   - Options.Schema puts the tables in a schema of their own (created when
//     missing, used through search_path): one database can hold several
//     entitle installations, and tests use a fresh schema each.
//   - SERIALIZABLE checks conflicts through predicate locks on the index
//     pages a transaction read, so two orders conflict when they read or
//     write one page, even for different serials. The schema keeps such
//     pages apart: the reads for the one-in-progress-order rule go through
//     the serial-keyed primary key of order_serials, never the small partial
//     index every new order writes; orders are found by unique id through a
//     hash index, not the primary key whose newest page every new order
//     writes; SetStatus leaves the order's indexes alone; and the
//     connections ask the planner for index scans (enable_seqscan=off), as a
//     scan of a whole table locks all of it. What remains (neighbouring
//     serials ordered at once, tables still a few pages small) is retried.
//
// Storage choices: serial and model keys are folded in Go with the functions
// the memory store uses, and stored beside the spelling as entered; lists
// come back in Go's byte order (COLLATE "C"); civil dates are date columns,
// instants timestamptz (microseconds: finer digits are truncated); money is
// numeric read back as text, or exact decimal text inside jsonb, so a
// decimal.Decimal keeps its digits; the parts of a value nobody looks up by
// (a customer's sites as written, a price list's items, an order's lines)
// are jsonb, beside the indexed rows that back lookups and invariants
// (customer_sites, price_list_countries, order_serials). Order numbers come
// from sequences starting at the seed's 13331 and 2342342; a sequence is not
// transactional, so a rolled-back or retried Create leaves a gap.
package postgres
