package rules

import "time"

// DecisionObserver is told of every decision a Set made: the context whose
// scope was evaluated last ("seats", "accounts", or "" for the scopes that
// declare none, the store API's), the time from Begin to Finish, and
// whether the decision allows. It is called on the
// goroutine that decided and must be safe for concurrent use and quick.
type DecisionObserver func(context string, elapsed time.Duration, allowed bool)

// Observed returns a copy of s that tells observe of each decision it makes
// (for metrics); s itself is unchanged. A nil observe gives a set that
// tells no one.
func (s *Set) Observed(observe DecisionObserver) *Set {
	c := *s
	c.observe = observe
	return &c
}

// observeFinish tells the set's observer of the decision r finishes.
func (r *Run) observeFinish(allowed bool) {
	ctx := ""
	if r.sc != nil {
		ctx = r.sc.context
	}
	r.set.observe(ctx, time.Since(r.start), allowed)
}
