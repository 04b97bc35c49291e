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
//   - Update runs fn in a READ COMMITTED transaction. The engine's
//     read-check-write (is the trial used? is an order in progress? where
//     does the chain of renewals end?) is serialized per serial by a
//     transaction-scoped advisory lock: a use case calls LockSerials first
//     with every serial it will touch (taken in one sorted statement, so
//     orders cannot deadlock), else the first read of a serial takes its
//     lock (see lock.go). A deadlock is retried after a jittered backoff;
//     after Options.MaxAttempts, or on any serialization failure, Update
//     gives up with domain.CodeUnavailable (503 over HTTP, retry later),
//     never CodeConflict. View runs in a READ ONLY REPEATABLE READ
//     transaction: one snapshot, never retried.
//   - Few round trips: BEGIN goes with the first statement; the first read
//     of a serial fetches its device, subscriptions, trials and orders in
//     one batch; single-row writes are held back and sent with the next
//     statement that needs an answer, or with COMMIT (a failing one stops
//     the COMMIT). A one-line order is 18 statements in 6 round trips
//     (TestRoundTripsPerOrder).
//   - The seats (seeds 000 and 004: accounts, their users, licenses as one
//     row per seat, assignments) are serialized per account: a use case
//     calls LockAccount first, a transaction-scoped advisory lock in its own
//     namespace that travels with the transaction's next statement, so it
//     costs no round trip. Seat writes are made in forms the constraints
//     refuse without failing the transaction (INSERT ... ON CONFLICT DO
//     NOTHING, UPDATEs guarded by NOT EXISTS), so a bulk assignment answers
//     item by item and commits the items that pass; a refusal is explained
//     by a second statement naming the field at fault (licenseId, userId,
//     externalId, username, alias).
//   - The accounts (seeds 002 and 003: seed 003's account object, client
//     plans per partner, managed-billing links) share the seats' account
//     lock. At most one primary manages an account per service at a time:
//     a partial unique index over the live links (ADDED, ACTIVATED), so two
//     instances adding or provisioning one account at once cannot both
//     win, locked or not. A bulk add goes on past a refused item (INSERT
//     ... ON CONFLICT DO NOTHING, the refusal CodeConflict naming
//     managedAccList). Blocks are dated records in the account row, read
//     through domain.Account.BlockedAt: nothing runs at blocked_at.
//     Accounts.Count is one statement through an index on (partner,
//     attached, activated).
//   - A catalog cache per Store (customers by site, parts, models, price
//     lists, promo codes) tagged with a catalog version that a statement
//     trigger moves on whenever those tables change, whoever writes
//     (migration 0005); a transaction reads the version with its first
//     catalog read, so every instance sees a load committed before it.
//   - The invariants are constraints, not only Go checks: one trial grant per
//     serial key and product line (a primary key), no two live
//     subscriptions of one serial and product line sharing a day (an EXCLUDE
//     USING gist constraint on a daterange, with btree_gist), one
//     in-progress order per serial (a partial unique index), one owner per
//     site use, one price list per country, one idempotency record per
//     client and key; for seats, no two assignments of a license and no
//     two seats of a product for one user on a common day (two EXCLUDE
//     USING gist constraints on the assignment's daterange, leaving out a
//     cancelled one), a live externalId once per account, a username and
//     an alias once (partial unique indexes on keys folded in Go), and an
//     assignment tied to a license and a user of its own account (composite
//     foreign keys), so seats in use never exceed seats owned whoever
//     writes. Violations come back as domain.CodeConflict, a period
//     ending before it starts as domain.CodeInvalid.
//   - Open applies the embedded, forward-only migrations (migrations/*.sql)
//     in one transaction under an advisory lock, so instances starting
//     together do not race, and records them in schema_migrations. A
//     database migrated by a newer binary is refused (ErrNewerSchema).
//   - Options.Schema puts the tables in a schema of their own (created when
//     missing, used through search_path): one database can hold several
//     entitle installations, and tests use a fresh schema each. Without it,
//     the first schema of the DSN's search_path parameter, else public.
//     MigrationStatus reads what is applied without changing anything;
//     Ping and OutboxDepth serve readiness checks and metrics.
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
