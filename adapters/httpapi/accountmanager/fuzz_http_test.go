package accountmanager_test

import (
	"testing"

	"github.com/entitle-rules/entitle/adapters/httpapi"
)

// FuzzWriteRequest sends a raw body to every write route with the token
// its scope needs. Whatever the body, the answer is a 2xx or a 4xx (bad
// input is never a 5xx), the one the OpenAPI document describes, and an
// error is the envelope with the status its code maps to (the harness
// checks both on every answer).
func FuzzWriteRequest(f *testing.F) {
	for _, b := range []string{
		`{"externalId": "driver-1"}`, `{"externalId": "driver-1", "email": "a@b.example", "firstName": "A"}`,
		`{"externalIds": ["driver-1", "DRIVER-1", "ghost"]}`, `{"seats": 7, "expires": "2030-01-01"}`, `{"seats": 0}`,
		`{"name": "Fuzz Fleet"}`, `{"name": "Fuzz Fleet", "alias": "fuzz.fleet"}`, `{"apiKey": "x"}`,
		`{"externalId": "a", "externalId": "a"}`, `{"EXTERNALID": "a"}`, `{"externalIds": [null]}`, `{"seats": 1e400}`,
		`{"externalId": "\u0000"}`, "{\"externalId\": \"\xff\"}", `{"name": "` + "\u202e" + `"}`, ``, `null`, `[]`, `{`, `{"a":1} {}`,
	} {
		f.Add([]byte(b))
	}
	// Limits high enough that the fuzzer meets the handlers, not the rates.
	h := newHarnessWith(f, nil, nil, httpapi.Limits{PerClient: 1e6, PerClientBurst: 1e6, TokenPerAddress: 1e6, TokenPerAddressBurst: 1e6, TokenFailures: 1e9})
	partner, acct := h.authenticate(apiKey, ""), h.authenticate(apiKey, "acme-fleet")
	h.post(acct, "/api/v1/users", `{"externalId": "driver-1"}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		h.tb = t
		for _, r := range []req{
			{method: "POST", path: "/api/v1/companies", token: partner},
			{method: "PUT", path: "/api/v1/companies/acme-fleet/license/MileOn", token: partner},
			{method: "POST", path: "/api/v1/users", token: acct},
			{method: "PUT", path: "/api/v1/users/driver-1", token: acct},
			{method: "POST", path: "/api/v1/license/CoPilot", token: acct},
			{method: "DELETE", path: "/api/v1/license/CoPilot", token: acct},
			{method: "POST", path: "/api/v1/license/CoPilot/bulk", token: acct},
			{method: "DELETE", path: "/api/v1/license/CoPilot/bulk", token: acct},
			{method: "POST", path: "/api/v1/authenticate"},
		} {
			r.body = string(body)
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
