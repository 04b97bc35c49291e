package rulesapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing/fstest"
	"time"
	"unicode/utf8"

	"github.com/entitle-rules/entitle/adapters/internal/decisions"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules"
)

// maxBody bounds the body of an explain or replay request (rule files
// included).
const maxBody = 4 << 20

// explainBody is POST /rulesets/explain's request.
type explainBody struct {
	Context string          `json:"context"` // orders (default), seats or accounts
	Request json.RawMessage `json:"request"`
	Files   []File          `json:"files"`
	Now     string          `json:"now"` // RFC 3339; default: the server's clock
}

// replayBody is POST /rulesets/replay's request.
type replayBody struct {
	Files []File `json:"files"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// decodeExplainBody reads and checks an explain request: a known context,
// a request object, well-formed files and instant. CodeInvalid naming the
// field for anything else.
func decodeExplainBody(b []byte) (explainBody, time.Time, error) {
	var body explainBody
	if err := decodeBody(b, &body, "context", "request", "files", "now"); err != nil {
		return body, time.Time{}, err
	}
	if body.Context == "" {
		body.Context = "orders"
	}
	if !contains(decisions.Contexts, body.Context) {
		return body, time.Time{}, domain.Errorf(domain.CodeInvalid, "context", "context %q is not one of %s", body.Context, strings.Join(decisions.Contexts, ", "))
	}
	if t := bytes.TrimSpace(body.Request); len(t) == 0 || t[0] != '{' {
		return body, time.Time{}, domain.Errorf(domain.CodeInvalid, "request", "request is the API's own JSON object (for seats and accounts: the decision's facts)")
	}
	if len(body.Files) > 0 {
		if _, _, err := checkFiles(body.Files); err != nil {
			return body, time.Time{}, err
		}
	}
	var now time.Time
	if body.Now != "" {
		t, err := parseTime(body.Now)
		if err != nil {
			return body, time.Time{}, domain.Errorf(domain.CodeInvalid, "now", "%s", err.(*domain.Error).Message)
		}
		now = t
	}
	return body, now, nil
}

// decodeReplayBody reads and checks a replay request.
func decodeReplayBody(b []byte) (replayBody, decisions.Window, error) {
	var (
		body replayBody
		w    decisions.Window
	)
	if err := decodeBody(b, &body, "files", "from", "to"); err != nil {
		return body, w, err
	}
	if len(body.Files) > 0 {
		if _, _, err := checkFiles(body.Files); err != nil {
			return body, w, err
		}
	}
	for _, f := range []struct {
		name string
		s    string
		t    *time.Time
	}{{"from", body.From, &w.From}, {"to", body.To, &w.To}} {
		if f.s == "" {
			continue
		}
		t, err := parseTime(f.s)
		if err != nil {
			return body, w, domain.Errorf(domain.CodeInvalid, f.name, "%s", err.(*domain.Error).Message)
		}
		*f.t = t
	}
	return body, w, nil
}

// decodeBody decodes a JSON object holding only the fields named (spelled
// exactly so) into v. Rule file sources are text with line breaks, so the
// kit's decoder, which refuses control characters, is not used; NUL bytes
// and invalid UTF-8 are refused here.
func decodeBody(b []byte, v any, fields ...string) error {
	if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
		return domain.Errorf(domain.CodeInvalid, "", "the body is not UTF-8 text")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil || top == nil {
		return domain.Errorf(domain.CodeInvalid, "", "the body is not a JSON object")
	}
	for k := range top {
		if !contains(fields, k) {
			return domain.Errorf(domain.CodeInvalid, k, "unknown field %q; the fields are %s", k, strings.Join(fields, ", "))
		}
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return domain.Errorf(domain.CodeInvalid, te.Field, "%s has the wrong type (%s)", te.Field, te.Value)
		}
		return domain.Errorf(domain.CodeInvalid, "", "the body does not decode: %v", err)
	}
	if d.More() {
		return domain.Errorf(domain.CodeInvalid, "", "more than one JSON value")
	}
	return nil
}

func itoa(i int) string { return strconv.Itoa(i) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// readBody reads a bounded request body.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, domain.Errorf(domain.CodeInvalid, "", "the body is over %d bytes", maxBody)
	}
	return b, err
}

// setFor returns the set in force, or the set compiled from files when
// some are sent: the whole directory the author edits, as `entitle check`
// compiles it. Compile errors are CodeInvalid naming files, with every
// problem at file:line:col.
func (h *decisionsAPI) setFor(files []File) (*rules.Set, error) {
	if len(files) == 0 {
		return h.o.Rules(), nil
	}
	fsys := fstest.MapFS{}
	for _, f := range files {
		fsys[f.Name] = &fstest.MapFile{Data: []byte(f.Source)}
	}
	set, err := h.o.Language.Load(fsys)
	if err != nil {
		var le *rules.LoadError
		if errors.As(err, &le) {
			var b strings.Builder
			for i, p := range le.Problems {
				if i > 0 {
					b.WriteString("; ")
				}
				b.WriteString(p.String())
			}
			return nil, domain.Errorf(domain.CodeInvalid, "files", "the files do not compile: %s", b.String())
		}
		return nil, domain.Wrap(err, domain.CodeInvalid, "the files do not compile: %v", err)
	}
	return set, nil
}

func (h *decisionsAPI) explain(w http.ResponseWriter, r *http.Request) {
	r, p, ok := authorize(h.api, h.o.Authors, w, r)
	if !ok {
		return
	}
	b, err := readBody(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	body, now, err := decodeExplainBody(b)
	if err != nil {
		writeError(w, err)
		return
	}
	set, err := h.setFor(body.Files)
	if err != nil {
		writeError(w, err)
		return
	}
	if now.IsZero() {
		now = h.api.Now()
	}
	var ex *decisions.Explanation
	if body.Context == "orders" {
		req, err := decisions.DecodeOrderRequest(body.Request)
		if err != nil {
			writeError(w, err)
			return
		}
		ex, err = decisions.ExplainOrder(r.Context(), h.api.Store(), set, p, req, now)
		if err != nil {
			writeError(w, err)
			return
		}
	} else if ex, err = decisions.ExplainFacts(set, body.Context, body.Request); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ex)
}

func (h *decisionsAPI) explainLogged(w http.ResponseWriter, r *http.Request) {
	r, p, ok := authorize(h.api, h.o.Authors, w, r)
	if !ok {
		return
	}
	rec, err := h.record(r, p)
	if err != nil {
		writeError(w, err)
		return
	}
	ex, err := decisions.ExplainRecord(h.o.Rules(), &rec)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ex)
}

func (h *decisionsAPI) replay(w http.ResponseWriter, r *http.Request) {
	r, p, ok := authorize(h.api, h.o.Authors, w, r)
	if !ok {
		return
	}
	b, err := readBody(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	body, win, err := decodeReplayBody(b)
	if err != nil {
		writeError(w, err)
		return
	}
	set, err := h.setFor(body.Files)
	if err != nil {
		writeError(w, err)
		return
	}
	// A rule author replays its own partner's decisions (an account's
	// token, its account's).
	win.Partner, win.Account = p.Partner, p.Account
	rep, err := decisions.Replay(r.Context(), h.api.Store(), set, win, nil)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}
