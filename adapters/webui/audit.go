package webui

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// auditPageSize is how many events the account view's audit trail lists.
const auditPageSize = 20

// auditEvent is one event of the Account Manager's GET /audit.
type auditEvent struct {
	ID      string   `json:"id"`
	At      string   `json:"at"`
	Actor   string   `json:"actor"`
	Command string   `json:"command"`
	Subject string   `json:"subject"`
	Codes   []string `json:"codes"`
}

// When is the event's instant as a person reads it, in UTC.
func (e auditEvent) When() string {
	t, err := time.Parse(time.RFC3339Nano, e.At)
	if err != nil {
		return e.At
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// What says the command in words, whatever context wrote it; an unknown
// one is shown as its name.
func (e auditEvent) What() string {
	if w, ok := commandWords[e.Command]; ok {
		return w
	}
	return e.Command
}

var commandWords = map[string]string{
	"CreateCompany": "created the company", "SetSeats": "set the company's seats",
	"AddUser": "added a user", "UpdateUser": "edited a user", "DeleteUser": "deleted a user",
	"Assign": "assigned a seat", "Release": "released a seat",
	"Block": "blocked the account", "Unblock": "unblocked the account", "ScheduleBlock": "scheduled a block",
	"SetClientPlan": "set a client plan", "AddManaged": "added managed accounts",
	"ProvisionManaged": "provisioned managed billing", "CancelManaged": "cancelled managed billing",
}

// auditTrail is one page of the account view's audit trail.
type auditTrail struct {
	Events []auditEvent
	Total  int
	Offset int
	Prev   int
	Next   int // 0: no next page
}

// Codes joins an event's decision codes for a table cell.
func (e auditEvent) CodeList() string { return strings.Join(e.Codes, ", ") }

// loadAudit reads the page of the account's audit trail at offset
// (GET /api/v1/audit with the session's account token), newest first.
func (h *Handler) loadAudit(ctx context.Context, r *http.Request, s *session, offset int) (auditTrail, answer, error) {
	a, err := h.am(ctx, r, s, true, http.MethodGet, "/audit", url.Values{"offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(auditPageSize)}}, nil)
	if err != nil || !a.OK() {
		return auditTrail{}, a, err
	}
	var out struct {
		Events []auditEvent
		Total  int
	}
	if err := a.decode(&out); err != nil {
		return auditTrail{}, answer{}, err
	}
	t := auditTrail{Events: out.Events, Total: out.Total, Offset: offset, Prev: max(offset-auditPageSize, 0)}
	if offset+auditPageSize < out.Total {
		t.Next = offset + auditPageSize
	}
	return t, a, nil
}
