package seats

import (
	"cmp"
	"context"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// CompanyRequest creates a partner's company. Name is required; Alias, the
// name the partner later authenticates the company with, is generated from
// Name when empty (lower case, letters and digits joined by '-', with -2,
// -3, ... when taken).
type CompanyRequest struct{ Name, Alias string }

// ProductSeats is a company's seats of one product today.
type ProductSeats struct {
	ProductID string
	Owned     int
	Assigned  int
}

// Company is a partner's company with its seats per product: every product
// it owns seats of today or later, by product id.
type Company struct {
	Account  domain.Account
	Products []ProductSeats
}

// SeatsRequest sets how many seats of ProductID the company with Alias owns
// from today. Expires is the expiry of the seats a raise creates; zero
// takes the rule file's default term (default_term_months).
type SeatsRequest struct {
	Alias     string
	ProductID string
	Seats     int
	Expires   domain.Date
}

// SeatsChange is the company after SetSeats, and who lost a seat when
// lowering released seats in use.
type SeatsChange struct {
	Company  Company
	Released []Released
}

// Released is a seat taken back from its user by lowering a company's
// seats: the user, the license and the assignment that was ended.
type Released struct {
	ExternalID   string
	UserID       int64
	LicenseID    int64
	AssignmentID int64
}

// aliasRE is what an alias may be: it travels in URLs and tokens.
var aliasRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// MaxSeats is the input limit of SetSeats: the most seats of a product a
// request may ask for, whatever the rule file allows.
const MaxSeats = 100_000

// maxAliasTries bounds the search for a free generated alias.
const maxAliasTries = 100

// CreateCompany creates a company (an account) of the partner p and returns
// it with its alias. CodeForbidden unless p is a partner token; CodeInvalid
// for a missing or bad name or alias; CodeConflict naming alias when the
// alias given is taken.
func (s *Service) CreateCompany(ctx context.Context, p domain.Principal, r CompanyRequest) (domain.Account, error) {
	partner, err := partnerOf(p)
	if err != nil {
		return domain.Account{}, err
	}
	var pr domain.Problems
	domain.CheckText(&pr, "name", r.Name, domain.MaxText)
	if strings.TrimSpace(r.Name) == "" {
		pr.Add("REQUIRED", "name", "name is required")
	}
	if r.Alias != "" && !aliasRE.MatchString(r.Alias) {
		pr.Add("INVALID_ALIAS", "alias", "alias %q must be 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit", r.Alias)
	}
	if err := pr.Err(); err != nil {
		return domain.Account{}, err
	}
	now, _ := s.now()
	var out domain.Account
	err = s.store.Update(ctx, func(tx ports.Tx) error {
		alias := r.Alias
		if alias == "" {
			if alias, err = freeAlias(ctx, tx, r.Name); err != nil {
				return err
			}
		}
		a := domain.Account{PartnerID: partner, Alias: alias, Title: strings.TrimSpace(r.Name), CreatedAt: now, Activated: true}
		if err := tx.Accounts().Create(ctx, &a); err != nil {
			return err
		}
		out = a
		return s.audit(ctx, tx, p, now, a.ID, "CreateCompany", "account:"+strconv.FormatInt(a.ID, 10), nil)
	})
	return out, err
}

// freeAlias makes an alias from name that no account has.
func freeAlias(ctx context.Context, tx ports.Tx, name string) (string, error) {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
		if b.Len() >= 56 {
			break
		}
	}
	base := b.String()
	if base == "" {
		base = "company"
	}
	for i := 1; i <= maxAliasTries; i++ {
		alias := base
		if i > 1 {
			alias = base + "-" + strconv.Itoa(i)
		}
		_, err := tx.Accounts().ByAlias(ctx, alias)
		if domain.ErrorCode(err) == domain.CodeNotFound {
			return alias, nil
		}
		if err != nil {
			return "", err
		}
	}
	return "", domain.Errorf(domain.CodeConflict, "alias", "the aliases made from %q are all taken; give an alias", name)
}

// maxPage is the most a listing returns at once (limit 0 means all, up to
// this many).
const maxPage = 1000

// Companies lists the partner's companies by id with their seats, skipping
// offset and returning at most limit (0: up to 1,000). CodeForbidden unless
// p is a partner token; CodeInvalid for a bad offset or limit.
func (s *Service) Companies(ctx context.Context, p domain.Principal, offset, limit int) ([]Company, error) {
	partner, err := partnerOf(p)
	if err != nil {
		return nil, err
	}
	if err := checkPage(offset, limit, maxPage); err != nil {
		return nil, err
	}
	if limit == 0 {
		limit = maxPage
	}
	_, today := s.now()
	var out []Company
	err = s.store.View(ctx, func(tx ports.Tx) error {
		accts, err := tx.Accounts().ByPartner(ctx, partner, offset, limit)
		if err != nil {
			return err
		}
		out = make([]Company, 0, len(accts))
		for _, a := range accts {
			c, err := companyView(ctx, tx, a, today)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

// Company returns the partner's company with alias and its seats.
// CodeNotFound naming alias for no such company of the partner.
func (s *Service) Company(ctx context.Context, p domain.Principal, alias string) (Company, error) {
	partner, err := partnerOf(p)
	if err != nil {
		return Company{}, err
	}
	_, today := s.now()
	var out Company
	err = s.store.View(ctx, func(tx ports.Tx) error {
		a, err := companyOf(ctx, tx, partner, alias)
		if err != nil {
			return err
		}
		out, err = companyView(ctx, tx, a, today)
		return err
	})
	return out, err
}

// companyView counts a company's seats per product today.
func companyView(ctx context.Context, tx ports.SeatsTx, a domain.Account, today domain.Date) (Company, error) {
	ls, err := tx.Licenses().ByAccount(ctx, a.ID, "", today)
	if err != nil {
		return Company{}, err
	}
	var products []string
	for _, l := range ls {
		if !slices.Contains(products, l.ProductID) {
			products = append(products, l.ProductID)
		}
	}
	slices.Sort(products)
	c := Company{Account: a}
	for _, pid := range products {
		as, err := tx.Assignments().ByProduct(ctx, a.ID, pid, today)
		if err != nil {
			return Company{}, err
		}
		pool := domain.PoolOn(pid, today, ls, as)
		c.Products = append(c.Products, ProductSeats{ProductID: pid, Owned: pool.Owned, Assigned: pool.Assigned})
	}
	return c, nil
}

// SetSeats makes the company own r.Seats seats of r.ProductID from today.
// Raising creates seats registered today that expire on r.Expires (else
// the rule file's default term). Lowering retires free seats first, the
// latest registered first (their expiry becomes yesterday); below the seats
// in use it follows the rule file's shrink_policy: refuse (CodeConflict
// naming seats, saying how many are in use) or release_most_recent (the
// most recently activated assignments end today and are listed in
// Released). CodeForbidden unless p is a partner token; CodeNotFound for
// another partner's company or an unknown product; CodeInvalid for a
// negative or too large count or an expiry before today.
func (s *Service) SetSeats(ctx context.Context, p domain.Principal, r SeatsRequest) (SeatsChange, error) {
	return s.setSeats(ctx, p, r, false)
}

func (s *Service) setSeats(ctx context.Context, p domain.Principal, r SeatsRequest, dryRun bool) (SeatsChange, error) {
	partner, err := partnerOf(p)
	if err != nil {
		return SeatsChange{}, err
	}
	now, today := s.now()
	set := s.Rules()
	if err := s.checkProduct(ctx, p, set, now, "seats", r.ProductID, 0); err != nil {
		return SeatsChange{}, err
	}
	var pr domain.Problems
	domain.CheckDate(&pr, "expires", r.Expires)
	domain.CheckInt(&pr, "seats", int64(r.Seats), 0, MaxSeats)
	if err := pr.Err(); err != nil {
		return SeatsChange{}, err
	}
	var (
		out     SeatsChange
		refused error
	)
	err = s.store.Update(ctx, func(tx ports.Tx) error {
		out, refused = SeatsChange{}, nil
		acct, err := companyOf(ctx, tx, partner, r.Alias)
		if err != nil {
			return err
		}
		if err := tx.LockAccount(ctx, acct.ID); err != nil {
			return err
		}
		st, err := loadPool(ctx, tx, acct.ID, r.ProductID, today)
		if err != nil {
			return err
		}
		in := SeatsFacts{ProductID: r.ProductID, Owned: st.pool.Owned, InUse: st.pool.Assigned,
			Free: st.pool.Owned - st.pool.Assigned, Requested: r.Seats, RequestedExpires: r.Expires, Expires: r.Expires}
		f, d := DecideSeats(set, today, in)
		o := domain.OutcomeOf(&d)
		o.Derived = map[string]string{"seats.expires": f.Expires.String(), "seats.release": strconv.Itoa(f.Release)}
		if err := s.logDecision(ctx, tx, p, "SetSeats", r, &Logged{Decision: "seats", Now: now, Seats: &in}, &d, o); err != nil {
			return err
		}
		if refused = refusal(&d); refused != nil {
			if dryRun {
				return errDryRun // a preview records nothing, its refusal included
			}
			return nil // the refusal's record commits, and nothing else
		}
		switch {
		case r.Seats > st.pool.Owned:
			err = s.raise(ctx, tx, acct, st, r, f, today, now)
		case r.Seats < st.pool.Owned:
			out.Released, err = s.lower(ctx, tx, acct, st, r, f, today, now)
		}
		if err != nil {
			return err
		}
		if err := s.audit(ctx, tx, p, now, acct.ID, "SetSeats", "account:"+strconv.FormatInt(acct.ID, 10), d.Codes()); err != nil {
			return err
		}
		out.Company, err = companyView(ctx, tx, acct, today)
		if err == nil && dryRun {
			return errDryRun // roll back: the answer is kept, the change is not
		}
		return err
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	if err == nil {
		err = refused
	}
	return out, err
}

func (s *Service) raise(ctx context.Context, tx ports.Tx, acct domain.Account, st *poolState, r SeatsRequest, f SeatsFacts, today domain.Date, now time.Time) error {
	if f.Expires.IsZero() || f.Expires.Before(today) {
		return domain.Errorf(domain.CodeInvalid, "expires", "expires %s is before today (%s, UTC); seats need a term that includes today", f.Expires, today)
	}
	ls := make([]domain.License, r.Seats-st.pool.Owned)
	for i := range ls {
		ls[i] = domain.License{AccountID: acct.ID, ProductID: r.ProductID, Registered: today, Expires: f.Expires, CreatedAt: now}
	}
	_, err := tx.Licenses().Create(ctx, ls)
	return err
}

func (s *Service) lower(ctx context.Context, tx ports.Tx, acct domain.Account, st *poolState, r SeatsRequest, f SeatsFacts, today domain.Date, now time.Time) ([]Released, error) {
	if r.Seats < 0 {
		return nil, domain.Errorf(domain.CodeInvalid, "seats", "seats %d is negative", r.Seats)
	}
	retire := st.pool.Owned - r.Seats
	yesterday := today.AddDays(-1)
	// Free seats first, the latest registered first.
	free := make([]domain.License, 0, len(st.pool.Free))
	for _, id := range st.pool.Free {
		free = append(free, st.licenses[id])
	}
	slices.SortFunc(free, func(a, b domain.License) int {
		return cmp.Or(b.Registered.Compare(a.Registered), cmp.Compare(b.ID, a.ID))
	})
	for _, l := range free[:min(retire, len(free))] {
		if err := tx.Licenses().SetExpires(ctx, acct.ID, l.ID, yesterday); err != nil {
			return nil, err
		}
	}
	retire -= min(retire, len(free))
	if retire == 0 {
		return nil, nil
	}
	// Seats in use: only as far as the rules allow (fail closed).
	if f.Release < retire {
		return nil, domain.Errorf(domain.CodeConflict, "seats", "%d seats of %s are in use; lowering to %d would take %d from their users, and the rules allow %d", st.pool.Assigned, r.ProductID, r.Seats, retire, max(f.Release, 0))
	}
	inUse := make([]domain.Assignment, 0, len(st.held))
	for _, a := range st.held {
		if st.pool.Holder[a.UserID] == a.LicenseID {
			inUse = append(inUse, a)
		}
	}
	slices.SortFunc(inUse, func(a, b domain.Assignment) int {
		return cmp.Or(b.ActivationDate.Compare(a.ActivationDate), cmp.Compare(b.ID, a.ID))
	})
	var released []Released
	for _, a := range inUse[:retire] {
		end := endOn(&a, today)
		if err := tx.Assignments().SetDeactivation(ctx, acct.ID, a.ID, end, now); err != nil {
			return nil, err
		}
		if err := tx.Licenses().SetExpires(ctx, acct.ID, a.LicenseID, yesterday.Max(end)); err != nil {
			return nil, err
		}
		u, err := tx.Users().Get(ctx, acct.ID, a.UserID)
		if err != nil {
			return nil, err
		}
		released = append(released, Released{ExternalID: u.ExternalID, UserID: u.ID, LicenseID: a.LicenseID, AssignmentID: a.ID})
	}
	return released, nil
}
