package rules_test

import (
	"context"
	"errors"
	"testing"

	"github.com/entitle-rules/entitle/rules"
)

// FuzzCompile: any bytes as a rule file either compile or are refused with a
// *rules.LoadError whose problems have positions; the tests written in what
// compiles run or are refused the same way; nothing panics.
func FuzzCompile(f *testing.F) {
	f.Add([]byte(toyRules))
	f.Add([]byte("ruleset: t\nrules:\n  - id: a\n    scope: house\n    when: any(house.rooms, .colour == 1)\n    deny: {code: X, message: m}\n"))
	f.Add([]byte("ruleset: t\nrules: [{id: a, scope: room, when: true, set: {target: '\"x\"'}}]\n"))
	f.Add([]byte("ruleset: t\nfixtures: {h: {rooms: ! }}\ntests: [{name: x, fixture: h, rooms: !}]\n"))
	lang, err := rules.NewLanguage(houseScope, roomScope)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := lang.Compile([]string{"f.yaml"}, map[string][]byte{"f.yaml": data})
		var le *rules.LoadError
		if err != nil {
			if !errors.As(err, &le) || len(le.Problems) == 0 {
				t.Fatalf("Compile: %v (%T), want a *rules.LoadError with problems", err, err)
			}
			for _, p := range le.Problems {
				if p.Pos.File != "f.yaml" || p.Pos.Line < 1 {
					t.Fatalf("a problem without a position: %+v", p)
				}
			}
			return
		}
		if _, err := set.RunTests(context.Background(), toyTester{}); err != nil && !errors.As(err, &le) {
			t.Fatalf("RunTests: %v (%T), want a *rules.LoadError", err, err)
		}
	})
}
