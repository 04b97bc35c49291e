package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/adapters/internal/decisions"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
)

const replayUsage = `usage: entitle replay --rulesets DIR [--db F | --postgres DSN] [--from T] [--to T] [--json] [--fail-on-change]

Decides the logged decisions again (all, or those made from --from to
before --to) under the rule files of DIR, each against the state it saw, and
reports exactly which would change: allowed <-> refused, other codes, other
derived values, with counts per rule. Exit 0 when nothing would change (or
--fail-on-change is not given), 1 when something would and --fail-on-change
is, 2 for a usage error, 3 when the log could not be read or replayed.

flags:
`

// replay re-decides the decision log under another rule directory.
func replay(args []string, stdout, stderr io.Writer) int {
	fl := usageFlags("replay", replayUsage, stderr)
	so := storeFlags(fl)
	dir := fl.String("rulesets", "", "the directory of rule files to replay under (required)")
	from := fl.String("from", "", "replay decisions made at or after this instant (RFC 3339 or a date)")
	to := fl.String("to", "", "replay decisions made before this instant (RFC 3339 or a date)")
	asJSON := fl.Bool("json", false, "print the report as JSON")
	failOnChange := fl.Bool("fail-on-change", false, "exit 1 when any decision would change")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if *dir == "" || fl.NArg() != 0 {
		fmt.Fprintln(stderr, "entitle replay: give --rulesets DIR and no arguments")
		fl.Usage()
		return 2
	}
	var (
		w   decisions.Window
		err error
	)
	if w.From, err = parseInstant(*from, time.Time{}); err != nil {
		fmt.Fprintf(stderr, "entitle replay: --from: %v\n", err)
		return 2
	}
	if w.To, err = parseInstant(*to, time.Time{}); err != nil {
		fmt.Fprintf(stderr, "entitle replay: --to: %v\n", err)
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "entitle replay: "+format+"\n", a...)
		return 3
	}
	set, err := loadRuleDir(*dir)
	if err != nil {
		return fail("%v", err)
	}
	ctx := context.Background()
	store, err := openExisting(ctx, so)
	if err != nil {
		return fail("%v", err)
	}
	defer store.Close()
	var progress func(int)
	if isTerminal(stderr) {
		total, err := decisions.Count(ctx, store, w)
		if err != nil {
			return fail("%v", err)
		}
		progress = func(done int) { drawProgress(stderr, done, total) }
	}
	rep, err := decisions.Replay(ctx, store, set, w, progress)
	if progress != nil {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return fail("%v", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fail("%v", err)
		}
	} else {
		printReplay(stdout, rep, *dir)
	}
	if len(rep.Failed) > 0 {
		return 3
	}
	if *failOnChange && len(rep.Changed) > 0 {
		return 1
	}
	return 0
}

// usageFlags is the flag set of the subcommand name, writing to stderr,
// whose -h prints usage and then the flags.
func usageFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fl := flag.NewFlagSet(name, flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprint(stderr, usage); fl.PrintDefaults() }
	return fl
}

// isTerminal reports whether w is a terminal, where a progress bar helps.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// drawProgress redraws a one-line progress bar.
func drawProgress(w io.Writer, done, total int) {
	const width = 40
	filled := width
	if total > 0 {
		filled = min(width, done*width/total)
	}
	fmt.Fprintf(w, "\r[%s%s] %d/%d decisions", strings.Repeat("=", filled), strings.Repeat(" ", width-filled), done, total)
}

// printReplay writes the report for a person.
func printReplay(w io.Writer, rep *rules.ReplayReport, dir string) {
	fmt.Fprintf(w, "replayed %d decisions under %s (ruleset %s): %d would change\n", rep.Replayed, dir, short(rep.Hash), len(rep.Changed))
	for _, c := range rep.Changed {
		fmt.Fprintf(w, "  %s  %s  %s/%s  %s  %s  [%s]\n", c.ID, c.At.Format(time.RFC3339), c.Context, c.Command, c.Partner,
			strings.Join(c.Kinds, ","), strings.Join(c.Rules, ", "))
		before, after := strings.Join(c.Before.Codes(), ","), strings.Join(c.After.Codes(), ",")
		if before != after {
			fmt.Fprintf(w, "      codes   %s -> %s\n", orNone(before), orNone(after))
		}
		for _, dc := range c.Derived {
			fmt.Fprintf(w, "      %s  %s -> %s\n", dc.Field, orNone(dc.Before), orNone(dc.After))
		}
	}
	if len(rep.PerRule) > 0 {
		fmt.Fprintln(w, "per rule:")
		for _, id := range rules.SortedKeys(rep.PerRule) {
			fmt.Fprintf(w, "  %-40s %d\n", id, rep.PerRule[id])
		}
	}
	for _, f := range rep.Failed {
		fmt.Fprintf(w, "could not replay %s: %s\n", f.ID, f.Error)
	}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// purgeDecisions drops the decisions made before before from the log, for
// serve's hourly maintenance; it logs what it did.
func purgeDecisions(ctx context.Context, store ports.Store, before time.Time, log *slog.Logger) {
	n := 0
	err := store.Update(ctx, func(tx ports.Tx) (err error) {
		n, err = tx.Decisions().Purge(ctx, before)
		return err
	})
	switch {
	case err != nil && ctx.Err() == nil:
		log.Error("purging the decision log", "err", err)
	case n > 0:
		log.Info("purged the decision log", "decisions", n, "before", before)
	}
}
