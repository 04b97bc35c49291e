// Package domain is entitle's pure core: civil dates and zones, money, parties
// (clients, customers, sites), the catalog, devices and serials, subscriptions
// and their per-(serial, product line) timeline, the trial ledger, orders,
// seat licenses, account state, and the Decision a ruleset returns.
//
// Import it to build requests for the engine and to read its answers. It does
// no I/O and never reads the clock: "now" is always an argument. It imports only
// the standard library and shopspring/decimal.
package domain
