package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/entitle-rules/entitle/rulesets"
)

// version prints what an operator needs to name this build: the module's
// version, the VCS revision it was built from (and whether the tree had
// uncommitted changes), the Go version, and the hash of the rule files built
// into the binary (the hash every decision and audit event carries).
func version(stdout, stderr io.Writer) int {
	set, err := language().Load(rulesets.FS)
	if err != nil {
		fmt.Fprintf(stderr, "entitle version: the built-in rulesets do not compile: %v\n", err)
		return 1
	}
	mod, rev, modified := "(devel)", "unknown", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			mod = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if modified {
		rev += " (modified)"
	}
	fmt.Fprintf(stdout, "entitle %s\nrevision %s\ngo %s\nruleset %s\n", mod, rev, runtime.Version(), set.Hash())
	return 0
}
