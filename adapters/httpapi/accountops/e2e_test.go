package accountops_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// The seed's request bodies, verbatim.
const (
	seedBlock     = "{\n  \"blocked\": true\n}"
	seedSchedule  = "{\n  \"blocked_at\": 1748120400\n}"
	seedPlan      = "{\n    \"tariff_plan_id\": \"52ffXXXXXXXXXXXXdc89\",\n    \"app_id\": \"b901da51-ce00-4af2-b978-8d0fca8ae1ea\"\n}"
	createdUnix   = 1736501400 // created
	startUnix     = 1747742400 // start
	forguardPlans = `{"b901da51-ce00-4af2-b978-8d0fca8ae1ea": "52ffXXXXXXXXXXXXdc89"}`
)

// account11111 is account 11111's object with blocked, blocked_at and
// updated_at as given.
func account11111(blocked bool, blockedAt string, updated int64) string {
	return fmt.Sprintf(`{"data": {"id": 11111, "pid": "gps-partner", "title": "Forguard 11111", "description": "a fleet",
	  "link_app": null, "reg_apps": ["b901da51-ce00-4af2-b978-8d0fca8ae1ea"], "created_at": %d, "updated_at": %d,
	  "ack": %d, "subscriptions": {}, "service_apps": [], "is_attached": false, "attached_at": null, "added_time": %d,
	  "is_premium": false, "type": 10, "tariff_plans": %s, "blocked": %t, "blocked_at": %s}}`,
		createdUnix, updated, createdUnix, createdUnix, forguardPlans, blocked, blockedAt)
}

// TestAccountOperations walks seed 003 over HTTP on every store: the
// schedule request verbatim (at the seed's own path without /partner, and at
// /partner), reads that show the account blocked once the clock passes
// blocked_at with no job run, the block and unblock requests, the plan
// change, the client plans, subscriptions, counts with their filters, and
// limits. Every answer is checked against the OpenAPI document, and the
// walk sees every documented operation succeed.
func TestAccountOperations(t *testing.T) {
	for name := range drivers.Stores() {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, drivers.Open(t, name))
			operations(t, h)
			for _, op := range h.spec.NeverSucceeded() {
				t.Errorf("the walk never saw %s succeed", op)
			}
		})
	}
}

func operations(t *testing.T, h *harness) {
	tok := h.token
	check(t, h.get(tok, "/partner/accounts/11111"), 200, account11111(false, "null", createdUnix))

	// "Set blocked time for Forguard Account", the seed's request as written.
	check(t, h.send(http.MethodPatch, tok, "/accounts/11111/set-blocked-at", seedSchedule), 200,
		account11111(false, "1748120400", startUnix))
	check(t, h.send(http.MethodPatch, tok, "/partner/accounts/11111/set-blocked-at", seedSchedule), 200,
		account11111(false, "1748120400", startUnix))
	// The reads follow the clock: blocked from blocked_at on, with nothing
	// run in between.
	h.setNow(time.Unix(seedBlockedAt-1, 0))
	check(t, h.get(tok, "/partner/accounts/11111"), 200, account11111(false, "1748120400", startUnix))
	h.setNow(time.Unix(seedBlockedAt, 0))
	check(t, h.get(tok, "/partner/accounts/11111"), 200, account11111(true, "null", startUnix))
	h.advance(time.Hour)
	check(t, h.get(tok, "/partner/accounts/11111"), 200, account11111(true, "null", startUnix))
	// A time already past is refused.
	check(t, h.send(http.MethodPatch, tok, "/partner/accounts/44444/set-blocked-at", seedSchedule), 400, `{"errors": [{"message":
	  "blocked_at 1748120400 cannot be earlier than the current time (1748124000) plus 0 seconds", "extensions": {"code": "FAILED_VALIDATION", "field": "blocked_at"}}]}`)

	// "Block or unblock Forguard account", the seed's request.
	now := time.Unix(seedBlockedAt, 0).Add(time.Hour).Unix()
	check(t, h.send(http.MethodPatch, tok, "/partner/accounts/11111/set-blocked", `{"blocked": false}`), 200,
		account11111(false, "null", now))
	check(t, h.send(http.MethodPatch, tok, "/partner/accounts/11111/set-blocked", seedBlock), 200, account11111(true, "null", now))
	check(t, h.send(http.MethodPatch, tok, "/partner/accounts/11111/set-blocked", seedBlock), 200, account11111(true, "null", now))
	check(t, h.send(http.MethodPatch, tok, "/partner/accounts/11111/set-blocked", `{"blocked": false}`), 200,
		account11111(false, "null", now))
	// Only activated accounts; by the rule files, only Forguard ones.
	check(t, h.send(http.MethodPatch, tok, "/partner/accounts/22222/set-blocked", seedBlock), 400, `{"errors": [{"message":
	  "account 22222 is not activated; only activated accounts can be blocked", "extensions": {"code": "FAILED_VALIDATION", "field": "blocked"}}]}`)
	check(t, h.send(http.MethodPatch, tok, "/partner/accounts/111111/set-blocked", seedBlock), 403, `{"errors": [{"message":
	  "account 111111 is of type 0 (self-registered); only managed accounts can be blocked", "extensions": {"code": "FORBIDDEN", "field": "blocked"}}]}`)

	// "Client plan change on Forguard account": the seed's POST, and PUT.
	check(t, h.send(http.MethodPost, tok, "/partner/accounts/111111/client-plan", seedPlan), 200,
		`{"data": {"account_id": 111111, "tariff_plan_id": "52ffXXXXXXXXXXXXdc89", "app_id": "b901da51-ce00-4af2-b978-8d0fca8ae1ea"}}`)
	check(t, h.send(http.MethodPut, tok, "/partner/accounts/11111/client-plan",
		`{"tariff_plan_id": "6a00aaaaaaaaaaaaaa01", "app_id": "b901da51-ce00-4af2-b978-8d0fca8ae1ea"}`), 200,
		`{"data": {"account_id": 11111, "tariff_plan_id": "6a00aaaaaaaaaaaaaa01", "app_id": "b901da51-ce00-4af2-b978-8d0fca8ae1ea"}}`)
	r := h.get(tok, "/partner/accounts/11111")
	if plans := r.Obj()["data"].(map[string]any)["tariff_plans"]; fmt.Sprint(plans) != "map[b901da51-ce00-4af2-b978-8d0fca8ae1ea:6a00aaaaaaaaaaaaaa01]" {
		t.Errorf("the plan after the change: %v", plans)
	}
	check(t, h.send(http.MethodPut, tok, "/partner/accounts/11111/client-plan",
		`{"tariff_plan_id": "6a00bbbbbbbbbbbbbb02", "app_id": "b901da51-ce00-4af2-b978-8d0fca8ae1ea"}`), 400,
		`{"errors": [{"message": "no client plan 6a00bbbbbbbbbbbbbb02", "extensions": {"code": "FAILED_VALIDATION", "field": "tariff_plan_id"}}]}`)
	check(t, h.send(http.MethodPut, tok, "/partner/accounts/11111/client-plan",
		`{"tariff_plan_id": "52ffXXXXXXXXXXXXdc89", "app_id": "5a5ca87f-7cbe-4540-ab5d-77bf4bf69884"}`), 400, `{"errors": "<any>"}`)
	check(t, h.get(tok, "/partner/client-plans"), 200, `{"data": [
	  {"id": "52ffXXXXXXXXXXXXdc89", "app_id": "b901da51-ce00-4af2-b978-8d0fca8ae1ea", "name": "Forguard basic", "description": "30 units",
	   "quotas": {"unit": 30, "geofence": 50, "unit_storage": 204800}, "modules": ["geofence", "notifications"]},
	  {"id": "6a00aaaaaaaaaaaaaa01", "app_id": "b901da51-ce00-4af2-b978-8d0fca8ae1ea", "name": "Forguard pro", "description": "",
	   "quotas": {"unit": 100, "geofence": 200, "unit_storage": 409600}, "modules": []}]}`)

	// "Get account subscriptions": Ruhavik's; none for a Forguard account.
	check(t, h.get(tok, "/partner/accounts/111111/subscriptions"), 200, `{"data": [{"account_id": 111111,
	  "app_id": "5a5ca87f-7cbe-4540-ab5d-77bf4bf69884", "active": true, "type": "td-stripe", "subscription_id": "td-basic.yearly",
	  "expiry": 1779235200, "purchase_data": {"order_id": "ord-1", "auto_renew": true}, "data": {}}]}`)
	check(t, h.get(tok, "/partner/accounts/11111/subscriptions"), 200, `{"data": []}`)
	check(t, h.get(tok, "/partner/accounts/111111"), 200, fmt.Sprintf(`{"data": {"id": 111111, "pid": "gps-partner",
	  "title": "Ruhavik 111111", "description": "", "link_app": "5a5ca87f-7cbe-4540-ab5d-77bf4bf69884",
	  "reg_apps": ["5a5ca87f-7cbe-4540-ab5d-77bf4bf69884", "b901da51-ce00-4af2-b978-8d0fca8ae1ea"], "created_at": %d,
	  "updated_at": %d, "ack": %d, "subscriptions": {"5a5ca87f-7cbe-4540-ab5d-77bf4bf69884": {"subscription_id": "td-basic.yearly",
	  "type": "td-stripe", "active": true, "expiry": 1779235200}}, "service_apps": ["5a5ca87f-7cbe-4540-ab5d-77bf4bf69884"],
	  "is_attached": true, "attached_at": %d, "added_time": %d, "is_premium": true, "type": null, "tariff_plans": %s,
	  "blocked": false, "blocked_at": null}}`, createdUnix, now, createdUnix, createdUnix, createdUnix, forguardPlans))

	// "Get accounts count", the seed's example and every filter.
	for q, n := range map[string]int{"": 4, "?is_attached=true": 1, "?is_attached=false": 3, "?activated=false": 1,
		"?activated=true&app_id=b901da51-ce00-4af2-b978-8d0fca8ae1ea": 3, "?app_id=5a5ca87f-7cbe-4540-ab5d-77bf4bf69884": 1,
		"?app_id=962e19f0-6b4a-4f81-a3fe-4b657689b6f9": 0} {
		check(t, h.get(tok, "/partner/accounts/count"+q), 200, fmt.Sprintf(`{"data": %d}`, n))
	}
	check(t, h.get(tok, "/partner/accounts/count?is_premium=true"), 400, errorBody("INVALID_QUERY", "is_premium",
		"is_premium is not a parameter of this request; use is_attached, app_id, activated"))

	// "Get accounts limit".
	check(t, h.get(tok, "/partner/accounts/11111/limits?app_id=b901da51-ce00-4af2-b978-8d0fca8ae1ea"), 200, `{"data": {
	  "account_id": 11111, "unit": 10, "geofence": 15, "user": 1, "triggers": 10, "unit_extra_fields": null, "unit_notify_settings": null}}`)
	check(t, h.get(tok, "/partner/accounts/111111/limits?app_id=5a5ca87f-7cbe-4540-ab5d-77bf4bf69884"), 200, `{"data": {
	  "account_id": 111111, "unit": 3, "geofence": 5, "user": 2, "triggers": 4, "unit_extra_fields": 6, "unit_notify_settings": 7}}`)
	check(t, h.get(tok, "/partner/accounts/11111/limits?app_id=5a5ca87f-7cbe-4540-ab5d-77bf4bf69884"), 400, `{"errors": [{"message":
	  "account 11111 has no access to app 5a5ca87f-7cbe-4540-ab5d-77bf4bf69884", "extensions": {"code": "FAILED_VALIDATION", "field": "app_id"}}]}`)
	check(t, h.get(tok, "/partner/accounts/11111/limits"), 400, errorBody("INVALID_QUERY", "app_id",
		"app_id is required: the application whose limits to read"))
}
