package managedbilling_test

import (
	"testing"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/httpapi/managedbilling"
	"github.com/entitle-rules/entitle/adapters/memory"
)

// FuzzWriteRequest sends a raw body to every write route with the
// credentials it needs. Whatever the body, the answer is a 2xx or a 4xx
// (bad input is never a 5xx) that the OpenAPI document describes (the
// harness checks every answer).
func FuzzWriteRequest(f *testing.F) {
	for _, b := range []string{
		seedAdd, link(managed1, primary, "x"), `{"username": "primary@example.com", "password": "example-password-change-me"}`,
		`{"accountName": "1234567890-00001", "serviceName": "Location", "type": "TS-LOC-COARSE-CellID-Aggr", "managedAccList": ["1", "", "\u202e"]}`,
		`{"TxId": "a", "txid": "b"}`, `{"txid": null}`, `{"managedAccList": [null]}`, `{"type": 1e400}`, `{"a": 1} {}`,
		``, `null`, `[]`, `{`, "{\"accountName\": \"\xff\"}",
	} {
		f.Add([]byte(b))
	}
	// Limits high enough that the fuzzer meets the handlers, not the rates.
	h := newHarnessWith(f, memory.New(), httpapi.Limits{PerClient: 1e6, PerClientBurst: 1e6, TokenPerAddress: 1e6, TokenPerAddressBurst: 1e6, TokenFailures: 1e9})
	bearer := h.bearer(clientID, clientSecret)
	ps, s1 := h.login(bearer, primary), h.login(bearer, managed1)
	f.Fuzz(func(t *testing.T, body []byte) {
		h.tb = t
		for _, r := range []req{
			{method: "POST", path: managedbilling.Prefix + "/managedaccounts/actions/add", bearer: bearer, session: ps},
			{method: "POST", path: managedbilling.Prefix + "/managedaccounts/actions/provision", bearer: bearer, session: s1},
			{method: "POST", path: managedbilling.Prefix + "/managedaccounts/actions/cancel", bearer: bearer, session: s1},
			{method: "POST", path: managedbilling.LoginPath, bearer: bearer},
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
