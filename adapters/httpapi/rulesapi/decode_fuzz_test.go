package rulesapi

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/entitle-rules/entitle/adapters/internal/decisions"
	"github.com/entitle-rules/entitle/domain"
)

// FuzzDecodeExplainBody: any body either is refused with CodeInvalid or
// decodes to a request the handler can act on (a known context, a request
// object, plain file names), and encoding what was decoded and decoding it
// again gives the same request.
func FuzzDecodeExplainBody(f *testing.F) {
	for _, s := range []string{
		`{"context": "orders", "request": {"customerPONumber": "PO"}, "now": "2025-04-24T17:00:00Z"}`,
		`{"context": "seats", "request": {"decision": "call"}, "files": [{"name": "a.yaml", "source": "ruleset: x\n"}]}`,
		`{"request": {}, "files": [{"name": "../a.yaml"}]}`, `{"request": 1}`, `{"context": "x"}`, `{}`, `[]`, `{"request": {}} {}`,
		"{\"request\": {}, \"files\": [{\"name\": \"a.yaml\", \"source\": \"\\u0000\"}]}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		body, now, err := decodeExplainBody(b)
		if err != nil {
			if domain.ErrorCode(err) != domain.CodeInvalid {
				t.Fatalf("refused with %v, want invalid", err)
			}
			return
		}
		if !contains(decisions.Contexts, body.Context) || len(body.Request) == 0 || strings.TrimSpace(string(body.Request))[0] != '{' {
			t.Fatalf("accepted %+v", body)
		}
		for _, fl := range body.Files {
			if strings.ContainsAny(fl.Name, "/\\") || !utf8.ValidString(fl.Source) {
				t.Fatalf("accepted file %q", fl.Name)
			}
		}
		again, _ := json.Marshal(body)
		body2, now2, err := decodeExplainBody(again)
		if err != nil || !now2.Equal(now) || body2.Context != body.Context || len(body2.Files) != len(body.Files) {
			t.Fatalf("round trip of %s: %+v, %v", again, body2, err)
		}
	})
}

// FuzzDecodeReplayBody: the same for replay's body; an accepted window
// has well-formed instants.
func FuzzDecodeReplayBody(f *testing.F) {
	for _, s := range []string{`{}`, `{"from": "2025-01-01", "to": "2025-02-01T00:00:00Z"}`, `{"from": "soon"}`,
		`{"files": [{"name": "x.yml", "source": "a"}, {"name": "x.yml"}]}`, `{"files": null}`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		body, w, err := decodeReplayBody(b)
		if err != nil {
			if domain.ErrorCode(err) != domain.CodeInvalid {
				t.Fatalf("refused with %v, want invalid", err)
			}
			return
		}
		if (body.From == "") != w.From.IsZero() && body.From != "0001-01-01" {
			t.Fatalf("from %q became %v", body.From, w.From)
		}
		again, _ := json.Marshal(body)
		_, w2, err := decodeReplayBody(again)
		if err != nil || !w2.From.Equal(w.From) || !w2.To.Equal(w.To) {
			t.Fatalf("round trip of %s: %v", again, err)
		}
	})
}
