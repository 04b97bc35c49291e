// Command entitle is entitle's program: `entitle serve` runs the five APIs
// over HTTP, `entitle load FILE` loads a data file into the store,
// `entitle check [DIR]` compiles rule files and runs the tests written in
// them, `entitle explain` prints a decision with the trace of every rule,
// `entitle replay` decides the decision log again under other rule files,
// `entitle migrate status` lists the store's schema migrations, and
// `entitle version` names the build. Every flag may also be given as an
// ENTITLE_* environment variable (config.go).
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: entitle <command> [arguments]

commands:
  serve [flags]             serve the five APIs over HTTP; -h lists the flags
  load [--db F | --postgres DSN [--postgres-schema S]] FILE
                            load a data file (YAML or JSON) into the store
  check [-coverage] [-v] [DIR]
                            compile the ruleset files in DIR (default: the shipped
                            rulesets) and run the tests written inside them; -v also
                            lists the expressions the lowering leaves to the expr VM
  explain [flags] (REQUEST.json | --id DECISION)
                            decide one request (or a logged decision again) and print
                            the trace of every rule: fired or not, values read, derived
  replay --rulesets DIR [--from T] [--to T] [--fail-on-change] [--json]
                            decide the logged decisions again under DIR; report changes
  migrate status [--db F | --postgres DSN [--postgres-schema S]]
                            list the store's schema migrations, applied and pending
                            (exit code 3 when some are pending)
  version (or --version)    the module version, VCS revision, Go version and the hash
                            of the built-in rulesets

Every flag may also be given as an environment variable: ENTITLE_ and the flag's
name in upper case with '-' as '_' (--postgres: ENTITLE_POSTGRES); a flag given
on the command line wins.
`

// run executes one command and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "check":
		return check(args[1:], stdout, stderr)
	case "serve":
		return serve(args[1:], stdout, stderr)
	case "load":
		return load(args[1:], stdout, stderr)
	case "migrate":
		return migrate(args[1:], stdout, stderr)
	case "explain":
		return explain(args[1:], stdout, stderr)
	case "replay":
		return replay(args[1:], stdout, stderr)
	case "version", "--version", "-version":
		return version(stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "entitle: unknown command %q\n\n%s", args[0], usage)
	return 2
}
