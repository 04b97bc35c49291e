package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rulesets"
)

// check loads a ruleset directory, reports compile errors as file:line:col,
// runs the tests written in the files, and exits 0 only when all pass.
func check(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("check", flag.ContinueOnError)
	fl.SetOutput(stderr)
	coverage := fl.Bool("coverage", false, "list rules the tests never saw fire or never saw pass")
	verbose := fl.Bool("v", false, "also list the expressions that run on the expr VM because the lowering cannot take their shape")
	if err := parseFlags(fl, args); err != nil {
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
	set, err := language().Load(fsys)
	var results []rules.TestResult
	if err == nil {
		results, err = set.RunTests(context.Background(), testers()...)
	}
	if err != nil {
		var le *rules.LoadError
		if errors.As(err, &le) {
			for _, p := range le.Problems {
				if where == fl.Arg(0) {
					// Name files as the author typed the directory, so an
					// editor can jump to rulesets/20-lines.yaml:12:3.
					p.Pos.File = filepath.Join(where, p.Pos.File)
				}
				fmt.Fprintln(stderr, p.String())
			}
			fmt.Fprintf(stderr, "entitle check: %d problem(s) in %s\n", len(le.Problems), where)
			return 1
		}
		fmt.Fprintf(stderr, "entitle check: %v\n", err)
		return 1
	}
	// The program's language holds every context, so a file it left out
	// declares a context nobody knows: a misspelt one, most likely.
	if skipped := set.Skipped(); len(skipped) > 0 {
		for _, sk := range skipped {
			fmt.Fprintf(stderr, "%s: declares context %q, which entitle does not know (it knows %s); its rules were not compiled\n",
				filepath.Join(where, sk.File), sk.Context, knownContexts())
		}
		fmt.Fprintf(stderr, "entitle check: %d file(s) left out of %s\n", len(skipped), where)
		return 1
	}
	failed := 0
	for _, r := range results {
		if r.Passed() {
			continue
		}
		failed++
		for _, f := range r.Failures {
			pos := r.Pos
			if where == fl.Arg(0) {
				pos.File = filepath.Join(where, pos.File)
			}
			fmt.Fprintf(stderr, "%s: test %q: %s\n", pos, r.Name, f)
		}
	}
	fmt.Fprintf(stdout, "%s: %d rules in %d files compiled, ruleset %.12s\n", where, len(set.Rules()), len(set.Files()), set.Hash())
	if *verbose {
		for _, p := range set.Unlowered() {
			if where == fl.Arg(0) {
				p.Pos.File = filepath.Join(where, p.Pos.File)
			}
			fmt.Fprintf(stdout, "%s\n", p)
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", len(results)-failed, failed)
	if *coverage {
		cov := set.Coverage(results)
		var ids []string
		for id := range cov {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			c := cov[id]
			switch {
			case !c[0] && !c[1]:
				fmt.Fprintf(stdout, "coverage: %s never ran\n", id)
			case !c[0]:
				fmt.Fprintf(stdout, "coverage: %s never fired\n", id)
			case !c[1]:
				fmt.Fprintf(stdout, "coverage: %s always fired\n", id)
			}
		}
	}
	if failed > 0 {
		return 1
	}
	return 0
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
