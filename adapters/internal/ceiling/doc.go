// Package ceiling writes what an accepted one-line order leaves in a SQL
// store, and nothing else: the order (SUCCESS) with its line, its serial
// (never in progress), the device, the subscription, the activation
// (PENDING in the outbox) and the one audit event, with plain SQL, one
// transaction per order, no reads. It is the ceiling the engine's
// orders/s is read against (issue 10), in adapters/sqlite's and
// adapters/postgres's BenchmarkCreateOrderCeiling and in entitle's
// BenchmarkCreateOrderHTTPCeiling, so the three write the same rows with
// the same code.
//
// Only tests and benchmarks import it. Rows are copied from an order the
// engine accepted (Template), so they are as long as the engine's; each
// store's test of the ceiling checks that the ceiling adds as many rows to
// every table as the engine does.
package ceiling
