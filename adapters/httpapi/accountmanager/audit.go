package accountmanager

import (
	"net/http"

	"github.com/entitle-rules/entitle/domain"
)

// auditEventAnswer is one event of an account's audit trail: who (actor:
// the partner, or partner/user) did what (command, subject) when, and the
// decision codes and rule files it was decided under.
type auditEventAnswer struct {
	ID          string   `json:"id"`
	At          string   `json:"at"`
	Actor       string   `json:"actor"`
	Command     string   `json:"command"`
	Subject     string   `json:"subject"`
	Allowed     bool     `json:"allowed"`
	Codes       []string `json:"codes"`
	RulesetHash string   `json:"rulesetHash"`
}

type auditAnswer struct {
	Events []auditEventAnswer `json:"events"`
	Total  int                `json:"total"`
	Offset int                `json:"offset"`
	Limit  int                `json:"limit"`
}

func auditEventOf(e domain.AuditEvent) auditEventAnswer {
	codes := e.Codes
	if codes == nil {
		codes = []string{}
	}
	return auditEventAnswer{ID: e.ID, At: stamp(e.At), Actor: e.Actor, Command: e.Command, Subject: e.Subject,
		Allowed: e.Allowed, Codes: codes, RulesetHash: e.RulesetHash}
}

// GET /audit?offset=&limit=: the account's audit trail, newest first.
func (a *api) audit(w http.ResponseWriter, r *http.Request) {
	r, who, ok := a.authorize(w, r, accountScope)
	if !ok {
		return
	}
	offset, limit, err := page(r.URL.RawQuery)
	if err != nil {
		a.fail(w, err)
		return
	}
	es, total, err := a.seats.AuditTrail(r.Context(), who, offset, limit)
	out := auditAnswer{Events: make([]auditEventAnswer, 0, len(es)), Total: total, Offset: offset, Limit: limit}
	for _, e := range es {
		out.Events = append(out.Events, auditEventOf(e))
	}
	a.answer(w, out, err)
}
