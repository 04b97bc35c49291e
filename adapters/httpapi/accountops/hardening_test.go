package accountops_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/memory"
)

// TestTenancy: a partner reaches only its own accounts; another partner's
// answers exactly as an id that does not exist, on every route, and nothing
// of it changes.
func TestTenancy(t *testing.T) {
	h := newHarness(t, memory.New())
	hidden := errorBody("FORBIDDEN", "", "You don't have permission to access this account, or it does not exist.")
	for _, id := range []string{"33333", "99999"} {
		base := "/partner/accounts/" + id
		check(t, h.get(h.token, base), 403, hidden)
		check(t, h.send(http.MethodPatch, h.token, base+"/set-blocked", `{"blocked": true}`), 403, hidden)
		check(t, h.send(http.MethodPatch, h.token, base+"/set-blocked-at", `{"blocked_at": 1748120400}`), 403, hidden)
		check(t, h.send(http.MethodPatch, h.token, "/accounts/"+id+"/set-blocked-at", `{"blocked_at": 1748120400}`), 403, hidden)
		check(t, h.send(http.MethodPut, h.token, base+"/client-plan", `{"tariff_plan_id": "6a00bbbbbbbbbbbbbb02", "app_id": "b901da51-ce00-4af2-b978-8d0fca8ae1ea"}`), 403, hidden)
		check(t, h.get(h.token, base+"/subscriptions"), 403, hidden)
		check(t, h.get(h.token, base+"/limits?app_id=b901da51-ce00-4af2-b978-8d0fca8ae1ea"), 403, hidden)
	}
	// The other partner sees its own, and only its own.
	r := h.get(h.rival, "/partner/accounts/33333")
	check(t, r, 200, `{"data": "<any>"}`)
	if blocked := r.Obj()["data"].(map[string]any)["blocked"]; blocked != false {
		t.Errorf("another partner's account changed: %s", r.Raw)
	}
	check(t, h.get(h.rival, "/partner/accounts/11111"), 403, hidden)
	check(t, h.get(h.rival, "/partner/accounts/count"), 200, `{"data": 1}`)
	check(t, h.get(h.rival, "/partner/client-plans"), 200, `{"data": [{"id": "6a00bbbbbbbbbbbbbb02",
	  "app_id": "b901da51-ce00-4af2-b978-8d0fca8ae1ea", "name": "Another partner's", "description": "",
	  "quotas": {"unit": 0, "geofence": 0, "unit_storage": 0}, "modules": []}]}`)
}

// TestAccessTokens: a missing or unknown X-AccessToken is 403 INVALID_TOKEN,
// an expired one 401 TOKEN_EXPIRED, both before the body is read.
func TestAccessTokens(t *testing.T) {
	h := newHarness(t, memory.New())
	soon, err := h.access.IssueAccessToken(context.Background(), "gps-partner", start.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	invalid := errorBody("INVALID_TOKEN", "X-AccessToken", "Invalid token.")
	check(t, h.get("", "/partner/accounts/count"), 403, invalid)
	check(t, h.get("not-a-token", "/partner/accounts/count"), 403, invalid)
	check(t, h.do(req{method: http.MethodGet, path: "/partner/accounts/count", header: map[string]string{"Authorization": "Bearer " + h.token}}), 403, invalid)
	check(t, h.get(soon, "/partner/accounts/count"), 200, `{"data": 4}`)
	h.advance(time.Minute)
	expired := errorBody("TOKEN_EXPIRED", "X-AccessToken", "Token expired.")
	check(t, h.get(soon, "/partner/accounts/count"), 401, expired)
	// The body is not looked at: a huge one gets the same answer.
	check(t, h.send(http.MethodPatch, soon, "/partner/accounts/11111/set-blocked", `{"blocked": "`+strings.Repeat("x", 2<<20)+`"}`), 401, expired)
	check(t, h.get(h.token, "/partner/accounts/count"), 200, `{"data": 4}`)
}

// TestHostileInput: bodies, queries and paths a careless or hostile client
// sends are refused naming the problem, with the code the document gives,
// and change nothing.
func TestHostileInput(t *testing.T) {
	h := newHarness(t, memory.New())
	patch := func(body, ct string) reply {
		return h.do(req{method: http.MethodPatch, path: "/partner/accounts/11111/set-blocked", token: h.token, body: body, contentType: ct})
	}
	for _, tc := range []struct {
		name, body, ct string
		status         int
		want           string
	}{
		{"blocked as text", `{"blocked": "true"}`, "", 400, errorBody("INVALID_PAYLOAD", "blocked", "blocked must be true or false, not string")},
		{"an unknown field", `{"blocked": true, "until": 1}`, "", 400, errorBody("INVALID_PAYLOAD", "until", "until is not a field of this request")},
		{"another case", `{"Blocked": true}`, "", 400, errorBody("INVALID_PAYLOAD", "Blocked",
			"Blocked is not a field of this request (write blocked); field names are case-sensitive")},
		{"a key twice", `{"blocked": false, "blocked": true}`, "", 400, errorBody("INVALID_PAYLOAD", "blocked", "blocked is given twice")},
		{"malformed", `{"blocked": tr`, "", 400, `{"errors": [{"message": "<any>", "extensions": {"code": "INVALID_PAYLOAD"}}]}`},
		{"empty", `{}`, "", 400, errorBody("FAILED_VALIDATION", "blocked", "blocked is required: true to block the account, false to unblock it")},
		{"not JSON", `blocked=true`, "application/x-www-form-urlencoded", 415, errorBody("UNSUPPORTED_MEDIA_TYPE", "Content-Type",
			`Content-Type "application/x-www-form-urlencoded" is not supported; send the body as application/json`)},
		{"over 1 MiB", `{"blocked": true, "x": "` + strings.Repeat("x", 1<<20) + `"}`, "", 413, errorBody("CONTENT_TOO_LARGE", "", "the request body is larger than 1 MiB")},
	} {
		t.Run(tc.name, func(t *testing.T) { check(t, patch(tc.body, tc.ct), tc.status, tc.want) })
	}
	for _, tc := range []struct{ name, body, want string }{
		{"text", `{"blocked_at": "1748120400"}`, errorBody("INVALID_PAYLOAD", "blocked_at", `blocked_at must be a number, not "1748120400"`)},
		{"milliseconds", `{"blocked_at": 1748120400000000}`, errorBody("FAILED_VALIDATION", "blocked_at",
			"blocked_at 1748120400000000 must be a whole number of seconds since 1970-01-01 UTC, at most 253402300799")},
		{"a fraction", `{"blocked_at": 1748120400.5}`, errorBody("FAILED_VALIDATION", "blocked_at",
			"blocked_at 1748120400.5 must be a whole number of seconds since 1970-01-01 UTC, at most 253402300799")},
		{"in the past", `{"blocked_at": 1}`, errorBody("FAILED_VALIDATION", "blocked_at",
			"blocked_at 1 cannot be earlier than the current time (1747742400) plus 0 seconds")},
	} {
		t.Run("blocked_at "+tc.name, func(t *testing.T) {
			check(t, h.send(http.MethodPatch, h.token, "/partner/accounts/11111/set-blocked-at", tc.body), 400, tc.want)
		})
	}
	for _, tc := range []struct{ path, field, msg string }{
		{"/partner/accounts/0/set-blocked", "id", `the account id "0" must be a whole number from 1 to 9007199254740991`},
		{"/partner/accounts/9007199254740992/set-blocked", "id", `the account id "9007199254740992" must be a whole number from 1 to 9007199254740991`},
		{"/partner/accounts/-5/set-blocked", "id", `the account id "-5" must be a whole number from 1 to 9007199254740991`},
		{"/partner/accounts/abc/set-blocked", "id", `the account id "abc" must be a whole number from 1 to 9007199254740991`},
	} {
		check(t, h.send(http.MethodPatch, h.token, tc.path, `{"blocked": true}`), 400, errorBody("FAILED_VALIDATION", tc.field, tc.msg))
	}
	check(t, h.send(http.MethodPatch, h.token, "/partner/accounts/11111/set-blocked?force=1", `{"blocked": true}`), 400,
		errorBody("INVALID_QUERY", "force", "force is not a parameter of this request; it takes none"))
	check(t, h.get(h.token, "/partner/accounts/count?activated=true&activated=false"), 400,
		errorBody("INVALID_QUERY", "activated", "activated is given 2 times; give it once"))
	check(t, h.get(h.token, "/partner/accounts/count?is_attached=1"), 400,
		errorBody("INVALID_QUERY", "is_attached", `is_attached "1" must be true or false`))
	check(t, h.get(h.token, "/partner/accounts/count?app_id=%00"), 400, `{"errors": [{"message": "<any>", "extensions": {"code": "FAILED_VALIDATION", "field": "app_id"}}]}`)
	check(t, h.get(h.token, "/partner/accounts"), 404, errorBody("ROUTE_NOT_FOUND", "", "Route /partner/accounts doesn't exist."))
	check(t, h.get(h.token, "/partner/accounts/11111/set-blocked"), 404, errorBody("ROUTE_NOT_FOUND", "",
		"Route GET /partner/accounts/11111/set-blocked doesn't exist; this path answers PATCH."))
	check(t, h.send(http.MethodDelete, h.token, "/partner/accounts/11111", ""), 404, errorBody("ROUTE_NOT_FOUND", "",
		"Route DELETE /partner/accounts/11111 doesn't exist; this path answers GET."))
	// None of it changed 11111.
	check(t, h.get(h.token, "/partner/accounts/11111"), 200, account11111(false, "null", createdUnix))

	// An Idempotency-Key retry gets the first answer, even after the state
	// moved on; the same key with another body is refused.
	send := func(body string) reply {
		return h.do(req{method: http.MethodPatch, path: "/partner/accounts/11111/set-blocked-at", token: h.token, body: body,
			header: map[string]string{"Idempotency-Key": "schedule-1"}})
	}
	first := send(seedSchedule)
	h.setNow(time.Unix(seedBlockedAt, 0))
	again := send(seedSchedule)
	if first.Status != 200 || again.Raw != first.Raw || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("a retry: %d %s, then %s %v", first.Status, first.Raw, again.Raw, again.Header)
	}
	check(t, send(`{"blocked_at": 1748120401}`), 422, `{"errors": [{"message": "<any>", "extensions": {"code": "IDEMPOTENCY_KEY_REUSED", "field": "Idempotency-Key"}}]}`)
}
