package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/adapters/internal/decisions"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rulesets"
)

const explainUsage = `usage: entitle explain [flags] (REQUEST.json | --id DECISION)

Decides one request and prints the decision with the trace of every rule
evaluated, in order: fired or not, the values of the fields it read, what it
derived, the violation it produced.

  REQUEST.json   an order in the store API's own JSON (a TAP_CREATE_ORDER_API
                 call or its request), decided against --data or the store as
                 the principal --as at --now; or, with --context seats|accounts,
                 the facts of a decision in the shape the decision log keeps
                 them (the rule files' test fixtures, with "decision" and "now")
  --id DECISION  a logged decision, read from the store and decided again, under
                 --rulesets, against the state it saw

flags:
`

// explain decides one request or logged decision and prints it with the
// explanation of every rule.
func explain(args []string, stdout, stderr io.Writer) int {
	fl := usageFlags("explain", explainUsage, stderr)
	so := storeFlags(fl)
	data := fl.String("data", "", "a data file (YAML or JSON) to decide against, in memory, instead of a store")
	dir := fl.String("rulesets", "", "a directory of rule files (default: the shipped rulesets)")
	id := fl.String("id", "", "explain the logged decision with this id")
	as := fl.String("as", "", "the partner (store API client id) asking, for an order request")
	account := fl.String("account", "", "the account of the principal asking, if any")
	nowFlag := fl.String("now", "", "the instant the request is decided at (RFC 3339; default: now)")
	contextName := fl.String("context", "orders", "the context of REQUEST.json: orders, seats or accounts")
	asJSON := fl.Bool("json", false, "print the explanation as JSON")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "entitle explain: "+format+"\n", a...)
		return 1
	}
	if (*id == "") == (fl.NArg() != 1) || fl.NArg() > 1 {
		fmt.Fprintln(stderr, "entitle explain: give one REQUEST.json or --id DECISION")
		fl.Usage()
		return 2
	}
	set, err := loadRuleDir(*dir)
	if err != nil {
		return fail("%v", err)
	}
	ctx := context.Background()
	var ex *decisions.Explanation
	switch {
	case *id != "":
		store, err := openExisting(ctx, so)
		if err != nil {
			return fail("%v", err)
		}
		defer store.Close()
		var rec domain.DecisionRecord
		if err := store.View(ctx, func(tx ports.Tx) (err error) { rec, err = tx.Decisions().Get(ctx, *id); return err }); err != nil {
			return fail("%v", err)
		}
		if ex, err = decisions.ExplainRecord(set, &rec); err != nil {
			return fail("%v", err)
		}
	case *contextName == "orders":
		b, err := os.ReadFile(fl.Arg(0))
		if err != nil {
			return fail("%v", err)
		}
		req, err := decisions.DecodeOrderRequest(b)
		if err != nil {
			return fail("%s: %v", fl.Arg(0), errText(err))
		}
		if *as == "" {
			return fail("an order needs the partner asking: --as CLIENT")
		}
		now, err := parseInstant(*nowFlag, time.Now())
		if err != nil {
			return fail("--now: %v", err)
		}
		var store ports.Store
		if *data != "" {
			store = memory.New()
			b, err := os.ReadFile(*data)
			if err != nil {
				return fail("%v", err)
			}
			if _, err := loadData(ctx, store, b); err != nil {
				return fail("%s: %v", *data, err)
			}
		} else if store, err = openExisting(ctx, so); err != nil {
			return fail("%v", err)
		}
		defer store.Close()
		p := domain.Principal{Partner: *as, Account: *account, Credential: domain.ClientCredentials}
		if ex, err = decisions.ExplainOrder(ctx, store, set, p, req, now); err != nil {
			return fail("%v", errText(err))
		}
	default:
		b, err := os.ReadFile(fl.Arg(0))
		if err != nil {
			return fail("%v", err)
		}
		if ex, err = decisions.ExplainFacts(set, *contextName, b); err != nil {
			return fail("%s: %v", fl.Arg(0), errText(err))
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(ex); err != nil {
			return fail("%v", err)
		}
		return 0
	}
	printExplanation(stdout, ex)
	return 0
}

// openExisting opens the store the flags name; an SQLite file must exist
// already (explain and replay read a store, they never make one).
func openExisting(ctx context.Context, so storeOptions) (ports.Store, error) {
	if *so.postgres == "" {
		if _, err := os.Stat(*so.db); err != nil {
			return nil, fmt.Errorf("no store at %s (give --db FILE or --postgres DSN, or --data FILE)", *so.db)
		}
	}
	return so.open(ctx)
}

// loadRuleDir loads the rule files of dir, or the shipped ones.
func loadRuleDir(dir string) (*rules.Set, error) {
	var fsys fs.FS = rulesets.FS
	if dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("%s is not a directory", dir)
		}
		fsys = os.DirFS(dir)
	}
	set, err := language().Load(fsys)
	if err != nil {
		var le *rules.LoadError
		if errors.As(err, &le) {
			var b strings.Builder
			for _, p := range le.Problems {
				b.WriteString("\n  " + p.String())
			}
			return nil, fmt.Errorf("the rule files do not compile (entitle check says more):%s", b.String())
		}
		return nil, err
	}
	return set, nil
}

// parseInstant reads RFC 3339 or a date (midnight UTC); "" is def.
func parseInstant(s string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither RFC 3339 (2025-04-24T17:00:00Z) nor a date (2025-04-24)", s)
}

// errText is err with its violations, one a line.
func errText(err error) string {
	var de *domain.Error
	if !errors.As(err, &de) || len(de.Violations) == 0 {
		return err.Error()
	}
	var b strings.Builder
	b.WriteString(de.Message)
	for _, v := range de.Violations {
		b.WriteString("\n  " + v.String())
	}
	return b.String()
}

// printExplanation writes ex for a person: the decision, then every rule
// evaluated, "+" fired and "-" not, with what it read and did.
func printExplanation(w io.Writer, ex *decisions.Explanation) {
	d := ex.Decision
	verdict := "allowed"
	if !d.Allowed {
		verdict = "refused"
	}
	fmt.Fprintf(w, "decision: %s (ruleset %s)\n", verdict, short(d.RulesetHash))
	for _, v := range d.Violations {
		fmt.Fprintf(w, "  %s [%s]\n", v.String(), v.RuleID)
	}
	if d.Hold != nil {
		fmt.Fprintf(w, "  hold: %s [%s]\n", d.Hold.Reason, d.Hold.RuleID)
	}
	if len(d.Derived) > 0 {
		fmt.Fprintln(w, "derived:")
		for _, k := range rules.SortedKeys(d.Derived) {
			fmt.Fprintf(w, "  %s = %s\n", k, d.Derived[k])
		}
	}
	if d.Logged != nil {
		if d.Changed {
			fmt.Fprintln(w, "logged: the log holds another outcome; these rules decide otherwise")
		} else {
			fmt.Fprintln(w, "logged: the same outcome")
		}
	}
	fired := 0
	for _, s := range ex.Trace {
		if s.Fired {
			fired++
		}
	}
	fmt.Fprintf(w, "trace: %d rules evaluated, %d fired\n", len(ex.Trace), fired)
	for _, s := range ex.Trace {
		mark := "-"
		if s.Fired {
			mark = "+"
		}
		label := s.Rule
		if s.Item >= 0 {
			label = fmt.Sprintf("%s[%d]", s.Rule, s.Item)
		}
		fmt.Fprintf(w, "%s %-40s %s:%d %s\n", mark, label, s.File, s.Line, s.Phase)
		if len(s.Reads) > 0 {
			var parts []string
			for _, k := range rules.SortedKeys(s.Reads) {
				parts = append(parts, k+"="+rules.FormatValue(s.Reads[k]))
			}
			fmt.Fprintf(w, "    read    %s\n", strings.Join(parts, ", "))
		}
		for _, k := range rules.SortedKeys(s.Derived) {
			fmt.Fprintf(w, "    derived %s = %s\n", k, rules.FormatValue(s.Derived[k]))
		}
		if s.Violation != nil {
			fmt.Fprintf(w, "    denied  %s\n", s.Violation.String())
		}
		if s.Hold != "" {
			fmt.Fprintf(w, "    hold    %s\n", s.Hold)
		}
		if s.Error != "" {
			fmt.Fprintf(w, "    error   %s\n", s.Error)
		}
	}
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}
