package accounts

import (
	"context"
	"crypto/rand"
	"strconv"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
)

// The decision log of this context. Each decision a write use case makes
// (managed billing's add, provision and cancel; block, unblock, a scheduled
// block; a client plan) is logged (ports.Decisions) with the facts the
// rules saw, as Logged, so Redecide can make it again under another rule
// set. The accounts of an add request are one record with the request's
// billing decision. Reads (limits, subscriptions, the managed list) decide
// in a read-only transaction and are not logged.

// Logged is the state an accounts decision saw, as the log keeps it: the
// decision (billing, add, link, block or plan), the instant, and its facts,
// in the shape of the rule files' test fixtures.
type Logged struct {
	Decision string         `json:"decision"`
	Now      time.Time      `json:"now"`
	Billing  *BillingFacts  `json:"billing,omitempty"`
	Managed  []ManagedFacts `json:"managed,omitempty"`
	Link     *LinkFacts     `json:"link,omitempty"`
	Block    *BlockFacts    `json:"block,omitempty"`
	Plan     *PlanFacts     `json:"plan,omitempty"`
	Account  *AccountFacts  `json:"account,omitempty"`
}

// Decide makes the decision l describes under set, as the use case made
// it, and returns it with its outcome: an add is the billing decision,
// then each account's, their violations named by account
// (managedAccList[i]) and what each came to in Derived
// (managedAccList[i].allowed); a link is the billing decision, then the
// link's when billing allows it. CodeInvalid for a Logged that names no
// decision it can make.
func (l *Logged) Decide(set *rules.Set) (domain.Decision, domain.DecisionOutcome, error) {
	if !set.Has(billingScope) {
		return domain.Decision{}, domain.DecisionOutcome{}, domain.Errorf(domain.CodeInvalid, "", "accounts: the rule set has no accounts scopes")
	}
	now := unix(l.Now)
	acct := AccountFacts{}
	if l.Account != nil {
		acct = *l.Account
	}
	bad := func() (domain.Decision, domain.DecisionOutcome, error) {
		return domain.Decision{}, domain.DecisionOutcome{}, domain.Errorf(domain.CodeInvalid, "decision", "a %q accounts decision needs its facts", l.Decision)
	}
	one := func(d domain.Decision) (domain.Decision, domain.DecisionOutcome, error) {
		return d, domain.OutcomeOf(&d), nil
	}
	switch l.Decision {
	case "billing":
		if l.Billing == nil {
			return bad()
		}
		return one(DecideBilling(set, now, *l.Billing))
	case "add":
		if l.Billing == nil {
			return bad()
		}
		d := DecideBilling(set, now, *l.Billing)
		o := domain.OutcomeOf(&d)
		ex := set.Explanation()
		for _, m := range l.Managed {
			from := ex.Len()
			dm := DecideManaged(set, now, *l.Billing, m)
			ex.NameItem(from, m.Index)
			o.AddPart("managedAccList["+strconv.Itoa(m.Index)+"]", &dm)
		}
		d.Violations = o.Violations
		return d, o, nil
	case "link":
		if l.Billing == nil || l.Link == nil {
			return bad()
		}
		d := DecideBilling(set, now, *l.Billing)
		if !d.Allowed {
			return one(d)
		}
		return one(DecideLink(set, now, *l.Billing, *l.Link))
	case "block":
		if l.Block == nil {
			return bad()
		}
		return one(DecideBlock(set, now, *l.Block, acct))
	case "plan":
		if l.Plan == nil {
			return bad()
		}
		return one(DecidePlan(set, now, *l.Plan, acct))
	}
	return domain.Decision{}, domain.DecisionOutcome{}, domain.Errorf(domain.CodeInvalid, "decision", "%q is not an accounts decision (billing, add, link, block, plan)", l.Decision)
}

// Redecide makes the logged decision rec again under set, against the facts
// rec saw, and returns its outcome.
func Redecide(set *rules.Set, rec *domain.DecisionRecord) (domain.Decision, domain.DecisionOutcome, error) {
	var l Logged
	if err := rec.DecodeState(Context, &l); err != nil {
		return domain.Decision{}, domain.DecisionOutcome{}, err
	}
	return l.Decide(set)
}

// logDecision appends the record of a decision (d, with outcome o) of
// command, asked by p with req and made on l, in tx. Its id is random, so
// the ids the service hands out (TxIds) keep their sequence.
func (s *Service) logDecision(ctx context.Context, tx ports.Tx, p domain.Principal, command string, req any, l *Logged, d *domain.Decision, o domain.DecisionOutcome) error {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	actor := p.Partner
	if p.Account != "" {
		actor = p.Partner + "/" + p.Account
	}
	rec := domain.DecisionRecord{
		ID: domain.DecisionID(l.Now, b), At: l.Now, Context: Context, Command: command, Partner: p.Partner, Account: p.Account,
		Actor: actor, RulesetHash: d.RulesetHash, Outcome: o,
	}
	if err := rec.SetInputs(req, l); err != nil {
		return err
	}
	return tx.Decisions().Append(ctx, rec)
}

// logOne logs a decision that is one rule decision.
func (s *Service) logOne(ctx context.Context, tx ports.Tx, p domain.Principal, command string, req any, l *Logged, d *domain.Decision) error {
	return s.logDecision(ctx, tx, p, command, req, l, d, domain.OutcomeOf(d))
}
