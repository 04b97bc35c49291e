package rules

import (
	"context"
	"errors"
	"io/fs"
	"sync/atomic"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// EngineOptions wires an Engine. Store, Rules, Clock and IDs are required.
type EngineOptions struct {
	Store ports.Store
	Rules *Set
	Clock ports.Clock
	IDs   ports.IDs
	// Activator delivers passcodes; nil records activations without
	// delivering them (they show as scheduled in the activation status).
	Activator ports.Activator
}

// Engine runs entitle's use cases: it loads state through the Store, decides
// with the current rule Set, and commits atomically. It is safe for
// concurrent use; the rule Set can be swapped while it serves.
type Engine struct {
	store     ports.Store
	rules     atomic.Pointer[Set]
	clock     ports.Clock
	ids       ports.IDs
	activator ports.Activator
}

// NewEngine returns an Engine. It fails with CodeInvalid when a required
// option is missing.
func NewEngine(o EngineOptions) (*Engine, error) {
	if o.Store == nil || o.Rules == nil || o.Clock == nil || o.IDs == nil {
		return nil, domain.Errorf(domain.CodeInvalid, "", "rules: an engine needs a Store, Rules, a Clock and IDs")
	}
	e := &Engine{store: o.Store, clock: o.Clock, ids: o.IDs, activator: o.Activator}
	e.rules.Store(o.Rules)
	return e, nil
}

// Rules returns the rule Set in force.
func (e *Engine) Rules() *Set { return e.rules.Load() }

// SwapRules puts set in force for every decision that starts after it returns.
func (e *Engine) SwapRules(set *Set) {
	if set != nil {
		e.rules.Store(set)
	}
}

// ReloadRules loads and compiles the rule files in fsys and swaps them in;
// on any error the rules in force stay and the error is returned (a
// *LoadError for problems inside the files).
func (e *Engine) ReloadRules(fsys fs.FS) error {
	set, err := Load(fsys)
	if err != nil {
		return err
	}
	e.SwapRules(set)
	return nil
}

// Store returns the engine's store.
func (e *Engine) Store() ports.Store { return e.store }

// Seed loads a Dataset into the store in one transaction; loading the same
// dataset twice changes nothing the second time. It fails with CodeInvalid
// (with field paths) for a bad dataset, and writes nothing then.
func (e *Engine) Seed(ctx context.Context, ds *Dataset) error {
	w, err := ds.Build()
	if err != nil {
		return err
	}
	return e.store.Update(ctx, func(tx ports.Tx) error { return w.Apply(ctx, tx) })
}

// notFound reports whether err is a CodeNotFound error.
func notFound(err error) bool {
	var de *domain.Error
	return errors.As(err, &de) && de.Code == domain.CodeNotFound
}
