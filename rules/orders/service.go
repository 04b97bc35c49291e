package orders

import (
	"sync"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
)

// Options wires a Service. Store, Rules, Clock and IDs are required.
type Options struct {
	Store ports.Store
	// Rules is a rule set compiled in a language that holds this context's
	// Scopes.
	Rules *rules.Set
	// Live, when set, holds the rule set in force instead of Rules: a
	// program that reloads its rule files swaps the new set in there, for
	// every service that shares it. Its sets must hold this context's
	// scopes, as Rules must.
	Live  *rules.Live
	Clock ports.Clock
	IDs   ports.IDs
	// Activator delivers passcodes: DeliverDue hands it the activations
	// orders and resends wrote to the outbox. With none, every activation
	// is still written PENDING, and DeliverDue marks what it claims
	// DELIVERED without handing it anywhere: an embedder that delivers
	// passcodes some other way keeps the outbox from growing and the
	// activation status from staying IN_PROGRESS. (`entitle serve` always
	// has one.)
	Activator ports.Activator
	// OnDeliveryError, when set, is told of each failure of RunDeliveries
	// to claim or record deliveries (it retries them); an Activator's
	// failures are recorded with the activation instead.
	OnDeliveryError func(error)
}

// Service runs the store API's use cases (seed 001): it loads state through
// the Store, decides with the current rule Set, and commits atomically. It is
// safe for concurrent use; the rule Set can be swapped while it serves.
type Service struct {
	store     ports.Store
	live      *rules.Live
	clock     ports.Clock
	ids       ports.IDs
	activator ports.Activator
	// committing holds the serials of the orders inside CreateOrder's
	// Update; kick wakes RunDeliveries when something was committed to the
	// outbox.
	committing      serialClaims
	kick            chan struct{}
	onDeliveryError func(error)
}

// New returns a Service. It fails with CodeInvalid when a required option is
// missing or the rule set was compiled without the store API's scopes.
func New(o Options) (*Service, error) {
	live := o.Live
	if live == nil && o.Rules != nil {
		live = rules.NewLive(o.Rules)
	}
	if o.Store == nil || live == nil || o.Clock == nil || o.IDs == nil {
		return nil, domain.Errorf(domain.CodeInvalid, "", "orders: a service needs a Store, Rules, a Clock and IDs")
	}
	if err := checkSet(live.Set()); err != nil {
		return nil, err
	}
	s := &Service{store: o.Store, live: live, clock: o.Clock, ids: o.IDs, activator: o.Activator, kick: make(chan struct{}, 1),
		onDeliveryError: o.OnDeliveryError}
	return s, nil
}

func checkSet(set *rules.Set) error {
	if !set.Has(orderScope) || !set.Has(lineScope) {
		return domain.Errorf(domain.CodeInvalid, "", "orders: the rule set was compiled in a language without the order and line scopes; list orders.Scopes() in rules.NewLanguage")
	}
	return nil
}

// Rules returns the rule set in force: a decision reads it once and
// decides, records and reports with that one set.
func (e *Service) Rules() *rules.Set { return e.live.Set() }

// SwapRules puts set in force for every decision that starts after it
// returns. A set without this context's scopes is refused (CodeInvalid) and
// the rules in force stay.
func (e *Service) SwapRules(set *rules.Set) error {
	if set == nil {
		return domain.Errorf(domain.CodeInvalid, "", "orders: no rule set")
	}
	if err := checkSet(set); err != nil {
		return err
	}
	e.live.Swap(set)
	return nil
}

// Store returns the service's store.
func (e *Service) Store() ports.Store { return e.store }

// partnerOf returns the partner a principal acts for: the store API's
// records belong to a TAP client, the partner. It fails with
// CodeUnauthenticated for a principal that names nobody.
func partnerOf(p domain.Principal) (string, error) {
	if p.Partner == "" {
		return "", domain.Errorf(domain.CodeUnauthenticated, "", "orders: the request has no principal")
	}
	return p.Partner, nil
}

// notFound reports whether err is a CodeNotFound error.
func notFound(err error) bool { return domain.ErrorCode(err) == domain.CodeNotFound }

// serialClaims are the serial keys of the orders this Service is committing:
// a second order naming one of them is refused at once (rule 12) rather
// than left to wait for the first. Safe for concurrent use.
type serialClaims struct {
	mu   sync.Mutex
	held map[string]bool
}

// take claims the keys of serials and returns how to release them, or ""
// and a serial of them another caller holds, in which case nothing is
// claimed.
func (c *serialClaims) take(serials []string) (release func(), held string) {
	keys := make([]string, 0, len(serials))
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range serials {
		k := domain.SerialKey(s)
		if k == "" {
			continue // refused by the rules; nothing to hold
		}
		if c.held[k] {
			return nil, s
		}
		keys = append(keys, k)
	}
	if c.held == nil {
		c.held = map[string]bool{}
	}
	var mine []string
	for _, k := range keys {
		if !c.held[k] {
			c.held[k] = true
			mine = append(mine, k)
		}
	}
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, k := range mine {
			delete(c.held, k)
		}
	}, ""
}
