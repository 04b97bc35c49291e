package accountmanager_test

import (
	"slices"
	"testing"
	"time"
)

// TestPartnerFlow walks seed 000's flow for a partner setting up a customer,
// over HTTP, on every store: authenticate with the apiKey, create a company
// with the Company API, give it seats, authenticate with the apiKey and the
// company's alias, add users, assign licenses to one user and to a list,
// release one and reassign it, delete a user. Every answer is checked
// against the OpenAPI document, and the flow uses every documented
// operation.
func TestPartnerFlow(t *testing.T) {
	for name := range drivers.Stores() {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, drivers.Open(t, name), nil)
			partnerFlow(t, h)
			for _, op := range h.spec.NeverSucceeded() {
				t.Errorf("the flow never saw %s succeed", op)
			}
		})
	}
}

func partnerFlow(t *testing.T, h *harness) {
	// "Call the Authenticate API to get a token by passing in the apiKey."
	r := h.post("", "/api/v1/authenticate", `{"apiKey": "`+apiKey+`"}`)
	check(t, r, 200, `{"token": "<any>", "expires": "2025-04-24T18:00:00.000Z"}`)
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("a token answer without Cache-Control: no-store: %v", r.Header)
	}
	partner, _ := r.Obj()["token"].(string)

	// "... create an account using the Company API."
	r = h.post(partner, "/api/v1/companies", `{"name": "Blue Line Haulage"}`)
	check(t, r, 201, `{"id": "<id>", "alias": "blue-line-haulage", "name": "Blue Line Haulage",
	  "createdAt": "2025-04-24T17:00:00.000Z", "products": []}`)
	check(t, h.put(partner, "/api/v1/companies/blue-line-haulage/license/CoPilot", `{"seats": 3, "expires": "2026-04-23"}`), 200,
		`{"company": {"id": "<id>", "alias": "blue-line-haulage", "name": "Blue Line Haulage", "createdAt": "2025-04-24T17:00:00.000Z",
		  "products": [{"productId": "CoPilot", "owned": 3, "assigned": 0, "free": 3}]}, "released": []}`)
	check(t, h.put(partner, "/api/v1/companies/BLUE-LINE-HAULAGE/license/MileOn", `{"seats": 1}`), 200,
		`{"company": {"id": "<id>", "alias": "blue-line-haulage", "name": "Blue Line Haulage", "createdAt": "2025-04-24T17:00:00.000Z",
		  "products": [{"productId": "CoPilot", "owned": 3, "assigned": 0, "free": 3}, {"productId": "MileOn", "owned": 1, "assigned": 0, "free": 1}]}, "released": []}`)

	// "Take the alias from the Company API response and use it to get an
	// Account auth token ... pass in both apiKey and the alias parameter."
	acct := h.authenticate(apiKey, "blue-line-haulage")

	// "Add a user with POST a request to /users that includes an externalId
	// and other optional fields."
	check(t, h.post(acct, "/api/v1/users", `{"externalId": "Driver-1", "email": "ann@blueline.example", "firstName": "Ann",
	  "lastName": "Lee", "phoneNumber": "+1 555 0100"}`), 201,
		`{"id": "<id>", "externalId": "Driver-1", "email": "ann@blueline.example", "firstName": "Ann", "lastName": "Lee",
		  "phoneNumber": "+1 555 0100", "createdAt": "2025-04-24T17:00:00.000Z", "updatedAt": "<any>"}`)
	for _, id := range []string{"driver-2", "TRUCK-3", "tablet-4"} {
		if r := h.post(acct, "/api/v1/users", `{"externalId": "`+id+`"}`); r.Status != 201 {
			t.Fatalf("adding %s: %d %s", id, r.Status, r.Raw)
		}
	}
	// externalId is unique per account, compared case-insensitively.
	check(t, h.post(acct, "/api/v1/users", `{"externalId": "DRIVER-1"}`), 409,
		`{"error": {"code": "conflict", "field": "externalId", "message": "<any>", "requestId": "<id>"}}`)
	check(t, h.get(acct, "/api/v1/users?offset=1&limit=2"), 200, `{"total": 4, "offset": 1, "limit": 2, "users": [
	  {"id": "<id>", "externalId": "driver-2", "email": "", "firstName": "", "lastName": "", "phoneNumber": "", "createdAt": "2025-04-24T17:00:00.000Z", "updatedAt": "<any>"},
	  {"id": "<id>", "externalId": "TRUCK-3", "email": "", "firstName": "", "lastName": "", "phoneNumber": "", "createdAt": "2025-04-24T17:00:00.000Z", "updatedAt": "<any>"}]}`)
	check(t, h.get(acct, "/api/v1/users/driver-1"), 200,
		`{"id": "<id>", "externalId": "Driver-1", "email": "ann@blueline.example", "firstName": "Ann", "lastName": "Lee",
		  "phoneNumber": "+1 555 0100", "createdAt": "2025-04-24T17:00:00.000Z", "updatedAt": "<any>"}`)

	// "Assign products to a single user with a POST request to
	// /license/{productId} or ... to a list of users with a POST request to
	// /license/{productId}/bulk."
	check(t, h.post(acct, "/api/v1/license/CoPilot", `{"externalId": "driver-1"}`), 200, `{"externalId": "driver-1", "status": "Success"}`)
	r = h.post(acct, "/api/v1/license/CoPilot/bulk", `{"externalIds": ["DRIVER-1", "driver-2", "TRUCK-3", "tablet-4", "ghost"]}`)
	check(t, r, 200, `{"productId": "CoPilot", "succeeded": 3, "failed": 2, "results": [
	  {"externalId": "DRIVER-1", "status": "Success", "reason": "<any>"},
	  {"externalId": "driver-2", "status": "Success"},
	  {"externalId": "TRUCK-3", "status": "Success"},
	  {"externalId": "tablet-4", "status": "Fail", "reason": "no free seat of CoPilot"},
	  {"externalId": "ghost", "status": "Fail", "reason": "no user with externalId ghost"}]}`)
	check(t, h.get(acct, "/api/v1/license/CoPilot"), 200, `{"productId": "CoPilot", "owned": 3, "assigned": 3, "free": 0}`)
	check(t, h.post(acct, "/api/v1/license/CoPilot", `{"externalId": "tablet-4"}`), 409,
		`{"error": {"code": "conflict", "field": "externalId", "message": "no free seat of CoPilot", "requestId": "<id>",
		  "violations": [{"code": "NO_FREE_SEAT", "field": "externalId", "message": "no free seat of CoPilot"}]}}`)
	check(t, h.post(acct, "/api/v1/license/CoPilot", `{"externalId": "ghost"}`), 404,
		`{"error": {"code": "not_found", "field": "externalId", "message": "no user with externalId ghost", "requestId": "<id>",
		  "violations": [{"code": "USER_NOT_FOUND", "field": "externalId", "message": "no user with externalId ghost"}]}}`)

	// "Remove a license from a single user with a DELETE request to
	// /license/{productId} ... Repeat Step 3 above to assign those licenses
	// you have removed to new users."
	check(t, h.del(acct, "/api/v1/license/CoPilot", `{"externalId": "driver-2"}`), 200, `{"externalId": "driver-2", "status": "Success"}`)
	check(t, h.get(acct, "/api/v1/license/CoPilot"), 200, `{"productId": "CoPilot", "owned": 3, "assigned": 2, "free": 1}`)
	check(t, h.post(acct, "/api/v1/license/CoPilot", `{"externalId": "tablet-4"}`), 200, `{"externalId": "tablet-4", "status": "Success"}`)
	// The query form, for clients that cannot send a DELETE body; a user
	// holding no seat is harmless.
	check(t, h.del(acct, "/api/v1/license/MileOn?externalId=driver-2", ""), 200, `{"externalId": "driver-2", "status": "Success", "reason": "<any>"}`)

	// "Modify a user's information with a PUT request to /users/{externalId}
	// or delete a user with a DELETE request to /users/{externalId}."
	check(t, h.put(acct, "/api/v1/users/TRUCK-3", `{"externalId": "truck-3", "firstName": "Rig"}`), 200,
		`{"id": "<id>", "externalId": "truck-3", "email": "", "firstName": "Rig", "lastName": "", "phoneNumber": "",
		  "createdAt": "2025-04-24T17:00:00.000Z", "updatedAt": "2025-04-24T17:00:00.000Z"}`)
	// A day later the tokens have expired (they live an hour).
	h.advance(24 * time.Hour)
	check(t, h.get(acct, "/api/v1/users/truck-3"), 401, errorBody("unauthenticated", "Authorization", "Access Token Invalid"))
	acct, partner = h.authenticate(apiKey, "blue-line-haulage"), h.authenticate(apiKey, "")
	r = h.del(acct, "/api/v1/users/truck-3", "")
	check(t, r, 200, `{"externalId": "truck-3", "endedAssignments": [{"id": "<id>", "licenseId": "<id>", "productId": "CoPilot",
	  "activationDate": "2025-04-24", "deactivationDate": "2025-04-24"}]}`)
	check(t, h.get(acct, "/api/v1/users/truck-3"), 404, `{"error": {"code": "not_found", "field": "externalId",
	  "message": "no user with externalId truck-3", "requestId": "<id>"}}`)
	check(t, h.get(acct, "/api/v1/license/CoPilot"), 200, `{"productId": "CoPilot", "owned": 3, "assigned": 2, "free": 1}`)

	// "remove licenses from a list of users with a DELETE request to
	// /license/{productId}/bulk."
	check(t, h.del(acct, "/api/v1/license/CoPilot/bulk", `{"externalIds": ["driver-1", "tablet-4"]}`), 200,
		`{"productId": "CoPilot", "succeeded": 2, "failed": 0, "results": [
		  {"externalId": "driver-1", "status": "Success"}, {"externalId": "tablet-4", "status": "Success"}]}`)

	// The partner sees its companies and their seats.
	check(t, h.get(partner, "/api/v1/companies/blue-line-haulage"), 200,
		`{"id": "<id>", "alias": "blue-line-haulage", "name": "Blue Line Haulage", "createdAt": "2025-04-24T17:00:00.000Z",
		  "products": [{"productId": "CoPilot", "owned": 3, "assigned": 0, "free": 3}, {"productId": "MileOn", "owned": 1, "assigned": 0, "free": 1}]}`)
	r = h.get(partner, "/api/v1/companies")
	if r.Status != 200 {
		t.Fatalf("GET /companies: %d %s", r.Status, r.Raw)
	}
	var aliases []string
	for _, c := range r.Obj()["companies"].([]any) {
		aliases = append(aliases, c.(map[string]any)["alias"].(string))
	}
	// The example data's fleet-forguard is fleet-partner's too (the
	// Forguard account the web tool can block); the order is the store's.
	slices.Sort(aliases)
	if want := []string{"acme-fleet", "blue-line-haulage", "fleet-forguard"}; !slices.Equal(aliases, want) {
		t.Errorf("fleet-partner's companies: %q, want %q", aliases, want)
	}
	auditAndPreviewFlow(t, h, partner, acct)
}
