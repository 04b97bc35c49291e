package tapstore_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/httpapi/internal/apitest"
	"github.com/entitle-rules/entitle/adapters/httpapi/tapstore"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/access"
	"github.com/entitle-rules/entitle/rules/dataset"
	"github.com/entitle-rules/entitle/rules/orders"
	"github.com/entitle-rules/entitle/rulesets"
)

// The harness: the store API over the memory store, the shipped rules and the
// example data set, at a fixed, movable instant.

// start is 2025-04-24 10:00 PDT, the day of the seed's sample dates.
var start = time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)

const (
	tapClient     = "tap-client"
	tapSecret     = "example-secret-change-me"
	anotherClient = "another-client"
	anotherSecret = "another-secret-change-me"
	storePath     = "/cloud/tapstoreapis/v1"
)

var loadRules = sync.OnceValues(func() (*rules.Set, error) { return orders.Language().Load(rulesets.FS) })

var loadExample = sync.OnceValues(func() (*dataset.Dataset, error) {
	b, err := os.ReadFile("../../cmd/entitle/example.yaml")
	if err != nil {
		return nil, err
	}
	ds, err := dataset.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("example.yaml: %w", err)
	}
	return ds, nil
})

type harness struct {
	tb    testing.TB
	now   atomic.Int64 // Unix nanoseconds of the clock
	store ports.Store
	api   *httpapi.Server
	srv   *httptest.Server // nil for harnesses that call api.ServeHTTP directly
	svc   *orders.Service
	// refuse, when set, is the error the Activator refuses every delivery with.
	refuse atomic.Pointer[error]
}

// deliver runs the deliverer until nothing is due, as RunDeliveries does
// after each commit.
func (h *harness) deliver() {
	h.tb.Helper()
	for {
		n, err := h.svc.DeliverDue(context.Background())
		if err != nil {
			h.tb.Fatalf("DeliverDue: %v", err)
		}
		if n == 0 {
			return
		}
	}
}

// newHarness returns the store API seeded with the example data set, served
// by an httptest server.
func newHarness(tb testing.TB) *harness {
	tb.Helper()
	h := newHandler(tb, nil)
	h.srv = httptest.NewServer(h.api)
	tb.Cleanup(h.srv.Close)
	return h
}

// newHandler is newHarness without the network. random is the source of
// tokens and request ids; nil means crypto/rand.
func newHandler(tb testing.TB, random io.Reader) *harness {
	tb.Helper()
	return newHandlerOn(tb, memory.New(), random)
}

// newHandlerOn is newHandler over store, which must be empty; the harness
// closes it.
func newHandlerOn(tb testing.TB, store ports.Store, random io.Reader) *harness {
	tb.Helper()
	return newHandlerWith(tb, store, random, httpapi.Limits{})
}

// newHandlerWith is newHandlerOn with the server's limits.
func newHandlerWith(tb testing.TB, store ports.Store, random io.Reader, limits httpapi.Limits) *harness {
	tb.Helper()
	set, err := loadRules()
	if err != nil {
		tb.Fatal(err)
	}
	ds, err := loadExample()
	if err != nil {
		tb.Fatal(err)
	}
	h := &harness{tb: tb, store: store}
	tb.Cleanup(func() { h.store.Close() })
	h.now.Store(start.UnixNano())
	clock := ports.ClockFunc(func() time.Time { return time.Unix(0, h.now.Load()).UTC() })
	var n atomic.Int64
	ids := ports.IDsFunc(func() string { return fmt.Sprintf("id%04d", n.Add(1)) })
	svc, err := orders.New(orders.Options{Store: h.store, Rules: set, Clock: clock, IDs: ids,
		Activator: ports.ActivatorFunc(func(context.Context, domain.Activation) error {
			if err := h.refuse.Load(); err != nil {
				return *err
			}
			return nil
		})})
	h.svc = svc
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := ds.Load(context.Background(), h.store); err != nil {
		tb.Fatal(err)
	}
	tokens := random
	if tokens == nil {
		tokens = rand.Reader
	}
	acc, err := access.New(access.Options{Store: h.store, Clock: clock, Random: tokens})
	if err != nil {
		tb.Fatal(err)
	}
	h.api = httpapi.New(httpapi.Options{Store: h.store, Clock: clock, Access: acc, Random: random, Limits: limits})
	tapstore.Register(h.api, svc)
	return h
}

// advance moves the clock.
func (h *harness) advance(d time.Duration) { h.now.Add(int64(d)) }

// reply is an answer: its status, headers, raw body and the body decoded
// (nil when it is not a JSON object).
type reply struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

func (h *harness) do(req *http.Request) reply {
	h.tb.Helper()
	var resp *http.Response
	if h.srv == nil {
		rec := httptest.NewRecorder()
		h.api.ServeHTTP(rec, req)
		resp = rec.Result()
	} else {
		var err error
		resp, err = h.srv.Client().Do(req)
		if err != nil {
			h.tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
		}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.tb.Fatalf("%s %s: reading the answer: %v", req.Method, req.URL, err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	_ = json.Unmarshal(b, &r.body)
	// The API's answers, not the kit's /healthz.
	if p := req.URL.Path; req.Method != http.MethodHead && (strings.HasPrefix(p, "/cloud/") || p == "/oauth/token") {
		docSpec(h.tb).Check(h.tb, req, resp.StatusCode, resp.Header, b)
	}
	return r
}

// docSpec is the API's OpenAPI document: every answer of the tests is
// checked against it (an answer of no documented operation must be its
// Error payload). It is loaded, and its router built, once for the
// package's tests.
func docSpec(tb testing.TB) *apitest.Spec {
	tb.Helper()
	specMu.Lock()
	defer specMu.Unlock()
	if spec == nil {
		spec = apitest.LoadSpec(tb, tapstore.OpenAPI(), apitest.SpecOptions{})
	}
	return spec
}

var (
	specMu sync.Mutex
	spec   *apitest.Spec // docSpec's, once loaded
)

func (h *harness) url(path string) string {
	if h.srv == nil {
		return "http://entitle.test" + path
	}
	return h.srv.URL + path
}

func (h *harness) newRequest(method, target string, body io.Reader) *http.Request {
	h.tb.Helper()
	var (
		req *http.Request
		err error
	)
	if h.srv == nil {
		req = httptest.NewRequest(method, target, body)
	} else {
		req, err = http.NewRequest(method, target, body)
	}
	if err != nil {
		h.tb.Fatal(err)
	}
	return req
}

// get sends envelope as GET ?request=..., URL-encoded, with the bearer token
// tok ("" sends no Authorization header).
func (h *harness) get(tok, envelope string) reply {
	h.tb.Helper()
	return h.getQuery(tok, url.Values{"request": {envelope}}.Encode())
}

func (h *harness) getQuery(tok, rawQuery string) reply {
	h.tb.Helper()
	req := h.newRequest(http.MethodGet, h.url(storePath+"?"+rawQuery), nil)
	bearer(req, tok)
	return h.do(req)
}

// post sends envelope as the body of a POST, under Idempotency-Key key when
// it is not "".
func (h *harness) post(tok, key, envelope string) reply {
	h.tb.Helper()
	req := h.newRequest(http.MethodPost, h.url(storePath), strings.NewReader(envelope))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	bearer(req, tok)
	return h.do(req)
}

func bearer(req *http.Request, tok string) {
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
}

// tokenFor gets a bearer token for a client with the form body.
func (h *harness) tokenFor(id, secret string) string {
	h.tb.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	req := h.newRequest(http.MethodPost, h.url("/oauth/token"), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r := h.do(req)
	tok, _ := r.body["access_token"].(string)
	if r.status != http.StatusOK || tok == "" {
		h.tb.Fatalf("POST /oauth/token for %s: %d %s", id, r.status, r.raw)
	}
	return tok
}

// check compares an answer with its status and want, the expected body as
// JSON text. In want, "uniqueId" (or "uniqueID") may be "<number>": the
// random request id, which must be a positive whole JSON number below 2^53,
// or "<string>": such a number written as a string, where the seed types the
// payload's uniqueId "string". Every other field is compared exactly.
func check(tb testing.TB, r reply, status int, want string) {
	tb.Helper()
	if r.status != status {
		tb.Errorf("status %d, want %d; body %s", r.status, status, r.raw)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		tb.Errorf("Content-Type %q, want application/json", ct)
	}
	var w map[string]any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		tb.Fatalf("the expected body is not JSON: %v\n%s", err, want)
	}
	if r.body == nil {
		tb.Errorf("the body is not a JSON object: %q", r.raw)
		return
	}
	got := maps.Clone(r.body)
	for _, key := range []string{"uniqueId", "uniqueID"} {
		kind, _ := w[key].(string)
		if kind != "<number>" && kind != "<string>" {
			continue
		}
		uniqueID(tb, got[key], kind == "<string>")
		delete(w, key)
		delete(got, key)
	}
	if d := cmp.Diff(w, got); d != "" {
		tb.Errorf("body mismatch (-want +got):\n%s", d)
	}
}

// uniqueID checks a random request id and returns it.
func uniqueID(tb testing.TB, v any, asString bool) int64 {
	tb.Helper()
	var n float64
	switch x := v.(type) {
	case float64:
		if asString {
			tb.Errorf("uniqueId %v is a number; the seed types it \"string\" in this payload", x)
		}
		n = x
	case string:
		if !asString {
			tb.Errorf("uniqueId %q is a string; the seed types it \"Number\" in this payload", x)
		}
		i, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			tb.Errorf("uniqueId %q is not a string of digits", x)
			return 0
		}
		n = float64(i)
	default:
		tb.Errorf("uniqueId is %#v; want a positive number", v)
		return 0
	}
	if n <= 0 || n >= 1<<53 || n != float64(int64(n)) {
		tb.Errorf("uniqueId %v is not a positive whole number below 2^53", n)
	}
	return int64(n)
}

// envelope wraps a proc's request the way the seed's URIs do.
func envelope(proc, request string) string {
	if request == "" {
		return `{"ProcName": "` + proc + `","ProcRequester": "TAP"}`
	}
	return `{"ProcName": "` + proc + `","ProcRequester": "TAP","request": ` + request + `}`
}

// The seed's order, built from its request payload and sample values:
// customerPONumber PO300424, customerOrderRef Order30042024, currencyCode
// USD, activationCountry US, promoCode RTX50, billToSiteUseId 531807,
// shipToSiteUseId 1912956, the contacts test123@gmail.com and
// test456@gmail.com with phone 1234567890; line 1 is the sample RTX line
// (132001-10 on an Ag482, serial 1234567890, starting 2025-04-24); line 2 is
// the usage notes' VRS case, serial "TestAPI01" for the stored "TESTApi01",
// with the samples R.GB.SBB(United Kingdom SBB), VRS4567, 8001002000145236
// and Telekom M2M, scheduled for the sample activationDate 2024-05-26, a
// past date that becomes today. The sample couponNumber 61236403205760
// belongs to the redemption part RDM-1Y in the example data, not to these
// parts, so it is left empty.
const sampleOrder = `{
  "ProcName": "TAP_CREATE_ORDER_API",
  "ProcRequester": "TAP",
  "request": {
    "customerPONumber": "PO300424",
    "customerOrderRef": "Order30042024",
    "currencyCode": "USD",
    "activationCountry": "US",
    "promoCode": "RTX50",
    "billToSiteUseId": "531807",
    "shipToSiteUseId": "1912956",
    "billToContactEmail": "test123@gmail.com",
    "billToContactPhone": "1234567890",
    "shipToContactEmail": "test456@gmail.com",
    "shipToContactPhone": "1234567890",
    "lines": [
      {
        "lineNumber": "1",
        "serviceStartDate": "2025-04-24",
        "partNumber": "132001-10",
        "serialNumber": "1234567890",
        "serviceType": "RTX",
        "manufacturerModel": "Ag482",
        "autoRenewal": "Y",
        "geoFenceRegion": "",
        "activationType": "IMMEDIATE",
        "activationDate": "",
        "couponNumber": "",
        "ssoUserEmailAddress": "",
        "simIncludedFlag": "",
        "simNumber": "",
        "deviceKey": "",
        "carrierName": ""
      },
      {
        "lineNumber": "2",
        "serviceStartDate": "2025-04-24",
        "partNumber": "VRS-1Y",
        "serialNumber": "TestAPI01",
        "serviceType": "VRS",
        "manufacturerModel": "",
        "autoRenewal": "N",
        "geoFenceRegion": "R.GB.SBB(United Kingdom SBB)",
        "activationType": "SCHEDULED",
        "activationDate": "2024-05-26",
        "couponNumber": "",
        "ssoUserEmailAddress": "test123@gmail.com",
        "simIncludedFlag": "Y",
        "simNumber": "8001002000145236",
        "deviceKey": "VRS4567",
        "carrierName": "Telekom M2M"
      }
    ]
  }
}`

// sampleOrderAnswer is TAP_GET_ORDER_API's answer for sampleOrder created
// at start: the first order of a fresh store has the seed's sample uniqueId
// 13331 and orderNumber 2342342.
const sampleOrderAnswer = `{
  "statusCode": 200,
  "status": "SUCCESS",
  "uniqueID": 13331,
  "orderHdr": {
    "orderCreationDate": "24-APR-25 05.00.00.000000 PM UTC",
    "orderNumber": 2342342,
    "currencyCode": "USD",
    "poNumber": "PO300424",
    "customerOrderRef": "Order30042024",
    "billToCustomerName": "Trimble Reseller Americas",
    "shipToCustomerName": "Trimble Reseller Americas",
    "orderStatus": "SUCCESS",
    "invoiceNumber": null,
    "invoiceAmount": null,
    "creditMemoNumber": null,
    "creditMemoAmount": null
  },
  "orderLine": [
    {
      "lineNumber": 1,
      "serviceType": "RTX",
      "manufacturerModel": "Ag482",
      "serialNumber": "1234567890",
      "partNumber": "132001-10",
      "partDescription": "CenterPoint RTX 1 Year",
      "serviceStartDate": "2025-04-24",
      "serviceEndDate": "2026-04-24",
      "durationOfService": 365,
      "quantity": 1,
      "ssoUserId": "",
      "deviceKey": "",
      "autoRenewalFlag": "Y"
    },
    {
      "lineNumber": 2,
      "serviceType": "VRS",
      "manufacturerModel": "",
      "serialNumber": "TESTApi01",
      "partNumber": "VRS-1Y",
      "partDescription": "VRS Now 1 Year",
      "serviceStartDate": "2025-04-24",
      "serviceEndDate": "2026-04-24",
      "durationOfService": 365,
      "quantity": 1,
      "ssoUserId": "test123@gmail.com",
      "deviceKey": "VRS4567",
      "autoRenewalFlag": "N"
    }
  ]
}`

const noRecords = `{"statusCode": "400", "status": "Error", "uniqueId": "<string>", "errorMessage": "No records found for requested parameters"}`

// activation is one entry of TAP_GET_ACTIVATION_STATUS_API's answer with the
// fields this data set fills; the others are empty.
func activation(serial, part, desc, requestType, passcode, passcodeStatus, otaStatus string) string {
	return `{
      "serialNumber": "` + serial + `", "partNumber": "` + part + `", "partDescription": "` + desc + `",
      "serviceStartDate": "2025-04-24", "serviceEndDate": "2026-04-24",
      "activationRequestType": "` + requestType + `", "passcode": "` + passcode + `",
      "masterUnlock": "", "masterUnlockQrcode": "", "qrCodeLink": "",
      "passcodeActivationStatus": "` + passcodeStatus + `", "passcodeActivationErrorMsg": "",
      "otaActivationStatus": "` + otaStatus + `", "otaActivationErrorMsg": "",
      "passcodeFileType": "", "passcodeFileContent": "", "masterUnlockFileType": "", "masterUnlockFileContent": ""}`
}

func activations(entries ...string) string {
	return `{"statusCode": 200, "status": "SUCCESS", "uniqueId": "<number>", "activations": [` + strings.Join(entries, ",") + `]}`
}

// TestEveryProc walks the seed's flow with the seed's own example requests:
// customers, models, products, an order, reading it back, its activation
// status, and a resend.
func TestEveryProc(t *testing.T) {
	h := newHarness(t)
	tok := h.tokenFor(tapClient, tapSecret)

	t.Run("TAP_GET_CUSTOMERS_API", func(t *testing.T) {
		// The seed's URI with search parameters:
		// ?request={"ProcName": "TAP_GET_CUSTOMERS_API","ProcRequester": "TAP","request": {"region": "AMERICA","resellerName": "Trimble","endCustomerName": "","customerCreationDate": "2023-01-20"}}
		r := h.get(tok, `{"ProcName": "TAP_GET_CUSTOMERS_API","ProcRequester": "TAP","request": {"region": "AMERICA","resellerName": "Trimble","endCustomerName": "","customerCreationDate": "2023-01-20"}}`)
		// Green Acres Farming (created 2024-03-15) is listed: it is newer than
		// customerCreationDate. Sites take their customer's region.
		check(t, r, 200, `{
		  "statusCode": 200, "status": "SUCCESS", "uniqueId": "<number>",
		  "resellers": [{
		    "name": "Trimble Reseller Americas",
		    "billTo": [
		      {"siteUseId": 531807, "address": "10368 Westmoor Dr, Westminster CO", "region": "AMERICA", "autoRenewFlag": "Y"},
		      {"siteUseId": 531808, "address": "PO Box 1, Denver CO", "region": "AMERICA", "autoRenewFlag": "N"}
		    ],
		    "shipTo": [{"siteUseId": 1912956, "address": "935 Stewart Dr, Sunnyvale CA", "region": "AMERICA"}],
		    "endCustomer": [{"name": "Green Acres Farming", "shipTo": [{"siteUseId": 2200001, "address": "1 Field Rd, Regina SK", "region": "AMERICA"}]}]
		  }]
		}`)
		// The Base URI, without search parameters, lists every active
		// reseller of the client.
		r = h.get(tok, `{"ProcName": "TAP_GET_CUSTOMERS_API","ProcRequester": "TAP"}`)
		if got, want := customerNames(r), []string{"Held Reseller Ltd", "Tokyo Survey Supply", "Trimble Reseller Americas: Green Acres Farming"}; r.status != 200 || !cmp.Equal(got, want) {
			t.Errorf("all resellers: %d %v, want 200 %v", r.status, got, want)
		}
		// customerCreationDate in the form of the seed's sample value,
		// 2023-04-12T10:15:32Z, and a date after Green Acres Farming was
		// created: the creation date narrows the end customers listed.
		for _, tc := range []struct {
			date string
			want []string
		}{
			{"2023-04-12T10:15:32Z", []string{"Trimble Reseller Americas: Green Acres Farming"}},
			{"2024-03-15T09:30:00Z", []string{"Trimble Reseller Americas: Green Acres Farming"}},
			{"2024-03-16", []string{"Trimble Reseller Americas"}},
		} {
			r = h.get(tok, envelope("TAP_GET_CUSTOMERS_API", `{"resellerName": "TRIMB", "customerCreationDate": "`+tc.date+`"}`))
			if got := customerNames(r); r.status != 200 || !cmp.Equal(got, tc.want) {
				t.Errorf("customerCreationDate %s: %d %v, want 200 %v", tc.date, r.status, got, tc.want)
			}
		}
	})

	t.Run("TAP_GET_MFG_MODELS_API", func(t *testing.T) {
		// ?request={"ProcName": "TAP_GET_MFG_MODELS_API","ProcRequester": "TAP","request": {"manufacturer":"Trimble"}}
		r := h.get(tok, `{"ProcName": "TAP_GET_MFG_MODELS_API","ProcRequester": "TAP","request": {"manufacturer":"Trimble"}}`)
		check(t, r, 200, `{
		  "statusCode": 200, "status": "SUCCESS", "uniqueId": "<number>",
		  "manufacturerModel": ["Trimble||AG-392", "Trimble||Ag482", "Trimble||NAV-900", "Trimble||R12", "Trimble||R2"]
		}`)
	})

	t.Run("TAP_GET_PRODUCTS_API", func(t *testing.T) {
		// The seed's example is
		// {"resellerbillToSiteUseId": "121212","serviceType": "RTX","model": "Trimble R2","partDescription": "Ag Regional"};
		// the example data set has no site 121212 and names models R2 or
		// Trimble||R2, so the request takes the example data's bill-to site
		// 531807 and model R12, keeping the seed's shape (the id as a string)
		// and its serviceType and partDescription. (The verbatim request
		// answers "No data found": TestSeedMessages.)
		r := h.get(tok, `{"ProcName": "TAP_GET_PRODUCTS_API","ProcRequester": "TAP","request": {"resellerbillToSiteUseId": "531807","serviceType": "RTX","model": "R12","partDescription": "Ag Regional"}}`)
		check(t, r, 200, `{
		  "statusCode": 200, "status": "SUCCESS", "uniqueId": "<number>",
		  "customerName": "Trimble Reseller Americas",
		  "products": [
		    {"manufacturerModel": "Trimble||R12", "partNumber": "128349-10", "partDescription": "Ag Regional CenterPoint RTX Fast 1 Year on Basic", "currencyCode": "USD", "listPrice": "1200.00", "durationOfItem": "1 YEAR"},
		    {"manufacturerModel": "Trimble||R12", "partNumber": "128357-10", "partDescription": "Ag Regional CenterPoint RTX 1 Year on Basic", "currencyCode": "USD", "listPrice": "900.00", "durationOfItem": "1 YEAR"},
		    {"manufacturerModel": "Trimble||R12", "partNumber": "88416-10", "partDescription": "Ag Regional CenterPoint RTX Fast 1 Year via Satellite", "currencyCode": "USD", "listPrice": "800.00", "durationOfItem": "1 YEAR"},
		    {"manufacturerModel": "Trimble||R12", "partNumber": "PTX-BDL", "partDescription": "Ag Regional CenterPoint RTX 1 Year on Basic PTx Bundle", "currencyCode": "USD", "listPrice": "0.00", "durationOfItem": "1 YEAR"}
		  ]
		}`)
		// VRS parts carry their geofence regions; model is optional for VRS.
		r = h.get(tok, envelope("TAP_GET_PRODUCTS_API", `{"resellerbillToSiteUseId": 531807, "serviceType": "VRS"}`))
		check(t, r, 200, `{
		  "statusCode": 200, "status": "SUCCESS", "uniqueId": "<number>",
		  "customerName": "Trimble Reseller Americas",
		  "products": [
		    {"manufacturerModel": "", "partNumber": "VRS-1Y", "partDescription": "VRS Now 1 Year", "currencyCode": "USD", "listPrice": "1000.00", "durationOfItem": "1 YEAR",
		     "geoFenceRegion": ["R.GB.SBB(United Kingdom SBB)", "R.US.CO(Colorado)"]}
		  ]
		}`)
	})

	t.Run("TAP_CREATE_ORDER_API", func(t *testing.T) {
		r := h.post(tok, "", sampleOrder)
		// The success payload's uniqueId is the order's: TAP_GET_ORDER_API
		// takes it as uniqueID.
		check(t, r, 200, `{"statusCode": 200, "status": "SUCCESS", "uniqueId": 13331}`)
	})

	t.Run("TAP_GET_ORDER_API", func(t *testing.T) {
		// The seed's example is {"uniqueID": "13331","serialNumber": "1234567890","poNumber": "HelloWorld"};
		// each field alone finds the order.
		for _, req := range []string{
			`{"uniqueID": "13331"}`,
			`{"uniqueID": 13331}`,
			`{"serialNumber": "1234567890"}`,
			`{"poNumber": "PO300424"}`,
			// VRS serials match case-insensitively.
			`{"serialNumber": "TestAPI01"}`,
			`{"uniqueID": "13331","serialNumber": "1234567890","poNumber": "PO300424"}`,
		} {
			r := h.get(tok, envelope("TAP_GET_ORDER_API", req))
			t.Run(req, func(t *testing.T) { check(t, r, 200, sampleOrderAnswer) })
		}
		// Given together, every field must match: the seed's verbatim
		// request names PO HelloWorld, which order 13331 does not have.
		r := h.get(tok, `{"ProcName": "TAP_GET_ORDER_API","ProcRequester": "TAP","request": {"uniqueID": "13331","serialNumber": "1234567890","poNumber": "HelloWorld"}}`)
		check(t, r, 400, noRecords)
	})

	rtx := func(requestType, passcode, status string) string {
		return activation("1234567890", "132001-10", "CenterPoint RTX 1 Year", requestType, passcode, "", status)
	}
	// The VRS part is delivered by e-mail; its activationDate 2024-05-26 is
	// past, so it is due today, at once.
	vrs := activation("TESTApi01", "VRS-1Y", "VRS Now 1 Year", "ORDER", "ID0006", "IN_PROGRESS", "")

	t.Run("TAP_GET_ACTIVATION_STATUS_API", func(t *testing.T) {
		h.deliver()
		// Passcodes come from the counter ids (id0004 -> ID0004). An OTA
		// activation is IN_PROGRESS for the 15 minutes after it is due.
		r := h.get(tok, envelope("TAP_GET_ACTIVATION_STATUS_API", `{"orderNumber": "2342342"}`))
		check(t, r, 200, activations(rtx("ORDER", "ID0004", "IN_PROGRESS"), vrs))
		r = h.get(tok, envelope("TAP_GET_ACTIVATION_STATUS_API", `{"serialNumber": "testapi01"}`))
		check(t, r, 200, activations(vrs))
		r = h.get(tok, envelope("TAP_GET_ACTIVATION_STATUS_API", `{"orderNumber": 2342342, "serialNumber": "1234567890"}`))
		check(t, r, 200, activations(rtx("ORDER", "ID0004", "IN_PROGRESS")))
		// The seed's example {"orderNumber": "123456","serialNumber": "1234567890"}
		// names an order that does not exist.
		r = h.get(tok, `{"ProcName": "TAP_GET_ACTIVATION_STATUS_API","ProcRequester": "TAP","request": {"orderNumber": "123456","serialNumber": "1234567890"}}`)
		check(t, r, 400, `{"statusCode": "400", "status": "Error", "uniqueId": "<string>", "errorMessage": "No data found"}`)
	})

	t.Run("TAP_RESEND_ACTIVATION_API", func(t *testing.T) {
		// The request payload with the seed's sample values, which all fit:
		// serial 1234567890, part 132001-10, order 2342342, customerOrderRef
		// Order30042024, and activationDate 2024-05-26 (past: today).
		r := h.post(tok, "", `{ "ProcName": "TAP_RESEND_ACTIVATION_API", "ProcRequester": "TAP", "request": { "serialNumber": "1234567890", "partNumber": "132001-10", "orderNumber": "2342342", "customerOrderRef": "Order30042024", "activationDate": "2024-05-26" }}`)
		check(t, r, 200, `{"statusCode": 200, "status": "SUCCESS", "uniqueId": "<number>"}`)

		// The status shows the resend, and 15 minutes later it is complete.
		h.deliver()
		r = h.get(tok, envelope("TAP_GET_ACTIVATION_STATUS_API", `{"serialNumber": "1234567890"}`))
		check(t, r, 200, activations(rtx("RESEND", "ID0009", "IN_PROGRESS")))
		h.advance(15 * time.Minute)
		r = h.get(tok, envelope("TAP_GET_ACTIVATION_STATUS_API", `{"orderNumber": "2342342"}`))
		check(t, r, 200, activations(rtx("RESEND", "ID0009", "COMPLETED"),
			activation("TESTApi01", "VRS-1Y", "VRS Now 1 Year", "ORDER", "ID0006", "COMPLETED", "")))
	})
}

// customerNames lists a customers answer as "reseller: end customer, ...",
// sorted.
func customerNames(r reply) []string {
	var out []string
	resellers, _ := r.body["resellers"].([]any)
	for _, rs := range resellers {
		m, _ := rs.(map[string]any)
		name, _ := m["name"].(string)
		ends, _ := m["endCustomer"].([]any)
		var endNames []string
		for _, e := range ends {
			em, _ := e.(map[string]any)
			n, _ := em["name"].(string)
			endNames = append(endNames, n)
		}
		if len(endNames) > 0 {
			name += ": " + strings.Join(endNames, ", ")
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// TestOrderCreationDate checks the seed's sample stamp: an order created at
// 10:28:10 UTC reads "24-APR-25 10.28.10.000000 AM UTC", while its service
// dates are Pacific civil dates (03:28 PDT is still 2025-04-24).
func TestOrderCreationDate(t *testing.T) {
	h := newHarness(t)
	h.now.Store(time.Date(2025, 4, 24, 10, 28, 10, 0, time.UTC).UnixNano())
	tok := h.tokenFor(tapClient, tapSecret)
	if r := h.post(tok, "", sampleOrder); r.status != 200 {
		t.Fatalf("creating the sample order: %d %s", r.status, r.raw)
	}
	r := h.get(tok, envelope("TAP_GET_ORDER_API", `{"poNumber": "PO300424"}`))
	hdr, _ := r.body["orderHdr"].(map[string]any)
	if got := hdr["orderCreationDate"]; got != "24-APR-25 10.28.10.000000 AM UTC" {
		t.Errorf("orderCreationDate %v, want 24-APR-25 10.28.10.000000 AM UTC", got)
	}
	for _, l := range r.body["orderLine"].([]any) {
		line := l.(map[string]any)
		if line["serviceStartDate"] != "2025-04-24" || line["serviceEndDate"] != "2026-04-24" {
			t.Errorf("line %v: service %v to %v, want 2025-04-24 to 2026-04-24", line["lineNumber"], line["serviceStartDate"], line["serviceEndDate"])
		}
	}
}

// TestActivationStatusShowsDeliveryError: an activation the Activator
// refuses is IN_PROGRESS with the refusal in otaActivationErrorMsg while it
// is retried, FAILED with the last one once given up, and the error is
// gone once a delivery succeeds.
func TestActivationStatusShowsDeliveryError(t *testing.T) {
	h := newHarness(t)
	tok := h.tokenFor(tapClient, tapSecret)
	status := func(passcode, otaStatus, msg string) string {
		return `{"statusCode": 200, "status": "SUCCESS", "uniqueId": "<number>", "activations": [{
		  "serialNumber": "1234567890", "partNumber": "132001-10", "partDescription": "CenterPoint RTX 1 Year",
		  "serviceStartDate": "2025-04-24", "serviceEndDate": "2026-04-24",
		  "activationRequestType": "ORDER", "passcode": "` + passcode + `",
		  "masterUnlock": "", "masterUnlockQrcode": "", "qrCodeLink": "",
		  "passcodeActivationStatus": "", "passcodeActivationErrorMsg": "",
		  "otaActivationStatus": "` + otaStatus + `", "otaActivationErrorMsg": "` + msg + `",
		  "passcodeFileType": "", "passcodeFileContent": "", "masterUnlockFileType": "", "masterUnlockFileContent": ""}]}`
	}
	query := envelope("TAP_GET_ACTIVATION_STATUS_API", `{"serialNumber": "1234567890"}`)

	check(t, h.post(tok, "", orderWith("PO-DELIVERY", []string{"1234567890"})), 200, `{"statusCode": 200, "status": "SUCCESS", "uniqueId": "<number>"}`)
	check(t, h.get(tok, query), 200, status("ID0003", "IN_PROGRESS", ""))
	refusal := errors.New("OTA gateway unreachable")
	h.refuse.Store(&refusal)
	h.deliver()
	check(t, h.get(tok, query), 200, status("ID0003", "IN_PROGRESS", "OTA gateway unreachable"))
	for range orders.MaxDeliveryAttempts {
		h.advance(orders.MaxRetry)
		h.deliver()
	}
	tok = h.tokenFor(tapClient, tapSecret) // the first one expired meanwhile
	check(t, h.get(tok, query), 200, status("ID0003", "FAILED", "OTA gateway unreachable"))

	// A resend goes through the outbox too; delivered, it shows no error.
	h.refuse.Store(nil)
	check(t, h.post(tok, "", envelope("TAP_RESEND_ACTIVATION_API", `{"serialNumber": "1234567890"}`)), 200,
		`{"statusCode": 200, "status": "SUCCESS", "uniqueId": "<number>"}`)
	h.deliver()
	resent := strings.Replace(status("ID0006", "IN_PROGRESS", ""), `"ORDER"`, `"RESEND"`, 1)
	check(t, h.get(tok, query), 200, resent)
}

// orderWith returns a TAP_CREATE_ORDER_API envelope for the sample customer
// with lines RTX lines, one per serial, on R12 receivers; starts[i], if
// given, is line i's serviceStartDate (else 2025-04-24).
func orderWith(po string, serials []string, starts ...string) string {
	lines := make([]string, len(serials))
	for i, s := range serials {
		d := "2025-04-24"
		if i < len(starts) {
			d = starts[i]
		}
		lines[i] = fmt.Sprintf(`{"lineNumber": %d, "serviceStartDate": %q, "partNumber": "132001-10", "serialNumber": %q,
		  "serviceType": "RTX", "manufacturerModel": "R12", "autoRenewal": "Y", "activationType": "IMMEDIATE"}`, i+1, d, s)
	}
	return envelope("TAP_CREATE_ORDER_API", `{"customerPONumber": "`+po+`", "customerOrderRef": "Order30042024", "currencyCode": "USD",
	  "billToSiteUseId": 531807, "shipToSiteUseId": 1912956,
	  "billToContactEmail": "test123@gmail.com", "shipToContactEmail": "test456@gmail.com",
	  "lines": [`+strings.Join(lines, ",")+`]}`)
}

func serials(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("12345678%02d", i+1)
	}
	return out
}

// TestRefusedOrder: a refused order answers 400 with every problem and its
// field path, and creates nothing.
func TestRefusedOrder(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string
	}{{
		name: "21 lines, the first starting 4 days out",
		body: orderWith("PO300424", serials(21), "2025-04-28"),
		want: []string{
			"lines: An order can have at most 20 lines; this one has 21 (TOO_MANY_LINES)",
			"lines[0].serviceStartDate: serviceStartDate 2025-04-28 is more than 3 days after today (2025-04-24, Pacific time) (START_DATE_TOO_LATE)",
		},
	}, {
		name: "a start 4 days out",
		body: orderWith("PO300424", []string{"1234567890"}, "2025-04-28"),
		want: []string{
			"lines[0].serviceStartDate: serviceStartDate 2025-04-28 is more than 3 days after today (2025-04-24, Pacific time) (START_DATE_TOO_LATE)",
		},
	}, {
		name: "an empty request",
		body: envelope("TAP_CREATE_ORDER_API", `{}`),
		want: []string{
			"lines: An order needs at least one line (REQUIRED)",
			"customerPONumber: customerPONumber is mandatory (REQUIRED)",
			"currencyCode: currencyCode is mandatory (REQUIRED)",
			"billToContactEmail: billToContactEmail is mandatory and must be an e-mail address (INVALID_EMAIL)",
			"shipToContactEmail: shipToContactEmail is mandatory and must be an e-mail address (INVALID_EMAIL)",
			"billToSiteUseId: billToSiteUseId 0 is not a bill-to site of your resellers; get one from TAP_GET_CUSTOMERS_API (UNKNOWN_BILL_TO)",
			"shipToSiteUseId: shipToSiteUseId 0 is not a ship-to site of your resellers or their end customers; get one from TAP_GET_CUSTOMERS_API (UNKNOWN_SHIP_TO)",
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			tok := h.tokenFor(tapClient, tapSecret)
			r := h.post(tok, "", tc.body)
			want, _ := json.Marshal(map[string]any{"statusCode": 400, "status": "ERROR", "uniqueId": "<number>", "errorMessage": tc.want})
			check(t, r, 400, string(want))

			// Nothing was created.
			check(t, h.get(tok, envelope("TAP_GET_ORDER_API", `{"poNumber": "PO300424"}`)), 400, noRecords)
			check(t, h.get(tok, envelope("TAP_GET_ACTIVATION_STATUS_API", `{"serialNumber": "1234567890"}`)), 400,
				`{"statusCode": "400", "status": "Error", "uniqueId": "<string>", "errorMessage": "No data found"}`)
			if n := orderCount(t, h, tapClient, ""); n != 0 {
				t.Errorf("the store holds %d orders, want none", n)
			}
		})
	}

	t.Run("a start 3 days out is accepted", func(t *testing.T) {
		h := newHarness(t)
		tok := h.tokenFor(tapClient, tapSecret)
		check(t, h.post(tok, "", orderWith("PO300424", []string{"1234567890"}, "2025-04-27")), 200,
			`{"statusCode": 200, "status": "SUCCESS", "uniqueId": 13331}`)
	})
}

// orderCount counts the orders a client created through the API (not the
// data file's past orders), those with po when it is not "".
func orderCount(tb testing.TB, h *harness, clientID, po string) int {
	tb.Helper()
	var n int
	err := h.store.View(context.Background(), func(tx ports.Tx) error {
		orders, err := tx.Orders().Find(context.Background(), domain.OrderQuery{ClientID: clientID, PONumber: po})
		for _, o := range orders {
			if o.UniqueID >= domain.FirstUniqueID { // not a past order of the data file
				n++
			}
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestSeedMessages checks the seed's error messages and each proc's error
// payload: GET_CUSTOMERS answers statusCode and errorMessage as strings,
// GET_MFG_MODELS, CREATE_ORDER and RESEND_ACTIVATION as a number and a list,
// GET_PRODUCTS, GET_ORDER and GET_ACTIVATION_STATUS as strings with status
// "Error" and uniqueId a string.
func TestSeedMessages(t *testing.T) {
	h := newHarness(t)
	tok := h.tokenFor(tapClient, tapSecret)
	for _, tc := range []struct {
		name, method, envelope, want string
	}{{
		name: "customers in a region without any", method: "GET",
		envelope: envelope("TAP_GET_CUSTOMERS_API", `{"region": "EMEA"}`),
		want:     `{"statusCode": "400", "status": "ERROR", "uniqueId": "<number>", "errorMessage": "No data found"}`,
	}, {
		name: "customers: an unknown region", method: "GET",
		envelope: envelope("TAP_GET_CUSTOMERS_API", `{"region": "MARS"}`),
		want:     `{"statusCode": "400", "status": "ERROR", "uniqueId": "<number>", "errorMessage": "region: region \"MARS\" is not one of AMERICA, EUROPE, APAC, EMEA, SOUTH AFRICA (INVALID)"}`,
	}, {
		name: "customers: a name under 5 characters", method: "GET",
		envelope: envelope("TAP_GET_CUSTOMERS_API", `{"resellerName": "Trim"}`),
		want:     `{"statusCode": "400", "status": "ERROR", "uniqueId": "<number>", "errorMessage": "resellerName: resellerName needs at least 5 characters (TOO_SHORT)"}`,
	}, {
		// "Spectra" is the seed's sample manufacturer; the example data has none.
		name: "models of a manufacturer without any", method: "GET",
		envelope: envelope("TAP_GET_MFG_MODELS_API", `{"manufacturer":"Spectra"}`),
		want:     `{"statusCode": 400, "status": "ERROR", "uniqueId": "<number>", "errorMessage": ["No data found"]}`,
	}, {
		name: "products: the seed's verbatim example", method: "GET",
		envelope: `{"ProcName": "TAP_GET_PRODUCTS_API","ProcRequester": "TAP","request": {"resellerbillToSiteUseId": "121212","serviceType": "RTX","model": "Trimble R2","partDescription": "Ag Regional"}}`,
		want:     `{"statusCode": "400", "status": "Error", "uniqueId": "<string>", "errorMessage": "No data found"}`,
	}, {
		name: "products: RTX without a model", method: "GET",
		envelope: envelope("TAP_GET_PRODUCTS_API", `{"resellerbillToSiteUseId": "531807","serviceType": "RTX"}`),
		want:     `{"statusCode": "400", "status": "Error", "uniqueId": "<string>", "errorMessage": "model: model is mandatory for serviceType RTX; get one from TAP_GET_MFG_MODELS_API (REQUIRED)"}`,
	}, {
		name: "order: the seed's PO HelloWorld", method: "GET",
		envelope: envelope("TAP_GET_ORDER_API", `{"poNumber": "HelloWorld"}`),
		want:     noRecords,
	}, {
		name: "order: no field", method: "GET",
		envelope: envelope("TAP_GET_ORDER_API", `{}`),
		want:     `{"statusCode": "400", "status": "Error", "uniqueId": "<string>", "errorMessage": "give at least one of uniqueID, serialNumber or poNumber"}`,
	}, {
		name: "order: a uniqueID that is not a number", method: "GET",
		envelope: envelope("TAP_GET_ORDER_API", `{"uniqueID": "13331x"}`),
		want:     `{"statusCode": "400", "status": "Error", "uniqueId": "<string>", "errorMessage": "uniqueID: uniqueID must be a whole number, not \"13331x\" (INVALID_NUMBER)"}`,
	}, {
		name: "activation status: the seed's verbatim example", method: "GET",
		envelope: `{"ProcName": "TAP_GET_ACTIVATION_STATUS_API","ProcRequester": "TAP","request": {"orderNumber": "123456","serialNumber": "1234567890"}}`,
		want:     `{"statusCode": "400", "status": "Error", "uniqueId": "<string>", "errorMessage": "No data found"}`,
	}, {
		name: "resend for a serial without subscriptions", method: "POST",
		envelope: envelope("TAP_RESEND_ACTIVATION_API", `{"serialNumber": "1234567890"}`),
		want:     `{"statusCode": 400, "status": "ERROR", "uniqueId": "<number>", "errorMessage": ["No data found"]}`,
	}, {
		name: "resend without a serial", method: "POST",
		envelope: envelope("TAP_RESEND_ACTIVATION_API", `{"partNumber": "132001-10"}`),
		want:     `{"statusCode": 400, "status": "ERROR", "uniqueId": "<number>", "errorMessage": ["serialNumber is mandatory"]}`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var r reply
			if tc.method == "GET" {
				r = h.get(tok, tc.envelope)
			} else {
				r = h.post(tok, "", tc.envelope)
			}
			check(t, r, 400, tc.want)
		})
	}
}

// TestAccessToken covers POST /oauth/token and the 401 "Access Token Invalid"
// of the store API.
func TestAccessToken(t *testing.T) {
	h := newHarness(t)
	models := envelope("TAP_GET_MFG_MODELS_API", "")

	tokenRequest := func(t *testing.T, contentType, body string, basic []string) reply {
		t.Helper()
		req := h.newRequest(http.MethodPost, h.url("/oauth/token"), strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if basic != nil {
			req.SetBasicAuth(basic[0], basic[1])
		}
		return h.do(req)
	}
	form := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	const formType = "application/x-www-form-urlencoded"

	for _, tc := range []struct {
		name, contentType, body string
		basic                   []string
	}{
		{"form", formType, form("grant_type", "client_credentials", "client_id", tapClient, "client_secret", tapSecret), nil},
		{"JSON", "application/json", `{"grant_type": "client_credentials", "client_id": "tap-client", "client_secret": "example-secret-change-me"}`, nil},
		{"Basic auth", formType, form("grant_type", "client_credentials"), []string{tapClient, tapSecret}},
	} {
		t.Run("token by "+tc.name, func(t *testing.T) {
			r := tokenRequest(t, tc.contentType, tc.body, tc.basic)
			tok, _ := r.body["access_token"].(string)
			if r.status != 200 || tok == "" || r.body["token_type"] != "Bearer" || r.body["expires_in"] != 3600.0 {
				t.Fatalf("got %d %s; want 200 with a Bearer access_token expiring in 3600 s", r.status, r.raw)
			}
			if cc := r.header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
			if r := h.get(tok, models); r.status != 200 {
				t.Errorf("the token does not work: %d %s", r.status, r.raw)
			}
		})
	}

	for _, tc := range []struct {
		name, contentType, body string
		basic                   []string
		status                  int
		code                    string
	}{
		{"wrong secret", formType, form("grant_type", "client_credentials", "client_id", tapClient, "client_secret", "wrong"), nil, 401, "invalid_client"},
		{"unknown client", formType, form("grant_type", "client_credentials", "client_id", "nobody", "client_secret", tapSecret), nil, 401, "invalid_client"},
		{"wrong secret, JSON", "application/json", `{"grant_type": "client_credentials", "client_id": "tap-client", "client_secret": "another-secret-change-me"}`, nil, 401, "invalid_client"},
		{"wrong secret, Basic", formType, form("grant_type", "client_credentials"), []string{tapClient, anotherSecret}, 401, "invalid_client"},
		{"unknown client, Basic", formType, form("grant_type", "client_credentials"), []string{"nobody", tapSecret}, 401, "invalid_client"},
		{"no credentials", formType, form("grant_type", "client_credentials"), nil, 401, "invalid_client"},
		{"grant_type password", formType, form("grant_type", "password", "client_id", tapClient, "client_secret", tapSecret), nil, 400, "unsupported_grant_type"},
		{"no grant_type", formType, form("client_id", tapClient, "client_secret", tapSecret), nil, 400, "unsupported_grant_type"},
		{"grant_type password, JSON", "application/json", `{"grant_type": "password", "client_id": "tap-client", "client_secret": "example-secret-change-me"}`, nil, 400, "unsupported_grant_type"},
		{"an unknown JSON field", "application/json", `{"grant_type": "client_credentials", "client_id": "tap-client", "client_secret": "example-secret-change-me", "scope": "all"}`, nil, 400, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tokenRequest(t, tc.contentType, tc.body, tc.basic)
			if r.status != tc.status || r.body["error"] != tc.code {
				t.Errorf("got %d %s; want %d error %s", r.status, r.raw, tc.status, tc.code)
			}
			if _, ok := r.body["access_token"]; ok {
				t.Errorf("a refused token request got a token: %s", r.raw)
			}
		})
	}

	tok := h.tokenFor(tapClient, tapSecret)
	customersDenied := `{"statusCode": "401", "status": "ERROR", "uniqueId": "<number>", "errorMessage": "Access Token Invalid"}`
	createDenied := `{"statusCode": 401, "status": "ERROR", "uniqueId": "<number>", "errorMessage": ["Access Token Invalid"]}`
	for _, tc := range []struct{ name, authorization string }{
		{"missing", ""},
		{"wrong", "Bearer not-a-token"},
		{"empty", "Bearer "},
		{"another scheme", "Basic " + tok},
		{"the client secret", "Bearer " + tapSecret},
	} {
		t.Run("token "+tc.name, func(t *testing.T) {
			req := h.newRequest(http.MethodGet, h.url(storePath+"?"+url.Values{"request": {envelope("TAP_GET_CUSTOMERS_API", "")}}.Encode()), nil)
			if tc.authorization != "" {
				req.Header.Set("Authorization", tc.authorization)
			}
			check(t, h.do(req), 401, customersDenied)

			req = h.newRequest(http.MethodPost, h.url(storePath), strings.NewReader(sampleOrder))
			if tc.authorization != "" {
				req.Header.Set("Authorization", tc.authorization)
			}
			check(t, h.do(req), 401, createDenied)
		})
	}
	if n := orderCount(t, h, tapClient, ""); n != 0 {
		t.Errorf("unauthenticated requests created %d orders", n)
	}

	t.Run("token expired", func(t *testing.T) {
		h.advance(time.Hour - time.Second)
		if r := h.get(tok, models); r.status != 200 {
			t.Fatalf("a token 1 s before it expires: %d %s", r.status, r.raw)
		}
		h.advance(time.Second)
		check(t, h.get(tok, envelope("TAP_GET_CUSTOMERS_API", "")), 401, customersDenied)
		check(t, h.post(tok, "", sampleOrder), 401, createDenied)
		// A new token works again.
		if r := h.get(h.tokenFor(tapClient, tapSecret), models); r.status != 200 {
			t.Errorf("a fresh token: %d %s", r.status, r.raw)
		}
	})
}

// TestTenancy: another client never reaches tap-client's orders or customers.
func TestTenancy(t *testing.T) {
	h := newHarness(t)
	tok := h.tokenFor(tapClient, tapSecret)
	if r := h.post(tok, "", sampleOrder); r.status != 200 {
		t.Fatalf("creating the sample order: %d %s", r.status, r.raw)
	}
	other := h.tokenFor(anotherClient, anotherSecret)

	noData := `{"statusCode": "400", "status": "Error", "uniqueId": "<string>", "errorMessage": "No data found"}`
	for _, tc := range []struct {
		name, method, envelope, want string
	}{
		{"order by uniqueID", "GET", envelope("TAP_GET_ORDER_API", `{"uniqueID": "13331"}`), noRecords},
		{"order by serialNumber", "GET", envelope("TAP_GET_ORDER_API", `{"serialNumber": "1234567890"}`), noRecords},
		{"order by VRS serialNumber", "GET", envelope("TAP_GET_ORDER_API", `{"serialNumber": "TESTApi01"}`), noRecords},
		{"order by poNumber", "GET", envelope("TAP_GET_ORDER_API", `{"poNumber": "PO300424"}`), noRecords},
		{"activation status by orderNumber", "GET", envelope("TAP_GET_ACTIVATION_STATUS_API", `{"orderNumber": "2342342"}`), noData},
		{"activation status by serialNumber", "GET", envelope("TAP_GET_ACTIVATION_STATUS_API", `{"serialNumber": "1234567890"}`), noData},
		{"products of tap-client's bill-to site", "GET", envelope("TAP_GET_PRODUCTS_API", `{"resellerbillToSiteUseId": "531807","serviceType": "RTX","model": "R12"}`), noData},
		{"customers of tap-client's search", "GET", `{"ProcName": "TAP_GET_CUSTOMERS_API","ProcRequester": "TAP","request": {"region": "AMERICA","resellerName": "Trimble","endCustomerName": "","customerCreationDate": "2023-01-20"}}`,
			`{"statusCode": "400", "status": "ERROR", "uniqueId": "<number>", "errorMessage": "No data found"}`},
		{"resend of tap-client's serial", "POST", envelope("TAP_RESEND_ACTIVATION_API", `{"serialNumber": "1234567890", "orderNumber": "2342342"}`),
			`{"statusCode": 400, "status": "ERROR", "uniqueId": "<number>", "errorMessage": ["No data found"]}`},
		{"an order on tap-client's sites", "POST", strings.Replace(sampleOrder, "PO300424", "PO-OTHER", 1),
			`{"statusCode": 400, "status": "ERROR", "uniqueId": "<number>", "errorMessage": [
			  "billToSiteUseId: billToSiteUseId 531807 is not a bill-to site of your resellers; get one from TAP_GET_CUSTOMERS_API (UNKNOWN_BILL_TO)",
			  "shipToSiteUseId: shipToSiteUseId 1912956 is not a ship-to site of your resellers or their end customers; get one from TAP_GET_CUSTOMERS_API (UNKNOWN_SHIP_TO)"]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r reply
			if tc.method == "GET" {
				r = h.get(other, tc.envelope)
			} else {
				r = h.post(other, "", tc.envelope)
			}
			check(t, r, 400, tc.want)
			for _, secret := range []string{"PO300424", "Order30042024", "Trimble Reseller Americas", "Green Acres", "VRS4567", "ID000"} {
				if strings.Contains(r.raw, secret) {
					t.Errorf("another client's answer shows tap-client's %q: %s", secret, r.raw)
				}
			}
		})
	}

	t.Run("customers", func(t *testing.T) {
		r := h.get(other, envelope("TAP_GET_CUSTOMERS_API", ""))
		check(t, r, 200, `{"statusCode": 200, "status": "SUCCESS", "uniqueId": "<number>", "resellers": [{
		  "name": "Someone Else Entirely",
		  "billTo": [{"siteUseId": 777001, "address": "Berlin", "region": "EUROPE", "autoRenewFlag": "Y"}],
		  "shipTo": [{"siteUseId": 777002, "address": "Berlin", "region": "EUROPE"}],
		  "endCustomer": []}]}`)
	})

	// tap-client still sees its order.
	check(t, h.get(tok, envelope("TAP_GET_ORDER_API", `{"uniqueID": "13331"}`)), 200, sampleOrderAnswer)
}

// TestStrictRequests: an unexpected field anywhere, an unknown query
// parameter, a proc called with the wrong method and an unknown ProcName are
// each refused with 400 and a message naming what is wrong.
func TestStrictRequests(t *testing.T) {
	h := newHarness(t)
	tok := h.tokenFor(tapClient, tapSecret)
	withColour := strings.Replace(sampleOrder, `"carrierName": "Telekom M2M"`, `"carrierName": "Telekom M2M", "colour": "red"`, 1)
	for _, tc := range []struct {
		name, method, query, body, want string
	}{{
		name: "an envelope field", method: "GET",
		body: `{"ProcName": "TAP_GET_MFG_MODELS_API","ProcRequester": "TAP","request": {"manufacturer":"Trimble"},"colour": "red"}`,
		want: `{"statusCode": 400, "status": "ERROR", "uniqueId": "<number>", "errorMessage": ["colour is not a field of this request"]}`,
	}, {
		name: "an envelope field of a POST", method: "POST",
		body: `{"ProcName": "TAP_RESEND_ACTIVATION_API","ProcRequester": "TAP","Colour": "red","request": {"serialNumber": "1234567890"}}`,
		want: `{"statusCode": 400, "status": "ERROR", "uniqueId": "<number>", "errorMessage": ["Colour is not a field of this request"]}`,
	}, {
		name: "a request field", method: "GET",
		body: envelope("TAP_GET_CUSTOMERS_API", `{"region": "AMERICA","colour": "red"}`),
		want: `{"statusCode": "400", "status": "ERROR", "uniqueId": "<number>", "errorMessage": "colour is not a field of this request"}`,
	}, {
		name: "a request field where the seed types uniqueId string", method: "GET",
		body: envelope("TAP_GET_ORDER_API", `{"uniqueID": "13331","orderNumber": "2342342"}`),
		want: `{"statusCode": "400", "status": "Error", "uniqueId": "<string>", "errorMessage": "orderNumber is not a field of this request"}`,
	}, {
		name: "a field of lines[1]", method: "POST", body: withColour,
		want: `{"statusCode": 400, "status": "ERROR", "uniqueId": "<number>", "errorMessage": ["lines[1].colour is not a field of this request"]}`,
	}, {
		// The seed types billToSiteUseId "Number": entitle takes a number or
		// a string of digits, so the message must not say "a string".
		name: "a boolean for a number", method: "POST",
		body: strings.Replace(sampleOrder, `"billToSiteUseId": "531807"`, `"billToSiteUseId": true`, 1),
		want: `{"statusCode": 400, "status": "ERROR", "uniqueId": "<number>", "errorMessage": ["billToSiteUseId must be a number, not bool"]}`,
	}, {
		name: "a number for a string in lines[1]", method: "POST",
		body: strings.Replace(sampleOrder, `"deviceKey": "VRS4567"`, `"deviceKey": 4567`, 1),
		want: `{"statusCode": 400, "status": "ERROR", "uniqueId": "<number>", "errorMessage": ["lines[1].deviceKey must be a string, not number"]}`,
	}, {
		name: "a fractional lineNumber", method: "POST",
		body: strings.Replace(sampleOrder, `"lineNumber": "2"`, `"lineNumber": 2.5`, 1),
		want: `{"statusCode": 400, "status": "ERROR", "uniqueId": "<number>", "errorMessage": ["lines[1].lineNumber: lineNumber must be a whole number, not \"2.5\" (INVALID_NUMBER)"]}`,
	}, {
		name: "an unknown query parameter", method: "GET",
		query: url.Values{"request": {envelope("TAP_GET_MFG_MODELS_API", "")}, "colour": {"red"}}.Encode(),
		want:  `{"statusCode": "400", "status": "ERROR", "uniqueId": "<number>", "errorMessage": "colour is not a query parameter; send request={...}"}`,
	}, {
		name: "no request parameter", method: "GET", query: "",
		want: `{"statusCode": "400", "status": "ERROR", "uniqueId": "<number>", "errorMessage": "the query needs request={\"ProcName\": \"...\", \"ProcRequester\": \"TAP\", \"request\": {...}}"}`,
	}, {
		name: "TAP_CREATE_ORDER_API by GET", method: "GET", body: sampleOrder,
		want: `{"statusCode": 400, "status": "ERROR", "uniqueId": "<number>", "errorMessage": ["ProcName: TAP_CREATE_ORDER_API is called with POST"]}`,
	}, {
		name: "TAP_GET_ORDER_API by POST", method: "POST", body: envelope("TAP_GET_ORDER_API", `{"uniqueID": "13331"}`),
		want: `{"statusCode": "400", "status": "Error", "uniqueId": "<string>", "errorMessage": "ProcName: TAP_GET_ORDER_API is called with GET"}`,
	}, {
		name: "an unknown ProcName", method: "GET", body: envelope("TAP_GET_EVERYTHING_API", ""),
		want: `{"statusCode": "400", "status": "ERROR", "uniqueId": "<number>", "errorMessage": "ProcName TAP_GET_EVERYTHING_API is not an API of this service"}`,
	}, {
		name: "no ProcName", method: "POST", body: `{"ProcRequester": "TAP", "request": {}}`,
		want: `{"statusCode": "400", "status": "ERROR", "uniqueId": "<number>", "errorMessage": "ProcName is mandatory"}`,
	}, {
		name: "no ProcRequester", method: "GET", body: `{"ProcName": "TAP_GET_MFG_MODELS_API"}`,
		want: `{"statusCode": 400, "status": "ERROR", "uniqueId": "<number>", "errorMessage": ["ProcRequester is mandatory (TAP)"]}`,
	}, {
		name: "malformed JSON", method: "POST", body: `{"ProcName": "TAP_CREATE_ORDER_API",`,
		want: `{"statusCode": "400", "status": "ERROR", "uniqueId": "<number>", "errorMessage": "the JSON ends early"}`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var r reply
			switch {
			case tc.method == "POST":
				r = h.post(tok, "", tc.body)
			case tc.body != "":
				r = h.get(tok, tc.body)
			default:
				r = h.getQuery(tok, tc.query)
			}
			check(t, r, 400, tc.want)
		})
	}
	if n := orderCount(t, h, tapClient, ""); n != 0 {
		t.Errorf("refused requests created %d orders", n)
	}
}

// TestIdempotencyKey: a retried write is answered once.
func TestIdempotencyKey(t *testing.T) {
	t.Run("the same key and body twice", func(t *testing.T) {
		h := newHarness(t)
		tok := h.tokenFor(tapClient, tapSecret)
		first := h.post(tok, "order-PO300424", sampleOrder)
		check(t, first, 200, `{"statusCode": 200, "status": "SUCCESS", "uniqueId": 13331}`)
		if v := first.header.Get("Idempotent-Replayed"); v != "" {
			t.Errorf("the first answer has Idempotent-Replayed: %q", v)
		}
		second := h.post(tok, "order-PO300424", sampleOrder)
		if second.status != first.status || second.raw != first.raw {
			t.Errorf("the retry answered %d %s, want the first answer %d %s", second.status, second.raw, first.status, first.raw)
		}
		if v := second.header.Get("Idempotent-Replayed"); v != "true" {
			t.Errorf("the retry has Idempotent-Replayed %q, want true", v)
		}
		if n := orderCount(t, h, tapClient, "PO300424"); n != 1 {
			t.Errorf("%d orders, want 1", n)
		}

		// The same key with another body is refused and changes nothing.
		other := strings.Replace(sampleOrder, "PO300424", "PO300425", 1)
		r := h.post(tok, "order-PO300424", other)
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("the same key with another body: %d %s, want 422", r.status, r.raw)
		}
		if n := orderCount(t, h, tapClient, "PO300425"); n != 0 {
			t.Errorf("the refused body created %d orders", n)
		}

		// A key belongs to its client: another client's same key is a new
		// request, never tap-client's answer replayed.
		r = h.post(h.tokenFor(anotherClient, anotherSecret), "order-PO300424", sampleOrder)
		if r.status != 400 || r.header.Get("Idempotent-Replayed") != "" || strings.Contains(r.raw, "13331") {
			t.Errorf("another client with tap-client's key: %d %v %s; want its own 400", r.status, r.header, r.raw)
		}
	})

	t.Run("a refusal is replayed too", func(t *testing.T) {
		h := newHarness(t)
		tok := h.tokenFor(tapClient, tapSecret)
		late := orderWith("PO-LATE", []string{"1234567890"}, "2025-04-28")
		first := h.post(tok, "late", late)
		second := h.post(tok, "late", late)
		if first.status != 400 || second.raw != first.raw || second.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("a refused order retried: %d %s then %d %s", first.status, first.raw, second.status, second.raw)
		}
	})

	t.Run("two at once", func(t *testing.T) {
		h := newHarness(t)
		tok := h.tokenFor(tapClient, tapSecret)
		for round := range 10 {
			po := fmt.Sprintf("PO-RACE-%d", round)
			body := orderWith(po, []string{fmt.Sprintf("99000000%02d", round)})
			key := "race-" + po
			var (
				wg      sync.WaitGroup
				replies [2]reply
				ready   = make(chan struct{})
			)
			for i := range replies {
				wg.Go(func() {
					<-ready
					replies[i] = h.post(tok, key, body)
				})
			}
			close(ready)
			wg.Wait()
			ok := 0
			for _, r := range replies {
				switch r.status {
				case 200:
					ok++
				case http.StatusConflict:
				default:
					t.Errorf("round %d: %d %s, want 200 or 409", round, r.status, r.raw)
				}
			}
			if ok == 0 {
				t.Errorf("round %d: no request succeeded: %v", round, replies)
			}
			if ok == 2 && replies[0].raw != replies[1].raw {
				t.Errorf("round %d: two different successes: %s and %s", round, replies[0].raw, replies[1].raw)
			}
			if n := orderCount(t, h, tapClient, po); n != 1 {
				t.Errorf("round %d: %d orders, want exactly 1", round, n)
			}
		}
	})
}

// TestBodyLimit: a POST body over 1 MiB answers 413; one of exactly 1 MiB is
// read.
func TestBodyLimit(t *testing.T) {
	h := newHarness(t)
	tok := h.tokenFor(tapClient, tapSecret)
	pad := func(n int) string {
		head := `{"ProcName": "TAP_CREATE_ORDER_API","ProcRequester": "TAP","request": {"customerPONumber": "`
		tail := `"}}`
		return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
	}
	r := h.post(tok, "", pad(httpapi.MaxBody+1))
	check(t, r, http.StatusRequestEntityTooLarge,
		`{"statusCode": "413", "status": "ERROR", "uniqueId": "<number>", "errorMessage": "the request body is larger than 1 MiB"}`)

	r = h.post(tok, "", pad(httpapi.MaxBody))
	if r.status != 400 || strings.Contains(r.raw, "larger than") || !strings.Contains(r.raw, "customerPONumber") {
		t.Errorf("a body of exactly 1 MiB: %d %.300s; want the order's own 400 about its customerPONumber", r.status, r.raw)
	}
}

func TestHealthz(t *testing.T) {
	h := newHarness(t)
	r := h.do(h.newRequest(http.MethodGet, h.url("/healthz"), nil))
	if r.status != 200 || strings.TrimSpace(r.raw) != "ok" {
		t.Errorf("GET /healthz: %d %q, want 200 ok", r.status, r.raw)
	}
}

// TestStagePath: the stage spelling of the path serves the same API.
func TestStagePath(t *testing.T) {
	h := newHarness(t)
	tok := h.tokenFor(tapClient, tapSecret)
	req := h.newRequest(http.MethodGet, h.url("/cloud/TAPStoreAPIs/v1?"+url.Values{"request": {`{"ProcName": "TAP_GET_MFG_MODELS_API","ProcRequester": "TAP"}`}}.Encode()), nil)
	bearer(req, tok)
	r := h.do(req)
	check(t, r, 200, `{"statusCode": 200, "status": "SUCCESS", "uniqueId": "<number>",
	  "manufacturerModel": ["Trimble||AG-392", "Trimble||Ag482", "Trimble||NAV-900", "Trimble||R12", "Trimble||R2"]}`)
}
