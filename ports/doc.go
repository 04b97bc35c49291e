// Package ports declares what entitle's core needs from the world: a Store
// with transactions and repositories, a Clock, an ID source, and an Activator
// that delivers passcodes. Adapters implement these; the rules engine uses
// them. Import it to write a new store or to wire the engine by hand.
//
// Every Store passes the contract suite in ports/storetest.
package ports
