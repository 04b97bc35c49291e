// Package rules is entitle's rule language, and it knows no use case. It
// holds the file format (see rulesets/README.md), the scope registry (a
// context declares each scope's environment type, derivable fields and
// vocabulary with NewScope, and lists its scopes in a Language), the
// compiler (every expression is type-checked once, at load, against its
// scope's environment; errors read file:line:col), the evaluator that builds
// a domain.Decision with a trace (Set.Begin, Scope.Eval, Run.Finish), and the
// tests written inside rule files (Set.RunTests, with a Tester per context).
//
// Import it to write a context (see rules/orders) or to load rule files:
//
//	lang, err := rules.NewLanguage(orders.Scopes()...)
//	set, err := lang.Load(rulesets.FS)
package rules
