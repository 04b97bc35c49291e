package accountmanager

import (
	"net/url"
	"strconv"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules/seats"
)

// The request bodies, decoded strictly (httpapi.DecodeBytes: unknown or
// mis-cased fields, repeated keys, text that is not UTF-8 and values of the
// wrong type are each a 400 naming the field). Fields a request may leave
// out are pointers, so "absent" and "empty" can be told apart.

// authenticateRequest is POST /authenticate.
type authenticateRequest struct {
	APIKey *string `json:"apiKey"`
	Alias  *string `json:"alias"`
}

// companyRequest is POST /companies.
type companyRequest struct {
	Name  *string `json:"name"`
	Alias *string `json:"alias"`
}

// seatsRequest is PUT /companies/{alias}/license/{productId}.
type seatsRequest struct {
	Seats   *int64  `json:"seats"`
	Expires *string `json:"expires"`
}

// userRequest is POST /users and PUT /users/{externalId}.
type userRequest struct {
	ExternalID  *string `json:"externalId"`
	Email       *string `json:"email"`
	FirstName   *string `json:"firstName"`
	LastName    *string `json:"lastName"`
	PhoneNumber *string `json:"phoneNumber"`
}

// licenseRequest is POST and DELETE /license/{productId}.
type licenseRequest struct {
	ExternalID *string `json:"externalId"`
}

// bulkRequest is POST and DELETE /license/{productId}/bulk.
type bulkRequest struct {
	ExternalIDs *[]string `json:"externalIds"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// decodeAuthenticate decodes POST /authenticate; apiKey is required.
func decodeAuthenticate(b []byte) (apiKey, alias string, err error) {
	var req authenticateRequest
	if err := httpapi.DecodeBytes(b, &req); err != nil {
		return "", "", err
	}
	if str(req.APIKey) == "" {
		return "", "", domain.Errorf(domain.CodeInvalid, "apiKey", "apiKey is required")
	}
	return *req.APIKey, str(req.Alias), nil
}

// decodeCompany decodes POST /companies; name is required, alias optional
// (the use case makes one from the name).
func decodeCompany(b []byte) (seats.CompanyRequest, error) {
	var req companyRequest
	if err := httpapi.DecodeBytes(b, &req); err != nil {
		return seats.CompanyRequest{}, err
	}
	if str(req.Name) == "" {
		return seats.CompanyRequest{}, domain.Errorf(domain.CodeInvalid, "name", "name is required: the company's name")
	}
	return seats.CompanyRequest{Name: *req.Name, Alias: str(req.Alias)}, nil
}

// decodeSeats decodes PUT /companies/{alias}/license/{productId}: seats is
// required, 0 to seats.MaxSeats (the input limit; the rule files' max_seats
// is lower); expires is an optional YYYY-MM-DD.
func decodeSeats(b []byte) (n int, expires domain.Date, err error) {
	var req seatsRequest
	if err := httpapi.DecodeBytes(b, &req); err != nil {
		return 0, domain.Date{}, err
	}
	var p domain.Problems
	switch {
	case req.Seats == nil:
		p.Add("REQUIRED", "seats", "seats is required: how many seats of the product the company owns from now on")
	case *req.Seats < 0 || *req.Seats > seats.MaxSeats:
		p.Add("OUT_OF_RANGE", "seats", "seats %d is out of range (0 to %d)", *req.Seats, seats.MaxSeats)
	}
	if req.Expires != nil {
		d, err := domain.ParseDate(*req.Expires)
		if err != nil {
			p.Add("INVALID_DATE", "expires", "expires %q is not a date in the form YYYY-MM-DD", *req.Expires)
		} else {
			domain.CheckDate(&p, "expires", d)
			expires = d
		}
	}
	if err := p.Err(); err != nil {
		return 0, domain.Date{}, err
	}
	return int(*req.Seats), expires, nil
}

// decodeUser decodes POST /users (create: externalId is required) and PUT
// /users/{externalId} (replace: externalId may be left out to keep it).
// Optional fields left out are empty.
func decodeUser(b []byte, create bool) (seats.UserInput, error) {
	var req userRequest
	if err := httpapi.DecodeBytes(b, &req); err != nil {
		return seats.UserInput{}, err
	}
	if create && str(req.ExternalID) == "" {
		return seats.UserInput{}, domain.Errorf(domain.CodeInvalid, "externalId", "externalId is required: the id the user logs in with")
	}
	if req.ExternalID != nil && *req.ExternalID == "" {
		return seats.UserInput{}, domain.Errorf(domain.CodeInvalid, "externalId", "externalId cannot be empty; leave it out to keep the user's")
	}
	return seats.UserInput{ExternalID: str(req.ExternalID), Email: str(req.Email), FirstName: str(req.FirstName),
		LastName: str(req.LastName), PhoneNumber: str(req.PhoneNumber)}, nil
}

// decodeLicense decodes the body of POST or DELETE /license/{productId}.
func decodeLicense(b []byte) (string, error) {
	var req licenseRequest
	if err := httpapi.DecodeBytes(b, &req); err != nil {
		return "", err
	}
	if str(req.ExternalID) == "" {
		return "", domain.Errorf(domain.CodeInvalid, "externalId", "externalId is required: the user to give the seat to or take it from")
	}
	return *req.ExternalID, nil
}

// decodeBulk decodes the body of POST or DELETE /license/{productId}/bulk.
// An empty list is refused; so is a list longer than seats.MaxItems, the
// input limit, before the use case applies the rule files' smaller max_bulk.
func decodeBulk(b []byte) ([]string, error) {
	var req bulkRequest
	if err := httpapi.DecodeBytes(b, &req); err != nil {
		return nil, err
	}
	switch {
	case req.ExternalIDs == nil:
		return nil, domain.Errorf(domain.CodeInvalid, "externalIds", "externalIds is required: the list of users")
	case len(*req.ExternalIDs) == 0:
		return nil, domain.Errorf(domain.CodeInvalid, "externalIds", "externalIds is empty; give at least one user")
	case len(*req.ExternalIDs) > seats.MaxItems:
		return nil, domain.Errorf(domain.CodeInvalid, "externalIds", "at most %d externalIds per call; this one names %d", seats.MaxItems, len(*req.ExternalIDs))
	}
	return *req.ExternalIDs, nil
}

// page reads offset and limit from a list's raw query: both optional,
// offset >= 0 (default 0), limit 1 to MaxPage (default DefaultPage). A
// malformed query, any other parameter, a repeated one, or a value that is
// not such a number is a 400 naming it.
func page(raw string) (offset, limit int, err error) {
	offset, limit = 0, DefaultPage
	q, err := url.ParseQuery(raw)
	if err != nil {
		return 0, 0, domain.Errorf(domain.CodeInvalid, "", "the query string is malformed (%v); write name=value pairs joined by &", err)
	}
	for k, vs := range q {
		if k != "offset" && k != "limit" {
			return 0, 0, domain.Errorf(domain.CodeInvalid, httpapi.ParamName(k), "%s is not a parameter of this list; use offset and limit", httpapi.ParamName(k))
		}
		if len(vs) > 1 {
			return 0, 0, domain.Errorf(domain.CodeInvalid, k, "%s is given %d times; give it once", k, len(vs))
		}
		n, convErr := strconv.Atoi(vs[0])
		switch {
		case k == "offset" && (convErr != nil || n < 0 || n > domain.MaxLineNumber):
			return 0, 0, domain.Errorf(domain.CodeInvalid, k, "offset %q must be a whole number from 0", vs[0])
		case k == "limit" && (convErr != nil || n < 1 || n > MaxPage):
			return 0, 0, domain.Errorf(domain.CodeInvalid, k, "limit %q must be a whole number from 1 to %d", vs[0], MaxPage)
		case k == "offset":
			offset = n
		default:
			limit = n
		}
	}
	return offset, limit, nil
}

// DefaultPage and MaxPage are a list's default and largest limit.
const (
	DefaultPage = 100
	MaxPage     = 1000
)

// The answer bodies.

type tokenAnswer struct {
	Token   string `json:"token"`
	Expires string `json:"expires"`
}

type productSeats struct {
	ProductID string `json:"productId"`
	Owned     int    `json:"owned"`
	Assigned  int    `json:"assigned"`
	Free      int    `json:"free"`
}

type companyAnswer struct {
	ID        int64          `json:"id"`
	Alias     string         `json:"alias"`
	Name      string         `json:"name"`
	CreatedAt string         `json:"createdAt"`
	Products  []productSeats `json:"products"`
}

type companiesAnswer struct {
	Companies []companyAnswer `json:"companies"`
	Offset    int             `json:"offset"`
	Limit     int             `json:"limit"`
}

type releasedAnswer struct {
	ExternalID   string `json:"externalId"`
	UserID       int64  `json:"userId"`
	LicenseID    int64  `json:"licenseId"`
	AssignmentID int64  `json:"assignmentId"`
}

type seatsAnswer struct {
	Company  companyAnswer    `json:"company"`
	Released []releasedAnswer `json:"released"`
}

type userAnswer struct {
	ID          int64  `json:"id"`
	ExternalID  string `json:"externalId"`
	Email       string `json:"email"`
	FirstName   string `json:"firstName"`
	LastName    string `json:"lastName"`
	PhoneNumber string `json:"phoneNumber"`
	CreatedAt   string `json:"createdAt"`
	UpdatedAt   string `json:"updatedAt"`
}

type usersAnswer struct {
	Users  []userAnswer `json:"users"`
	Total  int          `json:"total"`
	Offset int          `json:"offset"`
	Limit  int          `json:"limit"`
}

type endedAnswer struct {
	ID               int64  `json:"id"`
	LicenseID        int64  `json:"licenseId"`
	ProductID        string `json:"productId"`
	ActivationDate   string `json:"activationDate"`
	DeactivationDate string `json:"deactivationDate"`
}

type deletedAnswer struct {
	ExternalID string        `json:"externalId"`
	Ended      []endedAnswer `json:"endedAssignments"`
}

type itemAnswer struct {
	ExternalID string `json:"externalId"`
	Status     string `json:"status"`
	Reason     string `json:"reason,omitempty"`
}

type bulkAnswer struct {
	ProductID string       `json:"productId"`
	Succeeded int          `json:"succeeded"`
	Failed    int          `json:"failed"`
	Results   []itemAnswer `json:"results"`
}

type poolAnswer struct {
	ProductID string `json:"productId"`
	Owned     int    `json:"owned"`
	Assigned  int    `json:"assigned"`
	Free      int    `json:"free"`
}

// stampLayout is an instant as the answers write it: ISO-8601 in UTC with
// milliseconds (the sibling Trimble MAPS APIs' "2020-03-21T19:18:23.228Z").
const stampLayout = "2006-01-02T15:04:05.000Z"

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(stampLayout)
}

func companyOf(c seats.Company) companyAnswer {
	out := companyAnswer{ID: c.Account.ID, Alias: c.Account.Alias, Name: c.Account.Title,
		CreatedAt: stamp(c.Account.CreatedAt), Products: make([]productSeats, 0, len(c.Products))}
	for _, p := range c.Products {
		out.Products = append(out.Products, productSeats{ProductID: p.ProductID, Owned: p.Owned, Assigned: p.Assigned, Free: max(p.Owned-p.Assigned, 0)})
	}
	return out
}

func userOf(u domain.User) userAnswer {
	return userAnswer{ID: u.ID, ExternalID: u.ExternalID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
		PhoneNumber: u.PhoneNumber, CreatedAt: stamp(u.CreatedAt), UpdatedAt: stamp(u.UpdatedAt)}
}

// The statuses of a bulk item (seed 000's "Success/Fail").
const (
	statusSuccess = "Success"
	statusFail    = "Fail"
)

func itemOf(r seats.ItemResult) itemAnswer {
	if r.OK {
		return itemAnswer{ExternalID: r.ExternalID, Status: statusSuccess, Reason: r.Reason}
	}
	return itemAnswer{ExternalID: r.ExternalID, Status: statusFail, Reason: r.Reason}
}
