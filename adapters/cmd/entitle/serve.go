package main

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/httpapi/accountmanager"
	"github.com/entitle-rules/entitle/adapters/httpapi/accountops"
	"github.com/entitle-rules/entitle/adapters/httpapi/assignments"
	"github.com/entitle-rules/entitle/adapters/httpapi/managedbilling"
	"github.com/entitle-rules/entitle/adapters/httpapi/openapidocs"
	"github.com/entitle-rules/entitle/adapters/httpapi/rulesapi"
	"github.com/entitle-rules/entitle/adapters/httpapi/tapstore"
	"github.com/entitle-rules/entitle/adapters/webui"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/access"
	"github.com/entitle-rules/entitle/rules/accounts"
	"github.com/entitle-rules/entitle/rules/orders"
	"github.com/entitle-rules/entitle/rules/seats"
)

//go:embed example.yaml
var exampleData []byte

// serve runs the store API until SIGINT or SIGTERM, then drains requests.
func serve(args []string, stdout, stderr io.Writer) int {
	cfg, code := parseServe(args, stderr)
	if code != 0 {
		return code
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.ops.logLevel}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runServer(ctx, cfg, stdout, log); err != nil {
		log.Error("entitle serve stopped", "err", err)
		return 1
	}
	return 0
}

// parseServe reads serve's flags; a non-zero code is the exit code of bad
// usage.
func parseServe(args []string, stderr io.Writer) (serverConfig, int) {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	fl.SetOutput(stderr)
	addr := fl.String("addr", "127.0.0.1:8080", "the address to listen on")
	so := storeFlags(fl)
	rulesDir := fl.String("rulesets", "", "a directory of rule files (default: the shipped rulesets)")
	data := fl.String("data", "", "a data file to load at start (YAML or JSON)")
	tokenTTL := fl.Duration("token-ttl", time.Hour, "how long a bearer token lives")
	authors := fl.String("rule-authors", "", "comma-separated partners (store API client ids, Account Manager partner ids) who may use the\nrule authors' API (/rulesets, /decisions) and the web tool's playground (default: none; with the\nexample data set, its client tap-client and partner fleet-partner)")
	retention := fl.Duration("decision-retention", 90*24*time.Hour, "how long the decision log keeps a decision; older ones are purged hourly")
	example := fl.Bool("example", false, "load the example data set (with its public client secret) into the store, whatever it is;\nwithout it the example is loaded only into a new default SQLite file")
	ops := opsFlags(fl)
	if err := parseFlags(fl, args); err != nil {
		return serverConfig{}, 2
	}
	if fl.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: entitle serve [flags]; see entitle serve -h")
		return serverConfig{}, 2
	}
	if *retention <= 0 {
		fmt.Fprintln(stderr, "entitle serve: --decision-retention must be positive")
		return serverConfig{}, 2
	}
	named := false
	fl.Visit(func(f *flag.Flag) { named = named || f.Name == "db" })
	// The example's secret is public: it goes only where nobody can mistake
	// it for theirs, a default SQLite file this run creates, or where the
	// operator asks for it.
	_, statErr := os.Stat(*so.db)
	fresh := !named && *so.postgres == "" && errors.Is(statErr, fs.ErrNotExist)
	cfg := serverConfig{addr: *addr, store: so, rulesDir: *rulesDir, data: *data, tokenTTL: *tokenTTL, example: *example || fresh,
		ruleAuthors: rulesapi.Authors{}, ops: *ops, decisionRetention: *retention}
	for _, a := range strings.Split(*authors, ",") {
		if a = strings.TrimSpace(a); a != "" {
			cfg.ruleAuthors[a] = true
		}
	}
	if cfg.example && *authors == "" {
		cfg.ruleAuthors["tap-client"], cfg.ruleAuthors["fleet-partner"] = true, true
	}
	return cfg, 0
}

type serverConfig struct {
	addr     string
	store    storeOptions
	rulesDir string
	data     string
	tokenTTL time.Duration
	example  bool // load the example data set
	// ruleAuthors may use the rule authors' API and the playground.
	ruleAuthors rulesapi.Authors
	ops         opsConfig // logs, metrics, readiness (ops.go)
	// decisionRetention is how long the decision log keeps a decision.
	decisionRetention time.Duration
}

func runServer(ctx context.Context, cfg serverConfig, stdout io.Writer, log *slog.Logger) error {
	rs, err := loadRules(cfg.rulesDir, log)
	if err != nil {
		return fmt.Errorf("loading rules: %w", err)
	}
	// The port first: a busy port stops here, before any store is opened
	// or written.
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	var metrics atomic.Pointer[httpapi.Metrics] // set once the API is built
	storeName := "sqlite"
	if *cfg.store.postgres != "" {
		storeName = "postgres"
	}
	cfg.store.onRetry = func(int, error) {
		if m := metrics.Load(); m != nil {
			m.StoreRetry(storeName)
		}
	}
	store, err := cfg.store.open(ctx)
	if err != nil {
		return fmt.Errorf("opening the store: %w", err)
	}
	defer store.Close()

	if cfg.data != "" {
		n, err := loadFile(ctx, store, cfg.data)
		if err != nil {
			return fmt.Errorf("loading %s: %w", cfg.data, err)
		}
		log.Info("loaded data file", "file", cfg.data, "what", n)
	}
	if cfg.example {
		if _, err := loadData(ctx, store, exampleData); err != nil {
			return fmt.Errorf("loading the example data set: %w", err)
		}
		fmt.Fprintf(stdout, "entitle: the example data set is loaded (its secrets are public: not for real use).\n"+
			"Store API, get a token:\n  curl -s -d grant_type=client_credentials -d client_id=tap-client -d client_secret=example-secret-change-me http://%[1]s/oauth/token\n"+
			"Account Manager, get a token for the company acme-fleet:\n  curl -s -H 'Content-Type: application/json' -d '{\"apiKey\":\"example-api-key-change-me\",\"alias\":\"acme-fleet\"}' http://%[1]s/api/v1/authenticate\n"+
			"License Assignments v2:\n  curl -s -u admin@acme.example:example-password-change-me http://%[1]s/api/v2/licenseAssignments\n"+
			"Managed billing, get a bearer (then log in as primary@example.com):\n  curl -s -u billing-client:example-billing-secret-change-me -d grant_type=client_credentials http://%[1]s/api/ts/v1/oauth2/token\n"+
			"Account operations:\n  curl -s -H 'X-AccessToken: example-access-token-change-me' http://%[1]s/partner/accounts/11111\n"+
			"The web tool: open http://%[1]s/ui/ and sign in as a partner with the apiKey above (or a company: apiKey and acme-fleet)\n", ln.Addr())
	} else if empty, err := isEmpty(ctx, store); err != nil {
		return err
	} else if empty {
		fmt.Fprintf(stdout, "entitle: the store holds no data yet; load a data file with --data or entitle load (or --example for the example data set)\n")
	}

	clock := ports.ClockFunc(time.Now)
	api, svc, acc, err := newAPI(store, rs.live, clock, cfg.tokenTTL, httpapi.Limits{}, log)
	if err != nil {
		return err
	}
	registerRulesAPI(api, rs, svc, cfg.ruleAuthors)
	rs.watch(ctx, time.Second) // reload on SIGHUP and when the directory changes
	metrics.Store(api.Metrics())
	stopMetrics, err := serveMetrics(ctx, api, cfg.ops, log)
	if err != nil {
		return err
	}
	defer stopMetrics()
	// Orders in progress were left by earlier versions, which committed an
	// order in two steps, when they crashed between them: Resume finishes
	// them and queues their activations. One process owns an SQLite file,
	// so everything in progress there is left over; instances sharing
	// PostgreSQL leave alone what an older instance may be finishing right
	// now, and the sweep in maintain gets the rest.
	resumeAge := time.Duration(0)
	if *cfg.store.postgres != "" {
		resumeAge = 5 * time.Minute
	}
	if n, err := svc.ResumeOlderThan(ctx, resumeAge); err != nil {
		return fmt.Errorf("finishing orders left in progress: %w", err)
	} else if n > 0 {
		log.Info("finished orders left in progress", "orders", n)
	}

	srv := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	go maintain(ctx, api, svc, acc, cfg.decisionRetention, log)
	// The deliverer hands the activation outbox to the Activator: at once
	// after each order or resend commits, and every 10 seconds for retries
	// and for what other instances wrote. It stops when the server does.
	deliverCtx, stopDeliveries := context.WithCancel(context.WithoutCancel(ctx))
	delivered := make(chan struct{})
	go func() {
		defer close(delivered)
		svc.RunDeliveries(deliverCtx, 10*time.Second)
	}()
	defer func() {
		stopDeliveries()
		<-delivered
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("entitle serving", "addr", "http://"+ln.Addr().String(), "store", cfg.store.describe(), "ruleset", rs.live.Set().Hash()[:12], "rules", rs.source())
	fmt.Fprintf(stdout, "entitle: listening on http://%s\n", ln.Addr())

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// isEmpty reports whether the store holds no catalog yet.
func isEmpty(ctx context.Context, store ports.Store) (bool, error) {
	empty := false
	err := store.View(ctx, func(tx ports.Tx) error {
		parts, err := tx.Catalog().Parts(ctx)
		empty = len(parts) == 0
		return err
	})
	return empty, err
}

// maintain drops Idempotency-Key answers older than a day, expired
// tokens and decisions older than the decision log's retention, hourly,
// and finishes orders that an earlier version left in progress for more
// than five minutes, every minute.
func maintain(ctx context.Context, api *httpapi.Server, svc *orders.Service, acc *access.Service, decisionRetention time.Duration, log *slog.Logger) {
	minute := time.NewTicker(time.Minute)
	defer minute.Stop()
	lastPurge := time.Time{}
	for {
		if time.Since(lastPurge) >= time.Hour {
			lastPurge = time.Now()
			if n, err := api.PurgeIdempotency(ctx); err != nil && ctx.Err() == nil {
				log.Error("purging idempotency keys", "err", err)
			} else if n > 0 {
				log.Info("purged idempotency keys", "keys", n)
			}
			if n, err := acc.PurgeTokens(ctx); err != nil && ctx.Err() == nil {
				log.Error("purging expired tokens", "err", err)
			} else if n > 0 {
				log.Info("purged expired tokens", "tokens", n)
			}
			purgeDecisions(ctx, api.Store(), time.Now().Add(-decisionRetention), log)
		}
		if n, err := svc.ResumeOlderThan(ctx, 5*time.Minute); err != nil && ctx.Err() == nil {
			log.Error("finishing orders left in progress", "err", err)
		} else if n > 0 {
			log.Info("finished orders left in progress", "orders", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-minute.C:
		}
	}
}

// newAPI wires the contexts and the HTTP APIs over store: every seed API on
// one handler.
func newAPI(store ports.Store, live *rules.Live, clock ports.Clock, tokenTTL time.Duration, lim httpapi.Limits, log *slog.Logger) (*httpapi.Server, *orders.Service, *access.Service, error) {
	metrics := httpapi.NewMetrics()
	store = measured(metrics, store, live, log)
	svc, err := orders.New(orders.Options{Store: store, Live: live, Clock: clock, IDs: ports.IDsFunc(randomID),
		Activator: countFailures(metrics, ports.ActivatorFunc(func(_ context.Context, a domain.Activation) error {
			// Delivery (OTA or e-mail) is recorded in the store, where the
			// activation status reads it; this process only logs it.
			log.Info("activation scheduled", "serial", a.Serial, "part", a.PartNumber, "method", a.Method, "due", a.DueAt(), "id", a.ID)
			return nil
		})),
		OnDeliveryError: func(err error) {
			metrics.DeliveryFailure("store")
			log.Error("delivering activations", "err", err)
		}})
	if err != nil {
		return nil, nil, nil, err
	}
	// Expired tokens are kept 30 days before the hourly purge drops them, so
	// an expired X-AccessToken still answers TOKEN_EXPIRED, not INVALID_TOKEN.
	acc, err := access.New(access.Options{Store: store, Clock: clock, Random: rand.Reader, TokenTTL: tokenTTL, KeepExpired: 30 * 24 * time.Hour})
	if err != nil {
		return nil, nil, nil, err
	}
	seatsSvc, err := seats.New(seats.Options{Store: store, Live: live, Clock: clock, IDs: ports.IDsFunc(randomID)})
	if err != nil {
		return nil, nil, nil, err
	}
	// Managed billing's transaction ids look like the vendor's (seed 002:
	// "2c90bd28-ece4-42ef-9f02-7e3bd4fbff33").
	accountsSvc, err := accounts.New(accounts.Options{Store: store, Live: live, Clock: clock, IDs: ports.IDsFunc(randomUUID)})
	if err != nil {
		return nil, nil, nil, err
	}
	api := httpapi.New(httpapi.Options{Store: store, Clock: clock, Access: acc, Logger: log, Limits: lim, Metrics: metrics})
	tapstore.Register(api, svc)
	accountmanager.Register(api, seatsSvc)
	assignments.Register(api, seatsSvc)
	managedbilling.Register(api, accountsSvc)
	accountops.Register(api, accountsSvc)
	if err := openapidocs.Register(api, apiDocs()); err != nil {
		return nil, nil, nil, err
	}
	api.NameAPI("webui", webui.Prefix) // webui calls the APIs in process and imports no httpapi
	api.Handle(webui.Prefix, webui.New(webui.Options{API: api, Access: acc, Clock: clock, Logger: log}))
	return api, svc, acc, nil
}

// registerRulesAPI serves the rule authors' API on api: the rules in force
// (rs) and the check of a copy, the decision log, explain and replay (the
// orders service svc decides explained orders).
func registerRulesAPI(api *httpapi.Server, rs *ruleState, svc *orders.Service, authors rulesapi.Authors) {
	rulesapi.RegisterRulesets(api, rs.rulesetsOptions(authors))
	rulesapi.RegisterDecisions(api, rulesapi.DecisionsOptions{Rules: svc.Rules, Language: language(), Authors: authors})
}

// randomUUID returns a random (version 4) UUID in its 8-4-4-4-12 hex form.
func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// randomID returns 128 random bits in hex.
func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}
