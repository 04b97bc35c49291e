package main

import (
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/dataset"
	"github.com/entitle-rules/entitle/rules/orders"
)

// language is the rule language of every context this program serves: rule
// files may be written in any of their scopes.
func language() *rules.Language { return rules.MustLanguage(orders.Scopes()...) }

// testers run the tests written in rule files, one per context, each test on
// a new memory store loaded the way `entitle load` loads a file.
func testers() []rules.Tester {
	open := func() ports.Store { return memory.New() }
	return []rules.Tester{orders.Tester(orders.TesterOptions{Open: open, Load: dataset.LoadDocs})}
}
