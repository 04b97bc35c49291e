package webui

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/domain"
)

// company is the Account Manager's Company object.
type company struct {
	ID        int64     `json:"id"`
	Alias     string    `json:"alias"`
	Name      string    `json:"name"`
	CreatedAt string    `json:"createdAt"`
	Products  []product `json:"products"`
}

// product is a company's seats of one product today.
type product struct {
	ProductID string `json:"productId"`
	Owned     int    `json:"owned"`
	Assigned  int    `json:"assigned"`
	Free      int    `json:"free"`
}

func (c company) Product(id string) product {
	for _, p := range c.Products {
		if strings.EqualFold(p.ProductID, id) {
			return p
		}
	}
	return product{ProductID: id}
}

// knownProducts are the products offered in the seat forms: the shipped
// rule files' two, and any other a company of the partner owns.
func knownProducts(cs ...company) []string {
	out := []string{"CoPilot", "MileOn"}
	for _, c := range cs {
		for _, p := range c.Products {
			if !slices.Contains(out, p.ProductID) {
				out = append(out, p.ProductID)
			}
		}
	}
	return out
}

type partnerData struct {
	Companies []company
	Products  []string
	// TokenDays is the default lifetime offered for a new X-AccessToken.
	TokenDays int
	// Tokens are the partner's X-AccessTokens, by expiry.
	Tokens []tokenRow
}

// tokenRow is one X-AccessToken in the partner's list.
type tokenRow struct {
	Fingerprint, Expires string
	Expired              bool
	// Session marks the token this web session issued itself for account
	// operations; it expires with the session.
	Session bool
}

// partnerHome lists the partner's companies with their seats per product.
func (h *Handler) partnerHome(w http.ResponseWriter, r *http.Request, s *session) {
	a, err := h.am(r.Context(), r, s, false, http.MethodGet, "/companies", url.Values{"limit": {"1000"}}, nil)
	if err != nil || !a.OK() {
		h.fail(w, r, s, a, err)
		return
	}
	var out struct{ Companies []company }
	if err := a.decode(&out); err != nil {
		h.fail(w, r, s, answer{}, err)
		return
	}
	d := partnerData{Companies: out.Companies, Products: knownProducts(out.Companies...), TokenDays: 90}
	s.mu.Lock()
	partner, own := s.partner, ""
	if s.accessToken != "" {
		own = domain.HashSecret(s.accessToken)[:12]
	}
	s.mu.Unlock()
	toks, err := h.o.Access.AccessTokens(r.Context(), partner)
	if err != nil {
		h.fail(w, r, s, answer{}, err)
		return
	}
	for _, t := range toks {
		d.Tokens = append(d.Tokens, tokenRow{Fingerprint: t.Fingerprint, Expires: t.ExpiresAt.Format("2006-01-02 15:04 UTC"),
			Expired: t.Expired, Session: t.Fingerprint == own})
	}
	h.render(w, r, http.StatusOK, "partner", s, view{Title: "Companies", Data: d})
}

// createCompany is POST /companies.
func (h *Handler) createCompany(w http.ResponseWriter, r *http.Request, s *session) {
	body := map[string]string{"name": strings.TrimSpace(r.PostFormValue("name"))}
	if alias := strings.TrimSpace(r.PostFormValue("alias")); alias != "" {
		body["alias"] = alias
	}
	a, err := h.am(r.Context(), r, s, false, http.MethodPost, "/companies", nil, body)
	if err != nil || !a.OK() {
		h.fail(w, r, s, a, err)
		return
	}
	var c company
	if err := a.decode(&c); err != nil {
		h.fail(w, r, s, answer{}, err)
		return
	}
	s.setFlash(&flash{Kind: "ok", Message: fmt.Sprintf("Company %s created; its alias is %s. It owns no seats yet.", c.Name, c.Alias)})
	redirect(w, r, "/ui/partner/companies/"+url.PathEscape(c.Alias))
}

// companyPage shows one company: its seats per product, with forms to
// raise or lower them, and its block state (seed 003) with forms to block,
// unblock or schedule a block.
type companyData struct {
	Company  company
	Products []string
	// Account is the account operations' view of the company (nil when the
	// API refused it: AccountError says why).
	Account      *opsAccount
	AccountError string
	// Now is the current instant in UTC, the earliest a block may be
	// scheduled at, in the datetime-local input's form.
	Now string
}

// opsAccount is the account operations API's account object, the fields
// the page shows.
type opsAccount struct {
	ID          int64  `json:"id"`
	Title       string `json:"title"`
	Type        *int   `json:"type"`
	Blocked     bool   `json:"blocked"`
	BlockedAt   *int64 `json:"blocked_at"`
	BlockedAtUI string `json:"-"`
}

func (h *Handler) loadCompany(w http.ResponseWriter, r *http.Request, s *session) (company, bool) {
	alias := r.PathValue("alias")
	a, err := h.am(r.Context(), r, s, false, http.MethodGet, "/companies/"+url.PathEscape(alias), nil, nil)
	if err != nil || !a.OK() {
		h.fail(w, r, s, a, err)
		return company{}, false
	}
	var c company
	if err := a.decode(&c); err != nil {
		h.fail(w, r, s, answer{}, err)
		return company{}, false
	}
	return c, true
}

func (h *Handler) companyPage(w http.ResponseWriter, r *http.Request, s *session) {
	c, ok := h.loadCompany(w, r, s)
	if !ok {
		return
	}
	d := companyData{Company: c, Products: knownProducts(c), Now: h.o.Clock.Now().UTC().Format("2006-01-02T15:04")}
	acct, a, err := h.opsAccount(r, s, c.ID)
	switch {
	case err != nil:
		h.fail(w, r, s, a, err)
		return
	case acct == nil:
		d.AccountError = a.message()
	default:
		d.Account = acct
	}
	h.render(w, r, http.StatusOK, "company", s, view{Title: c.Name, Data: d})
}

// opsToken returns the X-AccessToken this session uses for account
// operations, issuing one for the session's partner the first time; it
// expires when the session must end, and is never shown.
func (h *Handler) opsToken(r *http.Request, s *session) (string, error) {
	s.mu.Lock()
	tok, partner, until := s.accessToken, s.partner, s.created.Add(h.sessions.absolute)
	s.mu.Unlock()
	if tok != "" {
		return tok, nil
	}
	tok, err := h.o.Access.IssueAccessToken(r.Context(), partner, until)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.accessToken = tok
	s.mu.Unlock()
	return tok, nil
}

// ops calls account operations (/partner, seed 003) with the session's
// X-AccessToken.
func (h *Handler) ops(r *http.Request, s *session, method, path string, body any) (answer, error) {
	tok, err := h.opsToken(r, s)
	if err != nil {
		return answer{}, err
	}
	return h.call(r.Context(), r, method, "/partner"+path, nil, credential{accessToken: tok}, body)
}

// opsAccount reads GET /partner/accounts/{id}; a refusal is (nil, answer).
func (h *Handler) opsAccount(r *http.Request, s *session, id int64) (*opsAccount, answer, error) {
	a, err := h.ops(r, s, http.MethodGet, "/accounts/"+strconv.FormatInt(id, 10), nil)
	if err != nil || !a.OK() {
		return nil, a, err
	}
	var out struct{ Data opsAccount }
	if err := a.decode(&out); err != nil {
		return nil, a, err
	}
	if out.Data.BlockedAt != nil {
		out.Data.BlockedAtUI = time.Unix(*out.Data.BlockedAt, 0).UTC().Format("2006-01-02 15:04:05 UTC")
	}
	return &out.Data, a, nil
}

type confirmData struct {
	Title, Message string
	Action         string
	Fields         []field
	Rows           []resultRow
	Back           string
}

type field struct{ Name, Value string }

// setSeats is PUT /companies/{alias}/license/{productId}. Lowering below
// the seats in use first asks for a confirmation that names the users who
// would lose a seat under the rule files' shrink_policy (confirmShrink);
// the answer then names who did.
func (h *Handler) setSeats(w http.ResponseWriter, r *http.Request, s *session) {
	c, ok := h.loadCompany(w, r, s)
	if !ok {
		return
	}
	productID := strings.TrimSpace(r.PostFormValue("productId"))
	seats, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("seats")))
	back := "/ui/partner/companies/" + url.PathEscape(c.Alias)
	if err != nil || seats < 0 {
		s.setFlash(&flash{Kind: "error", Message: "seats: give a whole number of seats, 0 or more."})
		redirect(w, r, back)
		return
	}
	expires := strings.TrimSpace(r.PostFormValue("expires"))
	p := c.Product(productID)
	if seats < p.Assigned && r.PostFormValue("confirm") != "yes" {
		h.confirmShrink(w, r, s, c, p, seats, expires, back)
		return
	}
	body := map[string]any{"seats": seats}
	if expires != "" {
		body["expires"] = expires
	}
	a, err := h.am(r.Context(), r, s, false, http.MethodPut, "/companies/"+url.PathEscape(c.Alias)+"/license/"+url.PathEscape(productID), nil, body)
	if err != nil {
		h.fail(w, r, s, a, err)
		return
	}
	if !a.OK() {
		s.setFlash(&flash{Kind: "error", Message: a.message()})
		redirect(w, r, back)
		return
	}
	var out struct {
		Released []struct {
			ExternalID string `json:"externalId"`
		}
	}
	if err := a.decode(&out); err != nil {
		h.fail(w, r, s, answer{}, err)
		return
	}
	f := &flash{Kind: "ok", Message: fmt.Sprintf("%s now owns %d seat(s) of %s; nobody lost a seat.", c.Name, seats, productID)}
	if len(out.Released) > 0 {
		f.Message = fmt.Sprintf("%s now owns %d seat(s) of %s; %d user(s) lost a seat:", c.Name, seats, productID, len(out.Released))
		for _, rel := range out.Released {
			f.Rows = append(f.Rows, resultRow{Item: rel.ExternalID, Status: "Released", OK: true})
		}
	}
	s.setFlash(f)
	redirect(w, r, back)
}

// block blocks, unblocks or schedules a block of the company's account
// (seed 003). A scheduled block is shown with its instant, in UTC and from
// now, for a confirmation before it is sent.
func (h *Handler) block(w http.ResponseWriter, r *http.Request, s *session) {
	c, ok := h.loadCompany(w, r, s)
	if !ok {
		return
	}
	back := "/ui/partner/companies/" + url.PathEscape(c.Alias)
	id := strconv.FormatInt(c.ID, 10)
	var a answer
	var err error
	var done string
	switch r.PostFormValue("action") {
	case "block", "unblock":
		blocked := r.PostFormValue("action") == "block"
		a, err = h.ops(r, s, http.MethodPatch, "/accounts/"+id+"/set-blocked", map[string]bool{"blocked": blocked})
		done = map[bool]string{true: "blocked from now on", false: "unblocked (a scheduled block is cancelled)"}[blocked]
	case "schedule":
		at, perr := time.ParseInLocation("2006-01-02T15:04", strings.TrimSpace(r.PostFormValue("at")), time.UTC)
		if perr != nil {
			s.setFlash(&flash{Kind: "error", Message: "blocked_at: give the instant as a date and time in UTC."})
			redirect(w, r, back)
			return
		}
		if r.PostFormValue("confirm") != "yes" {
			in := at.Sub(h.o.Clock.Now()).Round(time.Minute)
			h.render(w, r, http.StatusOK, "confirm", s, view{Title: "Schedule a block?", Data: confirmData{
				Title: fmt.Sprintf("Block %s at %s?", c.Name, at.Format("2006-01-02 15:04 UTC")),
				Message: fmt.Sprintf("From %s (%s from now; Unix time %d) the account reads as blocked, with no job to run: until then it works as before, "+
					"and unblocking cancels the schedule.", at.Format("Monday 2 January 2006, 15:04 UTC"), in, at.Unix()),
				Action: back + "/block",
				Fields: []field{{"action", "schedule"}, {"at", r.PostFormValue("at")}, {"confirm", "yes"}},
				Back:   back,
			}})
			return
		}
		a, err = h.ops(r, s, http.MethodPatch, "/accounts/"+id+"/set-blocked-at", map[string]int64{"blocked_at": at.Unix()})
		done = "scheduled to be blocked at " + at.Format("2006-01-02 15:04 UTC")
	default:
		s.setFlash(&flash{Kind: "error", Message: "Choose block, unblock or schedule."})
		redirect(w, r, back)
		return
	}
	if err != nil {
		h.fail(w, r, s, a, err)
		return
	}
	if !a.OK() {
		s.setFlash(&flash{Kind: "error", Message: a.message()})
	} else {
		s.setFlash(&flash{Kind: "ok", Message: c.Name + " is " + done + "."})
	}
	redirect(w, r, back)
}

// issueToken issues the partner an X-AccessToken (seed 003) that works
// until the chosen day, and shows it once.
func (h *Handler) issueToken(w http.ResponseWriter, r *http.Request, s *session) {
	days, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("days")))
	if err != nil || days < 1 || days > 3660 {
		s.setFlash(&flash{Kind: "error", Message: "expires: give a number of days from 1 to 3660."})
		redirect(w, r, "/ui/partner#tokens")
		return
	}
	expires := h.o.Clock.Now().UTC().Add(time.Duration(days) * 24 * time.Hour).Truncate(time.Second)
	s.mu.Lock()
	partner := s.partner
	s.mu.Unlock()
	tok, err := h.o.Access.IssueAccessToken(r.Context(), partner, expires)
	if err != nil {
		s.setFlash(&flash{Kind: "error", Message: err.Error()})
		redirect(w, r, "/ui/partner#tokens")
		return
	}
	s.setFlash(&flash{Kind: "ok", Message: "A new X-AccessToken for " + partner + ", working until " + expires.Format("2006-01-02 15:04 UTC") +
		". Copy it now: it is shown only this once (entitle keeps only its hash).", Secret: tok})
	redirect(w, r, "/ui/partner#tokens")
}
