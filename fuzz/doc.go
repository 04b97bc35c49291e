// Package fuzz holds entitle's property-testing support: generators of domain
// values and histories, invariant checkers, and Go fuzz targets for every
// parser and decoder.
//
// Import it from your own tests to generate realistic dates, serials,
// subscriptions and orders; run its fuzz targets with go test -fuzz.
//
// Machine is a state-machine harness: random histories of operations on
// the five HTTP APIs, checked after every step against Model, a plain
// reference model, against the invariants in every store, and, given
// several stores, against each other byte for byte. It drives any
// http.Handler a Target opens; adapters/httpapi/machine opens the APIs as
// entitle serve wires them, over any store and rule files.
package fuzz
