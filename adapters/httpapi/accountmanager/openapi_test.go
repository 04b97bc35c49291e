package accountmanager_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/entitle-rules/entitle/adapters/httpapi/accountmanager"
)

// spec checks real answers against the API's OpenAPI document: an answer of
// a documented operation must be one of its documented statuses with the
// documented headers and body; any other answer (an unknown path or method)
// must be the documented Error envelope. It records which operations and
// statuses were seen, for TestOpenAPICoverage.
type spec struct {
	doc    *openapi3.T
	router routers.Router
	prefix string

	mu   sync.Mutex
	seen map[string]bool // "POST /users 201"
}

var parsedSpec = sync.OnceValues(func() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(accountmanager.OpenAPI())
	if err != nil {
		return nil, err
	}
	return doc, doc.Validate(loader.Context)
})

func loadSpec(tb testing.TB) *spec {
	tb.Helper()
	doc, err := parsedSpec()
	if err != nil {
		tb.Fatalf("openapi.yaml: %v", err)
	}
	prefix := doc.Servers[0].URL
	// Route by paths relative to the server URL.
	bare := *doc
	bare.Servers = nil
	router, err := legacy.NewRouter(&bare)
	if err != nil {
		tb.Fatal(err)
	}
	return &spec{doc: doc, router: router, prefix: prefix, seen: map[string]bool{}}
}

func (s *spec) check(tb testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	tb.Helper()
	rel := req.Clone(context.Background())
	// Routed by the escaped path, so an escaped / stays inside its segment.
	rel.URL.Path = strings.TrimPrefix(req.URL.EscapedPath(), s.prefix)
	rel.URL.RawPath = ""
	route, params, err := s.router.FindRoute(rel)
	if err != nil || !strings.HasPrefix(req.URL.Path, s.prefix+"/") {
		s.checkError(tb, req, status, body)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: rel, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: status, Header: header, Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		tb.Errorf("%s %s: the %d answer is not the documented one: %v\nbody: %s", req.Method, req.URL.Path, status, err, body)
		return
	}
	if status >= 400 {
		s.checkError(tb, req, status, body)
	}
	s.mu.Lock()
	s.seen[route.Method+" "+route.Path+" "+strconv.Itoa(status)] = true
	s.mu.Unlock()
}

// checkError checks an error answer is the Error envelope with the status
// its code maps to.
func (s *spec) checkError(tb testing.TB, req *http.Request, status int, body []byte) {
	tb.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		tb.Errorf("%s %s: %d answer is not JSON: %q", req.Method, req.URL.Path, status, body)
		return
	}
	if err := s.doc.Components.Schemas["Error"].Value.VisitJSON(v); err != nil {
		tb.Errorf("%s %s: the %d answer is not the Error envelope: %v\nbody: %s", req.Method, req.URL.Path, status, err, body)
		return
	}
	code, _ := v.(map[string]any)["error"].(map[string]any)["code"].(string)
	if want := statusOf[code]; want != status {
		tb.Errorf("%s %s: error code %s in a %d answer; the document maps it to %d", req.Method, req.URL.Path, code, status, want)
	}
}

// statusOf is the document's table of error codes and statuses.
var statusOf = map[string]int{
	"invalid": 400, "unauthenticated": 401, "forbidden": 403, "not_found": 404, "method_not_allowed": 405,
	"conflict": 409, "too_large": 413, "unsupported_media_type": 415, "idempotency_key_reused": 422,
	"rate_limited": 429, "internal": 500, "unavailable": 503,
}

// operations lists the document's operations as "METHOD /path".
func (s *spec) operations() []string {
	var out []string
	for path, item := range s.doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, method+" "+path)
		}
	}
	slices.Sort(out)
	return out
}

// succeeded reports whether op was seen answering a 2xx.
func (s *spec) succeeded(op string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.seen {
		if strings.HasPrefix(k, op+" 2") {
			return true
		}
	}
	return false
}

// TestOpenAPIDocument: the document is valid OpenAPI 3, every route the
// package registers is in it, and every documented error code has its
// status in the description a reader sees.
func TestOpenAPIDocument(t *testing.T) {
	s := loadSpec(t)
	want := []string{
		"DELETE /license/{productId}", "DELETE /license/{productId}/bulk", "DELETE /users/{externalId}",
		"GET /companies", "GET /companies/{alias}", "GET /license/{productId}", "GET /users", "GET /users/{externalId}",
		"POST /authenticate", "POST /companies", "POST /license/{productId}", "POST /license/{productId}/bulk", "POST /users",
		"PUT /companies/{alias}/license/{productId}", "PUT /users/{externalId}",
	}
	if got := s.operations(); !slices.Equal(got, want) {
		t.Errorf("operations %q, want %q", got, want)
	}
	enum := s.doc.Components.Schemas["Error"].Value.Properties["error"].Value.Properties["code"].Value.Enum
	for _, c := range enum {
		code := c.(string)
		if !strings.Contains(s.doc.Info.Description, code+" "+strconv.Itoa(statusOf[code])) {
			t.Errorf("the description does not map %s to %d", code, statusOf[code])
		}
	}
	if len(enum) != len(statusOf) {
		t.Errorf("the document lists %d error codes, the test %d", len(enum), len(statusOf))
	}
}
