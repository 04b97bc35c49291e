package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rulesets"
)

// checkReport is what `entitle check -json` prints: one JSON object.
type checkReport struct {
	Dir      string                `json:"dir"`
	Hash     string                `json:"hash,omitempty"`
	Files    int                   `json:"files"`
	Rules    int                   `json:"rules"`
	OK       bool                  `json:"ok"`
	Errors   []checkError          `json:"errors"`
	Tests    []checkTest           `json:"tests"`
	Passed   int                   `json:"passed"`
	Failed   int                   `json:"failed"`
	Failures []checkFailure        `json:"failures"`
	Coverage *rules.CoverageReport `json:"coverage,omitempty"`
	// CoverageMin is the threshold -coverage-min set (0 for none).
	CoverageMin float64 `json:"coverageMin,omitempty"`
}

// checkError is a problem in a file, with the line and a caret under it.
type checkError struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
	Snippet string `json:"snippet,omitempty"`
}

// checkTest is one test run.
type checkTest struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Name     string   `json:"name"`
	Passed   bool     `json:"passed"`
	Failures []string `json:"failures,omitempty"`
}

// checkFailure is one cause of failed tests, reported once.
type checkFailure struct {
	File    string   `json:"file"`
	Line    int      `json:"line"`
	Column  int      `json:"column"`
	Rule    string   `json:"rule,omitempty"` // the rule that could not be evaluated
	Message string   `json:"message"`
	Tests   []string `json:"tests"` // the names of the tests it broke
}

// check loads a ruleset directory, reports compile errors as file:line:col
// with the line and a caret, runs the tests written in the files (those
// -run selects), reports each cause of failure once, and exits 0 only when
// everything passes and the coverage reaches -coverage-min.
func check(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("check", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprintf(stderr, "usage: entitle check [flags] [DIR]\n\nCompiles the rule files of DIR (default: the shipped rulesets) and runs the tests written in them.\nExit status: 0 all pass, 1 problems or failed tests or coverage below -coverage-min, 2 bad usage.\n\n")
		fl.PrintDefaults()
	}
	coverage := fl.Bool("coverage", false, "report the rule branches the tests saw (each rule seen firing and seen not firing) as a percentage,\nand list the rules never seen fire or never seen pass")
	covMin := fl.Float64("coverage-min", 0, "fail when the tests saw less than this percentage of rule branches (implies -coverage)")
	runRE := fl.String("run", "", "run only the tests whose name matches this regular expression")
	verbose := fl.Bool("v", false, "list every test run with PASS or FAIL, every test a failure broke, and the expressions that run\non the expr VM because the lowering cannot take their shape")
	asJSON := fl.Bool("json", false, "print one JSON object (errors, tests, failures, coverage) on stdout instead of text")
	if err := parseFlags(fl, args); err != nil {
		return 2
	}
	var match func(string) bool
	if *runRE != "" {
		re, err := regexp.Compile(*runRE)
		if err != nil {
			fmt.Fprintf(stderr, "entitle check: -run: %v\n", err)
			return 2
		}
		match = re.MatchString
	}
	if *covMin < 0 || *covMin > 100 {
		fmt.Fprintln(stderr, "entitle check: -coverage-min is a percentage, 0 to 100")
		return 2
	}
	var fsys fs.FS = rulesets.FS
	where := "the shipped rulesets"
	switch fl.NArg() {
	case 0:
	case 1:
		dir := fl.Arg(0)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			fmt.Fprintf(stderr, "entitle check: %s is not a directory\n", dir)
			return 2
		}
		fsys, where = os.DirFS(dir), dir
	default:
		fmt.Fprintln(stderr, "entitle check: give at most one directory")
		return 2
	}
	// Name files as the author typed the directory, so an editor can jump
	// to rulesets/20-lines.yaml:12:3.
	at := func(p rules.Pos) rules.Pos {
		if where == fl.Arg(0) {
			p.File = filepath.Join(where, p.File)
		}
		return p
	}
	rep := checkReport{Dir: where, Errors: []checkError{}, Tests: []checkTest{}, Failures: []checkFailure{}, CoverageMin: *covMin}
	names, files, err := readRuleFS(fsys, where)
	var set *rules.Set
	if err == nil {
		set, err = language().Compile(names, files)
	}
	var results []rules.TestResult
	if err == nil {
		results, err = set.RunMatching(context.Background(), match, testers()...)
	}
	if err != nil {
		var le *rules.LoadError
		if !errors.As(err, &le) {
			fmt.Fprintf(stderr, "entitle check: %v\n", err)
			return 1
		}
		for _, p := range le.Problems {
			snippet := rules.Snippet(files[p.Pos.File], p.Pos)
			p.Pos = at(p.Pos)
			rep.Errors = append(rep.Errors, checkError{File: p.Pos.File, Line: p.Pos.Line, Column: p.Pos.Col, Message: p.Msg, Snippet: snippet})
		}
		return rep.finish(stdout, stderr, *asJSON, fmt.Sprintf("entitle check: %d problem(s) in %s", len(le.Problems), where))
	}
	rep.Hash, rep.Files, rep.Rules = set.Hash(), len(set.Files()), len(set.Rules())
	// The program's language holds every context, so a file it left out
	// declares a context nobody knows: a misspelt one, most likely.
	if skipped := set.Skipped(); len(skipped) > 0 {
		for _, sk := range skipped {
			rep.Errors = append(rep.Errors, checkError{File: at(rules.Pos{File: sk.File}).File,
				Message: fmt.Sprintf("declares context %q, which entitle does not know (it knows %s); its rules were not compiled", sk.Context, knownContexts())})
		}
		return rep.finish(stdout, stderr, *asJSON, fmt.Sprintf("entitle check: %d file(s) left out of %s", len(skipped), where))
	}
	for _, r := range results {
		p := at(r.Pos)
		rep.Tests = append(rep.Tests, checkTest{File: p.File, Line: p.Line, Name: r.Name, Passed: r.Passed(), Failures: r.Failures})
		if r.Passed() {
			rep.Passed++
		} else {
			rep.Failed++
		}
	}
	for _, f := range set.Failures(results) {
		p := at(f.Pos)
		cf := checkFailure{File: p.File, Line: p.Line, Column: p.Col, Rule: f.RuleID, Message: f.Message}
		for _, r := range f.Tests {
			cf.Tests = append(cf.Tests, r.Name)
		}
		rep.Failures = append(rep.Failures, cf)
	}
	if *coverage || *covMin > 0 || *asJSON {
		cov := set.CoverageOf(results)
		rep.Coverage = &cov
	}
	if *asJSON {
		return rep.finish(stdout, stderr, true, "")
	}
	fmt.Fprintf(stdout, "%s: %d rules in %d files compiled, ruleset %.12s\n", where, rep.Rules, rep.Files, rep.Hash)
	if *verbose {
		for _, t := range rep.Tests {
			verdict := "PASS"
			if !t.Passed {
				verdict = "FAIL"
			}
			fmt.Fprintf(stdout, "--- %s: %s (%s:%d)\n", verdict, t.Name, t.File, t.Line)
		}
		for _, p := range set.Unlowered() {
			fmt.Fprintf(stdout, "%s\n", rules.Problem{Pos: at(p.Pos), Msg: p.Msg})
		}
	}
	for _, f := range rep.Failures {
		fmt.Fprintln(stderr, f.text(*verbose))
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", rep.Passed, rep.Failed)
	if rep.Coverage != nil {
		cov := rep.Coverage
		for _, rc := range cov.Rules {
			switch {
			case !rc.Fired && !rc.NotFired:
				fmt.Fprintf(stdout, "coverage: %s never ran\n", rc.ID)
			case !rc.Fired:
				fmt.Fprintf(stdout, "coverage: %s never fired\n", rc.ID)
			case !rc.NotFired:
				fmt.Fprintf(stdout, "coverage: %s always fired\n", rc.ID)
			}
		}
		fmt.Fprintf(stdout, "coverage: %.1f%% of rule branches (%d of %d)\n", cov.Percent, cov.Covered, cov.Branches)
	}
	code := 0
	if rep.Failed > 0 {
		code = 1
	}
	if rep.Coverage != nil && rep.Coverage.Percent < *covMin {
		fmt.Fprintf(stderr, "entitle check: coverage %.1f%% is below -coverage-min %g%%\n", rep.Coverage.Percent, *covMin)
		code = 1
	}
	return code
}

// text words a failure on one line, with the tests it broke: all of them
// when verbose, else the first three and a count.
func (f checkFailure) text(verbose bool) string {
	if f.Rule == "" && len(f.Tests) == 1 {
		return fmt.Sprintf("%s:%d:%d: test %q: %s", f.File, f.Line, f.Column, f.Tests[0], f.Message)
	}
	what := f.Message // a rule's error names the rule
	shown := f.Tests
	if !verbose && len(shown) > 3 {
		shown = shown[:3]
	}
	quoted := make([]string, len(shown))
	for i, n := range shown {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	list := strings.Join(quoted, ", ")
	if more := len(f.Tests) - len(shown); more > 0 {
		list += fmt.Sprintf(" and %d more (-v lists them)", more)
	}
	return fmt.Sprintf("%s:%d:%d: %s; broke %d test(s): %s", f.File, f.Line, f.Column, what, len(f.Tests), list)
}

// finish prints a report that ends before tests could run (errors) or one
// asked for as JSON, and returns the exit code.
func (rep *checkReport) finish(stdout, stderr io.Writer, asJSON bool, summary string) int {
	rep.OK = len(rep.Errors) == 0 && rep.Failed == 0 && (rep.Coverage == nil || rep.Coverage.Percent >= rep.CoverageMin)
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		for _, e := range rep.Errors {
			if e.Line == 0 {
				fmt.Fprintf(stderr, "%s: %s\n", e.File, e.Message)
				continue
			}
			fmt.Fprintf(stderr, "%s:%d:%d: %s\n", e.File, e.Line, e.Column, e.Message)
			if e.Snippet != "" {
				fmt.Fprintf(stderr, " | %s\n", strings.ReplaceAll(e.Snippet, "\n", "\n | "))
			}
		}
		fmt.Fprintln(stderr, summary)
	}
	if rep.OK {
		return 0
	}
	return 1
}

// knownContexts names the contexts the program's rule files may declare.
func knownContexts() string {
	var names []string
	for _, c := range language().Contexts() {
		if c == "" {
			c = "none (the store API's)"
		}
		names = append(names, c)
	}
	return strings.Join(names, ", ")
}
