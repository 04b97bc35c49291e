package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
)

// opsConfig is what `entitle serve` is told about its logs and metrics.
type opsConfig struct {
	logLevel slog.Level
	// metricsAddr, when set, is the address of a listener of its own for
	// GET /metrics, which the main listener then does not answer.
	metricsAddr string
}

// opsFlags declares serve's flags for logs and metrics, read into the
// result when fl is parsed.
func opsFlags(fl *flag.FlagSet) *opsConfig {
	o := &opsConfig{}
	fl.TextVar(&o.logLevel, "log-level", slog.LevelInfo, "the lowest level logged: debug, info (one line per request), warn or error")
	fl.StringVar(&o.metricsAddr, "metrics-addr", "", "serve GET /metrics on a listener of its own at this address (such as 127.0.0.1:9090),\nand not on --addr (default: on --addr)")
	return o
}

// measured returns store measured by m (its transactions timed), makes
// every decision of the rule sets live holds, now and after a reload,
// observed by m, and registers the ruleset and outbox series.
func measured(m *httpapi.Metrics, store ports.Store, live *rules.Live, log *slog.Logger) ports.Store {
	live.Observe(func(context string, elapsed time.Duration, allowed bool) {
		if context == "" {
			context = "orders" // the store API's scopes came first and declare no context
		}
		m.ObserveDecision(context, elapsed, allowed)
	})
	m.Ruleset(func() string { return live.Set().Hash() })
	if d, ok := store.(interface {
		OutboxDepth(context.Context) (int, error)
	}); ok {
		m.OutboxDepth(d.OutboxDepth, func(err error) { log.Warn("counting the activation outbox for /metrics", "err", err) })
	}
	return m.Store(store)
}

// countFailures counts each delivery a refuses in m.
func countFailures(m *httpapi.Metrics, a ports.Activator) ports.Activator {
	return ports.ActivatorFunc(func(ctx context.Context, act domain.Activation) error {
		err := a.Deliver(ctx, act)
		if err != nil {
			m.DeliveryFailure("activator")
		}
		return err
	})
}

// serveMetrics serves api's metrics at GET /metrics: on api itself, or on a
// listener of its own at o.metricsAddr. stop ends that listener.
func serveMetrics(ctx context.Context, api *httpapi.Server, o opsConfig, log *slog.Logger) (stop func(), err error) {
	if o.metricsAddr == "" {
		api.Handle("GET /metrics", api.Metrics().Handler())
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", o.metricsAddr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", api.Metrics().Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("serving metrics", "err", err)
		}
	}()
	log.Info("metrics served", "addr", "http://"+ln.Addr().String()+"/metrics")
	return func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}, nil
}
