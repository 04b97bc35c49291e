package memory

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// The repositories of ports.SeatsTx: accounts, their users, licenses
// (seats) and assignments. Every lookup goes through an index of its own,
// so it costs what it finds, not what the store holds; the two assignment
// invariants are checked against the assignments of one license and of one
// user's product, found the same way.

// seatTables is the seats part of the state (see tables).
type seatTables struct {
	accounts          layer[int64, domain.Account]
	accountsByAlias   layer[string, int64] // domain.ExternalKey(alias)
	accountsByPartner layer[string, []int64]

	users          layer[int64, domain.User]
	usersByKey     layer[userKey, int64] // live users by externalId
	usersByName    layer[string, int64]  // live users by domain.ExternalKey(username)
	usersByAccount layer[int64, []int64] // live users, by id

	licenses          layer[int64, domain.License]
	licensesByAccount layer[int64, []int64]

	assignments         layer[int64, domain.Assignment]
	assignmentsByLic    layer[int64, []int64]
	assignmentsByUser   layer[int64, []int64] // every product
	assignmentsByProd   layer[productKey, []int64]
	assignmentsByAcct   layer[int64, []int64]
	assignmentsByUsrPrd layer[userProductKey, []int64]

	// The assignments that still hold a day on or after a floor, by id: of
	// an account's product (ByProduct) and of a user (ByUser). The floor
	// of a list is the last day an Update asked it for, so the list holds
	// what is live, not the history; a View asking about a day before the
	// floor reads the whole history instead (see holding).
	holdByProd    layer[productKey, []int64]
	holdProdFloor layer[productKey, domain.Date]
	holdByUser    layer[int64, []int64]
	holdUserFloor layer[int64, domain.Date]
}

type userKey struct {
	account int64
	key     string // domain.ExternalKey(externalId)
}

type productKey struct {
	account int64
	product string
}

type userProductKey struct {
	user    int64
	product string
}

func (d *seatTables) layers() []committer {
	return []committer{
		&d.accounts, &d.accountsByAlias, &d.accountsByPartner,
		&d.users, &d.usersByKey, &d.usersByName, &d.usersByAccount,
		&d.licenses, &d.licensesByAccount,
		&d.assignments, &d.assignmentsByLic, &d.assignmentsByUser, &d.assignmentsByProd, &d.assignmentsByAcct,
		&d.assignmentsByUsrPrd, &d.holdByProd, &d.holdProdFloor, &d.holdByUser, &d.holdUserFloor,
	}
}

// LockAccount does nothing more than check the transaction: the memory
// store runs one Update at a time.
func (t *tx) LockAccount(context.Context, int64) error { return t.Read() }

// page returns the part of list after offset, at most limit long (0: all).
func page[E any](list []E, offset, limit int) []E {
	list = list[min(max(offset, 0), len(list)):]
	if limit > 0 && limit < len(list) {
		list = list[:limit]
	}
	return list
}

type accounts struct{ *tx }

func (t *tx) Accounts() ports.Accounts { return accounts{t} }

func noAccount(id int64) error {
	return domain.Errorf(domain.CodeNotFound, "accountId", "no account %d", id)
}

// aliasFree reports CodeConflict when an account other than id has alias.
func (r accounts) aliasFree(alias string, id int64) error {
	if alias == "" {
		return nil
	}
	if other, ok := r.db.accountsByAlias.get(domain.ExternalKey(alias)); ok && other != id {
		return domain.Errorf(domain.CodeConflict, "alias", "alias %q is taken by another company", alias)
	}
	return nil
}

func (r accounts) Create(_ context.Context, a *domain.Account) error {
	if err := r.Write(); err != nil {
		return err
	}
	if a.ID < 0 {
		return domain.Errorf(domain.CodeInvalid, "id", "account id %d is negative", a.ID)
	}
	if _, taken := r.db.accounts.get(a.ID); taken && a.ID > 0 {
		return domain.Errorf(domain.CodeConflict, "id", "an account with id %d exists", a.ID)
	}
	if err := r.aliasFree(a.Alias, 0); err != nil {
		return err
	}
	if a.ID == 0 {
		r.db.seq.account++
		a.ID = r.db.seq.account
	} else {
		r.db.seq.account = max(r.db.seq.account, a.ID)
	}
	r.db.accounts.put(a.ID, *a)
	if a.Alias != "" {
		r.db.accountsByAlias.put(domain.ExternalKey(a.Alias), a.ID)
	}
	push(&r.db.accountsByPartner, a.PartnerID, a.ID)
	return nil
}

func (r accounts) Put(_ context.Context, a domain.Account) error {
	if err := r.Write(); err != nil {
		return err
	}
	old, ok := r.db.accounts.get(a.ID)
	if !ok {
		return noAccount(a.ID)
	}
	if err := r.aliasFree(a.Alias, a.ID); err != nil {
		return err
	}
	if old.Alias != "" {
		r.db.accountsByAlias.del(domain.ExternalKey(old.Alias))
	}
	if a.Alias != "" {
		r.db.accountsByAlias.put(domain.ExternalKey(a.Alias), a.ID)
	}
	if old.PartnerID != a.PartnerID {
		pull(&r.db.accountsByPartner, old.PartnerID, a.ID)
		insertSorted(&r.db.accountsByPartner, a.PartnerID, a.ID)
	}
	r.db.accounts.put(a.ID, a)
	return nil
}

func (r accounts) Get(_ context.Context, id int64) (domain.Account, error) {
	return find(r.tx, &r.db.accounts, id, "accountId", "no account %d")
}

func (r accounts) ByAlias(ctx context.Context, alias string) (domain.Account, error) {
	if err := r.Read(); err != nil {
		return domain.Account{}, err
	}
	id, ok := r.db.accountsByAlias.get(domain.ExternalKey(alias))
	if !ok || alias == "" {
		return domain.Account{}, domain.Errorf(domain.CodeNotFound, "alias", "no company with alias %q", alias)
	}
	return r.Get(ctx, id)
}

func (r accounts) ByPartner(_ context.Context, partnerID string, offset, limit int) ([]domain.Account, error) {
	if err := r.Read(); err != nil {
		return nil, err
	}
	ids, _ := r.db.accountsByPartner.get(partnerID)
	return rows(&r.db.accounts, page(ids, offset, limit)), nil
}

// insertSorted puts id into the ascending list at k, as a new list.
func insertSorted(l *layer[string, []int64], k string, id int64) {
	list, _ := l.get(k)
	i, _ := slices.BinarySearch(list, id)
	l.put(k, slices.Insert(slices.Clone(list), i, id))
}

type users struct{ *tx }

func (t *tx) Users() ports.Users { return users{t} }

func noUser(id int64) error { return domain.Errorf(domain.CodeNotFound, "userId", "no user %d", id) }

// free reports CodeConflict when a live user other than u holds u's
// externalId in its account or u's username anywhere.
func (r users) free(u *domain.User) error {
	if other, ok := r.db.usersByKey.get(userKey{u.AccountID, domain.ExternalKey(u.ExternalID)}); ok && other != u.ID {
		return domain.Errorf(domain.CodeConflict, "externalId", "a user with externalId %q exists in this account", u.ExternalID)
	}
	if u.Username != "" {
		if other, ok := r.db.usersByName.get(domain.ExternalKey(u.Username)); ok && other != u.ID {
			return domain.Errorf(domain.CodeConflict, "username", "username %q is taken", u.Username)
		}
	}
	return nil
}

// index adds or removes u's entries in the live users' indexes.
func (r users) index(u *domain.User, add bool) {
	k := userKey{u.AccountID, domain.ExternalKey(u.ExternalID)}
	name := domain.ExternalKey(u.Username)
	if !add {
		r.db.usersByKey.del(k)
		if u.Username != "" {
			r.db.usersByName.del(name)
		}
		return
	}
	r.db.usersByKey.put(k, u.ID)
	if u.Username != "" {
		r.db.usersByName.put(name, u.ID)
	}
}

func (r users) Create(_ context.Context, u *domain.User) error {
	if err := r.Write(); err != nil {
		return err
	}
	if _, ok := r.db.accounts.get(u.AccountID); !ok {
		return noAccount(u.AccountID)
	}
	probe := *u
	probe.ID = 0
	if err := r.free(&probe); err != nil {
		return err
	}
	r.db.seq.user++
	u.ID = r.db.seq.user
	r.db.users.put(u.ID, *u)
	if u.Live() {
		r.index(u, true)
		push(&r.db.usersByAccount, u.AccountID, u.ID)
	}
	return nil
}

// Put replaces a live or deleted user; a deleted one stays deleted unless
// u clears DeletedAt, and then its externalId and username must be free.
func (r users) Put(_ context.Context, u domain.User) error {
	if err := r.Write(); err != nil {
		return err
	}
	old, ok := r.db.users.get(u.ID)
	if !ok || old.AccountID != u.AccountID {
		return noUser(u.ID)
	}
	if u.Live() {
		if err := r.free(&u); err != nil {
			return err
		}
	}
	if old.Live() {
		r.index(&old, false)
	}
	if u.Live() {
		r.index(&u, true)
	}
	switch {
	case old.Live() && !u.Live():
		pull(&r.db.usersByAccount, u.AccountID, u.ID)
	case !old.Live() && u.Live():
		list, _ := r.db.usersByAccount.get(u.AccountID)
		i, _ := slices.BinarySearch(list, u.ID)
		r.db.usersByAccount.put(u.AccountID, slices.Insert(slices.Clone(list), i, u.ID))
	}
	r.db.users.put(u.ID, u)
	return nil
}

func (r users) Get(_ context.Context, accountID, id int64) (domain.User, error) {
	if err := r.Read(); err != nil {
		return domain.User{}, err
	}
	u, ok := r.db.users.get(id)
	if !ok || u.AccountID != accountID {
		return domain.User{}, noUser(id)
	}
	return u, nil
}

func (r users) ByExternalID(ctx context.Context, accountID int64, externalID string) (domain.User, error) {
	if err := r.Read(); err != nil {
		return domain.User{}, err
	}
	id, ok := r.db.usersByKey.get(userKey{accountID, domain.ExternalKey(externalID)})
	if !ok {
		return domain.User{}, domain.Errorf(domain.CodeNotFound, "externalId", "no user with externalId %q", externalID)
	}
	return r.Get(ctx, accountID, id)
}

func (r users) ByExternalIDs(_ context.Context, accountID int64, externalIDs []string) (map[string]domain.User, error) {
	if err := r.Read(); err != nil {
		return nil, err
	}
	out := make(map[string]domain.User, len(externalIDs))
	for _, ext := range externalIDs {
		k := domain.ExternalKey(ext)
		if id, ok := r.db.usersByKey.get(userKey{accountID, k}); ok {
			if u, ok := r.db.users.get(id); ok {
				out[k] = u
			}
		}
	}
	return out, nil
}

func (r users) ByUsername(_ context.Context, username string) (domain.User, error) {
	if err := r.Read(); err != nil {
		return domain.User{}, err
	}
	id, ok := r.db.usersByName.get(domain.ExternalKey(username))
	u, found := r.db.users.get(id)
	if !ok || !found || username == "" {
		return domain.User{}, domain.Errorf(domain.CodeNotFound, "username", "no user with username %q", username)
	}
	return u, nil
}

func (r users) List(_ context.Context, accountID int64, offset, limit int) ([]domain.User, error) {
	if err := r.Read(); err != nil {
		return nil, err
	}
	ids, _ := r.db.usersByAccount.get(accountID)
	return rows(&r.db.users, page(ids, offset, limit)), nil
}

func (r users) Count(_ context.Context, accountID int64) (int, error) {
	if err := r.Read(); err != nil {
		return 0, err
	}
	ids, _ := r.db.usersByAccount.get(accountID)
	return len(ids), nil
}

func (r users) Delete(_ context.Context, accountID, id int64, at time.Time) error {
	if err := r.Write(); err != nil {
		return err
	}
	u, ok := r.db.users.get(id)
	if !ok || u.AccountID != accountID || !u.Live() {
		return noUser(id)
	}
	r.index(&u, false)
	pull(&r.db.usersByAccount, accountID, id)
	u.DeletedAt = at
	r.db.users.put(id, u)
	return nil
}

type licenses struct{ *tx }

func (t *tx) Licenses() ports.Licenses { return licenses{t} }

func noLicense(id int64) error {
	return domain.Errorf(domain.CodeNotFound, "licenseId", "no license %d", id)
}

// Create checks every license before it numbers any, so a refused call
// leaves the transaction as it was.
func (r licenses) Create(_ context.Context, ls []domain.License) ([]domain.License, error) {
	if err := r.Write(); err != nil {
		return nil, err
	}
	for _, l := range ls {
		if _, ok := r.db.accounts.get(l.AccountID); !ok {
			return nil, noAccount(l.AccountID)
		}
	}
	out := slices.Clone(ls)
	for i := range out {
		r.db.seq.license++
		out[i].ID = r.db.seq.license
		r.db.licenses.put(out[i].ID, out[i])
		push(&r.db.licensesByAccount, out[i].AccountID, out[i].ID)
	}
	return out, nil
}

func (r licenses) SetExpires(_ context.Context, accountID, id int64, expires domain.Date) error {
	if err := r.Write(); err != nil {
		return err
	}
	l, ok := r.db.licenses.get(id)
	if !ok || l.AccountID != accountID {
		return noLicense(id)
	}
	ids, _ := r.db.assignmentsByLic.get(id)
	for _, a := range rows(&r.db.assignments, ids) {
		if !a.Cancelled() && a.DeactivationDate.After(expires) {
			return domain.Errorf(domain.CodeConflict, "expires",
				"license %d cannot expire on %s: assignment %d holds it until %s; end that assignment first", id, expires, a.ID, a.DeactivationDate)
		}
	}
	l.Expires = expires
	r.db.licenses.put(id, l)
	return nil
}

func (r licenses) Get(_ context.Context, accountID, id int64) (domain.License, error) {
	if err := r.Read(); err != nil {
		return domain.License{}, err
	}
	l, ok := r.db.licenses.get(id)
	if !ok || l.AccountID != accountID {
		return domain.License{}, noLicense(id)
	}
	return l, nil
}

func (r licenses) ByAccount(_ context.Context, accountID int64, productID string, day domain.Date) ([]domain.License, error) {
	if err := r.Read(); err != nil {
		return nil, err
	}
	ids, _ := r.db.licensesByAccount.get(accountID)
	out := rows(&r.db.licenses, ids)
	return slices.DeleteFunc(out, func(l domain.License) bool {
		return productID != "" && l.ProductID != productID || !day.IsZero() && l.Expires.Before(day)
	}), nil
}

type assignments struct{ *tx }

func (t *tx) Assignments() ports.Assignments { return assignments{t} }

func noAssignment(id int64) error {
	return domain.Errorf(domain.CodeNotFound, "assignmentId", "no assignment %d", id)
}

// check reports CodeConflict when a, as it would be stored, shares a day
// with another assignment of its license, or gives its user a second seat
// of its product on a common day (domain.CheckAssignments, over the
// assignments of the license and of the user's product only).
func (r assignments) check(a *domain.Assignment) error {
	if a.Cancelled() {
		return nil
	}
	ids, _ := r.db.assignmentsByLic.get(a.LicenseID)
	for _, b := range rows(&r.db.assignments, ids) {
		if b.ID != a.ID && a.Overlaps(&b) {
			return domain.Errorf(domain.CodeConflict, "licenseId",
				"license %d is assigned to user %d from %s to %s (assignment %d)", a.LicenseID, b.UserID, b.ActivationDate, b.DeactivationDate, b.ID)
		}
	}
	ids, _ = r.db.assignmentsByUsrPrd.get(userProductKey{a.UserID, a.ProductID})
	for _, b := range rows(&r.db.assignments, ids) {
		if b.ID != a.ID && a.SameUserProductOverlap(&b) {
			return domain.Errorf(domain.CodeConflict, "userId",
				"user %d holds a seat of %s from %s to %s (assignment %d)", a.UserID, a.ProductID, b.ActivationDate, b.DeactivationDate, b.ID)
		}
	}
	return nil
}

func (r assignments) Create(_ context.Context, a *domain.Assignment) error {
	if err := r.Write(); err != nil {
		return err
	}
	l, ok := r.db.licenses.get(a.LicenseID)
	if !ok || l.AccountID != a.AccountID {
		return noLicense(a.LicenseID)
	}
	if u, ok := r.db.users.get(a.UserID); !ok || u.AccountID != a.AccountID {
		return noUser(a.UserID)
	}
	if l.ProductID != a.ProductID {
		return domain.Errorf(domain.CodeInvalid, "productId", "license %d is a seat of %s, not %s", l.ID, l.ProductID, a.ProductID)
	}
	probe := *a
	probe.ID = 0
	if err := r.check(&probe); err != nil {
		return err
	}
	r.db.seq.assignment++
	a.ID = r.db.seq.assignment
	r.db.assignments.put(a.ID, *a)
	push(&r.db.assignmentsByLic, a.LicenseID, a.ID)
	push(&r.db.assignmentsByUser, a.UserID, a.ID)
	push(&r.db.assignmentsByProd, productKey{a.AccountID, a.ProductID}, a.ID)
	push(&r.db.assignmentsByAcct, a.AccountID, a.ID)
	push(&r.db.assignmentsByUsrPrd, userProductKey{a.UserID, a.ProductID}, a.ID)
	r.rehold(nil, a)
	return nil
}

func (r assignments) SetDeactivation(_ context.Context, accountID, id int64, deactivation domain.Date, at time.Time) error {
	if err := r.Write(); err != nil {
		return err
	}
	a, ok := r.db.assignments.get(id)
	if !ok || a.AccountID != accountID {
		return noAssignment(id)
	}
	old := a
	a.DeactivationDate, a.LastChanged = deactivation, at
	if err := r.check(&a); err != nil {
		return err
	}
	r.db.assignments.put(id, a)
	r.rehold(&old, &a)
	return nil
}

func (r assignments) Get(_ context.Context, accountID, id int64) (domain.Assignment, error) {
	if err := r.Read(); err != nil {
		return domain.Assignment{}, err
	}
	a, ok := r.db.assignments.get(id)
	if !ok || a.AccountID != accountID {
		return domain.Assignment{}, noAssignment(id)
	}
	return a, nil
}

// Find starts from the most selective index the query names.
func (r assignments) Find(_ context.Context, q domain.AssignmentQuery) ([]domain.Assignment, error) {
	if err := r.Read(); err != nil {
		return nil, err
	}
	var ids []int64
	switch {
	case q.LicenseID != 0:
		ids, _ = r.db.assignmentsByLic.get(q.LicenseID)
	case q.UserID != 0:
		ids, _ = r.db.assignmentsByUser.get(q.UserID)
	default:
		ids, _ = r.db.assignmentsByAcct.get(q.AccountID)
	}
	out := rows(&r.db.assignments, ids)
	out = slices.DeleteFunc(out, func(a domain.Assignment) bool {
		return a.AccountID != q.AccountID || q.LicenseID != 0 && a.LicenseID != q.LicenseID || q.UserID != 0 && a.UserID != q.UserID ||
			!q.FromActivationDate.IsZero() && a.ActivationDate.Before(q.FromActivationDate) ||
			!q.ToActivationDate.IsZero() && !a.ActivationDate.Before(q.ToActivationDate)
	})
	slices.SortFunc(out, func(a, b domain.Assignment) int {
		var c int
		switch q.Sort {
		case domain.SortByLicenseID:
			c = cmp.Compare(a.LicenseID, b.LicenseID)
		case domain.SortByUserID:
			c = cmp.Compare(a.UserID, b.UserID)
		case domain.SortByActivationDate:
			c = a.ActivationDate.Compare(b.ActivationDate)
		default:
			c = cmp.Compare(a.ID, b.ID)
		}
		if q.Descending {
			c = -c
		}
		return cmp.Or(c, cmp.Compare(a.ID, b.ID))
	})
	return slices.Clip(page(out, q.Offset, q.Limit)), nil
}

// holdsFrom reports whether a holds a day on or after floor.
func holdsFrom(a *domain.Assignment, floor domain.Date) bool {
	return !a.Cancelled() && !a.DeactivationDate.Before(floor)
}

// rehold keeps the holding lists of a's product and user: old is a as it
// was (nil for a new assignment), a as it is now. The user's floor follows
// the product's up (the day the use cases last read the pool for), so a
// user's list sheds its ended assignments without a ByUser in an Update.
func (r assignments) rehold(old, a *domain.Assignment) {
	pk := productKey{a.AccountID, a.ProductID}
	relist(&r.db.holdByProd, &r.db.holdProdFloor, pk, old, a)
	pf, _ := r.db.holdProdFloor.get(pk)
	if uf, _ := r.db.holdUserFloor.get(a.UserID); uf.Before(pf) {
		ids, _ := r.db.holdByUser.get(a.UserID)
		refloor(&r.db.holdByUser, &r.db.holdUserFloor, a.UserID, rows(&r.db.assignments, ids), pf)
	}
	relist(&r.db.holdByUser, &r.db.holdUserFloor, a.UserID, old, a)
}

// refloor moves the floor of the holding list at k to day, keeping those of
// all (the assignments the list held, or the whole history) that hold a
// day on or after it.
func refloor[K comparable](hold *layer[K, []int64], floors *layer[K, domain.Date], k K, all []domain.Assignment, day domain.Date) {
	kept := make([]int64, 0, len(all))
	for _, a := range all {
		if holdsFrom(&a, day) {
			kept = append(kept, a.ID)
		}
	}
	floors.put(k, day)
	if len(kept) == 0 {
		hold.del(k)
		return
	}
	hold.put(k, kept)
}

// relist adds a to, or removes it from, the holding list at k, as it holds
// a day on or after the list's floor or not.
func relist[K comparable](hold *layer[K, []int64], floors *layer[K, domain.Date], k K, old, a *domain.Assignment) {
	floor, _ := floors.get(k)
	was, is := old != nil && holdsFrom(old, floor), holdsFrom(a, floor)
	switch {
	case is && !was && old == nil:
		push(hold, k, a.ID) // ids are handed out in order: still ascending
	case is && !was:
		list, _ := hold.get(k)
		i, _ := slices.BinarySearch(list, a.ID)
		hold.put(k, slices.Insert(slices.Clone(list), i, a.ID))
	case was && !is:
		pull(hold, k, a.ID)
	}
}

// holding returns the assignments of account that hold a day on or after
// day, by id, from the holding list at k when day is not before its floor,
// else from the whole history at k. In an Update it moves the floor to day
// (the last day asked): a later day drops what ended before it, an earlier
// one rebuilds the list from the history, once.
func holding[K comparable](r assignments, hold *layer[K, []int64], floors *layer[K, domain.Date], history *layer[K, []int64],
	k K, accountID int64, day domain.Date) []domain.Assignment {
	floor, _ := floors.get(k)
	var ids []int64
	if day.Before(floor) {
		ids, _ = history.get(k)
	} else {
		ids, _ = hold.get(k)
	}
	all := rows(&r.db.assignments, ids)
	if r.Writable && day != floor {
		refloor(hold, floors, k, all, day)
	}
	return slices.DeleteFunc(all, func(a domain.Assignment) bool {
		return a.AccountID != accountID || !holdsFrom(&a, day)
	})
}

func (r assignments) ByProduct(_ context.Context, accountID int64, productID string, day domain.Date) ([]domain.Assignment, error) {
	if err := r.Read(); err != nil {
		return nil, err
	}
	return holding(r, &r.db.holdByProd, &r.db.holdProdFloor, &r.db.assignmentsByProd, productKey{accountID, productID}, accountID, day), nil
}

func (r assignments) ByUser(_ context.Context, accountID, userID int64, day domain.Date) ([]domain.Assignment, error) {
	if err := r.Read(); err != nil {
		return nil, err
	}
	return holding(r, &r.db.holdByUser, &r.db.holdUserFloor, &r.db.assignmentsByUser, userID, accountID, day), nil
}
