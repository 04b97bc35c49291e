// Package sqlrow holds what the SQL stores, adapters/sqlite and
// adapters/postgres, share that is not SQL, one file each:
//
//   - records.go: the stored JSON forms of the records kept inside a row (a
//     customer's sites, a price list's items, an order's lines), and
//     DecodeOrder for the columns of an order both stores keep as text;
//   - text.go: the text forms of decimals and dates, and JSON columns;
//   - guard.go: the Guard every repository call passes first (a finished,
//     read-only or failed transaction, a row without its key), and
//     CheckClaim, the arguments of an outbox claim;
//   - rows.go: One and All, which read rows over the small Tx interface a
//     store's transaction implements;
//   - constraints.go: what a violated constraint means to the person who sent
//     the write (ConstraintError);
//   - store.go: what a store answers when it cannot start a transaction;
//   - migrations.go: the loader of a store's embedded NNNN_name.sql files;
//   - query.go: ListQuery, the filter, sort and page of a list endpoint's
//     query in either dialect;
//   - decisions.go: DecisionLog, the decision log's statements, its filter
//     and its pages, in either dialect, and its page tokens.
//
// Only the stores import it: the two SQL stores for all of it, and
// adapters/memory for the Guard, CheckClaim and store.go, so that the three
// refuse a finished or read-only transaction, a row without its key, and a
// closed store in one way. It is internal to adapters/, and nothing in it is
// part of a port: the stores' behaviour is what ports and ports/storetest
// say.
package sqlrow
