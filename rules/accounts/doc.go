// Package accounts is the accounts context: managed billing between a
// ThingSpace primary account and the accounts it pays for (seed 002), and a
// GPS-Trace partner's account operations (seed 003): blocking now or at a
// scheduled instant, client plans, premium subscriptions, counts and limits.
// Import it to serve those APIs or to run them from Go:
//
//	lang, err := rules.NewLanguage(append(seats.Scopes(), accounts.Scopes()...)...)
//	set, err := lang.Load(rulesets.FS)             // rulesets/60-accounts.yaml declares `context: accounts`
//	svc, err := accounts.New(accounts.Options{Store: store, Rules: set, Clock: clock, IDs: ids})
//	res, err := svc.AddManaged(ctx, session, accounts.AddRequest{AccountName: "1234567890-00001", ...})
//
// The invariants are domain functions and store constraints no rule can
// switch off: an account is managed by at most one primary per service at a
// time (a live link; a partial unique index in both SQL stores), a link is
// provisioned or cancelled only by its managed account naming its TxId, and
// whether an account is blocked at an instant is a pure function of its
// dated block records (domain.Account.BlockedAt), so a scheduled block takes
// effect at its instant with no background job. The policy (the services
// and SKUs of managed billing, who may be blocked and how early, which plans
// fit which app, which apps have premium subscriptions, limits) is in the
// rule file, in the scopes Scopes returns.
package accounts
