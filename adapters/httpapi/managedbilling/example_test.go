package managedbilling_test

import (
	"testing"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/httpapi/internal/apitest"
	"github.com/entitle-rules/entitle/adapters/memory"
)

// TestExampleDataSet: with the example data set `entitle serve` loads on a
// first run and its public credentials, seed 002's add request, as written,
// answers as the seed shows, and each managed account provisions with the
// TxId.
func TestExampleDataSet(t *testing.T) {
	h := &harness{tb: t, store: memory.New(), spec: loadSpec(t)}
	t.Cleanup(func() { h.store.Close() })
	h.now.Store(start.UnixNano())
	apitest.LoadExample(t, h.store)
	h.serve(httpapi.Limits{})
	bearer := h.bearer("billing-client", "example-billing-secret-change-me")
	ps := h.login(bearer, primary)
	r := h.post(bearer, ps, "/managedaccounts/actions/add", seedAdd)
	check(t, r, 200, `{"TxId": "<any>", "statusList": [
	  {"id": "1223334444-00001", "status": "Success", "reason": "Success"},
	  {"id": "2334445555-00001", "status": "Success", "reason": "Success"},
	  {"id": "3445556666-00001", "status": "Success", "reason": "Success"}]}`)
	txid := r.Obj()["TxId"].(string)
	for _, m := range []string{managed1, managed2, managed3} {
		check(t, h.post(bearer, h.login(bearer, m), "/managedaccounts/actions/provision", link(m, primary, txid)), 200,
			`{"txid": "`+txid+`", "accountName": "`+m+`", "paccountName": "1234567890-00001", "serviceName": "Location",
			  "status": "Success", "reason": "Success"}`)
	}
	check(t, h.get(bearer, ps, "/managedaccounts/1234567890-00001/service/Location/status/PROVISION"), 200,
		`{"accountName": "1234567890-00001", "ManagedAccAddedList": [], "managedAccProvisionedList": [
		  {"id": "1223334444-00001", "txid": "`+txid+`"}, {"id": "2334445555-00001", "txid": "`+txid+`"},
		  {"id": "3445556666-00001", "txid": "`+txid+`"}]}`)
}
