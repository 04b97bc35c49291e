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

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	exprcompiler "github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/vm"
)

// Scope says what a rule is evaluated for: the order once, or each line.
type Scope uint8

// The scopes.
const (
	ScopeOrder Scope = iota
	ScopeLine
)

// String returns "order" or "line".
func (s Scope) String() string {
	if s == ScopeLine {
		return "line"
	}
	return "order"
}

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
	Scope       Scope
	Phase       Phase

	index uint16
	when  *program
	deny  *denyEffect
	sets  []setEffect
	hold  *template
}

type denyEffect struct {
	code    string
	field   *template
	message *template
}

type setEffect struct {
	target *settable
	value  *program
	label  string // "field<-rule-id", as LineOutcome.Derived lists it
}

// program is one compiled expression: the expr bytecode, and a Go closure
// when the expression has a shape the lowering compiler handles.
type program struct {
	src  string
	pos  Pos
	prog *vm.Program
	fast fastFunc
}

// template is a message with {{ expression }} holes.
type template struct {
	lits  []string   // len(lits) == len(holes)+1
	holes []*program // evaluated only when the rule fires
}

// Set is a loaded and compiled collection of ruleset files: the unit the
// engine swaps in atomically. A Set is immutable and safe for concurrent use.
type Set struct {
	hash    string
	files   []string
	rules   []*Rule // file order
	ruleIDs []string
	byPhase [2][numPhases][]*Rule // [scope][phase]
	sources map[string][]byte     // the files, for the tests they hold
}

// Hash returns the content hash of the files the set was loaded from
// (sha256 over names and contents, hex). Decisions carry it.
func (s *Set) Hash() string { return s.hash }

// Files returns the names of the files the set was loaded from, in order.
func (s *Set) Files() []string { return append([]string(nil), s.files...) }

// Rules returns the compiled rules in file order.
func (s *Set) Rules() []*Rule { return append([]*Rule(nil), s.rules...) }

// Load reads every *.yaml and *.yml file at the root of fsys, in name order,
// and compiles it. Every expression is type-checked against its scope's
// environment; every problem in every file is reported at once as a
// *LoadError whose lines read file:line:col: message.
func Load(fsys fs.FS) (*Set, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("rules: reading rulesets: %w", err)
	}
	var names []string
	for _, e := range entries {
		if ext := path.Ext(e.Name()); !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, errors.New("rules: no *.yaml ruleset files found")
	}
	files := make(map[string][]byte, len(names))
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("rules: reading %s: %w", n, err)
		}
		files[n] = b
	}
	return compileFiles(names, files)
}

func compileFiles(names []string, files map[string][]byte) (*Set, error) {
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(files[n]))
		h.Write(files[n])
	}
	set := &Set{hash: hex.EncodeToString(h.Sum(nil)), files: names, sources: files}
	var ps problems
	c := newCompiler(&ps)
	seen := map[string]Pos{}
	for _, name := range names {
		// Tests and fixtures are parsed only when tests run: the engine
		// never needs them, and they are most of a file's text.
		root := parseYAML(name, blankSections(files[name], "tests", "fixtures"), &ps)
		if root == nil {
			continue
		}
		if root.kind != mapNode {
			ps.add(root.pos, "a ruleset file is a mapping with ruleset, params, tables, rules, fixtures and tests")
			continue
		}
		root.checkKeys(&ps, "a ruleset file", "ruleset", "description", "params", "tables", "rules", "fixtures", "tests")
		if n := root.field("ruleset"); n == nil {
			ps.add(root.pos, "missing field %q: name the ruleset", "ruleset")
		} else if _, ok := n.str(); !ok {
			ps.add(n.pos, "ruleset: want a name")
		}
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
			set.byPhase[r.Scope][r.Phase] = append(set.byPhase[r.Scope][r.Phase], r)
		}
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return set, nil
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
	switch s, _ := rn.field("scope").str(); s {
	case "order":
		r.Scope = ScopeOrder
	case "line":
		r.Scope = ScopeLine
	case "":
		ps.add(rn.pos, "rule %s: missing scope (order or line)", id)
		return nil
	default:
		ps.add(rn.field("scope").pos, "rule %s: scope %q is not order or line", id, s)
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
	sc := r.Scope
	wn := rn.field("when")
	if wn == nil {
		ps.add(rn.pos, "rule %s: missing when (a condition; write true to always fire)", id)
		return nil
	}
	r.when = c.expr(wn, sc, boolType)

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
			t := settableField(r.Scope, name)
			if t == nil {
				ps.add(k.pos, "rule %s: %s cannot be derived in %s scope (derivable: %s)", id, name, r.Scope, settableNames(r.Scope))
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

func (c *compiler) deny(id string, n *node, sc Scope) *denyEffect {
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

var boolType = reflect.TypeOf(true)

// expr compiles the string held by n in scope sc. want is the type the result
// must have, or nil for any.
func (c *compiler) expr(n *node, sc Scope, want reflect.Type) *program {
	src, ok := n.str()
	if !ok {
		if b, isBool := n.value.(bool); isBool && n.kind == scalarNode {
			src = fmt.Sprint(b)
		} else {
			c.ps.add(n.pos, "want an expression")
			return nil
		}
	}
	return c.source(src, n, 0, sc, want)
}

// compiler compiles the expressions of one Load. It keeps one expr
// configuration per scope (environment, vocabulary, operators, the constant
// folder) instead of building one per expression.
type compiler struct {
	ps       *problems
	folder   *constFolder
	cfgs     [2]*conf.Config
	envTypes [2]reflect.Type
}

func newCompiler(ps *problems) *compiler {
	c := &compiler{ps: ps, folder: &constFolder{}}
	for sc, env := range [2]any{&OrderEnv{}, &LineEnv{}} {
		cfg := conf.CreateNew()
		for _, op := range append(exprOptions(), expr.Env(env), expr.Patch(c.folder), expr.MaxNodes(maxNodes)) {
			op(cfg)
		}
		for name := range cfg.Disabled {
			delete(cfg.Builtins, name)
		}
		cfg.Check()
		c.cfgs[sc], c.envTypes[sc] = cfg, reflect.TypeOf(env)
	}
	return c
}

// setConstants makes params and tables of the file being compiled visible.
func (c *compiler) setConstants(k *constants) { c.folder.consts = k }

// source compiles src, which starts at rune offset off of n's string.
func (c *compiler) source(src string, n *node, off int, sc Scope, want reflect.Type) *program {
	c.folder.errs = c.folder.errs[:0]
	cfg := c.cfgs[sc]
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
			c.ps.add(n.offsetPos(fe.Line, fe.Column+off), "%s", authorNames.Replace(fe.Message))
		} else {
			c.ps.add(n.offsetPos(1, off), "%v", err)
		}
		return nil
	}
	if want != nil {
		if got := prog.Node().Type(); got != want {
			c.ps.add(n.offsetPos(1, off), "the expression is of type %s, want %s", typeName(got), typeName(want))
			return nil
		}
	}
	return &program{src: src, pos: n.offsetPos(1, off), prog: prog, fast: lower(prog.Node(), c.envTypes[sc])}
}

// authorNames rewrites Go type names in expr's messages to the names rule
// authors write: "type rules.SerialFacts has no field x" reads "serial has no
// field x".
var authorNames = strings.NewReplacer(
	"type *rules.OrderFacts", "order", "type rules.OrderFacts", "order",
	"type *rules.LineFacts", "line", "type rules.LineFacts", "line",
	"type *rules.PartFacts", "part", "type rules.PartFacts", "part",
	"type *rules.ModelFacts", "model", "type rules.ModelFacts", "model",
	"type *rules.SerialFacts", "serial", "type rules.SerialFacts", "serial",
	"type *rules.SubscriptionFacts", "subscription", "type rules.SubscriptionFacts", "subscription",
	"*rules.", "", "rules.", "", "domain.Date", "date",
)

func typeName(t reflect.Type) string {
	switch t {
	case nil:
		return "unknown"
	case dateType:
		return "date"
	case boolType:
		return "bool"
	}
	return authorNames.Replace(t.String())
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
func (c *compiler) template(n *node, sc Scope) *template {
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

// settable is a field a set effect may derive. field returns a pointer to
// it (*domain.Date, *string or *bool) in the line or the order.
type settable struct {
	name  string
	scope Scope
	typ   reflect.Type
	field func(*LineFacts, *OrderFacts) any
}

var settables = []*settable{
	{"serviceStartDate", ScopeLine, dateType, func(l *LineFacts, _ *OrderFacts) any { return &l.ServiceStartDate }},
	{"serviceEndDate", ScopeLine, dateType, func(l *LineFacts, _ *OrderFacts) any { return &l.ServiceEndDate }},
	{"activationDate", ScopeLine, dateType, func(l *LineFacts, _ *OrderFacts) any { return &l.ActivationDate }},
	{"autoRenewal", ScopeLine, boolType, func(l *LineFacts, _ *OrderFacts) any { return &l.AutoRenewal }},
	{"activationType", ScopeLine, stringType, func(l *LineFacts, _ *OrderFacts) any { return &l.ActivationType }},
	{"ssoUserEmailAddress", ScopeLine, stringType, func(l *LineFacts, _ *OrderFacts) any { return &l.SSOUserEmail }},
	{"simIncludedFlag", ScopeLine, stringType, func(l *LineFacts, _ *OrderFacts) any { return &l.SimIncludedFlag }},
	{"carrierName", ScopeLine, stringType, func(l *LineFacts, _ *OrderFacts) any { return &l.CarrierName }},
	{"serviceType", ScopeLine, stringType, func(l *LineFacts, _ *OrderFacts) any { return &l.ServiceType }},
	{"serialNumber", ScopeLine, stringType, func(l *LineFacts, _ *OrderFacts) any { return &l.SerialNumber }},
	{"activationCountry", ScopeOrder, stringType, func(_ *LineFacts, o *OrderFacts) any { return &o.ActivationCountry }},
}

var stringType = reflect.TypeOf("")

func settableField(s Scope, name string) *settable {
	for _, t := range settables {
		if t.name == name && t.scope == s {
			return t
		}
	}
	return nil
}

func settableNames(s Scope) string {
	var names []string
	for _, t := range settables {
		if t.scope == s {
			names = append(names, t.name)
		}
	}
	return strings.Join(names, ", ")
}
