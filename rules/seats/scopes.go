package seats

import (
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules"
)

// The environments below are what the seats rules see; their expr tags are
// the seeds' field names (productId, externalId, activationDate). Fields are
// plain kinds and domain.Date, as the rule language wants.

// CallEnv is the environment of call-scope rules: one call of Assign,
// Release, Pool or SetSeats, before any item is decided.
type CallEnv struct {
	Call *CallFacts `expr:"call"`
	// Account is the account the call is for; zero before the account is
	// read (a product check ahead of the transaction), so account.blocked
	// is false there and decided again inside it.
	Account *AccountFacts `expr:"account"`
	Today   domain.Date   `expr:"today"` // today's civil date in UTC
}

// CallFacts describes a call.
type CallFacts struct {
	Action    string `expr:"action" json:"action"` // assign, release, pool or seats
	ProductID string `expr:"productId" json:"productId"`
	Items     int    `expr:"items" json:"items"` // the externalIds of an assign or release call
}

// AssignmentEnv is the environment of assignment-scope rules: one item
// (one externalId) of an assign or release call, with the account's pool
// of the product as it stands when the item is decided (earlier items of
// the same call already applied).
type AssignmentEnv struct {
	Item  *ItemFacts  `expr:"item"`
	Pool  *PoolFacts  `expr:"pool"`
	Today domain.Date `expr:"today"` // today's civil date in UTC
}

// ItemFacts is one item of an assign or release call.
type ItemFacts struct {
	Action     string `expr:"action" json:"action"` // assign or release
	ProductID  string `expr:"productId" json:"productId"`
	ExternalID string `expr:"externalId" json:"externalId"`
	Index      int    `expr:"index" json:"index"` // 0-based position in the call
	// UserFound is whether the account has a live user with the externalId.
	UserFound bool `expr:"userFound" json:"userFound"`
	// Holds is whether that user holds a seat of the product today.
	Holds bool `expr:"holds" json:"holds"`
	// ActivationDate and DeactivationDate are those of the assignment the
	// item would make (assign: today to the free seat's expiry; unset when
	// no seat is free) or would end (release: the deactivation it would
	// get).
	ActivationDate   domain.Date `expr:"activationDate" json:"activationDate"`
	DeactivationDate domain.Date `expr:"deactivationDate" json:"deactivationDate"`
}

// PoolFacts is an account's seats of one product today.
type PoolFacts struct {
	Owned    int `expr:"owned" json:"owned"`
	Assigned int `expr:"assigned" json:"assigned"`
	Free     int `expr:"free" json:"free"`
}

// SeatsEnv is the environment of seats-scope rules: a partner setting how
// many seats of a product a company owns.
type SeatsEnv struct {
	Seats *SeatsFacts `expr:"seats"`
	Today domain.Date `expr:"today"` // today's civil date in UTC
}

// SeatsFacts is a SetSeats request with the pool it changes.
type SeatsFacts struct {
	ProductID string `expr:"productId" json:"productId"`
	Owned     int    `expr:"owned" json:"owned"`         // seats owned today
	InUse     int    `expr:"inUse" json:"inUse"`         // seats assigned today
	Free      int    `expr:"free" json:"free"`           // owned - inUse
	Requested int    `expr:"requested" json:"requested"` // the seats the partner asks for
	// RequestedExpires is the expiry the request gave (unset: none).
	RequestedExpires domain.Date `expr:"requestedExpires" json:"requestedExpires"`
	// Expires is the expiry of the seats a raise creates (derivable).
	Expires domain.Date `expr:"expires" json:"expires"`
	// Release is how many seats in use a lowering may take back from their
	// users, the most recently activated first (derivable; 0 refuses).
	Release int `expr:"release" json:"release"`
}

// UserEnv is the environment of user-scope rules: adding or changing an
// account's user.
type UserEnv struct {
	User    *UserFacts    `expr:"user"`
	Account *AccountFacts `expr:"account"`
	Today   domain.Date   `expr:"today"` // today's civil date in UTC
}

// UserFacts is a user as sent.
type UserFacts struct {
	Action      string `expr:"action" json:"action"` // add or update
	ExternalID  string `expr:"externalId" json:"externalId"`
	Email       string `expr:"email" json:"email"`
	FirstName   string `expr:"firstName" json:"firstName"`
	LastName    string `expr:"lastName" json:"lastName"`
	PhoneNumber string `expr:"phoneNumber" json:"phoneNumber"`
}

// AccountFacts is what the rules know of the user's account.
type AccountFacts struct {
	Users     int    `expr:"users" json:"users"`         // live users now
	UserLimit int    `expr:"userLimit" json:"userLimit"` // seed 003's user limit; 0 when none is set
	Alias     string `expr:"alias" json:"alias"`
	// Blocked is whether the account is blocked at the clock's instant
	// (seed 003's block records, domain.Account.BlockedAt).
	Blocked bool `expr:"blocked" json:"blocked"`
}

// The seats scopes, all of context "seats": rulesets/50-seats.yaml declares
// `context: seats`, so a language without them leaves that file out.
var (
	callScope = rules.NewScope[CallEnv]("call", rules.ScopeOptions{Context: Context, Fields: []string{"externalIds"}})
	itemScope = rules.NewScope[AssignmentEnv]("assignment", rules.ScopeOptions{Context: Context})
	seatScope = rules.NewScope[SeatsEnv]("seats", rules.ScopeOptions{
		Context: Context,
		Derivable: []rules.Derivable{
			{Name: "expires", Path: "seats.expires"},
			{Name: "release", Path: "seats.release"},
		},
	})
	userScope = rules.NewScope[UserEnv]("user", rules.ScopeOptions{Context: Context})
)

// Context is the name of this context in rule files (`context: seats`) and
// of its Tester.
const Context = "seats"

// Scopes returns the scopes the seats rule files are written in: call,
// assignment, seats and user, to list in a rules.Language.
func Scopes() []rules.ScopeDef {
	return []rules.ScopeDef{callScope, itemScope, seatScope, userScope}
}

// Language returns a rule language of the seats scopes only.
func Language() *rules.Language { return rules.MustLanguage(Scopes()...) }
