// Package machine runs fuzz.Machine against entitle's five HTTP APIs as
// `entitle serve` wires them (httpapi.New with tapstore, accountmanager,
// assignments, managedbilling and accountops registered over the orders,
// seats and accounts services), over any store and any rule files.
//
// It lives here, not in fuzz/, because it builds the HTTP handlers: fuzz may
// import domain, ports and rules but no adapter (archcheck), and this
// package belongs to the httpapi adapter. A service embedding entitle
// imports it from its tests to run the state-machine harness with its own
// rule files and its own store (see the Example).
package machine

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"sync"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/httpapi/accountmanager"
	"github.com/entitle-rules/entitle/adapters/httpapi/accountops"
	"github.com/entitle-rules/entitle/adapters/httpapi/assignments"
	"github.com/entitle-rules/entitle/adapters/httpapi/managedbilling"
	"github.com/entitle-rules/entitle/adapters/httpapi/tapstore"
	"github.com/entitle-rules/entitle/fuzz"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/access"
	"github.com/entitle-rules/entitle/rules/accounts"
	"github.com/entitle-rules/entitle/rules/orders"
	"github.com/entitle-rules/entitle/rules/seats"
	"github.com/entitle-rules/entitle/rulesets"
)

// Database is one history's database.
type Database struct {
	// Open opens a store on the database: once when the history starts,
	// and again after each restart, when the previous store was closed.
	Open func() (ports.Store, error)
	// Keep is set for a store that is its database (an in-memory one): a
	// restart keeps it open and builds only the services anew.
	Keep bool
	// Drop, when set, removes the database once the history ends and its
	// store is closed.
	Drop func() error
}

// Options say what the Target serves.
type Options struct {
	// Rules is the directory of rule files (nil: the shipped rulesets).
	// It is loaded when a history starts and on every reload, in a
	// language of every context's scopes.
	Rules fs.FS
	// New makes a new, empty database for a history.
	New func() (Database, error)
	// Wrap, when set, wraps every store the System opens: a test uses it
	// to break a store on purpose and see the Machine notice.
	Wrap func(ports.Store) ports.Store
}

// Target is a fuzz.Target named name that serves the five APIs over the
// databases o.New makes.
func Target(name string, o Options) fuzz.Target {
	return fuzz.Target{Name: name, Open: func(env fuzz.Env) (fuzz.System, error) { return open(o, env) }}
}

// Language is the rule language of every context the APIs serve: the one
// `entitle serve` and `entitle check` compile rule files in.
func Language() *rules.Language {
	scopes := append(orders.Scopes(), seats.Scopes()...)
	return rules.MustLanguage(append(scopes, accounts.Scopes()...)...)
}

// system is the five APIs over one database.
type system struct {
	o     Options
	env   fuzz.Env
	db    Database
	store ports.Store

	mu      sync.Mutex
	handler http.Handler
}

func open(o Options, env fuzz.Env) (*system, error) {
	if o.New == nil {
		return nil, errors.New("machine: Options.New is required")
	}
	db, err := o.New()
	if err != nil {
		return nil, err
	}
	s := &system{o: o, env: env, db: db}
	if err := s.openStore(); err != nil {
		s.drop()
		return nil, err
	}
	if err := s.build(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *system) openStore() error {
	st, err := s.db.Open()
	if err != nil {
		return err
	}
	if s.o.Wrap != nil {
		st = s.o.Wrap(st)
	}
	s.store = st
	return nil
}

// build loads the rule files and wires the services and APIs over the
// store, as `entitle serve` does, with the Machine's clock, ids and random
// bytes, tokens that outlive any history, and argon2id at its cheapest (the
// world's secrets are upgraded to it on first use).
func (s *system) build() error {
	fsys := s.o.Rules
	if fsys == nil {
		fsys = rulesets.FS
	}
	set, err := Language().Load(fsys)
	if err != nil {
		return err
	}
	clock, ids := s.env.Clock, s.env.IDs
	svc, err := orders.New(orders.Options{Store: s.store, Rules: set, Clock: clock, IDs: ids})
	if err != nil {
		return err
	}
	acc, err := access.New(access.Options{Store: s.store, Clock: clock, Random: s.env.AccessRandom, TokenTTL: 100 * 365 * 24 * time.Hour,
		Hashing: access.Params{Memory: 8, Time: 1, Threads: 1}, KeepExpired: 30 * 24 * time.Hour})
	if err != nil {
		return err
	}
	seatsSvc, err := seats.New(seats.Options{Store: s.store, Rules: set, Clock: clock, IDs: ids})
	if err != nil {
		return err
	}
	accountsSvc, err := accounts.New(accounts.Options{Store: s.store, Rules: set, Clock: clock, IDs: ids})
	if err != nil {
		return err
	}
	api := httpapi.New(httpapi.Options{Store: s.store, Clock: clock, Access: acc, Random: s.env.Random,
		Limits: httpapi.Limits{PerClient: 1e9, PerClientBurst: 1e9, TokenPerAddress: 1e9, TokenPerAddressBurst: 1e9}})
	tapstore.Register(api, svc)
	accountmanager.Register(api, seatsSvc)
	assignments.Register(api, seatsSvc)
	managedbilling.Register(api, accountsSvc)
	accountops.Register(api, accountsSvc)
	// `entitle serve` hands the activation outbox to the Activator at once
	// after each order or resend commits; here that happens before the
	// answer is read, so every read after it sees the deliveries.
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api.ServeHTTP(w, r)
		if r.Method == http.MethodPost {
			for {
				if n, err := svc.DeliverDue(context.Background()); err != nil || n == 0 {
					return
				}
			}
		}
	})
	s.mu.Lock()
	s.handler = h
	s.mu.Unlock()
	return nil
}

func (s *system) Handler() http.Handler {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.handler
}

func (s *system) Store() ports.Store { return s.store }

func (s *system) Reload() error { return s.build() }

func (s *system) Restart() error {
	if !s.db.Keep {
		if err := s.store.Close(); err != nil {
			return err
		}
		if err := s.openStore(); err != nil {
			return err
		}
	}
	return s.build()
}

func (s *system) Close() error {
	var err error
	if s.store != nil {
		err = s.store.Close()
	}
	return errors.Join(err, s.drop())
}

func (s *system) drop() error {
	if s.db.Drop == nil {
		return nil
	}
	return s.db.Drop()
}
