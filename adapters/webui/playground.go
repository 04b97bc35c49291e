package webui

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
)

// playgroundData is the playground page: the rules in force, the edited
// copy (the draft) with the file being edited, and the last result.
type playgroundData struct {
	InForce  rulesInForce
	Files    []ruleFile // the draft, or the files in force when none
	Edited   map[string]bool
	Current  ruleFile
	Check    *checkAnswer
	Explain  *explainAnswer
	Decision string // the explain answer's decision, indented
	Replay   *replayAnswer
	Changed  []string
	Error    string
	// The explain and replay forms' last input.
	Context, Request, From, To, Run string
	Contexts                        []string
}

// sampleRequest is the explain form's first request: a seats decision's
// facts as the decision log keeps them (what POST /rulesets/explain takes
// for seats): an Account Manager call assigning MileOn to driver-7 when
// every seat is taken, which the shipped rules refuse (NO_FREE_SEAT).
const sampleRequest = `{
  "decision": "items",
  "now": "2025-04-24T10:00:00Z",
  "call": {"action": "assign", "productId": "MileOn", "items": 1},
  "account": {"users": 3, "alias": "acme-fleet"},
  "items": [{
    "item": {"action": "assign", "productId": "MileOn", "externalId": "driver-7", "index": 0, "userFound": true},
    "pool": {"owned": 2, "assigned": 2, "free": 0}
  }]
}`

// playground shows the rules in force and the edited copy. Nothing here
// changes the rules in force: every call sends the copy with the request.
func (h *Handler) playground(w http.ResponseWriter, r *http.Request, s *session) {
	d, ok := h.playgroundState(w, r, s, r.URL.Query().Get("file"))
	if !ok {
		return
	}
	h.render(w, r, http.StatusOK, "playground", s, view{Title: "Ruleset playground", Data: d})
}

// playgroundState reads the rules in force and fills the page from the
// session's draft.
func (h *Handler) playgroundState(w http.ResponseWriter, r *http.Request, s *session, file string) (*playgroundData, bool) {
	d := &playgroundData{Edited: map[string]bool{}, Contexts: []string{"seats", "orders", "accounts"}, Context: "seats", Request: sampleRequest}
	a, err := h.rulesCall(r, s, http.MethodGet, rulesetsPath, nil, &d.InForce)
	if err != nil || !a.OK() {
		if err == nil && (a.Status == http.StatusForbidden || a.Status == http.StatusNotFound) {
			msg := a.message()
			if a.Status == http.StatusNotFound {
				msg = "This server does not serve the rule authors' API."
			}
			h.render(w, r, a.Status, "error", s, view{Title: "Ruleset playground", Data: errorPage{Message: msg}})
			return nil, false
		}
		h.fail(w, r, s, a, err)
		return nil, false
	}
	s.mu.Lock()
	draft := append([]ruleFile(nil), s.draft...)
	s.mu.Unlock()
	if draft == nil {
		draft = append([]ruleFile(nil), d.InForce.Files...)
	}
	inForce := map[string]string{}
	for _, f := range d.InForce.Files {
		inForce[f.Name] = f.Source
	}
	for _, f := range draft {
		if src, ok := inForce[f.Name]; !ok || src != f.Source {
			d.Edited[f.Name] = true
		}
	}
	d.Files = draft
	for _, f := range draft {
		if f.Name == file || (file == "" && d.Current.Name == "") {
			d.Current = f
		}
	}
	return d, true
}

// saveDraft stores the edited file in the session's copy.
func (s *session) saveDraft(base []ruleFile, name, source string) []ruleFile {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draft == nil {
		s.draft = append([]ruleFile(nil), base...)
	}
	// Browsers send a textarea's lines with CRLF; the rule files have LF.
	source = strings.ReplaceAll(source, "\r\n", "\n")
	for i := range s.draft {
		if s.draft[i].Name == name {
			s.draft[i].Source = source
		}
	}
	return append([]ruleFile(nil), s.draft...)
}

// playgroundCheck saves the edited file into the copy, then compiles the
// copy and runs its tests (POST /rulesets/check).
func (h *Handler) playgroundCheck(w http.ResponseWriter, r *http.Request, s *session) {
	name := r.PostFormValue("file")
	d, ok := h.playgroundState(w, r, s, name)
	if !ok {
		return
	}
	if _, had := r.PostForm["source"]; had {
		d.Files = s.saveDraft(d.Files, name, r.PostFormValue("source"))
		d, ok = h.playgroundState(w, r, s, name)
		if !ok {
			return
		}
	}
	d.Run = strings.TrimSpace(r.PostFormValue("run"))
	var out checkAnswer
	a, err := h.rulesCall(r, s, http.MethodPost, checkPath, checkRequest{Files: d.Files, Run: d.Run}, &out)
	switch {
	case err != nil:
		h.fail(w, r, s, a, err)
		return
	case !a.OK():
		d.Error = a.message()
	default:
		d.Check = &out
	}
	h.render(w, r, http.StatusOK, "playground", s, view{Title: "Ruleset playground", Data: d})
}

// playgroundExplain decides a sample request under the copy and shows the
// trace (POST /rulesets/explain).
func (h *Handler) playgroundExplain(w http.ResponseWriter, r *http.Request, s *session) {
	d, ok := h.playgroundState(w, r, s, r.PostFormValue("file"))
	if !ok {
		return
	}
	d.Context, d.Request = r.PostFormValue("context"), r.PostFormValue("request")
	if !json.Valid([]byte(d.Request)) {
		d.Error = "request: the sample request is not JSON."
		h.render(w, r, http.StatusOK, "playground", s, view{Title: "Ruleset playground", Data: d})
		return
	}
	req := explainRequest{Context: d.Context, Request: json.RawMessage(d.Request)}
	if len(d.Edited) > 0 {
		req.Files = d.Files
	}
	var out explainAnswer
	a, err := h.rulesCall(r, s, http.MethodPost, explainPath, req, &out)
	switch {
	case err != nil:
		h.fail(w, r, s, a, err)
		return
	case !a.OK():
		d.Error = a.message()
	default:
		d.Explain = &out
		var buf bytes.Buffer
		if json.Indent(&buf, out.Decision, "", "  ") == nil {
			d.Decision = buf.String()
		}
	}
	h.render(w, r, http.StatusOK, "playground", s, view{Title: "Ruleset playground", Data: d})
}

// playgroundReplay decides the decision log again under the copy (POST
// /rulesets/replay) and lists what would change.
func (h *Handler) playgroundReplay(w http.ResponseWriter, r *http.Request, s *session) {
	d, ok := h.playgroundState(w, r, s, r.PostFormValue("file"))
	if !ok {
		return
	}
	d.From, d.To = strings.TrimSpace(r.PostFormValue("from")), strings.TrimSpace(r.PostFormValue("to"))
	var out replayAnswer
	a, err := h.rulesCall(r, s, http.MethodPost, replayPath, replayRequest{Files: d.Files, From: d.From, To: d.To}, &out)
	switch {
	case err != nil:
		h.fail(w, r, s, a, err)
		return
	case !a.OK():
		d.Error = a.message()
	default:
		d.Replay = &out
		for _, c := range out.Changed {
			d.Changed = append(d.Changed, string(c))
		}
	}
	h.render(w, r, http.StatusOK, "playground", s, view{Title: "Ruleset playground", Data: d})
}

// playgroundReset drops the edited copy.
func (h *Handler) playgroundReset(w http.ResponseWriter, r *http.Request, s *session) {
	s.mu.Lock()
	s.draft = nil
	s.mu.Unlock()
	redirect(w, r, "/ui/rules")
}
