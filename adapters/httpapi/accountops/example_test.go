package accountops_test

import (
	"net/http"
	"testing"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/httpapi/internal/apitest"
	"github.com/entitle-rules/entitle/adapters/memory"
)

// TestExampleDataSet: seed 003's own requests, as written, against the
// example data set `entitle serve` loads on a first run, with its public
// X-AccessToken, answer with the seed's shapes (and, where the seed shows
// values, its values: the count of attached accounts is 1, the limits are
// 10, 15, 1, 10, null, null).
func TestExampleDataSet(t *testing.T) {
	h := &harness{tb: t, store: memory.New(), spec: loadSpec(t)}
	t.Cleanup(func() { h.store.Close() })
	h.now.Store(start.UnixNano())
	apitest.LoadExample(t, h.store)
	h.serve(httpapi.Limits{})
	tok := "example-access-token-change-me"

	r := h.send(http.MethodPatch, tok, "/accounts/11111/set-blocked-at", seedSchedule)
	check(t, r, 200, `{"data": {"id": 11111, "pid": "gps-partner", "title": "Forguard example",
	  "description": "A Forguard account managed by gps-partner", "link_app": null, "reg_apps": ["b901da51-ce00-4af2-b978-8d0fca8ae1ea"],
	  "created_at": "<any>", "updated_at": "<any>", "ack": "<any>", "subscriptions": {}, "service_apps": [], "is_attached": false,
	  "attached_at": null, "added_time": "<any>", "is_premium": false, "type": 10,
	  "tariff_plans": {"b901da51-ce00-4af2-b978-8d0fca8ae1ea": "52ffXXXXXXXXXXXXdc89"}, "blocked": false, "blocked_at": 1748120400}}`)
	r = h.send(http.MethodPatch, tok, "/partner/accounts/11111/set-blocked", seedBlock)
	check(t, r, 200, `{"data": {"id": 11111, "pid": "gps-partner", "title": "Forguard example",
	  "description": "A Forguard account managed by gps-partner", "link_app": null, "reg_apps": ["b901da51-ce00-4af2-b978-8d0fca8ae1ea"],
	  "created_at": "<any>", "updated_at": "<any>", "ack": "<any>", "subscriptions": {}, "service_apps": [], "is_attached": false,
	  "attached_at": null, "added_time": "<any>", "is_premium": false, "type": 10,
	  "tariff_plans": {"b901da51-ce00-4af2-b978-8d0fca8ae1ea": "52ffXXXXXXXXXXXXdc89"}, "blocked": true, "blocked_at": null}}`)
	check(t, h.send(http.MethodPost, tok, "/partner/accounts/111111/client-plan", seedPlan), 200,
		`{"data": {"account_id": 111111, "tariff_plan_id": "52ffXXXXXXXXXXXXdc89", "app_id": "b901da51-ce00-4af2-b978-8d0fca8ae1ea"}}`)
	check(t, h.get(tok, "/partner/accounts/111111/subscriptions"), 200, `{"data": [{"account_id": 111111,
	  "app_id": "5a5ca87f-7cbe-4540-ab5d-77bf4bf69884", "active": true, "type": "td-stripe", "subscription_id": "td-basic.yearly",
	  "expiry": "<any>", "purchase_data": {"order_id": "example-order-1", "auto_renew": true}, "data": {}}]}`)
	check(t, h.get(tok, "/partner/accounts/count?is_attached=true"), 200, `{"data": 1}`)
	check(t, h.get(tok, "/partner/accounts/111111/limits?app_id=5a5ca87f-7cbe-4540-ab5d-77bf4bf69884"), 200, `{"data": {
	  "account_id": 111111, "unit": 10, "geofence": 15, "user": 1, "triggers": 10, "unit_extra_fields": null, "unit_notify_settings": null}}`)
	check(t, h.get(tok, "/partner/client-plans"), 200, `{"data": [{"id": "52ffXXXXXXXXXXXXdc89", "app_id": "b901da51-ce00-4af2-b978-8d0fca8ae1ea",
	  "name": "Forguard basic", "description": "Ten units and fifteen geofences", "quotas": {"unit": 10, "geofence": 15, "unit_storage": 204800},
	  "modules": ["geofence", "notifications", "timeline", "tools"]}]}`)
}
