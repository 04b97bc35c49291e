package rules

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"unsafe"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	exprcompiler "github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/vm"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules/internal/lower"
)

// Phase orders rule evaluation: every normalize rule runs before every derive
// rule, and so on; within a phase, file order decides.
type Phase uint8

// The phases, in evaluation order.
const (
	Normalize Phase = iota
	Derive
	Validate
	Decide
	numPhases
)

var phaseNames = [...]string{"normalize", "derive", "validate", "decide"}

// String returns the phase's name as written in rule files.
func (p Phase) String() string { return phaseNames[p] }

// maxNodes bounds the size of an author-written expression.
const maxNodes = 400

// Rule is a compiled rule.
type Rule struct {
	ID          string
	Description string
	Pos         Pos
	Scope       string // the scope's name
	Phase       Phase

	scope *scopeInfo
	index uint16
	guard int    // index into the set's guards, -1 for none
	lead  *guard // the leading field test, shared through the set's guards
	// rest decides the condition when the guard holds: the condition
	// without its leading test (nil when the test is all of it).
	rest     func(unsafe.Pointer) bool
	restSafe bool  // rest cannot meet a nil, so needs no recover
	forget   []int // the guards whose field the rule's set effects derive
	when     *program
	deny     *denyEffect
	sets     []setEffect
	hold     *template
}

type denyEffect struct {
	code    string
	field   *template
	message *template
}

type setEffect struct {
	target *settable
	value  *program
	label  string // "field<-rule-id", as Run.Derived lists it
}

// program is one compiled expression: the expr bytecode, and a Go closure
// when the expression has a shape the lowering compiler handles.
type program struct {
	src  string
	pos  Pos
	prog *vm.Program
	fast lower.Func
	// why says which node kept the expression on the VM ("" when lowered).
	why string
}

// template is a message with {{ expression }} holes.
type template struct {
	lits  []string   // len(lits) == len(holes)+1
	holes []*program // evaluated only when the rule fires
}

// Set is a loaded and compiled collection of ruleset files: the unit the
// engine swaps in atomically. A Set is immutable and safe for concurrent use.
type Set struct {
	lang    *Language
	hash    string
	files   []string
	rules   []*Rule // file order
	ruleIDs []string
	trace   []domain.TraceRule   // the rules as decisions' traces name them
	guards  []*guard             // the distinct leading guards of the rules
	byScope [][numPhases][]*Rule // [index of the scope in lang][phase]
	// steps[scope] are the scope's rules as the evaluation loop reads them,
	// phase after phase; those of phase p are steps[scope][phaseAt[scope][p]:
	// phaseAt[scope][p+1]].
	steps   [][]step
	phaseAt [][numPhases + 1]int
	sources map[string][]byte // the files, for the tests they hold
	skipped []Skipped         // the files left out, with the context each declares
}

// Hash returns the content hash of the files the set was loaded from
// (sha256 over names and contents, hex). Decisions carry it.
func (s *Set) Hash() string { return s.hash }

// Files returns the names of the files the set was loaded from, in order.
func (s *Set) Files() []string { return append([]string(nil), s.files...) }

// Rules returns the compiled rules in file order.
func (s *Set) Rules() []*Rule { return append([]*Rule(nil), s.rules...) }

// readFiles reads the *.yaml and *.yml files at the root of fsys, in name
// order.
func readFiles(fsys fs.FS) ([]string, map[string][]byte, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, nil, fmt.Errorf("rules: reading rulesets: %w", err)
	}
	var names []string
	for _, e := range entries {
		if ext := path.Ext(e.Name()); !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, nil, errors.New("rules: no *.yaml ruleset files found")
	}
	files := make(map[string][]byte, len(names))
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, nil, fmt.Errorf("rules: reading %s: %w", n, err)
		}
		files[n] = b
	}
	return names, files, nil
}

// Compile compiles the named ruleset files (their contents in files), in the
// order of names, as Load does.
func (l *Language) Compile(names []string, files map[string][]byte) (*Set, error) {
	set := &Set{lang: l, sources: files, byScope: make([][numPhases][]*Rule, len(l.scopes))}
	var ps problems
	c := newCompiler(l, &ps)
	seen := map[string]Pos{}
	for _, name := range names {
		// Tests and fixtures are parsed only when tests run: the engine
		// never needs them, and they are most of a file's text.
		root := parseYAML(name, blankSections(files[name], "tests", "fixtures"), &ps)
		if root == nil {
			continue
		}
		if root.kind != mapNode {
			ps.add(root.pos, "a ruleset file is a mapping with ruleset, context, params, tables, rules, fixtures and tests")
			continue
		}
		root.checkKeys(&ps, "a ruleset file", "ruleset", "context", "description", "params", "tables", "rules", "fixtures", "tests")
		if n := root.field("ruleset"); n == nil {
			ps.add(root.pos, "missing field %q: name the ruleset", "ruleset")
		} else if _, ok := n.str(); !ok {
			ps.add(n.pos, "ruleset: want a name")
		}
		fileCtx, ok := fileContext(root, &ps)
		if !ok {
			continue
		}
		if !l.hasContext(fileCtx) {
			c.leftOut(root, fileCtx)
			set.skipped = append(set.skipped, Skipped{File: name, Context: fileCtx})
			continue
		}
		set.files = append(set.files, name)
		c.context = fileCtx
		c.setConstants(readConstants(root, &ps))
		rs := root.field("rules")
		if rs == nil {
			continue
		}
		if rs.kind != seqNode {
			ps.add(rs.pos, "rules: want a list of rules")
			continue
		}
		for _, rn := range rs.items {
			r := c.rule(rn)
			if r == nil {
				continue
			}
			if prev, dup := seen[r.ID]; dup {
				ps.add(rn.field("id").pos, "rule id %q is already used at %s", r.ID, prev)
				continue
			}
			seen[r.ID] = r.Pos
			r.index = uint16(len(set.rules))
			set.rules = append(set.rules, r)
			set.ruleIDs = append(set.ruleIDs, r.ID)
			set.trace = append(set.trace, domain.TraceRule{ID: r.ID, Scope: uint8(set.scopeIndex(r.scope)), Phase: uint8(r.Phase)})
			si := set.scopeIndex(r.scope)
			set.byScope[si][r.Phase] = append(set.byScope[si][r.Phase], r)
			set.addGuard(r)
		}
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	// The hash covers the files compiled, the rules in force: a file left
	// out changes no decision.
	h := sha256.New()
	for _, n := range set.files {
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(files[n]))
		h.Write(files[n])
	}
	set.hash = hex.EncodeToString(h.Sum(nil))
	set.indexRuns()
	set.indexForgets()
	return set, nil
}

// Skipped is a rule file Load left out: it belongs to a context none of the
// language's scopes belongs to (the one it declares with `context: seats`,
// or, when it declares none, that of the scopes declared without one, the
// store API's), so its rules, fixtures and tests are another program's
// business. Context is "" for a file that declares none.
type Skipped struct {
	File    string
	Context string
}

// Skipped returns the files Load left out, in name order, with the context
// each declares. A program that serves every context leaves out none; one
// that does may report them (`entitle check` should).
func (s *Set) Skipped() []Skipped { return append([]Skipped(nil), s.skipped...) }

// fileContext returns the context a file declares ("" for none), and false
// when the declaration is malformed (reported).
func fileContext(root *node, ps *problems) (string, bool) {
	n := root.field("context")
	if n == nil {
		return "", true
	}
	s, ok := n.str()
	if !ok || !identRE.MatchString(s) {
		ps.add(n.pos, "context: want the name of the context the file's rules belong to (such as seats)")
		return "", false
	}
	return s, true
}

// leftOut checks a file the language leaves out: none of its rules may be
// written in a scope the language knows, or leaving the file out would drop
// a rule of a context the program runs.
func (c *compiler) leftOut(root *node, fileCtx string) {
	rs := root.field("rules")
	if rs == nil || rs.kind != seqNode {
		return
	}
	for _, rn := range rs.items {
		if rn.kind != mapNode {
			continue
		}
		sn := rn.field("scope")
		name, _ := sn.str()
		sc := c.lang.scope(name)
		if sc == nil {
			continue
		}
		id, _ := rn.field("id").str()
		if fileCtx == "" {
			c.ps.add(sn.pos, "rule %s: scope %q belongs to context %s: declare `context: %s` at the top of the file", id, name, sc.context, sc.context)
			continue
		}
		ctx := "context " + sc.context
		if sc.context == "" {
			ctx = "the files without a context"
		}
		c.ps.add(sn.pos, "rule %s: scope %q belongs to %s, but the file declares context %q, which this language does not load (its contexts: %s), so the rule would be dropped; fix the file's context", id, name, ctx, fileCtx, c.lang.contextList())
	}
}

// indexRuns fills steps and phaseAt.
func (s *Set) indexRuns() {
	s.steps = make([][]step, len(s.byScope))
	s.phaseAt = make([][numPhases + 1]int, len(s.byScope))
	for si := range s.byScope {
		var steps []step
		for ph, rs := range s.byScope[si] {
			base := len(steps)
			s.phaseAt[si][ph] = base
			// next[i] is the position after the run of rules, from i on,
			// that share rule i's guard: when the guard is false the whole
			// run is skipped at once (no rule of it can derive the field it
			// reads). Runs end with their phase.
			next := make([]int, len(rs))
			for i := len(rs) - 1; i >= 0; i-- {
				next[i] = i + 1
				if i+1 < len(rs) && rs[i].guard >= 0 && rs[i+1].guard == rs[i].guard {
					next[i] = next[i+1]
				}
			}
			for i, r := range rs {
				st := step{rule: r, guard: int32(r.guard), skip: int32(base + next[i])}
				switch {
				case r.guard >= 0:
					st.cond, st.safe, st.gfn = r.rest, r.restSafe, s.guards[r.guard].fn
				case r.when.fast.B != nil:
					st.cond, st.safe = r.when.fast.B, r.when.fast.Safe
				}
				steps = append(steps, st)
			}
		}
		s.phaseAt[si][numPhases] = len(steps)
		s.steps[si] = steps
	}
}

// step is a rule as the evaluation loop reads it, in one array per scope
// and phase. cond is the condition's closure (after the guard, when there is
// one; nil with a guard when the guard is all of it, nil without one when
// the condition runs on the VM).
type step struct {
	cond  func(unsafe.Pointer) bool
	gfn   func(unsafe.Pointer) bool // the guard's test
	rule  *Rule
	guard int32 // index into the set's guards, -1 for none
	skip  int32 // the position after the run of rules sharing the guard
	safe  bool  // cond cannot meet a nil, so needs no recover
}

// blankSections returns data with the lines of the named top-level sections
// emptied, so the rest parses with every position unchanged.
func blankSections(data []byte, keys ...string) []byte {
	out := make([]byte, 0, len(data))
	blank := false
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		line := data
		if i >= 0 {
			line, data = data[:i+1], data[i+1:]
		} else {
			data = nil
		}
		if len(line) > 0 && line[0] != ' ' && line[0] != '\t' && line[0] != '#' && line[0] != '\n' && line[0] != '\r' {
			blank = false
			for _, k := range keys {
				if bytes.HasPrefix(line, []byte(k+":")) {
					blank = true
				}
			}
		}
		if blank {
			if line[len(line)-1] == '\n' {
				out = append(out, '\n')
			}
			continue
		}
		out = append(out, line...)
	}
	return out
}

// constants are a file's params and tables, folded into expressions at load.
type constants struct {
	params map[string]any
	tables map[string]any
}

func readConstants(root *node, ps *problems) *constants {
	c := &constants{params: map[string]any{}, tables: map[string]any{}}
	read := func(key string, into map[string]any) {
		n := root.field(key)
		if n == nil {
			return
		}
		if n.kind != mapNode {
			ps.add(n.pos, "%s: want a mapping of names to values", key)
			return
		}
		for i, k := range n.keys {
			name, _ := k.str()
			if !identRE.MatchString(name) {
				ps.add(k.pos, "%s: %q is not a name (letters, digits and _)", key, name)
				continue
			}
			into[name] = n.vals[i].plain()
		}
	}
	read("params", c.params)
	read("tables", c.tables)
	return c
}

var (
	identRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	ruleIDRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	codeRE   = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
)

func (c *compiler) rule(rn *node) *Rule {
	ps := c.ps
	if rn.kind != mapNode {
		ps.add(rn.pos, "a rule is a mapping with id, scope, phase, when and one effect (deny, set or hold)")
		return nil
	}
	rn.checkKeys(ps, "a rule", "id", "description", "scope", "phase", "when", "deny", "set", "hold")
	r := &Rule{Pos: rn.pos}
	idn := rn.field("id")
	id, ok := idn.str()
	if !ok || !ruleIDRE.MatchString(id) {
		ps.add(rn.pos, "a rule needs an id of lower-case letters, digits, '.', '_' and '-'")
		return nil
	}
	r.ID = id
	if d, ok := rn.field("description").str(); ok {
		r.Description = d
	}
	switch s, _ := rn.field("scope").str(); {
	case s == "":
		ps.add(rn.pos, "rule %s: missing scope (%s)", id, strings.Join(c.lang.Scopes(), ", "))
		return nil
	case c.lang.scope(s) == nil:
		ps.add(rn.field("scope").pos, "rule %s: scope %q is not one of %s", id, s, strings.Join(c.lang.Scopes(), ", "))
		return nil
	default:
		r.Scope, r.scope = s, c.lang.scope(s)
	}
	if sc := r.scope; sc.context != c.context {
		pos := rn.field("scope").pos
		switch {
		case c.context == "":
			ps.add(pos, "rule %s: scope %q belongs to context %s: declare `context: %s` at the top of the file", id, r.Scope, sc.context, sc.context)
		case sc.context == "":
			ps.add(pos, "rule %s: scope %q belongs to the files without a context, and this file declares context %s (its scopes: %s)", id, r.Scope, c.context, strings.Join(c.lang.scopesOf(c.context), ", "))
		default:
			ps.add(pos, "rule %s: scope %q belongs to context %s, not %s, which this file declares", id, r.Scope, sc.context, c.context)
		}
		return nil
	}
	deny, set, hold := rn.field("deny"), rn.field("set"), rn.field("hold")
	effects := 0
	for _, e := range []*node{deny, set, hold} {
		if e != nil {
			effects++
		}
	}
	if effects != 1 {
		ps.add(rn.pos, "rule %s: give exactly one effect: deny, set or hold", id)
		return nil
	}
	r.Phase = Validate
	if set != nil {
		r.Phase = Derive
	}
	if pn := rn.field("phase"); pn != nil {
		s, _ := pn.str()
		found := false
		for i, name := range phaseNames {
			if s == name {
				r.Phase, found = Phase(i), true
			}
		}
		if !found {
			ps.add(pn.pos, "rule %s: phase %q is not one of %s", id, s, strings.Join(phaseNames[:], ", "))
		}
	}
	sc := r.scope
	wn := rn.field("when")
	if wn == nil {
		ps.add(rn.pos, "rule %s: missing when (a condition; write true to always fire)", id)
		return nil
	}
	r.when = c.expr(wn, sc, boolType)
	r.guard = -1
	if r.when != nil && r.when.fast.Lowered() {
		r.setGuard(sc)
	}

	switch {
	case deny != nil:
		r.deny = c.deny(id, deny, sc)
	case hold != nil:
		if hold.kind == mapNode {
			hold.checkKeys(ps, "hold", "reason")
			hold = hold.field("reason")
		}
		if s, ok := hold.str(); !ok || s == "" {
			ps.add(rn.pos, "rule %s: hold needs a reason", id)
		} else {
			r.hold = c.template(hold, sc)
		}
	case set != nil:
		if set.kind != mapNode || len(set.keys) == 0 {
			ps.add(set.pos, "rule %s: set is a mapping of derivable fields to expressions", id)
			break
		}
		for i, k := range set.keys {
			name, _ := k.str()
			t := sc.settable(name)
			if t == nil {
				ps.add(k.pos, "rule %s: %s cannot be derived in %s scope (derivable: %s)", id, name, r.Scope, sc.settableNames())
				continue
			}
			p := c.expr(set.vals[i], sc, t.typ)
			if p != nil {
				r.sets = append(r.sets, setEffect{target: t, value: p, label: name + "<-" + id})
			}
		}
	}
	return r
}

func (c *compiler) deny(id string, n *node, sc *scopeInfo) *denyEffect {
	ps := c.ps
	if n.kind != mapNode {
		ps.add(n.pos, "rule %s: deny is a mapping with code, field and message", id)
		return nil
	}
	n.checkKeys(ps, "deny", "code", "field", "message")
	d := &denyEffect{}
	code, ok := n.field("code").str()
	if !ok || !codeRE.MatchString(code) {
		ps.add(n.pos, "rule %s: deny needs a code in UPPER_SNAKE_CASE", id)
	}
	d.code = code
	if f := n.field("field"); f != nil {
		d.field = c.template(f, sc)
	}
	if m := n.field("message"); m == nil {
		ps.add(n.pos, "rule %s: deny needs a message a person can act on", id)
	} else {
		d.message = c.template(m, sc)
	}
	return d
}

// expr compiles the string held by n in scope sc. want is the type the result
// must have, or nil for any.
func (c *compiler) expr(n *node, sc *scopeInfo, want reflect.Type) *program {
	src, ok := n.str()
	if !ok {
		if n.kind == scalarNode && n.value != nil {
			src = fmt.Sprint(n.value) // a bare true or 21 is an expression too
		} else {
			c.ps.add(n.pos, "want an expression")
			return nil
		}
	}
	return c.source(src, n, 0, sc, want)
}

// compiler compiles the expressions of one Load. It keeps one expr
// configuration per scope (environment, vocabulary, operators, the constant
// folder), made when the scope's first expression is compiled.
type compiler struct {
	lang    *Language
	context string // the context the file being compiled declares
	ps      *problems
	folder  *constFolder
	cfgs    map[*scopeInfo]*conf.Config
	names   map[*scopeInfo]*strings.Replacer
}

func newCompiler(l *Language, ps *problems) *compiler {
	return &compiler{lang: l, ps: ps, folder: &constFolder{}, cfgs: map[*scopeInfo]*conf.Config{}, names: map[*scopeInfo]*strings.Replacer{}}
}

func (c *compiler) config(sc *scopeInfo) *conf.Config {
	if cfg := c.cfgs[sc]; cfg != nil {
		return cfg
	}
	cfg := conf.CreateNew()
	env := reflect.New(sc.env.Elem()).Interface()
	for _, op := range append(exprOptions(sc.funcs), expr.Env(env), expr.Patch(c.folder), expr.MaxNodes(maxNodes)) {
		op(cfg)
	}
	for name := range cfg.Disabled {
		delete(cfg.Builtins, name)
	}
	cfg.Check()
	c.cfgs[sc], c.names[sc] = cfg, authorNames(sc.env)
	return cfg
}

// setConstants makes params and tables of the file being compiled visible.
func (c *compiler) setConstants(k *constants) { c.folder.consts = k }

// source compiles src, which starts at rune offset off of n's string.
func (c *compiler) source(src string, n *node, off int, sc *scopeInfo, want reflect.Type) *program {
	c.folder.errs = c.folder.errs[:0]
	cfg := c.config(sc)
	names := c.names[sc]
	tree, err := checker.ParseCheck(src, cfg)
	if len(c.folder.errs) > 0 {
		for _, fe := range c.folder.errs {
			l, col := lineCol(src, fe.at)
			c.ps.add(n.offsetPos(l, col+off), "%s", fe.msg)
		}
		return nil
	}
	var prog *vm.Program
	if err == nil {
		if err = optimizer.Optimize(&tree.Node, cfg); err == nil {
			prog, err = exprcompiler.Compile(tree, cfg)
		}
	}
	if err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			fe = fe.Bind(file.NewSource(src))
			c.ps.add(n.offsetPos(fe.Line, fe.Column+off), "%s", names.Replace(fe.Message))
		} else {
			c.ps.add(n.offsetPos(1, off), "%v", err)
		}
		return nil
	}
	if want != nil {
		if got := prog.Node().Type(); got != want {
			c.ps.add(n.offsetPos(1, off), "the expression is of type %s, want %s", typeName(names, got), typeName(names, want))
			return nil
		}
	}
	fast, why := lower.Lower(prog.Node(), sc.env, sc.binders, sc.lazy)
	return &program{src: src, pos: n.offsetPos(1, off), prog: prog, fast: fast, why: why}
}

// authorNames rewrites Go type names in expr's messages to the names rule
// authors write: "type orders.SerialFacts has no field x" reads "serial has
// no field x". Each struct reachable from the environment is named by the
// expr tag of the first field of its type.
func authorNames(env reflect.Type) *strings.Replacer {
	var pairs []string
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		st := t.Elem()
		for i := 0; i < st.NumField(); i++ {
			f := st.Field(i)
			ft := f.Type
			if ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				ft = reflect.PointerTo(ft)
			}
			if !f.IsExported() || ft.Kind() != reflect.Pointer || ft.Elem().Kind() != reflect.Struct || seen[ft] || ft == reflect.PointerTo(dateType) {
				continue
			}
			seen[ft] = true
			name := f.Tag.Get("expr")
			if name == "" {
				name = f.Name
			}
			pairs = append(pairs, "type "+ft.String(), name, "type "+ft.Elem().String(), name)
			walk(ft)
		}
	}
	walk(env)
	if pkg := path.Base(env.Elem().PkgPath()); pkg != "." {
		pairs = append(pairs, "*"+pkg+".", "", pkg+".", "")
	}
	pairs = append(pairs, "domain.Date", "date")
	return strings.NewReplacer(pairs...)
}

func typeName(names *strings.Replacer, t reflect.Type) string {
	switch t {
	case nil:
		return "unknown"
	case dateType:
		return "date"
	case boolType:
		return "bool"
	}
	return names.Replace(t.String())
}

// lineCol converts a rune offset in src to a 1-based line and 0-based column.
func lineCol(src string, at int) (int, int) {
	line, col, i := 1, 0, 0
	for _, r := range src {
		if i == at {
			break
		}
		if r == '\n' {
			line, col = line+1, 0
		} else {
			col++
		}
		i++
	}
	return line, col
}

// constFolder replaces params.NAME and tables.NAME with their values, so a
// threshold is a constant in the compiled program, not a lookup.
type constFolder struct {
	consts *constants
	errs   []folderErr
}

type folderErr struct {
	at  int
	msg string
}

func (f *constFolder) Visit(np *ast.Node) {
	m, ok := (*np).(*ast.MemberNode)
	if !ok {
		return
	}
	id, ok := m.Node.(*ast.IdentifierNode)
	if !ok || (id.Value != "params" && id.Value != "tables") {
		return
	}
	prop, ok := m.Property.(*ast.StringNode)
	if !ok {
		f.errs = append(f.errs, folderErr{m.Location().From, id.Value + " must be followed by .name"})
		return
	}
	src := f.consts.params
	if id.Value == "tables" {
		src = f.consts.tables
	}
	v, ok := src[prop.Value]
	if !ok {
		f.errs = append(f.errs, folderErr{m.Location().From, fmt.Sprintf("unknown %s.%s (declared: %s)", id.Value, prop.Value, keyList(src))})
		return
	}
	ast.Patch(np, constNode(v))
}

func keyList(m map[string]any) string {
	if len(m) == 0 {
		return "none"
	}
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

// constNode turns a YAML value into an expr constant: literals for scalars, an
// array of literals for a list of scalars (expr turns `x in [...]` into a set
// lookup), and a constant for anything else.
func constNode(v any) ast.Node {
	switch x := v.(type) {
	case int:
		return &ast.IntegerNode{Value: x}
	case float64:
		return &ast.FloatNode{Value: x}
	case string:
		return &ast.StringNode{Value: x}
	case bool:
		return &ast.BoolNode{Value: x}
	case nil:
		return &ast.NilNode{}
	case []any:
		nodes := make([]ast.Node, 0, len(x))
		for _, e := range x {
			switch e.(type) {
			case int, float64, string, bool:
				nodes = append(nodes, constNode(e))
			default:
				return &ast.ConstantNode{Value: x}
			}
		}
		return &ast.ArrayNode{Nodes: nodes}
	}
	return &ast.ConstantNode{Value: v}
}

var holeRE = regexp.MustCompile(`\{\{(.*?)\}\}`)

// compileTemplate compiles a message with {{ expression }} holes.
func (c *compiler) template(n *node, sc *scopeInfo) *template {
	s, ok := n.str()
	if !ok {
		c.ps.add(n.pos, "want text")
		return nil
	}
	t := &template{}
	last := 0
	for _, m := range holeRE.FindAllStringSubmatchIndex(s, -1) {
		t.lits = append(t.lits, s[last:m[0]])
		src := s[m[2]:m[3]]
		off := len([]rune(s[:m[2]]))
		p := c.source(src, n, off, sc, nil)
		if p == nil {
			return nil
		}
		t.holes = append(t.holes, p)
		last = m[1]
	}
	t.lits = append(t.lits, s[last:])
	return t
}

// scopeIndex returns the index of sc in the set's language.
func (s *Set) scopeIndex(sc *scopeInfo) int {
	for i, x := range s.lang.scopes {
		if x == sc {
			return i
		}
	}
	return -1
}

// addGuard gives r the index of its guard, shared with every rule of the
// same scope whose guard is the same expression.
func (s *Set) addGuard(r *Rule) {
	r.guard = -1
	if r.lead == nil {
		return
	}
	key := r.Scope + "\x00" + r.lead.key
	for i, g := range s.guards {
		if g.key == key {
			r.guard = i
			return
		}
	}
	r.guard = len(s.guards)
	s.guards = append(s.guards, &guard{key: key, fn: r.lead.fn, field: r.lead.field})
}

// setGuard gives r its leading guard and the rest of its condition, when
// both lower.
func (r *Rule) setGuard(sc *scopeInfo) {
	g, rest := leadingGuard(r.when.prog.Node(), sc)
	if g == nil {
		return
	}
	if rest != nil {
		f, _ := lower.Lower(rest, sc.env, sc.binders, sc.lazy)
		if f.B == nil {
			return
		}
		r.rest, r.restSafe = f.B, f.Safe
	}
	r.lead = g
}

// indexForgets lists, for each rule deriving a field, the guards of its
// scope that read that field: they are computed again after it fires.
func (s *Set) indexForgets() {
	for _, r := range s.rules {
		r.forget = nil
		for _, se := range r.sets {
			for i, g := range s.guards {
				if g.field == se.target.leaf && strings.HasPrefix(g.key, r.Scope+"\x00") {
					r.forget = append(r.forget, i)
				}
			}
		}
	}
}
