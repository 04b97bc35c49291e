package machine_test

import (
	"testing"

	"github.com/entitle-rules/entitle/fuzz"
)

// TestMachine runs the state machine on each store alone, against the
// model.
func TestMachine(t *testing.T) {
	for _, tg := range targets(t, nil) {
		t.Run(tg.Name, func(t *testing.T) {
			m := &fuzz.Machine{Targets: []fuzz.Target{tg}, Strict: true}
			m.Run(t)
		})
	}
}

// TestMachineDifferential runs each history on every store at once: every
// answer must be the same bytes on all of them, and what the model says.
func TestMachineDifferential(t *testing.T) {
	m := &fuzz.Machine{Targets: targets(t, nil), Strict: true}
	m.Run(t)
}
