package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// The repositories of ports.AccountsTx: accounts (seed 003's account object,
// seed 002's services and SKUs), partners' client plans and managed-billing
// links (migrations 0007 and 0008). LockAccount is the seats' (seats.go):
// one lock per account, whichever context takes it.
//
// As in seats.go, a write the constraints would refuse is made in a form
// that refuses it without failing the transaction (ON CONFLICT DO NOTHING,
// an UPDATE guarded by NOT EXISTS), so a bulk add goes on past a refused
// item; a second statement then says why, naming the field at fault. The
// live-link invariant (one ADDED or ACTIVATED link per managed account and
// service) is the partial unique index managed_links_one_live: two writers
// on two instances, locked or not, cannot both hold an account.

var _ ports.AccountsTx = (*tx)(nil)

// ---------------------------------------------------------------- accounts

type accounts struct{ *tx }

func (t *tx) Accounts() ports.Accounts { return accounts{t} }

const (
	accountColumns = `id, partner_id, alias, title, created_at, activated, blocks, plans, limits,
	description, link_app, reg_apps, service_apps, updated_at, activated_at, attached, attached_at, added_at, type,
	premium, services, skus`
	qAccount      = `SELECT ` + accountColumns + ` FROM accounts WHERE id = $1`
	qAccountAlias = `SELECT ` + accountColumns + ` FROM accounts WHERE alias_key = $1 AND alias_key <> ''`
	qAccountsOf   = `SELECT ` + accountColumns + ` FROM accounts WHERE partner_id = $1 ORDER BY id LIMIT $2 OFFSET $3`
	// ON CONFLICT DO NOTHING: an alias (or an id) taken writes no row and
	// leaves the transaction usable; clash then says which.
	qCreateAccount = `INSERT INTO accounts (partner_id, alias, alias_key, title, created_at, activated, blocks, plans, limits,
		description, link_app, reg_apps, service_apps, updated_at, activated_at, attached, attached_at, added_at, type,
		premium, services, skus)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
	ON CONFLICT DO NOTHING RETURNING id`
	// An account created with its own id (a data file's) moves the identity
	// past it, so later ids stay above every id given.
	qCreateAccountID = `WITH ins AS (
		INSERT INTO accounts (id, partner_id, alias, alias_key, title, created_at, activated, blocks, plans, limits,
			description, link_app, reg_apps, service_apps, updated_at, activated_at, attached, attached_at, added_at, type,
			premium, services, skus)
		VALUES ($23, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
		ON CONFLICT DO NOTHING RETURNING id)
	SELECT id, setval(pg_get_serial_sequence('accounts', 'id'),
		greatest(id, (SELECT last_value FROM accounts_id_seq))) FROM ins`
	qPutAccount = `UPDATE accounts SET partner_id = $1, alias = $2, alias_key = $3, title = $4, created_at = $5,
		activated = $6, blocks = $7, plans = $8, limits = $9, description = $10, link_app = $11, reg_apps = $12,
		service_apps = $13, updated_at = $14, activated_at = $15, attached = $16, attached_at = $17, added_at = $18,
		type = $19, premium = $20, services = $21, skus = $22
	WHERE id = $23 AND NOT EXISTS (SELECT 1 FROM accounts o WHERE o.alias_key = $3 AND $3 <> '' AND o.id <> $23)`
	qAccountClash = `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1),
		EXISTS (SELECT 1 FROM accounts WHERE alias_key = $2 AND $2 <> '' AND id <> $1)`
)

// The parts of an account nobody looks up by, as stored in jsonb.
type (
	blockJSON struct {
		Blocked bool      `json:"blocked"`
		At      time.Time `json:"at"`
	}
	limitsJSON struct {
		Units     int `json:"unit"`
		Geofences int `json:"geofence"`
		Users     int `json:"user"`
		Triggers  int `json:"triggers"`
		// Seed 003's other limits; absent in rows written before they existed.
		UnitExtraFields    int `json:"unit_extra_fields,omitempty"`
		UnitNotifySettings int `json:"unit_notify_settings,omitempty"`
	}
	premiumJSON struct {
		AppID          string    `json:"app_id"`
		Active         bool      `json:"active"`
		Type           string    `json:"type"`
		SubscriptionID string    `json:"subscription_id"`
		Expiry         time.Time `json:"expiry"`
		OrderID        string    `json:"order_id"`
		AutoRenew      bool      `json:"auto_renew"`
	}
)

// accountArgs are a's columns from partner_id to skus, in the order of
// qCreateAccount's placeholders.
func accountArgs(a *domain.Account) ([]any, error) {
	bs := make([]blockJSON, len(a.Blocks))
	for i, b := range a.Blocks {
		bs[i] = blockJSON{Blocked: b.Blocked, At: b.At.UTC()}
	}
	ls := make(map[string]limitsJSON, len(a.Limits))
	for app, l := range a.Limits {
		ls[app] = limitsJSON(l)
	}
	ps := a.Plans
	if ps == nil {
		ps = map[string]string{}
	}
	prem := make([]premiumJSON, len(a.Premium))
	for i, p := range a.Premium {
		prem[i] = premiumJSON{AppID: p.AppID, Active: p.Active, Type: p.Type, SubscriptionID: p.SubscriptionID,
			Expiry: p.Expiry.UTC(), OrderID: p.OrderID, AutoRenew: p.AutoRenew}
	}
	docs := make([][]byte, 0, 8)
	for _, v := range []any{bs, ps, ls, texts(a.RegApps), texts(a.ServiceApps), prem, texts(a.Services), texts(a.SKUs)} {
		b, err := sqlrow.EncodeJSON(v)
		if err != nil {
			return nil, err
		}
		docs = append(docs, b)
	}
	return []any{a.PartnerID, a.Alias, domain.ExternalKey(a.Alias), a.Title, a.CreatedAt, a.Activated,
		docs[0], docs[1], docs[2], a.Description, a.LinkApp, docs[3], docs[4], instantArg(a.UpdatedAt),
		instantArg(a.ActivatedAt), a.Attached, instantArg(a.AttachedAt), instantArg(a.AddedAt), int16(a.Type),
		docs[5], docs[6], docs[7]}, nil
}

func scanAccount(r sqlrow.Scanner) (domain.Account, error) {
	var (
		a                                       domain.Account
		blocks, plans, limits, regApps, svcApps []byte
		premium, services, skus                 []byte
		updated, activated, attached, added     pgtype.Timestamptz
		kind                                    int16
	)
	if err := r.Scan(&a.ID, &a.PartnerID, &a.Alias, &a.Title, &a.CreatedAt, &a.Activated, &blocks, &plans, &limits,
		&a.Description, &a.LinkApp, &regApps, &svcApps, &updated, &activated, &a.Attached, &attached, &added, &kind,
		&premium, &services, &skus); err != nil {
		return a, err
	}
	a.CreatedAt, a.Type = utc(a.CreatedAt), domain.AccountType(kind)
	a.UpdatedAt, a.ActivatedAt, a.AttachedAt, a.AddedAt = instantOf(updated), instantOf(activated), instantOf(attached), instantOf(added)
	var bs []blockJSON
	if err := sqlrow.DecodeJSON(blocks, &bs); err != nil {
		return a, err
	}
	for _, b := range bs {
		a.Blocks = append(a.Blocks, domain.BlockRecord{Blocked: b.Blocked, At: b.At.UTC()})
	}
	if err := sqlrow.DecodeJSON(plans, &a.Plans); err != nil {
		return a, err
	}
	if len(a.Plans) == 0 {
		a.Plans = nil
	}
	var ls map[string]limitsJSON
	if err := sqlrow.DecodeJSON(limits, &ls); err != nil {
		return a, err
	}
	for app, l := range ls {
		if a.Limits == nil {
			a.Limits = map[string]domain.Limits{}
		}
		a.Limits[app] = domain.Limits(l)
	}
	var ps []premiumJSON
	if err := sqlrow.DecodeJSON(premium, &ps); err != nil {
		return a, err
	}
	for _, p := range ps {
		a.Premium = append(a.Premium, domain.AppSubscription{AppID: p.AppID, Active: p.Active, Type: p.Type,
			SubscriptionID: p.SubscriptionID, Expiry: p.Expiry.UTC(), OrderID: p.OrderID, AutoRenew: p.AutoRenew})
	}
	for _, l := range []struct {
		doc  []byte
		list *[]string
	}{{regApps, &a.RegApps}, {svcApps, &a.ServiceApps}, {services, &a.Services}, {skus, &a.SKUs}} {
		if err := sqlrow.DecodeJSON(l.doc, l.list); err != nil {
			return a, err
		}
		if len(*l.list) == 0 {
			*l.list = nil
		}
	}
	return a, nil
}

func noAccount(id int64) error {
	return domain.Errorf(domain.CodeNotFound, "accountId", "no account %d", id)
}

// Create gives the account the next id, or keeps a positive a.ID it was
// given (a data file's), which another account must not have.
func (r accounts) Create(ctx context.Context, a *domain.Account) error {
	if err := r.Write(); err != nil {
		return err
	}
	if a.ID < 0 {
		return domain.Errorf(domain.CodeInvalid, "id", "account id %d is negative", a.ID)
	}
	args, err := accountArgs(a)
	if err != nil {
		return err
	}
	var ids []int64
	if a.ID == 0 {
		ids, err = sqlrow.All(ctx, r, "create an account", sqlrow.Value[int64], qCreateAccount, args...)
	} else {
		ids, err = sqlrow.All(ctx, r, "create an account", func(s sqlrow.Scanner) (int64, error) {
			var id, seq int64
			err := s.Scan(&id, &seq)
			return id, err
		}, qCreateAccountID, append(args, a.ID)...)
	}
	if err != nil {
		return err
	}
	if len(ids) == 1 {
		a.ID = ids[0]
		return nil
	}
	key := domain.ExternalKey(a.Alias)
	idTaken, aliasTaken, err := r.clash(ctx, a.ID, key)
	switch {
	case err != nil:
		return err
	case aliasTaken:
		return aliasConflict(a.Alias)
	case idTaken:
		return domain.Errorf(domain.CodeConflict, "id", "an account with id %d exists", a.ID)
	}
	return domain.Errorf(domain.CodeUnavailable, "", "postgres: account %q was neither created nor refused; try again", a.Alias)
}

func aliasConflict(alias string) error {
	return domain.Errorf(domain.CodeConflict, "alias", "alias %q is taken by another company", alias)
}

// clash reports whether account id exists and whether another account has
// the alias key.
func (r accounts) clash(ctx context.Context, id int64, key string) (idTaken, aliasTaken bool, err error) {
	err = r.tx.Fail(ctx, r.QueryRow(ctx, qAccountClash, id, key).Scan(&idTaken, &aliasTaken), "check an account's id and alias")
	return
}

// Put replaces every column but the id; the alias rule of Create holds.
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
		return r.Fail(ctx, err, "store account %d", a.ID)
	}
	if n == 1 {
		return nil
	}
	exists, aliasTaken, err := r.clash(ctx, a.ID, domain.ExternalKey(a.Alias))
	switch {
	case err != nil:
		return err
	case !exists:
		return noAccount(a.ID)
	case aliasTaken:
		return aliasConflict(a.Alias)
	}
	return domain.Errorf(domain.CodeUnavailable, "", "postgres: account %d was neither stored nor refused; try again", a.ID)
}

func (r accounts) Get(ctx context.Context, id int64) (domain.Account, error) {
	return sqlrow.One(ctx, r, "read an account", scanAccount, func() error { return noAccount(id) }, qAccount, id)
}

func (r accounts) ByAlias(ctx context.Context, alias string) (domain.Account, error) {
	return sqlrow.One(ctx, r, "read an account by alias", scanAccount, func() error {
		return domain.Errorf(domain.CodeNotFound, "alias", "no company with alias %q", alias)
	}, qAccountAlias, domain.ExternalKey(alias))
}

func (r accounts) ByPartner(ctx context.Context, partnerID string, offset, limit int) ([]domain.Account, error) {
	return sqlrow.All(ctx, r, "read a partner's accounts", scanAccount, qAccountsOf, partnerID, limitArg(limit), offsetArg(offset))
}

// Count is one statement through accounts_count, whatever the filter.
func (r accounts) Count(ctx context.Context, q domain.AccountQuery) (int, error) {
	query, args := accountCount(q)
	return sqlrow.One(ctx, r, "count a partner's accounts", sqlrow.Value[int], func() error { return nil }, query, args...)
}

// accountCount is Count's statement: one per shape of filter, so each has a
// plan of its own rather than a generic one.
func accountCount(q domain.AccountQuery) (string, []any) {
	l := sqlrow.NewListQuery(sqlrow.Postgres, nil, "id").Where("partner_id = ?", q.PartnerID)
	if q.Attached != nil {
		l.Where("attached = ?", *q.Attached)
	}
	if q.Activated != nil {
		l.Where("activated = ?", *q.Activated)
	}
	if q.AppID != "" {
		l.Where("reg_apps @> jsonb_build_array(?::text)", q.AppID)
	}
	return l.Count(`SELECT count(*) FROM accounts`)
}

// ------------------------------------------------------------ client plans

type plans struct{ *tx }

func (t *tx) Plans() ports.Plans { return plans{t} }

const (
	planColumns = `id, partner_id, app_id, name, description, quotas, modules`
	qPlan       = `SELECT ` + planColumns + ` FROM client_plans WHERE id = $2 AND partner_id = $1`
	qPlansOf    = `SELECT ` + planColumns + ` FROM client_plans WHERE partner_id = $1 ORDER BY id`
	qPlansOfApp = `SELECT ` + planColumns + ` FROM client_plans WHERE partner_id = $1 AND app_id = $2 ORDER BY id`
	// A plan is the partner's and its id's: another partner's plan of the
	// same id is another row, which this never touches.
	qPutPlan = `INSERT INTO client_plans (` + planColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7)
	ON CONFLICT (partner_id, id) DO UPDATE SET app_id = excluded.app_id, name = excluded.name,
		description = excluded.description, quotas = excluded.quotas, modules = excluded.modules`
)

type quotasJSON struct {
	Units       int `json:"unit"`
	Geofences   int `json:"geofence"`
	UnitStorage int `json:"unit_storage"`
}

func scanPlan(r sqlrow.Scanner) (domain.ClientPlan, error) {
	var (
		p               domain.ClientPlan
		quotas, modules []byte
		q               quotasJSON
	)
	if err := r.Scan(&p.ID, &p.PartnerID, &p.AppID, &p.Name, &p.Description, &quotas, &modules); err != nil {
		return p, err
	}
	if err := sqlrow.DecodeJSON(quotas, &q); err != nil {
		return p, err
	}
	p.Quotas = domain.PlanQuotas(q)
	if err := sqlrow.DecodeJSON(modules, &p.Modules); err != nil {
		return p, err
	}
	if len(p.Modules) == 0 {
		p.Modules = nil
	}
	return p, nil
}

// Put inserts or replaces the partner's plan p.ID, in one statement that
// cannot reach another partner's plan.
func (r plans) Put(ctx context.Context, p domain.ClientPlan) error {
	if err := r.Write(sqlrow.Required("tariff_plan_id", p.ID)); err != nil {
		return err
	}
	quotas, err := sqlrow.EncodeJSON(quotasJSON(p.Quotas))
	if err != nil {
		return err
	}
	modules, err := sqlrow.EncodeJSON(texts(p.Modules))
	if err != nil {
		return err
	}
	_, err = r.exec(ctx, qPutPlan, p.ID, p.PartnerID, p.AppID, p.Name, p.Description, quotas, modules)
	return r.Fail(ctx, err, "store client plan %q", p.ID)
}

func (r plans) Get(ctx context.Context, partnerID, id string) (domain.ClientPlan, error) {
	return sqlrow.One(ctx, r, "read a client plan", scanPlan, func() error {
		return domain.Errorf(domain.CodeNotFound, "tariff_plan_id", "no client plan %q", id)
	}, qPlan, partnerID, id)
}

func (r plans) ByPartner(ctx context.Context, partnerID, appID string) ([]domain.ClientPlan, error) {
	if appID == "" {
		return sqlrow.All(ctx, r, "read a partner's client plans", scanPlan, qPlansOf, partnerID)
	}
	return sqlrow.All(ctx, r, "read a partner's client plans", scanPlan, qPlansOfApp, partnerID, appID)
}

// ------------------------------------------------------- managed links

type managedLinks struct{ *tx }

func (t *tx) ManagedLinks() ports.ManagedLinks { return managedLinks{t} }

const (
	linkColumns = `id, primary_name, managed_name, service, sku, tx_id, state, created_at, updated_at`
	liveStates  = `('ADDED', 'ACTIVATED')`
	// ON CONFLICT DO NOTHING: a managed account that already has a live link
	// for the service gets no second one, whoever holds the first, and the
	// transaction stays usable. A racing insert waits for the other to end,
	// so a refusal is always of a committed link.
	qCreateLink = `INSERT INTO managed_links (primary_name, managed_name, service, sku, tx_id, state, created_at, updated_at)
	VALUES ($1, $2, $3, $4, $5, 'ADDED', $6, $7) ON CONFLICT DO NOTHING RETURNING id`
	// A link is made live only when no other live link holds its account
	// and service; leaving the live states is always allowed.
	qSetLinkState = `UPDATE managed_links l SET state = $2, updated_at = $3
	WHERE l.id = $1 AND ($2 NOT IN ` + liveStates + ` OR NOT EXISTS (
		SELECT 1 FROM managed_links o WHERE o.managed_name = l.managed_name AND o.service = l.service
		AND o.id <> l.id AND o.state IN ` + liveStates + `))`
	qLinkOf      = `SELECT managed_name, service FROM managed_links WHERE id = $1`
	qLiveLink    = `SELECT ` + linkColumns + ` FROM managed_links WHERE managed_name = $1 AND service = $2 AND state IN ` + liveStates
	qLinksByTx   = `SELECT ` + linkColumns + ` FROM managed_links WHERE tx_id = $1 ORDER BY id`
	qLinksOf     = `SELECT ` + linkColumns + ` FROM managed_links WHERE primary_name = $1 AND service = $2 ORDER BY id`
	qLinksOfWith = `SELECT ` + linkColumns + ` FROM managed_links WHERE primary_name = $1 AND service = $2
	AND state = ANY ($3::text[]) ORDER BY id`
)

func scanLink(r sqlrow.Scanner) (domain.ManagedLink, error) {
	var (
		l     domain.ManagedLink
		state string
	)
	err := r.Scan(&l.ID, &l.Primary, &l.Managed, &l.Service, &l.SKU, &l.TxID, &state, &l.CreatedAt, &l.UpdatedAt)
	l.State, l.CreatedAt, l.UpdatedAt = domain.ManagedLinkState(state), utc(l.CreatedAt), utc(l.UpdatedAt)
	return l, err
}

// knownState refuses a state that is not one of the three.
func knownState(s domain.ManagedLinkState) error {
	switch s {
	case domain.LinkAdded, domain.LinkActivated, domain.LinkCanceled:
		return nil
	}
	return domain.Errorf(domain.CodeInvalid, "state", "unknown managed link state %q (ADDED, ACTIVATED or CANCELED)", s)
}

// heldBy explains a link of managed for service that was refused because
// another live link holds the account: it names that link's primary and
// transaction, as the other stores do. The holder is committed (a refused
// insert waited for it), unless it was cancelled since.
func (r managedLinks) heldBy(ctx context.Context, managed, service string) error {
	live, err := r.Live(ctx, managed, service)
	switch {
	case err == nil:
		return domain.Errorf(domain.CodeConflict, "managedAccList",
			"account %s is already managed for %s by %s (transaction %s); it must cancel first", managed, service, live.Primary, live.TxID)
	case domain.ErrorCode(err) == domain.CodeNotFound:
		return domain.Errorf(domain.CodeConflict, "managedAccList",
			"account %s was managed for %s by another link while this one was written; try again", managed, service)
	}
	return err
}

// Create writes the link in state ADDED, or nothing when the account is
// held.
func (r managedLinks) Create(ctx context.Context, l *domain.ManagedLink) error {
	if err := r.Write(sqlrow.Required("accountName", l.Primary), sqlrow.Required("managedAccList", l.Managed),
		sqlrow.Required("serviceName", l.Service), sqlrow.Required("TxId", l.TxID)); err != nil {
		return err
	}
	ids, err := sqlrow.All(ctx, r, "add a managed account", sqlrow.Value[int64], qCreateLink,
		l.Primary, l.Managed, l.Service, l.SKU, l.TxID, l.CreatedAt, l.UpdatedAt)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return r.heldBy(ctx, l.Managed, l.Service)
	}
	l.ID, l.State = ids[0], domain.LinkAdded
	return nil
}

func (r managedLinks) SetState(ctx context.Context, id int64, state domain.ManagedLinkState, at time.Time) error {
	if err := r.Write(); err != nil {
		return err
	}
	if err := knownState(state); err != nil {
		return err
	}
	n, err := r.exec(ctx, qSetLinkState, id, string(state), at)
	if err != nil {
		return r.Fail(ctx, err, "move managed link %d to %s", id, state)
	}
	if n == 1 {
		return nil
	}
	var managed, service string
	err = r.QueryRow(ctx, qLinkOf, id).Scan(&managed, &service)
	if r.NoRows(err) {
		return domain.Errorf(domain.CodeNotFound, "txid", "no managed-billing link %d", id)
	}
	if err != nil {
		return r.Fail(ctx, err, "read managed link %d", id)
	}
	return r.heldBy(ctx, managed, service)
}

func (r managedLinks) Live(ctx context.Context, managed, service string) (domain.ManagedLink, error) {
	return sqlrow.One(ctx, r, "read a live managed link", scanLink, func() error {
		return domain.Errorf(domain.CodeNotFound, "accountName", "account %s is not managed for %s", managed, service)
	}, qLiveLink, managed, service)
}

func (r managedLinks) ByTxID(ctx context.Context, txID string) ([]domain.ManagedLink, error) {
	return sqlrow.All(ctx, r, "read an add request's managed links", scanLink, qLinksByTx, txID)
}

func (r managedLinks) ByPrimary(ctx context.Context, primary, service string, states ...domain.ManagedLinkState) ([]domain.ManagedLink, error) {
	if len(states) == 0 {
		return sqlrow.All(ctx, r, "read a primary's managed links", scanLink, qLinksOf, primary, service)
	}
	names := make([]string, len(states))
	for i, s := range states {
		if err := knownState(s); err != nil {
			return nil, err
		}
		names[i] = string(s)
	}
	return sqlrow.All(ctx, r, "read a primary's managed links", scanLink, qLinksOfWith, primary, service, names)
}

// accountConstraints explains the constraints of migration 0008 that only a
// racing writer, or one that skips entitle, can reach (see seatConstraints).
var accountConstraints = map[string]seatProblem{
	"managed_links_one_live":                {"managedAccList", "the account is already managed for this service by a primary account"},
	"managed_links_state_known":             {"state", "a managed link's state is ADDED, ACTIVATED or CANCELED"},
	"client_plans_pkey":                     {"tariff_plan_id", "the partner has a client plan with this id"},
	"client_plans_id_not_empty":             {"tariff_plan_id", "a client plan needs an id"},
	"accounts_lists_are_arrays":             {"account", "an account's lists are JSON arrays"},
	"seat_users_failed_logins_not_negative": {"failedLogins", "failed logins cannot be negative"},
}
