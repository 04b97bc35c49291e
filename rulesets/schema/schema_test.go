package schema_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/entitle-rules/entitle/rulesets/schema"
)

var update = flag.Bool("update", false, "write the schemas generated from the Go types")

// TestSchemasInStep fails when a committed schema is not the one the Go
// types generate; go generate ./rulesets/schema (-update) writes them.
func TestSchemasInStep(t *testing.T) {
	for file, gen := range map[string][]byte{schema.RulesFile: schema.Rules(), schema.DataFile: schema.Data()} {
		if *update {
			if err := os.WriteFile(file, gen, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, gen) {
			t.Errorf("%s is out of step with the Go types: run go generate ./rulesets/schema and commit it", file)
		}
	}
}

func compile(t *testing.T, file string) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(file, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(file)
	if err != nil {
		t.Fatalf("%s is not a valid schema: %v", file, err)
	}
	return sch
}

// validate checks a YAML document against sch.
func validate(sch *jsonschema.Schema, data []byte) error {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return err
	}
	return sch.Validate(v)
}

// shipped lists the files that name a schema: the rule files and the
// example data file.
func shipped(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("../*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule files: %v", err)
	}
	out := map[string]string{}
	for _, f := range files {
		out[f] = "schema/" + schema.RulesFile
	}
	out["../../adapters/cmd/entitle/example.yaml"] = "../../../rulesets/schema/" + schema.DataFile
	return out
}

// TestShippedFilesNameAndPassTheirSchema: every shipped rule file and the
// example data file name their schema on their first line, where editors
// look, by a path that leads to it, and the schema accepts them.
func TestShippedFilesNameAndPassTheirSchema(t *testing.T) {
	schemas := map[string]*jsonschema.Schema{schema.RulesFile: compile(t, schema.RulesFile), schema.DataFile: compile(t, schema.DataFile)}
	for file, ref := range shipped(t) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(data), "\n")
		if want := "# yaml-language-server: $schema=" + ref; first != want {
			t.Errorf("%s: first line %q, want %q", file, first, want)
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(file), ref)); err != nil {
			t.Errorf("%s: the schema it names: %v", file, err)
		}
		if err := validate(schemas[filepath.Base(ref)], data); err != nil {
			t.Errorf("%s does not pass %s: %v", file, ref, err)
		}
	}
}

// TestSchemasRefuseMistakes: what the compiler and the loader refuse, the
// schemas flag in the editor.
func TestSchemasRefuseMistakes(t *testing.T) {
	rulesSchema, dataSchema := compile(t, schema.RulesFile), compile(t, schema.DataFile)
	for name, tc := range map[string]struct {
		sch  *jsonschema.Schema
		doc  string
		want string
	}{
		"a misspelt key of a rule": {rulesSchema, "ruleset: t\nrules:\n  - {id: a, scope: order, whn: 'true', deny: {code: X, message: m}}\n", "whn"},
		"a rule without when":      {rulesSchema, "ruleset: t\nrules:\n  - {id: a, scope: order, deny: {code: X, message: m}}\n", "when"},
		"a code in lower case":     {rulesSchema, "ruleset: t\nrules:\n  - {id: a, scope: order, when: true, deny: {code: x, message: m}}\n", "code"},
		"an unknown phase":         {rulesSchema, "ruleset: t\nrules:\n  - {id: a, scope: order, phase: later, when: true, deny: {code: X, message: m}}\n", "phase"},
		"no ruleset":               {rulesSchema, "rules: []\n", "ruleset"},
		"a misspelt expect key":    {rulesSchema, "ruleset: t\ntests:\n  - {name: n, fixture: f, expect: {allowed: yes}}\n", "allowed"},
		"a misspelt data field":    {dataSchema, "parts:\n  - {partNumber: P-1, colour: red}\n", "colour"},
		"a date that is no date":   {dataSchema, "subscriptions:\n  - {serialNumber: S, startDate: tomorrow}\n", "startDate"},
	} {
		err := validate(tc.sch, []byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %s", name, err, tc.want)
		}
	}
	// A test's own keys (its request, the context's expectations) are open.
	if err := validate(rulesSchema, []byte("ruleset: t\ntests:\n  - {name: n, fixture: f, order: {lines: []}, expect: {allowed: true, lines: []}}\n")); err != nil {
		t.Errorf("a context's keys in a test: %v", err)
	}
}
