package webui

import (
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// user is the Account Manager's User object.
type user struct {
	ID          int64  `json:"id"`
	ExternalID  string `json:"externalId"`
	Email       string `json:"email"`
	FirstName   string `json:"firstName"`
	LastName    string `json:"lastName"`
	PhoneNumber string `json:"phoneNumber"`
	CreatedAt   string `json:"createdAt"`
	UpdatedAt   string `json:"updatedAt"`
}

// pageSize is how many users a page lists.
const pageSize = 50

type accountData struct {
	Company  company
	Products []string
	Users    []user
	Total    int
	Offset   int
	Prev     int
	Next     int // 0: no next page
	Search   string
	// SearchMiss says the searched externalId is no user.
	SearchMiss bool
	// Audit is a page of the company's audit trail (?auditOffset=).
	Audit auditTrail
}

// accountHome shows the company's seats per product (owned, assigned,
// free), its users (a page, or the one searched for by externalId) with a
// selection to give or take seats, and the forms to add users one by one
// or from a CSV list.
func (h *Handler) accountHome(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	s.mu.Lock()
	alias := s.alias
	s.mu.Unlock()
	a, err := h.am(ctx, r, s, false, http.MethodGet, "/companies/"+url.PathEscape(alias), nil, nil)
	if err != nil || !a.OK() {
		h.fail(w, r, s, a, err)
		return
	}
	var d accountData
	if err := a.decode(&d.Company); err != nil {
		h.fail(w, r, s, answer{}, err)
		return
	}
	d.Products = knownProducts(d.Company)
	d.Search = strings.TrimSpace(r.URL.Query().Get("externalId"))
	if d.Search != "" {
		a, err := h.am(ctx, r, s, true, http.MethodGet, "/users/"+url.PathEscape(d.Search), nil, nil)
		switch {
		case err != nil:
			h.fail(w, r, s, a, err)
			return
		case a.Status == http.StatusNotFound:
			d.SearchMiss = true
		case !a.OK():
			h.fail(w, r, s, a, nil)
			return
		default:
			var u user
			if err := a.decode(&u); err != nil {
				h.fail(w, r, s, answer{}, err)
				return
			}
			d.Users, d.Total = []user{u}, 1
		}
	} else {
		d.Offset, _ = strconv.Atoi(r.URL.Query().Get("offset"))
		d.Offset = max(d.Offset, 0)
		a, err := h.am(ctx, r, s, true, http.MethodGet, "/users", url.Values{"offset": {strconv.Itoa(d.Offset)}, "limit": {strconv.Itoa(pageSize)}}, nil)
		if err != nil || !a.OK() {
			h.fail(w, r, s, a, err)
			return
		}
		var out struct {
			Users []user
			Total int
		}
		if err := a.decode(&out); err != nil {
			h.fail(w, r, s, answer{}, err)
			return
		}
		d.Users, d.Total = out.Users, out.Total
		d.Prev = max(d.Offset-pageSize, 0)
		if d.Offset+pageSize < d.Total {
			d.Next = d.Offset + pageSize
		}
	}
	auditOffset, _ := strconv.Atoi(r.URL.Query().Get("auditOffset"))
	if d.Audit, a, err = h.loadAudit(ctx, r, s, max(auditOffset, 0)); err != nil || !a.OK() {
		h.fail(w, r, s, a, err)
		return
	}
	h.render(w, r, http.StatusOK, "account", s, view{Title: d.Company.Name, Data: d})
}

// userFields reads the user form.
func userFields(r *http.Request) map[string]string {
	out := map[string]string{}
	for _, c := range csvColumns {
		out[c] = strings.TrimSpace(r.PostFormValue(c))
	}
	return out
}

// addUser is POST /users.
func (h *Handler) addUser(w http.ResponseWriter, r *http.Request, s *session) {
	f := userFields(r)
	body := map[string]string{}
	for k, v := range f {
		if v != "" || k == "externalId" {
			body[k] = v
		}
	}
	a, err := h.am(r.Context(), r, s, true, http.MethodPost, "/users", nil, body)
	if err != nil {
		h.fail(w, r, s, a, err)
		return
	}
	if !a.OK() {
		s.setFlash(&flash{Kind: "error", Message: "User " + f["externalId"] + " was not added: " + a.message()})
	} else {
		s.setFlash(&flash{Kind: "ok", Message: "User " + f["externalId"] + " added."})
	}
	redirect(w, r, "/ui/account")
}

type userData struct{ User user }

// userPage is the form to edit one user (and to delete it).
func (h *Handler) userPage(w http.ResponseWriter, r *http.Request, s *session) {
	a, err := h.am(r.Context(), r, s, true, http.MethodGet, "/users/"+url.PathEscape(r.PathValue("externalId")), nil, nil)
	if err != nil || !a.OK() {
		h.fail(w, r, s, a, err)
		return
	}
	var u user
	if err := a.decode(&u); err != nil {
		h.fail(w, r, s, answer{}, err)
		return
	}
	h.render(w, r, http.StatusOK, "user", s, view{Title: "User " + u.ExternalID, Data: userData{User: u}})
}

// updateUser is PUT /users/{externalId}: the form's fields replace the
// user's.
func (h *Handler) updateUser(w http.ResponseWriter, r *http.Request, s *session) {
	ext := r.PathValue("externalId")
	f := userFields(r)
	if f["externalId"] == "" {
		delete(f, "externalId")
	}
	a, err := h.am(r.Context(), r, s, true, http.MethodPut, "/users/"+url.PathEscape(ext), nil, f)
	if err != nil {
		h.fail(w, r, s, a, err)
		return
	}
	if !a.OK() {
		s.setFlash(&flash{Kind: "error", Message: "User " + ext + " was not changed: " + a.message()})
		redirect(w, r, "/ui/account/users/"+url.PathEscape(ext))
		return
	}
	s.setFlash(&flash{Kind: "ok", Message: "User " + ext + " saved."})
	redirect(w, r, "/ui/account")
}

// deleteUser is DELETE /users/{externalId}; the seats it held are free
// from today, and the message says which.
func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request, s *session) {
	ext := r.PathValue("externalId")
	a, err := h.am(r.Context(), r, s, true, http.MethodDelete, "/users/"+url.PathEscape(ext), nil, nil)
	if err != nil || !a.OK() {
		h.fail(w, r, s, a, err)
		return
	}
	var out struct {
		EndedAssignments []struct {
			ProductID string `json:"productId"`
		} `json:"endedAssignments"`
	}
	if err := a.decode(&out); err != nil {
		h.fail(w, r, s, answer{}, err)
		return
	}
	msg := "User " + ext + " deleted."
	if n := len(out.EndedAssignments); n > 0 {
		var ps []string
		for _, e := range out.EndedAssignments {
			ps = append(ps, e.ProductID)
		}
		msg += fmt.Sprintf(" Its %d seat(s) (%s) are free from today.", n, strings.Join(ps, ", "))
	}
	s.setFlash(&flash{Kind: "ok", Message: msg})
	redirect(w, r, "/ui/account")
}

// maxUpload bounds a CSV file read from a form.
const maxUpload = 512 << 10

// importUsers adds the users of a CSV list, pasted or uploaded, one POST
// /users each, and shows each row's result.
func (h *Handler) importUsers(w http.ResponseWriter, r *http.Request, s *session) {
	text := []byte(r.PostFormValue("csv"))
	if f, _, err := r.FormFile("file"); err == nil {
		b, err := io.ReadAll(io.LimitReader(f, maxUpload+1))
		f.Close()
		if err != nil || len(b) > maxUpload {
			s.setFlash(&flash{Kind: "error", Message: fmt.Sprintf("The file could not be read, or is larger than %d KiB.", maxUpload>>10)})
			redirect(w, r, "/ui/account#import")
			return
		}
		if len(strings.TrimSpace(string(b))) > 0 {
			text = b
		}
	}
	rows, perr := parseCSV(text)
	if perr != nil && len(rows) == 0 {
		s.setFlash(&flash{Kind: "error", Message: "The list was not read: " + perr.Error()})
		redirect(w, r, "/ui/account#import")
		return
	}
	if len(rows) == 0 {
		s.setFlash(&flash{Kind: "error", Message: "The list is empty: paste rows of External ID, Email, First Name, Last Name, Phone Number, or choose a file."})
		redirect(w, r, "/ui/account#import")
		return
	}
	f := &flash{Kind: "ok"}
	added := 0
	for _, row := range rows {
		item := fmt.Sprintf("line %d: %s", row.Line, row.Fields["externalId"])
		if row.Err != "" {
			f.Rows = append(f.Rows, resultRow{Item: item, Status: "Fail", Reason: row.Err})
			continue
		}
		body := map[string]string{}
		for k, v := range row.Fields {
			if v != "" {
				body[k] = v
			}
		}
		a, err := h.am(r.Context(), r, s, true, http.MethodPost, "/users", nil, body)
		if err != nil {
			h.fail(w, r, s, a, err)
			return
		}
		if a.OK() {
			added++
			f.Rows = append(f.Rows, resultRow{Item: item, Status: "Success", OK: true})
		} else {
			f.Rows = append(f.Rows, resultRow{Item: item, Status: "Fail", Reason: a.message()})
		}
	}
	f.Message = fmt.Sprintf("%d of %d user(s) added.", added, len(rows))
	if perr != nil {
		f.Message += " The rest of the list was not read: " + perr.Error()
	}
	if added < len(rows) {
		f.Kind = "error"
	}
	s.setFlash(f)
	redirect(w, r, "/ui/account#results")
}

// seats gives the selected users a seat of a product, or takes it back:
// POST or DELETE /license/{productId} for one user, /bulk for several.
func (h *Handler) seats(w http.ResponseWriter, r *http.Request, s *session) {
	if err := r.ParseForm(); err != nil {
		s.setFlash(&flash{Kind: "error", Message: "The form could not be read."})
		redirect(w, r, "/ui/account")
		return
	}
	productID := strings.TrimSpace(r.PostFormValue("productId"))
	var ids []string
	for _, id := range r.PostForm["externalId"] {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	action := r.PostFormValue("action")
	if len(ids) == 0 || productID == "" || (action != "assign" && action != "release") {
		s.setFlash(&flash{Kind: "error", Message: "Select one or more users and a product, then Assign or Release."})
		redirect(w, r, "/ui/account")
		return
	}
	method := http.MethodPost
	if action == "release" {
		method = http.MethodDelete
	}
	path := "/license/" + url.PathEscape(productID)
	var body any = map[string]string{"externalId": ids[0]}
	if len(ids) > 1 {
		path += "/bulk"
		body = map[string][]string{"externalIds": ids}
	}
	a, err := h.am(r.Context(), r, s, true, method, path, nil, body)
	if err != nil {
		h.fail(w, r, s, a, err)
		return
	}
	f := &flash{Kind: "ok"}
	verb := map[string]string{"assign": "assigned", "release": "released"}[action]
	if !a.OK() {
		f.Kind, f.Message = "error", fmt.Sprintf("No %s seat was %s: %s", productID, verb, a.message())
		s.setFlash(f)
		redirect(w, r, "/ui/account")
		return
	}
	var items []struct {
		ExternalID string `json:"externalId"`
		Status     string `json:"status"`
		Reason     string `json:"reason"`
	}
	if len(ids) > 1 {
		var out struct {
			Results []struct {
				ExternalID string `json:"externalId"`
				Status     string `json:"status"`
				Reason     string `json:"reason"`
			} `json:"results"`
		}
		err = a.decode(&out)
		for _, x := range out.Results {
			items = append(items, x)
		}
	} else {
		var one struct {
			ExternalID string `json:"externalId"`
			Status     string `json:"status"`
			Reason     string `json:"reason"`
		}
		err = a.decode(&one)
		items = append(items, one)
	}
	if err != nil {
		h.fail(w, r, s, answer{}, err)
		return
	}
	ok := 0
	for _, it := range items {
		good := it.Status == "Success"
		if good {
			ok++
		} else {
			f.Kind = "error"
		}
		f.Rows = append(f.Rows, resultRow{Item: it.ExternalID, Status: it.Status, Reason: it.Reason, OK: good})
	}
	f.Message = fmt.Sprintf("%s: %d of %d %s.", productID, ok, len(items), verb)
	s.setFlash(f)
	redirect(w, r, "/ui/account#results")
}

// historyQuery are the License Assignments v2 parameters the history page
// passes on (seed 004's filters, paging and sort).
var historyQuery = []string{"license-id", "user-id", "from-activation-date", "to-activation-date", "sort", "offset", "limit"}

type assignment struct {
	LicenseID        int64  `json:"licenseId"`
	UserID           int64  `json:"userId"`
	ActivationDate   string `json:"activationDate"`
	DeactivationDate string `json:"deactivationDate"`
	AccountID        int64  `json:"accountId"`
	ID               int64  `json:"id"`
	LastChangedDate  string `json:"lastChangedDate"`
	Ended            bool   `json:"-"`
}

type historyData struct {
	// NeedsLogin: a company session has not given an administrator's login
	// yet (License Assignments v2 takes HTTP Basic only).
	NeedsLogin bool
	Filter     map[string]string
	Sorts      []string
	Rows       []assignment
	Error      string
	// Prev and Next are the links to the neighbouring pages (empty: none).
	Prev, Next template.URL
}

// history is License Assignments v2 (seed 004) with its filters, paging
// and sort, read with the account user's login.
func (h *Handler) history(w http.ResponseWriter, r *http.Request, s *session) {
	s.mu.Lock()
	k, user, pass := s.kind, s.username, s.password
	s.mu.Unlock()
	d := historyData{Filter: map[string]string{}, Sorts: []string{"id", "-id", "license-id", "-license-id", "user-id", "-user-id", "activation-date", "-activation-date"}}
	if k == partnerKind {
		h.render(w, r, http.StatusForbidden, "error", s, view{Title: "Not for this sign-in", Data: errorPage{Message: "The assignment history is an account's: sign in as a company or an account user."}})
		return
	}
	if user == "" {
		d.NeedsLogin = true
		h.render(w, r, http.StatusOK, "history", s, view{Title: "Assignment history", Data: d})
		return
	}
	q := url.Values{}
	for _, p := range historyQuery {
		if v := strings.TrimSpace(r.URL.Query().Get(p)); v != "" {
			q.Set(p, v)
			d.Filter[p] = v
		}
	}
	if q.Get("limit") == "" {
		q.Set("limit", "50")
	}
	a, err := h.call(r.Context(), r, http.MethodGet, "/api/v2/licenseAssignments", q, credential{user: user, password: pass}, nil)
	if err != nil {
		h.fail(w, r, s, a, err)
		return
	}
	if !a.OK() {
		d.Error = a.message()
	} else if err := a.decode(&d.Rows); err != nil {
		h.fail(w, r, s, answer{}, err)
		return
	}
	for i := range d.Rows {
		d.Rows[i].Ended = d.Rows[i].DeactivationDate < d.Rows[i].ActivationDate
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	offset, _ := strconv.Atoi(q.Get("offset"))
	if limit > 0 && len(d.Rows) == limit {
		nq := cloneValues(q)
		nq.Set("offset", strconv.Itoa(offset+limit))
		d.Next = template.URL("/ui/history?" + nq.Encode())
	}
	if offset > 0 {
		pq := cloneValues(q)
		pq.Set("offset", strconv.Itoa(max(offset-limit, 0)))
		d.Prev = template.URL("/ui/history?" + pq.Encode())
	}
	h.render(w, r, http.StatusOK, "history", s, view{Title: "Assignment history", Data: d})
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// historyLogin keeps a company administrator's login (HTTP Basic, seed
// 004) in the session for the history page, after checking it.
func (h *Handler) historyLogin(w http.ResponseWriter, r *http.Request, s *session) {
	user, pass := strings.TrimSpace(r.PostFormValue("username")), r.PostFormValue("password")
	a, err := h.call(r.Context(), r, http.MethodGet, "/api/v2/licenseAssignments", url.Values{"limit": {"1"}}, credential{user: user, password: pass}, nil)
	if err != nil {
		h.fail(w, r, s, a, err)
		return
	}
	if !a.OK() {
		s.setFlash(&flash{Kind: "error", Message: a.message()})
	} else {
		s.mu.Lock()
		s.username, s.password = user, pass
		s.mu.Unlock()
	}
	redirect(w, r, "/ui/history")
}
