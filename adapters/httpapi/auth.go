package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/domain"
)

// token is POST /oauth/token: the client_credentials grant (RFC 6749 4.4),
// credentials in the form body, a JSON body, or HTTP Basic auth. The answer
// is a bearer token that expires; only its hash is stored.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	grant, id, secret, err := tokenRequest(r)
	switch {
	case err != nil:
		oauthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	case grant != "client_credentials":
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials")
		return
	case id == "" || secret == "":
		oauthError(w, http.StatusUnauthorized, "invalid_client", "give client_id and client_secret")
		return
	}
	// Guessing is slowed per address and per client id, before any secret
	// is checked (a check costs an argon2id hash).
	now := s.clock.Now()
	if ok, wait := s.tokenAddr.allow(address(r), now); !ok {
		retryAfter(w, wait)
		oauthError(w, http.StatusTooManyRequests, "slow_down", "too many token requests from this address; retry later")
		return
	}
	if wait := s.tokenFail.wait(id, now); wait > 0 {
		retryAfter(w, wait)
		oauthError(w, http.StatusTooManyRequests, "slow_down", "too many wrong secrets for this client id; retry later")
		return
	}
	tok, err := s.access.IssueToken(r.Context(), id, secret)
	if code := domain.ErrorCode(err); code == "" || code == domain.CodeUnauthenticated {
		s.tokenFail.record(id, err == nil, now)
	}
	switch domain.ErrorCode(err) {
	case "":
	case domain.CodeUnauthenticated:
		// The same answer for an unknown client and a wrong secret.
		oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
		return
	case domain.CodeInvalid:
		oauthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	default:
		s.log.Error("issuing a token", "err", err)
		oauthError(w, http.StatusInternalServerError, "server_error", "internal error")
		return
	}
	noteClient(r.Context(), id)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok.Value, "token_type": "Bearer", "expires_in": int(tok.ExpiresIn.Seconds()),
	})
}

func tokenRequest(r *http.Request) (grant, id, secret string, err error) {
	id, secret, _ = r.BasicAuth()
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var body struct {
			GrantType    string `json:"grant_type"`
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
		}
		if err := DecodeStrict(r.Body, &body); err != nil {
			return "", "", "", err
		}
		grant = body.GrantType
		if id == "" {
			id, secret = body.ClientID, body.ClientSecret
		}
		return grant, id, secret, nil
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return "", "", "", err
	}
	form, err := url.ParseQuery(string(b))
	if err != nil {
		return "", "", "", err
	}
	if id == "" {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	return form.Get("grant_type"), id, secret, nil
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Cache-Control", "no-store")
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="entitle"`)
	}
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// Authenticate turns the request's bearer token into its Principal and
// returns the request with the Principal in its context (PrincipalFrom reads
// it). It fails with CodeUnauthenticated ("Access Token Invalid") for a
// missing, unknown or expired token, and with CodeRateLimited when the
// principal is over its request rate (RetryAfter says how long to wait).
func (s *Server) Authenticate(r *http.Request) (*http.Request, error) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return r, errAccessTokenInvalid
	}
	p, err := s.access.Bearer(r.Context(), tok)
	if domain.ErrorCode(err) == domain.CodeUnauthenticated {
		return r, errAccessTokenInvalid
	}
	if err != nil {
		return r, err
	}
	noteClient(r.Context(), p.Partner)
	if ok, wait := s.perClient.allow(p.Partner, s.clock.Now()); !ok {
		return r, &domain.Error{Code: domain.CodeRateLimited, Message: "too many requests; retry later", Err: retryAfterError(wait)}
	}
	return r.WithContext(context.WithValue(r.Context(), principalKey{}, p)), nil
}

var errAccessTokenInvalid = domain.Errorf(domain.CodeUnauthenticated, "Authorization", "Access Token Invalid")

type principalKey struct{}

// PrincipalFrom returns the Principal Authenticate put in ctx.
func PrincipalFrom(ctx context.Context) (domain.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(domain.Principal)
	return p, ok
}

func writeJSON(w http.ResponseWriter, status int, v any) { writeAnswer(w, jsonAnswer(status, v)) }

// marshal encodes v as compact JSON with a final newline, leaving <, > and &
// as they are (the bodies are JSON for programs, not HTML).
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// retryAfterError is the cause of a CodeRateLimited error: how long to wait.
type retryAfterError time.Duration

func (e retryAfterError) Error() string { return "retry after " + time.Duration(e).String() }

// RetryAfter returns how long the caller of a request refused with err
// should wait, for a Retry-After header; false when err does not say.
func RetryAfter(err error) (time.Duration, bool) {
	var ra retryAfterError
	if errors.As(err, &ra) {
		return time.Duration(ra), true
	}
	return 0, false
}

// SetRetryAfter sets the Retry-After header of a response refusing err, when
// err says how long to wait.
func SetRetryAfter(w http.ResponseWriter, err error) {
	if d, ok := RetryAfter(err); ok {
		retryAfter(w, d)
	}
}
