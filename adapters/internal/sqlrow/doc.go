// Package sqlrow holds what the SQL stores, adapters/sqlite and
// adapters/postgres, share that is not SQL: the stored JSON forms of the
// records kept inside a row (a customer's sites, a price list's items, an
// order's lines), the text forms of decimals and dates, the transaction
// guard every repository call passes first, the table that explains a
// violated constraint to the person who sent the write, and a builder for
// the filter, sort and page of list queries in either dialect.
//
// Only the stores import it: the two SQL stores for all of it, and
// adapters/memory for the Guard, so that the three refuse a finished, failed
// or read-only transaction, and a row without its key, in one way. It is
// internal to adapters/, and nothing in it is part of a port: the stores'
// behaviour is what ports and ports/storetest say.
package sqlrow
