package tapstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules/orders"
)

// The paths of seed 001: production's and stage's spelling.
var paths = []string{"/cloud/tapstoreapis/v1", "/cloud/TAPStoreAPIs/v1"}

// Register serves the TAP store API on s, deciding with svc. Every answer
// under /cloud/ is the seed's envelope with a uniqueId: another method at
// the API's paths is 405, any other path 404.
func Register(s *httpapi.Server, svc *orders.Service) {
	s.NameAPI("tapstore", "/cloud/")
	a := &api{s: s, svc: svc}
	for _, p := range paths {
		s.Handle("GET "+p, http.HandlerFunc(a.get))
		s.Handle("POST "+p, http.HandlerFunc(a.post))
		s.Handle(p, http.HandlerFunc(a.methodNotAllowed))
	}
	s.Handle("/cloud/", http.HandlerFunc(a.notFound))
}

type api struct {
	s   *httpapi.Server
	svc *orders.Service
}

// proc is one ProcName: the method it is called with, how its errors look in
// the seed, and what it does.
type proc struct {
	method string
	// listErrors: errorMessage is a list ["String1", "String2"] and
	// statusCode a number; otherwise errorMessage is one string and
	// statusCode a string, as the seed shows each proc's error payload.
	listErrors bool
	// errorStatus is the seed's "status" in an error payload.
	errorStatus string
	// stringUniqueID: the seed types the error payload's uniqueId "string".
	stringUniqueID bool
	// noMatch is the seed's words for a search that found nothing, when
	// they are not "No data found".
	noMatch string
	// hints tells a caller missing a field which proc lists its values.
	hints map[string]string
	run   func(a *api, ctx context.Context, who domain.Principal, req json.RawMessage, uid int64) (any, error)
}

var procs = map[string]proc{
	"TAP_GET_CUSTOMERS_API":  {method: http.MethodGet, errorStatus: "ERROR", run: (*api).customers},
	"TAP_GET_MFG_MODELS_API": {method: http.MethodGet, listErrors: true, errorStatus: "ERROR", run: (*api).models},
	"TAP_GET_PRODUCTS_API": {method: http.MethodGet, errorStatus: "Error", stringUniqueID: true, run: (*api).products,
		hints: map[string]string{"resellerbillToSiteUseId": "TAP_GET_CUSTOMERS_API", "model": "TAP_GET_MFG_MODELS_API"}},
	"TAP_GET_ORDER_API":             {method: http.MethodGet, errorStatus: "Error", stringUniqueID: true, noMatch: "No records found for requested parameters", run: (*api).order},
	"TAP_GET_ACTIVATION_STATUS_API": {method: http.MethodGet, errorStatus: "Error", stringUniqueID: true, run: (*api).activationStatus},
	"TAP_CREATE_ORDER_API":          {method: http.MethodPost, listErrors: true, errorStatus: "ERROR", run: (*api).createOrder},
	"TAP_RESEND_ACTIVATION_API":     {method: http.MethodPost, listErrors: true, errorStatus: "ERROR", run: (*api).resend},
}

// genericProc formats errors found before the proc is known.
var genericProc = proc{errorStatus: "ERROR"}

// postProc formats the errors of a POST found before its body is read (the
// credential, the content type, the size): the error payload every proc
// called by POST shares (TestPostProcsShareTheirErrorPayload).
var postProc = proc{method: http.MethodPost, listErrors: true, errorStatus: "ERROR"}

func (a *api) get(w http.ResponseWriter, r *http.Request) {
	uid := a.s.UniqueID()
	httpapi.WriterNote(w).SetUniqueID(uid)
	q := r.URL.Query()
	raw := q.Get("request")
	for k := range q {
		if k != "request" {
			a.fail(w, genericProc, uid, domain.Errorf(domain.CodeInvalid, k, "%s is not a query parameter; send request={...}", k))
			return
		}
	}
	if raw == "" {
		a.fail(w, genericProc, uid, domain.Errorf(domain.CodeInvalid, "request", `the query needs request={"ProcName": "...", "ProcRequester": "TAP", "request": {...}}`))
		return
	}
	// A GET has no body: its envelope, already read with the URL, names
	// the proc whose error payload a refused credential gets.
	env, p, decodeErr := decodeEnvelope([]byte(raw))
	r, err := a.s.Authenticate(r)
	if err != nil {
		a.fail(w, p, uid, err)
		return
	}
	a.serve(w, r, uid, []byte(raw), env, p, decodeErr)
}

// post checks the credential and the content type before it reads a byte of
// the body, so an unauthenticated client cannot make the server buffer one.
func (a *api) post(w http.ResponseWriter, r *http.Request) {
	uid := a.s.UniqueID()
	httpapi.WriterNote(w).SetUniqueID(uid)
	r, err := a.s.Authenticate(r)
	if err != nil {
		a.fail(w, postProc, uid, err)
		return
	}
	if ct := r.Header.Get("Content-Type"); !httpapi.IsJSON(ct) {
		httpapi.WriteAnswer(w, a.errorAnswer(postProc, uid, http.StatusUnsupportedMediaType,
			[]string{"Content-Type " + httpapi.QuoteOrNone(ct) + " is not supported; send the request as application/json"}))
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		if httpapi.IsTooLarge(err) {
			httpapi.WriteAnswer(w, a.errorAnswer(genericProc, uid, http.StatusRequestEntityTooLarge,
				[]string{"the request body is larger than 1 MiB"}))
			return
		}
		a.fail(w, genericProc, uid, domain.Wrap(err, domain.CodeInvalid, "the request body could not be read"))
		return
	}
	env, p, decodeErr := decodeEnvelope(body)
	a.serve(w, r, uid, body, env, p, decodeErr)
}

// methodNotAllowed answers a method the API's paths do not serve.
func (a *api) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", "GET, HEAD, POST")
	httpapi.WriteAnswer(w, a.errorAnswer(genericProc, a.s.UniqueID(), http.StatusMethodNotAllowed,
		[]string{r.URL.Path + " answers GET and POST, not " + r.Method}))
}

// notFound answers a path under /cloud/ that is not the API's.
func (a *api) notFound(w http.ResponseWriter, r *http.Request) {
	httpapi.WriteAnswer(w, a.errorAnswer(genericProc, a.s.UniqueID(), http.StatusNotFound,
		[]string{"there is no API at " + r.URL.Path + "; the TAP store API is at " + paths[0]}))
}

// decodeEnvelope decodes raw and finds its proc: genericProc when it names
// none this API knows.
func decodeEnvelope(raw []byte) (envelope, proc, error) {
	var env envelope
	err := httpapi.DecodeBytes(raw, &env)
	p, known := procs[env.ProcName]
	if !known {
		p = genericProc
	}
	return env, p, err
}

// serve checks the envelope of an authenticated request, that its proc is
// called with its method, and runs it; POSTs run under the Idempotency-Key.
func (a *api) serve(w http.ResponseWriter, r *http.Request, uid int64, raw []byte, env envelope, p proc, decodeErr error) {
	who, _ := httpapi.PrincipalFrom(r.Context())
	_, known := procs[env.ProcName]
	if known {
		httpapi.NoteFrom(r.Context()).SetProc(env.ProcName)
	}
	switch {
	case decodeErr != nil:
		a.fail(w, p, uid, decodeErr)
		return
	case env.ProcName == "":
		a.fail(w, p, uid, domain.Errorf(domain.CodeInvalid, "ProcName", "ProcName is mandatory"))
		return
	case !known:
		a.fail(w, p, uid, domain.Errorf(domain.CodeInvalid, "ProcName", "ProcName %s is not an API of this service", env.ProcName))
		return
	case strings.TrimSpace(env.ProcRequester) == "":
		a.fail(w, p, uid, domain.Errorf(domain.CodeInvalid, "ProcRequester", "ProcRequester is mandatory (TAP)"))
		return
	case r.Method != p.method:
		a.fail(w, p, uid, domain.Errorf(domain.CodeInvalid, "ProcName", "%s is called with %s", env.ProcName, p.method))
		return
	}
	run := func(ctx context.Context) httpapi.Answer {
		out, err := p.run(a, ctx, who, env.Request, uid)
		if err != nil {
			httpapi.NoteFrom(ctx).Refused(err)
			return a.errorFor(p, uid, err)
		}
		if h, ok := out.(head); ok {
			httpapi.NoteFrom(ctx).SetUniqueID(h.UniqueID) // a created order's, which the answer carries
		}
		return httpapi.JSONAnswer(http.StatusOK, out)
	}
	if r.Method != http.MethodPost {
		httpapi.WriteAnswer(w, run(r.Context()))
		return
	}
	a.s.RunIdempotent(w, r, who.Partner, raw, httpapi.IdempotentAPI{
		Refuse: func(status int, message string) httpapi.Answer {
			return a.errorAnswer(p, uid, status, []string{message})
		},
		Resolve: func(ctx context.Context, ref string) (httpapi.Answer, error) {
			out, err := a.committed(ctx, who, ref)
			if err != nil {
				return httpapi.Answer{}, err
			}
			return httpapi.JSONAnswer(http.StatusOK, out), nil
		},
	}, run)
}

// committed is the answer to the write that committed ref, for a request
// whose own answer was lost: a created order's, from the order as it is now.
func (a *api) committed(ctx context.Context, who domain.Principal, ref string) (any, error) {
	kind, id, _ := strings.Cut(ref, ":")
	n, err := strconv.ParseInt(id, 10, 64)
	if kind != "order" || err != nil || n <= 0 {
		return nil, domain.Errorf(domain.CodeInternal, "Idempotency-Key", "the key is bound to %q, which this API did not write", ref)
	}
	os, err := a.svc.GetOrder(ctx, who, orders.OrderLookup{UniqueID: n})
	if err != nil {
		return nil, err
	}
	return created(os[0]), nil
}

// decodeRequest decodes a proc's request strictly; an absent request is an
// empty one.
func decodeRequest(raw json.RawMessage, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil
	}
	return httpapi.DecodeBytes(raw, v)
}

func (a *api) fail(w http.ResponseWriter, p proc, uid int64, err error) {
	if domain.ErrorCode(err) == domain.CodeUnauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="entitle"`) // RFC 6750
	}
	httpapi.SetRetryAfter(w, err)
	httpapi.WriterNote(w).Refused(err)
	httpapi.WriteAnswer(w, a.errorFor(p, uid, err))
}

// errorFor maps an error to its status and the proc's seed error payload;
// this is the one place codes become HTTP statuses. Internal details are
// logged, never sent.
func (a *api) errorFor(p proc, uid int64, err error) httpapi.Answer {
	status := http.StatusBadRequest
	switch domain.ErrorCode(err) {
	case domain.CodeInvalid, domain.CodeNotFound, domain.CodeConflict:
	case domain.CodeUnauthenticated:
		status = http.StatusUnauthorized
	case domain.CodeForbidden:
		status = http.StatusForbidden
	case domain.CodeUnavailable:
		status = http.StatusServiceUnavailable
	case domain.CodeRateLimited:
		status = http.StatusTooManyRequests
	default:
		a.s.Logger().Error("request failed", "uniqueId", uid, "err", err)
		return a.errorAnswer(p, uid, http.StatusInternalServerError, []string{"internal error; quote uniqueId when you contact Customer Care"})
	}
	return a.errorAnswer(p, uid, status, messages(p, err))
}

// messages lists an error's problems: the seed's words for the refusals it
// names, each violation as "field: message (CODE)", else the message with
// its field.
func messages(p proc, err error) []string {
	switch {
	case errors.Is(err, orders.ErrNoMatch):
		if p.noMatch != "" {
			return []string{p.noMatch}
		}
		return []string{"No data found"}
	case errors.Is(err, orders.ErrNoActiveForOrder):
		return []string{"No active subscriptions found for the order"}
	case errors.Is(err, orders.ErrNoActiveForSerial):
		return []string{"No active subscriptions found for the serial number."}
	}
	var de *domain.Error
	if !errors.As(err, &de) {
		return []string{err.Error()}
	}
	if de.Code == domain.CodeUnauthenticated {
		return []string{"Access Token Invalid"}
	}
	if len(de.Violations) > 0 {
		out := make([]string, len(de.Violations))
		for i, v := range de.Violations {
			if h := p.hints[v.Field]; h != "" && v.Code == "REQUIRED" {
				v.Message += "; get one from " + h
			}
			out[i] = v.String()
		}
		return out
	}
	if de.Field != "" && !strings.Contains(de.Message, de.Field) {
		return []string{de.Field + ": " + de.Message}
	}
	return []string{de.Message}
}

func (a *api) errorAnswer(p proc, uid int64, status int, msgs []string) httpapi.Answer {
	if p.listErrors {
		return httpapi.JSONAnswer(status, listError{StatusCode: status, Status: p.errorStatus, UniqueID: uid, ErrorMessage: msgs})
	}
	e := textError{StatusCode: itoa(int64(status)), Status: p.errorStatus, UniqueID: uid, ErrorMessage: strings.Join(msgs, "; ")}
	if p.stringUniqueID {
		return httpapi.JSONAnswer(status, textErrorStringID{StatusCode: e.StatusCode, Status: e.Status, UniqueID: itoa(uid), ErrorMessage: e.ErrorMessage})
	}
	return httpapi.JSONAnswer(status, e)
}

// The seed's error payloads.
type listError struct {
	StatusCode   int      `json:"statusCode"`
	Status       string   `json:"status"`
	UniqueID     int64    `json:"uniqueId"`
	ErrorMessage []string `json:"errorMessage"`
}

type textError struct {
	StatusCode   string `json:"statusCode"`
	Status       string `json:"status"`
	UniqueID     int64  `json:"uniqueId"`
	ErrorMessage string `json:"errorMessage"`
}

type textErrorStringID struct {
	StatusCode   string `json:"statusCode"`
	Status       string `json:"status"`
	UniqueID     string `json:"uniqueId"`
	ErrorMessage string `json:"errorMessage"`
}
