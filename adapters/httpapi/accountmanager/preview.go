package accountmanager

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules/seats"
)

// GET /companies/{alias}/license/{productId}/preview?seats=N&expires=D:
// what PUT /companies/{alias}/license/{productId} with {"seats": N,
// "expires": D} would answer now, status and body, changing nothing; when
// lowering below the seats in use, released names the users who would lose
// a seat (or the answer is the 409 the shrink policy refuses with).
func (a *api) previewSeats(w http.ResponseWriter, r *http.Request) {
	r, who, ok := a.authorize(w, r, partnerScope)
	if !ok {
		return
	}
	body, err := previewBody(r.URL.RawQuery)
	if err != nil {
		a.fail(w, err)
		return
	}
	n, expires, err := decodeSeats(body)
	if err != nil {
		a.fail(w, err)
		return
	}
	ch, err := a.seats.PreviewSeats(r.Context(), who, seats.SeatsRequest{Alias: r.PathValue("alias"),
		ProductID: r.PathValue("productId"), Seats: n, Expires: expires})
	a.answer(w, seatsAnswerOf(ch), err)
}

// previewBody turns the preview's query into the PUT's body, so both are
// checked by decodeSeats and refused with the same words.
func previewBody(raw string) ([]byte, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, domain.Errorf(domain.CodeInvalid, "", "the query string is malformed (%v); write name=value pairs joined by &", err)
	}
	body := map[string]any{}
	for k, vs := range q {
		if k != "seats" && k != "expires" {
			return nil, domain.Errorf(domain.CodeInvalid, httpapi.ParamName(k), "%s is not a parameter of this request; use seats and expires", httpapi.ParamName(k))
		}
		if len(vs) > 1 {
			return nil, domain.Errorf(domain.CodeInvalid, k, "%s is given %d times; give it once", k, len(vs))
		}
		body[k] = vs[0]
	}
	if s, ok := body["seats"].(string); ok {
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return nil, domain.Errorf(domain.CodeInvalid, "seats", "seats %q must be a whole number from 0 to %d", s, seats.MaxSeats)
		}
		body["seats"] = n
	}
	return json.Marshal(body)
}

func seatsAnswerOf(ch seats.SeatsChange) seatsAnswer {
	out := seatsAnswer{Company: companyOf(ch.Company), Released: make([]releasedAnswer, 0, len(ch.Released))}
	for _, rel := range ch.Released {
		out.Released = append(out.Released, releasedAnswer{ExternalID: rel.ExternalID, UserID: rel.UserID,
			LicenseID: rel.LicenseID, AssignmentID: rel.AssignmentID})
	}
	return out
}
