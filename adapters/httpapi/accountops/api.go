package accountops

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules/accounts"
)

// Prefix is where the API answers (the vendor's own base path).
const Prefix = "/partner"

// TypoPath is the path seed 003's set-blocked-at example sends to (it
// leaves out /partner); it is served as an alias of
// /partner/accounts/{id}/set-blocked-at so the seed's request works as
// written.
const TypoPath = "/accounts/{id}/set-blocked-at"

// Register serves seed 003's account operations on s under Prefix,
// deciding with svc; the kit checks the X-AccessToken
// (Server.AuthenticateAccessToken). Every answer under Prefix is JSON: the
// routes' {"data": ...}, and the error envelope {"errors": [{"message",
// "extensions": {"code", "field"}}]} for every refusal, another method at a
// route's path or another path (ROUTE_NOT_FOUND).
func Register(s *httpapi.Server, svc *accounts.Service) {
	s.NameAPI("accountops", Prefix, "/accounts/")
	a := &api{s: s, svc: svc}
	for _, rt := range []struct {
		path   string
		routes map[string]http.HandlerFunc
	}{
		{"/accounts/count", map[string]http.HandlerFunc{http.MethodGet: a.count}},
		{"/accounts/{id}", map[string]http.HandlerFunc{http.MethodGet: a.account}},
		{"/accounts/{id}/set-blocked", map[string]http.HandlerFunc{http.MethodPatch: a.setBlocked}},
		{"/accounts/{id}/set-blocked-at", map[string]http.HandlerFunc{http.MethodPatch: a.setBlockedAt}},
		// The seed's heading says PUT, its example POST: both are served.
		{"/accounts/{id}/client-plan", map[string]http.HandlerFunc{http.MethodPut: a.setPlan, http.MethodPost: a.setPlan}},
		{"/accounts/{id}/subscriptions", map[string]http.HandlerFunc{http.MethodGet: a.subscriptions}},
		{"/accounts/{id}/limits", map[string]http.HandlerFunc{http.MethodGet: a.limits}},
		{"/client-plans", map[string]http.HandlerFunc{http.MethodGet: a.plans}},
	} {
		handle(s, Prefix+rt.path, rt.routes, a.routeNotFound)
	}
	handle(s, TypoPath, map[string]http.HandlerFunc{http.MethodPatch: a.setBlockedAt}, a.routeNotFound)
	s.Handle(Prefix+"/", a.routeNotFound(""))
}

// methods are the methods a path is answered for: its routes', and
// ROUTE_NOT_FOUND naming them for the others. (A pattern without a method
// would clash with GET /partner/accounts/{id} in the mux.)
var methods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

func handle(s *httpapi.Server, path string, routes map[string]http.HandlerFunc, notFound func(allow string) http.HandlerFunc) {
	var allow []string
	for _, m := range methods {
		if h, ok := routes[m]; ok {
			s.Handle(m+" "+path, h)
			allow = append(allow, m)
		}
	}
	for _, m := range methods {
		if _, ok := routes[m]; !ok && !(m == http.MethodHead && routes[http.MethodGet] != nil) {
			s.Handle(m+" "+path, notFound(strings.Join(allow, ", ")))
		}
	}
}

type api struct {
	s   *httpapi.Server
	svc *accounts.Service
}

// authorize checks the X-AccessToken before a byte of the body is read.
func (a *api) authorize(w http.ResponseWriter, r *http.Request) (*http.Request, domain.Principal, bool) {
	r, err := a.s.AuthenticateAccessToken(r)
	if err != nil {
		a.fail(w, err)
		return r, domain.Principal{}, false
	}
	who, _ := httpapi.PrincipalFrom(r.Context())
	return r, who, true
}

// read authorizes the request, reads the path's account id, refuses any
// query, checks the Content-Type and reads the body.
func (a *api) read(w http.ResponseWriter, r *http.Request) (*http.Request, domain.Principal, int64, []byte, bool) {
	r, who, ok := a.authorize(w, r)
	if !ok {
		return r, who, 0, nil, false
	}
	id, err := accountID(r.PathValue("id"))
	if err == nil {
		_, err = parseQuery(r.URL.RawQuery)
	}
	if err != nil {
		a.fail(w, err)
		return r, who, 0, nil, false
	}
	if ct := r.Header.Get("Content-Type"); !httpapi.IsJSON(ct) {
		a.writeError(w, http.StatusUnsupportedMediaType, codeUnsupportedMedia, "Content-Type",
			"Content-Type "+httpapi.QuoteOrNone(ct)+" is not supported; send the body as application/json")
		return r, who, 0, nil, false
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		if httpapi.IsTooLarge(err) {
			a.writeError(w, http.StatusRequestEntityTooLarge, codeTooLarge, "", "the request body is larger than 1 MiB")
			return r, who, 0, nil, false
		}
		a.fail(w, payloadError(domain.Wrap(err, domain.CodeInvalid, "the request body could not be read")))
		return r, who, 0, nil, false
	}
	return r, who, id, body, true
}

// write runs a write under the request's Idempotency-Key, kept per partner.
func (a *api) write(w http.ResponseWriter, r *http.Request, who domain.Principal, body []byte, do func(ctx context.Context) (any, error)) {
	a.s.RunIdempotent(w, r, "accountops:"+who.Partner, body, httpapi.IdempotentAPI{
		Refuse: func(status int, msg string) httpapi.Answer {
			code := codeInvalidPayload
			switch status {
			case http.StatusConflict:
				code = codeInProgress
			case http.StatusUnprocessableEntity:
				code = codeKeyReused
			case http.StatusServiceUnavailable:
				code = codeUnavailable
			}
			return a.errorAnswer(status, code, "Idempotency-Key", msg)
		},
	}, func(ctx context.Context) httpapi.Answer {
		out, err := do(ctx)
		if err != nil {
			httpapi.NoteFrom(ctx).Refused(err)
			return a.errorFor(err)
		}
		return httpapi.JSONAnswer(http.StatusOK, dataAnswer{Data: out})
	})
}

// answer writes a read's answer.
func (a *api) answer(w http.ResponseWriter, out any, err error) {
	if err != nil {
		a.fail(w, err)
		return
	}
	httpapi.WriteAnswer(w, httpapi.JSONAnswer(http.StatusOK, dataAnswer{Data: out}))
}

// GET /partner/accounts/{id}: the account object at the clock's instant.
func (a *api) account(w http.ResponseWriter, r *http.Request) {
	r, who, id, ok := a.readID(w, r)
	if !ok {
		return
	}
	if _, err := parseQuery(r.URL.RawQuery); err != nil {
		a.fail(w, err)
		return
	}
	acct, err := a.svc.Account(r.Context(), who, id)
	a.answer(w, accountOf(acct, a.s.Now()), err)
}

// PATCH /partner/accounts/{id}/set-blocked {blocked}
func (a *api) setBlocked(w http.ResponseWriter, r *http.Request) {
	r, who, id, body, ok := a.read(w, r)
	if !ok {
		return
	}
	a.write(w, r, who, body, func(ctx context.Context) (any, error) {
		blocked, err := decodeBlocked(body)
		if err != nil {
			return nil, err
		}
		acct, err := a.svc.SetBlocked(ctx, who, id, blocked)
		if err != nil {
			return nil, err
		}
		return accountOf(acct, a.s.Now()), nil
	})
}

// PATCH /partner/accounts/{id}/set-blocked-at {blocked_at}
func (a *api) setBlockedAt(w http.ResponseWriter, r *http.Request) {
	r, who, id, body, ok := a.read(w, r)
	if !ok {
		return
	}
	a.write(w, r, who, body, func(ctx context.Context) (any, error) {
		at, err := decodeBlockedAt(body)
		if err != nil {
			return nil, err
		}
		acct, err := a.svc.SetBlockedAt(ctx, who, id, at)
		if err != nil {
			return nil, err
		}
		return accountOf(acct, a.s.Now()), nil
	})
}

// PUT (or POST) /partner/accounts/{id}/client-plan {tariff_plan_id, app_id}
func (a *api) setPlan(w http.ResponseWriter, r *http.Request) {
	r, who, id, body, ok := a.read(w, r)
	if !ok {
		return
	}
	a.write(w, r, who, body, func(ctx context.Context) (any, error) {
		plan, app, err := decodePlan(body)
		if err != nil {
			return nil, err
		}
		ch, err := a.svc.SetClientPlan(ctx, who, id, plan, app)
		if err != nil {
			return nil, err
		}
		return planChangeAnswer{AccountID: ch.AccountID, TariffPlanID: ch.TariffPlanID, AppID: ch.AppID}, nil
	})
}

// GET /partner/client-plans
func (a *api) plans(w http.ResponseWriter, r *http.Request) {
	r, who, ok := a.authorize(w, r)
	if !ok {
		return
	}
	if _, err := parseQuery(r.URL.RawQuery); err != nil {
		a.fail(w, err)
		return
	}
	ps, err := a.svc.ClientPlans(r.Context(), who)
	out := make([]planAnswer, 0, len(ps))
	for _, p := range ps {
		out = append(out, planOf(p))
	}
	a.answer(w, out, err)
}

// GET /partner/accounts/{id}/subscriptions
func (a *api) subscriptions(w http.ResponseWriter, r *http.Request) {
	r, who, id, ok := a.readID(w, r)
	if !ok {
		return
	}
	if _, err := parseQuery(r.URL.RawQuery); err != nil {
		a.fail(w, err)
		return
	}
	subs, err := a.svc.Subscriptions(r.Context(), who, id)
	now := a.s.Now()
	out := make([]premiumAnswer, 0, len(subs))
	for _, s := range subs {
		out = append(out, premiumOf(id, s, now))
	}
	a.answer(w, out, err)
}

// GET /partner/accounts/count?is_attached&app_id&activated
func (a *api) count(w http.ResponseWriter, r *http.Request) {
	r, who, ok := a.authorize(w, r)
	if !ok {
		return
	}
	q, err := countQuery(r.URL.RawQuery)
	if err != nil {
		a.fail(w, err)
		return
	}
	n, err := a.svc.Count(r.Context(), who, q)
	a.answer(w, n, err)
}

// GET /partner/accounts/{id}/limits?app_id=
func (a *api) limits(w http.ResponseWriter, r *http.Request) {
	r, who, id, ok := a.readID(w, r)
	if !ok {
		return
	}
	app, err := limitsQuery(r.URL.RawQuery)
	if err != nil {
		a.fail(w, err)
		return
	}
	l, err := a.svc.Limits(r.Context(), who, id, app)
	a.answer(w, limitsOf(id, l), err)
}

func (a *api) readID(w http.ResponseWriter, r *http.Request) (*http.Request, domain.Principal, int64, bool) {
	r, who, ok := a.authorize(w, r)
	if !ok {
		return r, who, 0, false
	}
	id, err := accountID(r.PathValue("id"))
	if err != nil {
		a.fail(w, err)
		return r, who, 0, false
	}
	return r, who, id, true
}

// routeNotFound answers a path or method no route serves: ROUTE_NOT_FOUND,
// naming the methods the path does take (and Allow) when it takes some.
func (a *api) routeNotFound(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		msg := "Route " + clip(r.URL.Path) + " doesn't exist."
		if allow != "" {
			w.Header().Set("Allow", allow)
			msg = "Route " + r.Method + " " + clip(r.URL.Path) + " doesn't exist; this path answers " + allow + "."
		}
		a.writeError(w, http.StatusNotFound, codeRouteNotFound, "", msg)
	}
}

func (a *api) fail(w http.ResponseWriter, err error) {
	httpapi.SetRetryAfter(w, err)
	httpapi.WriterNote(w).Refused(err)
	httpapi.WriteAnswer(w, a.errorFor(err))
}

func (a *api) writeError(w http.ResponseWriter, status int, code, field, msg string) {
	httpapi.WriteAnswer(w, a.errorAnswer(status, code, field, msg))
}

func (a *api) errorAnswer(status int, code, field, msg string) httpapi.Answer {
	return httpapi.JSONAnswer(status, errorsEnvelope{Errors: []errorItem{{Message: msg, Extensions: extensions{Code: code, Field: field}}}})
}

// bodyFields are the fields of this API's bodies and queries: a not_found
// naming one (an unknown tariff_plan_id) is the request's fault, not a
// hidden account.
var bodyFields = map[string]bool{"tariff_plan_id": true, "app_id": true, "blocked": true, "blocked_at": true}

// errorFor maps an error to its status and the envelope: the one place
// codes become HTTP statuses. Another partner's account answers like one
// that does not exist: 403 FORBIDDEN (Directus's answer for an item the
// token may not see, whether or not it exists). Internal details are
// logged, never sent.
func (a *api) errorFor(err error) httpapi.Answer {
	var de *domain.Error
	if !errors.As(err, &de) {
		de = &domain.Error{Code: domain.CodeInternal, Err: err}
	}
	var we *wireError
	wire := ""
	if errors.As(err, &we) {
		wire = we.code
	}
	items := func(code string) []errorItem {
		if len(de.Violations) == 0 {
			return []errorItem{{Message: de.Message, Extensions: extensions{Code: code, Field: de.Field}}}
		}
		out := make([]errorItem, 0, len(de.Violations))
		for _, v := range de.Violations {
			out = append(out, errorItem{Message: v.Message, Extensions: extensions{Code: code, Field: v.Field}})
		}
		return out
	}
	answer := func(status int, code string) httpapi.Answer {
		return httpapi.JSONAnswer(status, errorsEnvelope{Errors: items(code)})
	}
	switch de.Code {
	case domain.CodeInvalid:
		if wire != "" {
			return answer(http.StatusBadRequest, wire)
		}
		return answer(http.StatusBadRequest, codeFailedValidation)
	case domain.CodeConflict:
		return answer(http.StatusBadRequest, codeFailedValidation)
	case domain.CodeNotFound:
		if bodyFields[de.Field] {
			return answer(http.StatusBadRequest, codeFailedValidation)
		}
		return a.errorAnswer(http.StatusForbidden, codeForbidden, "", "You don't have permission to access this account, or it does not exist.")
	case domain.CodeForbidden:
		return answer(http.StatusForbidden, codeForbidden)
	case domain.CodeUnauthenticated:
		if tokenExpired(err) {
			return a.errorAnswer(http.StatusUnauthorized, codeTokenExpired, "X-AccessToken", "Token expired.")
		}
		return a.errorAnswer(http.StatusForbidden, codeInvalidToken, "X-AccessToken", "Invalid token.")
	case domain.CodeRateLimited:
		return answer(http.StatusTooManyRequests, codeRequestsExceeded)
	case domain.CodeUnavailable:
		return a.errorAnswer(http.StatusServiceUnavailable, codeUnavailable, "", "the service is unavailable; retry later")
	}
	rid := a.s.UniqueID()
	a.s.Logger().Error("account operations request failed", "requestId", rid, "err", err)
	return a.errorAnswer(http.StatusInternalServerError, codeInternal, "", "internal error; quote "+strconv.FormatInt(rid, 10)+" when you report it")
}
