// Package orders is the store API of seed 001 (GNSS correction
// subscriptions): its use cases (CreateOrder, GetOrder, the catalog reads,
// activation status and resend, Resume), the facts and vocabulary its rules
// see, and its two scopes, "order" and "line", which a rules.Language lists
// (Scopes). Decide is the pure decision; LoadSnapshot reads what it needs
// from a store; Tester runs the tests written in its rule files on the same
// path.
//
// Import it to serve or embed the store API:
//
//	lang, err := rules.NewLanguage(orders.Scopes()...)
//	set, err := lang.Load(rulesets.FS)
//	svc, err := orders.New(orders.Options{Store: store, Rules: set, Clock: clock, IDs: ids})
//	receipt, err := svc.CreateOrder(ctx, principal, request)
package orders
