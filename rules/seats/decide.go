package seats

import (
	"strings"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules"
)

// The decisions of the seats context, pure functions of a rule set and the
// facts: the use cases and the rule-file tests call the same ones.

// DecideCall decides whether a call may go ahead at all: a known product, a
// number of items within the bulk maximum.
func DecideCall(set *rules.Set, today domain.Date, f CallFacts) domain.Decision {
	return DecideAccountCall(set, today, f, AccountFacts{})
}

// DecideAccountCall decides a call as DecideCall does, knowing the account
// it is for (account.blocked: a blocked account's users get no seats).
func DecideAccountCall(set *rules.Set, today domain.Date, f CallFacts, a AccountFacts) domain.Decision {
	run := set.Begin(1)
	env := CallEnv{Call: &f, Account: &a, Today: today}
	callScope.Eval(run, &env, rules.Normalize, rules.Decide, -1)
	return run.Finish()
}

// DecideItem decides one item of an assign or release call against the pool
// as it stands.
func DecideItem(set *rules.Set, today domain.Date, f ItemFacts, pool PoolFacts) domain.Decision {
	run := set.Begin(1)
	env := AssignmentEnv{Item: &f, Pool: &pool, Today: today}
	itemScope.Eval(run, &env, rules.Normalize, rules.Decide, -1)
	return run.Finish()
}

// DecideSeats decides a change of a company's seats of a product; the facts
// come back with what the rules derived (expires, release).
func DecideSeats(set *rules.Set, today domain.Date, f SeatsFacts) (SeatsFacts, domain.Decision) {
	run := set.Begin(1)
	env := SeatsEnv{Seats: &f, Today: today}
	seatScope.Eval(run, &env, rules.Normalize, rules.Decide, -1)
	return f, run.Finish()
}

// DecideUser decides adding or changing a user.
func DecideUser(set *rules.Set, today domain.Date, u UserFacts, a AccountFacts) domain.Decision {
	run := set.Begin(1)
	env := UserEnv{User: &u, Account: &a, Today: today}
	userScope.Eval(run, &env, rules.Normalize, rules.Decide, -1)
	return run.Finish()
}

// refusal turns a refused decision into the error a use case returns. The
// domain code follows the rule's deny code: one ending in _NOT_FOUND is
// CodeNotFound (an unknown product), one ending in _IN_USE or _REACHED is
// CodeConflict (seats in use, a limit reached), one ending in _BLOCKED is
// CodeForbidden (a blocked account), anything else CodeInvalid.
// Field and Message are the first violation's; Violations lists them all.
func refusal(d *domain.Decision) error {
	if d.Allowed || len(d.Violations) == 0 {
		return nil
	}
	code := domain.CodeInvalid
	for _, v := range d.Violations {
		switch {
		case strings.HasSuffix(v.Code, "_NOT_FOUND"):
			code = domain.CodeNotFound
		case strings.HasSuffix(v.Code, "_BLOCKED") && code != domain.CodeNotFound:
			code = domain.CodeForbidden
		case (strings.HasSuffix(v.Code, "_IN_USE") || strings.HasSuffix(v.Code, "_REACHED")) && code != domain.CodeNotFound && code != domain.CodeForbidden:
			code = domain.CodeConflict
		}
	}
	first := d.Violations[0]
	return &domain.Error{Code: code, Field: first.Field, Message: first.Message, Violations: d.Violations}
}
