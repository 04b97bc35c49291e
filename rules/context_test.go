package rules_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules"
)

// A second toy context, a garden, declared with a context name: its rules
// live in files that say `context: garden`, and a language of the house's
// scopes leaves those files out.

type bedEnv struct {
	Bed *bed `expr:"bed"`
}

type bed struct {
	Plants int `expr:"plants"`
}

var bedScope = rules.NewScope[bedEnv]("bed", rules.ScopeOptions{Context: "garden"})

const gardenRules = `ruleset: garden
context: garden
rules:
  - id: bed.crowded
    scope: bed
    when: bed.plants > 10
    deny: {code: CROWDED, message: "{{bed.plants}} plants"}
fixtures:
  beds:
    plants: 3
tests:
  - name: a crowded bed
    fixture: beds
    plants: 11
    expect: {deny: [CROWDED]}
`

// gardenTester decides a bed with the plants its fixture or test gives.
type gardenTester struct{}

func (gardenTester) Context() string { return "garden" }

type gardenFixture struct{ plants int }

func (gardenTester) Fixture(_ context.Context, doc rules.Doc) (rules.Fixture, error) {
	var b struct {
		Plants int `json:"plants"`
	}
	err := doc.Decode(&b)
	return &gardenFixture{b.Plants}, err
}

func (f *gardenFixture) Test(_ context.Context, given, _ rules.Doc) (rules.Case, error) {
	b := struct {
		Plants int `json:"plants"`
	}{f.plants}
	err := given.Decode(&b)
	return &bedCase{bed{Plants: b.Plants}}, err
}

type bedCase struct{ b bed }

func (c *bedCase) Decide(_ context.Context, set *rules.Set) (domain.Decision, error) {
	run := set.Begin(1)
	env := bedEnv{Bed: &c.b}
	bedScope.Eval(run, &env, rules.Normalize, rules.Decide, -1)
	return run.Finish(), nil
}

func (c *bedCase) Check(*domain.Decision) []string { return nil }

func TestFilesOfAContextTheLanguageDoesNotHoldAreLeftOut(t *testing.T) {
	files := fstest.MapFS{
		"10-toy.yaml":    {Data: []byte(toyRules)},
		"50-garden.yaml": {Data: []byte(gardenRules)},
	}
	house := rules.MustLanguage(houseScope, roomScope)
	set, err := house.Load(files)
	if err != nil {
		t.Fatalf("a house language loading a garden file: %v", err)
	}
	if diff := cmp.Diff([]rules.Skipped{{File: "50-garden.yaml", Context: "garden"}}, set.Skipped()); diff != "" {
		t.Errorf("Skipped (-want +got):\n%s", diff)
	}
	if got := set.Files(); !slices.Equal(got, []string{"10-toy.yaml"}) {
		t.Errorf("Files = %v, want only the house file", got)
	}
	// A file left out changes nothing: the set is the one without it.
	alone, err := house.Load(fstest.MapFS{"10-toy.yaml": files["10-toy.yaml"]})
	if err != nil {
		t.Fatal(err)
	}
	if set.Hash() != alone.Hash() || len(set.Rules()) != len(alone.Rules()) {
		t.Errorf("hash %s with the garden file left out, %s without it", set.Hash(), alone.Hash())
	}
	// Its tests and fixtures are not run either.
	results, err := set.RunTests(context.Background(), toyTester{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Pos.File == "50-garden.yaml" {
			t.Errorf("a test of a file left out ran: %s", r.Name)
		}
	}

	// A language of both contexts loads both, and runs each file's tests
	// with its own context's tester: the house fixture, which declares no
	// context, goes to the tester of the context no scope names.
	both := rules.MustLanguage(houseScope, roomScope, bedScope)
	if got := both.Contexts(); !slices.Equal(got, []string{"", "garden"}) {
		t.Errorf("Contexts = %q", got)
	}
	set, err = both.Load(files)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Skipped()) != 0 {
		t.Errorf("Skipped = %v, want none", set.Skipped())
	}
	results, err = set.RunTests(context.Background(), toyTester{}, gardenTester{})
	if err != nil {
		t.Fatalf("RunTests: %v", err)
	}
	var ran []string
	for _, r := range results {
		ran = append(ran, r.Pos.File)
		for _, f := range r.Failures {
			t.Errorf("%s: %s", r.Name, f)
		}
	}
	if !slices.Contains(ran, "50-garden.yaml") || !slices.Contains(ran, "10-toy.yaml") {
		t.Errorf("tests ran from %v, want both files", ran)
	}

	// A language of the garden only leaves out the files that declare no
	// context, as the house's scopes are not in it.
	set, err = rules.MustLanguage(bedScope).Load(files)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]rules.Skipped{{File: "10-toy.yaml"}}, set.Skipped()); diff != "" {
		t.Errorf("Skipped (-want +got):\n%s", diff)
	}
}

// A rule of a context the language loads is never dropped: a file whose
// declared context does not match its rules' scopes is an error at the
// rule's scope, whichever language loads it.
func TestContextMistakesAreErrors(t *testing.T) {
	house := rules.MustLanguage(houseScope, roomScope)
	both := rules.MustLanguage(houseScope, roomScope, bedScope)
	for _, tc := range []struct {
		name string
		lang *rules.Language
		file string
		want string
	}{
		{
			"a house rule in a file of a context the language does not load",
			house,
			"ruleset: x\ncontext: gardn\nrules:\n  - id: a\n    scope: house\n    when: true\n    deny: {code: X, message: m}\n",
			`f.yaml:5:12: rule a: scope "house" belongs to the files without a context, but the file declares context "gardn", which this language does not load (its contexts: the files without a context), so the rule would be dropped; fix the file's context`,
		},
		{
			"a garden rule in a file that declares no context",
			both,
			"ruleset: x\nrules:\n  - id: a\n    scope: bed\n    when: true\n    deny: {code: X, message: m}\n",
			"f.yaml:4:12: rule a: scope \"bed\" belongs to context garden: declare `context: garden` at the top of the file",
		},
		{
			"a garden rule in a file without context, in a language without the garden",
			rules.MustLanguage(bedScope),
			"ruleset: x\nrules:\n  - id: a\n    scope: bed\n    when: true\n    deny: {code: X, message: m}\n",
			"f.yaml:4:12: rule a: scope \"bed\" belongs to context garden: declare `context: garden` at the top of the file",
		},
		{
			"a house rule in a garden file",
			both,
			"ruleset: x\ncontext: garden\nrules:\n  - id: a\n    scope: house\n    when: true\n    deny: {code: X, message: m}\n",
			`f.yaml:5:12: rule a: scope "house" belongs to the files without a context, and this file declares context garden (its scopes: bed)`,
		},
		{
			"a context that is not a name",
			both,
			"ruleset: x\ncontext: [garden]\nrules: []\n",
			"f.yaml:2:10: context: want the name of the context the file's rules belong to (such as seats)",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.lang.Compile([]string{"f.yaml"}, map[string][]byte{"f.yaml": []byte(tc.file)})
			var le *rules.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("Compile: %v, want a *rules.LoadError", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got\n%v\nwant\n%s", err, tc.want)
			}
		})
	}
}

func TestScopeContextMustBeAName(t *testing.T) {
	bad := rules.NewScope[bedEnv]("bad", rules.ScopeOptions{Context: "two words"})
	if _, err := rules.NewLanguage(bad); err == nil || !strings.Contains(err.Error(), `context "two words" is not a name`) {
		t.Errorf("NewLanguage: %v", err)
	}
}

// A fixture that names no context, in a file that names none, with two
// testers whose contexts the language's scopes both declare, has no tester
// to read it: the author is told to name one.
func TestAmbiguousFixtureAsksForAContext(t *testing.T) {
	lang := rules.MustLanguage(bedScope)
	file := "ruleset: x\ncontext: garden\nrules: []\nfixtures:\n  f: {context: other, plants: 1}\ntests: []\n"
	set, err := lang.Compile([]string{"f.yaml"}, map[string][]byte{"f.yaml": []byte(file)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = set.RunTests(context.Background(), gardenTester{}, toyTester{})
	if err == nil || !strings.Contains(err.Error(), `fixture f: no tester for context "other" (have: garden, toy)`) {
		t.Errorf("RunTests: %v", err)
	}
}
