package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// The repositories of ports.SeatsTx: accounts, their users, the seats
// (licenses) they own and the assignments of seats to users (migration
// 0007).
//
// The invariants are the database's constraints (no two assignments of a
// license on a common day, one seat of a product per user per day, a live
// externalId once per account, an alias and a username once), so they hold
// for any writer, with or without LockAccount. A PostgreSQL transaction is
// unusable after any statement it refused, and a use case answering a bulk
// request item by item must go on after a refused item: so each write is
// made in a form the constraints refuse without an error (INSERT ... ON
// CONFLICT DO NOTHING, an UPDATE guarded by NOT EXISTS), and only when it
// wrote nothing does a second statement find out why, naming the field at
// fault. A writer racing past those forms meets the constraint itself,
// translated the same way (errors.go, seatConstraints).

var _ ports.SeatsTx = (*tx)(nil)

// lockAccount is the namespace of accounts in lockKey.
const lockAccount = "account"

// qLockOne takes one advisory lock.
const qLockOne = `SELECT pg_advisory_xact_lock($1)`

// LockAccount serializes the Update with every other Update that locks the
// same account, in any Store on the database, until it ends (a
// transaction-scoped advisory lock in the "account" namespace of lockKey).
// The lock statement is queued, like a single-row write: it travels with
// BEGIN and the transaction's next statement, which PostgreSQL runs only
// once the lock is held, so the reads that follow see what the previous
// holder committed and locking costs no round trip of its own. Locking an
// account twice in a transaction takes it once. In a View it does nothing.
// A wait that ctx ends fails the next statement with CodeUnavailable.
func (t *tx) LockAccount(ctx context.Context, accountID int64) error {
	if !t.Writable {
		return t.Read()
	}
	if err := t.Write(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return unavailable(ctx, err, "postgres: lock an account")
	}
	l := lockKey(t.schema, lockAccount, strconv.FormatInt(accountID, 10))
	if t.locks[l] {
		return nil
	}
	t.queue(fmt.Sprintf("lock account %d", accountID), qLockOne, l)
	t.locks[l] = true
	return nil
}

// limitArg is a page size for LIMIT: NULL, no limit, for 0.
func limitArg(limit int) any {
	if limit <= 0 {
		return nil
	}
	return int64(limit)
}

// offsetArg is an offset for OFFSET; a negative one is none.
func offsetArg(offset int) int64 { return int64(max(offset, 0)) }

// ------------------------------------------------------------------- users

type users struct{ *tx }

func (t *tx) Users() ports.Users { return users{t} }

const (
	userColumns = `id, account_id, external_id, email, first_name, last_name, phone_number, username, password_hash,
	roles, created_at, updated_at, deleted_at, failed_logins, locked_at`
	qUser            = `SELECT ` + userColumns + ` FROM seat_users WHERE id = $2 AND account_id = $1`
	qUserByExternal  = `SELECT ` + userColumns + ` FROM seat_users WHERE account_id = $1 AND external_key = $2 AND deleted_at IS NULL`
	qUsersByExternal = `SELECT ` + userColumns + ` FROM seat_users
	WHERE account_id = $1 AND external_key = ANY ($2::text[]) AND deleted_at IS NULL`
	qUserByUsername = `SELECT ` + userColumns + ` FROM seat_users WHERE username_key = $1 AND username_key <> '' AND deleted_at IS NULL`
	qUsers          = `SELECT ` + userColumns + ` FROM seat_users WHERE account_id = $1 AND deleted_at IS NULL
	ORDER BY id LIMIT $2 OFFSET $3`
	qCountUsers = `SELECT count(*) FROM seat_users WHERE account_id = $1 AND deleted_at IS NULL`
	// The account's existence is checked in the statement, so a missing one
	// writes nothing rather than failing the foreign key (and the
	// transaction); ON CONFLICT DO NOTHING does the same for a taken
	// externalId or username.
	qCreateUser = `INSERT INTO seat_users (account_id, external_id, external_key, email, first_name, last_name, phone_number,
		username, username_key, password_hash, roles, created_at, updated_at, deleted_at, failed_logins, locked_at)
	SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $1)
	ON CONFLICT DO NOTHING RETURNING id`
	// Put writes only when the user would clash with no other live user;
	// a deleted one clashes with nobody.
	qPutUser = `UPDATE seat_users SET external_id = $3, external_key = $4, email = $5, first_name = $6, last_name = $7,
		phone_number = $8, username = $9, username_key = $10, password_hash = $11, roles = $12, created_at = $13,
		updated_at = $14, deleted_at = $15, failed_logins = $16, locked_at = $17
	WHERE id = $1 AND account_id = $2 AND ($15::timestamptz IS NOT NULL OR NOT EXISTS (
		SELECT 1 FROM seat_users o WHERE o.id <> $1 AND o.deleted_at IS NULL
		AND (o.account_id = $2 AND o.external_key = $4 OR $10 <> '' AND o.username_key = $10)))`
	// qUserClash says why a user was not written: whether the account and
	// the user exist, and whether another live user has its externalId or
	// its username.
	qUserClash = `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1),
		EXISTS (SELECT 1 FROM seat_users WHERE id = $2 AND account_id = $1),
		EXISTS (SELECT 1 FROM seat_users WHERE account_id = $1 AND external_key = $3 AND deleted_at IS NULL AND id <> $2),
		EXISTS (SELECT 1 FROM seat_users WHERE username_key = $4 AND $4 <> '' AND deleted_at IS NULL AND id <> $2)`
	qDeleteUser = `UPDATE seat_users SET deleted_at = $3 WHERE id = $2 AND account_id = $1 AND deleted_at IS NULL`
)

func scanUser(r sqlrow.Scanner) (domain.User, error) {
	var (
		u               domain.User
		roles           []string
		deleted, locked pgtype.Timestamptz
	)
	if err := r.Scan(&u.ID, &u.AccountID, &u.ExternalID, &u.Email, &u.FirstName, &u.LastName, &u.PhoneNumber, &u.Username,
		&u.PasswordHash, &roles, &u.CreatedAt, &u.UpdatedAt, &deleted, &u.FailedLogins, &locked); err != nil {
		return u, err
	}
	u.CreatedAt, u.UpdatedAt = utc(u.CreatedAt), utc(u.UpdatedAt)
	u.DeletedAt, u.LockedAt = instantOf(deleted), instantOf(locked)
	for _, r := range roles {
		u.Roles = append(u.Roles, domain.Role(r))
	}
	return u, nil
}

// userArgs are u's columns from external_id on, as qCreateUser and
// qPutUser take them.
func userArgs(u *domain.User) []any {
	roles := make([]string, len(u.Roles))
	for i, r := range u.Roles {
		roles[i] = string(r)
	}
	return []any{u.ExternalID, domain.ExternalKey(u.ExternalID), u.Email, u.FirstName, u.LastName, u.PhoneNumber,
		u.Username, domain.ExternalKey(u.Username), u.PasswordHash, roles, u.CreatedAt, u.UpdatedAt, instantArg(u.DeletedAt),
		u.FailedLogins, instantArg(u.LockedAt)}
}

func noUser(id int64) error {
	return domain.Errorf(domain.CodeNotFound, "userId", "no user %d in the account", id)
}

func (r users) Create(ctx context.Context, u *domain.User) error {
	if err := r.Write(sqlrow.Required("externalId", u.ExternalID)); err != nil {
		return err
	}
	ids, err := sqlrow.All(ctx, r, "create a user", sqlrow.Value[int64], qCreateUser, append([]any{u.AccountID}, userArgs(u)...)...)
	if err != nil {
		return err
	}
	if len(ids) == 1 {
		u.ID = ids[0]
		return nil
	}
	return r.refused(ctx, u, true)
}

// refused explains why u was not written: CodeNotFound for a missing
// account (or, on Put, user), CodeConflict naming externalId or username.
func (r users) refused(ctx context.Context, u *domain.User, creating bool) error {
	var account, user, external, username bool
	id := u.ID
	if creating {
		id = 0
	}
	if err := r.QueryRow(ctx, qUserClash, u.AccountID, id, domain.ExternalKey(u.ExternalID), domain.ExternalKey(u.Username)).
		Scan(&account, &user, &external, &username); err != nil {
		return r.Fail(ctx, err, "check a user's externalId and username")
	}
	switch {
	case !account:
		return noAccount(u.AccountID)
	case !creating && !user:
		return noUser(u.ID)
	case external:
		return domain.Errorf(domain.CodeConflict, "externalId", "a user with externalId %q exists in this account", u.ExternalID)
	case username:
		return domain.Errorf(domain.CodeConflict, "username", "username %q is taken", u.Username)
	}
	return domain.Errorf(domain.CodeUnavailable, "", "postgres: user %q was neither written nor refused; try again", u.ExternalID)
}

func (r users) Put(ctx context.Context, u domain.User) error {
	if err := r.Write(sqlrow.Required("externalId", u.ExternalID)); err != nil {
		return err
	}
	n, err := r.exec(ctx, qPutUser, append([]any{u.ID, u.AccountID}, userArgs(&u)...)...)
	if err != nil {
		return r.Fail(ctx, err, "store user %d", u.ID)
	}
	if n == 1 {
		return nil
	}
	return r.refused(ctx, &u, false)
}

func (r users) Get(ctx context.Context, accountID, id int64) (domain.User, error) {
	return sqlrow.One(ctx, r, "read a user", scanUser, func() error { return noUser(id) }, qUser, accountID, id)
}

func (r users) ByExternalID(ctx context.Context, accountID int64, externalID string) (domain.User, error) {
	return sqlrow.One(ctx, r, "read a user by externalId", scanUser, func() error {
		return domain.Errorf(domain.CodeNotFound, "externalId", "no user with externalId %q in the account", externalID)
	}, qUserByExternal, accountID, domain.ExternalKey(externalID))
}

// ByExternalIDs reads every user in one statement, through the unique
// index on (account_id, external_key).
func (r users) ByExternalIDs(ctx context.Context, accountID int64, externalIDs []string) (map[string]domain.User, error) {
	keys := make([]string, 0, len(externalIDs))
	for _, id := range externalIDs {
		keys = append(keys, domain.ExternalKey(id))
	}
	out := map[string]domain.User{}
	if len(keys) == 0 {
		return out, r.Read()
	}
	list, err := sqlrow.All(ctx, r, "read users by externalId", scanUser, qUsersByExternal, accountID, keys)
	if err != nil {
		return nil, err
	}
	for _, u := range list {
		out[domain.ExternalKey(u.ExternalID)] = u
	}
	return out, nil
}

func (r users) ByUsername(ctx context.Context, username string) (domain.User, error) {
	return sqlrow.One(ctx, r, "read a user by username", scanUser, func() error {
		return domain.Errorf(domain.CodeNotFound, "username", "no user has the username %q", username)
	}, qUserByUsername, domain.ExternalKey(username))
}

func (r users) List(ctx context.Context, accountID int64, offset, limit int) ([]domain.User, error) {
	return sqlrow.All(ctx, r, "list an account's users", scanUser, qUsers, accountID, limitArg(limit), offsetArg(offset))
}

func (r users) Count(ctx context.Context, accountID int64) (int, error) {
	return sqlrow.One(ctx, r, "count an account's users", sqlrow.Value[int], func() error { return nil }, qCountUsers, accountID)
}

func (r users) Delete(ctx context.Context, accountID, id int64, at time.Time) error {
	if err := r.Write(); err != nil {
		return err
	}
	n, err := r.exec(ctx, qDeleteUser, accountID, id, at)
	if err != nil {
		return r.Fail(ctx, err, "delete user %d", id)
	}
	if n == 0 {
		return domain.Errorf(domain.CodeNotFound, "userId", "no live user %d in the account", id)
	}
	return nil
}

// ---------------------------------------------------------------- licenses

type licenses struct{ *tx }

func (t *tx) Licenses() ports.Licenses { return licenses{t} }

const (
	licenseColumns = `id, account_id, product_id, registered, expires, created_at`
	qLicense       = `SELECT ` + licenseColumns + ` FROM licenses WHERE id = $2 AND account_id = $1`
	// qCreateLicenses writes every seat or, when one names an account that
	// does not exist, none; identity values are drawn in the order of the
	// SELECT, so the ids returned, sorted, are the seats' in order.
	qCreateLicenses = `WITH w AS (
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::date[], $4::date[], $5::timestamptz[])
			WITH ORDINALITY AS w(account_id, product_id, registered, expires, created_at, ord))
	INSERT INTO licenses (account_id, product_id, registered, expires, created_at)
	SELECT account_id, product_id, registered, expires, created_at FROM w
	WHERE NOT EXISTS (SELECT 1 FROM w WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = w.account_id))
	ORDER BY ord RETURNING id`
	// A term may not end before an assignment of the seat that holds a day.
	qSetExpires = `UPDATE licenses l SET expires = $3 WHERE l.id = $2 AND l.account_id = $1 AND NOT EXISTS (
		SELECT 1 FROM assignments a WHERE a.license_id = l.id AND a.deactivation > $3 AND a.deactivation >= a.activation)`
	qLicenseExists = `SELECT EXISTS (SELECT 1 FROM licenses WHERE id = $2 AND account_id = $1)`
)

func scanLicense(r sqlrow.Scanner) (domain.License, error) {
	var (
		l                   domain.License
		registered, expires pgtype.Date
	)
	err := r.Scan(&l.ID, &l.AccountID, &l.ProductID, &registered, &expires, &l.CreatedAt)
	l.Registered, l.Expires, l.CreatedAt = dateOf(registered), dateOf(expires), utc(l.CreatedAt)
	return l, err
}

func noLicense(id int64) error {
	return domain.Errorf(domain.CodeNotFound, "licenseId", "no license %d in the account", id)
}

func (r licenses) Create(ctx context.Context, ls []domain.License) ([]domain.License, error) {
	if err := r.Write(); err != nil {
		return nil, err
	}
	var p domain.Problems
	n := len(ls)
	accountIDs, products := make([]int64, n), make([]string, n)
	registered, expires := make([]pgtype.Date, n), make([]pgtype.Date, n)
	created := make([]time.Time, n)
	for i, l := range ls {
		if l.ProductID == "" {
			p.Add("REQUIRED", fmt.Sprintf("[%d].productId", i), "productId is required")
		}
		if l.Registered.IsZero() {
			p.Add("REQUIRED", fmt.Sprintf("[%d].registered", i), "registered is required (YYYY-MM-DD)")
		}
		if l.Expires.IsZero() {
			p.Add("REQUIRED", fmt.Sprintf("[%d].expires", i), "expires is required (YYYY-MM-DD)")
		}
		accountIDs[i], products[i] = l.AccountID, l.ProductID
		registered[i], expires[i], created[i] = dateArg(l.Registered), dateArg(l.Expires), l.CreatedAt
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	out := make([]domain.License, n)
	copy(out, ls)
	if n == 0 {
		return out, nil
	}
	ids, err := sqlrow.All(ctx, r, "create licenses", sqlrow.Value[int64], qCreateLicenses, accountIDs, products, registered, expires, created)
	if err != nil {
		return nil, err
	}
	if len(ids) != n {
		// Nothing was written: an account is missing. Say which.
		for _, id := range accountIDs {
			if _, err := (accounts{r.tx}).Get(ctx, id); err != nil {
				return nil, err
			}
		}
		return nil, domain.Errorf(domain.CodeUnavailable, "", "postgres: licenses were neither created nor refused; try again")
	}
	slices.Sort(ids)
	for i := range out {
		out[i].ID = ids[i]
	}
	return out, nil
}

func (r licenses) SetExpires(ctx context.Context, accountID, id int64, expires domain.Date) error {
	if err := r.Write(); err != nil {
		return err
	}
	if expires.IsZero() {
		return domain.Errorf(domain.CodeInvalid, "expires", "expires is required (YYYY-MM-DD)")
	}
	n, err := r.exec(ctx, qSetExpires, accountID, id, dateArg(expires))
	if err != nil {
		return r.Fail(ctx, err, "move the end of license %d", id)
	}
	if n == 1 {
		return nil
	}
	exists, err := sqlrow.One(ctx, r, "read a license", sqlrow.Value[bool], func() error { return nil }, qLicenseExists, accountID, id)
	if err != nil {
		return err
	}
	if !exists {
		return noLicense(id)
	}
	return domain.Errorf(domain.CodeConflict, "expires",
		"license %d is assigned after %s: end that assignment before moving the license's end to that day", id, expires)
}

func (r licenses) Get(ctx context.Context, accountID, id int64) (domain.License, error) {
	return sqlrow.One(ctx, r, "read a license", scanLicense, func() error { return noLicense(id) }, qLicense, accountID, id)
}

// ByAccount reads through licenses_by_pool: the seats whose term has not
// ended, however many ended before.
func (r licenses) ByAccount(ctx context.Context, accountID int64, productID string, day domain.Date) ([]domain.License, error) {
	query, args := licensesByAccount(accountID, productID, day)
	return sqlrow.All(ctx, r, "read an account's licenses", scanLicense, query, args...)
}

// licensesByAccount is ByAccount's query: one statement per shape of
// filter, so each has a plan of its own rather than a generic one.
func licensesByAccount(accountID int64, productID string, day domain.Date) (string, []any) {
	q := sqlrow.NewListQuery(sqlrow.Postgres, nil, "id").Where("account_id = ?", accountID)
	if productID != "" {
		q.Where("product_id = ?", productID)
	}
	if !day.IsZero() {
		q.Where("expires >= ?", dateArg(day))
	}
	return q.Select(`SELECT ` + licenseColumns + ` FROM licenses`)
}

// ------------------------------------------------------------- assignments

type assignments struct{ *tx }

func (t *tx) Assignments() ports.Assignments { return assignments{t} }

const (
	assignmentColumns = `id, account_id, license_id, user_id, product_id, activation, deactivation, last_changed`
	qAssignment       = `SELECT ` + assignmentColumns + ` FROM assignments WHERE id = $2 AND account_id = $1`
	// The license and the user must be the account's (the product is the
	// license's); ON CONFLICT DO NOTHING leaves an overlap unwritten
	// without failing the transaction. A conflict with a row another
	// transaction is writing waits for it to end, so what refused the
	// write is committed when assignmentRefused looks.
	qCreateAssignment = `INSERT INTO assignments (account_id, license_id, user_id, product_id, activation, deactivation, last_changed)
	SELECT l.account_id, l.id, u.id, l.product_id, $4, $5, $6 FROM licenses l, seat_users u
	WHERE l.id = $2 AND l.account_id = $1 AND u.id = $3 AND u.account_id = $1 AND ($7 = '' OR l.product_id = $7)
	ON CONFLICT DO NOTHING RETURNING id, product_id`
	// qAssignmentRefused says why: whether the license (and which product
	// it is a seat of) and the user are the account's, and whether the
	// period [$4, $5] overlaps another assignment of the license, or of the
	// user and the license's product, that holds a day (never assignment $6
	// itself).
	qAssignmentRefused = `SELECT
		EXISTS (SELECT 1 FROM licenses WHERE id = $2 AND account_id = $1),
		coalesce((SELECT product_id FROM licenses WHERE id = $2 AND account_id = $1), ''),
		EXISTS (SELECT 1 FROM seat_users WHERE id = $3 AND account_id = $1),
		EXISTS (SELECT 1 FROM assignments o WHERE o.license_id = $2 AND o.id <> $6
			AND o.deactivation >= o.activation AND o.deactivation >= $4 AND o.activation <= $5),
		EXISTS (SELECT 1 FROM assignments o JOIN licenses l ON l.id = $2 AND l.account_id = $1
			WHERE o.user_id = $3 AND o.product_id = l.product_id AND o.id <> $6
			AND o.deactivation >= o.activation AND o.deactivation >= $4 AND o.activation <= $5)`
	// qAssignmentFor reads what SetDeactivation checks against.
	qAssignmentFor = `SELECT license_id, user_id, product_id, activation FROM assignments WHERE id = $2 AND account_id = $1`
	// A period is written only when it is valid (deactivation >= activation
	// - 1) and, unless it is cancelled, overlaps nothing.
	qSetDeactivation = `UPDATE assignments a SET deactivation = $3, last_changed = $4
	WHERE a.id = $2 AND a.account_id = $1 AND $3 >= a.activation - 1 AND ($3 < a.activation OR NOT EXISTS (
		SELECT 1 FROM assignments o WHERE o.id <> a.id AND o.deactivation >= o.activation
		AND o.deactivation >= a.activation AND o.activation <= $3
		AND (o.license_id = a.license_id OR o.user_id = a.user_id AND o.product_id = a.product_id)))`
	qAssignmentsByProduct = `SELECT ` + assignmentColumns + ` FROM assignments
	WHERE account_id = $1 AND product_id = $2 AND deactivation >= activation AND deactivation >= $3 ORDER BY id`
	qAssignmentsByUser = `SELECT ` + assignmentColumns + ` FROM assignments
	WHERE user_id = $2 AND account_id = $1 AND deactivation >= activation AND deactivation >= $3 ORDER BY id`
)

// anyDay stands for "every day" in ByProduct and ByUser: no deactivation
// is before it.
var anyDay = pgtype.Date{InfinityModifier: pgtype.NegativeInfinity, Valid: true}

func scanAssignment(r sqlrow.Scanner) (domain.Assignment, error) {
	var (
		a                        domain.Assignment
		activation, deactivation pgtype.Date
	)
	err := r.Scan(&a.ID, &a.AccountID, &a.LicenseID, &a.UserID, &a.ProductID, &activation, &deactivation, &a.LastChanged)
	a.ActivationDate, a.DeactivationDate, a.LastChanged = dateOf(activation), dateOf(deactivation), utc(a.LastChanged)
	return a, err
}

func noAssignment(id int64) error {
	return domain.Errorf(domain.CodeNotFound, "assignmentId", "no license assignment %d in the account", id)
}

// Create takes the product from the license; a.ProductID, when given, must
// be the license's.
func (r assignments) Create(ctx context.Context, a *domain.Assignment) error {
	if err := r.Write(); err != nil {
		return err
	}
	if err := a.Validate(); err != nil {
		return err
	}
	var (
		id      int64
		product string
	)
	rows, err := sqlrow.All(ctx, r, "create an assignment", func(s sqlrow.Scanner) (int64, error) {
		return id, s.Scan(&id, &product)
	}, qCreateAssignment, a.AccountID, a.LicenseID, a.UserID, dateArg(a.ActivationDate), dateArg(a.DeactivationDate), a.LastChanged, a.ProductID)
	if err != nil {
		return err
	}
	if len(rows) == 1 {
		a.ID, a.ProductID = id, product
		return nil
	}
	return r.refused(ctx, a, 0)
}

// refused explains why assignment a (self, when it exists) was not
// written.
func (r assignments) refused(ctx context.Context, a *domain.Assignment, self int64) error {
	var (
		license, user, licenseOverlap, userOverlap bool
		product                                    string
	)
	if err := r.QueryRow(ctx, qAssignmentRefused, a.AccountID, a.LicenseID, a.UserID,
		dateArg(a.ActivationDate), dateArg(a.DeactivationDate), self).
		Scan(&license, &product, &user, &licenseOverlap, &userOverlap); err != nil {
		return r.Fail(ctx, err, "check an assignment's license and user")
	}
	switch {
	case !license:
		return noLicense(a.LicenseID)
	case a.ProductID != "" && product != a.ProductID:
		return domain.Errorf(domain.CodeInvalid, "productId", "license %d is a seat of %s, not %s", a.LicenseID, product, a.ProductID)
	case !user:
		return noUser(a.UserID)
	case a.Cancelled():
	case licenseOverlap:
		return domain.Errorf(domain.CodeConflict, "licenseId", "license %d is assigned to another user on a day from %s to %s",
			a.LicenseID, a.ActivationDate, a.DeactivationDate)
	case userOverlap:
		return domain.Errorf(domain.CodeConflict, "userId", "user %d holds another seat of %s on a day from %s to %s",
			a.UserID, product, a.ActivationDate, a.DeactivationDate)
	}
	return domain.Errorf(domain.CodeUnavailable, "", "postgres: assignment of license %d was neither written nor refused; try again", a.LicenseID)
}

// SetDeactivation writes in one statement when the new period is valid and
// overlaps nothing; only a refusal costs a second one, saying why.
func (r assignments) SetDeactivation(ctx context.Context, accountID, id int64, deactivation domain.Date, at time.Time) error {
	if err := r.Write(); err != nil {
		return err
	}
	if deactivation.IsZero() {
		return domain.Errorf(domain.CodeInvalid, "deactivationDate", "deactivationDate is required (YYYY-MM-DD)")
	}
	n, err := r.exec(ctx, qSetDeactivation, accountID, id, dateArg(deactivation), at)
	if err != nil {
		return r.Fail(ctx, err, "move the deactivation of assignment %d", id)
	}
	if n == 1 {
		return nil
	}
	var (
		a          = domain.Assignment{ID: id, AccountID: accountID, DeactivationDate: deactivation}
		activation pgtype.Date
	)
	err = r.QueryRow(ctx, qAssignmentFor, accountID, id).Scan(&a.LicenseID, &a.UserID, &a.ProductID, &activation)
	if r.NoRows(err) {
		return noAssignment(id)
	}
	if err != nil {
		return r.Fail(ctx, err, "read assignment %d", id)
	}
	a.ActivationDate = dateOf(activation)
	if err := a.Validate(); err != nil {
		return err
	}
	return r.refused(ctx, &a, id)
}

func (r assignments) Get(ctx context.Context, accountID, id int64) (domain.Assignment, error) {
	return sqlrow.One(ctx, r, "read an assignment", scanAssignment, func() error { return noAssignment(id) }, qAssignment, accountID, id)
}

// assignmentSorts are the columns Find sorts by.
var assignmentSorts = map[string]string{
	"id": "id", "license-id": "license_id", "user-id": "user_id", "activation-date": "activation",
}

// sortName is the seed's name of an AssignmentSort.
func sortName(s domain.AssignmentSort) (string, error) {
	switch s {
	case domain.SortByID:
		return "id", nil
	case domain.SortByLicenseID:
		return "license-id", nil
	case domain.SortByUserID:
		return "user-id", nil
	case domain.SortByActivationDate:
		return "activation-date", nil
	}
	return "", domain.Errorf(domain.CodeInvalid, "sort", "unknown sort %d", s)
}

func (r assignments) Find(ctx context.Context, q domain.AssignmentQuery) ([]domain.Assignment, error) {
	if err := r.Read(); err != nil {
		return nil, err
	}
	l := sqlrow.NewListQuery(sqlrow.Postgres, assignmentSorts, "id").Where("account_id = ?", q.AccountID)
	if q.LicenseID != 0 {
		l.Where("license_id = ?", q.LicenseID)
	}
	if q.UserID != 0 {
		l.Where("user_id = ?", q.UserID)
	}
	if !q.FromActivationDate.IsZero() {
		l.Where("activation >= ?", dateArg(q.FromActivationDate))
	}
	if !q.ToActivationDate.IsZero() {
		l.Where("activation < ?", dateArg(q.ToActivationDate))
	}
	name, err := sortName(q.Sort)
	if err != nil {
		return nil, err
	}
	if q.Descending {
		name = "-" + name
	}
	if err := l.Sort(name); err != nil {
		return nil, err
	}
	if err := l.Page(q.Limit, q.Offset); err != nil {
		return nil, err
	}
	query, args := l.Select(`SELECT ` + assignmentColumns + ` FROM assignments`)
	return sqlrow.All(ctx, r, "find assignments", scanAssignment, query, args...)
}

// dayArg is day for ByProduct and ByUser: the zero Date is every day.
func dayArg(day domain.Date) pgtype.Date {
	if day.IsZero() {
		return anyDay
	}
	return dateArg(day)
}

// ByProduct reads through assignments_by_pool: only the assignments that
// hold a day on or after day, however long the history before it.
func (r assignments) ByProduct(ctx context.Context, accountID int64, productID string, day domain.Date) ([]domain.Assignment, error) {
	return sqlrow.All(ctx, r, "read the assignments of a product", scanAssignment, qAssignmentsByProduct, accountID, productID, dayArg(day))
}

// ByUser reads through assignments_by_user.
func (r assignments) ByUser(ctx context.Context, accountID, userID int64, day domain.Date) ([]domain.Assignment, error) {
	return sqlrow.All(ctx, r, "read a user's assignments", scanAssignment, qAssignmentsByUser, accountID, userID, dayArg(day))
}
