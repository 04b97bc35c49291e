// Package rules turns ruleset files into compiled expr programs and decides
// with them. It holds the file format (see rulesets/README.md), the loader and
// compiler (every expression is type-checked once, at load, against the typed
// environment of its scope; errors read file:line:col), the evaluator that
// produces a domain.Decision with a trace, the tests written inside ruleset
// files, and the Engine whose use cases load state through ports, decide with
// domain and rules, and commit atomically.
//
// Import it to embed entitle in a Go service:
//
//	set, err := rules.Load(rulesets.FS)
//	eng := rules.NewEngine(rules.EngineOptions{Store: store, Rules: set, Clock: clock, IDs: ids})
//	receipt, err := eng.CreateOrder(ctx, clientID, request)
package rules
