package rulesapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules"
)

// InForce is the rule set a server decides with, where it was read and
// when it went into force.
type InForce struct {
	Set      *rules.Set
	Source   string // the directory, or "shipped" for the rulesets built into the program
	LoadedAt time.Time
}

// RulesetsOptions wires GET /rulesets and POST /rulesets/check.
type RulesetsOptions struct {
	// Authors may use the endpoints.
	Authors Authors
	// InForce reports the rule set in force; it is called once per request.
	InForce func() InForce
	// Language compiles an edited copy, as the server compiles its own.
	Language *rules.Language
	// Testers run the tests written in an edited copy: new ones per call,
	// so a check never touches the server's store.
	Testers func() []rules.Tester
}

// RegisterRulesets registers GET /rulesets, the rule files in force and
// their hash, and POST /rulesets/check, which compiles an edited copy and
// runs its tests without putting it in force (the web tool's playground).
func RegisterRulesets(api *httpapi.Server, o RulesetsOptions) {
	h := &rulesetsHandler{api: api, o: o}
	nameAPI(api)
	api.Handle("GET /rulesets", http.HandlerFunc(h.get))
	api.Handle("POST /rulesets/check", http.HandlerFunc(h.check))
}

type rulesetsHandler struct {
	api *httpapi.Server
	o   RulesetsOptions
}

// File is a rule file: its name and its text.
type File struct {
	Name   string `json:"name"`
	Source string `json:"source"`
}

// rulesetsBody is the answer of GET /rulesets.
type rulesetsBody struct {
	Hash     string    `json:"hash"`
	Source   string    `json:"source"`
	LoadedAt time.Time `json:"loadedAt"`
	Files    []File    `json:"files"`
}

func (h *rulesetsHandler) get(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := authorize(h.api, h.o.Authors, w, r); !ok {
		return
	}
	in := h.o.InForce()
	b := rulesetsBody{Hash: in.Set.Hash(), Source: in.Source, LoadedAt: in.LoadedAt.UTC(), Files: []File{}}
	for _, name := range in.Set.Files() {
		b.Files = append(b.Files, File{Name: name, Source: string(in.Set.Source(name))})
	}
	writeJSON(w, http.StatusOK, b)
}

// checkRequest is the body of POST /rulesets/check.
type checkRequest struct {
	Files []File `json:"files"`
	Run   string `json:"run"`
}

// CheckError is a problem in an edited copy, at its position, with the line
// and a caret under the column.
type CheckError struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
	Snippet string `json:"snippet"`
}

// CheckTest is the outcome of one test of an edited copy.
type CheckTest struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Name    string `json:"name"`
	Passed  bool   `json:"passed"`
	Message string `json:"message,omitempty"`
}

// checkBody is the answer of POST /rulesets/check.
type checkBody struct {
	Hash     string                `json:"hash"`
	OK       bool                  `json:"ok"`
	Errors   []CheckError          `json:"errors"`
	Tests    []CheckTest           `json:"tests"`
	Coverage *rules.CoverageReport `json:"coverage"`
}

var fileNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+\.ya?ml$`)

func (h *rulesetsHandler) check(w http.ResponseWriter, r *http.Request) {
	r, _, ok := authorize(h.api, h.o.Authors, w, r)
	if !ok {
		return
	}
	if !httpapi.IsJSON(r.Header.Get("Content-Type")) {
		writeError(w, domain.Errorf(domain.CodeInvalid, "", "send the edited files as JSON (Content-Type: application/json)"))
		return
	}
	var req checkRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		msg := "the body is not a check request: " + err.Error()
		if httpapi.IsTooLarge(err) {
			msg = "the body is larger than the server reads"
		}
		writeError(w, domain.Errorf(domain.CodeInvalid, "", "%s", msg))
		return
	}
	names, files, err := checkFiles(req.Files)
	if err != nil {
		writeError(w, err)
		return
	}
	var match func(string) bool
	if req.Run != "" {
		re, err := regexp.Compile(req.Run)
		if err != nil {
			writeError(w, domain.Errorf(domain.CodeInvalid, "run", "run is not a regular expression: %v", err))
			return
		}
		match = re.MatchString
	}
	writeJSON(w, http.StatusOK, checkCopy(r.Context(), h.o.Language, h.o.Testers(), names, files, match))
}

// checkFiles validates the files of a check request.
func checkFiles(in []File) ([]string, map[string][]byte, error) {
	if len(in) == 0 {
		return nil, nil, domain.Errorf(domain.CodeInvalid, "files", "send at least one rule file")
	}
	var errs []error
	names := make([]string, 0, len(in))
	files := make(map[string][]byte, len(in))
	for i, f := range in {
		field := "files[" + strconv.Itoa(i) + "].name"
		switch {
		case !fileNameRE.MatchString(f.Name):
			errs = append(errs, domain.Errorf(domain.CodeInvalid, field, "%q is not a rule file's name (letters, digits, '.', '_' and '-', ending in .yaml)", f.Name))
		case files[f.Name] != nil:
			errs = append(errs, domain.Errorf(domain.CodeInvalid, field, "%q is sent twice", f.Name))
		default:
			names = append(names, f.Name)
			files[f.Name] = []byte(f.Source)
		}
	}
	if len(errs) > 0 {
		return nil, nil, errs[0]
	}
	// Files compile in name order, as they do from a directory.
	sort.Strings(names)
	return names, files, nil
}

// checkCopy compiles files in lang and runs the tests whose name match
// accepts (all when nil): the answer of POST /rulesets/check.
func checkCopy(ctx context.Context, lang *rules.Language, testers []rules.Tester, names []string, files map[string][]byte, match func(string) bool) checkBody {
	b := checkBody{Errors: []CheckError{}, Tests: []CheckTest{}}
	addErr := func(err error) {
		var le *rules.LoadError
		if !errors.As(err, &le) {
			b.Errors = append(b.Errors, CheckError{Message: err.Error()})
			return
		}
		for _, p := range le.Problems {
			b.Errors = append(b.Errors, CheckError{File: p.Pos.File, Line: p.Pos.Line, Column: p.Pos.Col, Message: p.Msg,
				Snippet: rules.Snippet(files[p.Pos.File], p.Pos)})
		}
	}
	set, err := lang.Compile(names, files)
	if err != nil {
		addErr(err)
		return b
	}
	b.Hash = set.Hash()
	for _, sk := range set.Skipped() {
		b.Errors = append(b.Errors, CheckError{File: sk.File, Line: 1, Column: 1,
			Message: "declares context " + strconv.Quote(sk.Context) + ", which this server does not know; its rules were not compiled"})
	}
	results, err := set.RunMatching(ctx, match, testers...)
	if err != nil {
		addErr(err)
	}
	for _, r := range results {
		t := CheckTest{File: r.Pos.File, Line: r.Pos.Line, Name: r.Name, Passed: r.Passed(), Message: strings.Join(r.Failures, "; ")}
		b.Tests = append(b.Tests, t)
	}
	cov := set.CoverageOf(results)
	b.Coverage = &cov
	b.OK = len(b.Errors) == 0
	for _, t := range b.Tests {
		b.OK = b.OK && t.Passed
	}
	return b
}
