package accounts

import (
	"context"
	"strconv"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// PlanChange is the answer to a client-plan change (seed 003's {account_id,
// tariff_plan_id, app_id}).
type PlanChange struct {
	AccountID    int64
	TariffPlanID string
	AppID        string
}

// Account returns the partner's account with id, with its block records:
// whether it is blocked, and its scheduled block, are
// Account.BlockedAt(now) and Account.ScheduledBlock(now) at the caller's
// instant. CodeNotFound naming id for none (another partner's, too);
// CodeForbidden for a principal that is not a partner's X-AccessToken.
func (s *Service) Account(ctx context.Context, p domain.Principal, id int64) (domain.Account, error) {
	partner, err := partnerOf(p)
	if err != nil {
		return domain.Account{}, err
	}
	var out domain.Account
	err = s.store.View(ctx, func(tx ports.Tx) error {
		out, err = ownAccount(ctx, tx, partner, id)
		return err
	})
	return out, err
}

// SetBlocked blocks the account from now on (blocked true) or unblocks it
// (false), seed 003's set-blocked. Blocking appends a block record at now and
// replaces any scheduled block; blocking a blocked account changes nothing.
// Unblocking cancels scheduled blocks and appends an unblock record when the
// account is blocked now; unblocking an account that is not is harmless.
// CodeInvalid naming blocked when the rules refuse (only activated accounts
// can be blocked); CodeForbidden when they say the account may not be
// blocked (by default only Forguard accounts, type 10); errors of Account.
func (s *Service) SetBlocked(ctx context.Context, p domain.Principal, id int64, blocked bool) (domain.Account, error) {
	action := "unblock"
	if blocked {
		action = "block"
	}
	return s.block(ctx, p, id, action, time.Time{})
}

// SetBlockedAt schedules the account's block at at (seed 003's
// set-blocked-at), replacing a scheduled one: reads show blocked_at until
// then, and blocked from that instant, with no background job. CodeInvalid
// naming blocked_at for an instant before now (plus the rule file's
// min_lead_seconds) or an account that is not activated; other errors as
// SetBlocked's.
func (s *Service) SetBlockedAt(ctx context.Context, p domain.Principal, id int64, at time.Time) (domain.Account, error) {
	if at.IsZero() {
		return domain.Account{}, domain.Errorf(domain.CodeInvalid, "blocked_at", "blocked_at is required")
	}
	if at.Year() < 1970 || at.Year() > 9999 {
		return domain.Account{}, domain.Errorf(domain.CodeInvalid, "blocked_at", "blocked_at %d is out of range", at.Unix())
	}
	return s.block(ctx, p, id, "schedule", at.UTC())
}

func (s *Service) block(ctx context.Context, p domain.Principal, id int64, action string, at time.Time) (domain.Account, error) {
	partner, err := partnerOf(p)
	if err != nil {
		return domain.Account{}, err
	}
	now := s.now()
	set := s.Rules()
	field := "blocked"
	if action == "schedule" {
		field = "blocked_at"
	} else {
		at = now
	}
	var (
		out     domain.Account
		refused error
	)
	err = s.store.Update(ctx, func(tx ports.Tx) error {
		refused = nil
		if id > 0 && id <= domain.MaxID {
			if err := tx.LockAccount(ctx, id); err != nil {
				return err
			}
		}
		a, err := ownAccount(ctx, tx, partner, id)
		if err != nil {
			return err
		}
		bf, af := BlockFacts{Action: action, At: unix(at), Field: field}, accountFacts(&a, now)
		d := DecideBlock(set, unix(now), bf, af)
		if err := s.logOne(ctx, tx, p, "Block", map[string]any{"id": id, "action": action, "at": at}, &Logged{Decision: "block", Now: now, Block: &bf, Account: &af}, &d); err != nil {
			return err
		}
		if refused = refusal(&d); refused != nil {
			return nil // the refusal's record commits, and nothing else
		}
		// What no rule file can switch off: only activated accounts are
		// blocked, never from an instant in the past.
		changed := true
		switch action {
		case "block":
			changed, err = a.Block(now)
		case "unblock":
			changed = a.Unblock(now)
		default:
			err = a.Reschedule(at, now)
		}
		if err != nil {
			return err
		}
		if !changed {
			out = a
			return nil
		}
		a.UpdatedAt = now
		if err := tx.Accounts().Put(ctx, a); err != nil {
			return err
		}
		out = a
		return s.audit(ctx, tx, p, now, a.ID, map[string]string{"block": "Block", "unblock": "Unblock", "schedule": "ScheduleBlock"}[action],
			"account:"+strconv.FormatInt(a.ID, 10), []string{strconv.FormatInt(at.Unix(), 10)})
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		return domain.Account{}, err
	}
	return out, nil
}

// SetClientPlan makes planID the account's client plan of appID (seed 003's
// PUT client-plan). CodeInvalid naming the field for a missing or bad id or
// when the rules refuse (the plan is of another app, the account has no
// access to the app, the app has no client plans); CodeNotFound naming
// tariff_plan_id for a plan that is not the partner's; errors of Account.
func (s *Service) SetClientPlan(ctx context.Context, p domain.Principal, id int64, planID, appID string) (PlanChange, error) {
	partner, err := partnerOf(p)
	if err != nil {
		return PlanChange{}, err
	}
	var pr domain.Problems
	checkText(&pr, "tariff_plan_id", planID, true)
	checkText(&pr, "app_id", appID, true)
	if err := pr.Err(); err != nil {
		return PlanChange{}, err
	}
	now := s.now()
	set := s.Rules()
	var (
		out     PlanChange
		refused error
	)
	err = s.store.Update(ctx, func(tx ports.Tx) error {
		refused = nil
		if id > 0 && id <= domain.MaxID {
			if err := tx.LockAccount(ctx, id); err != nil {
				return err
			}
		}
		a, err := ownAccount(ctx, tx, partner, id)
		if err != nil {
			return err
		}
		pf := PlanFacts{ID: planID, AppID: appID}
		plan, err := tx.Plans().Get(ctx, partner, planID)
		switch {
		case err == nil:
			pf.Found, pf.PlanAppID = true, plan.AppID
		case domain.ErrorCode(err) != domain.CodeNotFound:
			return err
		}
		af := accountFacts(&a, now)
		d := DecidePlan(set, unix(now), pf, af)
		if err := s.logOne(ctx, tx, p, "SetClientPlan", map[string]any{"id": id, "tariff_plan_id": planID, "app_id": appID}, &Logged{Decision: "plan", Now: now, Plan: &pf, Account: &af}, &d); err != nil {
			return err
		}
		if refused = refusal(&d); refused != nil {
			return nil // the refusal's record commits, and nothing else
		}
		// What no rule file can switch off: the plan is the partner's and of
		// that app.
		if !pf.Found {
			return domain.Errorf(domain.CodeNotFound, "tariff_plan_id", "no client plan %s", planID)
		}
		if plan.AppID != appID {
			return domain.Errorf(domain.CodeInvalid, "app_id", "client plan %s is of app %s, not %s", planID, plan.AppID, appID)
		}
		out = PlanChange{AccountID: a.ID, TariffPlanID: planID, AppID: appID}
		if a.Plans[appID] == planID {
			return nil // harmless repeat
		}
		plans := make(map[string]string, len(a.Plans)+1)
		for k, v := range a.Plans {
			plans[k] = v
		}
		plans[appID] = planID
		a.Plans, a.UpdatedAt = plans, now
		if err := tx.Accounts().Put(ctx, a); err != nil {
			return err
		}
		return s.audit(ctx, tx, p, now, a.ID, "SetClientPlan", "account:"+strconv.FormatInt(a.ID, 10), []string{appID + "=" + planID})
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		return PlanChange{}, err
	}
	return out, nil
}

// ClientPlans returns the partner's client plans of every app, by id.
// CodeForbidden for a principal that is not a partner's X-AccessToken.
func (s *Service) ClientPlans(ctx context.Context, p domain.Principal) ([]domain.ClientPlan, error) {
	partner, err := partnerOf(p)
	if err != nil {
		return nil, err
	}
	var out []domain.ClientPlan
	err = s.store.View(ctx, func(tx ports.Tx) error {
		out, err = tx.Plans().ByPartner(ctx, partner, "")
		return err
	})
	return out, err
}

// Subscriptions returns the account's premium subscriptions the rules show:
// by default those of Ruhavik only, so an account of other apps gets none
// (seed 003). Errors of Account.
func (s *Service) Subscriptions(ctx context.Context, p domain.Principal, id int64) ([]domain.AppSubscription, error) {
	partner, err := partnerOf(p)
	if err != nil {
		return nil, err
	}
	now := s.now()
	set := s.Rules()
	out := []domain.AppSubscription{}
	err = s.store.View(ctx, func(tx ports.Tx) error {
		a, err := ownAccount(ctx, tx, partner, id)
		if err != nil {
			return err
		}
		af := accountFacts(&a, now)
		for _, sub := range a.Premium {
			sf := SubscriptionFacts{AppID: sub.AppID, Type: sub.Type, Active: sub.Active}
			if !sub.Expiry.IsZero() {
				sf.Expiry = unix(sub.Expiry)
			}
			if d := DecideSubscription(set, unix(now), sf, af); d.Allowed {
				out = append(out, sub)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Count returns how many of the partner's accounts match q (seed 003's GET
// /partner/accounts/count); q.PartnerID is the principal's, whatever q says.
// CodeInvalid naming app_id for a bad app id; CodeForbidden as Account's.
func (s *Service) Count(ctx context.Context, p domain.Principal, q domain.AccountQuery) (int, error) {
	partner, err := partnerOf(p)
	if err != nil {
		return 0, err
	}
	if err := domain.CheckTexts("app_id", q.AppID); err != nil {
		return 0, err
	}
	q.PartnerID = partner
	var n int
	err = s.store.View(ctx, func(tx ports.Tx) error {
		n, err = tx.Accounts().Count(ctx, q)
		return err
	})
	return n, err
}

// Limits returns the account's limits of appID (seed 003's GET limits);
// zero limits for an app the account has access to but no limits set.
// CodeInvalid naming app_id for a missing one or when the rules refuse (by
// default, an app the account has no access to); errors of Account.
func (s *Service) Limits(ctx context.Context, p domain.Principal, id int64, appID string) (domain.Limits, error) {
	partner, err := partnerOf(p)
	if err != nil {
		return domain.Limits{}, err
	}
	var pr domain.Problems
	checkText(&pr, "app_id", appID, true)
	if err := pr.Err(); err != nil {
		return domain.Limits{}, err
	}
	now := s.now()
	set := s.Rules()
	var out domain.Limits
	err = s.store.View(ctx, func(tx ports.Tx) error {
		a, err := ownAccount(ctx, tx, partner, id)
		if err != nil {
			return err
		}
		l, ok := a.Limits[appID]
		d := DecideLimits(set, unix(now), LimitsFacts{AppID: appID, Set: ok}, accountFacts(&a, now))
		if err := refusal(&d); err != nil {
			return err
		}
		out = l
		return nil
	})
	return out, err
}
