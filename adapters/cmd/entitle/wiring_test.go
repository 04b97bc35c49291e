package main

import (
	"context"
	"testing"

	"github.com/entitle-rules/entitle/rulesets"
)

// The program's language holds every context of the shipped rule files:
// none is left out, and `entitle check` runs the tests of each, the seats
// file's with the seats tester.
func TestLanguageLoadsEveryShippedFile(t *testing.T) {
	set, err := language().Load(rulesets.FS)
	if err != nil {
		t.Fatal(err)
	}
	if s := set.Skipped(); len(s) != 0 {
		t.Errorf("the program leaves out %v", s)
	}
	results, err := set.RunTests(context.Background(), testers()...)
	if err != nil {
		t.Fatal(err)
	}
	perFile := map[string]int{}
	for _, r := range results {
		perFile[r.Pos.File]++
		for _, f := range r.Failures {
			t.Errorf("%s: %s: %s", r.Pos, r.Name, f)
		}
	}
	for _, f := range set.Files() {
		if f != "00-fixtures.yaml" && perFile[f] == 0 {
			t.Errorf("no test of %s ran", f)
		}
	}
}
