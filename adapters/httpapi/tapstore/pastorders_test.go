package tapstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/internal/pgtest"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/adapters/sqlite"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/dataset"
)

// everyStore returns a constructor of an empty store of each kind: memory,
// SQLite, and PostgreSQL when ENTITLE_POSTGRES_DSN is set (then a database
// that does not open fails the test).
func everyStore() map[string]func(t *testing.T) ports.Store {
	stores := map[string]func(t *testing.T) ports.Store{
		"memory": func(*testing.T) ports.Store { return memory.New() },
		"sqlite": func(t *testing.T) ports.Store {
			s, err := sqlite.Open(filepath.Join(t.TempDir(), "entitle.db"), sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
	if dsn := os.Getenv("ENTITLE_POSTGRES_DSN"); dsn != "" {
		stores["postgres"] = func(t *testing.T) ports.Store {
			s, err := postgres.Open(context.Background(), dsn, postgres.Options{Schema: pgtest.Schema(t, dsn)})
			if err != nil {
				t.Fatalf("ENTITLE_POSTGRES_DSN is set but the store does not open: %v", err)
			}
			return s
		}
	}
	return stores
}

// The example data set's past order: tap-client's, placed in the TAP Store
// before the API, numbered there.
const pastOrderAnswer = `{
  "statusCode": 200, "status": "SUCCESS", "uniqueID": 9917,
  "orderHdr": {
    "orderCreationDate": "03-JUN-24 04.20.00.000000 PM UTC", "orderNumber": 2298113, "currencyCode": "USD",
    "poNumber": "PO-STORE-2024-117", "customerOrderRef": "iStore 117",
    "billToCustomerName": "Trimble Reseller Americas", "shipToCustomerName": "Trimble Reseller Americas",
    "orderStatus": "SUCCESS", "invoiceNumber": null, "invoiceAmount": null, "creditMemoNumber": null, "creditMemoAmount": null
  },
  "orderLine": [{
    "lineNumber": 1, "serviceType": "RTX", "manufacturerModel": "R12", "serialNumber": "5512345678",
    "partNumber": "132001-30", "partDescription": "CenterPoint RTX 5 Years",
    "serviceStartDate": "2024-06-03", "serviceEndDate": "2029-06-03", "durationOfService": 1826, "quantity": 1,
    "ssoUserId": "", "deviceKey": "", "autoRenewalFlag": "N"
  }]
}`

func pastActivation(requestType, passcode, otaStatus string) string {
	return `{
      "serialNumber": "5512345678", "partNumber": "132001-30", "partDescription": "CenterPoint RTX 5 Years",
      "serviceStartDate": "2024-06-03", "serviceEndDate": "2029-06-03",
      "activationRequestType": "` + requestType + `", "passcode": "` + passcode + `",
      "masterUnlock": "", "masterUnlockQrcode": "", "qrCodeLink": "",
      "passcodeActivationStatus": "", "passcodeActivationErrorMsg": "",
      "otaActivationStatus": "` + otaStatus + `", "otaActivationErrorMsg": "",
      "passcodeFileType": "", "passcodeFileContent": "", "masterUnlockFileType": "", "masterUnlockFileContent": ""}`
}

// TestPastOrders: an order of the data file, placed before the API, answers
// TAP_GET_ORDER_API by serialNumber, poNumber and uniqueID, and its
// subscription answers activation status and resend, for its client only
// (seed 001: "orders not created via the API and existing in the TAP
// Store"), on every store; loading the file again changes nothing.
func TestPastOrders(t *testing.T) {
	for name, open := range everyStore() {
		t.Run(name, func(t *testing.T) {
			h := newHandlerOn(t, open(t), nil)
			tok := h.tokenFor(tapClient, tapSecret)
			other := h.tokenFor(anotherClient, anotherSecret)

			for _, req := range []string{`{"serialNumber": "5512345678"}`, `{"poNumber": "PO-STORE-2024-117"}`, `{"uniqueID": "9917"}`} {
				check(t, h.get(tok, envelope("TAP_GET_ORDER_API", req)), 200, pastOrderAnswer)
				check(t, h.get(other, envelope("TAP_GET_ORDER_API", req)), 400, noRecords)
			}

			// No activation was asked for through entitle yet.
			check(t, h.get(tok, envelope("TAP_GET_ACTIVATION_STATUS_API", `{"serialNumber": "5512345678"}`)), 200,
				activations(pastActivation("", "", "PENDING")))
			check(t, h.get(tok, envelope("TAP_GET_ACTIVATION_STATUS_API", `{"orderNumber": 2298113}`)), 200,
				activations(pastActivation("", "", "PENDING")))
			noData := `{"statusCode": "400", "status": "Error", "uniqueId": "<string>", "errorMessage": "No data found"}`
			check(t, h.get(other, envelope("TAP_GET_ACTIVATION_STATUS_API", `{"serialNumber": "5512345678"}`)), 400, noData)
			check(t, h.post(other, "", envelope("TAP_RESEND_ACTIVATION_API", `{"serialNumber": "5512345678"}`)), 400,
				`{"statusCode": 400, "status": "ERROR", "uniqueId": "<number>", "errorMessage": ["No data found"]}`)

			r := h.post(tok, "", envelope("TAP_RESEND_ACTIVATION_API", `{"serialNumber": "5512345678", "orderNumber": "2298113"}`))
			check(t, r, 200, `{"statusCode": 200, "status": "SUCCESS", "uniqueId": "<number>"}`)
			h.deliver()
			h.advance(15 * time.Minute)
			r = h.get(tok, envelope("TAP_GET_ACTIVATION_STATUS_API", `{"serialNumber": "5512345678"}`))
			if got := r.body["activations"]; r.status != 200 || len(got.([]any)) != 1 ||
				got.([]any)[0].(map[string]any)["activationRequestType"] != "RESEND" ||
				got.([]any)[0].(map[string]any)["otaActivationStatus"] != "COMPLETED" {
				t.Errorf("after the resend: %d %s", r.status, r.raw)
			}

			// Loading the file again neither duplicates the order nor
			// rolls back what happened to it since.
			ds, err := loadExample()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ds.Load(context.Background(), h.store); err != nil {
				t.Fatal(err)
			}
			check(t, h.get(tok, envelope("TAP_GET_ORDER_API", `{"poNumber": "PO-STORE-2024-117"}`)), 200, pastOrderAnswer)
			var n int
			if err := h.store.View(context.Background(), func(tx ports.Tx) error {
				os, err := tx.Orders().Find(context.Background(), domain.OrderQuery{ClientID: tapClient, PONumber: "PO-STORE-2024-117"})
				n = len(os)
				return err
			}); err != nil || n != 1 {
				t.Errorf("%d orders with the PO after a reload (%v), want 1", n, err)
			}
			r2 := h.get(tok, envelope("TAP_GET_ACTIVATION_STATUS_API", `{"serialNumber": "5512345678"}`))
			if r2.status != 200 || r2.body["activations"].([]any)[0].(map[string]any)["activationRequestType"] != "RESEND" {
				t.Errorf("the reload rolled back the resend: %s", r2.raw)
			}

			// The API's own orders are numbered from the seed's 13331 on.
			check(t, h.post(tok, "", sampleOrder), 200, `{"statusCode": 200, "status": "SUCCESS", "uniqueId": 13331}`)
		})
	}
}

// TestPastOrderRefused: a data file whose past order is wrong is refused
// naming each field at fault, and nothing of it is loaded, on every store:
// what the file shows (a line without serialNumber) and what only the store
// can tell (a part it does not hold, a uniqueID it gave another order).
func TestPastOrderRefused(t *testing.T) {
	bad := `
orders:
  - {uniqueID: 9917, orderNumber: 2298999, clientId: tap-client, poNumber: PO-OTHER, currencyCode: USD, billToSiteUseId: 531807,
     createdAt: 2024-07-01T00:00:00Z, lines: [{lineNumber: 1, serialNumber: "5500000001", partNumber: 132001-10, serviceStartDate: 2024-07-01}]}
  - {uniqueID: 9920, orderNumber: 2298120, clientId: tap-client, poNumber: PO-BAD, currencyCode: USD, billToSiteUseId: 531807,
     createdAt: 2024-07-01T00:00:00Z, lines: [{lineNumber: 1, serialNumber: "5500000002", partNumber: NO-SUCH-PART, serviceStartDate: 2024-07-01}]}
`
	for name, open := range everyStore() {
		t.Run(name, func(t *testing.T) {
			h := newHandlerOn(t, open(t), nil)
			tok := h.tokenFor(tapClient, tapSecret)
			// The first file is the example with a bad order added; the
			// second is loaded alone on top of the example.
			for i, tc := range []struct {
				data   string
				fields []string
			}{
				{"orders:\n  - {uniqueID: 9921, orderNumber: 2298121, clientId: tap-client, poNumber: PO-X, currencyCode: USD, billToSiteUseId: 531807, createdAt: 2024-07-01T00:00:00Z, lines: [{lineNumber: 1, partNumber: 132001-10, serviceStartDate: 2024-07-01}]}\n",
					[]string{"orders[1].lines[0].serialNumber"}},
				{bad, []string{"orders[0].uniqueID", "orders[1].lines[0].partNumber"}},
			} {
				ds, err := loadExample()
				if err != nil {
					t.Fatal(err)
				}
				more, err := dataset.Parse([]byte(tc.data))
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					more = ds.Merge(more)
				}
				_, err = more.Load(context.Background(), h.store)
				var de *domain.Error
				if !errors.As(err, &de) || de.Code != domain.CodeInvalid {
					t.Fatalf("loaded: %v, want CodeInvalid", err)
				}
				for _, f := range tc.fields {
					if !slices.ContainsFunc(de.Violations, func(v domain.Violation) bool { return v.Field == f }) {
						t.Errorf("no problem names %s: %v", f, de.Violations)
					}
				}
			}
			for _, po := range []string{"PO-X", "PO-OTHER", "PO-BAD"} {
				check(t, h.get(tok, envelope("TAP_GET_ORDER_API", `{"poNumber": "`+po+`"}`)), 400, noRecords)
			}
			check(t, h.get(tok, envelope("TAP_GET_ORDER_API", `{"poNumber": "PO-STORE-2024-117"}`)), 200, pastOrderAnswer)
		})
	}
}
