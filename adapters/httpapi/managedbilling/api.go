package managedbilling

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules/access"
	"github.com/entitle-rules/entitle/rules/accounts"
)

// The API's paths: the vendor's own.
const (
	TokenPath = "/api/ts/v1/oauth2/token"
	LoginPath = "/api/m2m/v1/session/login"
	Prefix    = "/api/subsc/v1"
)

// Register serves the managed-billing API of seed 002 on s: the OAuth token
// (TokenPath), the session login (LoginPath) and the managed accounts under
// Prefix, deciding with svc; the kit issues and checks the credentials
// (Server.IssueBillingBearer, Server.AuthenticateBillingBearer and
// Server.SessionLogin, Server.AuthenticateBilling).
// Every answer is JSON: the routes' own, {"errorCode", "errorMessage"} for
// a refusal (the gateway's {"fault"} for a bad bearer, OAuth's {"error"} at
// TokenPath), and the same for another method (405) or path (404) under
// Prefix.
func Register(s *httpapi.Server, svc *accounts.Service) {
	s.NameAPI("managedbilling", Prefix, TokenPath, LoginPath)
	a := &api{s: s, svc: svc}
	s.Handle("POST "+TokenPath, http.HandlerFunc(a.token))
	s.Handle(TokenPath, a.methodNotAllowed("POST"))
	s.Handle("POST "+LoginPath, http.HandlerFunc(a.login))
	s.Handle(LoginPath, a.methodNotAllowed("POST"))
	for _, rt := range []struct {
		path   string
		method string
		h      http.HandlerFunc
	}{
		{"/managedaccounts/actions/add", http.MethodPost, a.add},
		{"/managedaccounts/actions/provision", http.MethodPost, a.provision},
		{"/managedaccounts/actions/cancel", http.MethodPost, a.cancel},
		{"/managedaccounts/{accountName}/service/{serviceName}", http.MethodGet, a.list},
		{"/managedaccounts/{accountName}/service/{serviceName}/status/{status}", http.MethodGet, a.list},
	} {
		s.Handle(rt.method+" "+Prefix+rt.path, rt.h)
		allow := rt.method
		if allow == http.MethodGet {
			allow = "GET, HEAD"
		}
		s.Handle(Prefix+rt.path, a.methodNotAllowed(allow))
	}
	s.Handle(Prefix+"/", http.HandlerFunc(a.notFound))
}

type api struct {
	s   *httpapi.Server
	svc *accounts.Service
}

// POST /api/ts/v1/oauth2/token: HTTP Basic key:secret and the form
// grant_type=client_credentials give a bearer token for an hour.
func (a *api) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || id == "" || secret == "" {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "send the client's key and secret with HTTP Basic authentication")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "send the body as application/x-www-form-urlencoded: grant_type=client_credentials")
		return
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the request body could not be read")
		return
	}
	form, err := url.ParseQuery(string(b))
	if err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body is not a form: "+err.Error())
		return
	}
	for k, vs := range form {
		if k != "grant_type" && k != "scope" {
			oauthError(w, http.StatusBadRequest, "invalid_request", httpapi.ParamName(k)+" is not a parameter of this request")
			return
		}
		if len(vs) > 1 {
			oauthError(w, http.StatusBadRequest, "invalid_request", k+" is given more than once")
			return
		}
	}
	if form.Get("grant_type") != "client_credentials" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials")
		return
	}
	tok, expires, err := a.s.IssueBillingBearer(r, id, secret)
	switch domain.ErrorCode(err) {
	case "":
	case domain.CodeUnauthenticated:
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Client Authentication failed.")
		return
	case domain.CodeRateLimited:
		httpapi.SetRetryAfter(w, err)
		oauthError(w, http.StatusTooManyRequests, "slow_down", "too many token requests; retry later")
		return
	case domain.CodeInvalid:
		oauthError(w, http.StatusBadRequest, "invalid_request", message(err))
		return
	default:
		a.s.Logger().Error("issuing a billing bearer", "err", err)
		oauthError(w, http.StatusInternalServerError, "server_error", "internal error")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteAnswer(w, httpapi.JSONAnswer(http.StatusOK, tokenAnswer{AccessToken: tok, TokenType: "Bearer",
		ExpiresIn: int64(expires.Sub(a.s.Now()).Round(time.Second) / time.Second)}))
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Cache-Control", "no-store")
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="entitle"`)
	}
	httpapi.WriteAnswer(w, httpapi.JSONAnswer(status, map[string]string{"error": code, "error_description": desc}))
}

// POST /api/m2m/v1/session/login: {username, password} with the bearer ->
// {sessionToken}.
func (a *api) login(w http.ResponseWriter, r *http.Request) {
	r, err := a.s.AuthenticateBillingBearer(r)
	if err != nil {
		a.fail(w, err)
		return
	}
	body, ok := a.body(w, r)
	if !ok {
		return
	}
	user, pass, err := decodeLogin(body)
	if err != nil {
		a.fail(w, err)
		return
	}
	tok, err := a.s.SessionLogin(r, user, pass)
	if err != nil {
		a.fail(w, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteAnswer(w, httpapi.JSONAnswer(http.StatusOK, loginAnswer{SessionToken: tok}))
}

// authorize checks the bearer and the VZ-M2M-Token before a byte of the
// body is read.
func (a *api) authorize(w http.ResponseWriter, r *http.Request) (*http.Request, domain.Principal, bool) {
	r, err := a.s.AuthenticateBilling(r)
	if err != nil {
		a.fail(w, err)
		return r, domain.Principal{}, false
	}
	who, _ := httpapi.PrincipalFrom(r.Context())
	return r, who, true
}

// body checks the Content-Type and reads the body.
func (a *api) body(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if ct := r.Header.Get("Content-Type"); !httpapi.IsJSON(ct) {
		a.writeError(w, http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "Content-Type "+httpapi.QuoteOrNone(ct)+" is not supported; send the body as application/json")
		return nil, false
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		if httpapi.IsTooLarge(err) {
			a.writeError(w, http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE", "the request body is larger than 1 MiB")
			return nil, false
		}
		a.fail(w, domain.Wrap(err, domain.CodeInvalid, "the request body could not be read"))
		return nil, false
	}
	return b, true
}

// write runs a write under the request's Idempotency-Key, kept per
// logged-in account.
func (a *api) write(w http.ResponseWriter, r *http.Request, who domain.Principal, body []byte, do func(ctx context.Context) (any, error)) {
	a.s.RunIdempotent(w, r, "managedbilling:"+who.Partner+":"+who.Account, body, httpapi.IdempotentAPI{
		Refuse: func(status int, msg string) httpapi.Answer {
			code := "INVALID_PARAMETER"
			switch status {
			case http.StatusConflict:
				code = "REQUEST_IN_PROGRESS"
			case http.StatusUnprocessableEntity:
				code = "IDEMPOTENCY_KEY_REUSED"
			case http.StatusServiceUnavailable:
				code = "SERVICE_UNAVAILABLE"
			}
			return httpapi.JSONAnswer(status, errorAnswer{ErrorCode: code, ErrorMessage: msg})
		},
	}, func(ctx context.Context) httpapi.Answer {
		out, err := do(ctx)
		if err != nil {
			httpapi.NoteFrom(ctx).Refused(err)
			return a.errorFor(err)
		}
		return httpapi.JSONAnswer(http.StatusOK, out)
	})
}

// POST /managedaccounts/actions/add (the primary's session).
func (a *api) add(w http.ResponseWriter, r *http.Request) {
	r, who, ok := a.authorize(w, r)
	if !ok || !a.noQuery(w, r) {
		return
	}
	body, ok := a.body(w, r)
	if !ok {
		return
	}
	a.write(w, r, who, body, func(ctx context.Context) (any, error) {
		req, err := decodeAdd(body)
		if err != nil {
			return nil, err
		}
		res, err := a.svc.AddManaged(ctx, who, req)
		if err != nil {
			return nil, err
		}
		return addOf(res), nil
	})
}

// POST /managedaccounts/actions/provision (the managed account's session).
func (a *api) provision(w http.ResponseWriter, r *http.Request) { a.link(w, r, a.svc.Provision) }

// POST /managedaccounts/actions/cancel (the managed account's session).
func (a *api) cancel(w http.ResponseWriter, r *http.Request) { a.link(w, r, a.svc.Cancel) }

func (a *api) link(w http.ResponseWriter, r *http.Request, do func(context.Context, domain.Principal, accounts.LinkRequest) (accounts.LinkResult, error)) {
	r, who, ok := a.authorize(w, r)
	if !ok || !a.noQuery(w, r) {
		return
	}
	body, ok := a.body(w, r)
	if !ok {
		return
	}
	a.write(w, r, who, body, func(ctx context.Context) (any, error) {
		req, err := decodeLink(body)
		if err != nil {
			return nil, err
		}
		res, err := do(ctx, who, req)
		if err != nil {
			return nil, err
		}
		return linkOf(res), nil
	})
}

// GET /managedaccounts/{accountName}/service/{serviceName}[/status/{status}]
// (the primary's session).
func (a *api) list(w http.ResponseWriter, r *http.Request) {
	r, who, ok := a.authorize(w, r)
	if !ok || !a.noQuery(w, r) {
		return
	}
	status := r.PathValue("status")
	if r.Pattern != "" && strings.HasSuffix(r.Pattern, "{status}") && status != "ADD" && status != "PROVISION" {
		a.fail(w, domain.Errorf(domain.CodeInvalid, "status", "status %q is not ADD or PROVISION", httpapi.ParamName(status)))
		return
	}
	l, err := a.svc.ManagedAccounts(r.Context(), who, r.PathValue("accountName"), r.PathValue("serviceName"), status)
	if err != nil {
		a.fail(w, err)
		return
	}
	httpapi.WriteAnswer(w, httpapi.JSONAnswer(http.StatusOK, listOf(l)))
}

// noQuery refuses a query: a parameter is never silently ignored.
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
		a.writeError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", r.URL.Path+" answers "+allow+", not "+r.Method)
	}
}

func (a *api) notFound(w http.ResponseWriter, r *http.Request) {
	a.writeError(w, http.StatusNotFound, "NOT_FOUND", "there is no route at "+r.URL.Path+"; see the managed-billing API's OpenAPI document")
}

// SessionExpired is the errorMessage of a VZ-M2M-Token unused for 20
// minutes, as the vendor's error table writes it.
const SessionExpired = "UWS verification failure (The Session has expired.)"

// fail writes err's answer.
func (a *api) fail(w http.ResponseWriter, err error) {
	httpapi.SetRetryAfter(w, err)
	var de *domain.Error
	if errors.As(err, &de) && de.Code == domain.CodeUnauthenticated && de.Field == "Authorization" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="entitle"`)
	}
	httpapi.WriterNote(w).Refused(err)
	httpapi.WriteAnswer(w, a.errorFor(err))
}

func (a *api) writeError(w http.ResponseWriter, status int, code, msg string) {
	httpapi.WriteAnswer(w, httpapi.JSONAnswer(status, errorAnswer{ErrorCode: code, ErrorMessage: msg}))
}

// errorFor maps an error to its status and body: the one place codes become
// HTTP statuses. Every refusal the vendor's pages describe is a 400; a bad
// bearer is the gateway's 401; rates, internal failures and an unavailable
// store keep their own statuses. Internal details are logged, never sent.
func (a *api) errorFor(err error) httpapi.Answer {
	var de *domain.Error
	if !errors.As(err, &de) {
		de = &domain.Error{Code: domain.CodeInternal, Err: err}
	}
	switch de.Code {
	case domain.CodeInvalid, domain.CodeNotFound:
		return httpapi.JSONAnswer(http.StatusBadRequest, errorAnswer{ErrorCode: "INVALID_PARAMETER", ErrorMessage: message(de)})
	case domain.CodeConflict, domain.CodeForbidden:
		return httpapi.JSONAnswer(http.StatusBadRequest, errorAnswer{ErrorCode: "INVALID_REQUEST", ErrorMessage: message(de)})
	case domain.CodeUnauthenticated:
		switch {
		case errors.Is(err, access.ErrSessionExpired):
			return httpapi.JSONAnswer(http.StatusBadRequest, errorAnswer{ErrorCode: "INVALID_PARAMETER", ErrorMessage: SessionExpired})
		case de.Field == "Authorization":
			return httpapi.JSONAnswer(http.StatusUnauthorized, faultAnswer{Fault: fault{Code: "900901", Message: "Invalid Credentials",
				Description: "Access failure for API: the ThingSpace bearer token is missing, unknown or expired; get one at " + TokenPath}})
		}
		// A session that is missing or unknown, a wrong username or password.
		return httpapi.JSONAnswer(http.StatusBadRequest, errorAnswer{ErrorCode: "INVALID_PARAMETER", ErrorMessage: "UWS verification failure (" + de.Message + ")"})
	case domain.CodeRateLimited:
		return httpapi.JSONAnswer(http.StatusTooManyRequests, errorAnswer{ErrorCode: "TOO_MANY_REQUESTS", ErrorMessage: message(de)})
	case domain.CodeUnavailable:
		return httpapi.JSONAnswer(http.StatusServiceUnavailable, errorAnswer{ErrorCode: "SERVICE_UNAVAILABLE", ErrorMessage: "the service is unavailable; retry later"})
	}
	rid := a.s.UniqueID()
	a.s.Logger().Error("managed billing request failed", "requestId", rid, "err", err)
	return httpapi.JSONAnswer(http.StatusInternalServerError, errorAnswer{ErrorCode: "INTERNAL_ERROR",
		ErrorMessage: "internal error; quote " + itoa(rid) + " when you report it"})
}

// message is an error's text for errorMessage: each of its violations, or
// its own message; each prefixed with its field unless it begins with it.
func message(err error) string {
	var de *domain.Error
	if !errors.As(err, &de) {
		return err.Error()
	}
	one := func(field, msg string) string {
		if field == "" || strings.HasPrefix(msg, field) {
			return msg
		}
		return field + ": " + msg
	}
	if len(de.Violations) == 0 {
		return one(de.Field, de.Message)
	}
	parts := make([]string, 0, len(de.Violations))
	for _, v := range de.Violations {
		parts = append(parts, one(v.Field, v.Message))
	}
	return strings.Join(parts, "; ")
}
