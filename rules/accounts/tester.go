package accounts

import (
	"context"
	"fmt"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules"
)

// TesterOptions wires the Tester of the accounts rule-file tests. It holds
// nothing: an accounts test gives the facts a use case would read from its
// store (the account, the link, the plan), so it needs no store.
type TesterOptions struct{}

// Tester returns the rules.Tester of the accounts context ("accounts"). A
// fixture holds the instant its tests run at (now) and base facts for any
// scope; a test gives the facts of the one decision it makes, over the
// fixture's (field by field): billing (a managed-billing request), managed
// (one account of an add, with billing), link (a provision or cancel, with
// billing), block, plan, limits or subscription (each with account); and may
// give now. The decision is made by the same Decide functions the use cases
// call.
func Tester(o TesterOptions) rules.Tester { return tester{o} }

type tester struct{ o TesterOptions }

func (tester) Context() string { return Context }

// facts is what a fixture or a test gives.
type facts struct {
	Now          time.Time          `json:"now,omitzero"`
	Billing      *BillingFacts      `json:"billing"`
	Managed      *ManagedFacts      `json:"managed"`
	Link         *LinkFacts         `json:"link"`
	Block        *BlockFacts        `json:"block"`
	Plan         *PlanFacts         `json:"plan"`
	Limits       *LimitsFacts       `json:"limits"`
	Subscription *SubscriptionFacts `json:"subscription"`
	Account      *AccountFacts      `json:"account"`
}

type fixture struct {
	doc rules.Doc
	now time.Time
}

func (tester) Fixture(_ context.Context, doc rules.Doc) (rules.Fixture, error) {
	var f facts
	if err := doc.Decode(&f); err != nil {
		return nil, err
	}
	if f.Now.IsZero() {
		return nil, fmt.Errorf("an accounts fixture needs now (the instant its tests run at)")
	}
	return &fixture{doc: doc, now: f.Now}, nil
}

type testCase struct {
	now   time.Time
	f     facts
	scope string
}

// decisions are the keys a test names its decision by; billing alone is a
// billing decision, and the base of managed and link ones.
var decisions = []string{"managed", "link", "block", "plan", "limits", "subscription"}

func (fx *fixture) Test(_ context.Context, given, expect rules.Doc) (rules.Case, error) {
	c := &testCase{now: fx.now}
	if err := fx.doc.Without("now").Decode(&c.f); err != nil {
		return nil, err
	}
	if err := given.Decode(&c.f); err != nil {
		return nil, err
	}
	if !c.f.Now.IsZero() {
		c.now = c.f.Now
	}
	n := 0
	for _, k := range decisions {
		if given.Has(k) {
			c.scope = k
			n++
		}
	}
	if n == 0 && given.Has("billing") {
		c.scope, n = "billing", 1
	}
	if n != 1 {
		return nil, fmt.Errorf("give the facts of exactly one decision: billing, managed or link (with billing), block, plan, limits or subscription (with account)")
	}
	// A key given with no value (`block:` alone) names the decision but
	// gives no facts of it.
	missing := map[string]bool{"billing": c.f.Billing == nil, "managed": c.f.Managed == nil, "link": c.f.Link == nil,
		"block": c.f.Block == nil, "plan": c.f.Plan == nil, "limits": c.f.Limits == nil, "subscription": c.f.Subscription == nil}
	if missing[c.scope] {
		return nil, fmt.Errorf("%s needs its facts (a mapping), not an empty value", c.scope)
	}
	if !expect.Empty() {
		return nil, fmt.Errorf("accounts tests expect only allowed, deny, messages, fired and notFired; got %v", expect.Keys())
	}
	return c, nil
}

func (c *testCase) Decide(_ context.Context, set *rules.Set) (domain.Decision, error) {
	if !set.Has(billingScope) {
		return domain.Decision{}, fmt.Errorf("the rule set has no accounts scopes")
	}
	now := unix(c.now)
	f := c.f
	var b BillingFacts
	if f.Billing != nil {
		b = *f.Billing
	}
	var a AccountFacts
	if f.Account != nil {
		a = *f.Account
	}
	switch c.scope {
	case "billing":
		return DecideBilling(set, now, b), nil
	case "managed":
		return DecideManaged(set, now, b, *f.Managed), nil
	case "link":
		return DecideLink(set, now, b, *f.Link), nil
	case "block":
		return DecideBlock(set, now, *f.Block, a), nil
	case "plan":
		return DecidePlan(set, now, *f.Plan, a), nil
	case "limits":
		return DecideLimits(set, now, *f.Limits, a), nil
	default:
		return DecideSubscription(set, now, *f.Subscription, a), nil
	}
}

func (c *testCase) Check(*domain.Decision) []string { return nil }
