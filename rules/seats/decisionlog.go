package seats

import (
	"context"
	"crypto/rand"
	"strconv"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
)

// The decision log of this context. Each decision a use case makes is
// logged (ports.Decisions) with the facts the rules saw, as Logged, so
// Redecide can make it again under another rule set; the items of an assign
// or release call are one record with the call decision.

// Logged is the state a seats decision saw, as the log keeps it: the
// decision (call, items, seats or user), the instant, and its facts, in the
// shape of the rule files' test fixtures.
type Logged struct {
	Decision string        `json:"decision"` // call, items, seats or user
	Now      time.Time     `json:"now"`
	Call     *CallFacts    `json:"call,omitempty"`
	Account  *AccountFacts `json:"account,omitempty"`
	Items    []LoggedItem  `json:"items,omitempty"`
	Seats    *SeatsFacts   `json:"seats,omitempty"`
	User     *UserFacts    `json:"user,omitempty"`
}

// LoggedItem is one item of an assign or release call with the pool as it
// stood when the item was decided.
type LoggedItem struct {
	Item ItemFacts `json:"item"`
	Pool PoolFacts `json:"pool"`
}

// Decide makes the decision l describes under set, as the use case made it,
// and returns it with its outcome: an items decision is the call's
// decision, then each item's, their violations named by item
// (items[i]...), what each item came to in Derived (items[i].allowed); a
// seats decision derives seats.expires and seats.release. The explanation
// of set (rules.Set.Explainer) sees every rule of every part. CodeInvalid
// for a Logged that names no decision it can make.
func (l *Logged) Decide(set *rules.Set) (domain.Decision, domain.DecisionOutcome, error) {
	if err := checkSet(set); err != nil {
		return domain.Decision{}, domain.DecisionOutcome{}, err
	}
	today := domain.Today(l.Now, domain.UTC)
	acct := AccountFacts{}
	if l.Account != nil {
		acct = *l.Account
	}
	need := func(ok bool) error {
		if !ok {
			return domain.Errorf(domain.CodeInvalid, "decision", "a %q decision needs its facts", l.Decision)
		}
		return nil
	}
	switch l.Decision {
	case "call":
		if err := need(l.Call != nil); err != nil {
			return domain.Decision{}, domain.DecisionOutcome{}, err
		}
		d := DecideAccountCall(set, today, *l.Call, acct)
		return d, domain.OutcomeOf(&d), nil
	case "user":
		if err := need(l.User != nil); err != nil {
			return domain.Decision{}, domain.DecisionOutcome{}, err
		}
		d := DecideUser(set, today, *l.User, acct)
		return d, domain.OutcomeOf(&d), nil
	case "seats":
		if err := need(l.Seats != nil); err != nil {
			return domain.Decision{}, domain.DecisionOutcome{}, err
		}
		f, d := DecideSeats(set, today, *l.Seats)
		o := domain.OutcomeOf(&d)
		o.Derived = map[string]string{"seats.expires": f.Expires.String(), "seats.release": strconv.Itoa(f.Release)}
		return d, o, nil
	case "items":
		if err := need(l.Call != nil); err != nil {
			return domain.Decision{}, domain.DecisionOutcome{}, err
		}
		d := DecideAccountCall(set, today, *l.Call, acct)
		o := domain.OutcomeOf(&d)
		o.Derived = map[string]string{}
		io := itemsOutcome{o}
		ex := set.Explanation()
		for _, it := range l.Items {
			from := ex.Len()
			di := DecideItem(set, today, it.Item, it.Pool)
			ex.NameItem(from, it.Item.Index)
			io.addItem(it.Item.Index, &di)
		}
		d.Violations = io.Violations
		return d, io.DecisionOutcome, nil
	}
	return domain.Decision{}, domain.DecisionOutcome{}, domain.Errorf(domain.CodeInvalid, "decision", "%q is not a seats decision (call, items, seats, user)", l.Decision)
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

// logDecision appends the record of decision d (outcome o) of command,
// asked by p with req and made on l, in tx.
func (s *Service) logDecision(ctx context.Context, tx ports.Tx, p domain.Principal, command string, req any, l *Logged, d *domain.Decision, o domain.DecisionOutcome) error {
	// A random id, not one of s.ids: the ids the service hands out keep
	// their sequence, and IDs is optional.
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	id := domain.DecisionID(l.Now, b)
	actor := p.Partner
	if p.User != "" {
		actor = p.Partner + "/" + p.User
	}
	rec := domain.DecisionRecord{
		ID: id, At: l.Now, Context: Context, Command: command, Partner: p.Partner, Account: p.Account, Actor: actor,
		RulesetHash: d.RulesetHash, Outcome: o,
	}
	if err := rec.SetInputs(req, l); err != nil {
		return err
	}
	return tx.Decisions().Append(ctx, rec)
}

// itemsOutcome is the outcome of an items decision being made.
type itemsOutcome struct{ domain.DecisionOutcome }

// addItem adds item i's decision: its violations named by the item, and
// whether it was allowed. The call stays allowed (its items are reported
// one by one).
func (o *itemsOutcome) addItem(i int, d *domain.Decision) {
	o.AddPart("items["+strconv.Itoa(i)+"]", d)
}

// logOne logs a decision made by l.Decide's rules outside an items call.
func (s *Service) logOne(ctx context.Context, tx ports.Tx, p domain.Principal, command string, req any, l *Logged, d *domain.Decision) error {
	o := domain.OutcomeOf(d)
	if l.Seats != nil && l.Decision == "seats" {
		o.Derived = map[string]string{"seats.expires": l.Seats.Expires.String(), "seats.release": strconv.Itoa(l.Seats.Release)}
	}
	return s.logDecision(ctx, tx, p, command, req, l, d, o)
}
