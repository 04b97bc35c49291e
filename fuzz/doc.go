// Package fuzz holds entitle's property-testing support: generators of domain
// values and histories, invariant checkers, and Go fuzz targets for every
// parser and decoder.
//
// Import it from your own tests to generate realistic dates, serials,
// subscriptions and orders; run its fuzz targets with go test -fuzz.
package fuzz
