package webui

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"
)

// cookieName names the session cookie. The __Host- prefix (which needs
// Secure) is used when the page is served over TLS.
const cookieName = "entitle_ui"

// kind is who signed in.
type kind uint8

const (
	// partnerKind: an Account Manager partner, with its apiKey alone.
	partnerKind kind = iota + 1
	// companyKind: a company, with its partner's apiKey and its alias.
	companyKind
	// userKind: an account user with its username and password (seed 004's
	// HTTP Basic login), who reads the assignment history.
	userKind
)

// session is one signed-in person's state, kept only in this process. Its
// credentials never leave the server: the browser holds the random id.
type session struct {
	id      string
	csrf    string
	created time.Time

	mu       sync.Mutex
	lastSeen time.Time
	kind     kind
	partner  string // the client id behind the apiKey
	apiKey   string
	alias    string // companyKind
	// API tokens, fetched again when they expire or are refused.
	partnerToken, accountToken string
	// username and password: userKind's login, or a company session's
	// administrator login given for the history page.
	username, password string
	// accessToken is the X-AccessToken the tool issued itself for this
	// session's account operations (seed 003); it expires with the session.
	accessToken string
	// flash is shown once on the next page (a result, an issued token).
	flash *flash
	// draft is the playground's edited copy of the rule files.
	draft []ruleFile
}

// flash is a one-time message.
type flash struct {
	Kind    string // "ok" or "error"
	Message string
	// Secret is shown once, in a box to copy (an issued X-AccessToken).
	Secret string
	// Rows are per-item results (CSV import, bulk seats).
	Rows []resultRow
}

// resultRow is one item's result in a table.
type resultRow struct {
	Item, Status, Reason string
	OK                   bool
}

// takeFlash returns the flash and clears it.
func (s *session) takeFlash() *flash {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.flash
	s.flash = nil
	return f
}

func (s *session) setFlash(f *flash) {
	s.mu.Lock()
	s.flash = f
	s.mu.Unlock()
}

// sessions is the in-memory session store: a session ends IdleTimeout after
// its last request or AbsoluteTimeout after sign-in, whichever is first. It
// is safe for concurrent use.
type sessions struct {
	idle, absolute time.Duration
	max            int

	mu   sync.Mutex
	byID map[string]*session
}

func newSessions(idle, absolute time.Duration, max int) *sessions {
	return &sessions{idle: idle, absolute: absolute, max: max, byID: map[string]*session{}}
}

// randomToken returns 256 random bits, URL-safe base64.
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// create starts a session at now. Past max sessions it drops the expired
// ones first, then the least recently used one, so memory stays bounded
// whatever clients do.
func (ss *sessions) create(now time.Time) *session {
	s := &session{id: randomToken(), csrf: randomToken(), created: now, lastSeen: now}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.byID) >= ss.max {
		ss.sweepLocked(now)
	}
	if len(ss.byID) >= ss.max {
		var oldest *session
		var oldestSeen time.Time
		for _, o := range ss.byID {
			o.mu.Lock()
			if oldest == nil || o.lastSeen.Before(oldestSeen) {
				oldest, oldestSeen = o, o.lastSeen
			}
			o.mu.Unlock()
		}
		delete(ss.byID, oldest.id)
	}
	ss.byID[s.id] = s
	return s
}

// get returns the live session with id and marks it used at now; an
// expired one is deleted and not returned.
func (ss *sessions) get(id string, now time.Time) *session {
	ss.mu.Lock()
	s := ss.byID[id]
	ss.mu.Unlock()
	if s == nil {
		return nil
	}
	s.mu.Lock()
	expired := now.Sub(s.lastSeen) >= ss.idle || now.Sub(s.created) >= ss.absolute
	if !expired {
		s.lastSeen = now
	}
	s.mu.Unlock()
	if expired {
		ss.delete(id)
		return nil
	}
	return s
}

func (ss *sessions) delete(id string) {
	ss.mu.Lock()
	delete(ss.byID, id)
	ss.mu.Unlock()
}

// sweepLocked drops expired sessions; ss.mu is held.
func (ss *sessions) sweepLocked(now time.Time) {
	for id, s := range ss.byID {
		s.mu.Lock()
		expired := now.Sub(s.lastSeen) >= ss.idle || now.Sub(s.created) >= ss.absolute
		s.mu.Unlock()
		if expired {
			delete(ss.byID, id)
		}
	}
}

// len returns how many sessions are held.
func (ss *sessions) len() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return len(ss.byID)
}

// secure reports whether the cookie must be Secure: the request came over
// TLS, the operator says a proxy in front terminates it, or the request
// says it was forwarded from HTTPS (X-Forwarded-Proto). Trusting that
// header can only make the cookie stricter: a client that lies about it
// gets a cookie its own browser will not send back over plain HTTP.
func (h *Handler) secure(r *http.Request) bool {
	return r.TLS != nil || h.o.SecureCookies || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (h *Handler) cookieNameFor(r *http.Request) string {
	if h.secure(r) {
		return "__Host-" + cookieName
	}
	return cookieName
}

// setCookie sends the session id: HttpOnly (no script reads it),
// SameSite=Strict (no other site's page sends it), Secure over TLS, for
// /ui/ only, living as long as the session may.
func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, s *session) {
	path := "/ui/"
	if h.secure(r) {
		path = "/" // __Host- cookies must have Path=/
	}
	http.SetCookie(w, &http.Cookie{Name: h.cookieNameFor(r), Value: s.id, Path: path, HttpOnly: true,
		Secure: h.secure(r), SameSite: http.SameSiteStrictMode, MaxAge: int(h.sessions.absolute / time.Second)})
}

func (h *Handler) clearCookie(w http.ResponseWriter, r *http.Request) {
	path := "/ui/"
	if h.secure(r) {
		path = "/"
	}
	http.SetCookie(w, &http.Cookie{Name: h.cookieNameFor(r), Value: "", Path: path, HttpOnly: true,
		Secure: h.secure(r), SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

// session returns the request's live session, or nil.
func (h *Handler) session(r *http.Request) *session {
	c, err := r.Cookie(h.cookieNameFor(r))
	if err != nil || c.Value == "" {
		return nil
	}
	return h.sessions.get(c.Value, h.o.Clock.Now())
}

// csrfOK reports whether a change request carries the session's CSRF
// token in its form (compared in constant time). The token is per session,
// in a hidden field of every form; SameSite=Strict already keeps other
// sites' requests from carrying the cookie, and this holds even where a
// browser does not honour SameSite.
func csrfOK(r *http.Request, s *session) bool {
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) == 1
}
