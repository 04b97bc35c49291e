package sqlite

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// The repositories of ports.AccountsTx beyond what seats.go keeps of an
// account (migrations/0006_accounts.sql): the stored forms of seed 003's
// account object, Count, partners' client plans and managed-billing links.
// One live link per managed account and service is the partial unique
// index managed_links_live; a write it refuses is explained here with the
// link that holds the account.

// optInstant writes t as instant does, and the zero instant as ”.
func optInstant(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return instant(t)
}

// parseOptInstant reads what optInstant wrote.
func parseOptInstant(s, field string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return parseInstant(s, field)
}

// The stored forms of an account's records: their names are the stored
// format, whatever the Go fields are called, and instants are instant's
// text, so nothing is rounded.
type (
	blockJSON struct {
		Blocked bool   `json:"blocked"`
		At      string `json:"at"`
	}
	premiumJSON struct {
		AppID          string `json:"appId"`
		Active         bool   `json:"active"`
		Type           string `json:"type"`
		SubscriptionID string `json:"subscriptionId"`
		Expiry         string `json:"expiry"`
		OrderID        string `json:"orderId"`
		AutoRenew      bool   `json:"autoRenew"`
	}
)

// accountArgs returns the stored columns of a after id, in qCreateAccount's
// order (qPutAccount's too).
func accountArgs(a *domain.Account) ([]any, error) {
	limits, err := encodeLimits(a.Limits)
	if err != nil {
		return nil, err
	}
	blocks := make([]blockJSON, len(a.Blocks))
	for i, b := range a.Blocks {
		blocks[i] = blockJSON{b.Blocked, instant(b.At)}
	}
	premium := make([]premiumJSON, len(a.Premium))
	for i, p := range a.Premium {
		premium[i] = premiumJSON{p.AppID, p.Active, p.Type, p.SubscriptionID, optInstant(p.Expiry), p.OrderID, p.AutoRenew}
	}
	var lists [7]string
	for i, v := range []any{a.RegApps, a.ServiceApps, blocks, a.Plans, premium, a.Services, a.SKUs} {
		if lists[i], err = text(sqlrow.EncodeJSON(v)); err != nil {
			return nil, fmt.Errorf("account %d: %w", a.ID, err)
		}
	}
	return []any{a.PartnerID, a.Alias, aliasKey(a.Alias), a.Title, instant(a.CreatedAt), a.Activated, limits,
		a.Description, a.LinkApp, lists[0], lists[1], optInstant(a.UpdatedAt), optInstant(a.ActivatedAt), a.Attached,
		optInstant(a.AttachedAt), optInstant(a.AddedAt), int(a.Type), lists[2], lists[3], lists[4], lists[5], lists[6]}, nil
}

func scanAccount(r sqlrow.Scanner) (domain.Account, error) {
	var (
		a                                    domain.Account
		created, updated, activated          string
		attached, added                      string
		limits, regApps, serviceApps, blocks []byte
		plans, premium, services, skus       []byte
	)
	if err := r.Scan(&a.ID, &a.PartnerID, &a.Alias, &a.Title, &created, &a.Activated, &limits, &a.Description, &a.LinkApp,
		&regApps, &serviceApps, &updated, &activated, &a.Attached, &attached, &added, &a.Type, &blocks, &plans, &premium,
		&services, &skus); err != nil {
		return a, err
	}
	fail := func(err error) (domain.Account, error) { return a, fmt.Errorf("account %d: %w", a.ID, err) }
	var err error
	for _, t := range []struct {
		to    *time.Time
		from  string
		field string
	}{{&a.UpdatedAt, updated, "updated_at"}, {&a.ActivatedAt, activated, "activated_at"},
		{&a.AttachedAt, attached, "attached_at"}, {&a.AddedAt, added, "added_at"}} {
		if *t.to, err = parseOptInstant(t.from, t.field); err != nil {
			return fail(err)
		}
	}
	if a.CreatedAt, err = parseInstant(created, "created_at"); err != nil {
		return fail(err)
	}
	if a.Limits, err = decodeLimits(limits); err != nil {
		return fail(fmt.Errorf("limits: %w", err))
	}
	var (
		bs []blockJSON
		ps []premiumJSON
	)
	for _, j := range []struct {
		from  []byte
		to    any
		field string
	}{{regApps, &a.RegApps, "reg_apps"}, {serviceApps, &a.ServiceApps, "service_apps"}, {blocks, &bs, "blocks"},
		{plans, &a.Plans, "plans"}, {premium, &ps, "premium"}, {services, &a.Services, "services"}, {skus, &a.SKUs, "skus"}} {
		if err := sqlrow.DecodeJSON(j.from, j.to); err != nil {
			return fail(fmt.Errorf("%s: %w", j.field, err))
		}
	}
	for _, b := range bs {
		at, err := parseInstant(b.At, "blocks.at")
		if err != nil {
			return fail(err)
		}
		a.Blocks = append(a.Blocks, domain.BlockRecord{Blocked: b.Blocked, At: at})
	}
	for _, p := range ps {
		expiry, err := parseOptInstant(p.Expiry, "premium.expiry")
		if err != nil {
			return fail(err)
		}
		a.Premium = append(a.Premium, domain.AppSubscription{AppID: p.AppID, Active: p.Active, Type: p.Type,
			SubscriptionID: p.SubscriptionID, Expiry: expiry, OrderID: p.OrderID, AutoRenew: p.AutoRenew})
	}
	return a, nil
}

// qCountAccounts uses accounts_by_partner; a NULL filter does not filter.
const qCountAccounts = `SELECT count(*) FROM accounts WHERE partner_id = ?
	AND (?2 IS NULL OR attached = ?2) AND (?3 IS NULL OR activated = ?3)
	AND (?4 = '' OR EXISTS (SELECT 1 FROM json_each(reg_apps) WHERE value = ?4))`

// Count reads the partner's accounts only.
func (r accounts) Count(ctx context.Context, q domain.AccountQuery) (int, error) {
	opt := func(b *bool) any {
		if b == nil {
			return nil
		}
		return *b
	}
	return sqlrow.One(ctx, r, "count accounts", sqlrow.Value[int], func() error { return nil },
		qCountAccounts, q.PartnerID, opt(q.Attached), opt(q.Activated), q.AppID)
}

type plans struct{ *tx }

func (t *tx) Plans() ports.Plans { return plans{t} }

const (
	planColumns = `partner_id, id, app_id, name, description, units, geofences, unit_storage, modules`
	qPutPlan    = `INSERT INTO client_plans (` + planColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (partner_id, id) DO UPDATE SET app_id = excluded.app_id, name = excluded.name,
	description = excluded.description, units = excluded.units, geofences = excluded.geofences,
	unit_storage = excluded.unit_storage, modules = excluded.modules`
	qPlan           = `SELECT ` + planColumns + ` FROM client_plans WHERE partner_id = ? AND id = ?`
	qPlansByPartner = `SELECT ` + planColumns + ` FROM client_plans WHERE partner_id = ? AND (? = '' OR app_id = ?) ORDER BY id`
)

func scanPlan(r sqlrow.Scanner) (domain.ClientPlan, error) {
	var (
		p       domain.ClientPlan
		modules []byte
	)
	if err := r.Scan(&p.PartnerID, &p.ID, &p.AppID, &p.Name, &p.Description, &p.Quotas.Units, &p.Quotas.Geofences,
		&p.Quotas.UnitStorage, &modules); err != nil {
		return p, err
	}
	if err := sqlrow.DecodeJSON(modules, &p.Modules); err != nil {
		return p, fmt.Errorf("client plan %q: modules: %w", p.ID, err)
	}
	return p, nil
}

func (r plans) Put(ctx context.Context, p domain.ClientPlan) error {
	if err := r.Write(); err != nil {
		return err
	}
	if p.ID == "" {
		return domain.Errorf(domain.CodeInvalid, "tariff_plan_id", "a client plan needs an id")
	}
	modules, err := text(sqlrow.EncodeJSON(p.Modules))
	if err != nil {
		return err
	}
	_, err = r.exec(ctx, qPutPlan, p.PartnerID, p.ID, p.AppID, p.Name, p.Description, p.Quotas.Units, p.Quotas.Geofences,
		p.Quotas.UnitStorage, modules)
	return r.Fail(ctx, err, "store client plan %q", p.ID)
}

func (r plans) Get(ctx context.Context, partnerID, id string) (domain.ClientPlan, error) {
	return sqlrow.One(ctx, r, "read a client plan", scanPlan, func() error {
		return domain.Errorf(domain.CodeNotFound, "tariff_plan_id", "no client plan %q", id)
	}, qPlan, partnerID, id)
}

func (r plans) ByPartner(ctx context.Context, partnerID, appID string) ([]domain.ClientPlan, error) {
	return sqlrow.All(ctx, r, "read a partner's client plans", scanPlan, qPlansByPartner, partnerID, appID, appID)
}

type links struct{ *tx }

func (t *tx) ManagedLinks() ports.ManagedLinks { return links{t} }

const (
	linkColumns = `id, primary_name, managed, service, sku, tx_id, state, created_at, updated_at`
	qCreateLink = `INSERT INTO managed_links (primary_name, managed, service, sku, tx_id, state, created_at, updated_at)
	VALUES (?, ?, ?, ?, ?, 'ADDED', ?, ?) RETURNING id`
	qSetLinkState = `UPDATE managed_links SET state = ?, updated_at = ? WHERE id = ?`
	qLinkOf       = `SELECT managed, service FROM managed_links WHERE id = ?`
	// Uses managed_links_live: the planner matches the index's WHERE.
	qLiveLink = `SELECT ` + linkColumns + ` FROM managed_links
	WHERE managed = ? AND service = ? AND state IN ('ADDED', 'ACTIVATED')`
	qLinksByTx = `SELECT ` + linkColumns + ` FROM managed_links WHERE tx_id = ? ORDER BY id`
	// The states travel as one JSON array; an empty one is every state.
	qLinksByPrimary = `SELECT ` + linkColumns + ` FROM managed_links WHERE primary_name = ? AND service = ?
	AND (json_array_length(?3) = 0 OR state IN (SELECT value FROM json_each(?3))) ORDER BY id`
)

func scanLink(r sqlrow.Scanner) (domain.ManagedLink, error) {
	var (
		l                domain.ManagedLink
		created, updated string
	)
	if err := r.Scan(&l.ID, &l.Primary, &l.Managed, &l.Service, &l.SKU, &l.TxID, &l.State, &created, &updated); err != nil {
		return l, err
	}
	var err error
	if l.CreatedAt, err = parseInstant(created, "created_at"); err != nil {
		return l, fmt.Errorf("managed link %d: %w", l.ID, err)
	}
	if l.UpdatedAt, err = parseInstant(updated, "updated_at"); err != nil {
		return l, fmt.Errorf("managed link %d: %w", l.ID, err)
	}
	return l, nil
}

// linkConflict explains err when it is managed_links_live refusing a live
// link of managed for service: it names the link that holds the account
// (SQLite keeps the transaction usable after a refused statement). Else it
// returns nil.
func (r links) linkConflict(ctx context.Context, err error, managed, service string) error {
	e := seatConflict(err, "managedAccList", managed)
	if e == nil {
		return nil
	}
	if live, lerr := r.Live(ctx, managed, service); lerr == nil {
		return conflict(err, "managedAccList",
			"account %s is already managed for %s by %s (transaction %s); it must cancel first", managed, service, live.Primary, live.TxID)
	}
	return e
}

func (r links) Create(ctx context.Context, l *domain.ManagedLink) error {
	if err := r.Write(); err != nil {
		return err
	}
	id, err := sqlrow.Value[int64](r.QueryRow(ctx, qCreateLink, l.Primary, l.Managed, l.Service, l.SKU, l.TxID,
		instant(l.CreatedAt), instant(l.UpdatedAt)))
	if err != nil {
		return cmp.Or(r.linkConflict(ctx, err, l.Managed, l.Service), r.Fail(ctx, err, "store the link of %s", l.Managed))
	}
	l.ID, l.State = id, domain.LinkAdded
	return nil
}

func noLink(id int64) error {
	return domain.Errorf(domain.CodeNotFound, "txid", "no managed-billing link %d", id)
}

func (r links) SetState(ctx context.Context, id int64, state domain.ManagedLinkState, at time.Time) error {
	if err := r.Write(); err != nil {
		return err
	}
	n, err := r.exec(ctx, qSetLinkState, string(state), instant(at), id)
	if err != nil {
		if e := seatConflict(err, "state", state); e != nil {
			return e
		}
		if seatConflict(err, "managedAccList", nil) != nil {
			var key struct{ managed, service string }
			if serr := r.QueryRow(ctx, qLinkOf, id).Scan(&key.managed, &key.service); serr == nil {
				return r.linkConflict(ctx, err, key.managed, key.service)
			}
		}
		return cmp.Or(seatConflict(err, "managedAccList", "of this link"), r.Fail(ctx, err, "move link %d to %s", id, state))
	}
	if n == 0 {
		return noLink(id)
	}
	return nil
}

func (r links) Live(ctx context.Context, managed, service string) (domain.ManagedLink, error) {
	return sqlrow.One(ctx, r, "read a managed-billing link", scanLink, func() error {
		return domain.Errorf(domain.CodeNotFound, "accountName", "account %s is not managed for %s", managed, service)
	}, qLiveLink, managed, service)
}

func (r links) ByTxID(ctx context.Context, txID string) ([]domain.ManagedLink, error) {
	return sqlrow.All(ctx, r, "read a request's managed-billing links", scanLink, qLinksByTx, txID)
}

func (r links) ByPrimary(ctx context.Context, primary, service string, states ...domain.ManagedLinkState) ([]domain.ManagedLink, error) {
	list, err := text(sqlrow.EncodeJSON(append([]domain.ManagedLinkState{}, states...)))
	if err != nil {
		return nil, err
	}
	return sqlrow.All(ctx, r, "read a primary's managed-billing links", scanLink, qLinksByPrimary, primary, service, list)
}
