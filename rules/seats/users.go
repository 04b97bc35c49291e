package seats

import (
	"context"
	"strconv"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// UserInput is a user as the Account Manager sends it (seed 000): only
// ExternalID is required.
type UserInput struct {
	ExternalID  string
	Email       string
	FirstName   string
	LastName    string
	PhoneNumber string
}

// check applies the input limits: externalId required (unless update, where
// empty keeps it), at most 255 characters, e-mail at most 254, no control
// characters; each problem names its field.
func (in *UserInput) check(update bool) error {
	var p domain.Problems
	if in.ExternalID == "" && !update {
		p.Add("REQUIRED", "externalId", "externalId is required")
	}
	domain.CheckText(&p, "externalId", in.ExternalID, domain.MaxText)
	domain.CheckText(&p, "email", in.Email, domain.MaxEmail)
	domain.CheckText(&p, "firstName", in.FirstName, domain.MaxText)
	domain.CheckText(&p, "lastName", in.LastName, domain.MaxText)
	domain.CheckText(&p, "phoneNumber", in.PhoneNumber, domain.MaxText)
	return p.Err()
}

func (in *UserInput) facts(action string) UserFacts {
	return UserFacts{Action: action, ExternalID: in.ExternalID, Email: in.Email, FirstName: in.FirstName, LastName: in.LastName, PhoneNumber: in.PhoneNumber}
}

// AddUser adds a user to the account p acts for. CodeInvalid naming the
// field for a missing or bad externalId, a bad e-mail or any text over the
// limits; CodeConflict naming externalId when a live user of the account
// has it (case-insensitively), and when the account's users limit (seed
// 003's user limit) is reached.
func (s *Service) AddUser(ctx context.Context, p domain.Principal, in UserInput) (domain.User, error) {
	if err := in.check(false); err != nil {
		return domain.User{}, err
	}
	now, today := s.now()
	set := s.Rules()
	var (
		out     domain.User
		refused error
	)
	err := s.store.Update(ctx, func(tx ports.Tx) error {
		refused = nil
		acct, err := lockedAccount(ctx, tx, p, manage)
		if err != nil {
			return err
		}
		n, err := tx.Users().Count(ctx, acct.ID)
		if err != nil {
			return err
		}
		uf, af := in.facts("add"), AccountFacts{Users: n, UserLimit: acct.UserLimit(), Alias: acct.Alias, Blocked: acct.BlockedAt(now)}
		d := DecideUser(set, today, uf, af)
		if err := s.logOne(ctx, tx, p, "AddUser", in, &Logged{Decision: "user", Now: now, User: &uf, Account: &af}, &d); err != nil {
			return err
		}
		if refused = refusal(&d); refused != nil {
			return nil // the refusal's record commits, and nothing else
		}
		u := domain.User{AccountID: acct.ID, ExternalID: in.ExternalID, Email: in.Email, FirstName: in.FirstName,
			LastName: in.LastName, PhoneNumber: in.PhoneNumber, CreatedAt: now, UpdatedAt: now}
		if err := tx.Users().Create(ctx, &u); err != nil {
			return err
		}
		out = u
		return s.audit(ctx, tx, p, now, u.AccountID, "AddUser", "user:"+strconv.FormatInt(u.ID, 10), nil)
	})
	if err == nil {
		err = refused
	}
	return out, err
}

// Users lists the account's live users by id, skipping offset and returning
// at most limit (0: up to 1,000), with how many it has in all.
func (s *Service) Users(ctx context.Context, p domain.Principal, offset, limit int) (users []domain.User, total int, err error) {
	if err := checkPage(offset, limit, maxPage); err != nil {
		return nil, 0, err
	}
	if limit == 0 {
		limit = maxPage
	}
	err = s.store.View(ctx, func(tx ports.Tx) error {
		acct, err := accountOf(ctx, tx, p, read)
		if err != nil {
			return err
		}
		if users, err = tx.Users().List(ctx, acct.ID, offset, limit); err != nil {
			return err
		}
		total, err = tx.Users().Count(ctx, acct.ID)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return users, total, nil
}

// User returns the account's live user with externalID (case-insensitively).
// CodeNotFound naming externalId when there is none.
func (s *Service) User(ctx context.Context, p domain.Principal, externalID string) (domain.User, error) {
	if v := checkExternalID(externalID); v != nil {
		return domain.User{}, domain.Errorf(domain.CodeInvalid, v.Field, "%s", v.Message)
	}
	var out domain.User
	err := s.store.View(ctx, func(tx ports.Tx) error {
		acct, err := accountOf(ctx, tx, p, read)
		if err != nil {
			return err
		}
		out, err = userOf(ctx, tx, acct.ID, externalID)
		return err
	})
	return out, err
}

func userOf(ctx context.Context, tx ports.SeatsTx, acct int64, externalID string) (domain.User, error) {
	u, err := tx.Users().ByExternalID(ctx, acct, externalID)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return domain.User{}, domain.Errorf(domain.CodeNotFound, "externalId", "no user with externalId %s", externalID)
	}
	return u, err
}

// UpdateUser replaces the user's details (PUT /users/{externalId}): the
// optional fields take what in says (empty clears them), and a non-empty
// in.ExternalID renames the user. Errors as AddUser's, and CodeNotFound for
// no such user.
func (s *Service) UpdateUser(ctx context.Context, p domain.Principal, externalID string, in UserInput) (domain.User, error) {
	if v := checkExternalID(externalID); v != nil {
		return domain.User{}, domain.Errorf(domain.CodeInvalid, v.Field, "%s", v.Message)
	}
	if err := in.check(true); err != nil {
		return domain.User{}, err
	}
	now, today := s.now()
	set := s.Rules()
	var (
		out     domain.User
		refused error
	)
	err := s.store.Update(ctx, func(tx ports.Tx) error {
		refused = nil
		acct, err := lockedAccount(ctx, tx, p, manage)
		if err != nil {
			return err
		}
		u, err := userOf(ctx, tx, acct.ID, externalID)
		if err != nil {
			return err
		}
		if in.ExternalID == "" {
			in.ExternalID = u.ExternalID
		}
		n, err := tx.Users().Count(ctx, acct.ID)
		if err != nil {
			return err
		}
		uf, af := in.facts("update"), AccountFacts{Users: n, UserLimit: acct.UserLimit(), Alias: acct.Alias, Blocked: acct.BlockedAt(now)}
		d := DecideUser(set, today, uf, af)
		if err := s.logOne(ctx, tx, p, "UpdateUser", in, &Logged{Decision: "user", Now: now, User: &uf, Account: &af}, &d); err != nil {
			return err
		}
		if refused = refusal(&d); refused != nil {
			return nil // the refusal's record commits, and nothing else
		}
		changed := u.ExternalID != in.ExternalID
		u.ExternalID, u.Email, u.FirstName, u.LastName, u.PhoneNumber = in.ExternalID, in.Email, in.FirstName, in.LastName, in.PhoneNumber
		u.UpdatedAt = now
		if err := tx.Users().Put(ctx, u); err != nil {
			return err
		}
		out = u
		var codes []string
		if changed {
			codes = []string{"RENAMED"}
		}
		return s.audit(ctx, tx, p, now, u.AccountID, "UpdateUser", "user:"+strconv.FormatInt(u.ID, 10), codes)
	})
	if err == nil {
		err = refused
	}
	return out, err
}

// DeleteUser deletes the account's user with externalID: every assignment
// it holds today or later ends today (deactivation yesterday, or the
// cancelled shape for one activated today), and its externalId is free
// again. It returns the assignments it ended. CodeNotFound naming
// externalId when there is no such user.
func (s *Service) DeleteUser(ctx context.Context, p domain.Principal, externalID string) (ended []domain.Assignment, err error) {
	if v := checkExternalID(externalID); v != nil {
		return nil, domain.Errorf(domain.CodeInvalid, v.Field, "%s", v.Message)
	}
	now, today := s.now()
	err = s.store.Update(ctx, func(tx ports.Tx) error {
		ended = nil
		acct, err := lockedAccount(ctx, tx, p, manage)
		if err != nil {
			return err
		}
		u, err := userOf(ctx, tx, acct.ID, externalID)
		if err != nil {
			return err
		}
		as, err := tx.Assignments().ByUser(ctx, acct.ID, u.ID, today)
		if err != nil {
			return err
		}
		for _, a := range as {
			if a.Cancelled() {
				continue
			}
			end := endOn(&a, today)
			if err := tx.Assignments().SetDeactivation(ctx, acct.ID, a.ID, end, now); err != nil {
				return err
			}
			a.DeactivationDate, a.LastChanged = end, now
			ended = append(ended, a)
		}
		if err := tx.Users().Delete(ctx, acct.ID, u.ID, now); err != nil {
			return err
		}
		codes := make([]string, 0, len(ended))
		for _, a := range ended {
			codes = append(codes, "ENDED:assignment:"+strconv.FormatInt(a.ID, 10))
		}
		return s.audit(ctx, tx, p, now, u.AccountID, "DeleteUser", "user:"+strconv.FormatInt(u.ID, 10), codes)
	})
	if err != nil {
		return nil, err
	}
	return ended, nil
}

// Assignments lists the account's license assignments as License
// Assignments v2 asks (seed 004): q's filters, sort, offset and limit; the
// account is the principal's whatever q.AccountID says. CodeForbidden for a
// principal without role USERADMIN or ACCOUNTADMIN; CodeInvalid for a
// negative offset or limit or a sort that is not one of seed 004's.
func (s *Service) Assignments(ctx context.Context, p domain.Principal, q domain.AssignmentQuery) ([]domain.Assignment, error) {
	var pr domain.Problems
	if q.Offset < 0 {
		pr.Add("OUT_OF_RANGE", "offset", "offset %d is negative", q.Offset)
	}
	if q.Limit < 0 {
		pr.Add("OUT_OF_RANGE", "limit", "limit %d is negative", q.Limit)
	}
	if q.Sort > domain.SortByActivationDate {
		pr.Add("INVALID_SORT", "sort", "sort must be one of id, license-id, user-id, activation-date, with - for descending")
	}
	if q.LicenseID < 0 || q.UserID < 0 {
		pr.Add("OUT_OF_RANGE", "", "ids are positive")
	}
	domain.CheckDate(&pr, "from-activation-date", q.FromActivationDate)
	domain.CheckDate(&pr, "to-activation-date", q.ToActivationDate)
	if err := pr.Err(); err != nil {
		return nil, err
	}
	var out []domain.Assignment
	err := s.store.View(ctx, func(tx ports.Tx) error {
		acct, err := accountOf(ctx, tx, p, assignmentsV2)
		if err != nil {
			return err
		}
		q.AccountID = acct.ID
		out, err = tx.Assignments().Find(ctx, q)
		return err
	})
	return out, err
}

// Assignment returns the account's license assignment with id. CodeNotFound
// for none (another account's, too); CodeForbidden as for Assignments.
func (s *Service) Assignment(ctx context.Context, p domain.Principal, id int64) (domain.Assignment, error) {
	var out domain.Assignment
	err := s.store.View(ctx, func(tx ports.Tx) error {
		acct, err := accountOf(ctx, tx, p, assignmentsV2)
		if err != nil {
			return err
		}
		if id <= 0 {
			return domain.Errorf(domain.CodeNotFound, "id", "no license assignment %d", id)
		}
		out, err = tx.Assignments().Get(ctx, acct.ID, id)
		if domain.ErrorCode(err) == domain.CodeNotFound {
			return domain.Errorf(domain.CodeNotFound, "id", "no license assignment %d", id)
		}
		return err
	})
	return out, err
}
