package seats

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
)

// ItemResult is the answer to one externalId of an assign or release call:
// OK (Success) or not (Fail), with the rule's or the input check's Code and a
// Reason a person can act on. A harmless repeat (assigning a user who holds
// a seat already, releasing one who holds none) is OK with a Reason.
type ItemResult struct {
	ExternalID string
	OK         bool
	Code       string
	Reason     string
}

// Assign gives one seat of productID to each user named by externalIDs (one
// for POST /license/{productId}, up to the rule file's max_bulk for
// /bulk), deciding the items in the order given and applying those that
// pass; each gets its ItemResult. An assignment runs from today (UTC) to
// the seat's expiry, on the free seat with the lowest license id. A user who
// holds a seat of the product today already keeps it and the item is OK (a
// repeated id in one call, too). With no seat free an item fails with
// NO_FREE_SEAT. The call fails as a whole with CodeNotFound naming
// productId for a product the rules do not list, CodeInvalid for too many
// or no externalIds, and as accountOf says for a principal that may not
// manage the account.
func (s *Service) Assign(ctx context.Context, p domain.Principal, productID string, externalIDs []string) ([]ItemResult, error) {
	return s.items(ctx, p, "assign", productID, externalIDs)
}

// Release ends today the seat of productID each user named by externalIDs
// holds: the assignment's deactivation becomes yesterday, so the seat is
// free today (an assignment made today takes seed 004's cancelled shape,
// deactivation the day before activation). A user who holds no seat of the
// product is OK, with a Reason; an unknown externalId fails with
// USER_NOT_FOUND. Errors as for Assign.
func (s *Service) Release(ctx context.Context, p domain.Principal, productID string, externalIDs []string) ([]ItemResult, error) {
	return s.items(ctx, p, "release", productID, externalIDs)
}

// Pool returns the account's pool of productID today: seats owned, assigned
// and which are free. CodeNotFound naming productId for a product the rules
// do not list.
func (s *Service) Pool(ctx context.Context, p domain.Principal, productID string) (domain.Pool, error) {
	now, today := s.now()
	if err := s.checkProduct(ctx, p, s.Rules(), now, "pool", productID, 0); err != nil {
		return domain.Pool{}, err
	}
	var out domain.Pool
	err := s.store.View(ctx, func(tx ports.Tx) error {
		acct, err := accountOf(ctx, tx, p, read)
		if err != nil {
			return err
		}
		st, err := loadPool(ctx, tx, acct.ID, productID, today)
		if err != nil {
			return err
		}
		out = st.pool
		return nil
	})
	return out, err
}

// checkProduct decides the call scope: a product the rules list, a number
// of items they allow. A refusal is logged, in a transaction of its own
// (the call goes no further); an allowed call is decided again, and
// logged, by the use case's transaction.
func (s *Service) checkProduct(ctx context.Context, p domain.Principal, set *rules.Set, now time.Time, action, productID string, items int) error {
	if err := domain.CheckTexts("productId", productID); err != nil {
		return err
	}
	f := CallFacts{Action: action, ProductID: productID, Items: items}
	d := DecideCall(set, domain.Today(now, domain.UTC), f)
	if d.Allowed {
		return nil
	}
	if err := s.store.Update(ctx, func(tx ports.Tx) error {
		return s.logOne(ctx, tx, p, "Call", f, &Logged{Decision: "call", Now: now, Call: &f, Account: &AccountFacts{}}, &d)
	}); err != nil {
		return err
	}
	return refusal(&d)
}

// poolState is an account's pool of one product today, kept up to date as
// the items of a call are applied.
type poolState struct {
	pool     domain.Pool
	licenses map[int64]domain.License
	// held maps a user id to the assignment of the product holding today.
	held map[int64]domain.Assignment
}

// loadPool reads the pool of productID in acct today. A seat is free when it
// is owned today and no assignment holds it today or later.
func loadPool(ctx context.Context, tx ports.SeatsTx, acct int64, productID string, today domain.Date) (*poolState, error) {
	ls, err := tx.Licenses().ByAccount(ctx, acct, productID, today)
	if err != nil {
		return nil, err
	}
	as, err := tx.Assignments().ByProduct(ctx, acct, productID, today)
	if err != nil {
		return nil, err
	}
	st := &poolState{pool: domain.PoolOn(productID, today, ls, as), licenses: make(map[int64]domain.License, len(ls)), held: map[int64]domain.Assignment{}}
	for _, l := range ls {
		st.licenses[l.ID] = l
	}
	later := map[int64]bool{}
	for _, a := range as {
		if a.Cancelled() {
			continue
		}
		later[a.LicenseID] = true
		if a.Holds(today) {
			st.held[a.UserID] = a
		}
	}
	st.pool.Free = slices.DeleteFunc(st.pool.Free, func(id int64) bool { return later[id] })
	return st, nil
}

func (st *poolState) facts() PoolFacts {
	return PoolFacts{Owned: st.pool.Owned, Assigned: st.pool.Assigned, Free: len(st.pool.Free)}
}

// take records that user now holds the seat a, which was free.
func (st *poolState) take(a domain.Assignment) {
	if len(st.pool.Free) > 0 && st.pool.Free[0] == a.LicenseID {
		st.pool.Free = st.pool.Free[1:] // the usual case: the lowest free seat
	} else {
		st.pool.Free = slices.DeleteFunc(st.pool.Free, func(id int64) bool { return id == a.LicenseID })
	}
	st.pool.Holder[a.UserID] = a.LicenseID
	st.pool.Assigned++
	st.held[a.UserID] = a
}

// give records that the user of a no longer holds its seat.
func (st *poolState) give(a domain.Assignment) {
	delete(st.held, a.UserID)
	if st.pool.Holder[a.UserID] == a.LicenseID {
		delete(st.pool.Holder, a.UserID)
		st.pool.Assigned--
		if l, ok := st.licenses[a.LicenseID]; ok && l.OwnedOn(st.pool.Day) {
			i, _ := slices.BinarySearch(st.pool.Free, a.LicenseID)
			st.pool.Free = slices.Insert(st.pool.Free, i, a.LicenseID)
		}
	}
}

// MaxItems is the input limit of an assign or release call: the most
// externalIds one call may name, whatever the rule file's max_bulk says.
const MaxItems = 10_000

func (s *Service) items(ctx context.Context, p domain.Principal, action, productID string, externalIDs []string) ([]ItemResult, error) {
	if len(externalIDs) > MaxItems {
		return nil, domain.Errorf(domain.CodeInvalid, "externalIds", "at most %d externalIds per call; this one names %d", MaxItems, len(externalIDs))
	}
	now, today := s.now()
	set := s.Rules()
	if err := s.checkProduct(ctx, p, set, now, action, productID, len(externalIDs)); err != nil {
		return nil, err
	}
	// The input limits, per item: a bad externalId fails its own item.
	bad := make([]*domain.Violation, len(externalIDs))
	valid := make([]string, 0, len(externalIDs))
	for i, ext := range externalIDs {
		if v := checkExternalID(ext); v != nil {
			bad[i] = v
			continue
		}
		valid = append(valid, ext)
	}
	var (
		out     []ItemResult
		refused error
	)
	command := "Assign"
	if action == "release" {
		command = "Release"
	}
	req := itemsRequest{Action: action, ProductID: productID, ExternalIDs: externalIDs}
	err := s.store.Update(ctx, func(tx ports.Tx) error {
		out, refused = nil, nil
		acct, err := lockedAccount(ctx, tx, p, manage)
		if err != nil {
			return err
		}
		// The call again, knowing the account: what a block stops.
		cf := CallFacts{Action: action, ProductID: productID, Items: len(externalIDs)}
		af := AccountFacts{UserLimit: acct.UserLimit(), Alias: acct.Alias, Blocked: acct.BlockedAt(now)}
		d := DecideAccountCall(set, today, cf, af)
		if refused = refusal(&d); refused != nil {
			// The refusal's record commits, and nothing else.
			return s.logOne(ctx, tx, p, command, req, &Logged{Decision: "call", Now: now, Call: &cf, Account: &af}, &d)
		}
		logged := &Logged{Decision: "items", Now: now, Call: &cf, Account: &af}
		outcome := itemsOutcome{domain.OutcomeOf(&d)}
		st, err := loadPool(ctx, tx, acct.ID, productID, today)
		if err != nil {
			return err
		}
		users, err := tx.Users().ByExternalIDs(ctx, acct.ID, valid)
		if err != nil {
			return err
		}
		out = make([]ItemResult, len(externalIDs))
		for i, ext := range externalIDs {
			r := &out[i]
			r.ExternalID = ext
			if v := bad[i]; v != nil {
				r.Code, r.Reason = v.Code, v.Message
				continue
			}
			u, found := users[domain.ExternalKey(ext)]
			held, holds := st.held[u.ID]
			holds = holds && found
			f := ItemFacts{Action: action, ProductID: productID, ExternalID: ext, Index: i, UserFound: found, Holds: holds}
			switch {
			case action == "assign" && !holds && len(st.pool.Free) > 0:
				f.ActivationDate, f.DeactivationDate = today, st.licenses[st.pool.Free[0]].Expires
			case action == "release" && holds:
				f.ActivationDate, f.DeactivationDate = held.ActivationDate, endOn(&held, today)
			}
			logged.Items = append(logged.Items, LoggedItem{Item: f, Pool: st.facts()})
			d := DecideItem(set, today, f, st.facts())
			outcome.addItem(f.Index, &d)
			if !d.Allowed {
				v := d.Violations[0]
				r.Code, r.Reason = v.Code, v.Message
				continue
			}
			// What no rule file can switch off.
			if !found {
				r.Code, r.Reason = "USER_NOT_FOUND", fmt.Sprintf("no user with externalId %s", ext)
				continue
			}
			if action == "assign" {
				err = s.assignOne(ctx, tx, p, now, today, st, u, r)
			} else {
				err = s.releaseOne(ctx, tx, p, now, today, st, u, r)
			}
			if err != nil {
				return err
			}
		}
		return s.logDecision(ctx, tx, p, command, req, logged, &d, outcome.DecisionOutcome)
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// itemsRequest is an assign or release call as the decision log keeps it.
type itemsRequest struct {
	Action      string   `json:"action"`
	ProductID   string   `json:"productId"`
	ExternalIDs []string `json:"externalIds"`
}

func (s *Service) assignOne(ctx context.Context, tx ports.Tx, p domain.Principal, now time.Time, today domain.Date, st *poolState, u domain.User, r *ItemResult) error {
	if held, ok := st.held[u.ID]; ok {
		r.OK, r.Reason = true, fmt.Sprintf("%s already holds a seat of %s (license %d)", u.ExternalID, held.ProductID, held.LicenseID)
		return nil
	}
	if len(st.pool.Free) == 0 {
		r.Code, r.Reason = "NO_FREE_SEAT", "no free seat of "+st.pool.ProductID
		return nil
	}
	lic := st.licenses[st.pool.Free[0]]
	a := domain.Assignment{AccountID: u.AccountID, LicenseID: lic.ID, UserID: u.ID, ProductID: lic.ProductID,
		ActivationDate: today, DeactivationDate: lic.Expires, LastChanged: now}
	if err := a.Validate(); err != nil {
		var de *domain.Error
		if errors.As(err, &de) && len(de.Violations) > 0 {
			r.Code, r.Reason = de.Violations[0].Code, de.Violations[0].Message
			return nil
		}
		return err
	}
	if err := tx.Assignments().Create(ctx, &a); err != nil {
		return err
	}
	st.take(a)
	r.OK = true
	return s.audit(ctx, tx, p, now, a.AccountID, "Assign", "assignment:"+strconv.FormatInt(a.ID, 10), nil)
}

func (s *Service) releaseOne(ctx context.Context, tx ports.Tx, p domain.Principal, now time.Time, today domain.Date, st *poolState, u domain.User, r *ItemResult) error {
	held, ok := st.held[u.ID]
	if !ok {
		r.OK, r.Reason = true, fmt.Sprintf("%s holds no seat of %s", u.ExternalID, st.pool.ProductID)
		return nil
	}
	end := endOn(&held, today)
	if err := tx.Assignments().SetDeactivation(ctx, held.AccountID, held.ID, end, now); err != nil {
		return err
	}
	held.DeactivationDate, held.LastChanged = end, now
	st.give(held)
	r.OK = true
	return s.audit(ctx, tx, p, now, held.AccountID, "Release", "assignment:"+strconv.FormatInt(held.ID, 10), nil)
}

// checkExternalID applies the input limits to an externalId: required, at
// most 255 characters, printable.
func checkExternalID(ext string) *domain.Violation {
	if ext == "" {
		return &domain.Violation{Code: "REQUIRED", Field: "externalId", Message: "externalId is required"}
	}
	var p domain.Problems
	domain.CheckText(&p, "externalId", ext, domain.MaxText)
	if err := p.Err(); err != nil {
		var de *domain.Error
		if errors.As(err, &de) {
			v := de.Violations[0]
			return &v
		}
	}
	return nil
}

// lockedAccount locks the account p acts for and returns it, checked as
// accountOf does. The lock comes first, before anything of the account is
// read, so two writers of one account never decide on the same reads.
func lockedAccount(ctx context.Context, tx ports.Tx, p domain.Principal, a access) (domain.Account, error) {
	if id, err := strconv.ParseInt(p.Account, 10, 64); err == nil && id > 0 {
		if err := tx.LockAccount(ctx, id); err != nil {
			return domain.Account{}, err
		}
	}
	return accountOf(ctx, tx, p, a)
}
