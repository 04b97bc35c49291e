package webui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// answer is an HTTP API's answer to an in-process call.
type answer struct {
	Status int
	Body   []byte
	// RetryAfter is the answer's Retry-After header (a 429's, a 503's).
	RetryAfter string
}

// OK reports a 2xx.
func (a answer) OK() bool { return a.Status >= 200 && a.Status < 300 }

// decode reads the answer's JSON body into v.
func (a answer) decode(v any) error {
	if err := json.Unmarshal(a.Body, v); err != nil {
		return fmt.Errorf("the API's answer (%d) could not be read: %w", a.Status, err)
	}
	return nil
}

// message is what a person reads of a refusal: the API's own message (and
// field) from whichever envelope the API answers with.
func (a answer) message() string {
	var env struct {
		Error *struct {
			Message, Field string
			Violations     []struct{ Field, Message string }
		} `json:"error"`
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code, Field string
			} `json:"extensions"`
		} `json:"errors"`
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal(a.Body, &env) == nil {
		switch {
		case env.Error != nil && len(env.Error.Violations) > 1:
			var parts []string
			for _, v := range env.Error.Violations {
				parts = append(parts, strings.TrimPrefix(v.Field+": ", ": ")+v.Message)
			}
			return strings.Join(parts, "; ")
		case env.Error != nil && env.Error.Message != "":
			return env.Error.Message
		case len(env.Errors) > 0:
			return env.Errors[0].Message
		case env.ErrorMessage != "":
			return env.ErrorMessage
		}
	}
	return fmt.Sprintf("the API answered %d %s", a.Status, http.StatusText(a.Status))
}

// responseRecorder collects an in-process answer.
type responseRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *responseRecorder) Header() http.Header { return w.header }
func (w *responseRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}
func (w *responseRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

// credential is how an in-process call authenticates.
type credential struct {
	bearer, accessToken string
	user, password      string
}

// call sends one request to the HTTP APIs in process, as the browser's
// request from (its address, so the APIs' per-address limits count the
// person, not this process), with cred and a JSON body (nil: none).
func (h *Handler) call(ctx context.Context, from *http.Request, method, path string, query url.Values, cred credential, body any) (answer, error) {
	var rd io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return answer{}, err
		}
		rd = bytes.NewReader(b)
	}
	u := path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return answer{}, err
	}
	req.RemoteAddr = from.RemoteAddr
	req.Host = from.Host
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	switch {
	case cred.bearer != "":
		req.Header.Set("Authorization", "Bearer "+cred.bearer)
	case cred.accessToken != "":
		req.Header.Set("X-AccessToken", cred.accessToken)
	case cred.user != "":
		req.SetBasicAuth(cred.user, cred.password)
	}
	rec := &responseRecorder{header: http.Header{}}
	h.o.API.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return answer{Status: rec.status, Body: rec.body.Bytes(), RetryAfter: rec.header.Get("Retry-After")}, nil
}

// authenticate exchanges an apiKey (and a company's alias) for an Account
// Manager token: POST /api/v1/authenticate.
func (h *Handler) authenticate(ctx context.Context, from *http.Request, apiKey, alias string) (string, answer, error) {
	body := map[string]string{"apiKey": apiKey}
	if alias != "" {
		body["alias"] = alias
	}
	a, err := h.call(ctx, from, http.MethodPost, "/api/v1/authenticate", nil, credential{}, body)
	if err != nil || !a.OK() {
		return "", a, err
	}
	var out struct{ Token string }
	if err := a.decode(&out); err != nil {
		return "", a, err
	}
	return out.Token, a, nil
}

// am calls the Account Manager API (/api/v1) with the session's token of
// the scope the path needs (account scope for the users and license
// paths), fetching a new token with the session's apiKey when there is
// none yet or the API says it expired.
func (h *Handler) am(ctx context.Context, from *http.Request, s *session, account bool, method, path string, query url.Values, body any) (answer, error) {
	for attempt := 0; ; attempt++ {
		s.mu.Lock()
		tok, apiKey, alias := s.partnerToken, s.apiKey, ""
		if account {
			tok, alias = s.accountToken, s.alias
		}
		s.mu.Unlock()
		if tok == "" {
			t, a, err := h.authenticate(ctx, from, apiKey, alias)
			if err != nil || t == "" {
				return a, err
			}
			tok = t
			s.mu.Lock()
			if account {
				s.accountToken = t
			} else {
				s.partnerToken = t
			}
			s.mu.Unlock()
		}
		a, err := h.call(ctx, from, method, "/api/v1"+path, query, credential{bearer: tok}, body)
		if err != nil || a.Status != http.StatusUnauthorized || attempt > 0 {
			return a, err
		}
		s.mu.Lock()
		if account {
			s.accountToken = ""
		} else {
			s.partnerToken = ""
		}
		s.mu.Unlock()
	}
}

// partnerBearer returns the session's partner token, fetching one with its
// apiKey when it has none.
func (h *Handler) partnerBearer(r *http.Request, s *session) (string, answer, error) {
	s.mu.Lock()
	tok, apiKey := s.partnerToken, s.apiKey
	s.mu.Unlock()
	if tok != "" {
		return tok, answer{}, nil
	}
	tok, a, err := h.authenticate(r.Context(), r, apiKey, "")
	if err != nil || tok == "" {
		return "", a, err
	}
	s.mu.Lock()
	s.partnerToken = tok
	s.mu.Unlock()
	return tok, a, nil
}
