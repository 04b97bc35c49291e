package sqlrow_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
)

var errNoRows = errors.New("no rows in result set")

// fakeTx answers every query with its rows, one int per row, or with err.
type fakeTx struct {
	sqlrow.Guard
	rows []int
	err  error
}

type fakeRow struct {
	v   int
	err error
}

func (r fakeRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	*dest[0].(*int) = r.v
	return nil
}

type fakeRows struct {
	rows []int
	at   int
}

func (r *fakeRows) Next() bool             { r.at++; return r.at <= len(r.rows) }
func (r *fakeRows) Scan(dest ...any) error { return fakeRow{v: r.rows[r.at-1]}.Scan(dest...) }
func (r *fakeRows) Err() error             { return nil }
func (r *fakeRows) Close()                 {}

func (t *fakeTx) QueryRow(context.Context, string, ...any) sqlrow.Scanner {
	switch {
	case t.err != nil:
		return fakeRow{err: t.err}
	case len(t.rows) == 0:
		return fakeRow{err: errNoRows}
	}
	return fakeRow{v: t.rows[0]}
}

func (t *fakeTx) Query(context.Context, string, ...any) (sqlrow.Rows, error) {
	if t.err != nil {
		return nil, t.err
	}
	return &fakeRows{rows: t.rows}, nil
}

func (t *fakeTx) NoRows(err error) bool { return errors.Is(err, errNoRows) }

func (t *fakeTx) Fail(_ context.Context, err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return domain.Wrap(err, domain.CodeInternal, "fake: %s", fmt.Sprintf(format, args...))
}

func scanInt(s sqlrow.Scanner) (int, error) {
	var v int
	err := s.Scan(&v)
	return v, err
}

func TestOneAndAll(t *testing.T) {
	ctx := t.Context()
	boom := errors.New("boom")
	notFound := func() error { return domain.Errorf(domain.CodeNotFound, "id", "no such thing") }
	for _, c := range []struct {
		name     string
		tx       *fakeTx
		one      int
		oneCode  domain.Code
		all      []int
		allCode  domain.Code
		failWhat string
	}{
		{"rows", &fakeTx{rows: []int{7, 8}}, 7, "", []int{7, 8}, "", ""},
		{"no rows", &fakeTx{}, 0, domain.CodeNotFound, []int{}, "", ""},
		{"a failure", &fakeTx{err: boom}, 0, domain.CodeInternal, nil, domain.CodeInternal, "fake: read things: boom"},
		{"an ended transaction", func() *fakeTx { t := &fakeTx{rows: []int{7}}; t.End(); return t }(), 0, domain.CodeInternal, nil, domain.CodeInternal, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, err := sqlrow.One(ctx, c.tx, "read things", scanInt, notFound, "SELECT")
			if v != c.one || domain.ErrorCode(err) != c.oneCode {
				t.Errorf("One = %d, %v; want %d, code %q", v, err, c.one, c.oneCode)
			}
			if c.failWhat != "" && (err == nil || err.Error() != c.failWhat) {
				t.Errorf("One's error = %v, want %q", err, c.failWhat)
			}
			vs, err := sqlrow.All(ctx, c.tx, "read things", scanInt, "SELECT")
			if fmt.Sprint(vs) != fmt.Sprint(c.all) || (vs == nil) != (c.all == nil) || domain.ErrorCode(err) != c.allCode {
				t.Errorf("All = %#v, %v; want %#v, code %q", vs, err, c.all, c.allCode)
			}
		})
	}
}
