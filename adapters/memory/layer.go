package memory

import (
	"maps"
	"slices"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// layer is one map of the store as a transaction sees it: the committed rows
// in base, read-only while any transaction runs, and the transaction's own
// writes in over. Committing moves over into base; rolling back drops over.
// That is what makes Update's copy-on-write cheap: a transaction costs what it
// writes, never a copy of the store.
type layer[K comparable, V any] struct {
	base map[K]V
	over map[K]slot[V]
}

// slot is a written row; ok is false for a deleted one.
type slot[V any] struct {
	v  V
	ok bool
}

func (l *layer[K, V]) init() { l.base = make(map[K]V) }

func (l *layer[K, V]) get(k K) (V, bool) {
	if s, written := l.over[k]; written {
		return deepCopy(s.v), s.ok
	}
	v, ok := l.base[k]
	return deepCopy(v), ok
}

func (l *layer[K, V]) put(k K, v V) { l.write(k, slot[V]{deepCopy(v), true}) }

func (l *layer[K, V]) del(k K) { l.write(k, slot[V]{}) }

func (l *layer[K, V]) write(k K, s slot[V]) {
	if l.over == nil {
		l.over = make(map[K]slot[V])
	}
	l.over[k] = s
}

// all returns every row, in no particular order.
func (l *layer[K, V]) all() []V {
	out := make([]V, 0, len(l.base)+len(l.over))
	for k, v := range l.base {
		if _, written := l.over[k]; !written {
			out = append(out, deepCopy(v))
		}
	}
	for _, s := range l.over {
		if s.ok {
			out = append(out, deepCopy(s.v))
		}
	}
	return out
}

// commit applies the transaction's writes to base. Only Update calls it,
// holding the lock that keeps Views out.
func (l *layer[K, V]) commit() {
	for k, s := range l.over {
		if s.ok {
			l.base[k] = s.v
		} else {
			delete(l.base, k)
		}
	}
	l.over = nil
}

// An index is a layer whose rows are lists of primary keys. Lists read from
// base are shared with Views and later transactions, so no element they can
// see is ever written: pull builds a new list, and push appends in place,
// which writes only past the end of every list anyone else holds. That holds
// because only the one writer appends, always to the newest version of a
// list, and a list is shortened only into a new array. Appending in place
// keeps an order's Create O(1) however many orders its client has.

// push appends e to the list at k.
func push[K comparable, E any](l *layer[K, []E], k K, e E) {
	list, _ := l.get(k)
	l.put(k, append(list, e))
}

// pull removes e from the list at k.
func pull[K, E comparable](l *layer[K, []E], k K, e E) {
	list, _ := l.get(k)
	list = slices.DeleteFunc(slices.Clone(list), func(x E) bool { return x == e })
	if len(list) == 0 {
		l.del(k)
		return
	}
	l.put(k, list)
}

// reindex moves e from the list at from (when had says e was indexed) to the
// list at to.
func reindex[K, E comparable](l *layer[K, []E], from K, had bool, to K, e E) {
	if had && from == to {
		return
	}
	if had {
		pull(l, from, e)
	}
	push(l, to, e)
}

// rows returns the rows of l with the keys an index listed.
func rows[K comparable, V any](l *layer[K, V], keys []K) []V {
	out := make([]V, 0, len(keys))
	for _, k := range keys {
		if v, ok := l.get(k); ok {
			out = append(out, v)
		}
	}
	return out
}

// deepCopy returns v with its slices copied, so neither a caller that keeps
// what it put nor one that changes what it got can reach stored state. The
// domain types hold no pointers besides these slices, decimals (immutable)
// and a Model's compiled pattern (safe to share).
func deepCopy[V any](v V) V {
	switch x := any(&v).(type) {
	case *domain.Customer:
		x.Sites = slices.Clone(x.Sites)
	case *domain.Part:
		x.Models, x.Regions = slices.Clone(x.Models), slices.Clone(x.Regions)
	case *domain.PriceList:
		x.Countries, x.Items = slices.Clone(x.Countries), slices.Clone(x.Items)
	case *domain.Device:
		x.SSOEmails = slices.Clone(x.SSOEmails)
	case *domain.Order:
		x.Lines = slices.Clone(x.Lines)
	case *domain.AuditEvent:
		x.Codes = slices.Clone(x.Codes)
	case *domain.Account:
		x.Blocks, x.Plans, x.Limits = slices.Clone(x.Blocks), maps.Clone(x.Plans), maps.Clone(x.Limits)
		x.RegApps, x.ServiceApps, x.Premium = slices.Clone(x.RegApps), slices.Clone(x.ServiceApps), slices.Clone(x.Premium)
		x.Services, x.SKUs = slices.Clone(x.Services), slices.Clone(x.SKUs)
	case *domain.ClientPlan:
		x.Modules = slices.Clone(x.Modules)
	case *domain.User:
		x.Roles = slices.Clone(x.Roles)
	case *domain.DecisionRecord:
		x.Request, x.State = slices.Clone(x.Request), slices.Clone(x.State)
		x.Outcome.Violations, x.Outcome.Derived = slices.Clone(x.Outcome.Violations), maps.Clone(x.Outcome.Derived)
	case *ports.IdempotencyRecord:
		x.Body = slices.Clone(x.Body)
	}
	return v
}
