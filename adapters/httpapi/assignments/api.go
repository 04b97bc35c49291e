package assignments

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules/seats"
)

// Path is where the resource answers (the vendor's own path).
const Path = "/api/v2/licenseAssignments"

// The seed's messages.
const (
	// ReadOnly answers POST, PUT and DELETE (seed 004: "POST, PUT and DELETE
	// methods are not allowed", under "Access Denied.").
	ReadOnly = "Access Denied. POST, PUT and DELETE methods are not allowed"
	// NeedsRole answers a user without role USERADMIN or ACCOUNTADMIN.
	NeedsRole = "Access Denied. GET requires User Role of USERADMIN or ACCOUNTADMIN."
)

// Register serves License Assignments v2 on s at Path and Path/{id},
// reading with svc; the kit checks the HTTP Basic login
// (Server.AuthenticateBasic). Every answer at those paths is JSON: the bare
// array or object of the seed, or the error envelope.
func Register(s *httpapi.Server, svc *seats.Service) {
	s.NameAPI("assignments", Path)
	a := &api{s: s, seats: svc}
	s.Handle("GET "+Path, http.HandlerFunc(a.list))
	s.Handle("GET "+Path+"/{id}", http.HandlerFunc(a.one))
	s.Handle(Path, http.HandlerFunc(a.readOnly))
	s.Handle(Path+"/{id}", http.HandlerFunc(a.readOnly))
	s.Handle(Path+"/", http.HandlerFunc(a.notFound))
}

type api struct {
	s     *httpapi.Server
	seats *seats.Service
}

// assignment is one record, with the seed's fields in the seed's order.
type assignment struct {
	LicenseID        int64  `json:"licenseId"`
	UserID           int64  `json:"userId"`
	ActivationDate   string `json:"activationDate"`
	DeactivationDate string `json:"deactivationDate"`
	AccountID        int64  `json:"accountId"`
	ID               int64  `json:"id"`
	LastChangedDate  string `json:"lastChangedDate"`
}

// changedLayout is lastChangedDate's form (seed 004:
// YYYY-MM-DDTHH:MM:SS.sssZ, e.g. 1970-01-01T00:00:00.000Z).
const changedLayout = "2006-01-02T15:04:05.000Z"

func wire(a domain.Assignment) assignment {
	return assignment{LicenseID: a.LicenseID, UserID: a.UserID, ActivationDate: a.ActivationDate.String(),
		DeactivationDate: a.DeactivationDate.String(), AccountID: a.AccountID, ID: a.ID,
		LastChangedDate: a.LastChanged.UTC().Format(changedLayout)}
}

// authorize checks the Basic login and the role, before anything else of
// the request is looked at.
func (a *api) authorize(w http.ResponseWriter, r *http.Request) (*http.Request, domain.Principal, bool) {
	r, err := a.s.AuthenticateBasic(r)
	if err != nil {
		a.fail(w, err)
		return r, domain.Principal{}, false
	}
	who, _ := httpapi.PrincipalFrom(r.Context())
	if !who.HasRole(domain.UserAdmin, domain.AccountAdmin) {
		a.fail(w, domain.Errorf(domain.CodeForbidden, "", NeedsRole))
		return r, who, false
	}
	return r, who, true
}

// GET /api/v2/licenseAssignments
func (a *api) list(w http.ResponseWriter, r *http.Request) {
	r, who, ok := a.authorize(w, r)
	if !ok {
		return
	}
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		a.fail(w, err)
		return
	}
	if id, err := strconv.ParseInt(who.Account, 10, 64); err == nil {
		q.AccountID = id
	}
	as, err := a.seats.Assignments(r.Context(), who, q)
	if err != nil {
		a.fail(w, err)
		return
	}
	out := make([]assignment, 0, len(as))
	for _, x := range as {
		out = append(out, wire(x))
	}
	httpapi.WriteAnswer(w, httpapi.JSONAnswer(http.StatusOK, out))
}

// GET /api/v2/licenseAssignments/{id}: another account's id is 404, like
// an id that does not exist.
func (a *api) one(w http.ResponseWriter, r *http.Request) {
	r, who, ok := a.authorize(w, r)
	if !ok {
		return
	}
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 || id > domain.MaxID {
		a.fail(w, domain.Errorf(domain.CodeInvalid, "id", "the id in the path, %s, must be a whole number from 1 to %d", printable(raw), int64(domain.MaxID)))
		return
	}
	if r.URL.RawQuery != "" {
		name := r.URL.RawQuery
		if names := queryNames(r.URL.RawQuery); len(names) > 0 {
			name = names[0]
		}
		a.fail(w, domain.Errorf(domain.CodeInvalid, cut(name), "%s is not a parameter of %s/{id}; it takes none", printable(name), Path))
		return
	}
	x, err := a.seats.Assignment(r.Context(), who, id)
	if err != nil {
		a.fail(w, err)
		return
	}
	httpapi.WriteAnswer(w, httpapi.JSONAnswer(http.StatusOK, wire(x)))
}

// readOnly answers every method but GET (and HEAD): the resource is
// read-only. Nothing of the request is read, not even its credential.
func (a *api) readOnly(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Allow", "GET, HEAD")
	a.writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "", ReadOnly)
}

func (a *api) notFound(w http.ResponseWriter, r *http.Request) {
	a.writeError(w, http.StatusNotFound, string(domain.CodeNotFound), "",
		"there is no resource at "+r.URL.Path+"; License Assignments are at "+Path+" and "+Path+"/{id}")
}

// The error envelope (openapi.yaml's Error).
type errorEnvelope struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Field     string `json:"field,omitempty"`
	RequestID int64  `json:"requestId"`
}

// fail maps an error to its status and the envelope: the one place codes
// become HTTP statuses. Internal details are logged, never sent.
func (a *api) fail(w http.ResponseWriter, err error) {
	httpapi.WriterNote(w).Refused(err)
	var de *domain.Error
	if !errors.As(err, &de) {
		de = &domain.Error{Code: domain.CodeInternal, Err: err}
	}
	status, msg := http.StatusBadRequest, de.Message
	switch de.Code {
	case domain.CodeInvalid:
	case domain.CodeNotFound:
		status = http.StatusNotFound
	case domain.CodeConflict:
		status = http.StatusConflict
	case domain.CodeForbidden:
		// The seed's words, whichever check refused.
		status, msg = http.StatusForbidden, NeedsRole
	case domain.CodeUnauthenticated:
		status, msg = http.StatusUnauthorized, "Access Denied. "+sentence(de.Message)
		httpapi.SetBasicChallenge(w)
	case domain.CodeRateLimited:
		status = http.StatusTooManyRequests
		httpapi.SetRetryAfter(w, err)
	case domain.CodeUnavailable:
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "1")
	default:
		rid := a.s.UniqueID()
		a.s.Logger().Error("license assignments request failed", "requestId", rid, "err", err)
		httpapi.WriteAnswer(w, httpapi.JSONAnswer(http.StatusInternalServerError, errorEnvelope{Error: errorBody{
			Code: string(domain.CodeInternal), Message: "internal error; quote requestId when you report it", RequestID: rid}}))
		return
	}
	a.writeError(w, status, string(de.Code), de.Field, msg)
}

func (a *api) writeError(w http.ResponseWriter, status int, code, field, message string) {
	httpapi.WriteAnswer(w, httpapi.JSONAnswer(status, errorEnvelope{Error: errorBody{Code: code, Message: message,
		Field: field, RequestID: a.s.UniqueID()}}))
}
