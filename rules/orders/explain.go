package orders

import (
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules"
)

// Explain decides req against snap as Decide does, and returns with the
// decision the step of every rule evaluated, in order (rules.ExplainStep):
// fired or not, the values it read and derived, its violation. It is for
// people reading a decision, slower than Decide; Decide is untouched by it.
func Explain(set *rules.Set, snap *Snapshot, req *domain.OrderRequest) (domain.Decision, []rules.ExplainStep) {
	xs, ex := set.Explainer()
	d := Decide(xs, snap, req)
	return d, ex.Steps
}
