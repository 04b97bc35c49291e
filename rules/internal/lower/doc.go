// Package lower is the rule language's closure compiler: it turns a checked
// expr tree into typed Go closures over the environment pointer, so the
// common rule shapes (a field compared with a constant, membership in a
// table, a vocabulary call, a quantifier over a list) run with no interface
// boxing and no by-name lookups. An expression with a node it does not handle
// keeps running on the expr VM; Lower says which node stopped it.
//
// Field reads use offsets computed once, at load, from the environment
// structs' reflect types; the environment is always a pointer the evaluator
// owns, so every pointer read is to a live object.
package lower
