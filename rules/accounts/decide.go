package accounts

import (
	"strings"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules"
)

// The decisions of the accounts context, pure functions of a rule set and
// the facts: the use cases and the rule-file tests call the same ones. now
// is the instant in Unix seconds.

// DecideBilling decides a managed-billing request as a whole: a service the
// rules list, a SKU the primary bought, the number of accounts.
func DecideBilling(set *rules.Set, now int, b BillingFacts) domain.Decision {
	run := set.Begin(1)
	env := BillingEnv{Billing: &b, Now: now}
	billingScope.Eval(run, &env, rules.Normalize, rules.Decide, -1)
	return run.Finish()
}

// DecideManaged decides one account of an add request.
func DecideManaged(set *rules.Set, now int, b BillingFacts, m ManagedFacts) domain.Decision {
	run := set.Begin(1)
	env := ManagedEnv{Managed: &m, Billing: &b, Now: now}
	managedScope.Eval(run, &env, rules.Normalize, rules.Decide, -1)
	return run.Finish()
}

// DecideLink decides a provision or cancel request against the link it names.
func DecideLink(set *rules.Set, now int, b BillingFacts, l LinkFacts) domain.Decision {
	run := set.Begin(1)
	env := LinkEnv{Link: &l, Billing: &b, Now: now}
	linkScope.Eval(run, &env, rules.Normalize, rules.Decide, -1)
	return run.Finish()
}

// DecideBlock decides blocking, unblocking or scheduling a block.
func DecideBlock(set *rules.Set, now int, b BlockFacts, a AccountFacts) domain.Decision {
	run := set.Begin(1)
	env := BlockEnv{Block: &b, Account: &a, Now: now}
	blockScope.Eval(run, &env, rules.Normalize, rules.Decide, -1)
	return run.Finish()
}

// DecidePlan decides a client-plan change.
func DecidePlan(set *rules.Set, now int, p PlanFacts, a AccountFacts) domain.Decision {
	run := set.Begin(1)
	env := PlanEnv{Plan: &p, Account: &a, Now: now}
	planScope.Eval(run, &env, rules.Normalize, rules.Decide, -1)
	return run.Finish()
}

// DecideLimits decides a limits read.
func DecideLimits(set *rules.Set, now int, l LimitsFacts, a AccountFacts) domain.Decision {
	run := set.Begin(1)
	env := LimitsEnv{Limits: &l, Account: &a, Now: now}
	limitsScope.Eval(run, &env, rules.Normalize, rules.Decide, -1)
	return run.Finish()
}

// DecideSubscription decides whether a premium subscription is shown.
func DecideSubscription(set *rules.Set, now int, s SubscriptionFacts, a AccountFacts) domain.Decision {
	run := set.Begin(1)
	env := SubscriptionEnv{Subscription: &s, Account: &a, Now: now}
	subscriptionScope.Eval(run, &env, rules.Normalize, rules.Decide, -1)
	return run.Finish()
}

// refusal turns a refused decision into the error a use case returns. The
// domain code follows the rule's deny code: one ending in _NOT_FOUND is
// CodeNotFound, one ending in _NOT_ALLOWED is CodeForbidden, one ending in
// _CONFLICT is CodeConflict, anything else CodeInvalid (the first such
// suffix among the violations wins, not-found first). Field and Message are
// the first violation's; Violations lists them all.
func refusal(d *domain.Decision) error {
	if d.Allowed || len(d.Violations) == 0 {
		return nil
	}
	code := domain.CodeInvalid
	rank := 0
	for _, v := range d.Violations {
		c, r := domain.CodeInvalid, 0
		switch {
		case strings.HasSuffix(v.Code, "_NOT_FOUND"):
			c, r = domain.CodeNotFound, 3
		case strings.HasSuffix(v.Code, "_NOT_ALLOWED"):
			c, r = domain.CodeForbidden, 2
		case strings.HasSuffix(v.Code, "_CONFLICT"):
			c, r = domain.CodeConflict, 1
		}
		if r > rank {
			code, rank = c, r
		}
	}
	first := d.Violations[0]
	return &domain.Error{Code: code, Field: first.Field, Message: first.Message, Violations: d.Violations}
}

// reason is the first violation's message: a seed 002 item's reason.
func reason(d *domain.Decision) (code, msg string) {
	if len(d.Violations) == 0 {
		return "RULE_ERROR", "refused by the rules"
	}
	return d.Violations[0].Code, d.Violations[0].Message
}
