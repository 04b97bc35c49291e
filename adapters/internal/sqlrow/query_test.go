package sqlrow_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
)

var sortable = map[string]string{"createdAt": "o.created_at", "poNumber": "o.po_number", "uniqueId": "o.unique_id"}

func TestListSelectAndCount(t *testing.T) {
	const base, count = "SELECT o.unique_id FROM orders o", "SELECT count(*) FROM orders o"
	for _, c := range []struct {
		name          string
		dialect       sqlrow.Dialect
		build         func(*sqlrow.ListQuery) error
		want, wantCnt string
		args, cntArgs []any
	}{
		{"nothing asked: every row, by the unique column", sqlrow.SQLite, func(*sqlrow.ListQuery) error { return nil },
			base + " ORDER BY o.unique_id ASC", count, nil, nil},
		{"a filter, SQLite", sqlrow.SQLite, func(l *sqlrow.ListQuery) error {
			l.Where("o.client_id = ?", "c1").Where("o.status IN (?, ?)", "SUCCESS", "ERROR")
			return nil
		}, base + " WHERE (o.client_id = ?) AND (o.status IN (?, ?)) ORDER BY o.unique_id ASC",
			count + " WHERE (o.client_id = ?) AND (o.status IN (?, ?))",
			[]any{"c1", "SUCCESS", "ERROR"}, []any{"c1", "SUCCESS", "ERROR"}},
		{"a filter, PostgreSQL numbers the placeholders", sqlrow.Postgres, func(l *sqlrow.ListQuery) error {
			l.Where("o.client_id = ?", "c1").Where("o.status IN (?, ?)", "SUCCESS", "ERROR")
			return nil
		}, base + " WHERE (o.client_id = $1) AND (o.status IN ($2, $3)) ORDER BY o.unique_id ASC",
			count + " WHERE (o.client_id = $1) AND (o.status IN ($2, $3))",
			[]any{"c1", "SUCCESS", "ERROR"}, []any{"c1", "SUCCESS", "ERROR"}},
		{"sorted, the unique column last", sqlrow.SQLite, func(l *sqlrow.ListQuery) error { return l.Sort("-createdAt", "poNumber") },
			base + " ORDER BY o.created_at DESC, o.po_number ASC, o.unique_id ASC", count, nil, nil},
		{"sorted by the unique column itself", sqlrow.Postgres, func(l *sqlrow.ListQuery) error { return l.Sort("-uniqueId") },
			base + " ORDER BY o.unique_id DESC", count, nil, nil},
		{"a page, PostgreSQL", sqlrow.Postgres, func(l *sqlrow.ListQuery) error {
			l.Where("o.client_id = ?", "c1")
			return l.Page(20, 40)
		}, base + " WHERE (o.client_id = $1) ORDER BY o.unique_id ASC LIMIT $2 OFFSET $3", count + " WHERE (o.client_id = $1)",
			[]any{"c1", 20, 40}, []any{"c1"}},
		{"a page, SQLite", sqlrow.SQLite, func(l *sqlrow.ListQuery) error { return l.Page(20, 0) },
			base + " ORDER BY o.unique_id ASC LIMIT ? OFFSET ?", count, []any{20, 0}, nil},
		{"an offset without a limit, SQLite", sqlrow.SQLite, func(l *sqlrow.ListQuery) error { return l.Page(0, 40) },
			base + " ORDER BY o.unique_id ASC LIMIT -1 OFFSET ?", count, []any{40}, nil},
		{"an offset without a limit, PostgreSQL", sqlrow.Postgres, func(l *sqlrow.ListQuery) error { return l.Page(0, 40) },
			base + " ORDER BY o.unique_id ASC OFFSET $1", count, []any{40}, nil},
		{"everything, PostgreSQL", sqlrow.Postgres, func(l *sqlrow.ListQuery) error {
			l.Where("o.client_id = ?", "c1").Where("o.created_at >= ?", "2025-01-01")
			if err := l.Sort("createdAt"); err != nil {
				return err
			}
			return l.Page(10, 10)
		}, base + " WHERE (o.client_id = $1) AND (o.created_at >= $2) ORDER BY o.created_at ASC, o.unique_id ASC LIMIT $3 OFFSET $4",
			count + " WHERE (o.client_id = $1) AND (o.created_at >= $2)",
			[]any{"c1", "2025-01-01", 10, 10}, []any{"c1", "2025-01-01"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := sqlrow.NewListQuery(c.dialect, sortable, "o.unique_id")
			if err := c.build(l); err != nil {
				t.Fatal(err)
			}
			got, args := l.Select(base)
			if got != c.want || !cmp.Equal(args, c.args) {
				t.Errorf("Select =\n  %s %v\nwant\n  %s %v", got, args, c.want, c.args)
			}
			got, args = l.Count(count)
			if got != c.wantCnt || !cmp.Equal(args, c.cntArgs) {
				t.Errorf("Count =\n  %s %v\nwant\n  %s %v", got, args, c.wantCnt, c.cntArgs)
			}
		})
	}
}

func TestListRefuses(t *testing.T) {
	for _, c := range []struct {
		name, field, message string
		do                   func(*sqlrow.ListQuery) error
	}{
		{"a field it may not sort by", "sort",
			`cannot sort by "secret": sort by one of createdAt, poNumber, uniqueId, with a leading - to reverse`,
			func(l *sqlrow.ListQuery) error { return l.Sort("createdAt", "-secret") }},
		{"a column name instead of a field", "sort",
			`cannot sort by "o.created_at": sort by one of createdAt, poNumber, uniqueId, with a leading - to reverse`,
			func(l *sqlrow.ListQuery) error { return l.Sort("o.created_at") }},
		{"a negative limit", "limit", "limit -1 is negative", func(l *sqlrow.ListQuery) error { return l.Page(-1, 0) }},
		{"a negative offset", "offset", "offset -5 is negative", func(l *sqlrow.ListQuery) error { return l.Page(10, -5) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := sqlrow.NewListQuery(sqlrow.Postgres, sortable, "o.unique_id")
			err := c.do(l)
			var de *domain.Error
			if !asError(err, &de) || de.Code != domain.CodeInvalid || de.Field != c.field || de.Message != c.message {
				t.Errorf("got %v, want %s on %s: %s", err, domain.CodeInvalid, c.field, c.message)
			}
			// A refused sort or page leaves the list as it was.
			if got, _ := l.Select("SELECT 1 FROM orders o"); got != "SELECT 1 FROM orders o ORDER BY o.unique_id ASC" {
				t.Errorf("after the refusal, Select = %s", got)
			}
		})
	}
}
