package webui

// The playground's calls to the rule authors' API (package
// adapters/httpapi/rulesapi, its openapi.yaml), in one file: GET /rulesets,
// POST /rulesets/check, /rulesets/explain and /rulesets/replay, every field
// of their answers named as the API names it, so a change of the API's wire
// names is a change here only. The tests run against the real API and read
// its answers into these types refusing unknown fields.

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
		Line    int    `json:"line"`
		Name    string `json:"name"`
		Passed  bool   `json:"passed"`
		Message string `json:"message"`
	} `json:"tests"`
	// Coverage is null when the copy does not compile.
	Coverage *struct {
		Branches int     `json:"branches"`
		Covered  int     `json:"covered"`
		Percent  float64 `json:"percent"`
		Rules    []struct {
			ID       string `json:"id"`
			Fired    bool   `json:"fired"`
			NotFired bool   `json:"notFired"`
		} `json:"rules"`
	} `json:"coverage"`
}

// explainRequest is POST /rulesets/explain: a request decided under the
// files given (none: the rules in force). For orders, Request is the store
// API's own JSON, decided as the caller against the store; for seats and
// accounts it is a decision's facts as the decision log keeps them
// ({"decision": ..., "now": ..., and the facts}; sampleRequest).
type explainRequest struct {
	Context string          `json:"context"`
	Request json.RawMessage `json:"request"`
	Files   []ruleFile      `json:"files,omitempty"`
}

// explainAnswer is its answer: the decision (shown as the API sends it)
// and the trace of every rule evaluated, in order.
type explainAnswer struct {
	Decision json.RawMessage `json:"decision"`
	Trace    []struct {
		Rule      string          `json:"rule"`
		File      string          `json:"file"`
		Line      int             `json:"line"`
		Scope     string          `json:"scope"`
		Phase     string          `json:"phase"` // normalize, derive, validate or decide
		Item      int             `json:"item"`  // the item's index; -1 for none
		Fired     bool            `json:"fired"`
		Reads     json.RawMessage `json:"reads"`
		Derived   json.RawMessage `json:"derived"`
		Violation json.RawMessage `json:"violation"`
		Hold      string          `json:"hold"`
		Error     string          `json:"error"`
	} `json:"trace"`
}

// replayRequest is POST /rulesets/replay: the decision log between from
// and to decided again under files.
type replayRequest struct {
	Files []ruleFile `json:"files"`
	From  string     `json:"from,omitempty"`
	To    string     `json:"to,omitempty"`
}

// replayAnswer is its answer: the copy's hash, how many decisions were
// replayed, the ones whose outcome would change (shown as the API sends
// them), how many changes each rule made, and the decisions that could not
// be made again.
type replayAnswer struct {
	Hash     string            `json:"hash"`
	Replayed int               `json:"replayed"`
	Changed  []json.RawMessage `json:"changed"`
	PerRule  map[string]int    `json:"perRule"`
	Failed   []struct {
		ID    string `json:"id"`
		Error string `json:"error"`
	} `json:"failed"`
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
