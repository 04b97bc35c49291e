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
