package orders

import (
	"sync/atomic"

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
	Clock ports.Clock
	IDs   ports.IDs
	// Activator delivers passcodes; nil records activations without
	// delivering them (they show as scheduled in the activation status).
	Activator ports.Activator
}

// Service runs the store API's use cases (seed 001): it loads state through
// the Store, decides with the current rule Set, and commits atomically. It is
// safe for concurrent use; the rule Set can be swapped while it serves.
type Service struct {
	store     ports.Store
	rules     atomic.Pointer[rules.Set]
	clock     ports.Clock
	ids       ports.IDs
	activator ports.Activator
}

// New returns a Service. It fails with CodeInvalid when a required option is
// missing or the rule set was compiled without the store API's scopes.
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Rules == nil || o.Clock == nil || o.IDs == nil {
		return nil, domain.Errorf(domain.CodeInvalid, "", "orders: a service needs a Store, Rules, a Clock and IDs")
	}
	if err := checkSet(o.Rules); err != nil {
		return nil, err
	}
	s := &Service{store: o.Store, clock: o.Clock, ids: o.IDs, activator: o.Activator}
	s.rules.Store(o.Rules)
	return s, nil
}

func checkSet(set *rules.Set) error {
	if !set.Has(orderScope) || !set.Has(lineScope) {
		return domain.Errorf(domain.CodeInvalid, "", "orders: the rule set was compiled in a language without the order and line scopes; list orders.Scopes() in rules.NewLanguage")
	}
	return nil
}

// Rules returns the rule Set in force.
func (e *Service) Rules() *rules.Set { return e.rules.Load() }

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
	e.rules.Store(set)
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
