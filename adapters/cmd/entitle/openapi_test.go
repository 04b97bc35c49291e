package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/httpapi/rulesapi"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/ports"
)

// apiDoc is one served document, parsed, with its router.
type apiDoc struct {
	name   string
	doc    *openapi3.T
	prefix string // the first server URL ("" for "/")
	router routers.Router
	seen   map[string][]int // "METHOD /path" -> statuses answered
}

// docHarness sends requests to `entitle serve`'s handler (newAPI over the
// example data set) and checks each request and answer against the
// document whose server URL and path it matches.
type docHarness struct {
	t    *testing.T
	srv  *httptest.Server
	api  *httpapi.Server
	docs []*apiDoc
	last string // the last answer's body
}

func newDocHarness(t *testing.T) *docHarness {
	rs, err := loadRules("", slog.New(slog.DiscardHandler)) // the shipped rulesets, as runServer loads them
	if err != nil {
		t.Fatal(err)
	}
	store := memory.New()
	t.Cleanup(func() { store.Close() })
	if _, err := loadData(context.Background(), store, exampleData); err != nil {
		t.Fatal(err)
	}
	// 2025-04-24 10:00 Pacific, the day of the seed's sample dates.
	clock := ports.ClockFunc(func() time.Time { return time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC) })
	api, svc, _, err := newAPI(store, rs.live, clock, time.Hour, httpapi.Limits{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	// The store API's client of the example data set is a rule author; its
	// Account Manager partner (fleet-partner) is not.
	registerRulesAPI(api, rs, svc, rulesapi.Authors{"tap-client": true})
	h := &docHarness{t: t, srv: httptest.NewServer(api), api: api}
	t.Cleanup(h.srv.Close)
	for _, d := range apiDocs() {
		// Each document as /openapi/ serves it, in JSON.
		resp, err := http.Get(h.srv.URL + "/openapi/" + d.Name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("/openapi/%s.json: %d %s", d.Name, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(b)
		if err == nil {
			err = doc.Validate(loader.Context)
		}
		if err != nil {
			t.Fatalf("%s: %v", d.Name, err)
		}
		if !doc.IsOpenAPI31OrLater() {
			t.Errorf("%s is OpenAPI %s, not 3.1", d.Name, doc.OpenAPI)
		}
		a := &apiDoc{name: d.Name, doc: doc, seen: map[string][]int{}}
		if len(doc.Servers) > 0 && doc.Servers[0].URL != "/" {
			a.prefix = doc.Servers[0].URL
		}
		bare := *doc
		bare.Servers = nil
		if a.router, err = legacy.NewRouter(&bare); err != nil {
			t.Fatal(err)
		}
		h.docs = append(h.docs, a)
	}
	return h
}

// call is one request of the tour: requestValid says whether the document
// accepts the request as sent (a deliberately malformed one must be
// refused by the document as by the server).
type call struct {
	method, path, body string
	header             http.Header
	status             int
	requestInvalid     bool
}

// route finds the document operation of req.
func (h *docHarness) route(req *http.Request) (*apiDoc, *routers.Route, map[string]string, *http.Request) {
	for _, d := range h.docs {
		path := req.URL.EscapedPath()
		if d.prefix != "" && !strings.HasPrefix(path, d.prefix+"/") {
			continue
		}
		rel := req.Clone(context.Background())
		rel.URL.Path, rel.URL.RawPath = strings.TrimPrefix(path, d.prefix), ""
		rel.URL.Host, rel.URL.Scheme, rel.Host = "", "", ""
		if route, params, err := d.router.FindRoute(rel); err == nil {
			return d, route, params, rel
		}
	}
	return nil, nil, nil, nil
}

// do sends c, checks the request and the answer against the document, and
// returns the answer's body decoded.
func (h *docHarness) do(c call) map[string]any {
	t := h.t
	t.Helper()
	req, err := http.NewRequest(c.method, h.srv.URL+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	d, route, params, rel := h.route(req)
	if d == nil {
		t.Errorf("%s %s: no document has this operation", c.method, c.path)
		return nil
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}
	rel.Body = io.NopCloser(strings.NewReader(c.body))
	in := &openapi3filter.RequestValidationInput{Request: rel, PathParams: params, Route: route, Options: opts}
	reqErr := openapi3filter.ValidateRequest(context.Background(), in)
	switch {
	case c.requestInvalid && reqErr == nil:
		t.Errorf("%s %s: the %s document accepts this malformed request: %s", c.method, c.path, d.name, c.body)
	case !c.requestInvalid && reqErr != nil:
		t.Errorf("%s %s: the %s document refuses the request: %v\n%s", c.method, c.path, d.name, reqErr, c.body)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != c.status {
		t.Errorf("%s %s: status %d, want %d: %s", c.method, c.path, resp.StatusCode, c.status, b)
	}
	rel.Body = io.NopCloser(strings.NewReader(c.body))
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(b)), Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s %s: the %d answer is not the one %s documents: %v\n%s", c.method, c.path, resp.StatusCode, d.name, err, b)
	}
	op := route.Method + " " + route.Path
	d.seen[op] = append(d.seen[op], resp.StatusCode)
	h.last = string(b)
	var v map[string]any
	_ = json.Unmarshal(b, &v)
	return v
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func tap(envelope string) string {
	return "/cloud/tapstoreapis/v1?request=" + url.QueryEscape(envelope)
}

// TestOpenAPIValidatesEveryEndpoint drives every operation of the five APIs
// and the rule authors' API through `entitle serve`'s wiring with the example data set, successes and
// refusals, and checks each request and answer against the API's OpenAPI
// document as /openapi/ serves it; every documented operation must be
// answered, every other method at a documented path must be refused, and
// every route the APIs registered must be a documented operation or a
// refusal (httpapi.Server.Routes).
func TestOpenAPIValidatesEveryEndpoint(t *testing.T) {
	h := newDocHarness(t)
	token := func(v map[string]any, key string) string { s, _ := v[key].(string); return s }

	// The TAP store API (seed 001).
	form := func(body string) call {
		return call{method: "POST", path: "/oauth/token", body: body, header: hdr("Content-Type", "application/x-www-form-urlencoded")}
	}
	c := form("grant_type=client_credentials&client_id=tap-client&client_secret=example-secret-change-me")
	c.status = 200
	bearer := hdr("Authorization", "Bearer "+token(h.do(c), "access_token"))
	c = form("grant_type=client_credentials&client_id=tap-client&client_secret=wrong-secret-0000000")
	c.status = 401
	h.do(c)
	c = form("grant_type=password&client_id=tap-client&client_secret=example-secret-change-me")
	c.status = 400
	h.do(c)
	for _, c := range []call{
		{method: "GET", path: tap(`{"ProcName": "TAP_GET_CUSTOMERS_API","ProcRequester": "TAP","request": {"region": "AMERICA","resellerName": "Trimble","endCustomerName": "","customerCreationDate": "2023-01-20"}}`), status: 200},
		{method: "GET", path: tap(`{"ProcName": "TAP_GET_CUSTOMERS_API","ProcRequester": "TAP","request": {"region": "MARS"}}`), status: 400},
		{method: "GET", path: tap(`{"ProcName": "TAP_GET_MFG_MODELS_API","ProcRequester": "TAP","request": {"manufacturer":"Trimble"}}`), status: 200},
		{method: "GET", path: tap(`{"ProcName": "TAP_GET_MFG_MODELS_API","ProcRequester": "TAP","request": {"manufacturer":"Nobody"}}`), status: 400},
		{method: "GET", path: tap(`{"ProcName": "TAP_GET_PRODUCTS_API","ProcRequester": "TAP","request": {"resellerbillToSiteUseId": "531807","serviceType": "RTX","model": "R12","partDescription": "Ag Regional"}}`), status: 200},
		{method: "GET", path: tap(`{"ProcName": "TAP_GET_PRODUCTS_API","ProcRequester": "TAP","request": {"resellerbillToSiteUseId": "121212","serviceType": "RTX","model": "Trimble R2","partDescription": "Ag Regional"}}`), status: 400},
		{method: "GET", path: tap(`{"ProcName": "TAP_GET_ORDER_API","ProcRequester": "TAP","request": {"serialNumber": "5512345678"}}`), status: 200},
		{method: "GET", path: tap(`{"ProcName": "TAP_GET_ORDER_API","ProcRequester": "TAP","request": {"poNumber": "PO-STORE-2024-117"}}`), status: 200},
		{method: "GET", path: tap(`{"ProcName": "TAP_GET_ORDER_API","ProcRequester": "TAP","request": {"uniqueID": "13331","serialNumber": "1234567890","poNumber": "HelloWorld"}}`), status: 400},
		{method: "GET", path: tap(`{"ProcName": "TAP_GET_ACTIVATION_STATUS_API","ProcRequester": "TAP","request": {"serialNumber": "5512345678"}}`), status: 200},
		{method: "GET", path: tap(`{"ProcName": "TAP_GET_ACTIVATION_STATUS_API","ProcRequester": "TAP","request": {"orderNumber": "123456","serialNumber": "1234567890"}}`), status: 400},
		{method: "POST", path: "/cloud/tapstoreapis/v1", body: `{"ProcName": "TAP_CREATE_ORDER_API", "ProcRequester": "TAP", "request": {
		  "customerPONumber": "PO300424", "customerOrderRef": "Order30042024", "currencyCode": "USD",
		  "billToSiteUseId": 531807, "shipToSiteUseId": 1912956, "billToContactEmail": "test123@gmail.com", "shipToContactEmail": "test456@gmail.com",
		  "lines": [{"lineNumber": 1, "serviceStartDate": "2025-04-24", "partNumber": "132001-10", "serialNumber": "1234567890",
		    "serviceType": "RTX", "manufacturerModel": "R12", "autoRenewal": "Y", "activationType": "IMMEDIATE"}]}}`, status: 200},
		{method: "POST", path: "/cloud/TAPStoreAPIs/v1", body: `{"ProcName": "TAP_CREATE_ORDER_API", "ProcRequester": "TAP", "request": {
		  "customerPONumber": "PO2", "currencyCode": "USD", "billToSiteUseId": 531807, "shipToSiteUseId": 1912956,
		  "billToContactEmail": "test123@gmail.com", "shipToContactEmail": "test456@gmail.com",
		  "lines": [{"lineNumber": 1, "serviceStartDate": "2025-04-28", "partNumber": "132001-10", "serialNumber": "1234567891",
		    "serviceType": "RTX", "manufacturerModel": "R12", "autoRenewal": "N", "activationType": "IMMEDIATE"}]}}`, status: 400},
		{method: "POST", path: "/cloud/tapstoreapis/v1", body: `{"ProcName": "TAP_RESEND_ACTIVATION_API", "ProcRequester": "TAP", "request": {"serialNumber": "5512345678"}}`, status: 200},
		{method: "POST", path: "/cloud/tapstoreapis/v1", body: `{"ProcName": "TAP_RESEND_ACTIVATION_API", "ProcRequester": "TAP", "request": {"serialNumber": "0000000000"}}`, status: 400},
		// Malformed: the document refuses them as the server does.
		{method: "GET", path: tap(`{"ProcName": "TAP_GET_ORDER_API","ProcRequester": "TAP","request": {"colour": "red"}}`), status: 400, requestInvalid: true},
		{method: "GET", path: tap(`{"ProcName": "TAP_NOPE","ProcRequester": "TAP"}`), status: 400, requestInvalid: true},
		{method: "POST", path: "/cloud/tapstoreapis/v1", body: `{"ProcName": "TAP_GET_ORDER_API", "ProcRequester": "TAP", "request": {"uniqueID": "1"}}`, status: 400, requestInvalid: true},
		{method: "GET", path: tap(`{"ProcName": "TAP_GET_ORDER_API","ProcRequester": "TAP","request": {"uniqueID": "x1"}}`), status: 400, requestInvalid: true},
	} {
		if c.header == nil {
			c.header = bearer
		}
		h.do(c)
	}
	h.do(call{method: "GET", path: strings.Replace(tap(`{"ProcName": "TAP_GET_MFG_MODELS_API","ProcRequester": "TAP"}`), "tapstoreapis", "TAPStoreAPIs", 1),
		header: bearer, status: 200})
	h.do(call{method: "GET", path: tap(`{"ProcName": "TAP_GET_CUSTOMERS_API","ProcRequester": "TAP"}`), status: 401,
		header: hdr("Authorization", "Bearer not-a-token")})

	// Account Manager (seed 000).
	am := func(method, path, body string, tok http.Header, status int) map[string]any {
		return h.do(call{method: method, path: "/api/v1" + path, body: body, header: tok, status: status})
	}
	partner := hdr("Authorization", "Bearer "+token(am("POST", "/authenticate", `{"apiKey":"example-api-key-change-me"}`, nil, 200), "token"))
	am("POST", "/authenticate", `{"apiKey":"wrong-api-key-0000000"}`, nil, 401)
	acct := hdr("Authorization", "Bearer "+token(am("POST", "/authenticate", `{"apiKey":"example-api-key-change-me","alias":"acme-fleet"}`, nil, 200), "token"))
	am("POST", "/companies", `{"name":"Blue Trucking"}`, partner, 201)
	h.do(call{method: "POST", path: "/api/v1/companies", body: `{}`, header: partner, status: 400, requestInvalid: true})
	am("GET", "/companies", "", partner, 200)
	am("GET", "/companies/blue-trucking", "", partner, 200)
	am("GET", "/companies/nobody-here", "", partner, 404)
	am("PUT", "/companies/blue-trucking/license/CoPilot", `{"seats":2}`, partner, 200)
	h.do(call{method: "PUT", path: "/api/v1/companies/blue-trucking/license/CoPilot", body: `{"seats":-1}`, header: partner, status: 400, requestInvalid: true})
	for _, u := range []string{"driver-7", "truck-12", "van-3"} {
		am("POST", "/users", `{"externalId":"`+u+`"}`, acct, 201)
	}
	am("POST", "/users", `{"externalId":"driver-7"}`, acct, 409)
	am("GET", "/users", "", acct, 200)
	am("GET", "/users/driver-7", "", acct, 200)
	am("GET", "/users/nobody", "", acct, 404)
	am("PUT", "/users/truck-12", `{"email":"truck12@example.com"}`, acct, 200)
	am("POST", "/license/MileOn", `{"externalId":"driver-7"}`, acct, 200)
	am("POST", "/license/MileOn/bulk", `{"externalIds":["truck-12","van-3"]}`, acct, 200)
	am("GET", "/license/MileOn", "", acct, 200)
	am("DELETE", "/license/MileOn", `{"externalId":"truck-12"}`, acct, 200)
	am("DELETE", "/license/MileOn/bulk", `{"externalIds":["van-3"]}`, acct, 200)
	am("DELETE", "/users/driver-7", "", acct, 200)
	am("GET", "/audit?limit=5", "", acct, 200)
	am("GET", "/audit", "", partner, 403)
	am("GET", "/companies/acme-fleet/license/MileOn/preview?seats=10", "", partner, 200)
	h.do(call{method: "GET", path: "/api/v1/companies/acme-fleet/license/MileOn/preview?seats=lots", header: partner, status: 400, requestInvalid: true})
	am("GET", "/users", "", nil, 401)

	// License Assignments v2 (seed 004).
	admin := hdr("Authorization", "Basic "+basic("admin@acme.example", "example-password-change-me"))
	v2 := func(method, path string, tok http.Header, status int) map[string]any {
		return h.do(call{method: method, path: "/api/v2" + path, header: tok, status: status})
	}
	v2("GET", "/licenseAssignments?sort=-activation-date&limit=10", admin, 200)
	v2("GET", "/licenseAssignments/1", admin, 200)
	v2("GET", "/licenseAssignments/999999", admin, 404)
	v2("GET", "/licenseAssignments", nil, 401)
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		v2(m, "/licenseAssignments", admin, 405)
		v2(m, "/licenseAssignments/1", admin, 405)
	}
	// A parameter the document does not list is refused (its description
	// says so; OpenAPI cannot).
	h.do(call{method: "GET", path: "/api/v2/licenseAssignments?colour=red", header: admin, status: 400})

	// Managed billing (seed 002).
	mb := hdr("Authorization", "Basic "+basic("billing-client", "example-billing-secret-change-me"), "Content-Type", "application/x-www-form-urlencoded")
	tsBearer := "Bearer " + token(h.do(call{method: "POST", path: "/api/ts/v1/oauth2/token", body: "grant_type=client_credentials", header: mb, status: 200}), "access_token")
	h.do(call{method: "POST", path: "/api/ts/v1/oauth2/token", body: "grant_type=client_credentials", status: 401,
		header: hdr("Content-Type", "application/x-www-form-urlencoded", "Authorization", "Basic "+basic("billing-client", "wrong"))})
	login := func(user string, status int) string {
		v := h.do(call{method: "POST", path: "/api/m2m/v1/session/login", body: `{"username":"` + user + `","password":"example-password-change-me"}`,
			header: hdr("Authorization", tsBearer), status: status})
		return token(v, "sessionToken")
	}
	primary := hdr("Authorization", tsBearer, "VZ-M2M-Token", login("primary@example.com", 200))
	managed := hdr("Authorization", tsBearer, "VZ-M2M-Token", login("managed1@example.com", 200))
	login("nobody@example.com", 400)
	sub := "/api/subsc/v1/managedaccounts"
	h.do(call{method: "POST", path: sub + "/actions/add", header: primary, status: 200,
		body: `{"accountName": "1234567890-00001", "serviceName": "Location", "type": "TS-LOC-COARSE-CellID-Aggr", "managedAccList": ["1223334444-00001", "2334445555-00001"]}`})
	h.do(call{method: "GET", path: sub + "/1234567890-00001/service/Location", header: primary, status: 200})
	tx := ""
	if m := regexp.MustCompile(`"txid":"([^"]+)"`).FindStringSubmatch(h.last); m != nil {
		tx = m[1]
	}
	link := `{"accountName":"1223334444-00001","paccountName":"1234567890-00001","serviceName":"Location","type":"TS-LOC-COARSE-CellID-Aggr","txid":"` + tx + `"}`
	h.do(call{method: "POST", path: sub + "/actions/provision", header: managed, body: link, status: 200})
	h.do(call{method: "GET", path: sub + "/1234567890-00001/service/Location/status/PROVISION", header: primary, status: 200})
	h.do(call{method: "POST", path: sub + "/actions/cancel", header: managed, body: link, status: 200})
	h.do(call{method: "POST", path: sub + "/actions/provision", header: managed, status: 200, // "status":"Fail","reason":"Invalid TxId"
		body: `{"accountName":"1223334444-00001","paccountName":"1234567890-00001","serviceName":"Location","type":"TS-LOC-COARSE-CellID-Aggr","txid":"nope"}`})
	h.do(call{method: "GET", path: sub + "/1234567890-00001/service/Location", header: hdr("Authorization", tsBearer), status: 400})

	// Account operations (seed 003).
	gt := hdr("X-AccessToken", "example-access-token-change-me")
	p := func(method, path, body string, status int) {
		h.do(call{method: method, path: "/partner" + path, body: body, header: gt, status: status})
	}
	p("GET", "/accounts/11111", "", 200)
	p("GET", "/accounts/99999", "", 403)
	p("PATCH", "/accounts/11111/set-blocked-at", `{"blocked_at": 1745600000}`, 200)
	p("PATCH", "/accounts/11111/set-blocked", `{"blocked": true}`, 200)
	h.do(call{method: "PATCH", path: "/partner/accounts/11111/set-blocked", body: `{"blocked": "yes"}`, header: gt, status: 400, requestInvalid: true})
	p("PUT", "/accounts/111111/client-plan", `{"tariff_plan_id":"52ffXXXXXXXXXXXXdc89","app_id":"b901da51-ce00-4af2-b978-8d0fca8ae1ea"}`, 200)
	p("POST", "/accounts/111111/client-plan", `{"tariff_plan_id":"52ffXXXXXXXXXXXXdc89","app_id":"b901da51-ce00-4af2-b978-8d0fca8ae1ea"}`, 200)
	p("GET", "/client-plans", "", 200)
	p("GET", "/accounts/111111/subscriptions", "", 200)
	p("GET", "/accounts/count?is_attached=true", "", 200)
	p("GET", "/accounts/111111/limits?app_id=5a5ca87f-7cbe-4540-ab5d-77bf4bf69884", "", 200)
	h.do(call{method: "GET", path: "/partner/accounts/count?colour=red", header: gt, status: 400})
	h.do(call{method: "GET", path: "/partner/accounts/11111", status: 403})

	// The rule authors' API, as tap-client (a rule author) after the
	// orders above were decided and logged.
	ra := func(method, path, body string, tok http.Header, status int) map[string]any {
		return h.do(call{method: method, path: path, body: body, header: tok, status: status})
	}
	inForce := ra("GET", "/rulesets", "", bearer, 200)
	ra("GET", "/rulesets", "", nil, 401)
	ra("GET", "/rulesets", "", partner, 403) // fleet-partner is not a rule author
	files, err := json.Marshal(inForce["files"])
	if err != nil || len(files) < 10 {
		t.Fatalf("GET /rulesets files: %s %v", files, err)
	}
	if v := ra("POST", "/rulesets/check", `{"files":`+string(files)+`,"run":"."}`, bearer, 200); v["ok"] != true || v["hash"] != inForce["hash"] {
		t.Errorf("POST /rulesets/check of the files in force: ok %v, hash %v, want true, %v", v["ok"], v["hash"], inForce["hash"])
	}
	if v := ra("POST", "/rulesets/check", `{"files":[{"name":"10-broken.yaml","source":"rules: [\n"}]}`, bearer, 200); v["ok"] != false {
		t.Errorf("POST /rulesets/check of a broken file: ok %v, want false", v["ok"])
	}
	h.do(call{method: "POST", path: "/rulesets/check", body: `{"files":[]}`, header: bearer, status: 400, requestInvalid: true})
	list := ra("GET", "/decisions?context=orders&pageSize=10", "", bearer, 200)
	decisions, _ := list["decisions"].([]any)
	if len(decisions) == 0 {
		t.Fatalf("GET /decisions: no decision of the orders above: %s", h.last)
	}
	id, _ := decisions[0].(map[string]any)["id"].(string)
	ra("GET", "/decisions?from=yesterday", "", bearer, 400)
	ra("GET", "/decisions/"+url.PathEscape(id), "", bearer, 200)
	ra("GET", "/decisions/no-such-decision", "", bearer, 404)
	if v := ra("GET", "/decisions/"+url.PathEscape(id)+"/explain", "", bearer, 200); len(v["trace"].([]any)) == 0 {
		t.Errorf("GET /decisions/%s/explain: no trace", id)
	}
	ra("GET", "/decisions/no-such-decision/explain", "", bearer, 404)
	explained := ra("POST", "/rulesets/explain", `{"context":"orders","request":{"customerPONumber":"PO-X","currencyCode":"USD",
	  "billToSiteUseId":531807,"shipToSiteUseId":1912956,"billToContactEmail":"a@example.com","shipToContactEmail":"b@example.com",
	  "lines":[{"lineNumber":1,"serviceStartDate":"2001-01-01","partNumber":"132001-10","serialNumber":"1234567892",
	    "serviceType":"RTX","manufacturerModel":"R12","autoRenewal":"Y","activationType":"IMMEDIATE"}]}}`, bearer, 200)
	if d, _ := explained["decision"].(map[string]any); d == nil || d["allowed"] != false {
		t.Errorf("POST /rulesets/explain of a start date in 2001: %s", h.last)
	}
	// A seats decision from its facts, as the decision log keeps them (the
	// document's example, the web tool's playground sample).
	ra("POST", "/rulesets/explain", `{"context":"seats","request":{"decision":"items","now":"2025-04-24T10:00:00Z",
	  "call":{"action":"assign","productId":"MileOn","items":1},"account":{"users":3,"alias":"acme-fleet"},
	  "items":[{"item":{"action":"assign","productId":"MileOn","externalId":"driver-7","index":0,"userFound":true},"pool":{"owned":2,"assigned":2,"free":0}}]}}`, bearer, 200)
	if !strings.Contains(h.last, `"code":"NO_FREE_SEAT"`) {
		t.Errorf("POST /rulesets/explain of a seats call with no free seat: %s", h.last)
	}
	ra("POST", "/rulesets/explain", `{"context":"seats","request":{"productId":"MileOn"}}`, bearer, 400)
	h.do(call{method: "POST", path: "/rulesets/explain", body: `{"context":"orders"}`, header: bearer, status: 400, requestInvalid: true})
	if v := ra("POST", "/rulesets/replay", `{"files":`+string(files)+`}`, bearer, 200); v["replayed"] == float64(0) {
		t.Errorf("POST /rulesets/replay replayed nothing: %s", h.last)
	}
	h.do(call{method: "POST", path: "/rulesets/replay", body: `{"colour":"red"}`, header: bearer, status: 400, requestInvalid: true})

	h.everyRouteDocumented(map[string]http.Header{
		"/cloud/": bearer, "/api/v1/": acct, "/api/v2/": admin, "/api/ts/": mb, "/api/m2m/": hdr("Authorization", tsBearer),
		"/api/subsc/": primary, "/partner/": gt, "/accounts/": gt, "/rulesets": bearer, "/decisions": bearer,
	})

	// Every documented operation was answered, and not by a route's
	// refusal of an unknown path or method.
	for _, d := range h.docs {
		for path, item := range d.doc.Paths.Map() {
			for method := range item.Operations() {
				op := method + " " + path
				statuses := d.seen[op]
				if len(statuses) == 0 {
					t.Errorf("%s: %s was never called", d.name, op)
				}
			}
			// Every other method at a documented path is refused: the
			// router serves nothing the document does not list.
			for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
				if item.GetOperation(m) != nil {
					continue
				}
				target := d.prefix + strings.NewReplacer("{", "", "}", "").Replace(path)
				req, _ := http.NewRequest(m, h.srv.URL+target, strings.NewReader("{}"))
				req.Header.Set("Content-Type", "application/json")
				resp, err := h.srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 404 && resp.StatusCode != 405 {
					t.Errorf("%s: %s %s is answered %d, but the document has no such operation", d.name, m, target, resp.StatusCode)
				}
			}
		}
		if _, ok := d.seen[""]; ok {
			t.Errorf("%s: an answer of no operation", d.name)
		}
		names := slices.Sorted(func(yield func(string) bool) {
			for k := range d.seen {
				if !yield(k) {
					return
				}
			}
		})
		t.Logf("%s: %d operations called: %v", d.name, len(names), names)
	}
}

func basic(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}

// apiRoots are where the five APIs and the rule authors' API live; a route
// elsewhere (/openapi/, the web tool) is not theirs to document.
var apiRoots = []string{"/cloud/", "/oauth/", "/api/", "/partner/", "/accounts/", "/rulesets", "/decisions"}

// aliases are routes served under a second name that an OpenAPI document
// cannot list twice: the route, and the documented operation it serves.
var aliases = map[string]string{
	// Seed 003's example sends set-blocked-at without /partner; the
	// accountops document's description says the alias is served.
	"PATCH /accounts/{id}/set-blocked-at": "PATCH /partner/accounts/{id}/set-blocked-at",
}

// everyRouteDocumented checks every route the APIs registered with the
// kit: a route of a documented operation is fine; any other route must be
// a refusal (404 or 405, asked with the API's credentials, by the path's
// prefix in creds), never an endpoint the documents do not list.
func (h *docHarness) everyRouteDocumented(creds map[string]http.Header) {
	t := h.t
	t.Helper()
	fill := strings.NewReplacer("{", "", "}", "", "$", "")
	documented := func(method, path string) bool {
		req, _ := http.NewRequest(method, h.srv.URL+fill.Replace(path), nil)
		d, route, _, _ := h.route(req)
		return d != nil && route.Method == method && d.prefix+route.Path == path
	}
	for _, pattern := range h.api.Routes() {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok || !slices.ContainsFunc(apiRoots, func(root string) bool { return strings.HasPrefix(path, root) }) {
			continue // a fallback, or not one of the five APIs (the documents themselves, the web tool, ...)
		}
		if documented(method, path) {
			continue
		}
		if alias, ok := aliases[pattern]; ok {
			if m, p, _ := strings.Cut(alias, " "); !documented(m, p) {
				t.Errorf("%s is served as an alias of %s, which no document lists", pattern, alias)
			}
			continue
		}
		req, _ := http.NewRequest(method, h.srv.URL+fill.Replace(path), strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		for prefix, c := range creds {
			if strings.HasPrefix(path, prefix) {
				for k, v := range c {
					req.Header[k] = v
				}
			}
		}
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("the route %s answers %d, but no document lists it", pattern, resp.StatusCode)
		}
	}
}
