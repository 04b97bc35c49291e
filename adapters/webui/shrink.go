package webui

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// confirmShrink asks before lowering c's seats of p to seats, below the
// seats in use. It asks the Account Manager's dry run (GET
// .../license/{productId}/preview) what the rule files' shrink_policy would
// do, changing nothing, and names the users who would lose a seat; when the
// policy would refuse, it says so and offers no confirmation.
func (h *Handler) confirmShrink(w http.ResponseWriter, r *http.Request, s *session, c company, p product, seats int, expires, back string) {
	q := url.Values{"seats": {strconv.Itoa(seats)}}
	if expires != "" {
		q.Set("expires", expires)
	}
	a, err := h.am(r.Context(), r, s, false, http.MethodGet, "/companies/"+url.PathEscape(c.Alias)+"/license/"+url.PathEscape(p.ProductID)+"/preview", q, nil)
	if err != nil {
		h.fail(w, r, s, a, err)
		return
	}
	d := confirmData{
		Title:  fmt.Sprintf("Lower %s's %s seats from %d to %d?", c.Name, p.ProductID, p.Owned, seats),
		Action: back + "/seats",
		Back:   back,
	}
	switch {
	case a.Status == http.StatusConflict:
		d.Title = fmt.Sprintf("%s's %s seats cannot be lowered to %d", c.Name, p.ProductID, seats)
		d.Message = fmt.Sprintf("%d of them are assigned today, and the rule files' seat-shrink policy refuses to take a seat from its user: %s. "+
			"Nothing was changed; release seats in the company first.", p.Assigned, a.message())
	case !a.OK():
		s.setFlash(&flash{Kind: "error", Message: a.message()})
		redirect(w, r, back)
		return
	default:
		var out struct {
			Released []struct {
				ExternalID string `json:"externalId"`
			}
		}
		if err := a.decode(&out); err != nil {
			h.fail(w, r, s, answer{}, err)
			return
		}
		d.Message = fmt.Sprintf("%d of them are assigned today. Under the rule files' seat-shrink policy these %d user(s) would lose their seat "+
			"(the most recently activated assignments end today):", p.Assigned, len(out.Released))
		if len(out.Released) == 0 {
			d.Message = fmt.Sprintf("%d of them are assigned today; nobody would lose a seat.", p.Assigned)
		}
		for _, rel := range out.Released {
			d.Rows = append(d.Rows, resultRow{Item: rel.ExternalID, Status: "would lose a seat"})
		}
		d.Fields = []field{{"productId", p.ProductID}, {"seats", strconv.Itoa(seats)}, {"expires", expires}, {"confirm", "yes"}}
	}
	h.render(w, r, http.StatusOK, "confirm", s, view{Title: "Lower seats?", Data: d})
}
