package memory

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// The repositories of ports.AccountsTx beyond the accounts themselves
// (seats.go, which Count joins here): partners' client plans and the
// managed-billing links. The one-live-link invariant is an index of its
// own, liveLinks, which a write consults and keeps; the memory store runs
// one Update at a time, so no two writes can both pass it.

// accountTables is the accounts part of the state (see tables).
type accountTables struct {
	plans          layer[planKey, domain.ClientPlan]
	plansByPartner layer[string, []string] // plan ids, ascending

	links          layer[int64, domain.ManagedLink]
	liveLinks      layer[serviceKey, int64] // the live link of a managed account and service
	linksByTx      layer[string, []int64]
	linksByPrimary layer[serviceKey, []int64]
}

type planKey struct{ partner, id string }

// serviceKey is an account name and a service.
type serviceKey struct{ account, service string }

func (d *accountTables) layers() []committer {
	return []committer{&d.plans, &d.plansByPartner, &d.links, &d.liveLinks, &d.linksByTx, &d.linksByPrimary}
}

// Count reads the partner's accounts only.
func (r accounts) Count(_ context.Context, q domain.AccountQuery) (int, error) {
	if err := r.Read(); err != nil {
		return 0, err
	}
	ids, _ := r.db.accountsByPartner.get(q.PartnerID)
	n := 0
	for _, a := range rows(&r.db.accounts, ids) {
		if q.Matches(&a) {
			n++
		}
	}
	return n, nil
}

type plans struct{ *tx }

func (t *tx) Plans() ports.Plans { return plans{t} }

func (r plans) Put(_ context.Context, p domain.ClientPlan) error {
	if err := r.Write(); err != nil {
		return err
	}
	if p.ID == "" {
		return domain.Errorf(domain.CodeInvalid, "tariff_plan_id", "a client plan needs an id")
	}
	k := planKey{p.PartnerID, p.ID}
	if _, ok := r.db.plans.get(k); !ok {
		list, _ := r.db.plansByPartner.get(p.PartnerID)
		i, _ := slices.BinarySearch(list, p.ID)
		r.db.plansByPartner.put(p.PartnerID, slices.Insert(slices.Clone(list), i, p.ID))
	}
	r.db.plans.put(k, p)
	return nil
}

func (r plans) Get(_ context.Context, partnerID, id string) (domain.ClientPlan, error) {
	if err := r.Read(); err != nil {
		return domain.ClientPlan{}, err
	}
	p, ok := r.db.plans.get(planKey{partnerID, id})
	if !ok {
		return domain.ClientPlan{}, domain.Errorf(domain.CodeNotFound, "tariff_plan_id", "no client plan %q", id)
	}
	return p, nil
}

func (r plans) ByPartner(_ context.Context, partnerID, appID string) ([]domain.ClientPlan, error) {
	if err := r.Read(); err != nil {
		return nil, err
	}
	ids, _ := r.db.plansByPartner.get(partnerID)
	var out []domain.ClientPlan
	for _, id := range ids {
		if p, ok := r.db.plans.get(planKey{partnerID, id}); ok && (appID == "" || p.AppID == appID) {
			out = append(out, p)
		}
	}
	return out, nil
}

type links struct{ *tx }

func (t *tx) ManagedLinks() ports.ManagedLinks { return links{t} }

func noLink(id int64) error {
	return domain.Errorf(domain.CodeNotFound, "txid", "no managed-billing link %d", id)
}

// managedElsewhere is the conflict of a link of managed for service while
// the link live holds it.
func managedElsewhere(managed, service string, live domain.ManagedLink) error {
	return domain.Errorf(domain.CodeConflict, "managedAccList",
		"account %s is already managed for %s by %s (transaction %s); it must cancel first", managed, service, live.Primary, live.TxID)
}

func (r links) Create(_ context.Context, l *domain.ManagedLink) error {
	if err := r.Write(); err != nil {
		return err
	}
	k := serviceKey{l.Managed, l.Service}
	if id, ok := r.db.liveLinks.get(k); ok {
		live, _ := r.db.links.get(id)
		return managedElsewhere(l.Managed, l.Service, live)
	}
	r.db.seq.link++
	l.ID, l.State = r.db.seq.link, domain.LinkAdded
	r.db.links.put(l.ID, *l)
	r.db.liveLinks.put(k, l.ID)
	push(&r.db.linksByTx, l.TxID, l.ID)
	push(&r.db.linksByPrimary, serviceKey{l.Primary, l.Service}, l.ID)
	return nil
}

func (r links) SetState(_ context.Context, id int64, state domain.ManagedLinkState, at time.Time) error {
	if err := r.Write(); err != nil {
		return err
	}
	if state != domain.LinkAdded && state != domain.LinkActivated && state != domain.LinkCanceled {
		return domain.Errorf(domain.CodeInvalid, "state", "%q is not a link state (ADDED, ACTIVATED, CANCELED)", state)
	}
	l, ok := r.db.links.get(id)
	if !ok {
		return noLink(id)
	}
	k := serviceKey{l.Managed, l.Service}
	holder, held := r.db.liveLinks.get(k)
	switch {
	case state.Live() && held && holder != id:
		live, _ := r.db.links.get(holder)
		return managedElsewhere(l.Managed, l.Service, live)
	case state.Live():
		r.db.liveLinks.put(k, id)
	case held && holder == id:
		r.db.liveLinks.del(k)
	}
	l.State, l.UpdatedAt = state, at
	r.db.links.put(id, l)
	return nil
}

func (r links) Live(_ context.Context, managed, service string) (domain.ManagedLink, error) {
	if err := r.Read(); err != nil {
		return domain.ManagedLink{}, err
	}
	id, ok := r.db.liveLinks.get(serviceKey{managed, service})
	l, found := r.db.links.get(id)
	if !ok || !found {
		return domain.ManagedLink{}, domain.Errorf(domain.CodeNotFound, "accountName",
			"account %s is not managed for %s", managed, service)
	}
	return l, nil
}

func (r links) ByTxID(_ context.Context, txID string) ([]domain.ManagedLink, error) {
	if err := r.Read(); err != nil {
		return nil, err
	}
	ids, _ := r.db.linksByTx.get(txID)
	return r.sorted(ids), nil
}

func (r links) ByPrimary(_ context.Context, primary, service string, states ...domain.ManagedLinkState) ([]domain.ManagedLink, error) {
	if err := r.Read(); err != nil {
		return nil, err
	}
	ids, _ := r.db.linksByPrimary.get(serviceKey{primary, service})
	return slices.DeleteFunc(r.sorted(ids), func(l domain.ManagedLink) bool {
		return len(states) > 0 && !slices.Contains(states, l.State)
	}), nil
}

// sorted returns the links ids lists, by id. Ids are pushed as they are
// handed out, so the lists are already ascending; the sort keeps that a
// fact of this function rather than of every writer.
func (r links) sorted(ids []int64) []domain.ManagedLink {
	out := rows(&r.db.links, ids)
	slices.SortFunc(out, func(a, b domain.ManagedLink) int { return cmp.Compare(a.ID, b.ID) })
	if len(out) == 0 {
		return nil
	}
	return out
}
