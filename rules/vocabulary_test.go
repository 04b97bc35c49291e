package rules

import (
	"os"
	"strings"
	"testing"
)

// TestVocabularyIsDocumented keeps rulesets/README.md's function table in
// step with the functions rule expressions may call.
func TestVocabularyIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../rulesets/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range vocabulary {
		if strings.HasPrefix(f.name, "date") { // operator overloads, documented as operators
			continue
		}
		if !strings.Contains(string(doc), "| `"+f.name+"(") {
			t.Errorf("rulesets/README.md does not document %s: %s", f.name, f.doc)
		}
	}
}
