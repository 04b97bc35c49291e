package accountmanager_test

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/rulesets"
)

// TestTenancy: a partner reaches only its own companies, an account token
// only its own company, and a token of another API none of this API; what
// another tenant owns answers like what does not exist.
func TestTenancy(t *testing.T) {
	h := newHarness(t, nil, nil)
	fleet := h.authenticate(apiKey, "")
	acme := h.authenticate(apiKey, "acme-fleet")
	rival := h.authenticate(rivalAPIKey, "")
	rivalAcct := h.authenticate(rivalAPIKey, "rival-fleet")
	check(t, h.post(acme, "/api/v1/users", `{"externalId": "acme-driver"}`), 201, `{"id": "<id>", "externalId": "acme-driver",
	  "email": "", "firstName": "", "lastName": "", "phoneNumber": "", "createdAt": "2025-04-24T17:00:00.000Z", "updatedAt": "<any>"}`)
	check(t, h.post(acme, "/api/v1/license/CoPilot", `{"externalId": "acme-driver"}`), 200, `{"externalId": "acme-driver", "status": "Success"}`)

	invalidKey := errorBody("unauthenticated", "apiKey", "Invalid apiKey value sent")
	for _, tc := range []struct{ name, body string }{
		{"an unknown apiKey", `{"apiKey": "not-a-key"}`},
		{"an unknown apiKey with an alias", `{"apiKey": "not-a-key", "alias": "acme-fleet"}`},
		{"another partner's company", `{"apiKey": "` + rivalAPIKey + `", "alias": "acme-fleet"}`},
		{"a company that does not exist", `{"apiKey": "` + apiKey + `", "alias": "no-such-fleet"}`},
		{"a store API client secret", `{"apiKey": "` + tapSecret + `"}`},
	} {
		r := h.post("", "/api/v1/authenticate", tc.body)
		check(t, r, 401, invalidKey)
		if r.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: a 401 without WWW-Authenticate", tc.name)
		}
	}

	notFound := func(field, msg string) string { return errorBody("not_found", field, msg) }
	// Partner B on partner A's company.
	check(t, h.get(rival, "/api/v1/companies/acme-fleet"), 404, notFound("alias", `no company with alias "acme-fleet"`))
	check(t, h.put(rival, "/api/v1/companies/acme-fleet/license/CoPilot", `{"seats": 0}`), 404, notFound("alias", `no company with alias "acme-fleet"`))
	r := h.get(rival, "/api/v1/companies")
	if cs, _ := r.Obj()["companies"].([]any); r.Status != 200 || len(cs) != 1 || cs[0].(map[string]any)["alias"] != "rival-fleet" {
		t.Errorf("rival-partner's companies: %d %s", r.Status, r.Raw)
	}
	// An account token of B on A's users and seats.
	check(t, h.get(rivalAcct, "/api/v1/users/acme-driver"), 404, notFound("externalId", "no user with externalId acme-driver"))
	check(t, h.put(rivalAcct, "/api/v1/users/acme-driver", `{"firstName": "Mallory"}`), 404, notFound("externalId", "no user with externalId acme-driver"))
	check(t, h.del(rivalAcct, "/api/v1/users/acme-driver", ""), 404, notFound("externalId", "no user with externalId acme-driver"))
	check(t, h.del(rivalAcct, "/api/v1/license/CoPilot", `{"externalId": "acme-driver"}`), 404, `{"error": {"code": "not_found",
	  "field": "externalId", "message": "no user with externalId acme-driver", "requestId": "<id>",
	  "violations": [{"code": "USER_NOT_FOUND", "field": "externalId", "message": "no user with externalId acme-driver"}]}}`)
	check(t, h.get(acme, "/api/v1/license/CoPilot"), 200, `{"productId": "CoPilot", "owned": 5, "assigned": 1, "free": 4}`)
	check(t, h.get(acme, "/api/v1/users/acme-driver"), 200, `{"id": "<id>", "externalId": "acme-driver",
	  "email": "", "firstName": "", "lastName": "", "phoneNumber": "", "createdAt": "2025-04-24T17:00:00.000Z", "updatedAt": "<any>"}`)

	// Scopes: a token works only on its own paths.
	needsPartner := errorBody("forbidden", "Authorization", "the company paths need a partner token: authenticate with your apiKey alone")
	needsAccount := errorBody("forbidden", "Authorization", "the users and license paths need an account token: authenticate with your apiKey and the company's alias")
	check(t, h.get(acme, "/api/v1/companies"), 403, needsPartner)
	check(t, h.post(acme, "/api/v1/companies", `{"name": "Sneaky"}`), 403, needsPartner)
	check(t, h.put(acme, "/api/v1/companies/acme-fleet/license/CoPilot", `{"seats": 100}`), 403, needsPartner)
	check(t, h.get(fleet, "/api/v1/users"), 403, needsAccount)
	check(t, h.post(fleet, "/api/v1/license/CoPilot", `{"externalId": "acme-driver"}`), 403, needsAccount)
	check(t, h.get(fleet, "/api/v1/license/CoPilot"), 403, needsAccount)

	// Another API's credentials.
	tapTok := h.storeToken()
	invalidToken := errorBody("unauthenticated", "Authorization", "Access Token Invalid")
	check(t, h.get(tapTok, "/api/v1/users"), 401, invalidToken)
	check(t, h.get(tapTok, "/api/v1/companies"), 401, invalidToken)
	check(t, h.get("", "/api/v1/users"), 401, invalidToken)
	check(t, h.get("not-a-token", "/api/v1/companies"), 401, invalidToken)
	r = h.do(req{method: http.MethodGet, path: "/api/v1/users", header: map[string]string{"Authorization": "Basic YWRtaW5AYWNtZS5leGFtcGxlOmV4YW1wbGUtcGFzc3dvcmQtY2hhbmdlLW1l"}})
	check(t, r, 401, invalidToken)

	// The same Idempotency-Key and body under two accounts' tokens are two
	// requests: neither gets the other's answer.
	add := func(tok string) reply {
		return h.do(req{method: http.MethodPost, path: "/api/v1/users", token: tok, body: `{"externalId": "shared-id"}`,
			header: map[string]string{"Idempotency-Key": "k-1"}})
	}
	a, b := add(acme), add(rivalAcct)
	if a.Status != 201 || b.Status != 201 || b.Header.Get("Idempotent-Replayed") != "" || a.Obj()["id"] == b.Obj()["id"] {
		t.Errorf("the same key under two accounts: %d %s, then %d %s %v", a.Status, a.Raw, b.Status, b.Raw, b.Header)
	}
}

// TestIdempotencyKey: a retry gets the first answer and changes nothing;
// the same key with another request is refused.
func TestIdempotencyKey(t *testing.T) {
	h := newHarness(t, nil, nil)
	acme := h.authenticate(apiKey, "acme-fleet")
	send := func(key, body string) reply {
		return h.do(req{method: http.MethodPost, path: "/api/v1/license/MileOn/bulk", token: acme, body: body,
			header: map[string]string{"Idempotency-Key": key}})
	}
	for _, id := range []string{"d1", "d2", "d3", "d4"} {
		h.post(acme, "/api/v1/users", `{"externalId": "`+id+`"}`)
	}
	first := send("bulk-1", `{"externalIds": ["d1", "d2"]}`)
	again := send("bulk-1", `{"externalIds": ["d1", "d2"]}`)
	if first.Status != 200 || again.Raw != first.Raw || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("a retry: %d %s, then %s %v", first.Status, first.Raw, again.Raw, again.Header)
	}
	check(t, send("bulk-1", `{"externalIds": ["d3", "d4"]}`), 422, errorBody("idempotency_key_reused", "Idempotency-Key",
		"Idempotency-Key bulk-1 was used with a different request; use a new key for a new request"))
	check(t, send(strings.Repeat("k", 256), `{"externalIds": ["d3"]}`), 400, errorBody("invalid", "Idempotency-Key",
		"Idempotency-Key must be at most 255 characters"))
	check(t, h.get(acme, "/api/v1/license/MileOn"), 200, `{"productId": "MileOn", "owned": 3, "assigned": 2, "free": 1}`)
}

// TestHostileInput: what a careless or hostile client sends is refused with
// a 4xx naming what is wrong, and changes nothing.
func TestHostileInput(t *testing.T) {
	h := newHarness(t, nil, nil)
	acme := h.authenticate(apiKey, "acme-fleet")
	fleet := h.authenticate(apiKey, "")
	h.post(acme, "/api/v1/users", `{"externalId": "d1"}`)
	inv := func(field, msg string) string { return errorBody("invalid", field, msg) }

	ids := make([]string, 1001)
	for i := range ids {
		ids[i] = "d1"
	}
	bulk1001, _ := json.Marshal(map[string]any{"externalIds": ids})
	bulk1000, _ := json.Marshal(map[string]any{"externalIds": ids[:1000]})
	big := `{"externalId": "` + strings.Repeat("x", 1<<20) + `"}`

	for _, tc := range []struct {
		name   string
		r      req
		status int
		want   string
	}{
		{"a key given twice", req{method: "POST", path: "/api/v1/users", body: `{"externalId": "a", "externalId": "b"}`}, 400,
			inv("externalId", "externalId is given twice")},
		{"an unknown field", req{method: "POST", path: "/api/v1/users", body: `{"externalId": "a", "role": "ADMIN"}`}, 400,
			inv("role", "role is not a field of this request")},
		{"a field in another case", req{method: "POST", path: "/api/v1/users", body: `{"externalID": "a"}`}, 400,
			inv("externalID", "externalID is not a field of this request (write externalId); field names are case-sensitive")},
		{"bad UTF-8", req{method: "POST", path: "/api/v1/users", body: "{\"externalId\": \"a\xff\"}"}, 400,
			inv("externalId", "the value of externalId is not valid UTF-8 text")},
		{"a NUL", req{method: "POST", path: "/api/v1/users", body: `{"externalId": "a\u0000"}`}, 400,
			inv("externalId", "the value of externalId holds a control character (U+0000); send printable text")},
		{"a long externalId", req{method: "POST", path: "/api/v1/users", body: `{"externalId": "` + strings.Repeat("x", 256) + `"}`}, 400,
			`{"error": {"code": "invalid", "field": "externalId", "message": "externalId is 256 characters long; the most is 255", "requestId": "<id>",
			  "violations": [{"code": "TOO_LONG", "field": "externalId", "message": "externalId is 256 characters long; the most is 255"}]}}`},
		{"a body over 1 MiB", req{method: "POST", path: "/api/v1/users", body: big}, 413,
			errorBody("too_large", "", "the request body is larger than 1 MiB")},
		{"not JSON", req{method: "POST", path: "/api/v1/users", body: "externalId=a", contentType: "application/x-www-form-urlencoded"}, 415,
			errorBody("unsupported_media_type", "Content-Type", `Content-Type "application/x-www-form-urlencoded" is not supported; send the body as application/json`)},
		{"JSON in Latin-1", req{method: "POST", path: "/api/v1/users", body: `{"externalId": "a"}`, contentType: "application/json; charset=latin1"}, 415,
			errorBody("unsupported_media_type", "Content-Type", `Content-Type "application/json; charset=latin1" is not supported; send the body as application/json`)},
		{"1,001 users in a bulk call", req{method: "POST", path: "/api/v1/license/CoPilot/bulk", body: string(bulk1001)}, 400,
			`{"error": {"code": "invalid", "field": "externalIds", "message": "at most 1000 users per call; this one names 1001", "requestId": "<id>",
			  "violations": [{"code": "TOO_MANY_ITEMS", "field": "externalIds", "message": "at most 1000 users per call; this one names 1001"}]}}`},
		{"a bulk release of 1,001", req{method: "DELETE", path: "/api/v1/license/CoPilot/bulk", body: string(bulk1001)}, 400,
			`{"error": {"code": "invalid", "field": "externalIds", "message": "at most 1000 users per call; this one names 1001", "requestId": "<id>",
			  "violations": [{"code": "TOO_MANY_ITEMS", "field": "externalIds", "message": "at most 1000 users per call; this one names 1001"}]}}`},
		{"an empty list", req{method: "POST", path: "/api/v1/license/CoPilot/bulk", body: `{"externalIds": []}`}, 400,
			inv("externalIds", "externalIds is empty; give at least one user")},
		{"a bare array", req{method: "POST", path: "/api/v1/license/CoPilot/bulk", body: `["d1"]`}, 400,
			inv("", "the body must be an object, not array")},
		{"an unknown product", req{method: "POST", path: "/api/v1/license/Navigator", body: `{"externalId": "d1"}`}, 404,
			`{"error": {"code": "not_found", "field": "productId", "message": "productId Navigator is not one of CoPilot, MileOn", "requestId": "<id>",
			  "violations": [{"code": "PRODUCT_NOT_FOUND", "field": "productId", "message": "productId Navigator is not one of CoPilot, MileOn"}]}}`},
		{"an unknown parameter", req{method: "GET", path: "/api/v1/users?page=2"}, 400, inv("page", "page is not a parameter of this list; use offset and limit")},
		{"a repeated parameter", req{method: "GET", path: "/api/v1/users?limit=1&limit=2"}, 400, inv("limit", "limit is given 2 times; give it once")},
		{"a limit too large", req{method: "GET", path: "/api/v1/users?limit=1000000"}, 400, inv("limit", `limit "1000000" must be a whole number from 1 to 1000`)},
		{"a parameter on a single user", req{method: "GET", path: "/api/v1/users/d1?verbose=1"}, 400, inv("verbose", "verbose is not a parameter of this request")},
		{"a malformed query", req{method: "GET", path: "/api/v1/license/CoPilot?a=%zz"}, 400, `{"error": {"code": "invalid", "message": "<any>", "requestId": "<id>"}}`},
		{"a DELETE body and query", req{method: "DELETE", path: "/api/v1/license/CoPilot?externalId=d1", body: `{"externalId": "d1"}`}, 400,
			inv("externalId", "give externalId in the body or in the query, not both")},
		{"a DELETE without a user", req{method: "DELETE", path: "/api/v1/license/CoPilot"}, 400,
			inv("externalId", `externalId is required: send {"externalId": "..."} as application/json, or ?externalId=`)},
		{"a body on DELETE /users", req{method: "DELETE", path: "/api/v1/users/d1", body: `{"externalId": "d1"}`}, 400,
			inv("", "DELETE /users/{externalId} takes no body")},
		{"an empty JSON DELETE without a user", req{method: "DELETE", path: "/api/v1/license/CoPilot", contentType: "application/json"}, 400,
			inv("externalId", `externalId is required: send {"externalId": "..."} as application/json, or ?externalId=`)},
		{"the max bulk is accepted", req{method: "POST", path: "/api/v1/license/MileOn/bulk", body: string(bulk1000)}, 200, `<bulk>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.r.token = acme
			r := h.do(tc.r)
			if tc.want == `<bulk>` {
				res, _ := r.Obj()["results"].([]any)
				if r.Status != 200 || len(res) != 1000 || r.Obj()["succeeded"] != float64(1000) {
					t.Errorf("%d, %d results: %.300s", r.Status, len(res), r.Raw)
				}
				return
			}
			check(t, r, tc.status, tc.want)
		})
	}
	for _, tc := range []struct {
		name, path, body string
		status           int
		want             string
	}{
		{"no seats", "/api/v1/companies/acme-fleet/license/CoPilot", `{"expires": "2030-01-01"}`, 400, "seats is required: how many seats of the product the company owns from now on"},
		{"a hostile number of seats", "/api/v1/companies/acme-fleet/license/CoPilot", `{"seats": 100001}`, 400, "seats 100001 is out of range (0 to 100000)"},
		{"seats past the rule file's", "/api/v1/companies/acme-fleet/license/CoPilot", `{"seats": 10001}`, 400, "at most 10000 seats of a product; asked for 10001"},
		{"a bad expiry", "/api/v1/companies/acme-fleet/license/CoPilot", `{"seats": 6, "expires": "31-12-2030"}`, 400, `expires "31-12-2030" is not a date in the form YYYY-MM-DD`},
		{"an unknown product", "/api/v1/companies/acme-fleet/license/Navigator", `{"seats": 6}`, 404, "productId Navigator is not one of CoPilot, MileOn"},
	} {
		r := h.put(fleet, tc.path, tc.body)
		e, _ := r.Obj()["error"].(map[string]any)
		vs, _ := e["violations"].([]any)
		msg, _ := e["message"].(string)
		if len(vs) > 0 {
			msg, _ = vs[0].(map[string]any)["message"].(string)
		}
		if r.Status != tc.status || msg != tc.want {
			t.Errorf("%s: %d %s; want %d %q", tc.name, r.Status, r.Raw, tc.status, tc.want)
		}
	}
	// None of it changed anything.
	check(t, h.get(acme, "/api/v1/license/CoPilot"), 200, `{"productId": "CoPilot", "owned": 5, "assigned": 0, "free": 5}`)
	check(t, h.get(acme, "/api/v1/users"), 200, `{"total": 2, "offset": 0, "limit": 100, "users": "<any>"}`)
}

// TestEveryAnswerIsJSON: unknown paths and methods under /api/v1 are
// answered in the envelope too.
func TestEveryAnswerIsJSON(t *testing.T) {
	h := newHarness(t, nil, nil)
	acme := h.authenticate(apiKey, "acme-fleet")
	check(t, h.get(acme, "/api/v1/licenses"), 404, errorBody("not_found", "",
		"there is no route at /api/v1/licenses; see the Account Manager API's OpenAPI document"))
	for _, tc := range []struct{ method, path, allow string }{
		{"PATCH", "/api/v1/users", "GET, HEAD, POST"},
		{"PUT", "/api/v1/authenticate", "POST"},
		{"GET", "/api/v1/authenticate", "POST"},
		{"POST", "/api/v1/users/d1", "GET, HEAD, PUT, DELETE"},
		{"PUT", "/api/v1/license/CoPilot/bulk", "POST, DELETE"},
		{"DELETE", "/api/v1/companies/acme-fleet", "GET, HEAD"},
	} {
		r := h.do(req{method: tc.method, path: tc.path, token: acme})
		check(t, r, 405, errorBody("method_not_allowed", "", tc.path+" answers "+tc.allow+", not "+tc.method))
		if got := r.Header.Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
		}
	}
	// An externalId with a slash travels escaped in the path.
	check(t, h.post(acme, "/api/v1/users", `{"externalId": "fleet/7 bay"}`), 201, `{"id": "<id>", "externalId": "fleet/7 bay",
	  "email": "", "firstName": "", "lastName": "", "phoneNumber": "", "createdAt": "2025-04-24T17:00:00.000Z", "updatedAt": "<any>"}`)
	if r := h.get(acme, "/api/v1/users/FLEET%2F7%20BAY"); r.Status != 200 || r.Obj()["externalId"] != "fleet/7 bay" {
		t.Errorf("GET the escaped externalId: %d %s", r.Status, r.Raw)
	}
	// A DELETE announcing JSON with no body (curl -H 'Content-Type:
	// application/json' -X DELETE) has no body.
	check(t, h.do(req{method: "DELETE", path: "/api/v1/users/fleet%2F7%20bay", token: acme, contentType: "application/json"}), 200,
		`{"externalId": "fleet/7 bay", "endedAssignments": []}`)
}

type watchedBody struct {
	strings.Reader
	read atomic.Bool
}

func (b *watchedBody) Read(p []byte) (int, error) {
	b.read.Store(true)
	return b.Reader.Read(p)
}

// TestUnauthenticatedWriteIsNotRead: the credential is checked before a
// byte of a body is read.
func TestUnauthenticatedWriteIsNotRead(t *testing.T) {
	h := newHarness(t, nil, nil)
	for _, tc := range []struct{ method, path, auth string }{
		{"POST", "/api/v1/users", ""},
		{"POST", "/api/v1/license/CoPilot/bulk", "Bearer not-a-token"},
		{"PUT", "/api/v1/companies/acme-fleet/license/CoPilot", ""},
		{"DELETE", "/api/v1/license/CoPilot/bulk", "Bearer not-a-token"},
	} {
		body := &watchedBody{Reader: *strings.NewReader(`{"externalIds": ["` + strings.Repeat("x", 1<<16) + `"]}`)}
		rq := httptest.NewRequest(tc.method, tc.path, body)
		rq.Header.Set("Content-Type", "application/json")
		if tc.auth != "" {
			rq.Header.Set("Authorization", tc.auth)
		}
		rec := httptest.NewRecorder()
		h.api.ServeHTTP(rec, rq)
		if rec.Code != 401 || body.read.Load() {
			b, _ := io.ReadAll(rec.Body)
			t.Errorf("%s %s: %d %s; body read: %v", tc.method, tc.path, rec.Code, b, body.read.Load())
		}
	}
}

// rulesWith returns the shipped rule files with one replacement made in
// 50-seats.yaml.
func rulesWith(t *testing.T, old, new string) fs.FS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(rulesets.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(rulesets.FS, path)
		if err != nil {
			return err
		}
		if path == "50-seats.yaml" {
			if !strings.Contains(string(b), old) {
				t.Fatalf("50-seats.yaml has no %q", old)
			}
			b = []byte(strings.Replace(string(b), old, new, 1))
		}
		m[path] = &fstest.MapFile{Data: b}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestLoweringSeats: a partner lowering a company's seats below those in
// use gets what the rule file's shrink_policy says, and the answer names who
// lost a seat.
func TestLoweringSeats(t *testing.T) {
	assignFour := func(h *harness) (string, string) {
		fleet, acme := h.authenticate(apiKey, ""), h.authenticate(apiKey, "acme-fleet")
		for _, id := range []string{"u1", "u2", "u3", "u4"} {
			h.post(acme, "/api/v1/users", `{"externalId": "`+id+`"}`)
			if r := h.post(acme, "/api/v1/license/CoPilot", `{"externalId": "`+id+`"}`); r.Status != 200 {
				t.Fatalf("assigning %s: %d %s", id, r.Status, r.Raw)
			}
		}
		return fleet, acme
	}
	t.Run("refuse", func(t *testing.T) {
		h := newHarness(t, nil, nil)
		fleet, acme := assignFour(h)
		// The free seat goes first; then the seats in use are refused.
		check(t, h.put(fleet, "/api/v1/companies/acme-fleet/license/CoPilot", `{"seats": 2}`), 409,
			`{"error": {"code": "conflict", "field": "seats", "requestId": "<id>",
			  "message": "4 seats of CoPilot are in use; release 2 of them before lowering to 2",
			  "violations": [{"code": "SEATS_IN_USE", "field": "seats", "message": "4 seats of CoPilot are in use; release 2 of them before lowering to 2"}]}}`)
		check(t, h.get(acme, "/api/v1/license/CoPilot"), 200, `{"productId": "CoPilot", "owned": 5, "assigned": 4, "free": 1}`)
		check(t, h.put(fleet, "/api/v1/companies/acme-fleet/license/CoPilot", `{"seats": 4}`), 200,
			`{"company": {"id": "<id>", "alias": "acme-fleet", "name": "Acme Fleet", "createdAt": "<any>", "products": [
			  {"productId": "CoPilot", "owned": 4, "assigned": 4, "free": 0}, {"productId": "MileOn", "owned": 3, "assigned": 0, "free": 3}]},
			  "released": []}`)
	})
	t.Run("release the most recent", func(t *testing.T) {
		h := newHarness(t, nil, rulesWith(t, "shrink_policy: refuse", "shrink_policy: release_most_recent"))
		fleet, acme := assignFour(h)
		r := h.put(fleet, "/api/v1/companies/acme-fleet/license/CoPilot", `{"seats": 2}`)
		check(t, r, 200, `{"company": {"id": "<id>", "alias": "acme-fleet", "name": "Acme Fleet", "createdAt": "<any>", "products": [
		  {"productId": "CoPilot", "owned": 2, "assigned": 2, "free": 0}, {"productId": "MileOn", "owned": 3, "assigned": 0, "free": 3}]},
		  "released": [{"externalId": "u4", "userId": "<id>", "licenseId": "<id>", "assignmentId": "<id>"},
		               {"externalId": "u3", "userId": "<id>", "licenseId": "<id>", "assignmentId": "<id>"}]}`)
		check(t, h.post(acme, "/api/v1/license/CoPilot", `{"externalId": "u4"}`), 409, `{"error": {"code": "conflict", "field": "externalId",
		  "message": "no free seat of CoPilot", "requestId": "<id>", "violations": [{"code": "NO_FREE_SEAT", "field": "externalId", "message": "no free seat of CoPilot"}]}}`)
	})
}

// TestRateLimits: authenticating is limited per address and a token's
// requests per account; both answer 429 with Retry-After in the envelope.
func TestRateLimits(t *testing.T) {
	h := newHarnessWith(t, nil, nil, httpapi.Limits{TokenPerAddress: 0.001, TokenPerAddressBurst: 2, PerClient: 0.001, PerClientBurst: 2})
	acme := h.authenticate(apiKey, "acme-fleet")
	h.authenticate(apiKey, "")
	r := h.post("", "/api/v1/authenticate", `{"apiKey": "`+apiKey+`"}`)
	check(t, r, 429, errorBody("rate_limited", "apiKey", "too many authenticate requests from this address; retry later"))
	if r.Header.Get("Retry-After") == "" {
		t.Errorf("a 429 without Retry-After: %v", r.Header)
	}
	h.get(acme, "/api/v1/users")
	h.get(acme, "/api/v1/users")
	r = h.post(acme, "/api/v1/users", `{"externalId": "not-read"}`)
	check(t, r, 429, errorBody("rate_limited", "", "too many requests; retry later"))
	if r.Header.Get("Retry-After") == "" {
		t.Errorf("a 429 without Retry-After: %v", r.Header)
	}
}
