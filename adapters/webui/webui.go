package webui

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/access"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Prefix is where the web tool answers.
const Prefix = "/ui/"

// Options configures a Handler.
type Options struct {
	// API is the handler of the HTTP APIs (the *httpapi.Server): every page
	// is built from its answers, called in process. Required.
	API http.Handler
	// Access issues a partner's X-AccessTokens (seed 003) and names the
	// partner behind an Account Manager token. Required.
	Access *access.Service
	// Clock reads the time for session expiry; nil is time.Now.
	Clock ports.Clock
	// Logger logs what a person is not shown (an API answer that could not
	// be read); nil discards.
	Logger *slog.Logger
	// IdleTimeout ends a session this long after its last request (default
	// 30 minutes); AbsoluteTimeout this long after sign-in (default 8
	// hours).
	IdleTimeout, AbsoluteTimeout time.Duration
	// MaxSessions bounds the sessions held in memory (default 10,000);
	// past it the least recently used one ends.
	MaxSessions int
	// SecureCookies marks the session cookie Secure (and names it with the
	// __Host- prefix) even on plain HTTP requests: set it when a proxy in
	// front terminates TLS without sending X-Forwarded-Proto: https.
	// Requests that arrive over TLS, or say they were forwarded from HTTPS,
	// get it anyway.
	SecureCookies bool
}

// Handler serves the web tool under Prefix. It is safe for concurrent use.
type Handler struct {
	o        Options
	mux      *http.ServeMux
	root     http.Handler // mux behind the cross-origin check
	sessions *sessions
	pages    map[string]*template.Template
	log      *slog.Logger
}

// New returns the web tool over o.API. It panics when o.API or o.Access is
// nil or a template does not parse: both are programming errors found by
// the first test that builds one.
func New(o Options) *Handler {
	if o.API == nil || o.Access == nil {
		panic("webui.New: Options.API and Options.Access are required")
	}
	if o.Clock == nil {
		o.Clock = ports.ClockFunc(time.Now)
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 30 * time.Minute
	}
	if o.AbsoluteTimeout <= 0 {
		o.AbsoluteTimeout = 8 * time.Hour
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = 10000
	}
	h := &Handler{o: o, mux: http.NewServeMux(), sessions: newSessions(o.IdleTimeout, o.AbsoluteTimeout, o.MaxSessions),
		pages: map[string]*template.Template{}, log: o.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.parseTemplates()
	h.routes()
	// A change sent from another site's page (Sec-Fetch-Site or Origin
	// says so) is refused before it reaches a page, the sign-in form
	// included, which has no session and so no CSRF token yet.
	h.root = http.NewCrossOriginProtection().Handler(h.mux)
	return h
}

var funcs = template.FuncMap{
	// path escapes one path segment: an externalId or alias may hold "/"
	// or "?".
	"path": url.PathEscape,
}

func (h *Handler) parseTemplates() {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		h.pages[base] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n))
	}
}

func (h *Handler) routes() {
	static, _ := fs.Sub(staticFS, "static")
	h.mux.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", staticHandler(http.FileServerFS(static))))
	h.mux.HandleFunc("GET /ui/{$}", h.home)
	h.mux.HandleFunc("GET /ui/signin", h.signinForm)
	h.mux.HandleFunc("POST /ui/signin", h.signin)
	h.mux.HandleFunc("POST /ui/signout", h.with(0, h.signout))

	h.mux.HandleFunc("GET /ui/partner", h.with(partnerKind, h.partnerHome))
	h.mux.HandleFunc("POST /ui/partner/companies", h.with(partnerKind, h.createCompany))
	h.mux.HandleFunc("GET /ui/partner/companies/{alias}", h.with(partnerKind, h.companyPage))
	h.mux.HandleFunc("POST /ui/partner/companies/{alias}/seats", h.with(partnerKind, h.setSeats))
	h.mux.HandleFunc("POST /ui/partner/companies/{alias}/block", h.with(partnerKind, h.block))
	h.mux.HandleFunc("POST /ui/partner/tokens", h.with(partnerKind, h.issueToken))

	h.mux.HandleFunc("GET /ui/account", h.with(companyKind, h.accountHome))
	h.mux.HandleFunc("POST /ui/account/users", h.with(companyKind, h.addUser))
	h.mux.HandleFunc("GET /ui/account/users/{externalId}", h.with(companyKind, h.userPage))
	h.mux.HandleFunc("POST /ui/account/users/{externalId}", h.with(companyKind, h.updateUser))
	h.mux.HandleFunc("POST /ui/account/users/{externalId}/delete", h.with(companyKind, h.deleteUser))
	h.mux.HandleFunc("POST /ui/account/import", h.with(companyKind, h.importUsers))
	h.mux.HandleFunc("POST /ui/account/seats", h.with(companyKind, h.seats))
	h.mux.HandleFunc("GET /ui/history", h.with(0, h.history))
	h.mux.HandleFunc("POST /ui/history/login", h.with(companyKind, h.historyLogin))

	h.mux.HandleFunc("GET /ui/rules", h.with(partnerKind, h.playground))
	h.mux.HandleFunc("POST /ui/rules/check", h.with(partnerKind, h.playgroundCheck))
	h.mux.HandleFunc("POST /ui/rules/explain", h.with(partnerKind, h.playgroundExplain))
	h.mux.HandleFunc("POST /ui/rules/replay", h.with(partnerKind, h.playgroundReplay))
	h.mux.HandleFunc("POST /ui/rules/reset", h.with(partnerKind, h.playgroundReset))
}

// staticHandler lets browsers keep the embedded files a day, and lists no
// directory.
func staticHandler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=86400")
		next.ServeHTTP(w, r)
	})
}

// ServeHTTP answers a request under Prefix with the security headers every
// page carries: a content security policy that allows only this origin's
// own files (no inline script), no framing, no sniffing, no referrer.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	if _, pattern := h.mux.Handler(r); pattern == "" {
		h.notFound(w, r)
		return
	}
	h.root.ServeHTTP(w, r)
}

// with wraps a page that needs a session of kind k (0: any): without one
// it sends the browser to sign in; a POST must carry the session's CSRF
// token, or it is refused with 403 and changes nothing.
func (h *Handler) with(k kind, page func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := h.session(r)
		if s == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/ui/signin?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			h.clearCookie(w, r)
			h.render(w, r, http.StatusUnauthorized, "error", nil, view{Title: "Signed out", Data: errorPage{
				Message: "Your session has ended (or never began): sign in again. Nothing was changed."}})
			return
		}
		if r.Method != http.MethodGet && !csrfOK(r, s) {
			h.render(w, r, http.StatusForbidden, "error", s, view{Title: "Refused", Data: errorPage{
				Message: "This form's security token is missing or out of date (an old tab, or a page of another site). Nothing was changed: reload the page and try again."}})
			return
		}
		s.mu.Lock()
		sk := s.kind
		s.mu.Unlock()
		if k != 0 && sk != k {
			h.render(w, r, http.StatusForbidden, "error", s, view{Title: "Not for this sign-in", Data: errorPage{
				Message: "This page is for " + k.String() + " sign-ins; you signed in as " + sk.String() + "."}})
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		page(w, r, s)
	}
}

func (k kind) String() string {
	switch k {
	case partnerKind:
		return "a partner"
	case companyKind:
		return "a company"
	case userKind:
		return "an account user"
	}
	return "nobody"
}

// view is what every page template gets.
type view struct {
	Title string
	// Who is the signed-in session (nil on the sign-in page).
	Who   *who
	CSRF  string
	Flash *flash
	Data  any
}

// who says who is signed in, for the header and the navigation.
type who struct {
	Kind                     string // "partner", "company", "user"
	Name                     string
	Partner, Company, User   bool
	HistoryLogin, RuleAuthor bool
}

type errorPage struct{ Message string }

// render writes page with status; s (may be nil) fills the header, the CSRF
// token and the one-time flash.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, s *session, v view) {
	t := h.pages[page]
	if s != nil {
		v.CSRF = s.csrf
		if v.Flash == nil {
			v.Flash = s.takeFlash()
		}
		s.mu.Lock()
		wh := &who{Partner: s.kind == partnerKind, Company: s.kind == companyKind, User: s.kind == userKind,
			HistoryLogin: s.username != ""}
		switch s.kind {
		case partnerKind:
			wh.Kind, wh.Name = "partner", s.partner
		case companyKind:
			wh.Kind, wh.Name = "company", s.alias
		case userKind:
			wh.Kind, wh.Name = "user", s.username
		}
		s.mu.Unlock()
		v.Who = wh
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		h.log.Error("webui: rendering", "page", page, "err", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail shows an API's refusal (or an internal error) on an error page.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, s *session, a answer, err error) {
	if err != nil {
		h.log.Error("webui: calling the API", "path", r.URL.Path, "err", err)
		h.render(w, r, http.StatusInternalServerError, "error", s, view{Title: "Failed", Data: errorPage{Message: "The server failed; the log has the cause."}})
		return
	}
	status := a.Status
	if status < 400 {
		status = http.StatusBadGateway
	}
	h.render(w, r, status, "error", s, view{Title: "Refused", Data: errorPage{Message: a.message()}})
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusNotFound, "error", h.session(r), view{Title: "Not found", Data: errorPage{Message: "There is no page at " + r.URL.Path + "."}})
}

// redirect answers a change with 303 to the page that shows its result
// (post/redirect/get: reloading never repeats the change).
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}
