// Package memory is the reference implementation of ports.Store: every
// repository in maps, every invariant checked in Go, nothing written to disk.
//
// Import it to embed entitle without a database (state is lost when the
// process ends), to fake a store in tests of code above the ports (it passes
// the same ports/storetest contract suite as the SQL stores, so no mock is
// needed), and as the executable reading of that contract when a SQL store
// and the port's doc comments seem to disagree.
package memory
