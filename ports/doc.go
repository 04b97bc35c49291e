// Package ports declares what entitle's core needs from the world: a Store
// with transactions and repositories, a Clock, an ID source, and an Activator
// that delivers passcodes. Adapters implement these; the rules engine uses
// them. Import it to write a new store or to wire the engine by hand.
//
// A transaction's repositories come in one group per context, one file each:
// orders.go (OrdersTx: customers, catalog, devices, subscriptions, trials,
// orders, activations, and the Activator) and platform.go (PlatformTx:
// clients, audit, idempotency). ports.go holds Store, Tx, Clock and IDs.
//
// Every Store passes the contract suite in ports/storetest.
package ports
