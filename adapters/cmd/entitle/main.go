// Command entitle is entitle's program. `entitle check [DIR]` compiles the
// ruleset files in DIR (the shipped ones when DIR is omitted) and runs the
// tests written inside them.
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
  check [-coverage] [DIR]   compile the ruleset files in DIR (default: the shipped
                            rulesets) and run the tests written inside them
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
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "entitle: unknown command %q\n\n%s", args[0], usage)
	return 2
}
