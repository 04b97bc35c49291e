package machine_test

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/fuzz"
)

// How many histories each run checks in CI (.ci/run runs them without
// the race detector, on 2 cores): chosen so that every run takes a few tens
// of seconds. A nightly run asks for more with ENTITLE_MACHINE_HISTORIES=N
// (every run) or -rapid.checks=N; -rapid.steps sets the mean length of a
// history (30). Under -race (go test -race ./...) each run checks a few
// short histories only: raceHistories, of raceSteps steps on average.
const (
	ciMemory       = 200
	ciSQLite       = 50
	ciPostgres     = 15
	ciDifferential = 10

	raceHistories = 3
	raceSteps     = 8
	// raceMutant: the mutation tests under -race, of full length.
	raceMutant = 25
)

// histories sets rapid's number of checks to n for the test (fewer and
// shorter under -race), unless the command line (-rapid.checks) or
// ENTITLE_MACHINE_HISTORIES says how many.
func histories(t *testing.T, n int) {
	t.Helper()
	given := commandLine()
	if given["rapid.checks"] {
		return
	}
	if env := os.Getenv("ENTITLE_MACHINE_HISTORIES"); env != "" {
		var err error
		if n, err = strconv.Atoi(env); err != nil {
			t.Fatalf("ENTITLE_MACHINE_HISTORIES=%q: not a number", env)
		}
	} else if raceEnabled && n == raceMutant {
		n = raceMutant
	} else if raceEnabled {
		n = min(n, raceHistories)
		if !given["rapid.steps"] {
			setFlag(t, "rapid.steps", fmt.Sprint(raceSteps))
		}
	}
	setFlag(t, "rapid.checks", fmt.Sprint(n))
}

// commandLine is the flags the command line set, read before the tests
// set any.
var commandLine = sync.OnceValue(func() map[string]bool {
	given := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { given[f.Name] = true })
	return given
})

// setFlag sets a flag for the test and restores it after.
func setFlag(t *testing.T, name, value string) {
	t.Helper()
	old := flag.Lookup(name).Value.String()
	if err := flag.Set(name, value); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = flag.Set(name, old) })
}

// TestMachine runs the state machine on each store alone, against the
// model. A failure prints the minimal history as a Go test, and the seed
// (-rapid.seed) that finds it again.
func TestMachine(t *testing.T) {
	ci := map[string]int{"memory": ciMemory, "sqlite": ciSQLite, "postgres": ciPostgres}
	for _, tg := range targets(t, nil) {
		t.Run(tg.Name, func(t *testing.T) {
			histories(t, ci[tg.Name])
			m := &fuzz.Machine{Targets: []fuzz.Target{tg}, Strict: true}
			run(t, m)
		})
	}
}

// TestMachineDifferential runs each history on every store at once: every
// answer must be the same bytes on all of them, and what the model says.
func TestMachineDifferential(t *testing.T) {
	histories(t, ciDifferential)
	m := &fuzz.Machine{Targets: targets(t, nil), Strict: true}
	run(t, m)
}

// run runs m and logs its figures: histories and steps, and per second.
func run(t *testing.T, m *fuzz.Machine) {
	t.Helper()
	// The printed replay pastes into regression_test.go as it is.
	m.ReplayName, m.ReplayTargets = "TestRegressionNew", "targets(t, nil)"
	start := time.Now()
	m.Run(t)
	h, s := m.Counts()
	d := time.Since(start).Seconds()
	t.Logf("%d histories, %d steps in %.1fs: %.2f histories/s, %.0f steps/s", h, s, d, float64(h)/d, float64(s)/d)
}
