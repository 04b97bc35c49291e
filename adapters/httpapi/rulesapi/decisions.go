package rulesapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
)

// DecisionsOptions wires RegisterDecisions. Every field is required.
type DecisionsOptions struct {
	// Rules returns the rule set in force, read once per request.
	Rules func() *rules.Set
	// Language compiles the edited copies of rule files a request sends.
	Language *rules.Language
	// Authors may use the endpoints.
	Authors Authors
}

// RegisterDecisions adds the decision log, explain and replay endpoints to
// api:
//
//	GET  /decisions?from=&to=&code=&rule=&principal=&account=&context=&pageSize=&pageToken=
//	GET  /decisions/{id}
//	GET  /decisions/{id}/explain
//	POST /rulesets/explain  {"context","request","files","now"}
//	POST /rulesets/replay   {"files","from","to"}
//
// A rule author reads, explains and replays only its own partner's
// decisions: another partner's decision is not found. openapi.yaml
// describes the bodies.
func RegisterDecisions(api *httpapi.Server, o DecisionsOptions) {
	h := &decisionsAPI{api: api, o: o}
	nameAPI(api)
	api.Handle("GET /decisions", http.HandlerFunc(h.list))
	api.Handle("GET /decisions/{id}", http.HandlerFunc(h.get))
	api.Handle("GET /decisions/{id}/explain", http.HandlerFunc(h.explainLogged))
	api.Handle("POST /rulesets/explain", http.HandlerFunc(h.explain))
	api.Handle("POST /rulesets/replay", http.HandlerFunc(h.replay))
}

type decisionsAPI struct {
	api *httpapi.Server
	o   DecisionsOptions
}

// decisionJSON is a logged decision on the wire.
type decisionJSON struct {
	ID          string                 `json:"id"`
	At          time.Time              `json:"at"`
	Context     string                 `json:"context"`
	Command     string                 `json:"command"`
	Partner     string                 `json:"partner"`
	Account     string                 `json:"account,omitempty"`
	Actor       string                 `json:"actor"`
	RulesetHash string                 `json:"rulesetHash"`
	Outcome     domain.DecisionOutcome `json:"outcome"`
	Request     json.RawMessage        `json:"request,omitempty"`
	State       json.RawMessage        `json:"state,omitempty"`
}

func wireDecision(r *domain.DecisionRecord, withState bool) decisionJSON {
	d := decisionJSON{ID: r.ID, At: r.At, Context: r.Context, Command: r.Command, Partner: r.Partner, Account: r.Account,
		Actor: r.Actor, RulesetHash: r.RulesetHash, Outcome: r.Outcome, Request: rawOrNil(r.Request)}
	if withState {
		d.State = rawOrNil(r.State)
	}
	return d
}

func rawOrNil(b []byte) json.RawMessage {
	if len(b) == 0 || !json.Valid(b) {
		return nil
	}
	return json.RawMessage(b)
}

type listJSON struct {
	Decisions     []decisionJSON `json:"decisions"`
	NextPageToken string         `json:"nextPageToken,omitempty"`
}

// parseListQuery reads GET /decisions' query; p's partner is the only
// partner it may name.
func parseListQuery(q map[string][]string, p domain.Principal) (domain.DecisionFilter, error) {
	f := domain.DecisionFilter{Partner: p.Partner}
	if p.Account != "" {
		f.Account = p.Account
	}
	var pr domain.Problems
	for k, vs := range q {
		if len(vs) != 1 {
			pr.Add("INVALID_QUERY", k, "give %s once", k)
			continue
		}
		v := vs[0]
		switch k {
		case "from", "to":
			t, err := parseTime(v)
			if err != nil {
				pr.Add("INVALID_QUERY", k, "%s", err.Error())
			} else if k == "from" {
				f.From = t
			} else {
				f.To = t
			}
		case "code":
			f.Code = v
		case "rule":
			f.Rule = v
		case "context":
			f.Context = v
		case "principal":
			if v != p.Partner {
				pr.Add("FORBIDDEN", k, "a rule author reads its own partner's decisions only")
			}
		case "account":
			if p.Account != "" && v != p.Account {
				pr.Add("FORBIDDEN", k, "an account's token reads that account's decisions only")
			}
			f.Account = v
		case "pageSize":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > domain.MaxDecisionPage {
				pr.Add("INVALID_QUERY", k, "pageSize is a number from 1 to %d", domain.MaxDecisionPage)
			}
			f.PageSize = n
		case "pageToken":
			f.PageToken = v
		default:
			pr.Add("INVALID_QUERY", k, "unknown parameter %q", k)
		}
	}
	if err := pr.Err(); err != nil {
		for _, v := range err.(*domain.Error).Violations {
			if v.Code == "FORBIDDEN" {
				return f, domain.Errorf(domain.CodeForbidden, v.Field, "%s", v.Message)
			}
		}
		return f, err
	}
	return f, nil
}

// parseTime reads RFC 3339 or a date (midnight UTC).
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, domain.Errorf(domain.CodeInvalid, "", "%q is neither RFC 3339 (2025-04-24T17:00:00Z) nor a date (2025-04-24)", s)
}

func (h *decisionsAPI) list(w http.ResponseWriter, r *http.Request) {
	r, p, ok := authorize(h.api, h.o.Authors, w, r)
	if !ok {
		return
	}
	f, err := parseListQuery(r.URL.Query(), p)
	if err != nil {
		writeError(w, err)
		return
	}
	var (
		page []domain.DecisionRecord
		next string
	)
	err = h.api.Store().View(r.Context(), func(tx ports.Tx) (err error) {
		page, next, err = tx.Decisions().List(r.Context(), f)
		return err
	})
	if err != nil {
		writeError(w, err)
		return
	}
	out := listJSON{Decisions: make([]decisionJSON, len(page)), NextPageToken: next}
	for i := range page {
		out.Decisions[i] = wireDecision(&page[i], false)
	}
	writeJSON(w, http.StatusOK, out)
}

// record reads the decision with the path's id that p may see: another
// partner's (or, for an account's token, another account's) is not found.
func (h *decisionsAPI) record(r *http.Request, p domain.Principal) (domain.DecisionRecord, error) {
	id := r.PathValue("id")
	var rec domain.DecisionRecord
	err := h.api.Store().View(r.Context(), func(tx ports.Tx) (err error) {
		rec, err = tx.Decisions().Get(r.Context(), id)
		return err
	})
	if err == nil && (rec.Partner != p.Partner || (p.Account != "" && rec.Account != p.Account)) {
		err = domain.Errorf(domain.CodeNotFound, "id", "no decision %q", id)
	}
	return rec, err
}

func (h *decisionsAPI) get(w http.ResponseWriter, r *http.Request) {
	r, p, ok := authorize(h.api, h.o.Authors, w, r)
	if !ok {
		return
	}
	rec, err := h.record(r, p)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, wireDecision(&rec, true))
}
