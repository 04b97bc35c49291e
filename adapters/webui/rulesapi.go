package webui

// The playground's calls to the rule authors' API (package
// adapters/httpapi/rulesapi), in one file: the paths and field names are
// the shared contract's (GET /rulesets, POST /rulesets/check, /explain,
// /replay), so a change of the API's wire names is a change here only.

import (
	"encoding/json"
	"net/http"
)

// ruleFile is one rule file, by name, with its source.
type ruleFile struct {
	Name   string `json:"name"`
	Source string `json:"source"`
}

// rulesInForce is GET /rulesets.
type rulesInForce struct {
	Hash     string     `json:"hash"`
	Source   string     `json:"source"`
	LoadedAt string     `json:"loadedAt"`
	Files    []ruleFile `json:"files"`
}

// checkRequest is POST /rulesets/check; Run selects tests by regular
// expression (empty: all).
type checkRequest struct {
	Files []ruleFile `json:"files"`
	Run   string     `json:"run,omitempty"`
}

// checkAnswer is its 200 answer: compile errors (ok false) at line and
// column, or the tests' results and the rule coverage.
type checkAnswer struct {
	Hash   string `json:"hash"`
	OK     bool   `json:"ok"`
	Errors []struct {
		File    string `json:"file"`
		Line    int    `json:"line"`
		Column  int    `json:"column"`
		Message string `json:"message"`
		Snippet string `json:"snippet"`
	} `json:"errors"`
	Tests []struct {
		File    string `json:"file"`
		Name    string `json:"name"`
		Passed  bool   `json:"passed"`
		Message string `json:"message"`
	} `json:"tests"`
	Coverage *struct {
		Percent float64 `json:"percent"`
	} `json:"coverage"`
}

// explainRequest is POST /rulesets/explain: a request of one context's API
// decided under the files given (none: the rules in force).
type explainRequest struct {
	Context string          `json:"context"`
	Request json.RawMessage `json:"request"`
	Files   []ruleFile      `json:"files,omitempty"`
}

// explainAnswer is its answer: the decision and the trace of every rule.
type explainAnswer struct {
	Decision json.RawMessage `json:"decision"`
	Trace    []struct {
		Rule      string          `json:"rule"`
		File      string          `json:"file"`
		Line      int             `json:"line"`
		Scope     string          `json:"scope"`
		Item      json.RawMessage `json:"item"`
		Fired     bool            `json:"fired"`
		Reads     json.RawMessage `json:"reads"`
		Derived   json.RawMessage `json:"derived"`
		Violation json.RawMessage `json:"violation"`
	} `json:"trace"`
}

// replayRequest is POST /rulesets/replay: the decision log between from
// and to decided again under files.
type replayRequest struct {
	Files []ruleFile `json:"files"`
	From  string     `json:"from,omitempty"`
	To    string     `json:"to,omitempty"`
}

// replayAnswer is its answer: how many decisions were replayed, the ones
// whose outcome would change, and counts per rule.
type replayAnswer struct {
	Replayed int               `json:"replayed"`
	Changed  []json.RawMessage `json:"changed"`
	PerRule  map[string]any    `json:"perRule"`
}

const (
	rulesetsPath = "/rulesets"
	checkPath    = "/rulesets/check"
	explainPath  = "/rulesets/explain"
	replayPath   = "/rulesets/replay"
)

// rulesCall calls the rule authors' API with the session's partner token
// and decodes a 2xx answer into out.
func (h *Handler) rulesCall(r *http.Request, s *session, method, path string, body, out any) (answer, error) {
	tok, a, err := h.partnerBearer(r, s)
	if err != nil || tok == "" {
		return a, err
	}
	a, err = h.call(r.Context(), r, method, path, nil, credential{bearer: tok}, body)
	if err != nil || !a.OK() {
		return a, err
	}
	return a, a.decode(out)
}
