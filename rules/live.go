package rules

import (
	"sync"
	"sync/atomic"
)

// Live holds the rule Set in force for a running program: the services of
// every context read it once per decision, and a reload swaps a new Set in
// without stopping them. Reads are one atomic load, lock-free; a decision
// that started before a Swap finishes with the Set it read. Live is safe for
// concurrent use.
type Live struct {
	set     atomic.Pointer[Set]
	mu      sync.Mutex       // serializes Swap and Observe
	observe DecisionObserver // given to every Set put in force; guarded by mu
}

// NewLive returns a Live holding set.
func NewLive(set *Set) *Live {
	l := &Live{}
	l.set.Store(set)
	return l
}

// Set returns the Set in force.
func (l *Live) Set() *Set { return l.set.Load() }

// Swap puts set in force for every read that starts after it returns. A nil
// set is ignored: a Live always holds a Set.
func (l *Live) Swap(set *Set) {
	if set == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.observe != nil {
		set = set.Observed(l.observe)
	}
	l.set.Store(set)
}

// Observe makes the Set in force, and every Set swapped in after it, tell
// observe of each decision (see Set.Observed).
func (l *Live) Observe(observe DecisionObserver) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.observe = observe
	l.set.Store(l.set.Load().Observed(observe))
}
