package seats

import (
	"context"
	"fmt"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules"
)

// TesterOptions wires the Tester of the seats rule-file tests. It holds
// nothing yet: a seats test gives the facts a use case would read from its
// store (the pool, the user, the account), so it needs no store.
type TesterOptions struct{}

// Tester returns the rules.Tester of the seats context ("seats"). A fixture
// holds the instant its tests run at (now) and base facts for any scope:
// call, item and pool, seats, user and account. A test gives the facts of
// the one decision it makes, over the fixture's (field by field): call (the
// call scope), item with pool (one item of an assign or release call),
// seats (SetSeats), or user with account (AddUser, UpdateUser); and may
// give now; a call decision sees account (account.blocked) when given.
// Besides the language's expectations it may expect seats:
// {expires, release}, the values the seats rules derived. The decision is
// made by the same DecideCall, DecideItem, DecideSeats and DecideUser the
// use cases call.
func Tester(o TesterOptions) rules.Tester { return tester{o} }

type tester struct{ o TesterOptions }

func (tester) Context() string { return Context }

// facts is what a fixture or a test gives.
type facts struct {
	Now     time.Time     `json:"now,omitzero"`
	Call    *CallFacts    `json:"call"`
	Item    *ItemFacts    `json:"item"`
	Pool    *PoolFacts    `json:"pool"`
	Seats   *SeatsFacts   `json:"seats"`
	User    *UserFacts    `json:"user"`
	Account *AccountFacts `json:"account"`
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
		return nil, fmt.Errorf("a seats fixture needs now (the instant its tests run at)")
	}
	return &fixture{doc: doc, now: f.Now}, nil
}

// testExpect is what a test may expect beside the language's expectations.
type testExpect struct {
	Seats *struct {
		Expires *domain.Date `json:"expires"`
		Release *int         `json:"release"`
	} `json:"seats"`
}

type testCase struct {
	now    time.Time
	f      facts
	scope  string
	expect testExpect
	got    SeatsFacts
}

func (fx *fixture) Test(_ context.Context, given, expect rules.Doc) (rules.Case, error) {
	c := &testCase{now: fx.now}
	// The fixture's facts first, then the test's over them, field by field.
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
	for _, k := range []string{"call", "item", "seats", "user"} {
		if given.Has(k) {
			c.scope = k
			n++
		}
	}
	if n != 1 {
		return nil, fmt.Errorf("give the facts of exactly one decision: call, item (with pool), seats, or user (with account)")
	}
	// A key given with no value (`seats:` alone) names the decision but
	// gives no facts of it.
	if (c.scope == "call" && c.f.Call == nil) || (c.scope == "item" && c.f.Item == nil) ||
		(c.scope == "seats" && c.f.Seats == nil) || (c.scope == "user" && c.f.User == nil) {
		return nil, fmt.Errorf("%s needs its facts (a mapping), not an empty value", c.scope)
	}
	if err := expect.Decode(&c.expect); err != nil {
		return nil, err
	}
	if c.expect.Seats != nil && c.scope != "seats" {
		return nil, fmt.Errorf("expect seats needs a seats decision")
	}
	return c, nil
}

func (c *testCase) Decide(_ context.Context, set *rules.Set) (domain.Decision, error) {
	if !set.Has(callScope) {
		return domain.Decision{}, fmt.Errorf("the rule set has no seats scopes")
	}
	today := domain.Today(c.now, domain.UTC)
	f := c.f
	switch c.scope {
	case "call":
		if f.Account == nil {
			f.Account = &AccountFacts{}
		}
		return DecideAccountCall(set, today, *f.Call, *f.Account), nil
	case "item":
		if f.Pool == nil {
			f.Pool = &PoolFacts{}
		}
		return DecideItem(set, today, *f.Item, *f.Pool), nil
	case "seats":
		got, d := DecideSeats(set, today, *f.Seats)
		c.got = got
		return d, nil
	default:
		if f.Account == nil {
			f.Account = &AccountFacts{}
		}
		return DecideUser(set, today, *f.User, *f.Account), nil
	}
}

func (c *testCase) Check(*domain.Decision) []string {
	var fails []string
	if e := c.expect.Seats; e != nil {
		if e.Expires != nil && c.got.Expires != *e.Expires {
			fails = append(fails, fmt.Sprintf("seats.expires: got %s, want %s", c.got.Expires, *e.Expires))
		}
		if e.Release != nil && c.got.Release != *e.Release {
			fails = append(fails, fmt.Sprintf("seats.release: got %d, want %d", c.got.Release, *e.Release))
		}
	}
	return fails
}
