package webui

import (
	"net/http"
	"net/url"
	"strings"
)

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// home sends a signed-in person to their view, anyone else to sign in.
func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	s := h.session(r)
	if s == nil {
		redirect(w, r, "/ui/signin")
		return
	}
	redirect(w, r, s.homePath())
}

func (s *session) homePath() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.kind {
	case partnerKind:
		return "/ui/partner"
	case companyKind:
		return "/ui/account"
	}
	return "/ui/history"
}

// signinData fills the sign-in form again after a refusal (never with a
// secret).
type signinData struct {
	Kind, Alias, Username, Next, Error string
}

func (h *Handler) signinForm(w http.ResponseWriter, r *http.Request) {
	d := signinData{Kind: "partner", Next: safeNext(r.URL.Query().Get("next"))}
	if k := r.URL.Query().Get("as"); k == "company" || k == "user" {
		d.Kind = k
	}
	w.Header().Set("Cache-Control", "no-store")
	h.render(w, r, http.StatusOK, "signin", nil, view{Title: "Sign in", Data: d})
}

// safeNext keeps a post-sign-in destination only when it is a page of the
// web tool (never another site: "//evil.example" is refused).
func safeNext(next string) string {
	if strings.HasPrefix(next, "/ui/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return ""
}

// signin checks the credentials with the API they belong to and starts a
// new session (a new id at every sign-in, so an id planted before it is
// worth nothing). A refusal shows the API's own message and starts none.
func (h *Handler) signin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d := signinData{Kind: r.PostFormValue("kind"), Alias: strings.TrimSpace(r.PostFormValue("alias")),
		Username: strings.TrimSpace(r.PostFormValue("username")), Next: safeNext(r.PostFormValue("next"))}
	apiKey := strings.TrimSpace(r.PostFormValue("apiKey"))
	password := r.PostFormValue("password")
	refuse := func(msg string) {
		d.Error = msg
		h.render(w, r, http.StatusUnauthorized, "signin", nil, view{Title: "Sign in", Data: d})
	}
	// refuseAnswer shows an API's refusal with its status when it says to
	// wait (the APIs' per-address and per-login limits count sign-ins made
	// here like their own).
	refuseAnswer := func(a answer) {
		if a.Status != http.StatusTooManyRequests {
			refuse(a.message())
			return
		}
		if a.RetryAfter != "" {
			w.Header().Set("Retry-After", a.RetryAfter)
		}
		d.Error = a.message()
		h.render(w, r, http.StatusTooManyRequests, "signin", nil, view{Title: "Sign in", Data: d})
	}
	s := &session{}
	switch d.Kind {
	case "partner", "company":
		alias := ""
		if d.Kind == "company" {
			if d.Alias == "" {
				refuse("Give the company's alias (or sign in as a partner).")
				return
			}
			alias = d.Alias
		}
		if apiKey == "" {
			refuse("Give your apiKey.")
			return
		}
		tok, a, err := h.authenticate(ctx, r, apiKey, alias)
		if err != nil || tok == "" {
			if err != nil {
				h.fail(w, r, nil, a, err)
				return
			}
			refuseAnswer(a)
			return
		}
		p, err := h.o.Access.Bearer(ctx, tok)
		if err != nil {
			h.fail(w, r, nil, answer{}, err)
			return
		}
		s.partner, s.apiKey = p.Partner, apiKey
		if alias == "" {
			s.kind, s.partnerToken = partnerKind, tok
		} else {
			s.kind, s.alias, s.accountToken = companyKind, alias, tok
		}
	case "user":
		if d.Username == "" || password == "" {
			refuse("Give your username and password.")
			return
		}
		a, err := h.call(ctx, r, http.MethodGet, "/api/v2/licenseAssignments", url.Values{"limit": {"1"}},
			credential{user: d.Username, password: password}, nil)
		if err != nil {
			h.fail(w, r, nil, a, err)
			return
		}
		if !a.OK() {
			refuseAnswer(a)
			return
		}
		s.kind, s.username, s.password = userKind, d.Username, password
	default:
		refuse("Choose how to sign in.")
		return
	}
	if old := h.session(r); old != nil {
		h.sessions.delete(old.id)
	}
	ns := h.sessions.create(h.o.Clock.Now())
	ns.mu.Lock()
	ns.kind, ns.partner, ns.apiKey, ns.alias = s.kind, s.partner, s.apiKey, s.alias
	ns.partnerToken, ns.accountToken, ns.username, ns.password = s.partnerToken, s.accountToken, s.username, s.password
	ns.mu.Unlock()
	h.setCookie(w, r, ns)
	to := d.Next
	if to == "" {
		to = ns.homePath()
	}
	redirect(w, r, to)
}

// signout ends the session here and now.
func (h *Handler) signout(w http.ResponseWriter, r *http.Request, s *session) {
	h.sessions.delete(s.id)
	h.clearCookie(w, r)
	redirect(w, r, "/ui/signin")
}
