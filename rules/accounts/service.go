package accounts

import (
	"context"
	"strconv"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
)

// Options wires a Service. Every field is required.
type Options struct {
	Store ports.Store
	// Rules is a rule set compiled in a language that holds Scopes() (and
	// from files that include rulesets/60-accounts.yaml or its replacement).
	Rules *rules.Set
	// Live, when set, holds the rule set in force instead of Rules: a
	// program that reloads its rule files swaps the new set in there, for
	// every service that shares it. Its sets must hold this context's
	// scopes, as Rules must.
	Live  *rules.Live
	Clock ports.Clock
	// IDs makes the TxId of each add request and the ids of audit events.
	IDs ports.IDs
}

// Service runs the accounts use cases: managed billing (seed 002) and a
// partner's account operations (seed 003). Every write runs in one store
// Update that locks the account it changes first (for managed billing, the
// managed account), checks the principal reaches it, decides with the rule
// set in force, writes, and appends its audit event. Reads compute blocked
// and blocked_at from the records at the clock's instant. It is safe for
// concurrent use; the rule set can be swapped while it serves.
type Service struct {
	store ports.Store
	live  *rules.Live
	clock ports.Clock
	ids   ports.IDs
}

// New returns a Service. It fails with CodeInvalid when an option is missing
// or the rule set was compiled without the accounts scopes.
func New(o Options) (*Service, error) {
	live := o.Live
	if live == nil && o.Rules != nil {
		live = rules.NewLive(o.Rules)
	}
	if o.Store == nil || live == nil || o.Clock == nil || o.IDs == nil {
		return nil, domain.Errorf(domain.CodeInvalid, "", "accounts: a service needs a Store, Rules, a Clock and IDs")
	}
	if err := checkSet(live.Set()); err != nil {
		return nil, err
	}
	s := &Service{store: o.Store, live: live, clock: o.Clock, ids: o.IDs}
	return s, nil
}

func checkSet(set *rules.Set) error {
	for _, sc := range Scopes() {
		if !set.Has(sc) {
			return domain.Errorf(domain.CodeInvalid, "", "accounts: the rule set was compiled in a language without the accounts scopes; list accounts.Scopes() in rules.NewLanguage")
		}
	}
	return nil
}

// Rules returns the rule set in force: a decision reads it once and
// decides, records and reports with that one set.
func (s *Service) Rules() *rules.Set { return s.live.Set() }

// SwapRules puts set in force for every call that starts after it returns.
// A set without the accounts scopes is refused (CodeInvalid) and the rules
// in force stay.
func (s *Service) SwapRules(set *rules.Set) error {
	if set == nil {
		return domain.Errorf(domain.CodeInvalid, "", "accounts: no rule set")
	}
	if err := checkSet(set); err != nil {
		return err
	}
	s.live.Swap(set)
	return nil
}

// now reads the clock once per call, in UTC.
func (s *Service) now() time.Time { return s.clock.Now().UTC() }

// unix is an instant as the rules see it.
func unix(t time.Time) int { return int(t.Unix()) }

// audit appends the event of a state change in tx, filed under account.
func (s *Service) audit(ctx context.Context, tx ports.Tx, p domain.Principal, at time.Time, account int64, command, subject string, codes []string) error {
	actor := p.Partner
	if p.Account != "" {
		actor = p.Partner + "/" + p.Account
	}
	if p.User != "" {
		actor += "/" + p.User
	}
	return tx.Audit().Append(ctx, domain.AuditEvent{ID: s.ids.NewID(), At: at, Actor: actor, Command: command, Subject: subject, AccountID: account,
		Allowed: true, Codes: codes, RulesetHash: s.Rules().Hash()})
}

// partnerOf checks p is a partner's X-AccessToken (seed 003) and returns the
// partner. CodeUnauthenticated for nobody; CodeForbidden for any other
// principal.
func partnerOf(p domain.Principal) (string, error) {
	if !p.Authenticated() {
		return "", domain.Errorf(domain.CodeUnauthenticated, "", "accounts: the request has no principal")
	}
	if p.Partner == "" || p.Account != "" || p.Credential != domain.AccessToken {
		return "", domain.Errorf(domain.CodeForbidden, "", "this needs a partner's X-AccessToken")
	}
	return p.Partner, nil
}

// ownAccount returns the partner's account with id. CodeNotFound naming id
// for one that does not exist or is another partner's (another tenant's
// looks like no one's).
func ownAccount(ctx context.Context, tx ports.AccountsTx, partner string, id int64) (domain.Account, error) {
	if id <= 0 || id > domain.MaxID {
		return domain.Account{}, domain.Errorf(domain.CodeNotFound, "id", "no account %d", id)
	}
	a, err := tx.Accounts().Get(ctx, id)
	if err != nil && domain.ErrorCode(err) != domain.CodeNotFound {
		return domain.Account{}, err
	}
	if err != nil || a.PartnerID != partner {
		return domain.Account{}, domain.Errorf(domain.CodeNotFound, "id", "no account %d", id)
	}
	return a, nil
}

// sessionAccount returns the account a managed-billing session (seed 002)
// is of. CodeUnauthenticated for nobody; CodeForbidden for another kind of
// principal; CodeNotFound for a session whose account is gone or is not
// under the session's partner.
func sessionAccount(ctx context.Context, tx ports.AccountsTx, p domain.Principal) (domain.Account, error) {
	if !p.Authenticated() {
		return domain.Account{}, domain.Errorf(domain.CodeUnauthenticated, "", "accounts: the request has no principal")
	}
	if p.Credential != domain.Session || p.Account == "" {
		return domain.Account{}, domain.Errorf(domain.CodeForbidden, "", "this needs a VZ-M2M session of an account (POST /api/m2m/v1/session/login)")
	}
	id, err := strconv.ParseInt(p.Account, 10, 64)
	if err != nil || id <= 0 {
		return domain.Account{}, domain.Errorf(domain.CodeNotFound, "accountName", "no account %q", p.Account)
	}
	a, err := tx.Accounts().Get(ctx, id)
	if err != nil && domain.ErrorCode(err) != domain.CodeNotFound {
		return domain.Account{}, err
	}
	if err != nil || a.PartnerID != p.Partner {
		return domain.Account{}, domain.Errorf(domain.CodeNotFound, "accountName", "no account %q", p.Account)
	}
	return a, nil
}

// sessionID is the account id of a session principal, 0 when it has none.
func sessionID(p domain.Principal) int64 {
	id, err := strconv.ParseInt(p.Account, 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

// accountFacts is what the account-operation rules know of a at now.
func accountFacts(a *domain.Account, now time.Time) AccountFacts {
	return AccountFacts{ID: int(a.ID), Type: int(a.Type), TypeName: TypeName(a.Type), Activated: a.Activated, Blocked: a.BlockedAt(now),
		Attached: a.Attached, RegApps: a.RegApps}
}
