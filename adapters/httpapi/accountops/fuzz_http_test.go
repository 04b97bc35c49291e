package accountops_test

import (
	"testing"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/memory"
)

// FuzzWriteRequest sends a raw body to every write route. Whatever the
// body, the answer is a 2xx or a 4xx (bad input is never a 5xx) that the
// OpenAPI document describes, an error in the envelope with the status its
// code maps to (the harness checks both on every answer).
func FuzzWriteRequest(f *testing.F) {
	for _, b := range []string{
		seedBlock, seedSchedule, seedPlan, `{"blocked": false}`, `{"blocked_at": 253402300799}`, `{"blocked_at": -1}`,
		`{"blocked_at": "1"}`, `{"blocked": null}`, `{"tariff_plan_id": "\u0000", "app_id": ""}`, `{"a": 1} {}`,
		``, `null`, `[]`, `{`, "{\"blocked\": \"\xff\"}",
	} {
		f.Add([]byte(b))
	}
	h := newHarnessWith(f, memory.New(), httpapi.Limits{PerClient: 1e6, PerClientBurst: 1e6})
	f.Fuzz(func(t *testing.T, body []byte) {
		h.tb = t
		for _, r := range []req{
			{method: "PATCH", path: "/partner/accounts/11111/set-blocked"},
			{method: "PATCH", path: "/partner/accounts/44444/set-blocked-at"},
			{method: "PATCH", path: "/accounts/22222/set-blocked-at"},
			{method: "PUT", path: "/partner/accounts/111111/client-plan"},
			{method: "POST", path: "/partner/accounts/33333/client-plan"},
		} {
			r.token, r.body = h.token, string(body)
			if r.body == "" {
				r.contentType = "application/json"
			}
			got := h.do(r)
			if got.Status >= 500 || got.Status < 200 || (got.Status >= 300 && got.Status < 400) {
				t.Fatalf("%s %s: %d %s", r.method, r.path, got.Status, got.Raw)
			}
		}
	})
}
