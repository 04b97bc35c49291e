package accountmanager_test

import (
	"fmt"
	"testing"
)

// trail reads a token's whole audit trail (GET /audit), newest first.
func trail(t *testing.T, h *harness, token string) (events []map[string]any, total int) {
	t.Helper()
	r := h.get(token, "/api/v1/audit?limit=100")
	if r.Status != 200 {
		t.Fatalf("GET /audit: %d %s", r.Status, r.Raw)
	}
	for _, e := range r.Obj()["events"].([]any) {
		events = append(events, e.(map[string]any))
	}
	return events, int(r.Obj()["total"].(float64))
}

func commands(events []map[string]any) []string {
	out := make([]string, 0, len(events))
	for _, e := range events {
		out = append(out, fmt.Sprint(e["command"]))
	}
	return out
}

// auditAndPreviewFlow continues partnerFlow: the company's audit trail
// tells who did what when, newest first and paged, and shows nothing of
// another company; a preview of lowering seats answers what the PUT would,
// changing nothing.
func auditAndPreviewFlow(t *testing.T, h *harness, partner, acct string) {
	t.Helper()
	events, total := trail(t, h, acct)
	if total != len(events) || total < 10 {
		t.Fatalf("blue-line-haulage's trail: %d events, total %d; want every change of the flow", len(events), total)
	}
	// Newest first: the bulk release of driver-1 and tablet-4, after
	// deleting truck-3; the oldest is the partner creating the company.
	if got, want := commands(events[:3]), []string{"Release", "Release", "DeleteUser"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the newest events: %q, want %q", got, want)
	}
	if e := events[len(events)-1]; e["command"] != "CreateCompany" || e["actor"] != "fleet-partner" {
		t.Errorf("the oldest event: %v, want fleet-partner's CreateCompany", e)
	}
	for _, e := range events {
		if e["actor"] != "fleet-partner" || e["at"] == "" || e["subject"] == "" {
			t.Errorf("an event without who, what or when: %v", e)
		}
	}
	// Paged: offset 1, limit 2 is the second and third newest.
	r := h.get(acct, "/api/v1/audit?offset=1&limit=2")
	check(t, r, 200, fmt.Sprintf(`{"events": "<any>", "total": %d, "offset": 1, "limit": 2}`, total))
	page := r.Obj()["events"].([]any)
	if len(page) != 2 || page[0].(map[string]any)["id"] != events[1]["id"] || page[1].(map[string]any)["id"] != events[2]["id"] {
		t.Errorf("page offset=1 limit=2: %v, want events 2 and 3 of %v", page, events[:3])
	}
	check(t, h.get(acct, "/api/v1/audit?limit=0"), 400, errorBody("invalid", "limit", "limit \"0\" must be a whole number from 1 to 1000"))
	check(t, h.get(partner, "/api/v1/audit"), 403, errorBody("forbidden", "Authorization",
		"the users and license paths need an account token: authenticate with your apiKey and the company's alias"))

	// Another company's trail shows none of these events.
	acme := h.authenticate(apiKey, "acme-fleet")
	h.post(acme, "/api/v1/users", `{"externalId": "acme-driver"}`)
	mine := map[any]bool{}
	for _, e := range events {
		mine[e["id"]] = true
	}
	others, n := trail(t, h, acme)
	if n != 1 || len(others) != 1 || others[0]["command"] != "AddUser" {
		t.Errorf("acme-fleet's trail: %d events %v, want its one AddUser", n, others)
	}
	for _, e := range others {
		if mine[e["id"]] {
			t.Errorf("acme-fleet's trail shows blue-line-haulage's event %v", e)
		}
	}

	// Lowering below the seats in use, previewed: the shipped policy
	// refuses, with the PUT's own answer, and nothing changes.
	check(t, h.post(acct, "/api/v1/license/CoPilot/bulk", `{"externalIds": ["driver-1", "tablet-4"]}`), 200, `"<any>"`)
	_, before := trail(t, h, acct)
	company := h.get(partner, "/api/v1/companies/blue-line-haulage").Raw
	refusal := `{"error": {"code": "conflict", "field": "seats", "requestId": "<id>",
	  "message": "2 seats of CoPilot are in use; release 1 of them before lowering to 1",
	  "violations": [{"code": "SEATS_IN_USE", "field": "seats", "message": "2 seats of CoPilot are in use; release 1 of them before lowering to 1"}]}}`
	check(t, h.get(partner, "/api/v1/companies/blue-line-haulage/license/CoPilot/preview?seats=1"), 409, refusal)
	// Down to the seats in use: the free seat goes, nobody loses one.
	check(t, h.get(partner, "/api/v1/companies/blue-line-haulage/license/CoPilot/preview?seats=2"), 200,
		`{"company": {"id": "<id>", "alias": "blue-line-haulage", "name": "Blue Line Haulage", "createdAt": "<any>",
		  "products": [{"productId": "CoPilot", "owned": 2, "assigned": 2, "free": 0}, {"productId": "MileOn", "owned": 1, "assigned": 0, "free": 1}]},
		  "released": []}`)
	if _, after := trail(t, h, acct); after != before {
		t.Errorf("previews wrote %d audit events", after-before)
	}
	if got := h.get(partner, "/api/v1/companies/blue-line-haulage").Raw; got != company {
		t.Errorf("after previews the company is\n%s\nwant\n%s", got, company)
	}
	check(t, h.put(partner, "/api/v1/companies/blue-line-haulage/license/CoPilot", `{"seats": 1}`), 409, refusal)

	// Bad previews are refused like bad PUTs, naming the parameter.
	check(t, h.get(partner, "/api/v1/companies/blue-line-haulage/license/CoPilot/preview"), 400,
		`{"error": {"code": "invalid", "field": "seats", "requestId": "<id>", "message": "<any>", "violations": "<any>"}}`)
	check(t, h.get(partner, "/api/v1/companies/blue-line-haulage/license/CoPilot/preview?seats=2&dryRun=true"), 400,
		errorBody("invalid", "dryRun", "dryRun is not a parameter of this request; use seats and expires"))
	check(t, h.get(acct, "/api/v1/companies/blue-line-haulage/license/CoPilot/preview?seats=2"), 403,
		errorBody("forbidden", "Authorization", "the company paths need a partner token: authenticate with your apiKey alone"))
}
