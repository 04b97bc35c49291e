package dataset

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/internal/secret"
)

// The seats part of the data file (seeds 000 and 004). A file states what
// exists: loading it again restores what it states, and changes nothing when
// the store already holds it.
//
//   - companies are found by alias (case-insensitively): a new one is
//     created (with the file's id, when given), a known one takes the file's
//     fields and keeps its id, and the plans and block records the file does
//     not state (accounts.go);
//   - users are found by company and externalId (case-insensitively, among
//     live users): a new one is created, a known one takes the file's fields
//     and keeps its id, creation time, failed logins and lock; a plain
//     password is hashed with argon2id, and the stored hash is kept while it
//     matches, so loading twice hashes once;
//   - a licenses line says how many seats of a product a company owns with
//     one registration date: loading it tops the seats of that (company,
//     product, registered) up to the number, or retires the newest unassigned
//     ones down to it (a retired seat's term ends the day before it starts, so
//     it never held a day), and moves their expiry to the file's. Retiring a
//     seat some user holds is refused (CodeConflict): release it first;
//   - an assignment is found by company, user, product and activationDate;
//     a new one takes the lowest-numbered seat free over its whole period,
//     a known one takes the file's deactivationDate.
//
// Timestamps come from the file or from its dates, never from a clock, so a
// file loads the same way twice: a company's createdAt defaults to midnight
// UTC of its earliest license registration, a user's to its company's, a
// license's to midnight UTC of its registration, an assignment's
// lastChangedDate to midnight UTC of its activationDate.

// MaxSeats is the most seats one licenses line may state.
const MaxSeats = 100_000

// MinPassword is the shortest user password a data file may give, as
// rules/access requires of passwords it hashes.
const MinPassword = 12

// CompanyData is an Account Manager company: an account of a partner (a
// client listed under clients, in this file or loaded before).
type CompanyData struct {
	ID        int64                 `json:"id,omitempty"` // default: the store numbers it
	Alias     string                `json:"alias"`
	Title     string                `json:"title,omitempty"` // default: the alias
	Partner   string                `json:"partner"`
	Activated *bool                 `json:"activated,omitempty"` // default true
	CreatedAt time.Time             `json:"createdAt,omitzero"`
	Limits    map[string]LimitsData `json:"limits,omitempty"` // by app id; users is seed 003's users limit

	// Seed 003's account object (see accounts.go).
	Description string            `json:"description,omitempty"`
	Type        int               `json:"type,omitempty"` // 10 managed by a partner, 20 a partner account, absent: Ruhavik/Petovik
	RegApps     []string          `json:"regApps,omitempty"`
	ServiceApps []string          `json:"serviceApps,omitempty"`
	LinkApp     string            `json:"linkApp,omitempty"`
	ActivatedAt time.Time         `json:"activatedAt,omitzero"` // ack
	Attached    bool              `json:"attached,omitempty"`
	AttachedAt  time.Time         `json:"attachedAt,omitzero"`
	AddedAt     time.Time         `json:"addedAt,omitzero"`
	UpdatedAt   time.Time         `json:"updatedAt,omitzero"`
	Plans       map[string]string `json:"plans,omitempty"` // app id -> client plan id
	Premium     []PremiumData     `json:"premium,omitempty"`
	Blocks      []BlockData       `json:"blocks,omitempty"`
	// Seed 002: the services the account is registered for and the
	// managed-billing SKUs it bought.
	Services []string `json:"services,omitempty"`
	SKUs     []string `json:"skus,omitempty"`
}

// LimitsData are a company's limits in one app (seed 003's six).
type LimitsData struct {
	Units              int `json:"units,omitempty"`
	Geofences          int `json:"geofences,omitempty"`
	Users              int `json:"users,omitempty"`
	Triggers           int `json:"triggers,omitempty"`
	UnitExtraFields    int `json:"unitExtraFields,omitempty"`
	UnitNotifySettings int `json:"unitNotifySettings,omitempty"`
}

// UserData is a company's user (a driver, a device or a vehicle). A user
// who reads license assignments (seed 004) has a username (unique across
// the system), a password (hashed with argon2id when loaded) or its stored
// form as passwordHash, and roles (USERADMIN, ACCOUNTADMIN).
type UserData struct {
	Company      string    `json:"company"` // the company's alias
	ExternalID   string    `json:"externalId"`
	Email        string    `json:"email,omitempty"`
	FirstName    string    `json:"firstName,omitempty"`
	LastName     string    `json:"lastName,omitempty"`
	PhoneNumber  string    `json:"phoneNumber,omitempty"`
	Username     string    `json:"username,omitempty"`
	Password     string    `json:"password,omitempty"`
	PasswordHash string    `json:"passwordHash,omitempty"`
	Roles        []string  `json:"roles,omitempty"`
	CreatedAt    time.Time `json:"createdAt,omitzero"`
}

// LicenseData says a company owns seats of a product for a term, from
// registered to expires (inclusive).
type LicenseData struct {
	Company    string      `json:"company"`
	ProductID  string      `json:"productId"`
	Seats      int         `json:"seats"`
	Registered domain.Date `json:"registered"`
	Expires    domain.Date `json:"expires"`
}

// AssignmentData gives a seat of a product to a company's user, from
// activationDate to deactivationDate (inclusive; the day before
// activationDate is a cancelled assignment).
type AssignmentData struct {
	Company          string      `json:"company"`
	ProductID        string      `json:"productId"`
	ExternalID       string      `json:"externalId"`
	ActivationDate   domain.Date `json:"activationDate"`
	DeactivationDate domain.Date `json:"deactivationDate"`
	LastChangedDate  time.Time   `json:"lastChangedDate,omitzero"`
}

// SeatUser is a user of the company with alias Company. User.AccountID is
// set when the world is applied. Password, when not "", is the plain
// password Apply hashes (keeping a stored hash that matches); else
// User.PasswordHash is stored as it is.
type SeatUser struct {
	Company  string
	User     domain.User
	Password string
}

// SeatLicenses says the company with alias Company owns Seats seats of
// ProductID registered on Registered, expiring on Expires.
type SeatLicenses struct {
	Company    string
	ProductID  string
	Seats      int
	Registered domain.Date
	Expires    domain.Date
}

// SeatAssignment gives a seat to the live user with ExternalID of the
// company with alias Company. Assignment carries the product, the dates and
// LastChanged; its ids are set when the world is applied.
type SeatAssignment struct {
	Company    string
	ExternalID string
	Assignment domain.Assignment
}

func midnight(d domain.Date) time.Time {
	if d.IsZero() {
		return time.Time{}
	}
	return d.Time(time.UTC)
}

// buildAPIKey returns the stored form of a client's apiKey ("" for none).
func buildAPIKey(cd ClientData, f string, p *domain.Problems) string {
	switch {
	case cd.APIKey != "" && cd.APIKeyHash != "":
		p.Add("INVALID", f+".apiKey", "give apiKey or apiKeyHash, not both")
	case cd.APIKey != "":
		domain.CheckText(p, f+".apiKey", cd.APIKey, domain.MaxText)
		if len(cd.APIKey) < 16 {
			p.Add("INVALID", f+".apiKey", "an apiKey needs at least 16 characters")
		}
		return domain.HashSecret(cd.APIKey)
	case cd.APIKeyHash != "":
		if b, err := hex.DecodeString(cd.APIKeyHash); err != nil || len(b) != 32 {
			p.Add("INVALID", f+".apiKeyHash", "apiKeyHash must be the 64 hex digits of the apiKey's SHA-256")
			return ""
		}
		return strings.ToLower(cd.APIKeyHash)
	}
	return ""
}

// buildSeats checks and converts the seats sections, appending one world
// entry per file entry so that index i of a world slice is index i of the
// file's (Apply names fields by it).
func (ds *Dataset) buildSeats(w *World, p *domain.Problems) {
	firstReg := map[string]domain.Date{} // company key -> earliest registration in the file
	for _, ld := range ds.Licenses {
		k := domain.ExternalKey(ld.Company)
		if r, ok := firstReg[k]; !ld.Registered.IsZero() && (!ok || ld.Registered.Before(r)) {
			firstReg[k] = ld.Registered
		}
	}
	aliases := map[string]string{}
	ids := map[int64]string{}
	created := map[string]time.Time{}
	for i, cd := range ds.Companies {
		f := "companies[" + strconv.Itoa(i) + "]"
		a := domain.Account{ID: cd.ID, PartnerID: cd.Partner, Alias: cd.Alias, Title: cd.Title,
			CreatedAt: cd.CreatedAt, Activated: cd.Activated == nil || *cd.Activated}
		required(p, f+".alias", cd.Alias)
		required(p, f+".partner", cd.Partner)
		domain.CheckText(p, f+".title", cd.Title, domain.MaxText)
		if a.Title == "" {
			a.Title = a.Alias
		}
		if strings.ContainsAny(cd.Alias, " /?#%") {
			p.Add("INVALID", f+".alias", "alias %q holds a space or one of / ? # %%; an alias goes in URLs and requests as it is", cd.Alias)
		}
		k := domain.ExternalKey(cd.Alias)
		if prev, dup := aliases[k]; dup && cd.Alias != "" {
			p.Add("DUPLICATE", f+".alias", "alias %q is also %s's (aliases compare case-insensitively)", cd.Alias, prev)
		}
		aliases[k] = f
		if cd.ID != 0 {
			domain.CheckInt(p, f+".id", cd.ID, 1, domain.MaxID)
			if prev, dup := ids[cd.ID]; dup {
				p.Add("DUPLICATE", f+".id", "id %d is also %s's", cd.ID, prev)
			}
			ids[cd.ID] = f
		}
		if a.CreatedAt.IsZero() {
			a.CreatedAt = midnight(firstReg[k])
		}
		created[k] = a.CreatedAt
		for app, l := range cd.Limits {
			g := f + ".limits." + app
			domain.CheckText(p, g, app, domain.MaxText)
			for name, n := range map[string]int{"units": l.Units, "geofences": l.Geofences, "users": l.Users, "triggers": l.Triggers,
				"unitExtraFields": l.UnitExtraFields, "unitNotifySettings": l.UnitNotifySettings} {
				domain.CheckInt(p, g+"."+name, int64(n), 0, domain.MaxLineNumber)
			}
			if a.Limits == nil {
				a.Limits = map[string]domain.Limits{}
			}
			a.Limits[app] = domain.Limits{Units: l.Units, Geofences: l.Geofences, Users: l.Users, Triggers: l.Triggers,
				UnitExtraFields: l.UnitExtraFields, UnitNotifySettings: l.UnitNotifySettings}
		}
		buildAccountFields(cd, f, &a, p)
		w.Companies = append(w.Companies, a)
	}
	users := map[string]string{}
	usernames := map[string]string{}
	for i, ud := range ds.Users {
		f := "users[" + strconv.Itoa(i) + "]"
		u := domain.User{ExternalID: ud.ExternalID, Email: ud.Email, FirstName: ud.FirstName, LastName: ud.LastName,
			PhoneNumber: ud.PhoneNumber, Username: ud.Username, PasswordHash: ud.PasswordHash, CreatedAt: ud.CreatedAt}
		required(p, f+".company", ud.Company)
		required(p, f+".externalId", ud.ExternalID)
		domain.CheckText(p, f+".email", ud.Email, domain.MaxEmail)
		domain.CheckText(p, f+".firstName", ud.FirstName, domain.MaxText)
		domain.CheckText(p, f+".lastName", ud.LastName, domain.MaxText)
		domain.CheckText(p, f+".phoneNumber", ud.PhoneNumber, domain.MaxText)
		domain.CheckText(p, f+".username", ud.Username, domain.MaxText)
		k := domain.ExternalKey(ud.Company) + "\x00" + domain.ExternalKey(ud.ExternalID)
		if prev, dup := users[k]; dup && ud.ExternalID != "" {
			p.Add("DUPLICATE", f+".externalId", "externalId %q is also %s's in company %q (externalIds compare case-insensitively)", ud.ExternalID, prev, ud.Company)
		}
		users[k] = f
		switch {
		case ud.Password != "" && ud.PasswordHash != "":
			p.Add("INVALID", f+".password", "give password or passwordHash, not both")
		case ud.Password != "":
			domain.CheckText(p, f+".password", ud.Password, domain.MaxText)
			if len([]rune(ud.Password)) < MinPassword {
				p.Add("INVALID", f+".password", "a password needs at least %d characters", MinPassword)
			}
		case ud.PasswordHash != "" && !secret.Valid(ud.PasswordHash):
			p.Add("INVALID", f+".passwordHash", "passwordHash must be an argon2id encoding ($argon2id$v=19$m=...,t=...,p=...$salt$key) or the 64 hex digits of the password's SHA-256")
		}
		switch hasPassword := ud.Password != "" || ud.PasswordHash != ""; {
		case ud.Username != "" && !hasPassword:
			p.Add("REQUIRED", f+".password", "a user with a username needs a password (or passwordHash) to log in with")
		case ud.Username == "" && hasPassword:
			p.Add("REQUIRED", f+".username", "a user with a password needs a username to log in with")
		}
		if ud.Username != "" {
			uk := domain.ExternalKey(ud.Username)
			if prev, dup := usernames[uk]; dup {
				p.Add("DUPLICATE", f+".username", "username %q is also %s's (usernames compare case-insensitively)", ud.Username, prev)
			}
			usernames[uk] = f
		}
		for j, r := range ud.Roles {
			switch role := domain.Role(r); role {
			case domain.UserAdmin, domain.AccountAdmin:
				if !slices.Contains(u.Roles, role) {
					u.Roles = append(u.Roles, role)
				}
			default:
				p.Add("INVALID", f+".roles["+strconv.Itoa(j)+"]", "role %q is not USERADMIN or ACCOUNTADMIN", r)
			}
		}
		if u.CreatedAt.IsZero() {
			u.CreatedAt = created[domain.ExternalKey(ud.Company)]
		}
		u.UpdatedAt = u.CreatedAt
		w.Users = append(w.Users, SeatUser{Company: ud.Company, User: u, Password: ud.Password})
	}
	lines := map[string]string{}
	for i, ld := range ds.Licenses {
		f := "licenses[" + strconv.Itoa(i) + "]"
		required(p, f+".company", ld.Company)
		required(p, f+".productId", ld.ProductID)
		domain.CheckInt(p, f+".seats", int64(ld.Seats), 0, MaxSeats)
		checkDate(p, f+".registered", ld.Registered)
		checkDate(p, f+".expires", ld.Expires)
		if !ld.Registered.IsZero() && !ld.Expires.IsZero() && ld.Expires.Before(ld.Registered) {
			p.Add("INVALID", f+".expires", "expires %s is before registered %s", ld.Expires, ld.Registered)
		}
		k := domain.ExternalKey(ld.Company) + "\x00" + ld.ProductID + "\x00" + ld.Registered.String()
		if prev, dup := lines[k]; dup {
			p.Add("DUPLICATE", f, "%s also states the seats of %s registered %s in company %q; one line per registration date", prev, ld.ProductID, ld.Registered, ld.Company)
		}
		lines[k] = f
		w.Licenses = append(w.Licenses, SeatLicenses{Company: ld.Company, ProductID: ld.ProductID, Seats: ld.Seats, Registered: ld.Registered, Expires: ld.Expires})
	}
	assignments := map[string]string{}
	for i, ad := range ds.Assignments {
		f := "assignments[" + strconv.Itoa(i) + "]"
		required(p, f+".company", ad.Company)
		required(p, f+".productId", ad.ProductID)
		required(p, f+".externalId", ad.ExternalID)
		a := domain.Assignment{ProductID: ad.ProductID, ActivationDate: ad.ActivationDate, DeactivationDate: ad.DeactivationDate, LastChanged: ad.LastChangedDate}
		if err := a.Validate(); err != nil {
			addProblems(p, f, err)
		} else {
			checkDate(p, f+".activationDate", ad.ActivationDate)
			checkDate(p, f+".deactivationDate", ad.DeactivationDate)
		}
		if a.LastChanged.IsZero() {
			a.LastChanged = midnight(ad.ActivationDate)
		}
		k := domain.ExternalKey(ad.Company) + "\x00" + domain.ExternalKey(ad.ExternalID) + "\x00" + ad.ProductID + "\x00" + ad.ActivationDate.String()
		if prev, dup := assignments[k]; dup {
			p.Add("DUPLICATE", f, "%s also assigns %s to %q from %s", prev, ad.ProductID, ad.ExternalID, ad.ActivationDate)
		}
		assignments[k] = f
		w.Assignments = append(w.Assignments, SeatAssignment{Company: ad.Company, ExternalID: ad.ExternalID, Assignment: a})
	}
}

// required checks a required text field.
func required(p *domain.Problems, field, s string) {
	if s == "" {
		p.Add("REQUIRED", field, "%s is required", field[strings.LastIndexByte(field, '.')+1:])
		return
	}
	domain.CheckText(p, field, s, domain.MaxText)
}

// checkDate checks a required date.
func checkDate(p *domain.Problems, field string, d domain.Date) {
	if d.IsZero() {
		p.Add("REQUIRED", field, "%s is required (YYYY-MM-DD)", field[strings.LastIndexByte(field, '.')+1:])
		return
	}
	domain.CheckDate(p, field, d)
}

// addProblems records err's violations (or err itself) under prefix.
func addProblems(p *domain.Problems, prefix string, err error) {
	de, ok := err.(*domain.Error)
	if !ok {
		p.Add("INVALID", prefix, "%v", err)
		return
	}
	if len(de.Violations) == 0 {
		p.Add(string(de.Code), domain.JoinField(prefix, de.Field), "%s", de.Message)
	}
	for _, v := range de.Violations {
		p.Add(v.Code, domain.JoinField(prefix, v.Field), "%s", v.Message)
	}
}

// applySeats writes the seats part of the world (see the comment at the top
// of this file).
func (w *World) applySeats(ctx context.Context, tx ports.Tx) error {
	if len(w.Companies)+len(w.Users)+len(w.Licenses)+len(w.Assignments) == 0 {
		return nil
	}
	accounts := &accountIndex{tx: tx, ids: map[string]int64{}, locked: map[int64]bool{}}
	for i, a := range w.Companies {
		id, err := applyCompany(ctx, tx, "companies["+strconv.Itoa(i)+"]", a)
		if err != nil {
			return err
		}
		accounts.ids[domain.ExternalKey(a.Alias)] = id
	}
	for i, su := range w.Users {
		f := "users[" + strconv.Itoa(i) + "]"
		id, err := accounts.resolve(ctx, f, su.Company)
		if err != nil {
			return err
		}
		if err := applyUser(ctx, tx, f, id, su); err != nil {
			return err
		}
	}
	for i, sl := range w.Licenses {
		f := "licenses[" + strconv.Itoa(i) + "]"
		id, err := accounts.resolve(ctx, f, sl.Company)
		if err != nil {
			return err
		}
		if err := applyLicenses(ctx, tx, f, id, sl); err != nil {
			return err
		}
	}
	for i, sa := range w.Assignments {
		f := "assignments[" + strconv.Itoa(i) + "]"
		id, err := accounts.resolve(ctx, f, sa.Company)
		if err != nil {
			return err
		}
		if err := applyAssignment(ctx, tx, f, id, sa); err != nil {
			return err
		}
	}
	return nil
}

// accountIndex finds companies by alias (those of the file first, then the
// store's) and locks each account once before its seats are written.
type accountIndex struct {
	tx     ports.Tx
	ids    map[string]int64
	locked map[int64]bool
}

func (x *accountIndex) resolve(ctx context.Context, f, alias string) (int64, error) {
	k := domain.ExternalKey(alias)
	id, ok := x.ids[k]
	if !ok {
		a, err := x.tx.Accounts().ByAlias(ctx, alias)
		if notFound(err) {
			return 0, domain.Errorf(domain.CodeInvalid, f+".company", "no company has alias %q; list it under companies", alias)
		}
		if err != nil {
			return 0, err
		}
		id = a.ID
		x.ids[k] = id
	}
	if !x.locked[id] {
		if err := x.tx.LockAccount(ctx, id); err != nil {
			return 0, err
		}
		x.locked[id] = true
	}
	return id, nil
}

func applyCompany(ctx context.Context, tx ports.Tx, f string, a domain.Account) (int64, error) {
	if _, err := tx.Clients().Get(ctx, a.PartnerID); notFound(err) {
		return 0, domain.Errorf(domain.CodeInvalid, f+".partner", "partner %q is not a client; list it under clients", a.PartnerID)
	} else if err != nil {
		return 0, err
	}
	old, err := tx.Accounts().ByAlias(ctx, a.Alias)
	switch {
	case err == nil:
		if a.ID != 0 && a.ID != old.ID {
			return 0, domain.Errorf(domain.CodeConflict, f+".id", "company %q is account %d in the store, not %d", a.Alias, old.ID, a.ID)
		}
		if err := checkCompanyPlans(ctx, tx, f, a, a.Plans); err != nil {
			return 0, err
		}
		next := mergeAccount(old, a)
		if sameAccount(old, next) {
			return old.ID, nil
		}
		return old.ID, tx.Accounts().Put(ctx, next)
	case !notFound(err):
		return 0, err
	}
	if a.ID != 0 {
		if other, err := tx.Accounts().Get(ctx, a.ID); err == nil {
			return 0, domain.Errorf(domain.CodeConflict, f+".id", "account %d exists with alias %q", a.ID, other.Alias)
		} else if !notFound(err) {
			return 0, err
		}
	}
	if err := checkCompanyPlans(ctx, tx, f, a, a.Plans); err != nil {
		return 0, err
	}
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = a.CreatedAt
	}
	// Every store keeps a given id (ports.Accounts.Create).
	if err := tx.Accounts().Create(ctx, &a); err != nil {
		return 0, withField(err, f)
	}
	return a.ID, nil
}

func applyUser(ctx context.Context, tx ports.Tx, f string, accountID int64, su SeatUser) error {
	u := su.User
	u.AccountID = accountID
	old, err := tx.Users().ByExternalID(ctx, accountID, u.ExternalID)
	found := err == nil
	if err != nil && !notFound(err) {
		return err
	}
	if su.Password != "" {
		if ok, legacy := secret.Check(old.PasswordHash, su.Password); found && ok && !legacy {
			u.PasswordHash = old.PasswordHash
		} else if u.PasswordHash, err = secret.Hash(su.Password, rand.Reader, secret.Default); err != nil {
			return domain.Wrap(err, domain.CodeInternal, "dataset: hashing a password")
		}
	}
	if !found {
		return withField(tx.Users().Create(ctx, &u), f)
	}
	u.ID, u.CreatedAt, u.UpdatedAt = old.ID, old.CreatedAt, old.UpdatedAt
	// A login's failures and lock are the store's: a file never unlocks
	// (access.Service.UnlockLogin does).
	u.FailedLogins, u.LockedAt = old.FailedLogins, old.LockedAt
	if sameUser(old, u) {
		return nil
	}
	return withField(tx.Users().Put(ctx, u), f)
}

func sameUser(a, b domain.User) bool {
	return a.ExternalID == b.ExternalID && a.Email == b.Email && a.FirstName == b.FirstName && a.LastName == b.LastName &&
		a.PhoneNumber == b.PhoneNumber && a.Username == b.Username && a.PasswordHash == b.PasswordHash &&
		slices.Equal(a.Roles, b.Roles) && a.CreatedAt.Equal(b.CreatedAt)
}

func applyLicenses(ctx context.Context, tx ports.Tx, f string, accountID int64, sl SeatLicenses) error {
	all, err := tx.Licenses().ByAccount(ctx, accountID, sl.ProductID, domain.Date{})
	if err != nil {
		return err
	}
	var group []domain.License // this line's seats, not retired, by id
	for _, l := range all {
		if l.ProductID == sl.ProductID && l.Registered == sl.Registered && !l.Expires.Before(l.Registered) {
			group = append(group, l)
		}
	}
	if extra := len(group) - sl.Seats; extra > 0 {
		held, err := heldLicenses(ctx, tx, accountID, sl.ProductID)
		if err != nil {
			return err
		}
		// Retire the newest free seats.
		for i := len(group) - 1; i >= 0 && extra > 0; i-- {
			if held[group[i].ID] {
				continue
			}
			if err := tx.Licenses().SetExpires(ctx, accountID, group[i].ID, sl.Registered.AddDays(-1)); err != nil {
				return withField(err, f+".seats")
			}
			group = slices.Delete(group, i, i+1)
			extra--
		}
		if extra > 0 {
			return domain.Errorf(domain.CodeConflict, f+".seats", "company %q has %d seats of %s registered %s in use; the file gives %d: release %d first",
				sl.Company, len(group), sl.ProductID, sl.Registered, sl.Seats, extra)
		}
	}
	for _, l := range group {
		if l.Expires != sl.Expires {
			if err := tx.Licenses().SetExpires(ctx, accountID, l.ID, sl.Expires); err != nil {
				return withField(err, f+".expires")
			}
		}
	}
	if n := sl.Seats - len(group); n > 0 {
		ls := make([]domain.License, n)
		for i := range ls {
			ls[i] = domain.License{AccountID: accountID, ProductID: sl.ProductID, Registered: sl.Registered, Expires: sl.Expires, CreatedAt: midnight(sl.Registered)}
		}
		if _, err := tx.Licenses().Create(ctx, ls); err != nil {
			return withField(err, f)
		}
	}
	return nil
}

// heldLicenses returns the ids of an account's licenses of product that any
// assignment holds on some day.
func heldLicenses(ctx context.Context, tx ports.Tx, accountID int64, productID string) (map[int64]bool, error) {
	as, err := tx.Assignments().ByProduct(ctx, accountID, productID, domain.Date{})
	if err != nil {
		return nil, err
	}
	held := map[int64]bool{}
	for _, a := range as {
		if !a.Cancelled() {
			held[a.LicenseID] = true
		}
	}
	return held, nil
}

func applyAssignment(ctx context.Context, tx ports.Tx, f string, accountID int64, sa SeatAssignment) error {
	u, err := tx.Users().ByExternalID(ctx, accountID, sa.ExternalID)
	if notFound(err) {
		return domain.Errorf(domain.CodeInvalid, f+".externalId", "company %q has no user with externalId %q; list it under users", sa.Company, sa.ExternalID)
	}
	if err != nil {
		return err
	}
	a := sa.Assignment
	a.AccountID, a.UserID = accountID, u.ID
	// Find, not ByUser: a cancelled assignment holds no day, and is found too.
	mine, err := tx.Assignments().Find(ctx, domain.AssignmentQuery{AccountID: accountID, UserID: u.ID})
	if err != nil {
		return err
	}
	for _, o := range mine {
		if o.ProductID == a.ProductID && o.ActivationDate == a.ActivationDate {
			if o.DeactivationDate == a.DeactivationDate {
				return nil
			}
			return withField(tx.Assignments().SetDeactivation(ctx, accountID, o.ID, a.DeactivationDate, a.LastChanged), f+".deactivationDate")
		}
	}
	ls, err := tx.Licenses().ByAccount(ctx, accountID, a.ProductID, domain.Date{})
	if err != nil {
		return err
	}
	as, err := tx.Assignments().ByProduct(ctx, accountID, a.ProductID, domain.Date{})
	if err != nil {
		return err
	}
	for _, l := range ls {
		if l.ProductID != a.ProductID || l.Expires.Before(l.Registered) || a.ActivationDate.Before(l.Registered) || l.Expires.Before(a.DeactivationDate) {
			continue
		}
		a.LicenseID = l.ID
		if !slices.ContainsFunc(as, func(o domain.Assignment) bool { return o.Overlaps(&a) }) {
			return withField(tx.Assignments().Create(ctx, &a), f)
		}
	}
	return domain.Errorf(domain.CodeConflict, f, "company %q has no seat of %s free from %s to %s for %q",
		sa.Company, a.ProductID, a.ActivationDate, a.DeactivationDate, sa.ExternalID)
}

// withField prefixes the field of a store's *domain.Error with the file
// entry's path, so a conflict names the line of the file at fault.
func withField(err error, f string) error {
	if de, ok := err.(*domain.Error); ok {
		return de.WithField(f)
	}
	return err
}
