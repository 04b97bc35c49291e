package rules

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/expr-lang/expr/vm"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules/internal/lower"
)

// Run is one decision being made: the decision so far (violations, hold,
// trace) and the scratch space of evaluation. A context begins a Run, calls
// its scopes' Eval in the order its use case needs, and finishes it. A Run is
// used by one goroutine and is invalid after Finish.
type Run struct {
	set     *Set
	vm      vm.VM
	d       domain.Decision
	denied  bool
	derived []string
	bits    []uint64 // the fired bits of the pass being evaluated
	guards  guards
	sc      *scopeInfo // the scope being evaluated
	// The environment and item being evaluated.
	env    any
	envPtr unsafe.Pointer
	item   int
	start  time.Time // when Begin was called, for the set's observer
}

var runs = sync.Pool{New: func() any { return &Run{} }}

// Begin starts a decision with this set; passes is the expected number of
// Eval calls (so the trace is allocated once).
func (s *Set) Begin(passes int) *Run {
	r := runs.Get().(*Run)
	r.set = s
	r.d = domain.Decision{RulesetHash: s.hash}
	r.d.Trace.Rules = s.trace
	r.d.Trace.Passes = make([]domain.TracePass, 0, passes)
	r.d.Trace.Fired = make([]uint64, 0, passes*r.d.Trace.Words())
	if s.observe != nil {
		r.start = time.Now()
	}
	return r
}

// Has reports whether the set was compiled in a language holding sd.
func (s *Set) Has(sd ScopeDef) bool { return s.scopeIndex(sd.info()) >= 0 }

// Decision returns the decision being built, for the context to fill in what
// is its own (its lines, derived values).
func (r *Run) Decision() *domain.Decision { return &r.d }

// Denied reports whether the last Eval added a violation.
func (r *Run) Denied() bool { return r.denied }

// Derived returns the labels ("field<-rule-id") of the values the last Eval
// derived, in order. The slice is valid until the next Eval.
func (r *Run) Derived() []string { return r.derived }

// Finish completes the decision (allowed when nothing was violated) and
// returns it; the Run is released.
func (r *Run) Finish() domain.Decision {
	d := r.d
	d.Allowed = len(d.Violations) == 0
	if r.set.observe != nil {
		r.observeFinish(d.Allowed)
	}
	r.d, r.set, r.bits, r.sc = domain.Decision{}, nil, nil, nil
	runs.Put(r)
	return d
}

func (r *Run) eval(sc *scopeInfo, env any, envPtr unsafe.Pointer, from, to Phase, item int) {
	r.denied = false
	r.derived = r.derived[:0]
	r.sc = sc
	si := r.set.scopeIndex(sc)
	if si < 0 {
		return
	}
	to = min(to, numPhases-1)
	t := &r.d.Trace
	t.Passes = append(t.Passes, domain.TracePass{Scope: uint8(si), Item: int16(item), From: uint8(from), To: uint8(to)})
	w := t.Words()
	base := len(t.Fired)
	for range w {
		t.Fired = append(t.Fired, 0)
	}
	r.bits = t.Fired[base : base+w]
	r.guards.reset(len(r.set.guards))
	state := r.guards.state
	r.env, r.envPtr, r.item = env, envPtr, item
	if r.set.explain != nil {
		r.explainPass(si, from, to) // an Explainer's set (explain.go)
		r.env, r.envPtr = nil, nil
		return
	}
	at := &r.set.phaseAt[si]
	steps := r.set.steps[si][:at[to+1]]
	for i := at[from]; i < len(steps); i++ {
		st := &steps[i]
		if st.guard >= 0 {
			g := state[st.guard]
			if g == 0 {
				g = 2
				if st.gfn(envPtr) {
					g = 1
				}
				state[st.guard] = g
			}
			if g == 2 {
				i = int(st.skip) - 1 // no rule of the run can hold: evaluated, not fired
				continue
			}
		}
		if st.safe {
			if st.cond(envPtr) {
				r.fire(st.rule)
			}
			continue
		}
		r.step(st)
	}
	r.env, r.envPtr = nil, nil
}

// step evaluates a rule whose condition is not a safe closure (past its
// guard): the guard alone, a closure that may meet a nil, or the VM.
func (r *Run) step(st *step) {
	var fired bool
	var err error
	switch {
	case st.cond == nil && st.guard >= 0:
		fired = true // the guard is the whole condition
	case st.cond == nil:
		fired, err = r.evalBool(st.rule.when, r.env, r.envPtr)
	default:
		fired, err = evalRest(st.cond, r.envPtr)
	}
	switch {
	case err != nil:
		// A rule that fails at run time (a nil subscription dereferenced,
		// say) refuses the request: entitle fails closed.
		r.violate(st.rule, r.item, "RULE_ERROR", "", fmt.Sprintf("rule %s could not be evaluated: %v", st.rule.ID, err))
	case fired:
		r.fire(st.rule)
	}
}

// evalRest evaluates the rest of a guarded condition that may meet a nil.
func evalRest(rest func(unsafe.Pointer) bool, envPtr unsafe.Pointer) (b bool, err error) {
	defer recoverNil(&err)
	return rest(envPtr), nil
}

// fire applies the effect of a rule whose condition holds in the
// environment being evaluated.
func (r *Run) fire(rule *Rule) {
	env, envPtr, item := r.env, r.envPtr, r.item
	r.bits[rule.index/64] |= 1 << (rule.index % 64)
	switch {
	case rule.deny != nil:
		field := ""
		if rule.deny.field != nil {
			field = r.render(rule.deny.field, env, envPtr)
		}
		r.violate(rule, item, rule.deny.code, field, r.render(rule.deny.message, env, envPtr))
	case rule.hold != nil:
		if r.d.Hold == nil {
			r.d.Hold = &domain.Hold{RuleID: rule.ID, Reason: r.render(rule.hold, env, envPtr)}
		}
	default:
		for _, s := range rule.sets {
			if err := r.assign(s.target, s.value, env, envPtr); err != nil {
				r.violate(rule, item, "RULE_ERROR", s.target.name, fmt.Sprintf("rule %s could not derive %s: %v", rule.ID, s.target.name, err))
				continue
			}
			r.derived = append(r.derived, s.label)
		}
		// A derived field may be one a guard reads.
		for _, g := range rule.forget {
			r.guards.state[g] = 0
		}
	}
}

// assign evaluates p into the derivable field t, through the typed closure
// when p was lowered, so no value is boxed.
func (r *Run) assign(t *settable, p *program, env any, envPtr unsafe.Pointer) (err error) {
	if !p.fast.Safe {
		defer recoverNil(&err)
	}
	dst := lower.Addr(envPtr, t.path)
	if dst == nil {
		return fmt.Errorf("%s is not there to derive", t.name)
	}
	if p.fast.Lowered() {
		// By the closure set (the field's type, checked at load), not by
		// comparing reflect.Types, which costs a call each.
		switch {
		case p.fast.D != nil:
			*(*domain.Date)(dst) = p.fast.D(envPtr)
		case p.fast.S != nil:
			*(*string)(dst) = p.fast.S(envPtr)
		case p.fast.B != nil:
			*(*bool)(dst) = p.fast.B(envPtr)
		case p.fast.I != nil:
			*(*int)(dst) = p.fast.I(envPtr)
		}
		return nil
	}
	r.sc.fillLazy(envPtr)
	v, err := r.vm.Run(p.prog, env)
	if err != nil {
		return err
	}
	switch t.typ {
	case dateType:
		*(*domain.Date)(dst), _ = v.(domain.Date)
	case stringType:
		*(*string)(dst), _ = v.(string)
	case boolType:
		*(*bool)(dst), _ = v.(bool)
	case intType:
		*(*int)(dst), _ = v.(int)
	}
	return nil
}

// recoverNil turns a lowered closure's read of a nil struct pointer into the
// error the VM would have returned.
func recoverNil(err *error) {
	if r := recover(); r != nil {
		e, ok := r.(lower.NilMember)
		if !ok {
			panic(r)
		}
		*err = e
	}
}

func (r *Run) violate(rule *Rule, item int, code, field, msg string) {
	if item >= 0 {
		field = domain.JoinField(rule.scope.item+"["+strconv.Itoa(item)+"]", field)
	}
	r.denied = true
	r.d.Violations = append(r.d.Violations, domain.Violation{RuleID: rule.ID, Code: code, Field: field, Message: msg})
}

func (r *Run) evalBool(p *program, env any, envPtr unsafe.Pointer) (b bool, err error) {
	if p.fast.B != nil {
		if p.fast.Safe {
			return p.fast.B(envPtr), nil
		}
		defer recoverNil(&err)
		return p.fast.B(envPtr), nil
	}
	r.sc.fillLazy(envPtr)
	v, err := r.vm.Run(p.prog, env)
	if err != nil {
		return false, err
	}
	b, _ = v.(bool)
	return b, nil
}

func (r *Run) evalAny(p *program, env any, envPtr unsafe.Pointer) (v any, err error) {
	if p.fast.Any != nil {
		defer recoverNil(&err)
		return p.fast.Any(envPtr), nil
	}
	r.sc.fillLazy(envPtr)
	return r.vm.Run(p.prog, env)
}

func (r *Run) render(t *template, env any, envPtr unsafe.Pointer) string {
	if len(t.holes) == 0 {
		return t.lits[0]
	}
	var b strings.Builder
	for i, h := range t.holes {
		b.WriteString(t.lits[i])
		v, err := r.evalAny(h, env, envPtr)
		if err != nil {
			fmt.Fprintf(&b, "<%v>", err)
			continue
		}
		writeValue(&b, v)
	}
	b.WriteString(t.lits[len(t.lits)-1])
	return b.String()
}

func writeValue(b *strings.Builder, v any) {
	switch x := v.(type) {
	case string:
		b.WriteString(x)
	case []string:
		b.WriteString(strings.Join(x, ", "))
	case []int:
		for i, n := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Itoa(n))
		}
	case []any:
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeValue(b, e)
		}
	case nil:
	default:
		fmt.Fprint(b, x)
	}
}

// VMOnly returns a copy of the set whose expressions all run on the expr VM,
// for differential tests of the lowering and for measuring it.
func (s *Set) VMOnly() *Set {
	c := *s
	c.rules = nil
	c.byScope = make([][numPhases][]*Rule, len(s.byScope))
	vmOnly := func(p *program) *program {
		if p == nil {
			return nil
		}
		q := *p
		q.fast, q.why = lower.Func{}, "VMOnly"
		return &q
	}
	vmTemplate := func(t *template) *template {
		if t == nil {
			return nil
		}
		u := *t
		u.holes = nil
		for _, h := range t.holes {
			u.holes = append(u.holes, vmOnly(h))
		}
		return &u
	}
	c.guards = nil
	defer c.indexRuns()
	for _, r := range s.rules {
		rc := *r
		rc.guard, rc.lead, rc.rest, rc.forget = -1, nil, nil, nil
		rc.when = vmOnly(r.when)
		rc.sets = nil
		for _, se := range r.sets {
			se.value = vmOnly(se.value)
			rc.sets = append(rc.sets, se)
		}
		if r.deny != nil {
			d := *r.deny
			d.field, d.message = vmTemplate(d.field), vmTemplate(d.message)
			rc.deny = &d
		}
		rc.hold = vmTemplate(r.hold)
		c.rules = append(c.rules, &rc)
		si := s.scopeIndex(rc.scope)
		c.byScope[si][rc.Phase] = append(c.byScope[si][rc.Phase], &rc)
	}
	return &c
}

// Unlowered lists the expressions of the set that run on the expr VM because
// the lowering compiler cannot take their shape, each with its position, its
// role (the condition, a derived field, a message) and the node that stopped
// it. `entitle check -v` prints them. Conditions and derivations run on every
// decision; messages only when their rule fires.
func (s *Set) Unlowered() []Problem {
	var out []Problem
	add := func(r *Rule, role string, p *program) {
		if p != nil && !p.fast.Lowered() {
			out = append(out, Problem{Pos: p.pos, Msg: fmt.Sprintf("rule %s, %s: %q runs on the expr VM: the lowering cannot take %s", r.ID, role, strings.TrimSpace(p.src), p.why)})
		}
	}
	addTemplate := func(r *Rule, role string, t *template) {
		if t != nil {
			for _, h := range t.holes {
				add(r, role, h)
			}
		}
	}
	for _, r := range s.rules {
		add(r, "when", r.when)
		for _, se := range r.sets {
			add(r, "set "+se.target.name, se.value)
		}
		if r.deny != nil {
			addTemplate(r, "message", r.deny.field)
			addTemplate(r, "message", r.deny.message)
		}
		addTemplate(r, "message", r.hold)
	}
	return out
}
