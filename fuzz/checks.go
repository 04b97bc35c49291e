package fuzz

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/dataset"
)

// catalogData is the catalog part of the world: what StepLoad loads again.
// Loading it changes nothing anyone can read.
func catalogData() ([]byte, error) {
	ds, err := dataset.Parse(WorldData())
	if err != nil {
		return nil, err
	}
	return fmt.Appendf(nil, `{"parts": %s, "models": %s, "priceLists": %s}`, jsonBody(ds.Parts), jsonBody(ds.Models), jsonBody(ds.PriceLists)), nil
}

func (h *history) load() {
	h.t.Helper()
	b, err := catalogData()
	if err != nil {
		h.fail("the catalog data: %v", err)
	}
	ds, err := dataset.Parse(b)
	if err != nil {
		h.fail("the catalog data does not parse: %v", err)
	}
	for _, r := range h.systems {
		if _, err := ds.Load(context.Background(), r.sys.Store()); err != nil {
			h.fail("loading the catalog into %s: %v", r.name, err)
		}
	}
}

// checkReads asks every read the APIs offer of the state the history
// touches, on every System (send compares their bytes), and compares the
// answers with the model.
func (h *history) checkReads() {
	h.t.Helper()
	m := h.model
	for _, serial := range Serials {
		rp := h.tap(http.MethodGet, "TAP_GET_ACTIVATION_STATUS_API", map[string]any{"serialNumber": serial})
		h.no5xx("activation status", rp)
		want := make([]string, 0, len(m.Subs[serial]))
		for _, s := range m.Subs[serial] {
			if s.End.Before(m.Today()) {
				continue // expired: the read lists the active and future ones
			}
			want = append(want, s.Part+" "+s.Start.String()+".."+s.End.String())
		}
		var got []string
		if rp.status == http.StatusOK {
			acts, _ := rp.obj()["activations"].([]any)
			for _, a := range acts {
				a, _ := a.(map[string]any)
				got = append(got, fmt.Sprintf("%v %v..%v", a["partNumber"], a["serviceStartDate"], a["serviceEndDate"]))
			}
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			h.fail("the activations of %s read %s; the model's subscriptions: %q", serial, rp, want)
		}
		if len(want) > 0 {
			h.no5xx("an order", h.tap(http.MethodGet, "TAP_GET_ORDER_API", map[string]any{"serialNumber": serial}))
		}
	}
	for _, p := range SeatProductIDs {
		rp := h.send(request{method: http.MethodGet, path: "/api/v1/license/" + p, auth: authAccount})
		o := rp.obj()
		want := fmt.Sprintf("%d %d %d", m.Owned[p], len(m.Holders[p]), m.free(p))
		if got := fmt.Sprintf("%v %v %v", o["owned"], o["assigned"], o["free"]); rp.status != http.StatusOK || got != want {
			h.fail("the pool of %s reads %s; the model says owned, assigned, free = %s", p, rp, want)
		}
	}
	rp := h.send(request{method: http.MethodGet, path: "/api/v1/companies/" + Company, auth: authPartner})
	var products []string
	ps, _ := rp.obj()["products"].([]any)
	for _, p := range ps {
		p, _ := p.(map[string]any)
		products = append(products, fmt.Sprintf("%v %v %v %v", p["productId"], p["owned"], p["assigned"], p["free"]))
	}
	var wantProducts []string
	for _, p := range SeatProductIDs {
		wantProducts = append(wantProducts, fmt.Sprintf("%s %d %d %d", p, m.Owned[p], len(m.Holders[p]), m.free(p)))
	}
	if rp.status != http.StatusOK || !slices.Equal(products, wantProducts) {
		h.fail("the company reads %s; the model says %q", rp, wantProducts)
	}
	h.no5xx("companies", h.send(request{method: http.MethodGet, path: "/api/v1/companies", auth: authPartner}))
	h.no5xx("customers", h.tap(http.MethodGet, "TAP_GET_CUSTOMERS_API", map[string]any{}))
	h.no5xx("client plans", h.send(request{method: http.MethodGet, path: "/partner/client-plans", auth: authOps}))
	h.no5xx("account count", h.send(request{method: http.MethodGet, path: "/partner/accounts/count", auth: authOps}))
	rp = h.send(request{method: http.MethodGet, path: "/api/v1/users?limit=100", auth: authAccount})
	var users []string
	us, _ := rp.obj()["users"].([]any)
	for _, u := range us {
		u, _ := u.(map[string]any)
		users = append(users, fmt.Sprint(u["externalId"]))
	}
	slices.SortFunc(users, func(a, b string) int { return strings.Compare(userKey(a), userKey(b)) })
	if want := m.UserList(); rp.status != http.StatusOK || !slices.Equal(users, want) {
		h.fail("the users read %s; the model says %q", rp, want)
	}
	h.no5xx("license assignments", h.send(request{method: http.MethodGet, path: "/api/v2/licenseAssignments", auth: authAdmin}))

	rp = h.send(request{method: http.MethodGet, path: fmt.Sprintf("/partner/accounts/%d", ForguardID), auth: authOps})
	data, _ := rp.obj()["data"].(map[string]any)
	want := "<nil>"
	// blocked_at is the scheduled block, shown while the account is not
	// blocked yet (seed 003's set-blocked answer: blocked true, blocked_at
	// null).
	if at, ok := m.Scheduled(); ok && !m.BlockedAt(m.Now) {
		want = fmt.Sprint(float64(at.Unix()))
	}
	plans, _ := data["tariff_plans"].(map[string]any)
	if rp.status != http.StatusOK || data["blocked"] != m.BlockedAt(m.Now) || fmt.Sprint(data["blocked_at"]) != want || plans[ForguardApp] != m.Plan {
		h.fail("account %d reads %s; the model says blocked %v, blocked_at %s, plan %s", ForguardID, rp, m.BlockedAt(m.Now), want, m.Plan)
	}

	rp = h.send(request{method: http.MethodGet, path: "/api/subsc/v1/managedaccounts/" + PrimaryAccount + "/service/" + Service + "/status/PROVISION",
		auth: authSession + PrimaryAccount})
	var prov []string
	ps, _ = rp.obj()["managedAccProvisionedList"].([]any)
	for _, p := range ps {
		p, _ := p.(map[string]any)
		prov = append(prov, fmt.Sprintf("%v %v", p["id"], p["txid"]))
	}
	var wantProv []string
	for _, acc := range sortedKeys(m.Links) {
		if l := m.Links[acc]; l.Provisioned {
			wantProv = append(wantProv, acc+" "+l.TxID)
		}
	}
	slices.Sort(prov)
	if rp.status != http.StatusOK || !slices.Equal(prov, wantProv) {
		h.fail("the provisioned accounts read %s; the model says %q", rp, wantProv)
	}
	h.no5xx("managed accounts", h.send(request{method: http.MethodGet, path: "/api/subsc/v1/managedaccounts/" + PrimaryAccount + "/service/" + Service,
		auth: authSession + PrimaryAccount}))
}

// checkStores checks, in every store, the invariants no rule file may
// switch off: a serial's live subscriptions never overlap and a trial is
// granted once; no seat is held twice or by one user twice, and never more
// in use than owned; an account's blocked state is a pure function of its
// records, the model's; at most one live managed-billing link per account.
func (h *history) checkStores() {
	h.t.Helper()
	ctx := context.Background()
	for _, r := range h.systems {
		err := r.sys.Store().View(ctx, func(tx ports.Tx) error {
			for _, serial := range Serials {
				tl, err := tx.Subscriptions().BySerial(ctx, serial)
				if err != nil {
					return err
				}
				if err := CheckTimeline(tl); err != nil {
					return err
				}
				grants, err := tx.Trials().BySerial(ctx, serial)
				if err != nil {
					return err
				}
				if err := CheckTrialOnce(grants); err != nil {
					return err
				}
			}
			acct, err := tx.Accounts().ByAlias(ctx, Company)
			if err != nil {
				return err
			}
			ls, err := tx.Licenses().ByAccount(ctx, acct.ID, "", domain.Date{})
			if err != nil {
				return err
			}
			as, err := tx.Assignments().Find(ctx, domain.AssignmentQuery{AccountID: acct.ID})
			if err != nil {
				return err
			}
			if err := CheckSeats(ls, as); err != nil {
				return err
			}
			fg, err := tx.Accounts().Get(ctx, ForguardID)
			if err != nil {
				return err
			}
			if err := h.checkBlocks(&fg); err != nil {
				return err
			}
			links, err := tx.ManagedLinks().ByPrimary(ctx, PrimaryAccount, Service)
			if err != nil {
				return err
			}
			return CheckManagedLinks(links)
		})
		if err != nil {
			h.fail("%s: %v", r.name, err)
		}
	}
}

// checkBlocks checks that the account's records say what the model's say
// at every instant where either changes, and around now.
func (h *history) checkBlocks(a *domain.Account) error {
	m := h.model
	instants := []time.Time{m.Now, m.Now.Add(-time.Second), m.Now.Add(time.Second)}
	for _, b := range a.Blocks {
		instants = append(instants, b.At.Add(-time.Second), b.At, b.At.Add(time.Second))
	}
	for _, b := range m.Blocks {
		instants = append(instants, b.At.Add(-time.Second), b.At, b.At.Add(time.Second))
	}
	if err := CheckBlocked(a, instants...); err != nil {
		return err
	}
	for _, t := range instants {
		if got, want := a.BlockedAt(t), m.BlockedAt(t); got != want {
			return fmt.Errorf("account %d at %s: the store's records say blocked %v, the model's %v (store %v, model %v)",
				a.ID, t.UTC().Format(time.RFC3339), got, want, a.Blocks, m.Blocks)
		}
	}
	return nil
}
