package rulesapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/domain"
)

// Authors names the partners (a store API client id, an Account Manager
// partner id) whose principals may read rules, try edited copies and read
// the decision log. The empty set lets nobody in.
type Authors map[string]bool

// authorize authenticates r with a bearer token and checks that its partner
// is a rule author. On false it has answered.
func authorize(api *httpapi.Server, authors Authors, w http.ResponseWriter, r *http.Request) (*http.Request, domain.Principal, bool) {
	r, err := api.AuthenticateBearer(r, domain.ClientCredentials, domain.APIKey)
	if err != nil {
		writeError(w, err)
		return r, domain.Principal{}, false
	}
	p, _ := httpapi.PrincipalFrom(r.Context())
	if !authors[p.Partner] {
		writeError(w, domain.Errorf(domain.CodeForbidden, "", "partner %q is not a rule author; an operator names rule authors with entitle serve --rule-authors", p.Partner))
		return r, domain.Principal{}, false
	}
	return r, p, true
}

// errorBody is the envelope of every error this API answers.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Field   string `json:"field,omitempty"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError answers err: a *domain.Error with the status of its code,
// anything else as a 500 that says no more than that.
func writeError(w http.ResponseWriter, err error) {
	httpapi.WriterNote(w).Refused(err)
	var b errorBody
	var de *domain.Error
	if errors.As(err, &de) {
		b.Error.Code, b.Error.Field, b.Error.Message = string(de.Code), de.Field, de.Message
	} else {
		b.Error.Code, b.Error.Message = string(domain.CodeInternal), "the server failed; the log has the cause"
	}
	writeJSON(w, statusOf(b.Error.Code), b)
}

// writeJSON answers v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"the answer could not be encoded"}}`)
	}
	httpapi.WriteAnswer(w, httpapi.Answer{Status: status, Body: body})
}

// statusOf is the HTTP status of an error code.
func statusOf(code string) int {
	switch domain.Code(code) {
	case domain.CodeInvalid:
		return http.StatusBadRequest
	case domain.CodeNotFound:
		return http.StatusNotFound
	case domain.CodeConflict:
		return http.StatusConflict
	case domain.CodeForbidden:
		return http.StatusForbidden
	case domain.CodeUnauthenticated:
		return http.StatusUnauthorized
	case domain.CodeUnavailable:
		return http.StatusServiceUnavailable
	case domain.CodeRateLimited:
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

// nameAPI names this API on api for the access log and the metrics; both
// Register functions call it, so either alone labels its routes.
func nameAPI(api *httpapi.Server) {
	api.NameAPI("rulesapi", "/rulesets", "/decisions")
}
