package apitest

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
)

// SpecOptions says what an API's document leaves to its tests.
type SpecOptions struct {
	// Rewrite maps a request's escaped path before it is routed (nil: the
	// path as it is), for paths the API serves under a second name.
	Rewrite func(path string) string
	// NotFoundUnrouted checks every 404 as an answer of no operation, for
	// an API whose router matches paths no operation has.
	NotFoundUnrouted bool
	// ErrorCodes returns the codes an Error body carries. With it, every
	// error answer, of a documented operation too, must be the Error
	// envelope and each code must map to its status in StatusOf; without
	// it only answers of no operation are checked, against the schema.
	ErrorCodes func(body any) []string
	// StatusOf is the document's table of error codes and statuses.
	StatusOf map[string]int
}

// Spec checks real answers against an API's OpenAPI document: an answer of
// a documented operation must be one of its documented statuses with the
// documented headers and body; any other answer (an unknown path or
// method, or one outside the document's server URL) must be the
// documented Error envelope. It records which operations and statuses were
// seen. It is safe for concurrent use.
type Spec struct {
	Doc    *openapi3.T
	router routers.Router
	prefix string
	opts   SpecOptions

	mu   sync.Mutex
	seen map[string]bool // "POST /users 201"
}

// parsed holds each document parsed and validated once: key the document's
// text, value a func returning (*openapi3.T, error).
var parsed sync.Map

func parse(doc []byte) (*openapi3.T, error) {
	f, _ := parsed.LoadOrStore(string(doc), sync.OnceValues(func() (*openapi3.T, error) {
		loader := openapi3.NewLoader()
		d, err := loader.LoadFromData(doc)
		if err != nil {
			return nil, err
		}
		return d, d.Validate(loader.Context)
	}))
	return f.(func() (*openapi3.T, error))()
}

// LoadSpec parses and validates doc, an OpenAPI 3 document; paths are
// routed relative to its first server URL, when it has one.
func LoadSpec(tb testing.TB, doc []byte, opts SpecOptions) *Spec {
	tb.Helper()
	d, err := parse(doc)
	if err != nil {
		tb.Fatalf("openapi.yaml: %v", err)
	}
	var prefix string
	if len(d.Servers) > 0 {
		prefix = d.Servers[0].URL
	}
	// Route by paths relative to the server URL.
	bare := *d
	bare.Servers = nil
	router, err := legacy.NewRouter(&bare)
	if err != nil {
		tb.Fatal(err)
	}
	return &Spec{Doc: d, router: router, prefix: prefix, opts: opts, seen: map[string]bool{}}
}

// Check checks one answer to req.
func (s *Spec) Check(tb testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	tb.Helper()
	rel := req.Clone(context.Background())
	// Routed by the escaped path, so an escaped / stays inside its segment.
	path := req.URL.EscapedPath()
	if s.opts.Rewrite != nil {
		path = s.opts.Rewrite(path)
	}
	rel.URL.Path = strings.TrimPrefix(path, s.prefix)
	rel.URL.RawPath = ""
	rel.URL.Host, rel.URL.Scheme, rel.Host = "", "", ""
	route, params, err := s.router.FindRoute(rel)
	if err != nil || !strings.HasPrefix(path, s.prefix+"/") || s.opts.NotFoundUnrouted && status == http.StatusNotFound {
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
	if status >= 400 && s.opts.ErrorCodes != nil {
		s.checkError(tb, req, status, body)
	}
	s.mu.Lock()
	s.seen[route.Method+" "+route.Path+" "+strconv.Itoa(status)] = true
	s.mu.Unlock()
}

// checkError checks an answer is the Error envelope and, with ErrorCodes,
// that its codes map to its status.
func (s *Spec) checkError(tb testing.TB, req *http.Request, status int, body []byte) {
	tb.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		tb.Errorf("%s %s: %d answer is not JSON: %q", req.Method, req.URL.Path, status, body)
		return
	}
	var opts []openapi3.SchemaValidationOption
	if s.Doc.IsOpenAPI31OrLater() {
		opts = append(opts, openapi3.EnableJSONSchema2020())
	}
	if err := s.Doc.Components.Schemas["Error"].Value.VisitJSON(v, opts...); err != nil {
		tb.Errorf("%s %s: the %d answer is not the Error envelope: %v\nbody: %s", req.Method, req.URL.Path, status, err, body)
		return
	}
	if s.opts.ErrorCodes == nil {
		return
	}
	for _, code := range s.opts.ErrorCodes(v) {
		if want := s.opts.StatusOf[code]; want != status {
			tb.Errorf("%s %s: error code %s in a %d answer; the document maps it to %d", req.Method, req.URL.Path, code, status, want)
		}
	}
}

// Operations lists the document's operations as "METHOD /path", sorted.
func (s *Spec) Operations() []string {
	var out []string
	for path, item := range s.Doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, method+" "+path)
		}
	}
	slices.Sort(out)
	return out
}

// Seen reports whether an answer was checked for key, "METHOD /path
// status".
func (s *Spec) Seen(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[key]
}

// NeverSucceeded lists the document's operations no answer checked so far
// shows succeeding (a 2xx), for a flow meant to see every one succeed.
func (s *Spec) NeverSucceeded() []string {
	var out []string
	for _, op := range s.Operations() {
		if !s.Succeeded(op) {
			out = append(out, op)
		}
	}
	return out
}

// Succeeded reports whether op, "METHOD /path", was seen answering a 2xx.
func (s *Spec) Succeeded(op string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.seen {
		if strings.HasPrefix(k, op+" 2") {
			return true
		}
	}
	return false
}

// CheckCodes checks the document's description maps every error code
// listed in enum to its status in statusOf, and that the two lists agree.
func CheckCodes(tb testing.TB, doc *openapi3.T, enum []any, statusOf map[string]int) {
	tb.Helper()
	for _, c := range enum {
		code := c.(string)
		if !strings.Contains(doc.Info.Description, code+" "+strconv.Itoa(statusOf[code])) {
			tb.Errorf("the description does not map %s to %d", code, statusOf[code])
		}
	}
	if len(enum) != len(statusOf) {
		tb.Errorf("the document lists %d error codes, the test %d", len(enum), len(statusOf))
	}
}
