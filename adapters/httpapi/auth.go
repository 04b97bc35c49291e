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
	"slices"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules/access"
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

// Authenticate is the store API's check (seed 001): AuthenticateBearer
// accepting only client_credentials tokens, so a token issued for another API
// (an Account Manager authToken) is refused here.
func (s *Server) Authenticate(r *http.Request) (*http.Request, error) {
	return s.AuthenticateBearer(r, domain.ClientCredentials)
}

// AuthenticateBearer turns the request's bearer token into its Principal and
// returns the request with the Principal in its context (PrincipalFrom reads
// it). The token must have been issued for one of kinds (domain.APIKey for
// the Account Manager, domain.ClientCredentials for the store API); no kinds
// accepts any. It fails with CodeUnauthenticated ("Access Token Invalid",
// field Authorization) for a missing, unknown or expired token and for a
// token of another kind, and with CodeRateLimited when the principal is over
// its request rate (RetryAfter says how long to wait). Call it before reading
// the body.
func (s *Server) AuthenticateBearer(r *http.Request, kinds ...domain.CredentialKind) (*http.Request, error) {
	p, err := s.bearer(r, kinds...)
	if err != nil {
		return r, err
	}
	return s.admit(r, p)
}

// bearer returns the Principal of r's bearer token, which must be of one of
// kinds (none: any).
func (s *Server) bearer(r *http.Request, kinds ...domain.CredentialKind) (domain.Principal, error) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return domain.Principal{}, errAccessTokenInvalid
	}
	p, err := s.access.Bearer(r.Context(), tok)
	if domain.ErrorCode(err) == domain.CodeUnauthenticated {
		return domain.Principal{}, errAccessTokenInvalid
	}
	if err != nil {
		return domain.Principal{}, err
	}
	if len(kinds) > 0 && !slices.Contains(kinds, p.Credential) {
		return domain.Principal{}, errAccessTokenInvalid
	}
	return p, nil
}

// admit applies the per-principal request rate and puts p in r's context.
// The rate is kept per partner for partner-wide principals (the store API's
// "per client"), and per account for principals narrowed to one account, so
// one busy company does not use up its partner's allowance.
func (s *Server) admit(r *http.Request, p domain.Principal) (*http.Request, error) {
	NoteFrom(r.Context()).setPrincipal(principalText(p))
	key := p.Partner
	if p.Account != "" {
		key += "\x00" + p.Account
	}
	if ok, wait := s.perClient.allow(key, s.clock.Now()); !ok {
		return r, &domain.Error{Code: domain.CodeRateLimited, Message: "too many requests; retry later", Err: retryAfterError(wait)}
	}
	return r.WithContext(context.WithValue(r.Context(), principalKey{}, p)), nil
}

// AuthenticateBasic checks the request's HTTP Basic credentials, an account
// user's username and password (License Assignments v2, seed 004), and
// returns the request with the user's Principal (Credential
// domain.BasicUser, with the user's roles) in its context. Guessing is
// slowed like client secrets at /oauth/token: after Limits.TokenFailures
// wrong passwords in a row for one username, or from one network address,
// each further try waits 1 s, 2 s, 4 s, ... up to Limits.TokenMaxBackoff
// before any password is checked; a right password clears both counts.
//
// It fails with CodeUnauthenticated (field Authorization) for missing,
// malformed or wrong credentials (answer 401 with SetBasicChallenge), and
// with CodeRateLimited (RetryAfter) for a username or address that must wait
// or a principal over its request rate. Call it before reading the body.
func (s *Server) AuthenticateBasic(r *http.Request) (*http.Request, error) {
	user, pass, ok := r.BasicAuth()
	if !ok || user == "" || pass == "" {
		return r, errBasicMissing
	}
	now := s.clock.Now()
	// Keyed as usernames are matched (domain.ExternalKey), so "Admin " is
	// the same username as "admin".
	keys := [2]string{"basic-user\x00" + domain.ExternalKey(user), "basic-addr\x00" + address(r)}
	for _, k := range keys {
		if wait := s.tokenFail.wait(k, now); wait > 0 {
			return r, &domain.Error{Code: domain.CodeRateLimited, Field: "Authorization",
				Message: "too many wrong passwords for this username or from this address; retry later", Err: retryAfterError(wait)}
		}
	}
	p, err := s.access.BasicUser(r.Context(), user, pass)
	if code := domain.ErrorCode(err); code == "" || code == domain.CodeUnauthenticated {
		for _, k := range keys {
			s.tokenFail.record(k, err == nil, now)
		}
	}
	switch domain.ErrorCode(err) {
	case "":
		return s.admit(r, p)
	case domain.CodeUnauthenticated:
		return r, errBasicWrong
	}
	return r, err
}

var (
	errBasicMissing = domain.Errorf(domain.CodeUnauthenticated, "Authorization", "give an account user's username and password with HTTP Basic authentication")
	errBasicWrong   = domain.Errorf(domain.CodeUnauthenticated, "Authorization", "unknown username or wrong password")
)

// SetBasicChallenge sets the WWW-Authenticate header a 401 answer to
// AuthenticateBasic carries (RFC 7617), so clients know to send HTTP Basic.
func SetBasicChallenge(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="entitle", charset="UTF-8"`)
}

// IssueAPIKeyToken is the Account Manager's POST /authenticate behind the
// kit's credential limits: at most Limits.TokenPerAddress tries a second from
// one network address (bursts of Limits.TokenPerAddressBurst), and after
// Limits.TokenFailures refused keys in a row from one address each further
// try waits 1 s, 2 s, 4 s, ... up to Limits.TokenMaxBackoff. Within them it
// is access.Service.IssueAPIKeyToken: apiKey alone gives a partner-scope
// token, apiKey and alias an account-scope one; expires is when the token
// stops working.
//
// It fails with CodeRateLimited (RetryAfter), CodeUnauthenticated with the
// message access.InvalidAPIKey for a bad key or an alias that is not the
// key's partner's company, and CodeInvalid naming "alias" for an alias that
// is not printable text. The body holding apiKey may be decoded first; it is
// at most MaxBody bytes.
func (s *Server) IssueAPIKeyToken(r *http.Request, apiKey, alias string) (token string, expires time.Time, err error) {
	now := s.clock.Now()
	addr := address(r)
	if ok, wait := s.tokenAddr.allow(addr, now); !ok {
		return "", time.Time{}, &domain.Error{Code: domain.CodeRateLimited, Field: "apiKey",
			Message: "too many authenticate requests from this address; retry later", Err: retryAfterError(wait)}
	}
	key := "apikey-addr\x00" + addr
	if wait := s.tokenFail.wait(key, now); wait > 0 {
		return "", time.Time{}, &domain.Error{Code: domain.CodeRateLimited, Field: "apiKey",
			Message: "too many invalid apiKey values from this address; retry later", Err: retryAfterError(wait)}
	}
	token, expires, err = s.access.IssueAPIKeyToken(r.Context(), apiKey, alias)
	if code := domain.ErrorCode(err); code == "" || code == domain.CodeUnauthenticated {
		s.tokenFail.record(key, err == nil, now)
	}
	return token, expires, err
}

// IssueBillingBearer is managed billing's POST /api/ts/v1/oauth2/token (the
// ThingSpace OAuth client_credentials grant, HTTP Basic key:secret) behind
// the kit's credential limits: at most Limits.TokenPerAddress tries a second
// from one network address (bursts of Limits.TokenPerAddressBurst), and
// after Limits.TokenFailures wrong secrets in a row for one client id, or
// from one address, each further try waits 1 s, 2 s, 4 s, ... up to
// Limits.TokenMaxBackoff before any secret is checked; a right secret
// clears both counts. Within them it is
// access.Service.IssueBillingBearer: a bearer of kind domain.BillingBearer
// that lives access.BillingBearerTTL (one hour); expires is when it stops
// working.
//
// It fails with CodeRateLimited (RetryAfter, field client_id),
// CodeUnauthenticated for an unknown client or a wrong secret (alike), and
// CodeInvalid for an id or secret that is not printable text. The form
// body holding grant_type may be read first; it is at most MaxBody bytes.
func (s *Server) IssueBillingBearer(r *http.Request, clientID, secret string) (token string, expires time.Time, err error) {
	now := s.clock.Now()
	addr := address(r)
	if ok, wait := s.tokenAddr.allow(addr, now); !ok {
		return "", time.Time{}, &domain.Error{Code: domain.CodeRateLimited, Field: "client_id",
			Message: "too many token requests from this address; retry later", Err: retryAfterError(wait)}
	}
	keys := [2]string{"billing-client\x00" + clientID, "billing-addr\x00" + addr}
	for _, k := range keys {
		if wait := s.tokenFail.wait(k, now); wait > 0 {
			return "", time.Time{}, &domain.Error{Code: domain.CodeRateLimited, Field: "client_id",
				Message: "too many wrong secrets for this client id or from this address; retry later", Err: retryAfterError(wait)}
		}
	}
	token, expires, err = s.access.IssueBillingBearer(r.Context(), clientID, secret)
	if code := domain.ErrorCode(err); code == "" || code == domain.CodeUnauthenticated {
		for _, k := range keys {
			s.tokenFail.record(k, err == nil, now)
		}
	}
	if err == nil {
		noteClient(r.Context(), clientID)
	}
	return token, expires, err
}

// AuthenticateBillingBearer is the check of managed billing's session login
// (POST /api/m2m/v1/session/login sends only the OAuth bearer): the
// request's Authorization bearer must be of kind domain.BillingBearer. It
// returns the request with the bearer's Principal (the client, Credential
// domain.BillingBearer) in its context, for SessionLogin. It fails with
// CodeUnauthenticated ("Access Token Invalid", field Authorization) for a
// missing, unknown, expired or other kind of token, and CodeRateLimited
// (RetryAfter) for a client over its request rate. Call it before reading
// the body.
func (s *Server) AuthenticateBillingBearer(r *http.Request) (*http.Request, error) {
	return s.AuthenticateBearer(r, domain.BillingBearer)
}

// SessionLogin is managed billing's POST /api/m2m/v1/session/login
// {username, password}, for a request that AuthenticateBillingBearer
// admitted (the bearer's Principal is in r's context). Guessing is slowed
// before any password is checked: after Limits.TokenFailures wrong
// passwords in a row for one username (compared as usernames match,
// case-insensitively), or from one network address, each further try waits
// 1 s, 2 s, 4 s, ... up to Limits.TokenMaxBackoff; a right password clears
// both counts. This is on top of the login's own lock: the
// access.MaxFailedLogins-th wrong password in a row locks the login in the
// store, for every server, until it is unlocked. Within the limits it is
// access.Service.SessionLogin: a session token of the login's account that
// expires after access.SessionIdle unused.
//
// It fails with access.ErrBillingBearer when r carries no billing bearer's
// Principal; CodeRateLimited (RetryAfter, field username); and otherwise
// as access.Service.SessionLogin: access.ErrLogin, access.ErrLoginLocked,
// access.ErrAccountBlocked.
func (s *Server) SessionLogin(r *http.Request, username, password string) (sessionToken string, err error) {
	bearer, ok := PrincipalFrom(r.Context())
	if !ok || bearer.Credential != domain.BillingBearer {
		return "", access.ErrBillingBearer
	}
	now := s.clock.Now()
	keys := [2]string{"uws-user\x00" + domain.ExternalKey(username), "uws-addr\x00" + address(r)}
	for _, k := range keys {
		if wait := s.tokenFail.wait(k, now); wait > 0 {
			return "", &domain.Error{Code: domain.CodeRateLimited, Field: "username",
				Message: "too many wrong passwords for this username or from this address; retry later", Err: retryAfterError(wait)}
		}
	}
	sessionToken, err = s.access.SessionLogin(r.Context(), bearer, username, password)
	if err == nil || errors.Is(err, access.ErrLogin) || errors.Is(err, access.ErrLoginLocked) {
		for _, k := range keys {
			s.tokenFail.record(k, err == nil, now)
		}
	}
	return sessionToken, err
}

// AuthenticateBilling is the check of every managed-billing call (seed
// 002's /api/subsc/v1): the request carries both a bearer of kind
// domain.BillingBearer (Authorization) and a session token of one of that
// bearer's partner's logins (header VZ-M2M-Token). It returns the request
// with the session's Principal in its context (Partner, Account and User
// the login's, Credential domain.Session) and slides the session's expiry
// (access.Service.Session). The request rate is kept per account.
//
// It fails with CodeUnauthenticated "Access Token Invalid" (field
// Authorization) for a missing or bad bearer; access.ErrSessionInvalid
// (field VZ-M2M-Token) for a missing or unknown session token or one of
// another partner; access.ErrSessionExpired for a session unused for
// access.SessionIdle (seed 002's family: "UWS verification failure (The
// Session has expired.)"); access.ErrAccountBlocked while the account is
// blocked; and CodeRateLimited (RetryAfter). Call it before reading the
// body.
func (s *Server) AuthenticateBilling(r *http.Request) (*http.Request, error) {
	bearer, err := s.bearer(r, domain.BillingBearer)
	if err != nil {
		return r, err
	}
	tok := strings.TrimSpace(r.Header.Get("VZ-M2M-Token"))
	if tok == "" {
		return r, access.ErrSessionInvalid
	}
	p, err := s.access.Session(r.Context(), bearer, tok)
	if err != nil {
		return r, err
	}
	return s.admit(r, p)
}

// AuthenticateAccessToken is the check of account operations (seed 003's
// /partner): the header X-AccessToken holds a partner's access token. It
// returns the request with the partner's Principal (Credential
// domain.AccessToken, no account) in its context. It fails with
// access.ErrTokenExpired for a known token past its expiry (seed 003's
// TOKEN_EXPIRED, 401), access.ErrTokenInvalid for a missing or unknown
// token or one of another kind (INVALID_TOKEN, 403), both
// CodeUnauthenticated, and CodeRateLimited (RetryAfter) for a partner over
// its request rate. Call it before reading the body.
func (s *Server) AuthenticateAccessToken(r *http.Request) (*http.Request, error) {
	p, err := s.access.AccessToken(r.Context(), r.Header.Get("X-AccessToken"))
	if err != nil {
		return r, err
	}
	return s.admit(r, p)
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
