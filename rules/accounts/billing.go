package accounts

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// AddRequest is seed 002's POST /managedaccounts/actions/add: the primary
// account's name, the service ("Location"), the SKU the primary bought, and
// the accounts it will pay for.
type AddRequest struct {
	AccountName    string
	ServiceName    string
	Type           string
	ManagedAccList []string
}

// ItemStatus is the answer for one account of an add request: Status
// "Success" or "Fail"; Reason "Success", or why (seed 002's "Invalid account
// name", "Unregistered account", ...).
type ItemStatus struct{ ID, Status, Reason string }

// AddResult is the answer to an add request: its TxId, which provisioning
// names, and a status per account in the order given.
type AddResult struct {
	TxID       string
	StatusList []ItemStatus
}

// LinkRequest is seed 002's provision or cancel request, sent with the
// managed account's own session.
type LinkRequest struct{ AccountName, PAccountName, ServiceName, Type, TxID string }

// LinkResult is the answer to a provision or cancel request: Status
// "Success" or "Fail", Reason "Success" or why.
type LinkResult struct{ TxID, AccountName, PAccountName, ServiceName, Status, Reason string }

// ManagedList is a primary account's managed accounts of a service: Added
// holds the links added and not provisioned, or cancelled (seed 002's ADD);
// Provisioned the activated ones (PROVISION). Each managed account appears
// once, with its latest link.
type ManagedList struct {
	AccountName string
	Added       []domain.ManagedLink
	Provisioned []domain.ManagedLink
}

// The item statuses of seed 002.
const (
	StatusSuccess = "Success"
	StatusFail    = "Fail"
)

// MaxManaged is the input limit of an add request: the most accounts one
// request may name, whatever the rule file's max_accounts says.
const MaxManaged = 10_000

// The reasons no rule file can take away: an account that does not exist
// cannot be linked, one with a live link of another primary is not taken
// from it, and a provision or cancel must name its link's primary and TxId.
const (
	reasonInvalidName   = "Invalid account name"
	reasonOtherPrimary  = "Account is managed by another primary account"
	reasonNotAdded      = "The account was not added for managed billing by this primary account"
	reasonTxIDMismatch  = "Invalid TxId"
	reasonAlreadyLinked = "Success: already added by this primary account with TxId "
)

func checkText(p *domain.Problems, field, v string, required bool) {
	if required && v == "" {
		p.Add("REQUIRED", field, "%s is required", field)
		return
	}
	domain.CheckText(p, field, v, domain.MaxText)
}

func (r *AddRequest) check() error {
	var p domain.Problems
	checkText(&p, "accountName", r.AccountName, true)
	checkText(&p, "serviceName", r.ServiceName, true)
	checkText(&p, "type", r.Type, true)
	if len(r.ManagedAccList) > MaxManaged {
		p.Add("TOO_MANY_ITEMS", "managedAccList", "at most %d accounts per request; this one names %d", MaxManaged, len(r.ManagedAccList))
	}
	return p.Err()
}

func (r *LinkRequest) check() error {
	var p domain.Problems
	checkText(&p, "accountName", r.AccountName, true)
	checkText(&p, "paccountName", r.PAccountName, true)
	checkText(&p, "serviceName", r.ServiceName, true)
	checkText(&p, "type", r.Type, true)
	checkText(&p, "txid", r.TxID, true)
	return p.Err()
}

// namedBy checks the session's account is the one the request names.
// CodeForbidden naming field otherwise.
func namedBy(a *domain.Account, field, name string) error {
	if !strings.EqualFold(a.Alias, name) {
		return domain.Errorf(domain.CodeForbidden, field, "the session is of account %s, not %s: log in as %s", a.Alias, name, name)
	}
	return nil
}

// AddManaged adds the accounts of r.ManagedAccList to the session's account
// as the primary that pays for r.ServiceName (seed 002). The session must be
// of the account r.AccountName names (CodeForbidden naming accountName); the
// service must be one the rules list and the type a SKU the primary bought
// (CodeInvalid naming serviceName or type); nothing is written then. Each
// listed account is then decided in order and gets Success, or Fail with the
// reason: "Invalid account name" (not 10 digits, '-', 5 digits, or no such
// account under the partner), "Unregistered account" (not registered for the
// service), managed by another primary; re-adding an account this primary
// already manages is Success and changes nothing (the reason names its
// TxId). The request gets one TxId; the accounts added carry it.
func (s *Service) AddManaged(ctx context.Context, p domain.Principal, r AddRequest) (AddResult, error) {
	if err := r.check(); err != nil {
		return AddResult{}, err
	}
	now := s.now()
	set := s.Rules()
	txID := s.ids.NewID()
	var (
		out     AddResult
		refused error
	)
	err := s.store.Update(ctx, func(tx ports.Tx) error {
		refused = nil
		primary, err := sessionAccount(ctx, tx, p)
		if err != nil {
			return err
		}
		if err := namedBy(&primary, "accountName", r.AccountName); err != nil {
			return err
		}
		bf := BillingFacts{Action: "add", AccountName: primary.Alias, ServiceName: r.ServiceName, Type: r.Type,
			SKUs: primary.SKUs, Services: primary.Services, Items: len(r.ManagedAccList)}
		d := DecideBilling(set, unix(now), bf)
		logged := &Logged{Decision: "add", Now: now, Billing: &bf}
		if refused = refusal(&d); refused != nil {
			// The refusal's record commits, and nothing else.
			return s.logOne(ctx, tx, p, "AddManaged", r, logged, &d)
		}
		outcome := domain.OutcomeOf(&d)
		// The accounts named, read before any lock (only their ids and
		// registrations), then locked in id order so two adds naming the
		// same accounts never wait on each other in a cycle.
		found := make(map[string]domain.Account, len(r.ManagedAccList))
		for _, name := range r.ManagedAccList {
			if _, ok := found[name]; ok || !domain.ManagedAccountName.MatchString(name) {
				continue
			}
			a, err := tx.Accounts().ByAlias(ctx, name)
			switch {
			case domain.ErrorCode(err) == domain.CodeNotFound:
				continue
			case err != nil:
				return err
			case a.PartnerID != primary.PartnerID:
				continue // another tenant's account is no one's
			}
			found[name] = a
		}
		ids := make([]int64, 0, len(found))
		for _, a := range found {
			ids = append(ids, a.ID)
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		for _, id := range ids {
			if err := tx.LockAccount(ctx, id); err != nil {
				return err
			}
		}
		out = AddResult{TxID: txID, StatusList: make([]ItemStatus, len(r.ManagedAccList))}
		var codes []string
		for i, name := range r.ManagedAccList {
			st := &out.StatusList[i]
			st.ID = name
			a, ok := found[name]
			mf := ManagedFacts{Name: name, Index: i, WellFormed: domain.ManagedAccountName.MatchString(name), Found: ok}
			var live domain.ManagedLink
			if ok {
				mf.Registered = slices.Contains(a.Services, r.ServiceName)
				mf.Self = a.ID == primary.ID
				live, err = tx.ManagedLinks().Live(ctx, a.Alias, r.ServiceName)
				switch {
				case err == nil:
					mf.ManagedBy = live.Primary
				case domain.ErrorCode(err) != domain.CodeNotFound:
					return err
				}
			}
			logged.Managed = append(logged.Managed, mf)
			d := DecideManaged(set, unix(now), bf, mf)
			outcome.AddPart("managedAccList["+strconv.Itoa(i)+"]", &d)
			if !d.Allowed {
				code, msg := reason(&d)
				st.Status, st.Reason = StatusFail, msg
				codes = append(codes, "FAILED:"+name+":"+code)
				continue
			}
			// What no rule file can switch off.
			switch {
			case !ok:
				st.Status, st.Reason = StatusFail, reasonInvalidName
				codes = append(codes, "FAILED:"+name+":INVALID_ACCOUNT_NAME")
				continue
			case mf.ManagedBy != "" && !strings.EqualFold(mf.ManagedBy, primary.Alias):
				st.Status, st.Reason = StatusFail, reasonOtherPrimary
				codes = append(codes, "FAILED:"+name+":MANAGED_BY_ANOTHER")
				continue
			case mf.ManagedBy != "":
				st.Status, st.Reason = StatusSuccess, reasonAlreadyLinked+live.TxID
				continue
			}
			l := domain.ManagedLink{Primary: primary.Alias, Managed: a.Alias, Service: r.ServiceName, SKU: r.Type, TxID: txID,
				State: domain.LinkAdded, CreatedAt: now, UpdatedAt: now}
			if err := tx.ManagedLinks().Create(ctx, &l); err != nil {
				if domain.ErrorCode(err) == domain.CodeConflict {
					// A writer that did not lock the account got there first.
					st.Status, st.Reason = StatusFail, reasonOtherPrimary
					codes = append(codes, "FAILED:"+name+":MANAGED_BY_ANOTHER")
					continue
				}
				return err
			}
			st.Status, st.Reason = StatusSuccess, StatusSuccess
			codes = append(codes, "ADDED:"+name)
		}
		if err := s.logDecision(ctx, tx, p, "AddManaged", r, logged, &d, outcome); err != nil {
			return err
		}
		return s.audit(ctx, tx, p, now, primary.ID, "AddManaged", "txid:"+txID, codes)
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		return AddResult{}, err
	}
	return out, nil
}

// Provision activates the managed account's link (seed 002's provision),
// sent with the managed account's own session. Errors (nothing written):
// CodeInvalid naming the field for a missing or bad field, a service the
// rules do not list or a type the primary did not buy; CodeForbidden naming
// accountName when the session is of another account. Refusals of the link
// itself are a LinkResult with Status "Fail" and the reason: an unknown
// primary ("Invalid account name"), an account not registered for the
// service, no live link of that primary, a TxId other than the link's, a
// type other than the link's. Provisioning an activated link again is
// Success and changes nothing.
func (s *Service) Provision(ctx context.Context, p domain.Principal, r LinkRequest) (LinkResult, error) {
	return s.link(ctx, p, "provision", r)
}

// Cancel ends the managed account's live link (seed 002's cancel), added or
// provisioned, sent with the managed account's own session and naming the
// link's TxId. Errors and refusals as Provision's; a cancelled link shows
// under ADD in the primary's list, and the account may be added again.
func (s *Service) Cancel(ctx context.Context, p domain.Principal, r LinkRequest) (LinkResult, error) {
	return s.link(ctx, p, "cancel", r)
}

func (s *Service) link(ctx context.Context, p domain.Principal, action string, r LinkRequest) (LinkResult, error) {
	if err := r.check(); err != nil {
		return LinkResult{}, err
	}
	now := s.now()
	set := s.Rules()
	out := LinkResult{TxID: r.TxID, AccountName: r.AccountName, PAccountName: r.PAccountName, ServiceName: r.ServiceName}
	command := "Provision"
	if action == "cancel" {
		command = "Cancel"
	}
	var refused error
	err := s.store.Update(ctx, func(tx ports.Tx) error {
		refused = nil
		if id := sessionID(p); id > 0 && p.Credential == domain.Session {
			if err := tx.LockAccount(ctx, id); err != nil {
				return err
			}
		}
		managed, err := sessionAccount(ctx, tx, p)
		if err != nil {
			return err
		}
		if err := namedBy(&managed, "accountName", r.AccountName); err != nil {
			return err
		}
		lf := LinkFacts{Action: action, AccountName: managed.Alias, PAccountName: r.PAccountName, Type: r.Type, TxID: r.TxID,
			Registered: slices.Contains(managed.Services, r.ServiceName)}
		bf := BillingFacts{Action: action, AccountName: r.PAccountName, ServiceName: r.ServiceName, Type: r.Type}
		primary, err := tx.Accounts().ByAlias(ctx, r.PAccountName)
		switch {
		case err == nil && primary.PartnerID == managed.PartnerID && domain.ManagedAccountName.MatchString(r.PAccountName):
			lf.PrimaryFound = true
			bf.AccountName, bf.SKUs, bf.Services = primary.Alias, primary.SKUs, primary.Services
		case err != nil && domain.ErrorCode(err) != domain.CodeNotFound:
			return err
		}
		live, err := tx.ManagedLinks().Live(ctx, managed.Alias, r.ServiceName)
		switch {
		case err == nil:
			lf.LinkFound, lf.LinkPrimary, lf.LinkSKU, lf.LinkTxID, lf.LinkState = true, live.Primary, live.SKU, live.TxID, string(live.State)
		case domain.ErrorCode(err) != domain.CodeNotFound:
			return err
		}
		if !lf.PrimaryFound {
			out.Status, out.Reason = StatusFail, reasonInvalidName
			return nil
		}
		logged := &Logged{Decision: "link", Now: now, Billing: &bf, Link: &lf}
		d := DecideBilling(set, unix(now), bf)
		if refused = refusal(&d); refused != nil {
			// The refusal's record commits, and nothing else.
			return s.logOne(ctx, tx, p, command, r, logged, &d)
		}
		d = DecideLink(set, unix(now), bf, lf)
		if err := s.logOne(ctx, tx, p, command, r, logged, &d); err != nil {
			return err
		}
		if !d.Allowed {
			_, out.Reason = reason(&d)
			out.Status = StatusFail
			return nil
		}
		// What no rule file can switch off: the link is this primary's and
		// the request names its TxId.
		switch {
		case !lf.LinkFound || !strings.EqualFold(live.Primary, primary.Alias):
			out.Status, out.Reason = StatusFail, reasonNotAdded
			return nil
		case live.TxID != r.TxID:
			out.Status, out.Reason = StatusFail, reasonTxIDMismatch
			return nil
		}
		out.Status, out.Reason = StatusSuccess, StatusSuccess
		state := domain.LinkActivated
		if action == "cancel" {
			state = domain.LinkCanceled
		} else if live.State == domain.LinkActivated {
			return nil // provisioned already: harmless
		}
		if err := tx.ManagedLinks().SetState(ctx, live.ID, state, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, p, now, primary.ID, map[string]string{"provision": "ProvisionManaged", "cancel": "CancelManaged"}[action],
			fmt.Sprintf("managedlink:%d", live.ID), []string{string(state)})
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		return LinkResult{}, err
	}
	return out, nil
}

// ManagedAccounts lists the managed accounts of the primary accountName for
// serviceName (seed 002's GET /managedaccounts/{accountName}/service/
// {serviceName}[/status/{status}]), sent with the primary's session: status
// "" gives both lists, "ADD" the added or cancelled links, "PROVISION" the
// activated ones. CodeInvalid naming status for another status, naming
// serviceName for a service the rules do not list; CodeForbidden naming
// accountName when the session is of another account.
func (s *Service) ManagedAccounts(ctx context.Context, p domain.Principal, accountName, serviceName, status string) (ManagedList, error) {
	var pr domain.Problems
	checkText(&pr, "accountName", accountName, true)
	checkText(&pr, "serviceName", serviceName, true)
	if status != "" && status != "ADD" && status != "PROVISION" {
		pr.Add("INVALID_STATUS", "status", "status must be ADD or PROVISION")
	}
	if err := pr.Err(); err != nil {
		return ManagedList{}, err
	}
	now := s.now()
	set := s.Rules()
	var out ManagedList
	err := s.store.View(ctx, func(tx ports.Tx) error {
		primary, err := sessionAccount(ctx, tx, p)
		if err != nil {
			return err
		}
		if err := namedBy(&primary, "accountName", accountName); err != nil {
			return err
		}
		d := DecideBilling(set, unix(now), BillingFacts{Action: "list", AccountName: primary.Alias, ServiceName: serviceName,
			SKUs: primary.SKUs, Services: primary.Services})
		if err := refusal(&d); err != nil {
			return err
		}
		links, err := tx.ManagedLinks().ByPrimary(ctx, primary.Alias, serviceName)
		if err != nil {
			return err
		}
		out = ManagedList{AccountName: primary.Alias}
		// The latest link of each managed account (links come by id).
		latest := map[string]int{}
		for i, l := range links {
			latest[strings.ToLower(l.Managed)] = i
		}
		for i, l := range links {
			if latest[strings.ToLower(l.Managed)] != i {
				continue
			}
			switch {
			case l.State == domain.LinkActivated && status != "ADD":
				out.Provisioned = append(out.Provisioned, l)
			case l.State != domain.LinkActivated && status != "PROVISION":
				out.Added = append(out.Added, l)
			}
		}
		return nil
	})
	return out, err
}
