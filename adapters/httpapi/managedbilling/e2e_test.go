package managedbilling_test

import (
	"strings"
	"testing"
	"time"
)

// seedAdd is seed 002's add request, verbatim.
const seedAdd = `{
"accountName": "1234567890-00001",
"serviceName": "Location",
"type": "TS-LOC-COARSE-CellID-Aggr",
"managedAccList": [
"1223334444-00001",
"2334445555-00001",
"3445556666-00001"
]
}`

// TestManagedBillingFlow walks seed 002 and its companion pages over HTTP on
// every store: a bearer, the primary's session, the seed's add request
// verbatim, each managed account's session and provision with the TxId,
// the lists by status, a cancel, and another primary adding the account
// once it is free. Every answer is checked against the OpenAPI document,
// and the flow sees every documented operation succeed.
func TestManagedBillingFlow(t *testing.T) {
	for name := range drivers.Stores() {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, drivers.Open(t, name))
			flow(t, h)
			for _, op := range h.spec.NeverSucceeded() {
				t.Errorf("the flow never saw %s succeed", op)
			}
		})
	}
}

func flow(t *testing.T, h *harness) {
	r := h.token(clientID, clientSecret, "grant_type=client_credentials")
	check(t, r, 200, `{"access_token": "<any>", "token_type": "Bearer", "expires_in": 3600}`)
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("a token answer without Cache-Control: no-store: %v", r.Header)
	}
	bearer := r.Obj()["access_token"].(string)

	// "This request must be sent with a VZ-M2M-Token created with the
	// primary account's UWS credentials."
	r = h.loginAs(bearer, "primary@example.com", password)
	check(t, r, 200, `{"sessionToken": "<any>"}`)
	ps := r.Obj()["sessionToken"].(string)

	r = h.post(bearer, ps, "/managedaccounts/actions/add", seedAdd)
	check(t, r, 200, `{"TxId": "<any>", "statusList": [
	  {"id": "1223334444-00001", "status": "Success", "reason": "Success"},
	  {"id": "2334445555-00001", "status": "Success", "reason": "Success"},
	  {"id": "3445556666-00001", "status": "Success", "reason": "Success"}]}`)
	tx1, _ := r.Obj()["TxId"].(string)
	// "These accounts will be added to any accounts that are already on the
	// list": adding again is harmless; each account is answered on its own.
	r = h.post(bearer, ps, "/managedaccounts/actions/add", `{"accountName": "1234567890-00001", "serviceName": "Location",
	  "type": "TS-LOC-COARSE-CellID-Aggr", "managedAccList": ["1223334444-00001", "12233344-00001", "4445556666-00001",
	  "9999999999-00001", "1234567890-00001", "7778889999-00001"]}`)
	check(t, r, 200, `{"TxId": "<any>", "statusList": [
	  {"id": "1223334444-00001", "status": "Success", "reason": "Success: already added by this primary account with TxId `+tx1+`"},
	  {"id": "12233344-00001", "status": "Fail", "reason": "Invalid account name"},
	  {"id": "4445556666-00001", "status": "Fail", "reason": "Unregistered account"},
	  {"id": "9999999999-00001", "status": "Fail", "reason": "Invalid account name"},
	  {"id": "1234567890-00001", "status": "Fail", "reason": "A primary account cannot manage itself"},
	  {"id": "7778889999-00001", "status": "Fail", "reason": "Invalid account name"}]}`)
	tx2, _ := r.Obj()["TxId"].(string)
	if tx1 == "" || tx2 == "" || tx1 == tx2 {
		t.Fatalf("the TxIds of two add requests: %q, %q", tx1, tx2)
	}
	list := func(status string) reply {
		path := "/managedaccounts/1234567890-00001/service/Location"
		if status != "" {
			path += "/status/" + status
		}
		return h.get(bearer, ps, path)
	}
	check(t, list(""), 200, `{"accountName": "1234567890-00001", "ManagedAccAddedList": [
	  {"id": "1223334444-00001", "txid": "`+tx1+`"}, {"id": "2334445555-00001", "txid": "`+tx1+`"},
	  {"id": "3445556666-00001", "txid": "`+tx1+`"}], "managedAccProvisionedList": []}`)

	// "Each managed account logs in with its own UWS credentials and calls
	// provision" with the add's TxId (TxId or txid).
	s1, s2, s3 := h.login(bearer, managed1), h.login(bearer, managed2), h.login(bearer, managed3)
	check(t, h.post(bearer, s1, "/managedaccounts/actions/provision", link(managed1, primary, tx2)), 200,
		`{"txid": "`+tx2+`", "accountName": "1223334444-00001", "paccountName": "1234567890-00001", "serviceName": "Location",
		  "status": "Fail", "reason": "Invalid TxId"}`)
	for _, m := range []struct{ account, session, body string }{
		{managed1, s1, link(managed1, primary, tx1)},
		{managed2, s2, strings.Replace(link(managed2, primary, tx1), `"TxId"`, `"txid"`, 1)},
		{managed3, s3, link(managed3, primary, tx1)},
	} {
		check(t, h.post(bearer, m.session, "/managedaccounts/actions/provision", m.body), 200,
			`{"txid": "`+tx1+`", "accountName": "`+m.account+`", "paccountName": "1234567890-00001", "serviceName": "Location",
			  "status": "Success", "reason": "Success"}`)
	}
	// Provisioning again is harmless.
	check(t, h.post(bearer, s1, "/managedaccounts/actions/provision", link(managed1, primary, tx1)), 200,
		`{"txid": "`+tx1+`", "accountName": "1223334444-00001", "paccountName": "1234567890-00001", "serviceName": "Location",
		  "status": "Success", "reason": "Success"}`)
	check(t, list("ADD"), 200, `{"accountName": "1234567890-00001", "ManagedAccAddedList": [], "managedAccProvisionedList": []}`)
	check(t, list("PROVISION"), 200, `{"accountName": "1234567890-00001", "ManagedAccAddedList": [], "managedAccProvisionedList": [
	  {"id": "1223334444-00001", "txid": "`+tx1+`"}, {"id": "2334445555-00001", "txid": "`+tx1+`"},
	  {"id": "3445556666-00001", "txid": "`+tx1+`"}]}`)

	// "To stop, the managed account calls cancel"; the link then shows under
	// ADD ("added but not yet activated, or cancelled").
	check(t, h.post(bearer, s3, "/managedaccounts/actions/cancel", link(managed3, primary, tx1)), 200,
		`{"txid": "`+tx1+`", "accountName": "3445556666-00001", "paccountName": "1234567890-00001", "serviceName": "Location",
		  "status": "Success", "reason": "Success"}`)
	check(t, list("ADD"), 200, `{"accountName": "1234567890-00001", "ManagedAccAddedList": [
	  {"id": "3445556666-00001", "txid": "`+tx1+`"}], "managedAccProvisionedList": []}`)

	// Another primary may add it now, and no other.
	p2 := h.login(bearer, primary2)
	r = h.post(bearer, p2, "/managedaccounts/actions/add", `{"accountName": "5556667777-00001", "serviceName": "Location",
	  "type": "TS-LOC-COARSE-CellID-Aggr", "managedAccList": ["3445556666-00001", "1223334444-00001"]}`)
	check(t, r, 200, `{"TxId": "<any>", "statusList": [{"id": "3445556666-00001", "status": "Success", "reason": "Success"},
		  {"id": "1223334444-00001", "status": "Fail", "reason": "Account is managed by another primary account"}]}`)
	tx3, _ := r.Obj()["TxId"].(string)
	check(t, h.post(bearer, s3, "/managedaccounts/actions/provision", link(managed3, primary, tx1)), 200,
		`{"txid": "`+tx1+`", "accountName": "3445556666-00001", "paccountName": "1234567890-00001", "serviceName": "Location",
		  "status": "Fail", "reason": "The account was not added for managed billing by this primary account"}`)
	check(t, h.post(bearer, s3, "/managedaccounts/actions/provision", link(managed3, primary2, tx3)), 200,
		`{"txid": "`+tx3+`", "accountName": "3445556666-00001", "paccountName": "5556667777-00001", "serviceName": "Location",
		  "status": "Success", "reason": "Success"}`)
	check(t, h.get(bearer, p2, "/managedaccounts/5556667777-00001/service/Location"), 200, `{"accountName": "5556667777-00001",
	  "ManagedAccAddedList": [], "managedAccProvisionedList": [{"id": "3445556666-00001", "txid": "`+tx3+`"}]}`)
	check(t, list("PROVISION"), 200, `{"accountName": "1234567890-00001", "ManagedAccAddedList": [], "managedAccProvisionedList": [
	  {"id": "1223334444-00001", "txid": "`+tx1+`"}, {"id": "2334445555-00001", "txid": "`+tx1+`"}]}`)

	// A session lives 20 minutes from its last use.
	h.advance(19 * time.Minute)
	check(t, list("PROVISION"), 200, `{"accountName": "1234567890-00001", "ManagedAccAddedList": [], "managedAccProvisionedList": "<any>"}`)
	h.advance(19 * time.Minute)
	check(t, list("PROVISION"), 200, `{"accountName": "1234567890-00001", "ManagedAccAddedList": [], "managedAccProvisionedList": "<any>"}`)
	check(t, h.post(bearer, s1, "/managedaccounts/actions/cancel", link(managed1, primary, tx1)), 400,
		errorBody("INVALID_PARAMETER", "UWS verification failure (The Session has expired.)"))
	// The bearer lives an hour.
	h.advance(30 * time.Minute)
	r = list("")
	check(t, r, 401, theFault)
	if r.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("a 401 without WWW-Authenticate")
	}
}
