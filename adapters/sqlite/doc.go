// Package sqlite is entitle's embedded default ports.Store: one SQLite file,
// written through modernc.org/sqlite (pure Go, no cgo), so a single binary
// keeps its state across restarts with nothing else to run.
//
// Import it to run entitle on one machine (`entitle serve` opens it by
// default) or to embed entitle in a Go service that wants durable state
// without a database server. When several instances must share one state,
// use adapters/postgres instead: SQLite allows one writer per file.
//
// The file is opened in WAL mode with synchronous=FULL, so a write Update
// acknowledged is on disk even if the process is killed the next instant,
// and Views read a snapshot without blocking the writer. Updates run on the
// single writer connection inside BEGIN IMMEDIATE, one after the other, which
// is why the invariants the engine checks in a transaction (trial once, no
// overlapping subscriptions, one in-progress order per serial, one live
// managed-billing link per account and service) cannot race;
// unique and partial unique indexes back them in the schema as well. Updates
// that queue while the writer is busy share one transaction (group commit:
// a SAVEPOINT each, one COMMIT and fsync for all, each caller its own
// outcome), so many callers pay for one fsync; a lone caller runs alone. The
// schema is created and upgraded by versioned, forward-only migrations
// embedded in the binary and applied by Open.
//
// The store passes ports/storetest and reproduces the reference semantics of
// adapters/memory.
package sqlite
