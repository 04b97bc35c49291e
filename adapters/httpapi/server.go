package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/access"
)

// MaxBody is the largest request body accepted; larger ones get 413.
const MaxBody = 1 << 20

// Options configures a Server.
type Options struct {
	Store ports.Store
	Clock ports.Clock
	// Access issues and verifies credentials; required.
	Access *access.Service
	Logger *slog.Logger // nil discards logs
	// Random is the source of request ids; nil means crypto/rand.
	Random io.Reader
	// Limits bound concurrency and request rates; the zero value is the
	// defaults.
	Limits Limits
	// Metrics, when set, count every request (the program serves them,
	// Metrics.Handler). Nil counts nothing.
	Metrics *Metrics
	// ReadyTimeout bounds GET /readyz's wait for the store; 0 means
	// ReadyTimeout.
	ReadyTimeout time.Duration
}

// Server routes requests to the registered APIs. It is an http.Handler and
// safe for concurrent use.
type Server struct {
	mux    *http.ServeMux
	log    *slog.Logger
	store  ports.Store
	clock  ports.Clock
	access *access.Service
	random io.Reader

	busy      chan struct{} // one token per request being served
	perClient *keyed        // requests per principal
	tokenAddr *keyed        // token requests per address
	tokenFail *failures     // wrong secrets in a row per client id

	routes       []string // the patterns Handle registered, in order (routes.go)
	metrics      *Metrics
	apis         apiNames // NameAPI
	readyTimeout time.Duration
}

// New returns a Server with /healthz, /readyz and /oauth/token registered.
func New(o Options) *Server {
	lim := o.Limits.withDefaults()
	s := &Server{mux: http.NewServeMux(), log: o.Logger, store: o.Store, clock: o.Clock, access: o.Access, random: o.Random,
		busy:      make(chan struct{}, lim.MaxConcurrent),
		perClient: newKeyed(lim.PerClient, lim.PerClientBurst),
		tokenAddr: newKeyed(lim.TokenPerAddress, lim.TokenPerAddressBurst),
		tokenFail: newFailures(lim.TokenFailures, lim.TokenMaxBackoff),
		metrics:   o.Metrics, readyTimeout: o.ReadyTimeout}
	if s.readyTimeout <= 0 {
		s.readyTimeout = ReadyTimeout
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.random == nil {
		s.random = rand.Reader
	}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	s.mux.HandleFunc("GET /readyz", s.ready)
	s.mux.HandleFunc("POST /oauth/token", s.token)
	return s
}

// Handle registers h for a method pattern such as "GET /path".
func (s *Server) Handle(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
	s.routes = append(s.routes, pattern)
}

// Logger returns the server's logger, for APIs to log internal errors with.
func (s *Server) Logger() *slog.Logger { return s.log }

// Store returns the server's store.
func (s *Server) Store() ports.Store { return s.store }

// Now returns the clock's time.
func (s *Server) Now() time.Time { return s.clock.Now() }

// UniqueID returns a fresh positive request id that fits a JSON number
// exactly (53 bits): the uniqueId every response carries.
func (s *Server) UniqueID() int64 {
	var b [8]byte
	if _, err := io.ReadFull(s.random, b[:]); err != nil {
		return s.clock.Now().UnixNano()&(1<<53-1) | 1<<40
	}
	return int64(binary.BigEndian.Uint64(b[:])&(1<<53-1)) | 1<<40
}

// ServeHTTP limits the body, logs the request, and turns a panic into a 500
// so one bad request never takes the server down.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case s.busy <- struct{}{}:
		defer func() { <-s.busy }()
	default:
		// Past MaxConcurrent nothing is read or queued: the caller retries.
		retryAfter(w, time.Second)
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"statusCode": http.StatusServiceUnavailable, "status": "ERROR",
			"uniqueId": s.UniqueID(), "errorMessage": "the server is busy; retry after a second"})
		return
	}
	start := time.Now()
	note := &Note{}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK, note: note}
	r = r.WithContext(context.WithValue(r.Context(), noteKey{}, note))
	r.Body = http.MaxBytesReader(rec, r.Body, MaxBody)
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", p)
			if !rec.wrote {
				rec.Header().Set("Content-Type", "application/json")
				rec.WriteHeader(http.StatusInternalServerError)
				_, _ = io.WriteString(rec, `{"statusCode":500,"status":"ERROR","uniqueId":`+strconv.FormatInt(s.UniqueID(), 10)+`,"errorMessage":"internal error"}`)
			}
		}
		elapsed := time.Since(start)
		s.logRequest(r, rec, note, elapsed)
		if s.metrics != nil {
			s.metrics.request(note, rec.status, elapsed)
		}
	}()
	_, pattern := s.mux.Handler(r)
	note.api, note.proc = s.apiOf(pattern), pattern
	if pattern == "" {
		note.proc = unmatched
		s.noRoute(rec, r)
		return
	}
	s.mux.ServeHTTP(rec, r)
}

// noRoute answers a request no API registered, in JSON like every other
// answer: 405 with Allow when the path takes other methods, else 404.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" {
			allow = append(allow, m)
		}
	}
	status, msg := http.StatusNotFound, "no API answers at "+r.URL.Path
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		status, msg = http.StatusMethodNotAllowed, r.Method+" is not allowed at "+r.URL.Path+"; use "+strings.Join(allow, " or ")
	}
	writeJSON(w, status, map[string]any{"statusCode": status, "status": "ERROR", "uniqueId": s.UniqueID(), "errorMessage": msg})
}

func noteClient(ctx context.Context, clientID string) { NoteFrom(ctx).setPrincipal(clientID) }

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
	wrote  bool
	note   *Note
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.WriteHeader(http.StatusOK)
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}
