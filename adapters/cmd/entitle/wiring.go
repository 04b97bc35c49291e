package main

import (
	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/accounts"
	"github.com/entitle-rules/entitle/rules/dataset"
	"github.com/entitle-rules/entitle/rules/orders"
	"github.com/entitle-rules/entitle/rules/seats"
)

// language is the rule language of every context this program serves: rule
// files may be written in any of their scopes, and none of the shipped
// files is left out (Set.Skipped is empty).
func language() *rules.Language {
	scopes := append(orders.Scopes(), seats.Scopes()...)
	return rules.MustLanguage(append(scopes, accounts.Scopes()...)...)
}

// testers run the tests written in rule files, one per context: the store
// API's each on a new memory store loaded the way `entitle load` loads a
// file; the seats and accounts contexts' from the facts each test gives.
func testers() []rules.Tester {
	open := func() ports.Store { return memory.New() }
	return []rules.Tester{
		orders.Tester(orders.TesterOptions{Open: open, Load: dataset.LoadDocs}),
		seats.Tester(seats.TesterOptions{}),
		accounts.Tester(accounts.TesterOptions{}),
	}
}
