package managedbilling_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi/managedbilling"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// TestTenancy: a session reaches only its own account's links; another
// client's bearer, session or accounts are no one's here.
func TestTenancy(t *testing.T) {
	h := newHarness(t, memory.New())
	bearer, rival := h.bearer(clientID, clientSecret), h.bearer(rivalID, rivalSecret)
	ps, s1 := h.login(bearer, primary), h.login(bearer, managed1)
	r := h.post(bearer, ps, "/managedaccounts/actions/add", seedAdd)
	txid, _ := r.Obj()["TxId"].(string)

	// Another client's bearer cannot log in a login of this client, and
	// cannot carry this client's session.
	check(t, h.loginAs(rival, logins[primary], password), 400,
		errorBody("INVALID_PARAMETER", "UWS verification failure (unknown username or wrong password)"))
	check(t, h.get(rival, ps, "/managedaccounts/1234567890-00001/service/Location"), 400,
		errorBody("INVALID_PARAMETER", "UWS verification failure (the session token is unknown; log in with POST /api/m2m/v1/session/login)"))
	// Another client's primary: this client's accounts are unknown names.
	rs := h.login(rival, rivalPrim)
	check(t, h.post(rival, rs, "/managedaccounts/actions/add", `{"accountName": "7778889999-00001", "serviceName": "Location",
	  "type": "TS-LOC-COARSE-CellID-Aggr", "managedAccList": ["1223334444-00001", "5556667777-00001"]}`), 200,
		`{"TxId": "<any>", "statusList": [{"id": "1223334444-00001", "status": "Fail", "reason": "Invalid account name"},
		  {"id": "5556667777-00001", "status": "Fail", "reason": "Invalid account name"}]}`)
	check(t, h.get(rival, rs, "/managedaccounts/1234567890-00001/service/Location"), 400, errorBody("INVALID_REQUEST",
		"accountName: the session is of account 7778889999-00001, not 1234567890-00001: log in as 1234567890-00001"))
	// A managed account's session cannot add or list as the primary, and
	// the primary's cannot provision for a managed account.
	check(t, h.get(bearer, s1, "/managedaccounts/1234567890-00001/service/Location"), 400, errorBody("INVALID_REQUEST",
		"accountName: the session is of account 1223334444-00001, not 1234567890-00001: log in as 1234567890-00001"))
	check(t, h.post(bearer, s1, "/managedaccounts/actions/add", seedAdd), 400, errorBody("INVALID_REQUEST",
		"accountName: the session is of account 1223334444-00001, not 1234567890-00001: log in as 1234567890-00001"))
	check(t, h.post(bearer, ps, "/managedaccounts/actions/provision", link(managed1, primary, txid)), 400, errorBody("INVALID_REQUEST",
		"accountName: the session is of account 1234567890-00001, not 1223334444-00001: log in as 1223334444-00001"))
	// A SKU the primary did not buy, another service.
	check(t, h.post(bearer, ps, "/managedaccounts/actions/add", strings.Replace(seedAdd, "TS-LOC-COARSE-CellID-Aggr", "TS-LOC-PRECISE", 1)), 400,
		errorBody("INVALID_PARAMETER", "type TS-LOC-PRECISE is not a SKU account 1234567890-00001 bought"))
	check(t, h.post(bearer, ps, "/managedaccounts/actions/add", strings.Replace(seedAdd, `"Location"`, `"fota"`, 1)), 400,
		errorBody("INVALID_PARAMETER", "serviceName fota is not one of Location"))

	// Credentials of another API, and none.
	check(t, h.get("", ps, "/managedaccounts/1234567890-00001/service/Location"), 401, theFault)
	check(t, h.get("not-a-token", ps, "/managedaccounts/1234567890-00001/service/Location"), 401, theFault)
	check(t, h.get(ps, ps, "/managedaccounts/1234567890-00001/service/Location"), 401, theFault)
	check(t, h.get(bearer, "", "/managedaccounts/1234567890-00001/service/Location"), 400,
		errorBody("INVALID_PARAMETER", "UWS verification failure (the session token is unknown; log in with POST /api/m2m/v1/session/login)"))
	check(t, h.get(bearer, bearer, "/managedaccounts/1234567890-00001/service/Location"), 400,
		errorBody("INVALID_PARAMETER", "UWS verification failure (the session token is unknown; log in with POST /api/m2m/v1/session/login)"))
	check(t, h.loginAs(ps, logins[primary], password), 401, theFault)
	check(t, h.token(clientID, "wrong-secret-0123456789", "grant_type=client_credentials"), 401,
		`{"error": "invalid_client", "error_description": "Client Authentication failed."}`)
	check(t, h.token("", "", "grant_type=client_credentials"), 401, `{"error": "invalid_client", "error_description": "<any>"}`)
	check(t, h.token(clientID, clientSecret, "grant_type=password"), 400, `{"error": "unsupported_grant_type", "error_description": "<any>"}`)
	check(t, h.token(clientID, clientSecret, "grant_type=client_credentials&client_secret=x"), 400,
		`{"error": "invalid_request", "error_description": "client_secret is not a parameter of this request"}`)
}

// TestLoginLock: five wrong passwords in a row lock the login; a right one
// afterwards is refused too, and the account's other logins are untouched.
func TestLoginLock(t *testing.T) {
	h := newHarness(t, memory.New())
	bearer := h.bearer(clientID, clientSecret)
	locked := errorBody("INVALID_REQUEST", "username: the login is locked after 5 wrong passwords in a row; ask the account's administrator to unlock it")
	for range 4 {
		check(t, h.loginAs(bearer, logins[managed1], "wrong-password-123"), 400,
			errorBody("INVALID_PARAMETER", "UWS verification failure (unknown username or wrong password)"))
	}
	check(t, h.loginAs(bearer, logins[managed1], "wrong-password-123"), 400, locked)
	// The kit slows the sixth try down first (429, Retry-After)...
	r := h.loginAs(bearer, logins[managed1], password)
	check(t, r, 429, `{"errorCode": "TOO_MANY_REQUESTS", "errorMessage": "<any>"}`)
	if r.Header.Get("Retry-After") == "" {
		t.Errorf("a 429 without Retry-After")
	}
	// ... and once it may try again, the login is locked in the store.
	h.advance(time.Hour)
	bearer = h.bearer(clientID, clientSecret)
	check(t, h.loginAs(bearer, logins[managed1], password), 400, locked)
	h.login(bearer, managed2)
}

// TestBlockedAccount: while an account is blocked (seed 003's block records,
// at the clock's instant), its logins and sessions are refused.
func TestBlockedAccount(t *testing.T) {
	h := newHarness(t, memory.New())
	bearer := h.bearer(clientID, clientSecret)
	ps := h.login(bearer, primary)
	ctx := context.Background()
	err := h.store.Update(ctx, func(tx ports.Tx) error {
		a, err := tx.Accounts().ByAlias(ctx, primary)
		if err != nil {
			return err
		}
		a.Blocks = append(a.Blocks, domain.BlockRecord{Blocked: true, At: start.Add(time.Minute)})
		return tx.Accounts().Put(ctx, a)
	})
	if err != nil {
		t.Fatal(err)
	}
	check(t, h.get(bearer, ps, "/managedaccounts/1234567890-00001/service/Location"), 200, `{"accountName": "1234567890-00001",
	  "ManagedAccAddedList": [], "managedAccProvisionedList": []}`)
	h.advance(time.Minute)
	blocked := errorBody("INVALID_REQUEST", "account: the account is blocked")
	check(t, h.get(bearer, ps, "/managedaccounts/1234567890-00001/service/Location"), 400, blocked)
	check(t, h.post(bearer, ps, "/managedaccounts/actions/add", seedAdd), 400, blocked)
	check(t, h.loginAs(bearer, logins[primary], password), 400, blocked)
}

// TestHostileInput: what a careless or hostile client sends is refused with
// the vendor's envelope naming the problem, before or without any change.
func TestHostileInput(t *testing.T) {
	h := newHarness(t, memory.New())
	bearer := h.bearer(clientID, clientSecret)
	ps := h.login(bearer, primary)
	add := func(body, ct string) reply {
		return h.do(req{method: http.MethodPost, path: managedbilling.Prefix + "/managedaccounts/actions/add", bearer: bearer, session: ps,
			body: body, contentType: ct})
	}
	for _, tc := range []struct{ name, body, ct, want string }{
		{"an unknown field", `{"accountName": "1234567890-00001", "primary": true}`, "",
			errorBody("INVALID_PARAMETER", "primary is not a field of this request")},
		{"another case", `{"AccountName": "1234567890-00001"}`, "",
			errorBody("INVALID_PARAMETER", "AccountName is not a field of this request (write accountName); field names are case-sensitive")},
		{"a key twice", `{"type": "a", "type": "b"}`, "", errorBody("INVALID_PARAMETER", "type is given twice")},
		{"a NUL", `{"accountName": "1234567890-00001\u0000"}`, "", `{"errorCode": "INVALID_PARAMETER", "errorMessage": "<any>"}`},
		{"malformed", `{"accountName": `, "", errorBody("INVALID_PARAMETER", "the JSON ends early")},
		{"everything missing", `{}`, "", errorBody("INVALID_PARAMETER", "accountName is required: the primary account's name, such as 1234567890-00001; "+
			`serviceName is required: the service, "Location"; type is required: the SKU the primary account bought; managedAccList is required: the accounts to manage`)},
		{"a long name", `{"accountName": "` + strings.Repeat("9", 100_000) + `", "serviceName": "Location", "type": "t", "managedAccList": ["x"]}`, "",
			`{"errorCode": "INVALID_PARAMETER", "errorMessage": "<any>"}`},
		{"10,001 accounts", `{"accountName": "1234567890-00001", "serviceName": "Location", "type": "TS-LOC-COARSE-CellID-Aggr", "managedAccList": [` +
			strings.TrimSuffix(strings.Repeat(`"1223334444-00001",`, 10_001), ",") + `]}`, "",
			errorBody("INVALID_PARAMETER", "managedAccList lists 10001 accounts; at most 10000 per request")},
		{"1,001 accounts (the rule file's limit)", `{"accountName": "1234567890-00001", "serviceName": "Location", "type": "TS-LOC-COARSE-CellID-Aggr", "managedAccList": [` +
			strings.TrimSuffix(strings.Repeat(`"1223334444-00001",`, 1001), ",") + `]}`, "",
			errorBody("INVALID_PARAMETER", "managedAccList: at most 1000 accounts per request; this one names 1001")},
		{"not JSON", `accountName=1`, "application/x-www-form-urlencoded",
			errorBody("UNSUPPORTED_MEDIA_TYPE", `Content-Type "application/x-www-form-urlencoded" is not supported; send the body as application/json`)},
		{"over 1 MiB", `{"accountName": "` + strings.Repeat("x", 1<<20) + `"}`, "", errorBody("REQUEST_TOO_LARGE", "the request body is larger than 1 MiB")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := add(tc.body, tc.ct)
			status := 400
			switch {
			case strings.Contains(tc.want, "UNSUPPORTED"):
				status = 415
			case strings.Contains(tc.want, "TOO_LARGE"):
				status = 413
			}
			check(t, r, status, tc.want)
		})
	}
	check(t, h.get(bearer, ps, "/managedaccounts/1234567890-00001/service/Location/status/DONE"), 400,
		errorBody("INVALID_PARAMETER", `status "DONE" is not ADD or PROVISION`))
	check(t, h.get(bearer, ps, "/managedaccounts/1234567890-00001/service/Location?status=ADD"), 400,
		errorBody("INVALID_PARAMETER", "status is not a parameter of this request"))
	check(t, h.get(bearer, ps, "/managedaccounts/actions/add"), 405, errorBody("METHOD_NOT_ALLOWED", "/api/subsc/v1/managedaccounts/actions/add answers POST, not GET"))
	check(t, h.get(bearer, ps, "/managedaccount/actions/add"), 404,
		errorBody("NOT_FOUND", "there is no route at /api/subsc/v1/managedaccount/actions/add; see the managed-billing API's OpenAPI document"))
	// Nothing was added by any of it.
	check(t, h.get(bearer, ps, "/managedaccounts/1234567890-00001/service/Location"), 200, `{"accountName": "1234567890-00001",
	  "ManagedAccAddedList": [], "managedAccProvisionedList": []}`)

	// An Idempotency-Key retry gets the first answer.
	send := func(body string) reply {
		return h.do(req{method: http.MethodPost, path: managedbilling.Prefix + "/managedaccounts/actions/add", bearer: bearer, session: ps,
			body: body, header: map[string]string{"Idempotency-Key": "add-1"}})
	}
	first, again := send(seedAdd), send(seedAdd)
	if first.Status != 200 || again.Raw != first.Raw || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("a retry: %d %s, then %s %v", first.Status, first.Raw, again.Raw, again.Header)
	}
	check(t, send(strings.Replace(seedAdd, "3445556666-00001", "1223334444-00001", 1)), 422, `{"errorCode": "IDEMPOTENCY_KEY_REUSED", "errorMessage": "<any>"}`)
}
