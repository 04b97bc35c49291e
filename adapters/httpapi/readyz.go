package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// ReadyTimeout is how long GET /readyz waits for the store when
// Options.ReadyTimeout is zero.
const ReadyTimeout = 2 * time.Second

var errNoOutboxDepth = errors.New("the store does not count its outbox")

// pinger is a store that answers a trivial query on its own tables
// (sqlite.Store and postgres.Store do).
type pinger interface {
	Ping(ctx context.Context) error
}

// ping asks s for a trivial query: its Ping, else an empty View.
func ping(ctx context.Context, s ports.Store) error {
	if p, ok := s.(pinger); ok {
		return p.Ping(ctx)
	}
	return s.View(ctx, func(ports.Tx) error { return nil })
}

// ready is GET /readyz: 200 "ready" when the store answers a trivial query
// within the ready timeout, else 503 naming what failed. /healthz, by
// contrast, says only that the process serves HTTP: a load balancer takes
// an instance out on /readyz, a supervisor restarts it on /healthz.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.readyTimeout)
	defer cancel()
	done := make(chan error, 1)
	// The wait is bounded even for a store that ignores ctx.
	go func() { done <- ping(ctx, s.store) }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		err = domain.Errorf(domain.CodeUnavailable, "", "the store did not answer within %s", s.readyTimeout)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err != nil {
		s.log.Warn("not ready", "err", err)
		msg := err.Error()
		var de *domain.Error
		if errors.As(err, &de) && de.Message != "" {
			// The cause (addresses, driver details) goes to the log only.
			msg = de.Message
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("not ready: store: " + msg + "\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}
