package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
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
	raw := make([]byte, 32)
	if _, err := io.ReadFull(s.random, raw); err != nil {
		s.log.Error("reading randomness for a token", "err", err)
		oauthError(w, http.StatusInternalServerError, "server_error", "internal error")
		return
	}
	tok := base64.RawURLEncoding.EncodeToString(raw)
	now := s.clock.Now()
	err = s.store.Update(r.Context(), func(tx ports.Tx) error {
		c, err := tx.Clients().Get(r.Context(), id)
		if domain.ErrorCode(err) == domain.CodeNotFound {
			// Hash anyway, so an unknown client id takes as long as a
			// wrong secret and ids cannot be told apart by timing.
			unknown := domain.Client{SecretHash: domain.HashSecret("")}
			unknown.CheckSecret(secret)
			return err
		}
		if err != nil {
			return err
		}
		if !c.CheckSecret(secret) {
			return domain.Errorf(domain.CodeUnauthenticated, "client_secret", "wrong secret")
		}
		return tx.Clients().PutToken(r.Context(), domain.Token{Hash: domain.HashSecret(tok), ClientID: c.ID, ExpiresAt: now.Add(s.ttl)})
	})
	switch domain.ErrorCode(err) {
	case "":
	case domain.CodeNotFound, domain.CodeUnauthenticated:
		// The same answer for an unknown client and a wrong secret.
		oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
		return
	default:
		s.log.Error("issuing a token", "err", err)
		oauthError(w, http.StatusInternalServerError, "server_error", "internal error")
		return
	}
	noteClient(r.Context(), id)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok, "token_type": "Bearer", "expires_in": int(s.ttl.Seconds()),
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

// Authenticate returns the client id of the request's bearer token. It fails
// with CodeUnauthenticated for a missing, unknown or expired token.
func (s *Server) Authenticate(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", domain.Errorf(domain.CodeUnauthenticated, "Authorization", "Access Token Invalid")
	}
	var t domain.Token
	err := s.store.View(r.Context(), func(tx ports.Tx) error {
		var err error
		t, err = tx.Clients().Token(r.Context(), domain.HashSecret(strings.TrimSpace(tok)))
		return err
	})
	if domain.ErrorCode(err) == domain.CodeNotFound || (err == nil && !t.ValidAt(s.clock.Now())) {
		return "", domain.Errorf(domain.CodeUnauthenticated, "Authorization", "Access Token Invalid")
	}
	if err != nil {
		return "", err
	}
	noteClient(r.Context(), t.ClientID)
	return t.ClientID, nil
}

// IssueClient stores a client with a hash of secret; the secret itself is
// never stored.
func IssueClient(ctx context.Context, store ports.Store, id, name, secret string) error {
	return store.Update(ctx, func(tx ports.Tx) error {
		return tx.Clients().Put(ctx, domain.Client{ID: id, Name: name, SecretHash: domain.HashSecret(secret)})
	})
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
