package accountmanager_test

import (
	"testing"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// TestPreviewSeatsNamesWhoWouldLoseASeat: under shrink_policy
// release_most_recent, a preview of lowering acme-fleet's CoPilot seats
// below those in use names the users the PUT then releases, on every store,
// and changes nothing: the same seats, assignments and audit log after it.
func TestPreviewSeatsNamesWhoWouldLoseASeat(t *testing.T) {
	for name := range drivers.Stores() {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, drivers.Open(t, name), rulesWith(t, "shrink_policy: refuse", "shrink_policy: release_most_recent"))
			fleet, acme := h.authenticate(apiKey, ""), h.authenticate(apiKey, "acme-fleet")
			for _, id := range []string{"u1", "u2", "u3", "u4"} {
				h.post(acme, "/api/v1/users", `{"externalId": "`+id+`"}`)
				if r := h.post(acme, "/api/v1/license/CoPilot", `{"externalId": "`+id+`"}`); r.Status != 200 {
					t.Fatalf("assigning %s: %d %s", id, r.Status, r.Raw)
				}
			}
			before := storeState(t, h.store)
			r := h.get(fleet, "/api/v1/companies/acme-fleet/license/CoPilot/preview?seats=2")
			check(t, r, 200, `{"company": {"id": "<id>", "alias": "acme-fleet", "name": "Acme Fleet", "createdAt": "<any>", "products": [
			  {"productId": "CoPilot", "owned": 2, "assigned": 2, "free": 0}, {"productId": "MileOn", "owned": 3, "assigned": 0, "free": 3}]},
			  "released": [{"externalId": "u4", "userId": "<id>", "licenseId": "<id>", "assignmentId": "<id>"},
			               {"externalId": "u3", "userId": "<id>", "licenseId": "<id>", "assignmentId": "<id>"}]}`)
			if after := storeState(t, h.store); after != before {
				t.Errorf("the preview changed the store:\nbefore %+v\nafter  %+v", before, after)
			}
			check(t, h.get(acme, "/api/v1/license/CoPilot"), 200, `{"productId": "CoPilot", "owned": 5, "assigned": 4, "free": 1}`)
			// The PUT does what the preview said, to the same users.
			put := h.put(fleet, "/api/v1/companies/acme-fleet/license/CoPilot", `{"seats": 2}`)
			check(t, put, 200, r.Raw)
			if storeState(t, h.store) == before {
				t.Error("the PUT after the preview changed nothing")
			}
		})
	}
}

// state is what a preview must leave as it found: every assignment of
// acme-fleet's CoPilot seats and its seats' terms, and the audit log.
type state struct {
	Assignments, Licenses string
	Audit                 int
}

func storeState(t *testing.T, s ports.Store) (st state) {
	t.Helper()
	ctx := t.Context()
	err := s.View(ctx, func(tx ports.Tx) error {
		acct, err := tx.Accounts().ByAlias(ctx, "acme-fleet")
		if err != nil {
			return err
		}
		since, err := domain.ParseDate("2000-01-01")
		if err != nil {
			return err
		}
		as, err := tx.Assignments().ByProduct(ctx, acct.ID, "CoPilot", since)
		if err != nil {
			return err
		}
		for _, a := range as {
			st.Assignments += a.ActivationDate.String() + ".." + a.DeactivationDate.String() + ";"
		}
		ls, err := tx.Licenses().ByAccount(ctx, acct.ID, "CoPilot", domain.Date{})
		if err != nil {
			return err
		}
		for _, l := range ls {
			st.Licenses += l.Registered.String() + ".." + l.Expires.String() + ";"
		}
		es, err := tx.Audit().List(ctx, "")
		st.Audit = len(es)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}
