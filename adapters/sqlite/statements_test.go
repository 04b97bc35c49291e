package sqlite

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/entitle-rules/entitle/domain"
)

// TestStatementsPerOrder counts the statements one accepted one-line order
// runs on SQLite (BEGIN, SAVEPOINT and COMMIT included), once the store is
// warm. DESIGN.md, "The write path": the SQL shape is the cost, so the
// count is a budget, not a figure to read; -v lists one order's statements.
func TestStatementsPerOrder(t *testing.T) {
	const maxStatements = 18 // 17, and the decision log's row (issue 13)
	s := openTest(t, filepath.Join(t.TempDir(), "e.db"))
	eng := newEngine(t, s)
	var trace []string
	s.writer.traced = func(q string) { trace = append(trace, q) }
	order := func(n int) {
		t.Helper()
		if _, err := eng.CreateOrder(t.Context(), domain.PartnerPrincipal(crashClient, domain.ClientCredentials), orderFor(crashSerial(n))); err != nil {
			t.Fatal(err)
		}
	}
	for n := range 4 {
		order(n)
	}
	const orders = 20
	w, r := s.writer.statements.Load(), s.readers.statements.Load()
	for n := range orders {
		trace = trace[:0]
		order(100 + n)
	}
	writes := float64(s.writer.statements.Load()-w) / orders
	reads := float64(s.readers.statements.Load()-r) / orders
	for i, q := range trace {
		t.Logf("%2d %s", i+1, strings.Join(strings.Fields(q), " "))
	}
	t.Logf("one one-line order: %.1f statements on the writer, %.1f on the readers", writes, reads)
	if writes+reads > maxStatements {
		t.Errorf("one one-line order runs %.1f statements, want at most %d", writes+reads, maxStatements)
	}
}
