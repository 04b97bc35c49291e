// Package storetest is the contract suite every ports.Store passes: each
// repository method, the not-found and conflict codes, case-insensitive
// serials, rollback, isolation of the values handed in and out, and the
// invariants under concurrent transactions.
//
// It comes in one part per area, one file and one Run function each:
// RunOrders (orders.go, ports.OrdersTx), RunPlatform (platform.go,
// ports.PlatformTx), RunSeats (seats.go, ports.SeatsTx), RunAccounts
// (accounts.go, ports.AccountsTx and what seeds 002 and 003 add to the
// platform), RunTx (tx.go, transaction semantics), RunRaces (race.go,
// invariants under concurrency), RunSeatRaces (seatrace.go, the seat
// invariants under concurrency) and RunAccountRaces (accountrace.go, one
// live managed link and no lost block record under concurrency), the last
// two across two Store instances on the same data where the store allows;
// fixtures.go makes the values they store. Run runs them all.
// BenchSeatLookups (seatbench.go) times the seat lookups on a store its
// benchmark has filled, the same lookups and checks for every store.
//
// Import it from a store's tests, once: a store's test file calls Run with a
// function that opens an empty store, and tests beyond that cover only what is
// particular to the store (migrations, DSN parsing). The in-memory store in
// adapters/memory is the reference that passes it.
package storetest
