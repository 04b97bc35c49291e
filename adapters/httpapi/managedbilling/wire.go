package managedbilling

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/rules/accounts"
)

// The request bodies, decoded strictly (httpapi.DecodeBytes: a key given
// twice, text that is not UTF-8 or holds a control character, a value of the
// wrong type are each refused naming the field). Every field is required:
// the vendor's pages mark them so.

// loginRequest is POST /api/m2m/v1/session/login.
type loginRequest struct {
	Username *string `json:"username"`
	Password *string `json:"password"`
}

// addRequest is POST /managedaccounts/actions/add (seed 002).
type addRequest struct {
	AccountName    *string   `json:"accountName"`
	ServiceName    *string   `json:"serviceName"`
	Type           *string   `json:"type"`
	ManagedAccList *[]string `json:"managedAccList"`
}

// decodeLogin decodes a session login; both fields are required.
func decodeLogin(b []byte) (username, password string, err error) {
	var req loginRequest
	if err := httpapi.DecodeBytes(b, &req); err != nil {
		return "", "", err
	}
	var p domain.Problems
	if req.Username == nil || *req.Username == "" {
		p.Add("REQUIRED", "username", "username is required: the UWS login")
	}
	if req.Password == nil || *req.Password == "" {
		p.Add("REQUIRED", "password", "password is required")
	}
	if err := p.Err(); err != nil {
		return "", "", err
	}
	return *req.Username, *req.Password, nil
}

// decodeAdd decodes an add request: accountName, serviceName and type are
// required text; managedAccList a list of 1 to accounts.MaxManaged names. A name's
// form is not checked here: a malformed one is that item's "Invalid account
// name" in the answer, as seed 002 shows.
func decodeAdd(b []byte) (accounts.AddRequest, error) {
	var req addRequest
	if err := httpapi.DecodeBytes(b, &req); err != nil {
		return accounts.AddRequest{}, err
	}
	var p domain.Problems
	required(&p, "accountName", req.AccountName, "the primary account's name, such as 1234567890-00001")
	required(&p, "serviceName", req.ServiceName, `the service, "Location"`)
	required(&p, "type", req.Type, "the SKU the primary account bought")
	switch {
	case req.ManagedAccList == nil:
		p.Add("REQUIRED", "managedAccList", "managedAccList is required: the accounts to manage")
	case len(*req.ManagedAccList) == 0:
		p.Add("REQUIRED", "managedAccList", "managedAccList is empty; list at least one account")
	case len(*req.ManagedAccList) > accounts.MaxManaged:
		p.Add("TOO_MANY", "managedAccList", "managedAccList lists %d accounts; at most %d per request", len(*req.ManagedAccList), accounts.MaxManaged)
	}
	if err := p.Err(); err != nil {
		return accounts.AddRequest{}, err
	}
	return accounts.AddRequest{AccountName: *req.AccountName, ServiceName: *req.ServiceName, Type: *req.Type,
		ManagedAccList: slices.Clone(*req.ManagedAccList)}, nil
}

func required(p *domain.Problems, field string, v *string, what string) {
	if v == nil || *v == "" {
		p.Add("REQUIRED", field, "%s is required: %s", field, what)
	}
}

// linkFields are the fields of a provision or cancel body. The transaction
// id is spelt TxId on the vendor's pages and txid in its SDK: both are
// accepted, one of them.
var linkFields = []string{"accountName", "paccountName", "serviceName", "type", "TxId", "txid"}

// decodeLink decodes a provision or cancel request. Every field is required
// text; the transaction id may be written TxId or txid, not both.
func decodeLink(b []byte) (accounts.LinkRequest, error) {
	// A map, not a struct: encoding/json cannot tell TxId from txid.
	var raw map[string]json.RawMessage
	if err := httpapi.DecodeBytes(b, &raw); err != nil {
		return accounts.LinkRequest{}, err
	}
	if raw == nil {
		return accounts.LinkRequest{}, domain.Errorf(domain.CodeInvalid, "", "the body must be a JSON object")
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	vals := map[string]string{}
	for _, k := range keys {
		if !slices.Contains(linkFields, k) {
			for _, f := range linkFields {
				if strings.EqualFold(f, k) && !strings.EqualFold(k, "txid") {
					return accounts.LinkRequest{}, domain.Errorf(domain.CodeInvalid, k, "%s is not a field of this request (write %s); field names are case-sensitive", k, f)
				}
			}
			if strings.EqualFold(k, "txid") {
				return accounts.LinkRequest{}, domain.Errorf(domain.CodeInvalid, k, "%s is not a field of this request (write TxId or txid)", k)
			}
			return accounts.LinkRequest{}, domain.Errorf(domain.CodeInvalid, k, "%s is not a field of this request", k)
		}
		var s string
		if err := json.Unmarshal(raw[k], &s); err != nil || string(raw[k]) == "null" {
			return accounts.LinkRequest{}, domain.Errorf(domain.CodeInvalid, k, "%s must be a string", k)
		}
		vals[k] = s
	}
	_, upper := vals["TxId"]
	_, lower := vals["txid"]
	if upper && lower {
		return accounts.LinkRequest{}, domain.Errorf(domain.CodeInvalid, "txid", "give the transaction id once, as TxId or as txid")
	}
	tx := vals["TxId"] + vals["txid"]
	var p domain.Problems
	for _, f := range []struct{ name, what string }{
		{"accountName", "the managed account's name"}, {"paccountName", "the primary account's name"},
		{"serviceName", `the service, "Location"`}, {"type", "the SKU the primary account bought"},
	} {
		if vals[f.name] == "" {
			p.Add("REQUIRED", f.name, "%s is required: %s", f.name, f.what)
		}
	}
	if tx == "" {
		p.Add("REQUIRED", "txid", "TxId (or txid) is required: the TxId the add request answered")
	}
	if err := p.Err(); err != nil {
		return accounts.LinkRequest{}, err
	}
	return accounts.LinkRequest{AccountName: vals["accountName"], PAccountName: vals["paccountName"],
		ServiceName: vals["serviceName"], Type: vals["type"], TxID: tx}, nil
}

// The answers, with the vendor's spellings: TxId in the add answer, txid
// elsewhere, ManagedAccAddedList with a capital M beside
// managedAccProvisionedList.

type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

type loginAnswer struct {
	SessionToken string `json:"sessionToken"`
}

type itemAnswer struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Reason string `json:"reason"`
}

type addAnswer struct {
	TxID       string       `json:"TxId"`
	StatusList []itemAnswer `json:"statusList"`
}

type linkAnswer struct {
	TxID         string `json:"txid"`
	AccountName  string `json:"accountName"`
	PAccountName string `json:"paccountName"`
	ServiceName  string `json:"serviceName"`
	Status       string `json:"status"`
	Reason       string `json:"reason"`
}

type listItem struct {
	ID   string `json:"id"`
	TxID string `json:"txid"`
}

type listAnswer struct {
	AccountName string     `json:"accountName"`
	Added       []listItem `json:"ManagedAccAddedList"`
	Provisioned []listItem `json:"managedAccProvisionedList"`
}

func addOf(r accounts.AddResult) addAnswer {
	out := addAnswer{TxID: r.TxID, StatusList: make([]itemAnswer, 0, len(r.StatusList))}
	for _, it := range r.StatusList {
		out.StatusList = append(out.StatusList, itemAnswer{ID: it.ID, Status: it.Status, Reason: it.Reason})
	}
	return out
}

func linkOf(r accounts.LinkResult) linkAnswer {
	return linkAnswer{TxID: r.TxID, AccountName: r.AccountName, PAccountName: r.PAccountName,
		ServiceName: r.ServiceName, Status: r.Status, Reason: r.Reason}
}

func listOf(l accounts.ManagedList) listAnswer {
	items := func(ls []domain.ManagedLink) []listItem {
		out := make([]listItem, 0, len(ls))
		for _, x := range ls {
			out = append(out, listItem{ID: x.Managed, TxID: x.TxID})
		}
		return out
	}
	return listAnswer{AccountName: l.AccountName, Added: items(l.Added), Provisioned: items(l.Provisioned)}
}

// errorAnswer is the vendor's error body, every refusal but a bad bearer.
type errorAnswer struct {
	ErrorCode    string `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
}

// faultAnswer is the API gateway's refusal of a missing, unknown or expired
// OAuth bearer (401).
type faultAnswer struct {
	Fault fault `json:"fault"`
}

type fault struct {
	Code        string `json:"code"`
	Message     string `json:"message"`
	Description string `json:"description"`
}
