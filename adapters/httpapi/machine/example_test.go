package machine_test

import (
	"fmt"
	"testing/fstest"

	"github.com/entitle-rules/entitle/adapters/httpapi/machine"
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/fuzz"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rulesets"
)

// A service embedding entitle runs the state machine over its own store and
// its own rule files. In a test, m.Run(t) checks rapid's number of random
// histories (-rapid.checks) and fails t with the minimal failing one as a
// Go test; m.Play runs one history given as steps, here a renewal, a
// refused second trial and a seat assigned across a restart.
//
// Strict makes the model predict the shipped rules' decisions; with rule
// files of your own leave it false: the model then learns each decision
// from the answer and checks only what no rule file may change (trial once,
// contiguous renewals, no seat held twice or beyond what is owned, blocks
// as a function of their records) and that every read agrees with it.
func Example() {
	// Your rule files: here the shipped ones, in an fs.FS of your own.
	files := fstest.MapFS{}
	entries, _ := rulesets.FS.ReadDir(".")
	for _, e := range entries {
		b, _ := rulesets.FS.ReadFile(e.Name())
		files[e.Name()] = &fstest.MapFile{Data: b}
	}
	// Your store: each history gets a new, empty one.
	newStore := func() (machine.Database, error) {
		s := memory.New()
		return machine.Database{Open: func() (ports.Store, error) { return s, nil }, Keep: true}, nil
	}
	m := &fuzz.Machine{Targets: []fuzz.Target{machine.Target("mine", machine.Options{Rules: files, New: newStore})}}
	err := m.Play([]fuzz.Step{
		{Op: fuzz.StepOrder, Part: fuzz.PaidPart},
		{Op: fuzz.StepOrder, Part: fuzz.PaidPart, Days: 1},
		{Op: fuzz.StepOrder, Part: fuzz.TrialPart},
		{Op: fuzz.StepAddUser, User: 1},
		{Op: fuzz.StepRestart},
		{Op: fuzz.StepAssign, User: 1, Spell: 1},
		{Op: fuzz.StepAdvance, Seconds: 40 * 86400},
	})
	fmt.Println("history:", err)
	// Output: history: <nil>
}
