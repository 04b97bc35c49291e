package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/adapters/sqlite"
)

// Exit codes of `entitle migrate status` beyond 0 (every migration
// applied), 1 (the store cannot be read, or a newer entitle migrated it)
// and 2 (bad usage).
const exitPending = 3 // migrations are pending: the next serve or load applies them

const migrateUsage = `usage: entitle migrate status [--db FILE | --postgres DSN [--postgres-schema S]]

Lists the schema migrations of the store: applied (with when) and pending.
It changes nothing; entitle serve and entitle load apply pending migrations
when they open the store. Exit code: 0 all applied, 3 some pending, 1 the
store cannot be read or was migrated by a newer entitle, 2 bad usage.
`

// migrate is `entitle migrate status`.
func migrate(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "status" {
		fmt.Fprint(stderr, migrateUsage)
		return 2
	}
	fl := flag.NewFlagSet("migrate status", flag.ContinueOnError)
	fl.SetOutput(stderr)
	so := storeFlags(fl)
	if err := parseFlags(fl, args[1:]); err != nil {
		return 2
	}
	if fl.NArg() != 0 {
		fmt.Fprint(stderr, migrateUsage)
		return 2
	}
	if err := so.check(); err != nil {
		fmt.Fprintf(stderr, "entitle migrate status: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var (
		where  string
		states []sqlite.MigrationState
		err    error
	)
	if *so.postgres != "" {
		var schema string
		schema, states, err = postgres.MigrationStatus(ctx, *so.postgres, postgres.Options{Schema: *so.schema})
		where = "postgres, schema " + schema
	} else {
		states, err = sqlite.MigrationStatus(ctx, *so.db)
		where = "sqlite " + *so.db
	}
	if err != nil {
		fmt.Fprintf(stderr, "entitle migrate status: %v\n", err)
		return 1
	}
	return printMigrations(stdout, where, states)
}

// printMigrations writes the table of states and returns the exit code.
func printMigrations(w io.Writer, where string, states []sqlite.MigrationState) int {
	fmt.Fprintf(w, "store: %s\n", where)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tNAME\tSTATE")
	applied, pending, newer := 0, 0, 0
	for _, m := range states {
		state := "pending"
		switch {
		case m.Newer:
			newer++
			state = "applied by a newer entitle"
		case m.Applied:
			applied++
			state = "applied"
			if !m.AppliedAt.IsZero() {
				state += " " + m.AppliedAt.Format(time.RFC3339)
			}
		default:
			pending++
		}
		name := m.Name
		if name == "" {
			name = "?"
		}
		fmt.Fprintf(tw, "%04d\t%s\t%s\n", m.Version, name, state)
	}
	_ = tw.Flush()
	switch {
	case newer > 0:
		fmt.Fprintf(w, "%d applied, %d applied by a newer entitle than this one: run that entitle (migrations only go forward)\n", applied, newer)
		return 1
	case pending > 0:
		fmt.Fprintf(w, "%d applied, %d pending: entitle serve or entitle load applies them when it opens the store\n", applied, pending)
		return exitPending
	}
	fmt.Fprintf(w, "%d applied, none pending\n", applied)
	return 0
}
