package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/entitle-rules/entitle/domain"
)

// Note is what the handlers of one request tell the access log and the
// metrics about it: which API and proc it called, the uniqueId it was
// answered with, who asked, and the codes of what was refused. The Server
// puts a Note in every request's context (NoteFrom) and behind its
// ResponseWriter (WriterNote), names the API and the route pattern itself,
// and reads the Note when the request is over. A Note belongs to one
// request and is not safe for concurrent use; a nil *Note ignores every
// call, so a handler served without the Server (a test) needs no check.
type Note struct {
	api       string
	proc      string
	uniqueID  int64
	principal string
	refusals  []string
	errorCode domain.Code
	replayed  bool
}

type noteKey struct{}

// NoteFrom returns the Note of the request whose context ctx is (or
// derives from), or nil.
func NoteFrom(ctx context.Context) *Note {
	n, _ := ctx.Value(noteKey{}).(*Note)
	return n
}

// WriterNote returns the Note of the request w answers, or nil: for code
// that holds the ResponseWriter but not the request.
func WriterNote(w http.ResponseWriter) *Note {
	for w != nil {
		if rec, ok := w.(*statusRecorder); ok {
			return rec.note
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
	return nil
}

// SetProc names the procedure the request called, when it is not the route
// pattern (the store API's ProcName). Give only names from a closed set:
// metrics are labelled with it.
func (n *Note) SetProc(proc string) {
	if n != nil && proc != "" {
		n.proc = proc
	}
}

// SetUniqueID records the uniqueId the request is answered with.
func (n *Note) SetUniqueID(id int64) {
	if n != nil {
		n.uniqueID = id
	}
}

// Refused records why the request was refused: the code of each violation
// of err (a rule's code such as START_DATE_TOO_LATE, or a validation's
// such as REQUIRED), else err's own code (not_found, forbidden, ...). A nil
// err records nothing.
func (n *Note) Refused(err error) {
	if n == nil || err == nil {
		return
	}
	var de *domain.Error
	if !errors.As(err, &de) {
		n.errorCode = domain.CodeInternal
		return
	}
	n.errorCode = de.Code
	for _, v := range de.Violations {
		if v.Code != "" {
			n.refusals = append(n.refusals, v.Code)
		}
	}
}

// principalText is how the access log names a principal: its partner, and
// its account and user when it has them.
func principalText(p domain.Principal) string {
	s := p.Partner
	if p.Account != "" {
		s += "/" + p.Account
	}
	if p.User != "" {
		s += "/" + p.User
	}
	return s
}

func (n *Note) setPrincipal(s string) {
	if n != nil {
		n.principal = s
	}
}

// apiNames maps path prefixes to API names (NameAPI).
type apiNames struct {
	// prefixes is replaced whole by NameAPI and read without a lock.
	prefixes atomic.Pointer[[]apiPrefix]
}

type apiPrefix struct{ prefix, api string }

// NameAPI names the API that answers at the paths under each prefix, for
// the access log and the metrics: a request whose route pattern's path
// starts with a prefix is that API's (the longest prefix wins); the
// Server's own routes (/healthz, /readyz, /metrics, /oauth/token) are
// "entitle". Each API package calls it once in its Register.
func (s *Server) NameAPI(api string, prefixes ...string) {
	for {
		old := s.apis.prefixes.Load()
		var next []apiPrefix
		if old != nil {
			next = append(next, *old...)
		}
		for _, p := range prefixes {
			next = append(next, apiPrefix{prefix: p, api: api})
		}
		if s.apis.prefixes.CompareAndSwap(old, &next) {
			return
		}
	}
}

// apiOf returns the API that registered pattern ("" when no route matched).
func (s *Server) apiOf(pattern string) string {
	if pattern == "" {
		return ""
	}
	path := pattern
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		path = pattern[i+1:]
	}
	best, api := -1, "entitle"
	if ps := s.apis.prefixes.Load(); ps != nil {
		for _, p := range *ps {
			if len(p.prefix) > best && strings.HasPrefix(path, p.prefix) {
				best, api = len(p.prefix), p.api
			}
		}
	}
	return api
}

// unmatched is the proc of a request no route matched: one label for every
// such path, however many a scanner tries.
const unmatched = "unmatched"

// logRequest writes the access log line of a request that is over.
func (s *Server) logRequest(r *http.Request, rec *statusRecorder, n *Note, elapsed time.Duration) {
	if !s.log.Enabled(r.Context(), slog.LevelInfo) {
		return
	}
	attrs := make([]slog.Attr, 0, 12)
	attrs = append(attrs,
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", rec.status),
		slog.Int("bytes", rec.bytes), slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
		slog.String("api", n.api), slog.String("proc", n.proc))
	if n.principal != "" {
		attrs = append(attrs, slog.String("principal", n.principal))
	}
	if n.uniqueID != 0 {
		attrs = append(attrs, slog.Int64("uniqueId", n.uniqueID))
	}
	if n.errorCode != "" {
		attrs = append(attrs, slog.String("error", string(n.errorCode)))
	}
	if len(n.refusals) > 0 {
		attrs = append(attrs, slog.Any("refusals", n.refusals))
	}
	if n.replayed {
		attrs = append(attrs, slog.Bool("replayed", true))
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
}
