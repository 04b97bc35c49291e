// Package seats is the seats context (seeds 000 and 004): an Account Manager
// partner's companies and the seats (licenses) of a product they own, their
// users, and the assignments of seats to users, read back through License
// Assignments v2. Import it to serve those APIs or to assign seats from Go:
//
//	lang, err := rules.NewLanguage(append(orders.Scopes(), seats.Scopes()...)...)
//	set, err := lang.Load(rulesets.FS)             // rulesets/50-seats.yaml declares `context: seats`
//	svc, err := seats.New(seats.Options{Store: store, Rules: set, Clock: clock})
//	results, err := svc.Assign(ctx, principal, "CoPilot", []string{"driver-7"})
//
// The invariants (one license's assignments never overlap; a user holds at
// most one seat of a product on any day; externalIds unique per account,
// case-insensitively) are domain functions and store constraints no rule can
// switch off. The policy (known products, the bulk maximum, the date rule,
// what lowering seats below those in use does, the users limit) is in the
// rule file, in the scopes Scopes returns.
package seats
