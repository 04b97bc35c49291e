// Package schema generates the JSON Schemas of entitle's two file formats
// from the Go types that read them: the rule file (rules.FileFormat) and the
// data file `entitle load` and `entitle serve --data` read
// (dataset.Dataset). The schemas are committed beside this file
// (rules.schema.json, data.schema.json) and named from the first line of
// each shipped file:
//
//	# yaml-language-server: $schema=schema/rules.schema.json
//
// so an editor with a YAML language server completes and checks them. A
// test fails when the committed schemas are out of step with the types;
// `go generate ./rulesets/schema` writes them again.
//
// Only this package's test and go generate import it.
package schema

//go:generate go test -run TestSchemasInStep -update .

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/dataset"
)

// The schemas' ids: where the repository serves them.
const (
	baseID     = "https://github.com/entitle-rules/entitle/raw/main/rulesets/schema/"
	RulesFile  = "rules.schema.json"
	DataFile   = "data.schema.json"
	draftURI   = "https://json-schema.org/draft/2020-12/schema"
	rulesTitle = "entitle rule file"
	dataTitle  = "entitle data file"
)

// Rules returns the JSON Schema of a rule file.
func Rules() []byte {
	return generate(reflect.TypeFor[rules.FileFormat](), RulesFile, rulesTitle,
		"A file of rules, with the tests written beside them (rulesets/README.md).")
}

// Data returns the JSON Schema of a data file.
func Data() []byte {
	return generate(reflect.TypeFor[dataset.Dataset](), DataFile, dataTitle,
		"Customers, catalog, devices, subscriptions, companies, users and accounts, as entitle load reads them (README.md, The data file).")
}

// generator turns Go types into schemas, each named struct once under $defs.
type generator struct {
	defs map[string]any
}

func generate(root reflect.Type, file, title, description string) []byte {
	g := &generator{defs: map[string]any{}}
	top := g.object(root, false)
	doc := map[string]any{"$schema": draftURI, "$id": baseID + file, "title": title, "description": description}
	for k, v := range top {
		doc[k] = v
	}
	if len(g.defs) > 0 {
		doc["$defs"] = g.defs
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		panic(err) // maps of strings, bools and numbers always encode
	}
	return b.Bytes()
}

var (
	timeType       = reflect.TypeFor[time.Time]()
	dateType       = reflect.TypeFor[domain.Date]()
	expressionType = reflect.TypeFor[rules.Expression]()
	holdType       = reflect.TypeFor[rules.HoldFormat]()
)

// schema returns the schema of a value of type t; open lets a struct hold
// keys beyond its fields.
func (g *generator) schema(t reflect.Type, open bool) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case dateType:
		return map[string]any{"type": "string", "pattern": `^\d{4}-\d{2}-\d{2}$`}
	case expressionType:
		return map[string]any{"type": []string{"string", "boolean", "number"}}
	case holdType:
		return map[string]any{"oneOf": []any{map[string]any{"type": "string", "minLength": 1}, g.ref(t, false)}}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.schema(t.Elem(), open)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem(), false)}
	case reflect.Struct:
		return g.ref(t, open)
	}
	return map[string]any{} // any value
}

// ref returns a reference to the named struct t, defining it once.
func (g *generator) ref(t reflect.Type, open bool) map[string]any {
	name := t.Name()
	if open {
		name += "Open"
	}
	if _, ok := g.defs[name]; !ok {
		g.defs[name] = nil // a struct that reaches itself refers to its definition
		g.defs[name] = g.object(t, open)
	}
	return map[string]any{"$ref": "#/$defs/" + name}
}

// object returns the schema of struct t: its fields by json name.
func (g *generator) object(t reflect.Type, open bool) map[string]any {
	props := map[string]any{}
	var required []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := g.schema(f.Type, f.Tag.Get("schema") == "open")
		if d := f.Tag.Get("doc"); d != "" {
			s = withKey(s, "description", d)
		}
		if p := f.Tag.Get("pattern"); p != "" {
			s = withKey(s, "pattern", p)
		}
		if e := f.Tag.Get("enum"); e != "" {
			s = withKey(s, "enum", strings.Split(e, ","))
		}
		props[name] = s
		if f.Tag.Get("schema") == "required" {
			required = append(required, name)
		}
	}
	out := map[string]any{"type": "object", "properties": props, "additionalProperties": open}
	if len(required) > 0 {
		sort.Strings(required)
		out["required"] = required
	}
	return out
}

// withKey returns a copy of s with key set (2020-12 reads a description
// beside a $ref).
func withKey(s map[string]any, key string, v any) map[string]any {
	out := make(map[string]any, len(s)+1)
	for k, x := range s {
		out[k] = x
	}
	out[key] = v
	return out
}
