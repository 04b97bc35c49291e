package accountmanager

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules/seats"
)

// Prefix is where the API answers (the vendor's own base path).
const Prefix = "/api/v1"

// Register serves the Account Manager API on s under Prefix, deciding with
// svc; the kit issues and checks the tokens (Server.IssueAPIKeyToken,
// Server.AuthenticateBearer). Every answer under Prefix is JSON: the
// routes' own answers, and the error envelope for everything else (another
// method at a route's path is 405 with Allow, another path 404).
func Register(s *httpapi.Server, svc *seats.Service) {
	s.NameAPI("accountmanager", Prefix)
	a := &api{s: s, seats: svc}
	for _, rt := range []struct {
		path   string
		routes map[string]http.HandlerFunc
	}{
		{"/authenticate", map[string]http.HandlerFunc{http.MethodPost: a.authenticate}},
		{"/companies", map[string]http.HandlerFunc{http.MethodPost: a.createCompany, http.MethodGet: a.companies}},
		{"/companies/{alias}", map[string]http.HandlerFunc{http.MethodGet: a.company}},
		{"/companies/{alias}/license/{productId}", map[string]http.HandlerFunc{http.MethodPut: a.setSeats}},
		{"/companies/{alias}/license/{productId}/preview", map[string]http.HandlerFunc{http.MethodGet: a.previewSeats}},
		{"/users", map[string]http.HandlerFunc{http.MethodPost: a.addUser, http.MethodGet: a.users}},
		{"/users/{externalId}", map[string]http.HandlerFunc{http.MethodGet: a.user, http.MethodPut: a.updateUser, http.MethodDelete: a.deleteUser}},
		{"/license/{productId}", map[string]http.HandlerFunc{http.MethodGet: a.pool, http.MethodPost: a.assignOne, http.MethodDelete: a.releaseOne}},
		{"/audit", map[string]http.HandlerFunc{http.MethodGet: a.audit}},
		{"/license/{productId}/bulk", map[string]http.HandlerFunc{http.MethodPost: a.assignBulk, http.MethodDelete: a.releaseBulk}},
	} {
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
			if h, ok := rt.routes[m]; ok {
				s.Handle(m+" "+Prefix+rt.path, h)
				allow = append(allow, m)
			}
		}
		if allow[0] == http.MethodGet {
			allow = append([]string{http.MethodGet, http.MethodHead}, allow[1:]...)
		}
		s.Handle(Prefix+rt.path, a.methodNotAllowed(strings.Join(allow, ", ")))
	}
	s.Handle(Prefix+"/", http.HandlerFunc(a.notFound))
}

type api struct {
	s     *httpapi.Server
	seats *seats.Service
}

// scope is who a route serves.
type scope uint8

const (
	// partnerScope: a partner token (apiKey alone), on the company paths.
	partnerScope scope = iota + 1
	// accountScope: an account token (apiKey + alias), on the users and
	// license paths.
	accountScope
)

var (
	errNeedsPartner = domain.Errorf(domain.CodeForbidden, "Authorization",
		"the company paths need a partner token: authenticate with your apiKey alone")
	errNeedsAccount = domain.Errorf(domain.CodeForbidden, "Authorization",
		"the users and license paths need an account token: authenticate with your apiKey and the company's alias")
)

// authorize checks the request's bearer token (an Account Manager token,
// never a store API one) and that its scope is the route's, before a byte
// of the body is read.
func (a *api) authorize(w http.ResponseWriter, r *http.Request, sc scope) (*http.Request, domain.Principal, bool) {
	r, err := a.s.AuthenticateBearer(r, domain.APIKey)
	if err != nil {
		a.fail(w, err)
		return r, domain.Principal{}, false
	}
	who, _ := httpapi.PrincipalFrom(r.Context())
	switch {
	case sc == partnerScope && who.Account != "":
		a.fail(w, errNeedsPartner)
		return r, who, false
	case sc == accountScope && who.Account == "":
		a.fail(w, errNeedsAccount)
		return r, who, false
	}
	return r, who, true
}

// read authorizes the request, checks its Content-Type and reads its body.
// On a route whose body is optional (the DELETEs), an empty body is no
// body (nil), whatever Content-Type says.
func (a *api) read(w http.ResponseWriter, r *http.Request, sc scope, optional bool) (*http.Request, domain.Principal, []byte, bool) {
	r, who, ok := a.authorize(w, r, sc)
	if !ok {
		return r, who, nil, false
	}
	ct := r.Header.Get("Content-Type")
	if optional && r.ContentLength == 0 {
		return r, who, nil, true
	}
	if !httpapi.IsJSON(ct) {
		a.writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type",
			"Content-Type "+httpapi.QuoteOrNone(ct)+" is not supported; send the body as application/json", nil)
		return r, who, nil, false
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		if httpapi.IsTooLarge(err) {
			a.writeError(w, http.StatusRequestEntityTooLarge, "too_large", "", "the request body is larger than 1 MiB", nil)
			return r, who, nil, false
		}
		a.fail(w, domain.Wrap(err, domain.CodeInvalid, "the request body could not be read"))
		return r, who, nil, false
	}
	if optional && len(body) == 0 {
		return r, who, nil, true
	}
	return r, who, body, true
}

// idempotencyKeyOwner is whose Idempotency-Keys a request's are: the
// partner, or one account of it, so a key reused under another account's
// token is another key, never a replay of that account's answer.
func idempotencyKeyOwner(who domain.Principal) string {
	return "accountmanager:" + who.Partner + ":" + who.Account
}

// write runs a write under the request's Idempotency-Key.
func (a *api) write(w http.ResponseWriter, r *http.Request, who domain.Principal, body []byte, do func(ctx context.Context) (int, any, error)) {
	a.s.RunIdempotent(w, r, idempotencyKeyOwner(who), body, httpapi.IdempotentAPI{
		Refuse: func(status int, message string) httpapi.Answer {
			return a.errorAnswer(status, refusalCode(status), "Idempotency-Key", message, nil)
		},
	}, func(ctx context.Context) httpapi.Answer {
		status, out, err := do(ctx)
		if err != nil {
			httpapi.NoteFrom(ctx).Refused(err)
			return a.errorFor(err)
		}
		return httpapi.JSONAnswer(status, out)
	})
}

// refusalCode is the error code of the kit's own idempotency answers.
func refusalCode(status int) string {
	switch status {
	case http.StatusConflict:
		return string(domain.CodeConflict)
	case http.StatusUnprocessableEntity:
		return "idempotency_key_reused"
	case http.StatusServiceUnavailable:
		return string(domain.CodeUnavailable)
	}
	return string(domain.CodeInvalid)
}

// answer writes a read's answer.
func (a *api) answer(w http.ResponseWriter, out any, err error) {
	if err != nil {
		a.fail(w, err)
		return
	}
	httpapi.WriteAnswer(w, httpapi.JSONAnswer(http.StatusOK, out))
}

// POST /authenticate: apiKey -> a partner token; apiKey + alias -> an
// account token for that partner's company.
func (a *api) authenticate(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); !httpapi.IsJSON(ct) {
		a.writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type",
			"Content-Type "+httpapi.QuoteOrNone(ct)+" is not supported; send the body as application/json", nil)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		if httpapi.IsTooLarge(err) {
			a.writeError(w, http.StatusRequestEntityTooLarge, "too_large", "", "the request body is larger than 1 MiB", nil)
			return
		}
		a.fail(w, domain.Wrap(err, domain.CodeInvalid, "the request body could not be read"))
		return
	}
	key, alias, err := decodeAuthenticate(body)
	if err != nil {
		a.fail(w, err)
		return
	}
	tok, expires, err := a.s.IssueAPIKeyToken(r, key, alias)
	if err != nil {
		a.fail(w, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteAnswer(w, httpapi.JSONAnswer(http.StatusOK, tokenAnswer{Token: tok, Expires: stamp(expires)}))
}

// POST /companies
func (a *api) createCompany(w http.ResponseWriter, r *http.Request) {
	r, who, body, ok := a.read(w, r, partnerScope, false)
	if !ok {
		return
	}
	a.write(w, r, who, body, func(ctx context.Context) (int, any, error) {
		req, err := decodeCompany(body)
		if err != nil {
			return 0, nil, err
		}
		acct, err := a.seats.CreateCompany(ctx, who, req)
		if err != nil {
			return 0, nil, err
		}
		// A new company owns no seats yet.
		return http.StatusCreated, companyOf(seats.Company{Account: acct}), nil
	})
}

// GET /companies?offset&limit
func (a *api) companies(w http.ResponseWriter, r *http.Request) {
	r, who, ok := a.authorize(w, r, partnerScope)
	if !ok {
		return
	}
	offset, limit, err := page(r.URL.RawQuery)
	if err != nil {
		a.fail(w, err)
		return
	}
	cs, err := a.seats.Companies(r.Context(), who, offset, limit)
	out := companiesAnswer{Companies: make([]companyAnswer, 0, len(cs)), Offset: offset, Limit: limit}
	for _, c := range cs {
		out.Companies = append(out.Companies, companyOf(c))
	}
	a.answer(w, out, err)
}

// GET /companies/{alias}
func (a *api) company(w http.ResponseWriter, r *http.Request) {
	r, who, ok := a.authorize(w, r, partnerScope)
	if !ok || !a.noQuery(w, r) {
		return
	}
	c, err := a.seats.Company(r.Context(), who, r.PathValue("alias"))
	a.answer(w, companyOf(c), err)
}

// PUT /companies/{alias}/license/{productId}
func (a *api) setSeats(w http.ResponseWriter, r *http.Request) {
	r, who, body, ok := a.read(w, r, partnerScope, false)
	if !ok || !a.noQuery(w, r) {
		return
	}
	alias, product := r.PathValue("alias"), r.PathValue("productId")
	a.write(w, r, who, body, func(ctx context.Context) (int, any, error) {
		n, expires, err := decodeSeats(body)
		if err != nil {
			return 0, nil, err
		}
		ch, err := a.seats.SetSeats(ctx, who, seats.SeatsRequest{Alias: alias, ProductID: product, Seats: n, Expires: expires})
		if err != nil {
			return 0, nil, err
		}
		out := seatsAnswer{Company: companyOf(ch.Company), Released: make([]releasedAnswer, 0, len(ch.Released))}
		for _, rel := range ch.Released {
			out.Released = append(out.Released, releasedAnswer{ExternalID: rel.ExternalID, UserID: rel.UserID,
				LicenseID: rel.LicenseID, AssignmentID: rel.AssignmentID})
		}
		return http.StatusOK, out, nil
	})
}

// POST /users
func (a *api) addUser(w http.ResponseWriter, r *http.Request) {
	r, who, body, ok := a.read(w, r, accountScope, false)
	if !ok || !a.noQuery(w, r) {
		return
	}
	a.write(w, r, who, body, func(ctx context.Context) (int, any, error) {
		in, err := decodeUser(body, true)
		if err != nil {
			return 0, nil, err
		}
		u, err := a.seats.AddUser(ctx, who, in)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, userOf(u), nil
	})
}

// GET /users?offset&limit
func (a *api) users(w http.ResponseWriter, r *http.Request) {
	r, who, ok := a.authorize(w, r, accountScope)
	if !ok {
		return
	}
	offset, limit, err := page(r.URL.RawQuery)
	if err != nil {
		a.fail(w, err)
		return
	}
	us, total, err := a.seats.Users(r.Context(), who, offset, limit)
	out := usersAnswer{Users: make([]userAnswer, 0, len(us)), Total: total, Offset: offset, Limit: limit}
	for _, u := range us {
		out.Users = append(out.Users, userOf(u))
	}
	a.answer(w, out, err)
}

// GET /users/{externalId}
func (a *api) user(w http.ResponseWriter, r *http.Request) {
	r, who, ok := a.authorize(w, r, accountScope)
	if !ok || !a.noQuery(w, r) {
		return
	}
	u, err := a.seats.User(r.Context(), who, r.PathValue("externalId"))
	a.answer(w, userOf(u), err)
}

// PUT /users/{externalId}
func (a *api) updateUser(w http.ResponseWriter, r *http.Request) {
	r, who, body, ok := a.read(w, r, accountScope, false)
	if !ok || !a.noQuery(w, r) {
		return
	}
	id := r.PathValue("externalId")
	a.write(w, r, who, body, func(ctx context.Context) (int, any, error) {
		in, err := decodeUser(body, false)
		if err != nil {
			return 0, nil, err
		}
		if in.ExternalID == "" {
			in.ExternalID = id
		}
		u, err := a.seats.UpdateUser(ctx, who, id, in)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, userOf(u), nil
	})
}

// DELETE /users/{externalId}: the user's assignments end today.
func (a *api) deleteUser(w http.ResponseWriter, r *http.Request) {
	r, who, body, ok := a.read(w, r, accountScope, true)
	if !ok || !a.noQuery(w, r) {
		return
	}
	if body != nil {
		a.fail(w, domain.Errorf(domain.CodeInvalid, "", "DELETE /users/{externalId} takes no body"))
		return
	}
	id := r.PathValue("externalId")
	a.write(w, r, who, nil, func(ctx context.Context) (int, any, error) {
		ended, err := a.seats.DeleteUser(ctx, who, id)
		if err != nil {
			return 0, nil, err
		}
		out := deletedAnswer{ExternalID: id, Ended: make([]endedAnswer, 0, len(ended))}
		for _, e := range ended {
			out.Ended = append(out.Ended, endedAnswer{ID: e.ID, LicenseID: e.LicenseID, ProductID: e.ProductID,
				ActivationDate: e.ActivationDate.String(), DeactivationDate: e.DeactivationDate.String()})
		}
		return http.StatusOK, out, nil
	})
}

// GET /license/{productId}: the account's seats of the product today.
func (a *api) pool(w http.ResponseWriter, r *http.Request) {
	r, who, ok := a.authorize(w, r, accountScope)
	if !ok || !a.noQuery(w, r) {
		return
	}
	p, err := a.seats.Pool(r.Context(), who, r.PathValue("productId"))
	a.answer(w, poolAnswer{ProductID: p.ProductID, Owned: p.Owned, Assigned: p.Assigned, Free: len(p.Free)}, err)
}

// POST /license/{productId}: one user; a refusal is the error envelope.
func (a *api) assignOne(w http.ResponseWriter, r *http.Request) {
	a.one(w, r, a.seats.Assign)
}

// DELETE /license/{productId}: one user, named in the body or, without a
// body, in the query (?externalId=).
func (a *api) releaseOne(w http.ResponseWriter, r *http.Request) {
	a.one(w, r, a.seats.Release)
}

type itemsFunc func(ctx context.Context, who domain.Principal, productID string, externalIDs []string) ([]seats.ItemResult, error)

func (a *api) one(w http.ResponseWriter, r *http.Request, do itemsFunc) {
	optional := r.Method == http.MethodDelete
	r, who, body, ok := a.read(w, r, accountScope, optional)
	if !ok {
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		a.fail(w, domain.Errorf(domain.CodeInvalid, "", "the query string is malformed (%v)", err))
		return
	}
	var fromQuery string
	if len(q) > 0 || body == nil {
		if fromQuery, err = externalIDQuery(q, body != nil, optional); err != nil {
			a.fail(w, err)
			return
		}
	}
	product := r.PathValue("productId")
	a.write(w, r, who, body, func(ctx context.Context) (int, any, error) {
		id := fromQuery
		if body != nil {
			var err error
			if id, err = decodeLicense(body); err != nil {
				return 0, nil, err
			}
		}
		res, err := do(ctx, who, product, []string{id})
		if err != nil {
			return 0, nil, err
		}
		if len(res) != 1 {
			return 0, nil, domain.Errorf(domain.CodeInternal, "", "the use case answered %d items for one", len(res))
		}
		if !res[0].OK {
			return 0, nil, itemError(res[0])
		}
		return http.StatusOK, itemOf(res[0]), nil
	})
}

// externalIDQuery reads DELETE /license/{productId}?externalId=, the form
// for clients that cannot send a DELETE body.
func externalIDQuery(q map[string][]string, hasBody, allowed bool) (string, error) {
	for k, vs := range q {
		switch {
		case k != "externalId" || !allowed:
			return "", domain.Errorf(domain.CodeInvalid, httpapi.ParamName(k), "%s is not a parameter of this request", httpapi.ParamName(k))
		case hasBody:
			return "", domain.Errorf(domain.CodeInvalid, k, "give externalId in the body or in the query, not both")
		case len(vs) > 1:
			return "", domain.Errorf(domain.CodeInvalid, k, "externalId is given %d times; give it once", len(vs))
		case vs[0] == "":
			return "", domain.Errorf(domain.CodeInvalid, k, "externalId is empty")
		}
		return vs[0], nil
	}
	return "", domain.Errorf(domain.CodeInvalid, "externalId", `externalId is required: send {"externalId": "..."} as application/json, or ?externalId=`)
}

// itemError is the refusal of a one-user license call, from the use case's
// item result: an input check's code (REQUIRED, INVALID_TEXT, TOO_LONG,
// OUT_OF_RANGE) is invalid, a *_NOT_FOUND code (USER_NOT_FOUND) not_found,
// and any other (NO_FREE_SEAT, a rule file's code) a conflict with the
// state of the account's seats. The item's own code is the violation's.
func itemError(res seats.ItemResult) error {
	code := domain.CodeConflict
	switch {
	case res.Code == "REQUIRED" || res.Code == "INVALID_TEXT" || res.Code == "TOO_LONG" || res.Code == "OUT_OF_RANGE":
		code = domain.CodeInvalid
	case strings.HasSuffix(res.Code, "_NOT_FOUND"):
		code = domain.CodeNotFound
	}
	return &domain.Error{Code: code, Field: "externalId", Message: res.Reason,
		Violations: []domain.Violation{{Code: res.Code, Field: "externalId", Message: res.Reason}}}
}

// POST /license/{productId}/bulk
func (a *api) assignBulk(w http.ResponseWriter, r *http.Request) { a.bulk(w, r, a.seats.Assign) }

// DELETE /license/{productId}/bulk
func (a *api) releaseBulk(w http.ResponseWriter, r *http.Request) { a.bulk(w, r, a.seats.Release) }

// bulk answers each user with its own Success or Fail; the passing ones
// are applied.
func (a *api) bulk(w http.ResponseWriter, r *http.Request, do itemsFunc) {
	r, who, body, ok := a.read(w, r, accountScope, false)
	if !ok || !a.noQuery(w, r) {
		return
	}
	product := r.PathValue("productId")
	a.write(w, r, who, body, func(ctx context.Context) (int, any, error) {
		ids, err := decodeBulk(body)
		if err != nil {
			return 0, nil, err
		}
		res, err := do(ctx, who, product, ids)
		if err != nil {
			return 0, nil, err
		}
		out := bulkAnswer{ProductID: product, Results: make([]itemAnswer, 0, len(res))}
		for _, it := range res {
			if it.OK {
				out.Succeeded++
			} else {
				out.Failed++
			}
			out.Results = append(out.Results, itemOf(it))
		}
		return http.StatusOK, out, nil
	})
}

// noQuery refuses a query on a route that takes none: a parameter is never
// silently ignored.
func (a *api) noQuery(w http.ResponseWriter, r *http.Request) bool {
	if r.URL.RawQuery == "" {
		return true
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		a.fail(w, domain.Errorf(domain.CodeInvalid, "", "the query string is malformed (%v); this request takes no parameters", err))
		return false
	}
	for k := range q {
		a.fail(w, domain.Errorf(domain.CodeInvalid, httpapi.ParamName(k), "%s is not a parameter of this request", httpapi.ParamName(k)))
		return false
	}
	return true
}

func (a *api) methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		a.writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "",
			r.URL.Path+" answers "+allow+", not "+r.Method, nil)
	}
}

func (a *api) notFound(w http.ResponseWriter, r *http.Request) {
	a.writeError(w, http.StatusNotFound, string(domain.CodeNotFound), "",
		"there is no route at "+r.URL.Path+"; see the Account Manager API's OpenAPI document", nil)
}

// The error envelope, the same for every refusal of the API (documented in
// openapi.yaml as Error).
type errorEnvelope struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code       string      `json:"code"`
	Message    string      `json:"message"`
	Field      string      `json:"field,omitempty"`
	Violations []violation `json:"violations,omitempty"`
	RequestID  int64       `json:"requestId"`
}

type violation struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (a *api) fail(w http.ResponseWriter, err error) {
	if domain.ErrorCode(err) == domain.CodeUnauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="entitle"`) // RFC 6750
	}
	httpapi.SetRetryAfter(w, err)
	httpapi.WriterNote(w).Refused(err)
	httpapi.WriteAnswer(w, a.errorFor(err))
}

func (a *api) writeError(w http.ResponseWriter, status int, code, field, message string, vs []domain.Violation) {
	httpapi.WriteAnswer(w, a.errorAnswer(status, code, field, message, vs))
}

// errorFor maps an error to its status and the envelope: the one place
// codes become HTTP statuses. Internal details are logged, never sent.
func (a *api) errorFor(err error) httpapi.Answer {
	var de *domain.Error
	if !errors.As(err, &de) {
		de = &domain.Error{Code: domain.CodeInternal, Err: err}
	}
	status := http.StatusBadRequest
	switch de.Code {
	case domain.CodeInvalid:
	case domain.CodeNotFound:
		status = http.StatusNotFound
	case domain.CodeConflict:
		status = http.StatusConflict
	case domain.CodeForbidden:
		status = http.StatusForbidden
	case domain.CodeUnauthenticated:
		status = http.StatusUnauthorized
	case domain.CodeRateLimited:
		status = http.StatusTooManyRequests
	case domain.CodeUnavailable:
		status = http.StatusServiceUnavailable
	default:
		rid := a.s.UniqueID()
		a.s.Logger().Error("account manager request failed", "requestId", rid, "err", err)
		return httpapi.JSONAnswer(http.StatusInternalServerError, errorEnvelope{Error: errorBody{Code: string(domain.CodeInternal),
			Message: "internal error; quote requestId when you report it", RequestID: rid}})
	}
	field, msg := de.Field, de.Message
	if field == "" && len(de.Violations) == 1 {
		// One problem: the envelope names it, not "the request is invalid".
		field, msg = de.Violations[0].Field, de.Violations[0].Message
	}
	return a.errorAnswer(status, string(de.Code), field, msg, de.Violations)
}

func (a *api) errorAnswer(status int, code, field, message string, vs []domain.Violation) httpapi.Answer {
	body := errorBody{Code: code, Message: message, Field: field, RequestID: a.s.UniqueID()}
	for _, v := range vs {
		body.Violations = append(body.Violations, violation{Code: v.Code, Field: v.Field, Message: v.Message})
	}
	return httpapi.JSONAnswer(status, errorEnvelope{Error: body})
}
