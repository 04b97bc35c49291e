package rules

import (
	"fmt"
	"sort"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Pos is a position in a ruleset file; Line and Col count from 1.
type Pos struct {
	File string
	Line int
	Col  int
}

// String formats p as file:line:col.
func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Problem is one error in a ruleset file, at a position.
type Problem struct {
	Pos Pos
	Msg string
}

func (p Problem) String() string { return p.Pos.String() + ": " + p.Msg }

// LoadError lists every problem found while loading rulesets, so an author sees
// them all at once. Its Error is one "file:line:col: message" per line.
type LoadError struct {
	Problems []Problem
}

func (e *LoadError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

type problems struct{ list []Problem }

func (ps *problems) add(pos Pos, format string, args ...any) {
	ps.list = append(ps.list, Problem{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	sort.SliceStable(ps.list, func(i, j int) bool {
		a, b := ps.list[i].Pos, ps.list[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return &LoadError{Problems: ps.list}
}

// node is a YAML node with its position, decoupled from the parser's AST.
type node struct {
	pos   Pos
	kind  nodeKind
	keys  []*node // mapping keys (scalars), in file order
	vals  []*node // mapping values
	items []*node // sequence items
	value any     // scalar: string, int64, uint64, float64, bool or nil
	// exprPos maps an offset inside a string scalar to a file position.
	block  bool // a literal or folded block scalar
	quoted bool
	raw    ast.Node
}

type nodeKind uint8

const (
	scalarNode nodeKind = iota
	mapNode
	seqNode
)

func (k nodeKind) String() string {
	switch k {
	case mapNode:
		return "a mapping"
	case seqNode:
		return "a list"
	}
	return "a value"
}

// parseYAML parses one file into nodes, or reports where it is malformed.
func parseYAML(name string, data []byte, ps *problems) *node {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		pos := Pos{File: name, Line: 1, Col: 1}
		msg := err.Error()
		var se interface{ GetToken() *token.Token }
		if e, ok := err.(interface{ GetToken() *token.Token }); ok {
			se = e
		}
		if se != nil && se.GetToken() != nil {
			p := se.GetToken().Position
			pos = Pos{File: name, Line: p.Line, Col: p.Column}
			if e, ok := err.(interface{ GetMessage() string }); ok {
				msg = e.GetMessage()
			}
		}
		ps.add(pos, "YAML: %s", firstLine(msg))
		return nil
	}
	if len(f.Docs) == 0 || f.Docs[0].Body == nil {
		ps.add(Pos{File: name, Line: 1, Col: 1}, "the file is empty")
		return nil
	}
	if len(f.Docs) > 1 {
		ps.add(posOf(name, f.Docs[1].Body), "a ruleset file holds one YAML document")
	}
	return convert(name, f.Docs[0].Body)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

func posOf(name string, n ast.Node) Pos {
	if n == nil || n.GetToken() == nil {
		return Pos{File: name, Line: 1, Col: 1}
	}
	p := n.GetToken().Position
	return Pos{File: name, Line: p.Line, Col: p.Column}
}

func convert(name string, n ast.Node) *node {
	switch v := n.(type) {
	case *ast.DocumentNode:
		return convert(name, v.Body)
	case *ast.AnchorNode:
		return convert(name, v.Value)
	case *ast.AliasNode:
		return convert(name, v.Value)
	case *ast.TagNode:
		return convert(name, v.Value)
	case *ast.MappingNode:
		out := &node{pos: posOf(name, v), kind: mapNode, raw: v}
		for _, mv := range v.Values {
			out.keys = append(out.keys, convert(name, mv.Key))
			out.vals = append(out.vals, convertValue(name, mv.Value, mv))
		}
		return out
	case *ast.MappingValueNode:
		out := &node{pos: posOf(name, v), kind: mapNode, raw: v}
		out.keys = append(out.keys, convert(name, v.Key))
		out.vals = append(out.vals, convertValue(name, v.Value, v))
		return out
	case *ast.SequenceNode:
		out := &node{pos: posOf(name, v), kind: seqNode, raw: v}
		for _, it := range v.Values {
			out.items = append(out.items, convert(name, it))
		}
		return out
	case *ast.LiteralNode:
		out := &node{pos: posOf(name, v.Value), kind: scalarNode, value: v.Value.Value, block: true, raw: v}
		return out
	case *ast.StringNode:
		t := v.GetToken()
		q := t != nil && (t.Type == token.DoubleQuoteType || t.Type == token.SingleQuoteType)
		return &node{pos: posOf(name, v), kind: scalarNode, value: v.Value, quoted: q, raw: v}
	case *ast.IntegerNode:
		return &node{pos: posOf(name, v), kind: scalarNode, value: v.Value, raw: v}
	case *ast.FloatNode:
		return &node{pos: posOf(name, v), kind: scalarNode, value: v.Value, raw: v}
	case *ast.BoolNode:
		return &node{pos: posOf(name, v), kind: scalarNode, value: v.Value, raw: v}
	case *ast.NullNode:
		return &node{pos: posOf(name, v), kind: scalarNode, value: nil, raw: v}
	case nil:
		return &node{kind: scalarNode}
	}
	// Other scalars (infinity, NaN, merge keys...) are kept as their text.
	return &node{pos: posOf(name, n), kind: scalarNode, value: n.String(), raw: n}
}

// convertValue converts a mapping value; an empty value takes the position of
// its key's colon so errors about it point somewhere useful.
func convertValue(name string, n ast.Node, parent *ast.MappingValueNode) *node {
	out := convert(name, n)
	if out.pos.Line == 0 {
		out.pos = posOf(name, parent)
	}
	return out
}

// str returns the scalar as a string and whether it is one.
func (n *node) str() (string, bool) {
	if n == nil || n.kind != scalarNode {
		return "", false
	}
	s, ok := n.value.(string)
	return s, ok
}

// field returns the value under key in a mapping, or nil.
func (n *node) field(key string) *node {
	for i, k := range n.keys {
		if s, _ := k.str(); s == key {
			return n.vals[i]
		}
	}
	return nil
}

// checkKeys reports keys of a mapping that are not in allowed.
func (n *node) checkKeys(ps *problems, what string, allowed ...string) {
	for _, k := range n.keys {
		s, _ := k.str()
		ok := false
		for _, a := range allowed {
			if s == a {
				ok = true
				break
			}
		}
		if !ok {
			ps.add(k.pos, "unknown field %q in %s (expected one of: %s)", s, what, strings.Join(allowed, ", "))
		}
	}
}

// offsetPos returns the file position of the character at line and col
// (1-based line, 0-based column) of the string held by n.
func (n *node) offsetPos(line, col int) Pos {
	p := n.pos
	if n.block {
		if bp, ok := n.blockPos(line, col); ok {
			return bp
		}
	}
	if line <= 1 {
		c := p.Col + col
		if n.quoted {
			c++
		}
		return Pos{File: p.File, Line: p.Line, Col: c}
	}
	return Pos{File: p.File, Line: p.Line + line - 1, Col: p.Col + col}
}

// plain converts a node to plain Go values (map[string]any, []any, scalars).
func (n *node) plain() any {
	switch n.kind {
	case mapNode:
		m := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			s, _ := k.str()
			m[s] = n.vals[i].plain()
		}
		return m
	case seqNode:
		l := make([]any, len(n.items))
		for i, it := range n.items {
			l[i] = it.plain()
		}
		return l
	}
	switch v := n.value.(type) {
	case int64:
		return int(v)
	case uint64:
		return int(v)
	}
	return n.value
}

// Snippet returns the line of src at p, a newline, and a caret under p's
// column (tabs kept, so the caret lines up), as expr's own errors show
// them. It returns "" when src has no such line.
func Snippet(src []byte, p Pos) string {
	if p.Line < 1 {
		return ""
	}
	lines := strings.Split(string(src), "\n")
	if p.Line > len(lines) {
		return ""
	}
	line := strings.TrimRight(lines[p.Line-1], "\r")
	var caret strings.Builder
	col := 1
	for _, r := range line {
		if col >= p.Col {
			break
		}
		if r == '\t' {
			caret.WriteRune('\t')
		} else {
			caret.WriteByte(' ')
		}
		col++
	}
	for ; col < p.Col; col++ {
		caret.WriteByte(' ')
	}
	return line + "\n" + caret.String() + "^"
}

// blockPos returns the file position of the character at line and col of
// a literal (|) or folded (>) block scalar, whose value's lines are not the
// file's: it walks the value and the block's source text side by side,
// skipping the indentation and the line breaks folding turned into spaces.
func (n *node) blockPos(line, col int) (Pos, bool) {
	lit, ok := n.raw.(*ast.LiteralNode)
	if !ok || lit.Start == nil || lit.Start.Position == nil || lit.Value == nil || lit.Value.GetToken() == nil {
		return Pos{}, false
	}
	value, _ := n.value.(string)
	// The rune index in the value of (line, col).
	target, l, c := -1, 1, 0
	for i, r := range []rune(value) {
		if l == line && c == col || l > line {
			target = i
			break
		}
		if r == '\n' {
			l, c = l+1, 0
		} else {
			c++
		}
	}
	if target < 0 {
		return Pos{}, false
	}
	// The block's source runes with their positions, indentation left out.
	type at struct {
		r         rune
		line, col int
	}
	var src []at
	lines := strings.Split(lit.Value.GetToken().Origin, "\n")
	indent := -1
	for _, s := range lines {
		if strings.TrimSpace(s) != "" {
			indent = len(s) - len(strings.TrimLeft(s, " "))
			break
		}
	}
	if indent < 0 {
		return Pos{}, false
	}
	first := lit.Start.Position.Line + 1
	for i, s := range lines {
		rs := []rune(s)
		start := min(indent, len(rs))
		for j := start; j < len(rs); j++ {
			src = append(src, at{rs[j], first + i, j + 1})
		}
		src = append(src, at{'\n', first + i, len(rs) + 1})
	}
	vs := []rune(value)
	j := 0
	for i := 0; i <= target && j < len(src); {
		switch {
		case vs[i] == src[j].r:
			if i == target {
				return Pos{File: n.pos.File, Line: src[j].line, Col: src[j].col}, true
			}
			i, j = i+1, j+1
		case src[j].r == '\n' || src[j].r == ' ':
			j++ // a line break folded away, or spaces the value does not keep
		case vs[i] == ' ' || vs[i] == '\n':
			if i == target {
				return Pos{File: n.pos.File, Line: src[j].line, Col: src[j].col}, true
			}
			i++
		default:
			return Pos{}, false
		}
	}
	return Pos{}, false
}
