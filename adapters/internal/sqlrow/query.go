package sqlrow

import (
	"slices"
	"strconv"
	"strings"

	"github.com/entitle-rules/entitle/domain"
)

// Dialect is how a SQL database writes what differs between the stores in
// a list query: its placeholders, and a page with no limit.
type Dialect int

// The dialects of the stores.
const (
	// SQLite numbers nothing: each ? is the next argument.
	SQLite Dialect = iota + 1
	// Postgres numbers its placeholders: $1, $2, ...
	Postgres
)

// ListQuery builds the tail of a list endpoint's query, the filter, sort
// and page (WHERE ... ORDER BY ... LIMIT ... OFFSET ...), with placeholders
// for its arguments in the store's dialect, and the query counting every row
// the filter matches, for the total beside the page. It sorts only by the
// fields it was given, always ending with a unique column so that pages
// never overlap or skip a row. Build one per query; it is not safe for
// concurrent use.
type ListQuery struct {
	dialect  Dialect
	sortable map[string]string
	unique   string
	where    []string
	args     []any
	order    []string
	limit    int
	offset   int
}

// NewListQuery returns a ListQuery in dialect d that may sort by the fields
// of sortable (the names callers use, mapped to their columns) and ends
// every order with the column unique, which no two rows share.
func NewListQuery(d Dialect, sortable map[string]string, unique string) *ListQuery {
	return &ListQuery{dialect: d, sortable: sortable, unique: unique}
}

// Where adds a condition, ANDed with the others. Each ? in cond stands for
// the next of args; cond holds no other ? (not PostgreSQL's jsonb ?
// operator), and its text comes from the store, never from a request.
func (l *ListQuery) Where(cond string, args ...any) *ListQuery {
	l.where = append(l.where, cond)
	l.args = append(l.args, args...)
	return l
}

// Sort orders by the named fields, the first first, each ascending or, with
// a leading "-", descending. It fails with CodeInvalid, on field "sort", for
// a field the ListQuery may not sort by, naming those it may.
func (l *ListQuery) Sort(fields ...string) error {
	order := make([]string, 0, len(fields))
	for _, f := range fields {
		name, dir := f, " ASC"
		if rest, ok := strings.CutPrefix(f, "-"); ok {
			name, dir = rest, " DESC"
		}
		col, ok := l.sortable[name]
		if !ok {
			names := make([]string, 0, len(l.sortable))
			for n := range l.sortable {
				names = append(names, n)
			}
			slices.Sort(names)
			return domain.Errorf(domain.CodeInvalid, "sort", "cannot sort by %q: sort by one of %s, with a leading - to reverse",
				name, strings.Join(names, ", "))
		}
		order = append(order, col+dir)
	}
	l.order = order
	return nil
}

// Page asks for at most limit rows (0: no limit) after the first offset. It
// fails with CodeInvalid, on field "limit" or "offset", for a negative one.
func (l *ListQuery) Page(limit, offset int) error {
	switch {
	case limit < 0:
		return domain.Errorf(domain.CodeInvalid, "limit", "limit %d is negative", limit)
	case offset < 0:
		return domain.Errorf(domain.CodeInvalid, "offset", "offset %d is negative", offset)
	}
	l.limit, l.offset = limit, offset
	return nil
}

// Select returns base (SELECT ... FROM ..., holding no placeholder) with the
// filter, the order and the page, and the arguments of its placeholders.
func (l *ListQuery) Select(base string) (string, []any) {
	var b strings.Builder
	b.WriteString(base)
	l.writeWhere(&b)
	order := l.order
	if !slices.ContainsFunc(order, func(o string) bool { return strings.HasPrefix(o, l.unique+" ") }) {
		order = append(slices.Clip(order), l.unique+" ASC")
	}
	b.WriteString(" ORDER BY " + strings.Join(order, ", "))
	args := slices.Clone(l.args)
	switch {
	case l.limit > 0:
		b.WriteString(" LIMIT ? OFFSET ?")
		args = append(args, l.limit, l.offset)
	case l.offset > 0 && l.dialect == SQLite:
		// SQLite has no OFFSET without a LIMIT; a negative one is none.
		b.WriteString(" LIMIT -1 OFFSET ?")
		args = append(args, l.offset)
	case l.offset > 0:
		b.WriteString(" OFFSET ?")
		args = append(args, l.offset)
	}
	return l.dialect.number(b.String()), args
}

// Count returns base (SELECT count(*) FROM ..., holding no placeholder) with
// the filter, whatever the order and page, and the arguments of its
// placeholders.
func (l *ListQuery) Count(base string) (string, []any) {
	var b strings.Builder
	b.WriteString(base)
	l.writeWhere(&b)
	return l.dialect.number(b.String()), slices.Clone(l.args)
}

func (l *ListQuery) writeWhere(b *strings.Builder) {
	for i, w := range l.where {
		if i == 0 {
			b.WriteString(" WHERE ")
		} else {
			b.WriteString(" AND ")
		}
		b.WriteString("(" + w + ")")
	}
}

// number rewrites each ? of query as the dialect's placeholder.
func (d Dialect) number(query string) string {
	if d != Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for {
		before, after, found := strings.Cut(query, "?")
		b.WriteString(before)
		if !found {
			return b.String()
		}
		n++
		b.WriteString("$" + strconv.Itoa(n))
		query = after
	}
}
