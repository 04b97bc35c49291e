package dataset

import (
	"context"

	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
)

// LoadDocs decodes data parts of rule files (a fixture's data, a test's
// `with`) strictly, merges them in order and loads them into store. It is the
// Load of the rule-file testers, so a fixture is loaded exactly as `entitle
// load` loads a file. A misspelt field is reported at its line and column.
func LoadDocs(ctx context.Context, store ports.Store, docs ...rules.Doc) error {
	all := &Dataset{}
	for _, d := range docs {
		var ds Dataset
		if err := d.Decode(&ds); err != nil {
			return err
		}
		all = all.Merge(&ds)
	}
	_, err := all.Load(ctx, store)
	return err
}
