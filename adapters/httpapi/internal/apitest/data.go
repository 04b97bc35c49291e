package apitest

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/dataset"
)

// ExampleFile is the example data set `entitle serve` loads on a first run,
// as a path from an API package's directory (the working directory of its
// tests).
const ExampleFile = "../../cmd/entitle/example.yaml"

// ExampleData parses ExampleFile and merges into it each of more, data sets
// in the file format.
func ExampleData(more ...string) (*dataset.Dataset, error) {
	b, err := os.ReadFile(ExampleFile)
	if err != nil {
		return nil, err
	}
	ds, err := dataset.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("example.yaml: %w", err)
	}
	for i, m := range more {
		d, err := dataset.Parse([]byte(m))
		if err != nil {
			return nil, fmt.Errorf("data set %d: %w", i+1, err)
		}
		ds = ds.Merge(d)
	}
	return ds, nil
}

// LoadExample loads ExampleFile into store.
func LoadExample(tb testing.TB, store ports.Store) {
	tb.Helper()
	ds, err := ExampleData()
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := ds.Load(context.Background(), store); err != nil {
		tb.Fatal(err)
	}
}
