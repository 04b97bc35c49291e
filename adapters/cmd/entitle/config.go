package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

// Every flag of every command may also come from the environment: after the
// command line is parsed, a flag it did not set takes the value of
// ENTITLE_<NAME> (the flag's name in upper case, '-' as '_': --token-ttl is
// ENTITLE_TOKEN_TTL) when the environment has that variable, even empty. A
// flag on the command line wins. So a secret such as the PostgreSQL DSN
// (ENTITLE_POSTGRES) never needs to be on a command line, where ps shows it.

// envPrefix starts the name of every variable a flag is read from.
const envPrefix = "ENTITLE_"

// envName is the variable flag name is read from.
func envName(name string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// parseFlags parses args into fl, then the environment (applyEnv). Errors
// are printed on fl's output, as fl.Parse prints its own.
func parseFlags(fl *flag.FlagSet, args []string) error {
	fl.Usage = func() {
		out := fl.Output()
		fmt.Fprintf(out, "usage of entitle %s:\n", fl.Name())
		fl.PrintDefaults()
		fmt.Fprintf(out, "\nEach flag not on the command line is read from the environment variable %s and the\n"+
			"flag's name in upper case with '-' as '_' (--token-ttl: %s), when it is set.\n", envPrefix, envName("token-ttl"))
	}
	if err := fl.Parse(args); err != nil {
		return err
	}
	if err := applyEnv(fl, os.LookupEnv); err != nil {
		fmt.Fprintf(fl.Output(), "entitle %s: %v\n", fl.Name(), err)
		return err
	}
	return nil
}

// applyEnv sets each flag of fl that the command line did not set from its
// variable (envName), when lookup finds it. A value the flag refuses is an
// error naming the variable; every such error is reported.
func applyEnv(fl *flag.FlagSet, lookup func(string) (string, bool)) error {
	given := map[string]bool{}
	fl.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fl.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		name := envName(f.Name)
		v, ok := lookup(name)
		if !ok {
			return
		}
		if err := fl.Set(f.Name, v); err != nil {
			// The value is not repeated: it may be a secret.
			errs = append(errs, fmt.Errorf("environment variable %s (for --%s): %v", name, f.Name, err))
		}
	})
	return errors.Join(errs...)
}
