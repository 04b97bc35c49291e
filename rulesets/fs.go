// Package rulesets embeds the rule files entitle ships: the store API's order
// rules (seed 001, rules 1-17 of DESIGN.md) as data and expressions, and the
// fixtures their tests run against. Import it to build an engine with the
// shipped policy: rules.Load(rulesets.FS).
package rulesets

import "embed"

// FS holds the shipped *.yaml rule files at its root.
//
//go:embed *.yaml
var FS embed.FS
