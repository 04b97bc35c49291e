package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/entitle-rules/entitle/ports"
)

// Metrics are entitle's Prometheus metrics, on a registry of their own (never
// the process-wide default one, so two Servers in one process, or an
// embedder's own metrics, never collide). Give them to a Server
// (Options.Metrics) and it counts every request; the program feeds the
// rest through the methods below. Safe for concurrent use.
//
// The series, all prefixed entitle_:
//
//	http_requests_total{api,proc,status}          requests answered
//	http_request_duration_seconds{api,proc}       histogram, until the answer is written
//	refusals_total{api,code}                      violation codes of refused requests
//	idempotent_replays_total{api}                 answers replayed for an Idempotency-Key
//	decision_duration_seconds{context,outcome}    histogram, evaluating the rules (allowed|refused)
//	store_transaction_duration_seconds{kind}      histogram, View and Update (view|update)
//	store_retries_total{store}                    transactions run again after a conflict
//	activation_outbox_depth                       activations waiting for delivery (PENDING)
//	activation_delivery_failures_total{stage}     failed deliveries (activator) and failed claims or records (store)
//	ruleset_info{hash}                            1, labelled with the hash of the ruleset in force
//
// plus the Go runtime's go_* and the process's process_* series.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	refusals *prometheus.CounterVec
	replays  *prometheus.CounterVec
	decision *prometheus.HistogramVec
	storeTx  *prometheus.HistogramVec
	retries  *prometheus.CounterVec
	failures *prometheus.CounterVec

	// routes caches the children of one api and proc (the label lookups
	// hash their values; a request pays for a map read instead).
	routes sync.Map // routeKey -> *routeMetrics
}

type routeKey struct{ api, proc string }

type routeMetrics struct {
	latency prometheus.Observer
	// byStatus holds the counters of the statuses seen so far.
	byStatus sync.Map // int -> prometheus.Counter
}

// NewMetrics returns the metrics on a new registry, with the Go runtime and
// process collectors registered.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	// Latency buckets from 1 ms to 10 s: a decision takes microseconds, a
	// committed order milliseconds, a request that waits on a lock longer.
	httpBuckets := []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "entitle_http_requests_total",
		Help: "HTTP requests answered, by API, proc (the store API's ProcName, else the route pattern) and status code."},
		[]string{"api", "proc", "status"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "entitle_http_request_duration_seconds",
		Help: "Time from reading a request's headers to the end of its answer, by API and proc.", Buckets: httpBuckets},
		[]string{"api", "proc"})
	m.refusals = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "entitle_refusals_total",
		Help: "Violations in refused requests, by API and code (a rule's code such as START_DATE_TOO_LATE, or a validation's)."},
		[]string{"api", "code"})
	m.replays = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "entitle_idempotent_replays_total",
		Help: "Answers given again for a repeated Idempotency-Key instead of running the write again, by API."},
		[]string{"api"})
	m.decision = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "entitle_decision_duration_seconds",
		Help:    "Time spent evaluating the rules of one decision, by context (orders, seats, accounts) and outcome (allowed, refused).",
		Buckets: []float64{.00001, .000025, .00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .1}},
		[]string{"context", "outcome"})
	m.storeTx = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "entitle_store_transaction_duration_seconds",
		Help: "Time of a store transaction, from asking for it to its commit or rollback, by kind (view, update).", Buckets: httpBuckets},
		[]string{"kind"})
	m.retries = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "entitle_store_retries_total",
		Help: "Store transactions run again after a serialization failure or deadlock, by store."},
		[]string{"store"})
	m.failures = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "entitle_activation_delivery_failures_total",
		Help: "Failed activation deliveries: the Activator refused one (activator), or claiming or recording them in the store failed (store)."},
		[]string{"stage"})
	m.reg.MustRegister(m.requests, m.latency, m.refusals, m.replays, m.decision, m.storeTx, m.retries, m.failures,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Both stages exist from the start, so a rate() over them is 0, not
	// absent, before the first failure.
	m.failures.WithLabelValues("activator")
	m.failures.WithLabelValues("store")
	return m
}

// Registry returns the registry the metrics are on, for an embedder to add
// its own collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in Prometheus' text format (GET /metrics).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, Timeout: 10 * time.Second})
}

// request counts one answered request.
func (m *Metrics) request(n *Note, status int, elapsed time.Duration) {
	k := routeKey{n.api, n.proc}
	v, ok := m.routes.Load(k)
	if !ok {
		v, _ = m.routes.LoadOrStore(k, &routeMetrics{latency: m.latency.WithLabelValues(n.api, n.proc)})
	}
	rm := v.(*routeMetrics)
	c, ok := rm.byStatus.Load(status)
	if !ok {
		c, _ = rm.byStatus.LoadOrStore(status, m.requests.WithLabelValues(n.api, n.proc, strconv.Itoa(status)))
	}
	c.(prometheus.Counter).Inc()
	rm.latency.Observe(elapsed.Seconds())
	for _, code := range n.refusals {
		m.refusals.WithLabelValues(n.api, code).Inc()
	}
	if n.replayed {
		m.replays.WithLabelValues(n.api).Inc()
	}
}

// ObserveDecision records one decision's evaluation time; its signature is
// rules.DecisionObserver's.
func (m *Metrics) ObserveDecision(context string, elapsed time.Duration, allowed bool) {
	outcome := "refused"
	if allowed {
		outcome = "allowed"
	}
	m.decision.WithLabelValues(context, outcome).Observe(elapsed.Seconds())
}

// StoreRetry counts a transaction of store run again (postgres.Options.OnRetry).
func (m *Metrics) StoreRetry(store string) { m.retries.WithLabelValues(store).Inc() }

// DeliveryFailure counts a failed delivery at stage: "activator" when the
// Activator refused an activation, "store" when claiming or recording
// deliveries failed (orders.Options.OnDeliveryError).
func (m *Metrics) DeliveryFailure(stage string) { m.failures.WithLabelValues(stage).Inc() }

// Ruleset registers entitle_ruleset_info, labelled with the hash hash
// returns when scraped: the ruleset in force, also after a reload.
func (m *Metrics) Ruleset(hash func() string) {
	m.reg.MustRegister(&funcCollector{
		desc: prometheus.NewDesc("entitle_ruleset_info", "The ruleset in force, by the hash of its files (always 1).", []string{"hash"}, nil),
		collect: func(ch chan<- prometheus.Metric, desc *prometheus.Desc) {
			ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, 1, hash())
		}})
}

// OutboxDepth registers entitle_activation_outbox_depth, read with depth at
// each scrape (within 2 seconds). With instances sharing one database each
// reports the same, shared outbox. A scrape while depth fails leaves the
// series out, and onError is told why.
func (m *Metrics) OutboxDepth(depth func(ctx context.Context) (int, error), onError func(error)) {
	m.reg.MustRegister(&funcCollector{
		desc: prometheus.NewDesc("entitle_activation_outbox_depth", "Activations waiting in the outbox for delivery (PENDING).", nil, nil),
		collect: func(ch chan<- prometheus.Metric, desc *prometheus.Desc) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := depth(ctx)
			if err != nil {
				if onError != nil {
					onError(err)
				}
				return
			}
			ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(n))
		}})
}

// funcCollector collects one series computed at scrape time.
type funcCollector struct {
	desc    *prometheus.Desc
	collect func(ch chan<- prometheus.Metric, desc *prometheus.Desc)
}

func (c *funcCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }
func (c *funcCollector) Collect(ch chan<- prometheus.Metric) { c.collect(ch, c.desc) }

// Store returns s measured: each View and Update observed in
// entitle_store_transaction_duration_seconds. What s does beyond
// ports.Store (Ping, OutboxDepth) is reached through the result too.
func (m *Metrics) Store(s ports.Store) ports.Store {
	return &measuredStore{Store: s, view: m.storeTx.WithLabelValues("view"), update: m.storeTx.WithLabelValues("update")}
}

type measuredStore struct {
	ports.Store
	view, update prometheus.Observer
}

func (s *measuredStore) View(ctx context.Context, fn func(ports.Tx) error) error {
	start := time.Now()
	err := s.Store.View(ctx, fn)
	s.view.Observe(time.Since(start).Seconds())
	return err
}

func (s *measuredStore) Update(ctx context.Context, fn func(ports.Tx) error) error {
	start := time.Now()
	err := s.Store.Update(ctx, fn)
	s.update.Observe(time.Since(start).Seconds())
	return err
}

// Ping is the measured store's Ping (readiness), or a View when it has none.
func (s *measuredStore) Ping(ctx context.Context) error { return ping(ctx, s.Store) }

// OutboxDepth is the measured store's, when it has one.
func (s *measuredStore) OutboxDepth(ctx context.Context) (int, error) {
	if d, ok := s.Store.(interface {
		OutboxDepth(context.Context) (int, error)
	}); ok {
		return d.OutboxDepth(ctx)
	}
	return 0, errNoOutboxDepth
}

// Metrics returns the metrics the Server counts requests in (Options.Metrics),
// or nil.
func (s *Server) Metrics() *Metrics { return s.metrics }
