package rules

import "sync/atomic"

// Live holds the rule Set in force for a running program: the services of
// every context read it once per decision, and a reload swaps a new Set in
// without stopping them. Reads are one atomic load, lock-free; a decision
// that started before a Swap finishes with the Set it read. Live is safe for
// concurrent use.
type Live struct {
	set atomic.Pointer[Set]
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
	if set != nil {
		l.set.Store(set)
	}
}
