package sqlite

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// The repositories of ports.SeatsTx (migrations/0005_seats.sql). Aliases,
// externalIds and usernames are folded by domain.ExternalKey in Go, as
// serials are, and kept as entered beside the key. The invariants are the
// schema's: unique indexes for the keys, triggers for the two overlap
// rules, foreign keys for an assignment's license and user; a write they
// refuse is translated here into the conflict the person can act on.

// LockAccount does nothing more than check the transaction: SQLite has one
// writer, and an Update's fn runs alone on it.
func (t *tx) LockAccount(context.Context, int64) error { return t.Read() }

// seatViolations names, for each index, trigger or check of 0005 and 0006 that a
// write can break, the field at fault, what to say when the repository
// knows the value (message, formatted with it) and when it does not
// (general: a write that skipped the repository, or raced past its check).
// SQLite's message names a unique index by its columns, a trigger by the
// text it raises and a named CHECK by its name.
var seatViolations = []struct {
	marker, field    string
	code             domain.Code
	message, general string
}{
	{"accounts.alias_key", "alias", domain.CodeConflict, "alias %q is taken by another company",
		"the alias is taken by another company"},
	{"accounts.id", "id", domain.CodeConflict, "an account with id %d exists", "an account with this id exists"},
	{"seat_users.account_id, seat_users.external_key", "externalId", domain.CodeConflict,
		"a user with externalId %q exists in this account", "a user with this externalId exists in this account"},
	{"seat_users.username_key", "username", domain.CodeConflict, "username %q is taken", "the username is taken"},
	{"clients.api_key_hash", "apiKey", domain.CodeConflict, "another client has this apiKey", "another client has this apiKey"},
	{"assignments_license_no_overlap", "licenseId", domain.CodeConflict,
		"license %d is assigned to another user on a common day", "the license is assigned to another user on a common day"},
	{"assignments_user_product_no_overlap", "userId", domain.CodeConflict,
		"user %d holds another seat of the product on a common day", "the user holds another seat of the product on a common day"},
	{"assignments_dates_valid", "deactivationDate", domain.CodeInvalid,
		"deactivationDate is more than one day before activationDate", "deactivationDate is more than one day before activationDate"},
	// 0006_accounts.sql.
	{"managed_links.managed, managed_links.service", "managedAccList", domain.CodeConflict,
		"account %s already has a live managed-billing link for this service; it must cancel first",
		"the account already has a live managed-billing link for this service"},
	{"managed_links_state_valid", "state", domain.CodeInvalid, "%q is not a link state (ADDED, ACTIVATED, CANCELED)",
		"a link state is one of ADDED, ACTIVATED, CANCELED"},
	{"client_plans.partner_id, client_plans.id", "tariff_plan_id", domain.CodeConflict,
		"the partner has a client plan %q", "the partner has a client plan with this id"},
}

// seatConflict is the error for err when it is a violation of one of
// seatViolations whose field is field (its message formatted with arg),
// else nil.
func seatConflict(err error, field string, arg any) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, v := range seatViolations {
		if v.field == field && strings.Contains(msg, v.marker) {
			text := v.message
			if strings.Contains(text, "%") {
				text = fmt.Sprintf(text, arg)
			}
			return &domain.Error{Code: v.code, Field: v.field, Message: text, Err: err}
		}
	}
	return nil
}

// seatViolation explains err, a constraint violation translate found no
// other explanation for, when it is one of seatViolations; else nil.
func seatViolation(err error, what string) *domain.Error {
	msg := err.Error()
	for _, v := range seatViolations {
		if strings.Contains(msg, v.marker) {
			return &domain.Error{Code: v.code, Field: v.field, Message: what + ": " + v.general, Err: err}
		}
	}
	return nil
}

type accounts struct{ *tx }

func (t *tx) Accounts() ports.Accounts { return accounts{t} }

const (
	accountColumns = `id, partner_id, alias, title, created_at, activated, limits, description, link_app, reg_apps,
	service_apps, updated_at, activated_at, attached, attached_at, added_at, type, blocks, plans, premium, services, skus`
	// A NULL id is the next one (one past the largest); a given one is kept.
	qCreateAccount = `INSERT INTO accounts (id, partner_id, alias, alias_key, title, created_at, activated, limits,
	description, link_app, reg_apps, service_apps, updated_at, activated_at, attached, attached_at, added_at, type, blocks,
	plans, premium, services, skus)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	qPutAccount = `UPDATE accounts SET partner_id = ?, alias = ?, alias_key = ?, title = ?, created_at = ?, activated = ?,
	limits = ?, description = ?, link_app = ?, reg_apps = ?, service_apps = ?, updated_at = ?, activated_at = ?, attached = ?,
	attached_at = ?, added_at = ?, type = ?, blocks = ?, plans = ?, premium = ?, services = ?, skus = ? WHERE id = ?`
	qAccount          = `SELECT ` + accountColumns + ` FROM accounts WHERE id = ?`
	qAccountByAlias   = `SELECT ` + accountColumns + ` FROM accounts WHERE alias_key = ? AND alias_key <> ''`
	qAccountsByPartnr = `SELECT ` + accountColumns + ` FROM accounts WHERE partner_id = ? ORDER BY id LIMIT ? OFFSET ?`
	qAccountExists    = `SELECT count(*) FROM accounts WHERE id = ?`
)

// limitsJSON is the stored form of an app's limits: its names are the
// stored format, whatever the Go fields are called.
type limitsJSON struct {
	Units     int `json:"units"`
	Geofences int `json:"geofences"`
	Users     int `json:"users"`
	Triggers  int `json:"triggers"`
	// Seed 003's other limits; absent in rows written before they existed.
	UnitExtraFields    int `json:"unitExtraFields,omitempty"`
	UnitNotifySettings int `json:"unitNotifySettings,omitempty"`
}

func encodeLimits(m map[string]domain.Limits) (string, error) {
	if m == nil {
		return "null", nil
	}
	out := make(map[string]limitsJSON, len(m))
	for k, v := range m {
		out[k] = limitsJSON(v)
	}
	return text(sqlrow.EncodeJSON(out))
}

func decodeLimits(b []byte) (map[string]domain.Limits, error) {
	var in map[string]limitsJSON
	if err := sqlrow.DecodeJSON(b, &in); err != nil || in == nil {
		return nil, err
	}
	out := make(map[string]domain.Limits, len(in))
	for k, v := range in {
		out[k] = domain.Limits(v)
	}
	return out, nil
}

// aliasKey is the key an alias is compared by; "" has none.
func aliasKey(alias string) string {
	if alias == "" {
		return ""
	}
	return domain.ExternalKey(alias)
}

func (r accounts) Create(ctx context.Context, a *domain.Account) error {
	if err := r.Write(); err != nil {
		return err
	}
	args, err := accountArgs(a)
	if err != nil {
		return err
	}
	if a.ID < 0 {
		return domain.Errorf(domain.CodeInvalid, "id", "account id %d is negative", a.ID)
	}
	var preset any
	if a.ID > 0 {
		preset = a.ID
	}
	id, err := sqlrow.Value[int64](r.QueryRow(ctx, qCreateAccount, append([]any{preset}, args...)...))
	if err != nil {
		return cmp.Or(seatConflict(err, "alias", a.Alias), seatConflict(err, "id", a.ID), r.Fail(ctx, err, "store account %q", a.Alias))
	}
	a.ID = id
	return nil
}

func (r accounts) Put(ctx context.Context, a domain.Account) error {
	if err := r.Write(); err != nil {
		return err
	}
	args, err := accountArgs(&a)
	if err != nil {
		return err
	}
	n, err := r.exec(ctx, qPutAccount, append(args, a.ID)...)
	if err != nil {
		return cmp.Or(seatConflict(err, "alias", a.Alias), r.Fail(ctx, err, "store account %d", a.ID))
	}
	if n == 0 {
		return noAccount(a.ID)
	}
	return nil
}

func noAccount(id int64) error {
	return domain.Errorf(domain.CodeNotFound, "accountId", "no account %d", id)
}

func (r accounts) Get(ctx context.Context, id int64) (domain.Account, error) {
	return sqlrow.One(ctx, r, "read an account", scanAccount, func() error { return noAccount(id) }, qAccount, id)
}

func (r accounts) ByAlias(ctx context.Context, alias string) (domain.Account, error) {
	return sqlrow.One(ctx, r, "read an account", scanAccount, func() error {
		return domain.Errorf(domain.CodeNotFound, "alias", "no company with alias %q", alias)
	}, qAccountByAlias, aliasKey(alias))
}

func (r accounts) ByPartner(ctx context.Context, partnerID string, offset, limit int) ([]domain.Account, error) {
	return sqlrow.All(ctx, r, "read a partner's accounts", scanAccount, qAccountsByPartnr, partnerID, sqlLimit(limit), max(offset, 0))
}

// sqlLimit is LIMIT's argument for limit, where 0 means all (SQLite reads
// a negative LIMIT as none).
func sqlLimit(limit int) int {
	if limit <= 0 {
		return -1
	}
	return limit
}

// accountExists reports CodeNotFound naming "accountId" when there is no
// account id: a write into it would name nothing.
func (t *tx) accountExists(ctx context.Context, id int64) error {
	n, err := sqlrow.One(ctx, t, "read an account", sqlrow.Value[int], func() error { return noAccount(id) }, qAccountExists, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return noAccount(id)
	}
	return nil
}

type users struct{ *tx }

func (t *tx) Users() ports.Users { return users{t} }

const (
	userColumns = `id, account_id, external_id, email, first_name, last_name, phone, username, password_hash, roles,
	created_at, updated_at, deleted_at, failed_logins, locked_at`
	qCreateUser = `INSERT INTO seat_users (account_id, external_id, external_key, email, first_name, last_name, phone,
	username, username_key, password_hash, roles, created_at, updated_at, deleted_at, failed_logins, locked_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	qPutUser = `UPDATE seat_users SET external_id = ?, external_key = ?, email = ?, first_name = ?, last_name = ?, phone = ?,
	username = ?, username_key = ?, password_hash = ?, roles = ?, created_at = ?, updated_at = ?, deleted_at = ?,
	failed_logins = ?, locked_at = ? WHERE id = ? AND account_id = ?`
	qUser             = `SELECT ` + userColumns + ` FROM seat_users WHERE id = ? AND account_id = ?`
	qUserByExternalID = `SELECT ` + userColumns + ` FROM seat_users WHERE account_id = ? AND external_key = ? AND deleted_at = ''`
	// One statement for any number of externalIds: they travel as one JSON
	// array, so the statement is prepared once whatever the count.
	qUsersByExternalIDs = `SELECT ` + userColumns + ` FROM seat_users
	WHERE account_id = ? AND deleted_at = '' AND external_key IN (SELECT value FROM json_each(?))`
	qUserByUsername = `SELECT ` + userColumns + ` FROM seat_users WHERE username_key = ? AND username_key <> '' AND deleted_at = ''`
	qUsers          = `SELECT ` + userColumns + ` FROM seat_users WHERE account_id = ? AND deleted_at = '' ORDER BY id LIMIT ? OFFSET ?`
	qCountUsers     = `SELECT count(*) FROM seat_users WHERE account_id = ? AND deleted_at = ''`
	qDeleteUser     = `UPDATE seat_users SET deleted_at = ? WHERE id = ? AND account_id = ? AND deleted_at = ''`
)

func noUser(id int64) error { return domain.Errorf(domain.CodeNotFound, "userId", "no user %d", id) }

// userArgs returns the stored columns of u after account_id, in
// qCreateUser's order.
func userArgs(u *domain.User) ([]any, error) {
	roles, err := text(sqlrow.EncodeJSON(u.Roles))
	if err != nil {
		return nil, err
	}
	return []any{u.ExternalID, domain.ExternalKey(u.ExternalID), u.Email, u.FirstName, u.LastName, u.PhoneNumber,
		u.Username, aliasKey(u.Username), u.PasswordHash, roles, instant(u.CreatedAt), instant(u.UpdatedAt),
		optInstant(u.DeletedAt), u.FailedLogins, optInstant(u.LockedAt)}, nil
}

func scanUser(r sqlrow.Scanner) (domain.User, error) {
	var (
		u                         domain.User
		roles                     []byte
		created, updated, deleted string
		locked                    string
	)
	if err := r.Scan(&u.ID, &u.AccountID, &u.ExternalID, &u.Email, &u.FirstName, &u.LastName, &u.PhoneNumber, &u.Username,
		&u.PasswordHash, &roles, &created, &updated, &deleted, &u.FailedLogins, &locked); err != nil {
		return u, err
	}
	if err := sqlrow.DecodeJSON(roles, &u.Roles); err != nil {
		return u, fmt.Errorf("user %d: roles: %w", u.ID, err)
	}
	var err error
	if u.CreatedAt, err = parseInstant(created, "created_at"); err != nil {
		return u, fmt.Errorf("user %d: %w", u.ID, err)
	}
	if u.UpdatedAt, err = parseInstant(updated, "updated_at"); err != nil {
		return u, fmt.Errorf("user %d: %w", u.ID, err)
	}
	if u.DeletedAt, err = parseOptInstant(deleted, "deleted_at"); err != nil {
		return u, fmt.Errorf("user %d: %w", u.ID, err)
	}
	if u.LockedAt, err = parseOptInstant(locked, "locked_at"); err != nil {
		return u, fmt.Errorf("user %d: %w", u.ID, err)
	}
	return u, nil
}

// userConflict explains a unique index a write of u broke.
func userConflict(err error, u *domain.User) error {
	return cmp.Or(seatConflict(err, "externalId", u.ExternalID), seatConflict(err, "username", u.Username))
}

func (r users) Create(ctx context.Context, u *domain.User) error {
	if err := r.Write(); err != nil {
		return err
	}
	if err := r.accountExists(ctx, u.AccountID); err != nil {
		return err
	}
	args, err := userArgs(u)
	if err != nil {
		return err
	}
	id, err := sqlrow.Value[int64](r.QueryRow(ctx, qCreateUser, append([]any{u.AccountID}, args...)...))
	if err != nil {
		return cmp.Or(userConflict(err, u), r.Fail(ctx, err, "store user %q", u.ExternalID))
	}
	u.ID = id
	return nil
}

func (r users) Put(ctx context.Context, u domain.User) error {
	if err := r.Write(); err != nil {
		return err
	}
	args, err := userArgs(&u)
	if err != nil {
		return err
	}
	n, err := r.exec(ctx, qPutUser, append(args, u.ID, u.AccountID)...)
	if err != nil {
		return cmp.Or(userConflict(err, &u), r.Fail(ctx, err, "store user %d", u.ID))
	}
	if n == 0 {
		return noUser(u.ID)
	}
	return nil
}

func (r users) Get(ctx context.Context, accountID, id int64) (domain.User, error) {
	return sqlrow.One(ctx, r, "read a user", scanUser, func() error { return noUser(id) }, qUser, id, accountID)
}

func (r users) ByExternalID(ctx context.Context, accountID int64, externalID string) (domain.User, error) {
	return sqlrow.One(ctx, r, "read a user", scanUser, func() error {
		return domain.Errorf(domain.CodeNotFound, "externalId", "no user with externalId %q", externalID)
	}, qUserByExternalID, accountID, domain.ExternalKey(externalID))
}

func (r users) ByExternalIDs(ctx context.Context, accountID int64, externalIDs []string) (map[string]domain.User, error) {
	keys := make([]string, len(externalIDs))
	for i, ext := range externalIDs {
		keys[i] = domain.ExternalKey(ext)
	}
	list, err := text(sqlrow.EncodeJSON(keys))
	if err != nil {
		return nil, err
	}
	us, err := sqlrow.All(ctx, r, "read users", scanUser, qUsersByExternalIDs, accountID, list)
	if err != nil {
		return nil, err
	}
	out := make(map[string]domain.User, len(us))
	for _, u := range us {
		out[domain.ExternalKey(u.ExternalID)] = u
	}
	return out, nil
}

func (r users) ByUsername(ctx context.Context, username string) (domain.User, error) {
	return sqlrow.One(ctx, r, "read a user", scanUser, func() error {
		return domain.Errorf(domain.CodeNotFound, "username", "no user with username %q", username)
	}, qUserByUsername, aliasKey(username))
}

func (r users) List(ctx context.Context, accountID int64, offset, limit int) ([]domain.User, error) {
	return sqlrow.All(ctx, r, "read users", scanUser, qUsers, accountID, sqlLimit(limit), max(offset, 0))
}

func (r users) Count(ctx context.Context, accountID int64) (int, error) {
	return sqlrow.One(ctx, r, "count users", sqlrow.Value[int], func() error { return nil }, qCountUsers, accountID)
}

func (r users) Delete(ctx context.Context, accountID, id int64, at time.Time) error {
	if err := r.Write(); err != nil {
		return err
	}
	n, err := r.exec(ctx, qDeleteUser, instant(at), id, accountID)
	if err != nil {
		return r.Fail(ctx, err, "delete user %d", id)
	}
	if n == 0 {
		return noUser(id)
	}
	return nil
}

type licenses struct{ *tx }

func (t *tx) Licenses() ports.Licenses { return licenses{t} }

const (
	licenseColumns = `id, account_id, product_id, registered, expires, created_at`
	qCreateLicense = `INSERT INTO licenses (account_id, product_id, registered, expires, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`
	qLicense       = `SELECT ` + licenseColumns + ` FROM licenses WHERE id = ? AND account_id = ?`
	// Both use licenses_by_account: the product, when given, then the end
	// of the term.
	qLicensesOf    = `SELECT ` + licenseColumns + ` FROM licenses WHERE account_id = ? AND product_id = ? AND expires >= ? ORDER BY id`
	qLicensesAll   = `SELECT ` + licenseColumns + ` FROM licenses WHERE account_id = ? AND expires >= ? ORDER BY id`
	qSetExpires    = `UPDATE licenses SET expires = ? WHERE id = ? AND account_id = ?`
	qHeldAfter     = `SELECT id, deactivation FROM assignments WHERE license_id = ? AND deactivation > ? AND deactivation >= activation LIMIT 1`
	qLicenseProdOf = `SELECT product_id FROM licenses WHERE id = ? AND account_id = ?`
)

func noLicense(id int64) error {
	return domain.Errorf(domain.CodeNotFound, "licenseId", "no license %d", id)
}

func scanLicense(r sqlrow.Scanner) (domain.License, error) {
	var (
		l                          domain.License
		registered, expires, creat string
	)
	if err := r.Scan(&l.ID, &l.AccountID, &l.ProductID, &registered, &expires, &creat); err != nil {
		return l, err
	}
	var err error
	if l.Registered, err = sqlrow.ParseDateText(registered, "registered"); err != nil {
		return l, fmt.Errorf("license %d: %w", l.ID, err)
	}
	if l.Expires, err = sqlrow.ParseDateText(expires, "expires"); err != nil {
		return l, fmt.Errorf("license %d: %w", l.ID, err)
	}
	if l.CreatedAt, err = parseInstant(creat, "created_at"); err != nil {
		return l, fmt.Errorf("license %d: %w", l.ID, err)
	}
	return l, nil
}

// Create stores every license or, inside a savepoint, none.
func (r licenses) Create(ctx context.Context, ls []domain.License) ([]domain.License, error) {
	if err := r.Write(); err != nil {
		return nil, err
	}
	out := make([]domain.License, len(ls))
	copy(out, ls)
	err := r.savepoint(ctx, func() error {
		checked := map[int64]bool{}
		for i := range out {
			l := &out[i]
			if !checked[l.AccountID] {
				if err := r.accountExists(ctx, l.AccountID); err != nil {
					return err
				}
				checked[l.AccountID] = true
			}
			id, err := sqlrow.Value[int64](r.QueryRow(ctx, qCreateLicense, l.AccountID, l.ProductID,
				sqlrow.DateText(l.Registered), sqlrow.DateText(l.Expires), instant(l.CreatedAt)))
			if err != nil {
				return r.Fail(ctx, err, "store a license of %s", l.ProductID)
			}
			l.ID = id
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SetExpires reads first whether an assignment holds the seat after the
// new end; the single writer keeps that read true until the update.
func (r licenses) SetExpires(ctx context.Context, accountID, id int64, expires domain.Date) error {
	if err := r.Write(); err != nil {
		return err
	}
	if _, err := r.Get(ctx, accountID, id); err != nil {
		return err
	}
	var (
		holder int64
		until  string
	)
	err := r.QueryRow(ctx, qHeldAfter, id, sqlrow.DateText(expires)).Scan(&holder, &until)
	switch {
	case err == nil:
		return domain.Errorf(domain.CodeConflict, "expires",
			"license %d cannot expire on %s: assignment %d holds it until %s; end that assignment first", id, expires, holder, until)
	case !r.NoRows(err):
		return r.Fail(ctx, err, "read the assignments of license %d", id)
	}
	_, err = r.exec(ctx, qSetExpires, sqlrow.DateText(expires), id, accountID)
	return r.Fail(ctx, err, "move the end of license %d", id)
}

func (r licenses) Get(ctx context.Context, accountID, id int64) (domain.License, error) {
	return sqlrow.One(ctx, r, "read a license", scanLicense, func() error { return noLicense(id) }, qLicense, id, accountID)
}

func (r licenses) ByAccount(ctx context.Context, accountID int64, productID string, day domain.Date) ([]domain.License, error) {
	if productID == "" {
		return sqlrow.All(ctx, r, "read licenses", scanLicense, qLicensesAll, accountID, sqlrow.DateText(day))
	}
	return sqlrow.All(ctx, r, "read licenses", scanLicense, qLicensesOf, accountID, productID, sqlrow.DateText(day))
}

type assignments struct{ *tx }

func (t *tx) Assignments() ports.Assignments { return assignments{t} }

const (
	assignmentColumns = `id, account_id, license_id, user_id, product_id, activation, deactivation, last_changed`
	qCreateAssignment = `INSERT INTO assignments (account_id, license_id, user_id, product_id, activation, deactivation, last_changed)
	VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`
	qAssignment      = `SELECT ` + assignmentColumns + ` FROM assignments WHERE id = ? AND account_id = ?`
	qSetDeactivation = `UPDATE assignments SET deactivation = ?, last_changed = ? WHERE id = ? AND account_id = ?`
	// Both read what holds a day on or after the one given: not cancelled,
	// and not over before it.
	qAssignmentsByProduct = `SELECT ` + assignmentColumns + ` FROM assignments
	WHERE account_id = ? AND product_id = ? AND deactivation >= ? AND deactivation >= activation ORDER BY id`
	qAssignmentsByUser = `SELECT ` + assignmentColumns + ` FROM assignments
	WHERE +account_id = ? AND user_id = ? AND deactivation >= ? AND deactivation >= activation ORDER BY id`
	qUserExists = `SELECT count(*) FROM seat_users WHERE id = ? AND account_id = ?`
	qFindBase   = `SELECT ` + assignmentColumns + ` FROM assignments`
)

// assignmentSorts maps the sort fields of seed 004 to their columns.
var assignmentSorts = map[string]string{"id": "id", "license-id": "license_id", "user-id": "user_id", "activation-date": "activation"}

var sortNames = [...]string{domain.SortByID: "id", domain.SortByLicenseID: "license-id", domain.SortByUserID: "user-id",
	domain.SortByActivationDate: "activation-date"}

func noAssignment(id int64) error {
	return domain.Errorf(domain.CodeNotFound, "assignmentId", "no assignment %d", id)
}

func scanAssignment(r sqlrow.Scanner) (domain.Assignment, error) {
	var (
		a                  domain.Assignment
		from, to, lastChgd string
	)
	if err := r.Scan(&a.ID, &a.AccountID, &a.LicenseID, &a.UserID, &a.ProductID, &from, &to, &lastChgd); err != nil {
		return a, err
	}
	var err error
	if a.ActivationDate, err = sqlrow.ParseDateText(from, "activation"); err != nil {
		return a, fmt.Errorf("assignment %d: %w", a.ID, err)
	}
	if a.DeactivationDate, err = sqlrow.ParseDateText(to, "deactivation"); err != nil {
		return a, fmt.Errorf("assignment %d: %w", a.ID, err)
	}
	if a.LastChanged, err = parseInstant(lastChgd, "last_changed"); err != nil {
		return a, fmt.Errorf("assignment %d: %w", a.ID, err)
	}
	return a, nil
}

// overlapConflict explains a trigger's refusal of a.
func overlapConflict(err error, a *domain.Assignment) error {
	return cmp.Or(seatConflict(err, "licenseId", a.LicenseID), seatConflict(err, "userId", a.UserID))
}

// Create checks the license and the user belong to a's account, so another
// account's ids are CodeNotFound rather than a foreign key's refusal; the
// triggers then refuse an overlap.
func (r assignments) Create(ctx context.Context, a *domain.Assignment) error {
	if err := r.Write(); err != nil {
		return err
	}
	product, err := sqlrow.One(ctx, r, "read a license", sqlrow.Value[string], func() error { return noLicense(a.LicenseID) },
		qLicenseProdOf, a.LicenseID, a.AccountID)
	if err != nil {
		return err
	}
	n, err := sqlrow.One(ctx, r, "read a user", sqlrow.Value[int], func() error { return noUser(a.UserID) }, qUserExists, a.UserID, a.AccountID)
	if err != nil {
		return err
	}
	if n == 0 {
		return noUser(a.UserID)
	}
	if product != a.ProductID {
		return domain.Errorf(domain.CodeInvalid, "productId", "license %d is a seat of %s, not %s", a.LicenseID, product, a.ProductID)
	}
	id, err := sqlrow.Value[int64](r.QueryRow(ctx, qCreateAssignment, a.AccountID, a.LicenseID, a.UserID, a.ProductID,
		sqlrow.DateText(a.ActivationDate), sqlrow.DateText(a.DeactivationDate), instant(a.LastChanged)))
	if err != nil {
		return cmp.Or(overlapConflict(err, a), r.Fail(ctx, err, "store an assignment of license %d", a.LicenseID))
	}
	a.ID = id
	return nil
}

func (r assignments) SetDeactivation(ctx context.Context, accountID, id int64, deactivation domain.Date, at time.Time) error {
	if err := r.Write(); err != nil {
		return err
	}
	a, err := r.Get(ctx, accountID, id)
	if err != nil {
		return err
	}
	_, err = r.exec(ctx, qSetDeactivation, sqlrow.DateText(deactivation), instant(at), id, accountID)
	if err != nil {
		return cmp.Or(overlapConflict(err, &a), r.Fail(ctx, err, "move the deactivation of assignment %d", id))
	}
	return nil
}

func (r assignments) Get(ctx context.Context, accountID, id int64) (domain.Assignment, error) {
	return sqlrow.One(ctx, r, "read an assignment", scanAssignment, func() error { return noAssignment(id) }, qAssignment, id, accountID)
}

// Find builds its query with sqlrow.ListQuery. A license's or a user's
// assignments are found by that index: the unary + keeps SQLite from
// walking the whole account's in id order instead, which it would rather
// do than sort the few rows of one license or user.
func (r assignments) Find(ctx context.Context, q domain.AssignmentQuery) ([]domain.Assignment, error) {
	if err := r.Read(); err != nil {
		return nil, err
	}
	l := sqlrow.NewListQuery(sqlrow.SQLite, assignmentSorts, "id")
	switch {
	case q.LicenseID != 0:
		l.Where("+account_id = ?", q.AccountID).Where("license_id = ?", q.LicenseID)
	case q.UserID != 0:
		l.Where("+account_id = ?", q.AccountID)
	default:
		l.Where("account_id = ?", q.AccountID)
	}
	if q.UserID != 0 {
		l.Where("user_id = ?", q.UserID)
	}
	if !q.FromActivationDate.IsZero() {
		l.Where("activation >= ?", sqlrow.DateText(q.FromActivationDate))
	}
	if !q.ToActivationDate.IsZero() {
		l.Where("activation < ?", sqlrow.DateText(q.ToActivationDate))
	}
	if int(q.Sort) >= len(sortNames) {
		return nil, domain.Errorf(domain.CodeInvalid, "sort", "unknown sort %d", q.Sort)
	}
	name := sortNames[q.Sort]
	if q.Descending {
		name = "-" + name
	}
	if err := l.Sort(name); err != nil {
		return nil, err
	}
	if err := l.Page(q.Limit, q.Offset); err != nil {
		return nil, err
	}
	query, args := l.Select(qFindBase)
	return sqlrow.All(ctx, r, "find assignments", scanAssignment, query, args...)
}

func (r assignments) ByProduct(ctx context.Context, accountID int64, productID string, day domain.Date) ([]domain.Assignment, error) {
	return sqlrow.All(ctx, r, "read assignments", scanAssignment, qAssignmentsByProduct, accountID, productID, sqlrow.DateText(day))
}

func (r assignments) ByUser(ctx context.Context, accountID, userID int64, day domain.Date) ([]domain.Assignment, error) {
	return sqlrow.All(ctx, r, "read assignments", scanAssignment, qAssignmentsByUser, accountID, userID, sqlrow.DateText(day))
}
