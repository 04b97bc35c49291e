package orders_test

import (
	"os"
	"strings"
	"testing"

	"github.com/entitle-rules/entitle/rules/orders"
)

// TestVocabularyIsDocumented keeps rulesets/README.md's function table in
// step with the functions order and line rules may call.
func TestVocabularyIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../rulesets/README.md")
	if err != nil {
		t.Fatal(err)
	}
	fns := orders.Language().Functions()
	if len(fns) < 20 {
		t.Fatalf("only %d functions in the vocabulary", len(fns))
	}
	for _, f := range fns {
		if f.IsOperator() { // operator overloads, documented as operators
			continue
		}
		if !strings.Contains(string(doc), "| `"+f.Name+"(") {
			t.Errorf("rulesets/README.md does not document %s: %s", f.Name, f.Doc)
		}
	}
}
