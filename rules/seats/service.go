package seats

import (
	"context"
	"strconv"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
)

// Options wires a Service. Store, Rules and Clock are required.
type Options struct {
	Store ports.Store
	// Rules is a rule set compiled in a language that holds Scopes() (and
	// from files that include rulesets/50-seats.yaml or its replacement).
	Rules *rules.Set
	// Live, when set, holds the rule set in force instead of Rules: a
	// program that reloads its rule files swaps the new set in there, for
	// every service that shares it. Its sets must hold this context's
	// scopes, as Rules must.
	Live  *rules.Live
	Clock ports.Clock
	// IDs makes the ids of audit events; nil names each event by its
	// command, subject and instant.
	IDs ports.IDs
}

// Service runs the seats use cases: the Account Manager API (seed 000) and
// License Assignments v2 (seed 004). Every write runs in one store Update
// that locks the account first, checks the principal reaches it, decides
// with the rule set in force, writes, and appends its audit event. "Today"
// is the civil date of the clock's instant in UTC (seed 004's dates are
// plain dates; UTC is the one zone every instance agrees on). It is safe for
// concurrent use; the rule set can be swapped while it serves.
type Service struct {
	store ports.Store
	live  *rules.Live
	clock ports.Clock
	ids   ports.IDs
}

// New returns a Service. It fails with CodeInvalid when a required option is
// missing or the rule set was compiled without the seats scopes.
func New(o Options) (*Service, error) {
	live := o.Live
	if live == nil && o.Rules != nil {
		live = rules.NewLive(o.Rules)
	}
	if o.Store == nil || live == nil || o.Clock == nil {
		return nil, domain.Errorf(domain.CodeInvalid, "", "seats: a service needs a Store, Rules and a Clock")
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
			return domain.Errorf(domain.CodeInvalid, "", "seats: the rule set was compiled in a language without the seats scopes; list seats.Scopes() in rules.NewLanguage")
		}
	}
	return nil
}

// Rules returns the rule set in force: a decision reads it once and
// decides, records and reports with that one set.
func (s *Service) Rules() *rules.Set { return s.live.Set() }

// SwapRules puts set in force for every call that starts after it returns.
// A set without the seats scopes is refused (CodeInvalid) and the rules in
// force stay.
func (s *Service) SwapRules(set *rules.Set) error {
	if set == nil {
		return domain.Errorf(domain.CodeInvalid, "", "seats: no rule set")
	}
	if err := checkSet(set); err != nil {
		return err
	}
	s.live.Swap(set)
	return nil
}

// now reads the clock once per call: the instant (UTC) and today's date.
func (s *Service) now() (time.Time, domain.Date) {
	t := s.clock.Now().UTC()
	return t, domain.Today(t, domain.UTC)
}

// audit appends the event of a state change in tx, filed under account.
func (s *Service) audit(ctx context.Context, tx ports.Tx, p domain.Principal, at time.Time, account int64, command, subject string, codes []string) error {
	id := command + ":" + subject + ":" + at.Format(time.RFC3339Nano)
	if s.ids != nil {
		id = s.ids.NewID()
	}
	actor := p.Partner
	if p.User != "" {
		actor = p.Partner + "/" + p.User
	}
	return tx.Audit().Append(ctx, domain.AuditEvent{ID: id, At: at, Actor: actor, Command: command, Subject: subject, AccountID: account,
		Allowed: true, Codes: codes, RulesetHash: s.Rules().Hash()})
}

// access is what a call needs of its principal.
type access uint8

const (
	// manage: an Account Manager account token (apiKey + alias), or an
	// account user with ACCOUNTADMIN.
	manage access = iota
	// read: as manage, or an account user with USERADMIN.
	read
	// assignmentsV2: an account user with USERADMIN or ACCOUNTADMIN (seed 004).
	assignmentsV2
)

// accountOf returns the account p acts for, checking p may make a call of
// kind a. CodeUnauthenticated for nobody; CodeForbidden for a principal
// without an account (a partner token without alias) or the role; CodeNotFound
// for an account that does not exist or p does not reach (another tenant's
// looks like no one's).
func accountOf(ctx context.Context, tx ports.SeatsTx, p domain.Principal, a access) (domain.Account, error) {
	if !p.Authenticated() {
		return domain.Account{}, domain.Errorf(domain.CodeUnauthenticated, "", "seats: the request has no principal")
	}
	switch a {
	case assignmentsV2:
		if !p.HasRole(domain.UserAdmin, domain.AccountAdmin) {
			return domain.Account{}, domain.Errorf(domain.CodeForbidden, "", "Access Denied. GET requires User Role of USERADMIN or ACCOUNTADMIN")
		}
	case manage, read:
		ok := p.Credential == domain.APIKey || p.HasRole(domain.AccountAdmin) || (a == read && p.HasRole(domain.UserAdmin))
		if !ok {
			return domain.Account{}, domain.Errorf(domain.CodeForbidden, "", "this needs an account token (authenticate with apiKey and alias) or an account administrator")
		}
	}
	if p.Account == "" {
		return domain.Account{}, domain.Errorf(domain.CodeForbidden, "", "this needs an account token: authenticate with apiKey and the company's alias")
	}
	id, err := strconv.ParseInt(p.Account, 10, 64)
	if err != nil || id <= 0 {
		return domain.Account{}, domain.Errorf(domain.CodeNotFound, "account", "no account %q", p.Account)
	}
	acct, err := tx.Accounts().Get(ctx, id)
	if err != nil && domain.ErrorCode(err) != domain.CodeNotFound {
		return domain.Account{}, err
	}
	if err != nil || !reaches(p, &acct) {
		return domain.Account{}, domain.Errorf(domain.CodeNotFound, "account", "no account %q", p.Account)
	}
	return acct, nil
}

// reaches reports whether acct is in p's subtree: an account principal
// reaches its own account (under its own partner, or with no partner when
// the account has none); a partner principal every account of its own.
func reaches(p domain.Principal, acct *domain.Account) bool {
	if p.Account != "" {
		return p.Account == strconv.FormatInt(acct.ID, 10) && p.Partner == acct.PartnerID
	}
	return p.Partner != "" && p.Partner == acct.PartnerID
}

// partnerOf checks p is an Account Manager partner token (apiKey alone) and
// returns the partner. CodeUnauthenticated for nobody; CodeForbidden for an
// account-scope principal.
func partnerOf(p domain.Principal) (string, error) {
	if !p.Authenticated() {
		return "", domain.Errorf(domain.CodeUnauthenticated, "", "seats: the request has no principal")
	}
	if p.Partner == "" || p.Account != "" || p.Credential != domain.APIKey {
		return "", domain.Errorf(domain.CodeForbidden, "", "this needs a partner token: authenticate with apiKey alone")
	}
	return p.Partner, nil
}

// companyOf returns the partner's company with alias, CodeNotFound for one
// that does not exist or is another partner's.
func companyOf(ctx context.Context, tx ports.SeatsTx, partner, alias string) (domain.Account, error) {
	if err := domain.CheckTexts("alias", alias); err != nil {
		return domain.Account{}, err
	}
	if alias == "" {
		return domain.Account{}, domain.Errorf(domain.CodeInvalid, "alias", "alias is required")
	}
	acct, err := tx.Accounts().ByAlias(ctx, alias)
	if err != nil {
		if domain.ErrorCode(err) == domain.CodeNotFound {
			return domain.Account{}, domain.Errorf(domain.CodeNotFound, "alias", "no company with alias %q", alias)
		}
		return domain.Account{}, err
	}
	if acct.PartnerID != partner {
		return domain.Account{}, domain.Errorf(domain.CodeNotFound, "alias", "no company with alias %q", alias)
	}
	return acct, nil
}

// endOn returns the deactivation date that ends a on today: yesterday, so
// the seat is free today; an assignment activated today (or later) gets the
// day before its activation, the cancelled shape of seed 004's example.
func endOn(a *domain.Assignment, today domain.Date) domain.Date {
	end := today.AddDays(-1)
	if min := a.ActivationDate.AddDays(-1); end.Before(min) {
		return min
	}
	return end
}

// checkPage refuses a negative offset or limit, and a limit above max.
func checkPage(offset, limit, max int) error {
	var p domain.Problems
	if offset < 0 {
		p.Add("OUT_OF_RANGE", "offset", "offset %d is negative", offset)
	}
	if limit < 0 || limit > max {
		p.Add("OUT_OF_RANGE", "limit", "limit %d is out of range (0 for all, up to %d)", limit, max)
	}
	return p.Err()
}
