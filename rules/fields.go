package rules

import (
	"reflect"
	"regexp"
	"sort"
	"strings"
)

// A deny's field names the part of the request a refusal is about
// (serviceStartDate, lines, app_id): a name the scope's facts carry. A typo
// there would reach callers as a field nobody sent, so the compiler checks
// each name of a literal field (every segment of lines[2].serialNumber)
// against the names of the scope: the expr tags of every struct its
// environment reaches, its item list, its derivable fields and the request's
// names it declares (ScopeOptions.Fields). A field with
// {{ holes }} is known only when the rule fires and is not checked.

// fieldNames returns the names a deny's field may use in sc, made once per
// scope.
func (c *compiler) fieldNames(sc *scopeInfo) map[string]bool {
	if c.fields == nil {
		c.fields = map[*scopeInfo]map[string]bool{}
	}
	if m := c.fields[sc]; m != nil {
		return m
	}
	m := map[string]bool{}
	if sc.item != "" {
		m[sc.item] = true
	}
	for _, f := range sc.fields {
		m[f] = true
	}
	for _, d := range sc.derived {
		m[d.name] = true
	}
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] || t == dateType {
			return
		}
		seen[t] = true
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("expr"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			m[name] = true
			walk(f.Type)
		}
	}
	walk(sc.env)
	c.fields[sc] = m
	return m
}

var fieldSegRE = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)(\[[0-9]+\])*$`)

// checkDenyField reports the names of a literal deny field that sc does not
// know, at the field's position.
func (c *compiler) checkDenyField(id string, n *node, sc *scopeInfo) {
	s, ok := n.str()
	if !ok || s == "" || strings.Contains(s, "{{") {
		return
	}
	known := c.fieldNames(sc)
	off := 0
	for _, seg := range strings.Split(s, ".") {
		at := n.offsetPos(1, off)
		off += len([]rune(seg)) + 1
		m := fieldSegRE.FindStringSubmatch(seg)
		if m == nil {
			c.ps.add(at, "rule %s: deny field %q: %q is not a field name (letters, digits and _, with [n] for a list's element)", id, s, seg)
			return
		}
		if !known[m[1]] {
			msg := "rule %s: deny field %q: %s is not a field of the %s scope"
			if near := nearest(m[1], known); near != "" {
				c.ps.add(at, msg+" (did you mean %s?)", id, s, m[1], sc.name, near)
			} else {
				c.ps.add(at, msg, id, s, m[1], sc.name)
			}
			return
		}
	}
}

// nearest returns the known name closest to s when it is a likely typo of
// it (at most two edits, and fewer than half of s), else "".
func nearest(s string, known map[string]bool) string {
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, k)
	}
	sort.Strings(names)
	best, bestD := "", 3
	for _, k := range names {
		if d := editDistance(strings.ToLower(s), strings.ToLower(k)); d < bestD && 2*d < len(s) {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
