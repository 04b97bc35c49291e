package fuzz_test

import (
	"context"
	"errors"
	"testing"

	"github.com/entitle-rules/entitle/rules"
)

// fuzzRuleFile fuzzes f with any bytes as a rule file of lang: they either
// compile or are refused with positions (a *rules.LoadError with
// problems), and the tests written in what compiles run with tester or are
// refused the same way. Nothing else, and never a panic.
func fuzzRuleFile(f *testing.F, lang *rules.Language, tester rules.Tester) {
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := lang.Compile([]string{"f.yaml"}, map[string][]byte{"f.yaml": data})
		var le *rules.LoadError
		if err != nil {
			if !errors.As(err, &le) || len(le.Problems) == 0 {
				t.Fatalf("Compile: %v (%T), want a *rules.LoadError", err, err)
			}
			return
		}
		if _, err := set.RunTests(context.Background(), tester); err != nil && !errors.As(err, &le) {
			t.Fatalf("RunTests: %v (%T), want a *rules.LoadError", err, err)
		}
	})
}
